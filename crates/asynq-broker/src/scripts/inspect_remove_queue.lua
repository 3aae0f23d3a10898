-- RemoveQueue without force (spec 5.13).
-- KEYS[1] pending, KEYS[2] active, KEYS[3] scheduled, KEYS[4] retry, KEYS[5] archived,
-- KEYS[6] lease
-- ARGV[1] task key prefix asynq:{q}:t: (unused: nothing is deleted when a task exists)
-- Returns -1 when any of the five indexes holds an ID; otherwise DELs the six keys and
-- returns 1. Completed, groups, paused and the counters are left alone (Go parity).
if redis.call("LLEN", KEYS[1]) > 0 or redis.call("LLEN", KEYS[2]) > 0
    or redis.call("ZCARD", KEYS[3]) > 0 or redis.call("ZCARD", KEYS[4]) > 0
    or redis.call("ZCARD", KEYS[5]) > 0 then
    return -1
end
redis.call("DEL", KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
return 1
