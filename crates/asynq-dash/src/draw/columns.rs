//! The columns of the queue, group and task tables (Go's `columnConfig` lists).

use asynq_inspect::{GroupInfo, QueueInfo, TaskInfo, TaskState};
use time::OffsetDateTime;

use super::format;
use super::table::Column;

/// The queue list: name, state, size, latency, memory, today's counters and error rate.
pub const QUEUE: [Column<QueueInfo>; 8] = [
    Column::left("Queue", |q| q.queue.clone()),
    Column::left("State", |q| {
        if q.paused { "PAUSED" } else { "RUN" }.to_string()
    }),
    Column::right("Size", |q| q.size.to_string()),
    Column::right("Latency", |q| format::duration(q.latency)),
    Column::right("MemoryUsage", |q| format::byte_count(q.memory_usage)),
    Column::right("Processed", |q| q.processed.to_string()),
    Column::right("Failed", |q| q.failed.to_string()),
    Column::right("ErrorRate", |q| format::error_rate(q.processed, q.failed)),
];

/// The group list of the aggregating tab.
pub const GROUP: [Column<GroupInfo>; 2] = [
    Column::left("Name", |g| g.group.clone()),
    Column::right("Size", |g| g.size.to_string()),
];

const ID: Column<TaskInfo> = Column::left("ID", |t| t.id.clone());
const TYPE: Column<TaskInfo> = Column::left("Type", |t| t.task_type.clone());
const PAYLOAD: Column<TaskInfo> = Column::left("Payload", |t| format::bytes(&t.payload));
const RETRIED: Column<TaskInfo> = Column::right("Retried", |t| t.retried.to_string());
const MAX_RETRY: Column<TaskInfo> = Column::right("Max Retry", |t| t.max_retry.to_string());
const RETRY: Column<TaskInfo> =
    Column::right("Retry", |t| format!("{}/{}", t.retried, t.max_retry));
const LAST_ERR: Column<TaskInfo> = Column::left("Last Failure", |t| t.last_err.clone());
const LAST_FAILED: Column<TaskInfo> = Column::left("Last Failure Time", |t| {
    t.last_failed_at
        .map_or_else(String::new, |at| format::past_time(at, now()))
});
const NEXT: Column<TaskInfo> = Column::left("Next Process Time", |t| {
    t.next_process_at
        .map_or_else(String::new, |at| format::next_process_time(at, now()))
});
const GROUP_NAME: Column<TaskInfo> = Column::left("Group", |t| t.group.clone());
const COMPLETED: Column<TaskInfo> = Column::left("Completion Time", |t| {
    t.completed_at
        .map_or_else(String::new, |at| format::past_time(at, now()))
});
const RESULT: Column<TaskInfo> = Column::left("Result", |t| {
    t.result
        .as_ref()
        .map_or_else(|| "<nil>".to_string(), |r| format::bytes(r))
});

/// The task table columns of a state tab.
pub fn tasks(state: TaskState) -> Vec<Column<TaskInfo>> {
    match state {
        TaskState::Active | TaskState::Pending => vec![ID, TYPE, RETRIED, MAX_RETRY, PAYLOAD],
        TaskState::Aggregating => vec![ID, TYPE, PAYLOAD, GROUP_NAME],
        TaskState::Scheduled => vec![ID, TYPE, NEXT, PAYLOAD],
        TaskState::Retry => vec![ID, TYPE, RETRY, LAST_ERR, LAST_FAILED, NEXT, PAYLOAD],
        TaskState::Archived => vec![ID, TYPE, RETRY, LAST_ERR, LAST_FAILED, PAYLOAD],
        TaskState::Completed => vec![ID, TYPE, COMPLETED, PAYLOAD, RESULT],
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}
