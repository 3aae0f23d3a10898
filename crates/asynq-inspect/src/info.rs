//! The plain data the Inspector returns (Go `QueueInfo`, `DailyStats`, `GroupInfo`,
//! `ServerInfo`, `WorkerInfo`, `ClusterNode`, `SchedulerEntry`, `SchedulerEnqueueEvent`).

use std::collections::HashMap;

use asynq_client::{Task, TaskOption};
use bytes::Bytes;
use time::OffsetDateTime;

/// A queue's sizes and counters (Go `QueueInfo`) and one day of its counters (Go `DailyStats`),
/// as the broker reads them (spec §5.3, §5.4).
pub use asynq_broker::ops::inspect_read::{DailyStats, QueueInfo};

/// A group and how many tasks wait in it (Go `GroupInfo`, spec §5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// Group name.
    pub group: String,
    /// Tasks in the group.
    pub size: i64,
}

/// A live worker server (Go `ServerInfo`, spec §5.14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// Server ID (a UUID).
    pub id: String,
    /// Host name.
    pub host: String,
    /// Process ID.
    pub pid: i32,
    /// Maximum number of tasks processed at once.
    pub concurrency: i32,
    /// Queue name → priority.
    pub queues: HashMap<String, i32>,
    /// True when queues are served in strict priority order.
    pub strict_priority: bool,
    /// When the server started.
    pub started: OffsetDateTime,
    /// `active`, `stopped`, ... (Go `Status`).
    pub status: String,
    /// The tasks the server is processing now.
    pub active_workers: Vec<WorkerInfo>,
}

/// A task being processed by a server (Go `WorkerInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerInfo {
    /// Task ID.
    pub task_id: String,
    /// Task type.
    pub task_type: String,
    /// Task payload.
    pub task_payload: Bytes,
    /// Queue the task came from.
    pub queue: String,
    /// When processing started.
    pub started: OffsetDateTime,
    /// When processing must end (min of timeout and deadline).
    pub deadline: OffsetDateTime,
}

/// A node of a Redis Cluster (Go `ClusterNode`, spec §5.17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNode {
    /// Node ID.
    pub id: String,
    /// Address `host:port`.
    pub addr: String,
}

/// A periodic task registered by a scheduler (Go `SchedulerEntry`, spec §5.15).
#[derive(Debug, Clone)]
pub struct SchedulerEntry {
    /// Entry ID.
    pub id: String,
    /// The cron spec, e.g. `@every 30s` or `0 * * * *`.
    pub spec: String,
    /// The task enqueued on each fire (type and payload, no headers).
    pub task: Task,
    /// The enqueue options, parsed from Go's option strings; strings that cannot be parsed are
    /// skipped, as Go does.
    pub opts: Vec<TaskOption>,
    /// The next fire time.
    pub next: OffsetDateTime,
    /// The last fire time; `None` before the first fire (Go's zero time).
    pub prev: Option<OffsetDateTime>,
}

/// One enqueue done by a scheduler entry (Go `SchedulerEnqueueEvent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerEnqueueEvent {
    /// ID of the enqueued task.
    pub task_id: String,
    /// When it was enqueued.
    pub enqueued_at: OffsetDateTime,
}
