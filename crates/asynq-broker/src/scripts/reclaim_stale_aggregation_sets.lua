-- ReclaimStaleAggregationSets (spec 4.20).
-- KEYS[1] `asynq:{q}:aggregation_sets`, KEYS[2] `asynq:{q}:groups`
-- ARGV[1] now (Unix seconds), ARGV[2] group key prefix `asynq:{q}:g:`
-- Every set whose deadline is at or before now goes back into its group (the set key without
-- its last `:` and what follows), each member with its original score, and the set is deleted;
-- then every entry of KEYS[1] up to now is removed. A set that gave back at least one task also
-- registers its group name (the group key after ARGV[2]) in KEYS[2]; Go does not (quirk Q5), so
-- a group emptied by the check that made the set would stay invisible to the aggregator.
-- Entries that are not keys under ARGV[2] (never written by asynq) are only removed from KEYS[1].
local prefixLen = string.len(ARGV[2])
local stale = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
for _, key in ipairs(stale) do
    local idx = string.find(key, ":[^:]*$")
    if idx and string.sub(key, 1, prefixLen) == ARGV[2] then
        local groupKey = string.sub(key, 1, idx - 1)
        local res = redis.call("ZRANGE", key, 0, -1, "WITHSCORES")
        for i = 1, table.getn(res) - 1, 2 do
            redis.call("ZADD", groupKey, res[i + 1], res[i])
        end
        redis.call("DEL", key)
        local group = string.sub(groupKey, prefixLen + 1)
        if table.getn(res) > 0 and string.len(groupKey) > prefixLen then
            redis.call("SADD", KEYS[2], group)
        end
    end
end
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
return redis.status_reply("OK")
