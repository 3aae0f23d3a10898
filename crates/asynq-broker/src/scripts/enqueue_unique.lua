-- EnqueueUnique (spec 4.3).
-- KEYS[1] unique key, KEYS[2] task key, KEYS[3] pending list
-- ARGV[1] task ID, ARGV[2] lock TTL in whole seconds, ARGV[3] encoded TaskMessage,
-- ARGV[4] now in Unix nanoseconds
-- Returns 1 on success, -1 when the lock is held, 0 when the task ID already exists
-- (the lock taken first stays, as in Go).
-- A push onto an empty pending list wakes idle workers (wakeup.lua).
local ok = redis.call("SET", KEYS[1], ARGV[1], "NX", "EX", ARGV[2])
if not ok then
    return -1
end
if redis.call("EXISTS", KEYS[2]) == 1 then
    return 0
end
redis.call("HSET", KEYS[2], "msg", ARGV[3], "state", "pending", "pending_since", ARGV[4],
    "unique_key", KEYS[1])
if redis.call("LPUSH", KEYS[3], ARGV[1]) == 1 then
    wake_idle_workers(KEYS[3])
end
return 1
