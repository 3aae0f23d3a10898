-- DeleteAllScheduledTasks, DeleteAllRetryTasks, DeleteAllArchivedTasks,
-- DeleteAllCompletedTasks (spec 5.11).
-- KEYS[1] the zset holding the IDs
-- ARGV[1] task key prefix asynq:{q}:t:
-- For each ID: delete its unique lock when the lock still holds the ID, then its hash. Then DEL
-- the zset. Returns the count.
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
    local task_key = ARGV[1] .. id
    local unique_key = redis.call("HGET", task_key, "unique_key")
    if unique_key and unique_key ~= "" and redis.call("GET", unique_key) == id then
        redis.call("DEL", unique_key)
    end
    redis.call("DEL", task_key)
end
redis.call("DEL", KEYS[1])
return #ids
