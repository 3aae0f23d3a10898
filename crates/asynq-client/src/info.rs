//! [`TaskInfo`]: what is known of a task after an enqueue or from the Inspector.

use std::collections::HashMap;
use std::time::Duration;

use asynq_broker::TaskState;
use asynq_proto::TaskMessage;
use bytes::Bytes;
use time::OffsetDateTime;

/// A task as stored (Go `asynq.TaskInfo`, built like Go's `newTaskInfo`, spec §6.28).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    /// Task ID.
    pub id: String,
    /// Queue name.
    pub queue: String,
    /// Type name.
    pub task_type: String,
    /// Payload.
    pub payload: Bytes,
    /// Headers (empty when none).
    pub headers: HashMap<String, String>,
    /// Current state.
    pub state: TaskState,
    /// Max retry count (message field `retry`).
    pub max_retry: i32,
    /// Retries so far.
    pub retried: i32,
    /// Message of the last error, empty when none.
    pub last_err: String,
    /// Time of the last failure, `None` when it never failed.
    pub last_failed_at: Option<OffsetDateTime>,
    /// Per-attempt timeout (whole seconds); zero when none.
    pub timeout: Duration,
    /// Deadline, `None` when none.
    pub deadline: Option<OffsetDateTime>,
    /// Group name, empty when none.
    pub group: String,
    /// When the task will next be processed: process-at for scheduled, retry-at for retry, now
    /// for pending, `None` for other states.
    pub next_process_at: Option<OffsetDateTime>,
    /// True for an active task whose worker stopped extending its lease (Inspector only).
    pub is_orphaned: bool,
    /// How long the task is kept after success (whole seconds).
    pub retention: Duration,
    /// When the task completed, `None` unless completed.
    pub completed_at: Option<OffsetDateTime>,
    /// Result written by the handler, if any.
    pub result: Option<Bytes>,
}

fn unix_or_none(secs: i64) -> Option<OffsetDateTime> {
    if secs == 0 {
        return None;
    }
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

fn secs(n: i64) -> Duration {
    Duration::from_secs(u64::try_from(n).unwrap_or_default())
}

impl TaskInfo {
    /// Builds the info of `msg` in `state` (Go `newTaskInfo`).
    pub fn from_message(
        msg: &TaskMessage,
        state: TaskState,
        next_process_at: Option<OffsetDateTime>,
        result: Option<Bytes>,
    ) -> TaskInfo {
        TaskInfo {
            id: msg.id.clone(),
            queue: msg.queue.clone(),
            task_type: msg.r#type.clone(),
            payload: msg.payload.clone(),
            headers: msg.headers.clone(),
            state,
            max_retry: msg.retry,
            retried: msg.retried,
            last_err: msg.error_msg.clone(),
            last_failed_at: unix_or_none(msg.last_failed_at),
            timeout: secs(msg.timeout),
            deadline: unix_or_none(msg.deadline),
            group: msg.group_key.clone(),
            next_process_at,
            is_orphaned: false,
            retention: secs(msg.retention),
            completed_at: unix_or_none(msg.completed_at),
            result,
        }
    }
}
