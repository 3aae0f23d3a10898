-- AddToGroupUnique (spec 4.7).
-- KEYS[1] task key, KEYS[2] group zset, KEYS[3] all-groups set, KEYS[4] unique key
-- ARGV[1] encoded TaskMessage, ARGV[2] task ID, ARGV[3] now (Unix seconds), ARGV[4] group name,
-- ARGV[5] lock TTL in whole seconds
-- Returns 1 on success, -1 when the lock is held, 0 when the task ID already exists (the lock
-- stays). Like Go, no unique_key hash field is written (quirk Q2).
local ok = redis.call("SET", KEYS[4], ARGV[2], "NX", "EX", ARGV[5])
if not ok then
    return -1
end
if redis.call("EXISTS", KEYS[1]) == 1 then
    return 0
end
redis.call("HSET", KEYS[1], "msg", ARGV[1], "state", "aggregating", "group", ARGV[4])
redis.call("ZADD", KEYS[2], ARGV[3], ARGV[2])
redis.call("SADD", KEYS[3], ARGV[4])
return 1
