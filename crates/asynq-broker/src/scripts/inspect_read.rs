//! Scripts of the Inspector's read operations (spec §5.3–5.8, 5.14, 5.15).

use super::*;

script!(/// Spec 5.3: counts, counters, paused flag, head `pending_since`, groups.
    INSPECT_CURRENT_STATS, "inspect_current_stats.lua");
script!(/// Spec 5.3: sampled memory usage of a queue.
    INSPECT_MEMORY_USAGE, "inspect_memory_usage.lua");
script!(/// Spec 5.4: the daily counters of the last n days.
    INSPECT_HISTORICAL_STATS, "inspect_historical_stats.lua");
script!(/// Spec 5.6.
    INSPECT_GET_TASK_INFO, "inspect_get_task_info.lua");
script!(/// Spec 5.7.
    INSPECT_GROUP_STATS, "inspect_group_stats.lua");
script!(/// Spec 5.8: a page of `pending` or `active` (with lease scores).
    INSPECT_LIST_MESSAGES, "inspect_list_messages.lua");
script!(/// Spec 5.8: a page of a task ZSET (scheduled, retry, archived, completed, group).
    INSPECT_LIST_ZSET, "inspect_list_zset.lua");
script!(/// Spec 5.14, 5.15: live members of `asynq:servers`, `asynq:workers` or
    /// `asynq:schedulers`, pruning expired ones.
    INSPECT_LIST_LIVE_KEYS, "inspect_list_live_keys.lua");
