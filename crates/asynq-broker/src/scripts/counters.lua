-- Counter helpers prepended to done.lua, mark_complete.lua, retry.lua and archive.lua
-- (spec 6.26).

-- INCR a daily counter; on its first increment (value 1) EXPIREAT it at expire_at (Unix seconds).
local function incr_daily(key, expire_at)
    local n = redis.call("INCR", key)
    if tonumber(n) == 1 then
        redis.call("EXPIREAT", key, expire_at)
    end
end

-- INCR the total counters `first` and, if given, `second`; when `first` equals max_int (Go's
-- MaxInt64, compared as Lua numbers like Go's scripts) SET them to 1 instead.
local function incr_totals(max_int, first, second)
    local total = redis.call("GET", first)
    if tonumber(total) == tonumber(max_int) then
        redis.call("SET", first, 1)
        if second then
            redis.call("SET", second, 1)
        end
    else
        redis.call("INCR", first)
        if second then
            redis.call("INCR", second)
        end
    end
end

