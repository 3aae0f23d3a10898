-- UpdateTaskPayload (spec 5.12).
-- KEYS[1] task key
-- ARGV[1] the new encoded TaskMessage
-- Returns 1 updated, 0 no such task, -1 not scheduled. Writes msg and rewrites state and
-- whichever of pending_since, group and unique_key exist with their current values.
if redis.call("EXISTS", KEYS[1]) == 0 then
    return 0
end
local state, pending_since, group, unique_key =
    unpack(redis.call("HMGET", KEYS[1], "state", "pending_since", "group", "unique_key"))
if state ~= "scheduled" then
    return -1
end
local fields = {"msg", ARGV[1], "state", state}
if pending_since then
    table.insert(fields, "pending_since")
    table.insert(fields, pending_since)
end
if group then
    table.insert(fields, "group")
    table.insert(fields, group)
end
if unique_key then
    table.insert(fields, "unique_key")
    table.insert(fields, unique_key)
end
redis.call("HSET", KEYS[1], unpack(fields))
return 1
