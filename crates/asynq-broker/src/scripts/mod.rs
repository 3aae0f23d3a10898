//! The Lua scripts, one `.lua` file each, run with EVALSHA and reloaded on `NOSCRIPT`.
//!
//! Each script keeps Go's KEYS/ARGV order, check order and return codes (spec §4), so it can be
//! held against the specification line by line. Every call passes at least one declared key of
//! the queue's `{q}` slot, so Redis Cluster routes it to the right node.

use std::sync::LazyLock;

use fred::types::scripts::Script;

macro_rules! script {
    ($(#[$doc:meta])* $name:ident, $file:literal) => {
        $(#[$doc])*
        pub(crate) static $name: LazyLock<Script> =
            LazyLock::new(|| Script::from_lua(include_str!($file)));
    };
    // A script that wakes idle workers with `wakeup.lua`, prepended to its text.
    ($(#[$doc:meta])* $name:ident, wakeup + $file:literal) => {
        $(#[$doc])*
        pub(crate) static $name: LazyLock<Script> = LazyLock::new(|| {
            Script::from_lua(concat!(include_str!("wakeup.lua"), include_str!($file)))
        });
    };
    // A script that uses the counter helpers of `counters.lua`, prepended to its text.
    ($(#[$doc:meta])* $name:ident, counters + $file:literal) => {
        $(#[$doc])*
        pub(crate) static $name: LazyLock<Script> = LazyLock::new(|| {
            Script::from_lua(concat!(include_str!("counters.lua"), include_str!($file)))
        });
    };
}

script!(/// Spec 4.2.
    ENQUEUE, wakeup + "enqueue.lua");
script!(/// Spec 4.2 for several tasks of one queue in one call (group commit, batch enqueue).
    ENQUEUE_MANY, wakeup + "enqueue_many.lua");
script!(/// Spec 4.3.
    ENQUEUE_UNIQUE, wakeup + "enqueue_unique.lua");
script!(/// Spec 4.4.
    SCHEDULE, "schedule.lua");
script!(/// Spec 4.5.
    SCHEDULE_UNIQUE, "schedule_unique.lua");
script!(/// Spec 4.9.
    DEQUEUE, "dequeue.lua");
script!(/// Spec 4.10, both variants.
    DONE, counters + "done.lua");
script!(/// Spec 4.11, both variants.
    MARK_COMPLETE, counters + "mark_complete.lua");
script!(/// Spec 4.12.
    REQUEUE, wakeup + "requeue.lua");
script!(/// Spec 4.13.
    RETRY, counters + "retry.lua");
script!(/// Spec 4.14.
    ARCHIVE, counters + "archive.lua");
script!(/// Spec 4.15.
    FORWARD, wakeup + "forward.lua");
script!(/// Spec 4.21.
    DELETE_EXPIRED_COMPLETED, "delete_expired_completed.lua");
script!(/// Spec 4.22.
    LIST_LEASE_EXPIRED, "list_lease_expired.lua");
script!(/// Spec 4.24.
    WRITE_SERVER_STATE, "write_server_state.lua");
script!(/// Spec 4.24.
    CLEAR_SERVER_STATE, "clear_server_state.lua");
script!(/// Spec 4.6.
    ADD_TO_GROUP, "add_to_group.lua");
script!(/// Spec 4.7.
    ADD_TO_GROUP_UNIQUE, "add_to_group_unique.lua");
script!(/// Spec 4.17.
    AGGREGATION_CHECK, "aggregation_check.lua");
script!(/// Spec 4.18 (deadline and ID/message pairs in one reply).
    READ_AGGREGATION_SET, "read_aggregation_set.lua");
script!(/// Spec 4.19.
    DELETE_AGGREGATION_SET, "delete_aggregation_set.lua");
script!(/// Spec 4.20, also re-registering the group name (quirk Q5).
    RECLAIM_STALE_AGGREGATION_SETS, "reclaim_stale_aggregation_sets.lua");

// Inspector scripts (spec §5); declared after the macro so they can use it.
mod inspect_control;
mod inspect_read;
#[allow(unused_imports)]
pub(crate) use inspect_control::*;
#[allow(unused_imports)]
pub(crate) use inspect_read::*;
