-- Helper prepended to the Inspector's single-task scripts (run, archive, delete, spec 5.9-5.11).
-- Removes task `id` from the index its `state` names: the pending list (LREM with `list_count`),
-- its group's zset (and the group name from `groups_key` when the group is left empty), or the
-- queue's zset of that state. Returns nil, or an error reply `list_err`/`zset_err` followed by
-- the key when the ID is not in that index (each script keeps Go's wording).
local function unindex(id, state, group, queue_prefix, group_prefix, groups_key, list_count,
                       list_err, zset_err)
    if state == "pending" then
        local lkey = queue_prefix .. state
        if redis.call("LREM", lkey, list_count, id) == 0 then
            return redis.error_reply(list_err .. lkey)
        end
    elseif state == "aggregating" then
        local gkey = group_prefix .. tostring(group)
        if redis.call("ZREM", gkey, id) == 0 then
            return redis.error_reply(zset_err .. gkey)
        end
        if redis.call("ZCARD", gkey) == 0 then
            redis.call("SREM", groups_key, group)
        end
    else
        local zkey = queue_prefix .. tostring(state)
        if redis.call("ZREM", zkey, id) == 0 then
            return redis.error_reply(zset_err .. zkey)
        end
    end
    return nil
end
