-- DeleteTask (spec 5.11).
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
if state == "pending" then
    local lkey = ARGV[2] .. state
    if redis.call("LREM", lkey, 0, ARGV[1]) == 0 then
        return redis.error_reply("task is not found in list: " .. lkey)
    end
elseif state == "aggregating" then
    local gkey = ARGV[3] .. tostring(group)
    if redis.call("ZREM", gkey, ARGV[1]) == 0 then
        return redis.error_reply("task is not found in zset: " .. gkey)
    end
    if redis.call("ZCARD", gkey) == 0 then
        redis.call("SREM", KEYS[2], group)
    end
else
    local zkey = ARGV[2] .. tostring(state)
    if redis.call("ZREM", zkey, ARGV[1]) == 0 then
        return redis.error_reply("task is not found in zset: " .. zkey)
    end
end
local unique_key = redis.call("HGET", KEYS[1], "unique_key")
if unique_key and unique_key ~= "" and redis.call("GET", unique_key) == ARGV[1] then
    redis.call("DEL", unique_key)
end
return redis.call("DEL", KEYS[1])
