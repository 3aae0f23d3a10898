-- RunTask (spec 5.9): moves one task of any state but active and pending to pending;
-- wakeup.lua and inspect_unindex.lua are prepended.
-- KEYS[1] task key, KEYS[2] pending list, KEYS[3] groups set
-- ARGV[1] task ID, ARGV[2] queue key prefix asynq:{q}:, ARGV[3] group key prefix asynq:{q}:g:
-- Returns 1 moved, 0 no such task, -1 active, -2 already pending; an error reply when the task
-- is missing from the index its state names. The message and pending_since are not touched,
-- and the group field stays in the hash (Go parity).
if redis.call("EXISTS", KEYS[1]) == 0 then
    return 0
end
local state, group = unpack(redis.call("HMGET", KEYS[1], "state", "group"))
if state == "active" then
    return -1
elseif state == "pending" then
    return -2
end
local err = unindex(ARGV[1], state, group, ARGV[2], ARGV[3], KEYS[3], 1,
    "internal error: task id not found in list ", "internal error: task id not found in zset ")
if err then
    return err
end
if redis.call("LPUSH", KEYS[2], ARGV[1]) == 1 then
    wake_idle_workers(KEYS[2])
end
redis.call("HSET", KEYS[1], "state", "pending")
return 1
