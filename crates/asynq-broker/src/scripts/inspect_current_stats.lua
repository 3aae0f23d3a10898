-- CurrentStats of one queue (spec 5.3).
-- KEYS[1] pending, KEYS[2] active, KEYS[3] scheduled, KEYS[4] retry, KEYS[5] archived,
-- KEYS[6] completed, KEYS[7] processed:<today>, KEYS[8] failed:<today>, KEYS[9] processed total,
-- KEYS[10] failed total, KEYS[11] paused, KEYS[12] groups set
-- ARGV[1] task key prefix, ARGV[2] group key prefix
-- Returns a flat array of (label, value) pairs like Go's script. Counters and pending_since are
-- returned as the stored strings (not converted to Lua numbers, which would lose precision);
-- a missing counter or pending_since is returned as 0.
local out = {}
local function put(label, value)
    table.insert(out, label)
    table.insert(out, value)
end
local npending = redis.call("LLEN", KEYS[1])
put(KEYS[1], npending)
put(KEYS[2], redis.call("LLEN", KEYS[2]))
for i = 3, 6 do
    put(KEYS[i], redis.call("ZCARD", KEYS[i]))
end
for i = 7, 10 do
    put(KEYS[i], redis.call("GET", KEYS[i]) or 0)
end
put(KEYS[11], redis.call("EXISTS", KEYS[11]))
local since = 0
if npending > 0 then
    local head = redis.call("LRANGE", KEYS[1], -1, -1)[1]
    since = redis.call("HGET", ARGV[1] .. head, "pending_since") or 0
end
put("oldest_pending_since", since)
local groups = redis.call("SMEMBERS", KEYS[12])
put("group_size", #groups)
local aggregating = 0
for _, g in ipairs(groups) do
    aggregating = aggregating + redis.call("ZCARD", ARGV[2] .. g)
end
put("aggregating_count", aggregating)
return out
