-- AggregationCheck: move the tasks of a group that is ready into a new aggregation set
-- (spec 4.17).
-- KEYS[1] group zset `asynq:{q}:g:<g>`, KEYS[2] aggregation set `asynq:{q}:g:<g>:<set id>`,
-- KEYS[3] `asynq:{q}:aggregation_sets`, KEYS[4] `asynq:{q}:groups`
-- ARGV[1] max size (0 = unlimited), ARGV[2] max delay (whole seconds, 0 = none), ARGV[3] grace
-- period (whole seconds), ARGV[4] set deadline (Unix seconds), ARGV[5] tick time t (Unix
-- seconds), ARGV[6] group name
-- Returns 1 when a set was created, 0 otherwise. Triggers in Go's order: size, max delay, grace
-- period.
local size = redis.call("ZCARD", KEYS[1])
if size == 0 then
    return 0
end
local maxSize = tonumber(ARGV[1])

-- Moves the members at ranks 0 .. maxSize-1 (all of them for max size 0) into the set with their
-- original scores and registers the set under its full key.
local function move()
    local res = redis.call("ZRANGE", KEYS[1], 0, maxSize - 1, "WITHSCORES")
    for i = 1, table.getn(res) - 1, 2 do
        redis.call("ZADD", KEYS[2], res[i + 1], res[i])
    end
    redis.call("ZREMRANGEBYRANK", KEYS[1], 0, maxSize - 1)
    redis.call("ZADD", KEYS[3], ARGV[4], KEYS[2])
end

if maxSize ~= 0 and size >= maxSize then
    move()
    if size == maxSize then
        redis.call("SREM", KEYS[4], ARGV[6])
    end
    return 1
end
local currentTime = tonumber(ARGV[5])
local maxDelay = tonumber(ARGV[2])
if maxDelay ~= 0 then
    local oldest = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
    if tonumber(oldest[2]) <= currentTime - maxDelay then
        move()
        if size <= maxSize or maxSize == 0 then
            redis.call("SREM", KEYS[4], ARGV[6])
        end
        return 1
    end
end
local latest = redis.call("ZREVRANGE", KEYS[1], 0, 0, "WITHSCORES")
if tonumber(latest[2]) <= currentTime - tonumber(ARGV[3]) then
    move()
    if size <= maxSize or maxSize == 0 then
        redis.call("SREM", KEYS[4], ARGV[6])
    end
    return 1
end
return 0
