-- WriteServerState, the per-server part (spec 4.24).
-- KEYS[1] server info key, KEYS[2] workers key
-- ARGV[1] TTL in whole seconds, ARGV[2] encoded ServerInfo, then pairs of
-- (task ID, encoded WorkerInfo)
redis.call("SETEX", KEYS[1], ARGV[1], ARGV[2])
redis.call("DEL", KEYS[2])
for i = 3, table.getn(ARGV) - 1, 2 do
    redis.call("HSET", KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call("EXPIRE", KEYS[2], ARGV[1])
return redis.status_reply("OK")
