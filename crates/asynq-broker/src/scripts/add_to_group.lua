-- AddToGroup (spec 4.6).
-- KEYS[1] task key, KEYS[2] group zset, KEYS[3] all-groups set
-- ARGV[1] encoded TaskMessage, ARGV[2] task ID, ARGV[3] now (Unix seconds), ARGV[4] group name
-- Returns 1 on success, 0 when the task ID already exists.
if redis.call("EXISTS", KEYS[1]) == 1 then
    return 0
end
redis.call("HSET", KEYS[1], "msg", ARGV[1], "state", "aggregating", "group", ARGV[4])
redis.call("ZADD", KEYS[2], ARGV[3], ARGV[2])
redis.call("SADD", KEYS[3], ARGV[4])
return 1
