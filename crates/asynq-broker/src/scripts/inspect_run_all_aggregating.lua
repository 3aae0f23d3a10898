-- RunAllAggregatingTasks (spec 5.9).
-- KEYS[1] group zset asynq:{q}:g:<group>, KEYS[2] pending list, KEYS[3] groups set
-- ARGV[1] task key prefix asynq:{q}:t:, ARGV[2] group name
-- As inspect_run_all.lua, then the group leaves the groups set. Returns the count.
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
local was_empty = redis.call("LLEN", KEYS[2]) == 0
for _, id in ipairs(ids) do
    redis.call("LPUSH", KEYS[2], id)
    redis.call("HSET", ARGV[1] .. id, "state", "pending")
end
redis.call("DEL", KEYS[1])
redis.call("SREM", KEYS[3], ARGV[2])
if was_empty and #ids > 0 then
    wake_idle_workers(KEYS[2])
end
return #ids
