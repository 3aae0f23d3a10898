//! The plain data the Inspector returns (Go `QueueInfo`, `DailyStats`, `GroupInfo`,
//! `ServerInfo`, `WorkerInfo`, `ClusterNode`, `SchedulerEntry`, `SchedulerEnqueueEvent`).

use std::collections::HashMap;
use std::time::Duration;

use asynq_client::{Task, TaskOption};
use bytes::Bytes;
use time::OffsetDateTime;

/// A queue's sizes and counters at one moment (Go `QueueInfo`, spec §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueInfo {
    /// Queue name.
    pub queue: String,
    /// Approximate memory used by the queue's keys and task hashes, in bytes (sampled: 20
    /// tasks per state and per group for the first 5 groups; Go `MemoryUsage`).
    pub memory_usage: i64,
    /// Time since the next task to be dequeued became pending; zero when the queue is empty or
    /// that task has no `pending_since` (a requeued task).
    pub latency: Duration,
    /// Every task of the queue: pending + active + scheduled + retry + archived + completed +
    /// aggregating.
    pub size: i64,
    /// Number of groups.
    pub groups: i64,
    /// Tasks in `pending`.
    pub pending: i64,
    /// Tasks in `active`.
    pub active: i64,
    /// Tasks in `scheduled`.
    pub scheduled: i64,
    /// Tasks in `retry`.
    pub retry: i64,
    /// Tasks in `archived`.
    pub archived: i64,
    /// Tasks in `completed`.
    pub completed: i64,
    /// Tasks waiting in groups (`aggregating`).
    pub aggregating: i64,
    /// Tasks processed today (UTC), successes and failures (Go `Processed`).
    pub processed: i64,
    /// Tasks failed today (UTC) (Go `Failed`).
    pub failed: i64,
    /// Tasks processed since the counters began (Go `ProcessedTotal`).
    pub processed_total: i64,
    /// Tasks failed since the counters began (Go `FailedTotal`).
    pub failed_total: i64,
    /// True when the queue is paused (`asynq:{q}:paused` exists).
    pub paused: bool,
    /// When these numbers were read.
    pub timestamp: OffsetDateTime,
}

/// One day of a queue's counters (Go `DailyStats`, spec §5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyStats {
    /// Queue name.
    pub queue: String,
    /// Tasks processed that day (UTC).
    pub processed: i64,
    /// Tasks failed that day (UTC).
    pub failed: i64,
    /// A moment of that day: now − n × 24 h, UTC (Go `Date`).
    pub date: OffsetDateTime,
}

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
