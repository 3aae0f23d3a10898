-- Approximate memory usage of one queue, by sampling (spec 5.3, Go memoryUsageCmd).
-- KEYS[1] active, KEYS[2] pending, KEYS[3] scheduled, KEYS[4] retry, KEYS[5] archived,
-- KEYS[6] completed, KEYS[7] groups set
-- ARGV[1] task key prefix, ARGV[2] sample size per index (20), ARGV[3] number of groups sampled
-- (5), ARGV[4] group key prefix
-- Returns the estimate in bytes (a Lua number, truncated to an integer by Redis).
-- Like Go master (not v0.26), IDs without a task hash count as 0 bytes and the group average is
-- only added when at least one task was sampled, so the script never fails or returns NaN.
local sample = tonumber(ARGV[2])
if sample <= 0 then
    return redis.error_reply("sample size must be a positive number")
end
local function usage(key)
    return redis.call("MEMORY", "USAGE", key) or 0
end
local total = 0
local function add_index(key, ids, count)
    if #ids > 0 then
        local sum = 0
        for _, id in ipairs(ids) do
            sum = sum + usage(ARGV[1] .. id)
        end
        total = total + (sum / #ids) * count
    end
    total = total + usage(key)
end
for i = 1, 2 do
    add_index(KEYS[i], redis.call("LRANGE", KEYS[i], 0, sample - 1), redis.call("LLEN", KEYS[i]))
end
for i = 3, 6 do
    add_index(KEYS[i], redis.call("ZRANGE", KEYS[i], 0, sample - 1), redis.call("ZCARD", KEYS[i]))
end
local groups = redis.call("SMEMBERS", KEYS[7])
local ngroups_sampled = tonumber(ARGV[3])
local grouped, gsum, gn = 0, 0, 0
for i, g in ipairs(groups) do
    local gkey = ARGV[4] .. g
    grouped = grouped + redis.call("ZCARD", gkey)
    if i <= ngroups_sampled then
        for _, id in ipairs(redis.call("ZRANGE", gkey, 0, sample - 1)) do
            gsum = gsum + usage(ARGV[1] .. id)
            gn = gn + 1
        end
    end
end
if gn > 0 then
    total = total + (gsum / gn) * grouped
end
return total
