-- DeleteAggregationSet (spec 4.19).
-- KEYS[1] aggregation set `asynq:{q}:g:<g>:<set id>`, KEYS[2] `asynq:{q}:aggregation_sets`
-- ARGV[1] task key prefix
-- Deletes the task hash of every member, the set and its entry in KEYS[2]. Unique locks of the
-- members are not released (they expire by TTL), as in Go.
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
    redis.call("DEL", ARGV[1] .. id)
end
redis.call("DEL", KEYS[1])
redis.call("ZREM", KEYS[2], KEYS[1])
return redis.status_reply("OK")
