-- Wake-up of idle Rust workers (not part of Go's protocol; Go readers never see it).
-- When a push makes a pending list go from empty to one task, the script publishes on the
-- queue's wake-up channel `asynq:{q}:wakeup` (the pending key `asynq:{q}:pending` with
-- `pending` replaced by `wakeup`). Rust workers subscribed to it fetch at once instead of
-- waiting for their next poll. It is a pub/sub message only: no key is read or written.
-- `pcall`: where an ACL user may not publish on the channel, the enqueue still succeeds and the
-- workers find the task by polling, as Go's do.
local function wake_idle_workers(pending_key)
    redis.pcall("PUBLISH", string.sub(pending_key, 1, -8) .. "wakeup", "")
end
