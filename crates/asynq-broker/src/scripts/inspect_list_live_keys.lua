-- ListServers / ListWorkers / ListSchedulerEntries key listing (spec 5.14, 5.15).
-- KEYS[1] asynq:servers, asynq:workers or asynq:schedulers
-- ARGV[1] now (Unix seconds)
-- Returns the members whose expiry score is >= now, after removing those with score <= now - 1.
local now = tonumber(ARGV[1])
local live = redis.call("ZRANGEBYSCORE", KEYS[1], now, "+inf")
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - 1)
return live
