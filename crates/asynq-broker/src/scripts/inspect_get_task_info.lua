-- GetTaskInfo (spec 5.6).
-- KEYS[1] task key
-- ARGV[1] task ID, ARGV[2] now (Unix seconds), ARGV[3] queue key prefix
-- Returns {msg, state, next process-at (Unix seconds; 0 when not applicable), result}, or the
-- error reply "NOT FOUND" when the task hash does not exist.
if redis.call("EXISTS", KEYS[1]) == 0 then
    return redis.error_reply("NOT FOUND")
end
local fields = redis.call("HMGET", KEYS[1], "msg", "state", "result")
local state = fields[2]
local at = 0
if state == "scheduled" or state == "retry" then
    at = redis.call("ZSCORE", ARGV[3] .. state, ARGV[1]) or 0
elseif state == "pending" then
    at = ARGV[2]
end
return {fields[1], state, at, fields[3]}
