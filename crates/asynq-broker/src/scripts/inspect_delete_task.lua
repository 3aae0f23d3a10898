-- DeleteTask (spec 5.11); inspect_unindex.lua is prepended.
-- KEYS[1] task key, KEYS[2] groups set
-- ARGV[1] task ID, ARGV[2] queue key prefix asynq:{q}:, ARGV[3] group key prefix asynq:{q}:g:
-- Returns 1 deleted, 0 no such task, -1 active; an error reply when the task is missing from
-- the index its state names. The unique lock named by the hash field unique_key is deleted
-- only while it still holds this task's ID.
if redis.call("EXISTS", KEYS[1]) == 0 then
    return 0
end
local state, group = unpack(redis.call("HMGET", KEYS[1], "state", "group"))
if state == "active" then
    return -1
end
local err = unindex(ARGV[1], state, group, ARGV[2], ARGV[3], KEYS[2], 0,
    "task is not found in list: ", "task is not found in zset: ")
if err then
    return err
end
local unique_key = redis.call("HGET", KEYS[1], "unique_key")
if unique_key and unique_key ~= "" and redis.call("GET", unique_key) == ARGV[1] then
    redis.call("DEL", unique_key)
end
return redis.call("DEL", KEYS[1])
