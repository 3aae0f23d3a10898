-- Enqueue of several tasks of one queue in one call (Rust only: Go never sends this script,
-- and what it writes is exactly what one enqueue.lua call per task, in argument order, writes).
-- KEYS[1] pending list, KEYS[1 + i] task key of task i
-- ARGV[3i - 2] encoded TaskMessage of task i, ARGV[3i - 1] its ID,
-- ARGV[3i] its own now in Unix nanoseconds (pending_since)
-- Returns an array with one entry per task: 1 on success, 0 when the task ID already exists
-- (checked in order, so of two tasks with one ID in the same call the first wins).
-- The inserted IDs are pushed in argument order, leftmost last, as one LPUSH each would; a
-- push onto an empty pending list wakes idle workers (wakeup.lua), once per call, as the
-- first of one-per-task calls would.
local res = {}
local ids = {}
for i = 2, #KEYS do
    local a = (i - 2) * 3
    if redis.call("EXISTS", KEYS[i]) == 1 then
        res[i - 1] = 0
    else
        redis.call("HSET", KEYS[i], "msg", ARGV[a + 1], "state", "pending", "pending_since", ARGV[a + 3])
        ids[#ids + 1] = ARGV[a + 2]
        res[i - 1] = 1
    end
end
-- LPUSH in slices of at most 1000 IDs (unpack is bounded by the Lua stack).
local first = 1
while first <= #ids do
    local last = math.min(first + 999, #ids)
    local len = redis.call("LPUSH", KEYS[1], unpack(ids, first, last))
    if first == 1 and len == last then
        wake_idle_workers(KEYS[1])
    end
    first = last + 1
end
return res
