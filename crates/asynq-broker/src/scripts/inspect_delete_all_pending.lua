-- DeleteAllPendingTasks (spec 5.11).
-- KEYS[1] pending list
-- ARGV[1] task key prefix asynq:{q}:t:
-- DEL every task hash, then the list. Unique locks are NOT released (Go parity). Returns the
-- count.
local ids = redis.call("LRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
    redis.call("DEL", ARGV[1] .. id)
end
redis.call("DEL", KEYS[1])
return #ids
