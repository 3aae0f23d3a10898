-- ListLeaseExpired for one queue (spec 4.22).
-- KEYS[1] lease zset
-- ARGV[1] cutoff (Unix seconds), ARGV[2] task key prefix
-- Returns, for each task whose lease expired at or before the cutoff, its ID followed by its
-- encoded message (a flat array id1, msg1, ...), skipping IDs whose task hash is missing.
local res = {}
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
for _, id in ipairs(ids) do
    local msg = redis.call("HGET", ARGV[2] .. id, "msg")
    if msg then
        table.insert(res, id)
        table.insert(res, msg)
    end
end
return res
