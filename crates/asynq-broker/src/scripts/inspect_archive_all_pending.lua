-- ArchiveAllPendingTasks (spec 5.10); inspect_archive_trim.lua is prepended.
-- KEYS[1] pending list, KEYS[2] archived zset
-- ARGV[1] now (Unix seconds), ARGV[2] cutoff (Unix seconds), ARGV[3] max archive size (10000),
-- ARGV[4] task key prefix asynq:{q}:t:
-- As inspect_archive_all.lua with the pending list as source (pending_since stays in the hash,
-- Go parity). Returns the count.
local ids = redis.call("LRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
    redis.call("ZADD", KEYS[2], ARGV[1], id)
    redis.call("HSET", ARGV[4] .. id, "state", "archived")
end
trim_archived(KEYS[2], ARGV[2], ARGV[3], ARGV[4])
redis.call("DEL", KEYS[1])
return #ids
