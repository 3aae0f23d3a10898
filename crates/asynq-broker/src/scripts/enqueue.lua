-- Enqueue (spec 4.2).
-- KEYS[1] task key, KEYS[2] pending list
-- ARGV[1] encoded TaskMessage, ARGV[2] task ID, ARGV[3] now in Unix nanoseconds
-- Returns 1 on success, 0 when the task ID already exists.
-- A push onto an empty pending list wakes idle workers (wakeup.lua).
if redis.call("EXISTS", KEYS[1]) == 1 then
    return 0
end
redis.call("HSET", KEYS[1], "msg", ARGV[1], "state", "pending", "pending_since", ARGV[3])
if redis.call("LPUSH", KEYS[2], ARGV[2]) == 1 then
    wake_idle_workers(KEYS[2])
end
return 1
