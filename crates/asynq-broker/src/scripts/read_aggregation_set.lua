-- ReadAggregationSet (spec 4.18).
-- KEYS[1] aggregation set `asynq:{q}:g:<g>:<set id>`, KEYS[2] `asynq:{q}:aggregation_sets`
-- ARGV[1] task key prefix
-- Returns the set's deadline (its score in KEYS[2] as Redis prints it, or "" when the set is not
-- registered there), followed, in ascending score order, by the ID and encoded message of each
-- member (a flat array deadline, id1, msg1, id2, msg2, ...), skipping members whose task hash
-- has no `msg`. Go returns the messages only and reads the deadline with a separate ZSCORE.
local deadline = redis.call("ZSCORE", KEYS[2], KEYS[1])
local res = { deadline or "" }
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
    local msg = redis.call("HGET", ARGV[1] .. id, "msg")
    if msg then
        table.insert(res, id)
        table.insert(res, msg)
    end
end
return res
