-- HistoricalStats (spec 5.4).
-- KEYS: processed:<day 0>, failed:<day 0>, processed:<day 1>, failed:<day 1>, ...
-- Returns the value of each key in order, as the stored string, or 0 when missing.
local out = {}
for _, key in ipairs(KEYS) do
    table.insert(out, redis.call("GET", key) or 0)
end
return out
