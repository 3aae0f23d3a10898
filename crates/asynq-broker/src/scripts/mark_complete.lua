-- MarkAsComplete: success with retention > 0 (spec 4.11). Both Go variants in one script:
-- KEYS[7] is passed only when the task holds a unique lock.
-- KEYS[1] active, KEYS[2] lease, KEYS[3] completed zset, KEYS[4] task key, KEYS[5] processed
-- daily, KEYS[6] processed total, KEYS[7] unique key (optional)
-- ARGV[1] task ID, ARGV[2] daily-stats expiry, ARGV[3] task expiry (completed_at + retention,
-- Unix seconds), ARGV[4] encoded TaskMessage with completed_at set, ARGV[5] MaxInt64
if redis.call("LREM", KEYS[1], 0, ARGV[1]) == 0 then
    return redis.error_reply("NOT FOUND")
end
if redis.call("ZREM", KEYS[2], ARGV[1]) == 0 then
    return redis.error_reply("NOT FOUND")
end
if redis.call("ZADD", KEYS[3], ARGV[3], ARGV[1]) ~= 1 then
    return redis.error_reply("INTERNAL")
end
redis.call("HSET", KEYS[4], "msg", ARGV[4], "state", "completed")
incr_daily(KEYS[5], ARGV[2])
incr_totals(ARGV[5], KEYS[6])
if KEYS[7] and redis.call("GET", KEYS[7]) == ARGV[1] then
    redis.call("DEL", KEYS[7])
end
return redis.status_reply("OK")
