-- Archive (spec 4.14).
-- KEYS[1] task key, KEYS[2] active, KEYS[3] lease, KEYS[4] archived zset, KEYS[5] processed
-- daily, KEYS[6] failed daily, KEYS[7] processed total, KEYS[8] failed total, KEYS[9] task key
-- prefix
-- ARGV[1] task ID, ARGV[2] encoded modified TaskMessage, ARGV[3] now (Unix seconds, the score),
-- ARGV[4] cutoff = now - 90 days (Unix seconds), ARGV[5] max size (10000), ARGV[6] daily-stats
-- expiry, ARGV[7] MaxInt64
-- Unlike Go (quirk Q24) the trims remove entries by score and rank ranges, never by unpacking
-- the IDs into one call, so they complete however many entries are due.
if redis.call("LREM", KEYS[2], 0, ARGV[1]) == 0 then
    return redis.error_reply("NOT FOUND")
end
if redis.call("ZREM", KEYS[3], ARGV[1]) == 0 then
    return redis.error_reply("NOT FOUND")
end
redis.call("ZADD", KEYS[4], ARGV[3], ARGV[1])
local old = redis.call("ZRANGE", KEYS[4], "-inf", ARGV[4], "BYSCORE")
if #old > 0 then
    for _, id in ipairs(old) do
        redis.call("DEL", KEYS[9] .. id)
    end
    redis.call("ZREMRANGEBYSCORE", KEYS[4], "-inf", ARGV[4])
end
local stop = -tonumber(ARGV[5])
local excess = redis.call("ZRANGE", KEYS[4], 0, stop)
if #excess > 0 then
    for _, id in ipairs(excess) do
        redis.call("DEL", KEYS[9] .. id)
    end
    redis.call("ZREMRANGEBYRANK", KEYS[4], 0, stop)
end
redis.call("HSET", KEYS[1], "msg", ARGV[2], "state", "archived")
incr_daily(KEYS[5], ARGV[6])
incr_daily(KEYS[6], ARGV[6])
incr_totals(ARGV[7], KEYS[7], KEYS[8])
return redis.status_reply("OK")
