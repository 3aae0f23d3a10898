-- A page of a task list, pending or active (spec 5.8, Go listMessagesCmd).
-- KEYS[1] list key; optional KEYS[2] lease zset (active only)
-- ARGV[1] LRANGE start, ARGV[2] LRANGE stop (the caller mirrors the page, since IDs are
-- LPUSHed), ARGV[3] task key prefix
-- Returns a flat array of (id, msg, result, lease score) per ID in LRANGE order; msg and
-- result are nil when missing, the lease score is nil without KEYS[2] or without a lease.
local out = {}
for _, id in ipairs(redis.call("LRANGE", KEYS[1], ARGV[1], ARGV[2])) do
    local fields = redis.call("HMGET", ARGV[3] .. id, "msg", "result")
    local lease = false
    if KEYS[2] then
        lease = redis.call("ZSCORE", KEYS[2], id)
    end
    table.insert(out, id)
    table.insert(out, fields[1])
    table.insert(out, fields[2])
    table.insert(out, lease)
end
return out
