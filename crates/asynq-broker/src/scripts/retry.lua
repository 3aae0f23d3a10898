-- Retry (spec 4.13).
-- KEYS[1] task key, KEYS[2] active, KEYS[3] lease, KEYS[4] retry zset, KEYS[5] processed daily,
-- KEYS[6] failed daily, KEYS[7] processed total, KEYS[8] failed total
-- ARGV[1] task ID, ARGV[2] encoded modified TaskMessage, ARGV[3] retry-at (Unix seconds),
-- ARGV[4] daily-stats expiry, ARGV[5] is_failure (1/0), ARGV[6] MaxInt64
if redis.call("LREM", KEYS[2], 0, ARGV[1]) == 0 then
    return redis.error_reply("NOT FOUND")
end
if redis.call("ZREM", KEYS[3], ARGV[1]) == 0 then
    return redis.error_reply("NOT FOUND")
end
redis.call("ZADD", KEYS[4], ARGV[3], ARGV[1])
redis.call("HSET", KEYS[1], "msg", ARGV[2], "state", "retry")
if tonumber(ARGV[5]) == 1 then
    incr_daily(KEYS[5], ARGV[4])
    incr_daily(KEYS[6], ARGV[4])
    incr_totals(ARGV[6], KEYS[7], KEYS[8])
end
return redis.status_reply("OK")
