-- GroupStats (spec 5.7).
-- KEYS[1] groups set
-- ARGV[1] group key prefix
-- Returns a flat array of (group name, number of tasks in the group) pairs.
local out = {}
for _, g in ipairs(redis.call("SMEMBERS", KEYS[1])) do
    table.insert(out, g)
    table.insert(out, redis.call("ZCARD", ARGV[1] .. g))
end
return out
