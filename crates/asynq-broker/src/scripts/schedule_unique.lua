-- ScheduleUnique (spec 4.5).
-- KEYS[1] unique key, KEYS[2] task key, KEYS[3] scheduled zset
-- ARGV[1] task ID, ARGV[2] lock TTL in whole seconds, ARGV[3] process-at in Unix seconds,
-- ARGV[4] encoded TaskMessage
-- Returns 1 on success, -1 when the lock is held, 0 when the task ID already exists.
local ok = redis.call("SET", KEYS[1], ARGV[1], "NX", "EX", ARGV[2])
if not ok then
    return -1
end
if redis.call("EXISTS", KEYS[2]) == 1 then
    return 0
end
redis.call("HSET", KEYS[2], "msg", ARGV[4], "state", "scheduled", "unique_key", KEYS[1])
redis.call("ZADD", KEYS[3], ARGV[3], ARGV[1])
return 1
