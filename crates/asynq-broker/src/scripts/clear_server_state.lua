-- ClearServerState, the per-server part (spec 4.24).
-- KEYS[1] server info key, KEYS[2] workers key
redis.call("DEL", KEYS[1])
redis.call("DEL", KEYS[2])
return redis.status_reply("OK")
