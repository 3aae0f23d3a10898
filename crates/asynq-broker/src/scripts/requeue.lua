-- Requeue an active task on server shutdown (spec 4.12).
-- KEYS[1] active, KEYS[2] lease, KEYS[3] pending, KEYS[4] task key
-- ARGV[1] task ID
-- The ID goes to the right end of pending (dequeued next); pending_since is not set.
-- A push onto an empty pending list wakes idle workers (wakeup.lua).
if redis.call("LREM", KEYS[1], 0, ARGV[1]) == 0 then
    return redis.error_reply("NOT FOUND")
end
if redis.call("ZREM", KEYS[2], ARGV[1]) == 0 then
    return redis.error_reply("NOT FOUND")
end
if redis.call("RPUSH", KEYS[3], ARGV[1]) == 1 then
    wake_idle_workers(KEYS[3])
end
redis.call("HSET", KEYS[4], "state", "pending")
return redis.status_reply("OK")
