-- Dequeue from one queue (spec 4.9).
-- KEYS[1] pending list, KEYS[2] paused key, KEYS[3] active list, KEYS[4] lease zset
-- ARGV[1] lease expiry in Unix seconds (now + 30 s), ARGV[2] task key prefix
-- Returns the encoded TaskMessage of the task moved to active, or nil when the queue is paused
-- or empty.
-- Unlike Go (quirk Q23), an ID whose task hash is missing is dropped instead of being left in
-- active and lease with a made-up hash, so no dangling index entry is ever produced.
if redis.call("EXISTS", KEYS[2]) == 1 then
    return nil
end
while true do
    local id = redis.call("RPOPLPUSH", KEYS[1], KEYS[3])
    if not id then
        return nil
    end
    local key = ARGV[2] .. id
    local msg = redis.call("HGET", key, "msg")
    if msg then
        redis.call("HSET", key, "state", "active")
        redis.call("HDEL", key, "pending_since")
        redis.call("ZADD", KEYS[4], ARGV[1], id)
        return msg
    end
    redis.call("LREM", KEYS[3], 1, id)
end
