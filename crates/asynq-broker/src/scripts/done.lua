-- Done: success with retention 0, or RevokeTask (spec 4.10). Both Go variants in one script:
-- KEYS[6] is passed only when the task holds a unique lock (no empty key is ever sent).
-- KEYS[1] active, KEYS[2] lease, KEYS[3] task key, KEYS[4] processed daily, KEYS[5] processed
-- total, KEYS[6] unique key (optional)
-- ARGV[1] task ID, ARGV[2] daily-stats expiry (Unix seconds), ARGV[3] MaxInt64
if redis.call("LREM", KEYS[1], 0, ARGV[1]) == 0 then
    return redis.error_reply("NOT FOUND")
end
if redis.call("ZREM", KEYS[2], ARGV[1]) == 0 then
    return redis.error_reply("NOT FOUND")
end
if redis.call("DEL", KEYS[3]) == 0 then
    return redis.error_reply("NOT FOUND")
end
incr_daily(KEYS[4], ARGV[2])
incr_totals(ARGV[3], KEYS[5])
if KEYS[6] and redis.call("GET", KEYS[6]) == ARGV[1] then
    redis.call("DEL", KEYS[6])
end
return redis.status_reply("OK")
