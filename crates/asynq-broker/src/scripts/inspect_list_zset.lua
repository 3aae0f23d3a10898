-- A page of a sorted set of tasks: scheduled, retry, archived, completed or a group (spec 5.8,
-- Go listZSetEntriesCmd).
-- KEYS[1] sorted set
-- ARGV[1] start rank, ARGV[2] stop rank, ARGV[3] task key prefix
-- Returns a flat array of (id, msg, score, result) in ascending score order; msg and result are
-- nil when missing.
local out = {}
local pairs_ = redis.call("ZRANGE", KEYS[1], ARGV[1], ARGV[2], "WITHSCORES")
for i = 1, #pairs_, 2 do
    local id = pairs_[i]
    local fields = redis.call("HMGET", ARGV[3] .. id, "msg", "result")
    table.insert(out, id)
    table.insert(out, fields[1])
    table.insert(out, pairs_[i + 1])
    table.insert(out, fields[2])
end
return out
