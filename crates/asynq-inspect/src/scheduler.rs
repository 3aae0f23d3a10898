//! Periodic-task entries of live schedulers and their enqueue history (Go
//! `Inspector.SchedulerEntries`, `ListSchedulerEnqueueEvents`, spec §5.15).

use asynq_client::{Task, TaskOption};

use crate::error::InspectError;
use crate::info::{SchedulerEnqueueEvent, SchedulerEntry};
use crate::inspector::Inspector;
use crate::list::ListOptions;
use crate::servers::as_time;

impl Inspector {
    /// Every entry registered with a live scheduler (Go `Inspector.SchedulerEntries`).
    ///
    /// Reading prunes expired members of `asynq:schedulers`, as Go does; entries that are
    /// missing or cannot be decoded are skipped. Each entry's `task` is its type and payload
    /// (no headers, no options); `opts` are its option strings parsed with
    /// [`TaskOption`]'s `FromStr` (Go's `Option.String()` forms), strings that do not parse being
    /// skipped as in Go, which never panics here (Go's Inspector panics on a string without
    /// `(`). Unlike Go v0.26, `TaskID`, `Group` and `Header` options are kept. `prev` is `None`
    /// when the entry never fired (Go's zero time, seconds = −62135596800, or an absent field).
    /// Order: schedulers by expiry, then entries as the scheduler wrote them.
    ///
    /// # Errors
    /// [`InspectError::Broker`] when Redis fails.
    pub async fn scheduler_entries(&self) -> Result<Vec<SchedulerEntry>, InspectError> {
        let entries = self.broker.list_scheduler_entries().await?;
        Ok(entries
            .into_iter()
            .map(|e| SchedulerEntry {
                opts: e
                    .enqueue_options
                    .iter()
                    .filter_map(|s| s.parse::<TaskOption>().ok())
                    .collect(),
                task: Task::new(e.task_type, e.task_payload),
                next: as_time(e.next_enqueue_time.as_ref()),
                prev: asynq_proto::datetime_from_timestamp(e.prev_enqueue_time.as_ref()),
                id: e.id,
                spec: e.spec,
            })
            .collect())
    }

    /// A page of the enqueue events of scheduler entry `entry_id`, newest first (Go
    /// `Inspector.ListSchedulerEnqueueEvents`; page 1 of 30 by default). A scheduler keeps the
    /// last 1,000 events of each entry. An unknown entry gives an empty list; there is no check
    /// of the ID.
    ///
    /// # Errors
    /// [`InspectError::Broker`] when Redis fails or an event cannot be decoded (as in Go).
    pub async fn list_scheduler_enqueue_events(
        &self,
        entry_id: &str,
        opts: ListOptions,
    ) -> Result<Vec<SchedulerEnqueueEvent>, InspectError> {
        let (start, stop) = opts.range();
        let events = self
            .broker
            .list_scheduler_enqueue_events(entry_id, start, stop)
            .await?;
        Ok(events
            .into_iter()
            .map(|e| SchedulerEnqueueEvent {
                task_id: e.task_id,
                enqueued_at: as_time(e.enqueue_time.as_ref()),
            })
            .collect())
    }
}
