-- Schedule (spec 4.4).
-- KEYS[1] task key, KEYS[2] scheduled zset
-- ARGV[1] encoded TaskMessage, ARGV[2] process-at in Unix seconds, ARGV[3] task ID
-- Returns 1 on success, 0 when the task ID already exists.
if redis.call("EXISTS", KEYS[1]) == 1 then
    return 0
end
redis.call("HSET", KEYS[1], "msg", ARGV[1], "state", "scheduled")
redis.call("ZADD", KEYS[2], ARGV[2], ARGV[3])
return 1
