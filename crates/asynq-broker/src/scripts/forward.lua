-- ForwardIfReady: move due scheduled or retry tasks (spec 4.15).
-- KEYS[1] source zset (scheduled or retry), KEYS[2] pending list, KEYS[3] the queue's
-- `groups` set
-- ARGV[1] now (Unix seconds), ARGV[2] task key prefix, ARGV[3] now (Unix nanoseconds),
-- ARGV[4] group key prefix
-- Returns the number of tasks moved (at most 100 per call). Filling an empty pending list wakes
-- idle workers (wakeup.lua). A task put back into its group also registers the group name in
-- KEYS[3] (Go does not, quirk Q4; without it Go's GetQueueInfo and aggregator miss the group
-- once it had been emptied and unregistered).
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1], "LIMIT", 0, 100)
local pushed = 0
for _, id in ipairs(ids) do
    local key = ARGV[2] .. id
    local group = redis.call("HGET", key, "group")
    if group and group ~= "" then
        redis.call("ZADD", ARGV[4] .. group, ARGV[1], id)
        redis.call("SADD", KEYS[3], group)
        redis.call("ZREM", KEYS[1], id)
        redis.call("HSET", key, "state", "aggregating")
    else
        if redis.call("LPUSH", KEYS[2], id) == 1 then
            pushed = 1
        end
        redis.call("ZREM", KEYS[1], id)
        redis.call("HSET", key, "state", "pending", "pending_since", ARGV[3])
    end
end
if pushed == 1 then
    wake_idle_workers(KEYS[2])
end
return table.getn(ids)
