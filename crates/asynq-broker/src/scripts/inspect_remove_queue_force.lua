-- RemoveQueue with force (spec 5.13).
-- KEYS[1] pending, KEYS[2] active, KEYS[3] scheduled, KEYS[4] retry, KEYS[5] archived,
-- KEYS[6] lease
-- ARGV[1] task key prefix asynq:{q}:t:
-- Returns -2 when active is not empty; otherwise DELs the hash of every ID in pending,
-- scheduled, retry and archived, then the six keys, and returns 1. Completed, groups, paused,
-- the counters and unique locks are left alone (Go parity).
if redis.call("LLEN", KEYS[2]) > 0 then
    return -2
end
for _, id in ipairs(redis.call("LRANGE", KEYS[1], 0, -1)) do
    redis.call("DEL", ARGV[1] .. id)
end
for i = 3, 5 do
    for _, id in ipairs(redis.call("ZRANGE", KEYS[i], 0, -1)) do
        redis.call("DEL", ARGV[1] .. id)
    end
end
redis.call("DEL", KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
return 1
