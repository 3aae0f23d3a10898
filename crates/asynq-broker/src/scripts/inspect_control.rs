//! Scripts of the Inspector's control operations (spec §5.9–5.13).
//!
//! The archive scripts share `inspect_archive_trim.lua` (the trim of the archived zset, which
//! also deletes the trimmed tasks' hashes as the worker-side archive does), and the single-task
//! scripts `inspect_unindex.lua` (removing an ID from the index its state names), prepended to
//! their text. The run scripts wake idle workers (`wakeup.lua`) when they fill an empty pending list.

use std::sync::LazyLock;

use fred::types::scripts::Script;

/// A script with helper files (`inspect_archive_trim.lua`, `inspect_unindex.lua`,
/// `wakeup.lua`) prepended to its text.
macro_rules! with_helpers {
    ($(#[$doc:meta])* $name:ident, [$($helper:literal),+], $file:literal) => {
        $(#[$doc])*
        pub(crate) static $name: LazyLock<Script> = LazyLock::new(|| {
            Script::from_lua(concat!($(include_str!($helper),)+ include_str!($file)))
        });
    };
}

with_helpers!(/// Spec 5.9, RunTask.
    INSPECT_RUN_TASK, ["wakeup.lua", "inspect_unindex.lua"], "inspect_run_task.lua");
script!(/// Spec 5.9, RunAllScheduledTasks / RunAllRetryTasks / RunAllArchivedTasks.
    INSPECT_RUN_ALL, wakeup + "inspect_run_all.lua");
script!(/// Spec 5.9, RunAllAggregatingTasks.
    INSPECT_RUN_ALL_AGGREGATING, wakeup + "inspect_run_all_aggregating.lua");
with_helpers!(/// Spec 5.10, ArchiveTask.
    INSPECT_ARCHIVE_TASK, ["inspect_archive_trim.lua", "inspect_unindex.lua"], "inspect_archive_task.lua");
with_helpers!(/// Spec 5.10, ArchiveAllScheduledTasks / ArchiveAllRetryTasks.
    INSPECT_ARCHIVE_ALL, ["inspect_archive_trim.lua"], "inspect_archive_all.lua");
with_helpers!(/// Spec 5.10, ArchiveAllPendingTasks.
    INSPECT_ARCHIVE_ALL_PENDING, ["inspect_archive_trim.lua"], "inspect_archive_all_pending.lua");
with_helpers!(/// Spec 5.10, ArchiveAllAggregatingTasks.
    INSPECT_ARCHIVE_ALL_AGGREGATING, ["inspect_archive_trim.lua"], "inspect_archive_all_aggregating.lua");
with_helpers!(/// Spec 5.11, DeleteTask.
    INSPECT_DELETE_TASK, ["inspect_unindex.lua"], "inspect_delete_task.lua");
script!(/// Spec 5.11, DeleteAll{Scheduled,Retry,Archived,Completed}Tasks.
    INSPECT_DELETE_ALL, "inspect_delete_all.lua");
script!(/// Spec 5.11, DeleteAllPendingTasks.
    INSPECT_DELETE_ALL_PENDING, "inspect_delete_all_pending.lua");
script!(/// Spec 5.11, DeleteAllAggregatingTasks.
    INSPECT_DELETE_ALL_AGGREGATING, "inspect_delete_all_aggregating.lua");
script!(/// Spec 5.12, UpdateTaskPayload.
    INSPECT_UPDATE_TASK_PAYLOAD, "inspect_update_task_payload.lua");
script!(/// Spec 5.13, RemoveQueue without force.
    INSPECT_REMOVE_QUEUE, "inspect_remove_queue.lua");
script!(/// Spec 5.13, RemoveQueue with force.
    INSPECT_REMOVE_QUEUE_FORCE, "inspect_remove_queue_force.lua");
