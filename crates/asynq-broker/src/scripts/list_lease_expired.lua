-- ListLeaseExpired for one queue (spec 4.22).
-- KEYS[1] lease zset
-- ARGV[1] cutoff (Unix seconds), ARGV[2] task key prefix
-- Returns the encoded messages of tasks whose lease expired at or before the cutoff, skipping
-- IDs whose task hash is missing.
local res = {}
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
for _, id in ipairs(ids) do
    local msg = redis.call("HGET", ARGV[2] .. id, "msg")
    if msg then
        table.insert(res, msg)
    end
end
return res
