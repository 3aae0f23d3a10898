-- Dequeue from one queue (spec 4.9), up to ARGV[3] tasks in one call.
-- KEYS[1] pending list, KEYS[2] paused key, KEYS[3] active list, KEYS[4] lease zset
-- ARGV[1] lease expiry in Unix seconds (now + 30 s), ARGV[2] task key prefix, ARGV[3] the most
-- tasks to take (at least 1)
-- Returns, for each task moved to active, oldest first, its ID followed by its encoded
-- TaskMessage (a flat array id1, msg1, id2, msg2, ...); an empty array when the queue is paused
-- or empty. The IDs let the caller name and archive a message it cannot decode.
-- Each task gets exactly Go's per-task effects (RPOPLPUSH pending -> active, state=active,
-- pending_since removed, lease score), so taking several at once is invisible to Go readers.
-- Unlike Go (quirk Q23), an ID whose task hash is missing is dropped instead of being left in
-- active and lease with a made-up hash, so no dangling index entry is ever produced; so is an
-- ID whose task key is not a hash.
local taken = {}
if redis.call("EXISTS", KEYS[2]) == 1 then
    return taken
end
local want = tonumber(ARGV[3])
while #taken < 2 * want do
    local id = redis.call("RPOPLPUSH", KEYS[1], KEYS[3])
    if not id then
        break
    end
    local key = ARGV[2] .. id
    -- pcall: a task key of another type (bad data) must not fail the script after the
    -- RPOPLPUSH, which would leave the ID in active without a lease.
    local msg = redis.pcall("HGET", key, "msg")
    if type(msg) == "table" then
        msg = false
    end
    if msg then
        redis.call("HSET", key, "state", "active")
        redis.call("HDEL", key, "pending_since")
        redis.call("ZADD", KEYS[4], ARGV[1], id)
        taken[#taken + 1] = id
        taken[#taken + 1] = msg
    else
        redis.call("LREM", KEYS[3], 1, id)
    end
end
return taken
