-- ArchiveTask (spec 5.10); inspect_archive_trim.lua and inspect_unindex.lua are prepended.
-- KEYS[1] task key, KEYS[2] archived zset, KEYS[3] groups set
-- ARGV[1] task ID, ARGV[2] now (Unix seconds, the archived score), ARGV[3] cutoff = now - 90
-- days (Unix seconds), ARGV[4] max archive size (10000), ARGV[5] queue key prefix asynq:{q}:,
-- ARGV[6] group key prefix asynq:{q}:g:
-- Returns 1 archived, 0 no such task, -1 already archived, -2 active; an error reply when the
-- task is missing from the index its state names. The message is not rewritten, no counter
-- changes and the unique lock is kept (Go parity).
if redis.call("EXISTS", KEYS[1]) == 0 then
    return 0
end
local state, group = unpack(redis.call("HMGET", KEYS[1], "state", "group"))
if state == "active" then
    return -2
end
if state == "archived" then
    return -1
end
local err = unindex(ARGV[1], state, group, ARGV[5], ARGV[6], KEYS[3], 1,
    "task id not found in list ", "task id not found in zset ")
if err then
    return err
end
redis.call("ZADD", KEYS[2], ARGV[2], ARGV[1])
redis.call("HSET", KEYS[1], "state", "archived")
trim_archived(KEYS[2], ARGV[3], ARGV[4], ARGV[5] .. "t:")
return 1
