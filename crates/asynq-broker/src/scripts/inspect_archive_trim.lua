-- Shared by the Inspector archive scripts (spec 5.10), prepended to their text.
-- Trims the archived zset as Go does (age first: score <= cutoff; then ranks 0 .. -max, so at
-- most max - 1 entries remain) and, unlike Go, also deletes the trimmed tasks' hashes, as the
-- worker-side archive does, so no orphan hash is left behind. Works by score and rank ranges,
-- never by unpacking the IDs, so any number of due entries is trimmed.
local function trim_archived(archived, cutoff, max, task_prefix)
    local old = redis.call("ZRANGE", archived, "-inf", cutoff, "BYSCORE")
    if #old > 0 then
        for _, id in ipairs(old) do
            redis.call("DEL", task_prefix .. id)
        end
        redis.call("ZREMRANGEBYSCORE", archived, "-inf", cutoff)
    end
    local stop = -tonumber(max)
    local excess = redis.call("ZRANGE", archived, 0, stop)
    if #excess > 0 then
        for _, id in ipairs(excess) do
            redis.call("DEL", task_prefix .. id)
        end
        redis.call("ZREMRANGEBYRANK", archived, 0, stop)
    end
end
