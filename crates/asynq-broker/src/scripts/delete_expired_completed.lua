-- DeleteExpiredCompletedTasks, one batch (spec 4.21).
-- KEYS[1] completed zset
-- ARGV[1] now (Unix seconds), ARGV[2] task key prefix, ARGV[3] batch size
-- Returns the number of tasks deleted.
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1], "LIMIT", 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
    redis.call("DEL", ARGV[2] .. id)
    redis.call("ZREM", KEYS[1], id)
end
return table.getn(ids)
