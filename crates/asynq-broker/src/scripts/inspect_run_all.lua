-- RunAllScheduledTasks, RunAllRetryTasks, RunAllArchivedTasks (spec 5.9).
-- KEYS[1] source zset (scheduled, retry or archived), KEYS[2] pending list
-- ARGV[1] task key prefix asynq:{q}:t:
-- Every ID, lowest score first, is pushed to pending and its state set to pending (no
-- pending_since, message unchanged); then the source is deleted. Returns the count.
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
local was_empty = redis.call("LLEN", KEYS[2]) == 0
for _, id in ipairs(ids) do
    redis.call("LPUSH", KEYS[2], id)
    redis.call("HSET", ARGV[1] .. id, "state", "pending")
end
redis.call("DEL", KEYS[1])
if was_empty and #ids > 0 then
    wake_idle_workers(KEYS[2])
end
return #ids
