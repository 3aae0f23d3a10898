-- DeleteAllAggregatingTasks (spec 5.11).
-- KEYS[1] group zset asynq:{q}:g:<group>, KEYS[2] groups set
-- ARGV[1] task key prefix asynq:{q}:t:, ARGV[2] group name
-- DEL every task hash, SREM the group name, DEL the group. Unique locks are NOT released (Go
-- parity). Returns the count.
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
    redis.call("DEL", ARGV[1] .. id)
end
redis.call("SREM", KEYS[2], ARGV[2])
redis.call("DEL", KEYS[1])
return #ids
