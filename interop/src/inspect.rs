//! Go `asynq.Inspector` calls beyond `GetTaskInfo` and `Queues`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::{GoAsynq, GoError, GoTaskInfo};

/// Go's `asynq.ServerInfo`, as printed by `goasynq servers`. Times are RFC
/// 3339 strings with nanoseconds (empty for Go's zero time).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GoServerInfo {
    /// `ID`.
    pub id: String,
    /// `Host`.
    pub host: String,
    /// `PID`.
    pub pid: i64,
    /// `Concurrency`.
    pub concurrency: i64,
    /// `Queues` (name to priority).
    pub queues: BTreeMap<String, i64>,
    /// `StrictPriority`.
    pub strict_priority: bool,
    /// `Status` (`active`, `stopped`, ...).
    pub status: String,
    /// `Started`.
    pub started: String,
    /// `ActiveWorkers`, sorted by task ID.
    pub active_workers: Vec<GoWorkerInfo>,
}

/// Go's `asynq.WorkerInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GoWorkerInfo {
    /// `TaskID`.
    pub task_id: String,
    /// `TaskType`.
    pub task_type: String,
    /// `TaskPayload` as a string (invalid UTF-8 replaced).
    pub task_payload: String,
    /// `Queue`.
    pub queue: String,
    /// `Started` (RFC 3339).
    pub started: String,
    /// `Deadline` (RFC 3339).
    pub deadline: String,
}

/// Go's `asynq.QueueInfo`, as printed by `goasynq queue-info`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GoQueueInfo {
    /// `Queue`.
    pub queue: String,
    /// `MemoryUsage` in bytes (sampled).
    pub memory_usage: i64,
    /// `Latency` in milliseconds.
    pub latency_ms: i64,
    /// `Size`: pending + active + scheduled + retry + archived + completed +
    /// aggregating.
    pub size: i64,
    /// `Groups`.
    pub groups: i64,
    /// `Pending`.
    pub pending: i64,
    /// `Active`.
    pub active: i64,
    /// `Scheduled`.
    pub scheduled: i64,
    /// `Retry`.
    pub retry: i64,
    /// `Archived`.
    pub archived: i64,
    /// `Completed`.
    pub completed: i64,
    /// `Aggregating`.
    pub aggregating: i64,
    /// `Processed` today.
    pub processed: i64,
    /// `Failed` today.
    pub failed: i64,
    /// `ProcessedTotal` (all time).
    pub processed_total: i64,
    /// `FailedTotal` (all time).
    pub failed_total: i64,
    /// `Paused`.
    pub paused: bool,
    /// `Timestamp` (RFC 3339).
    pub timestamp: String,
}

/// The output of subcommands that only succeed or fail.
#[derive(Deserialize)]
struct OkOut {
    ok: bool,
}

impl GoAsynq {
    /// Go `Inspector.Servers()`, sorted by server ID.
    pub async fn servers(&self) -> Vec<GoServerInfo> {
        let out = self.run("servers", &[], None).await;
        serde_json::from_value(out).expect("list of ServerInfo")
    }

    /// Go `Inspector.GetQueueInfo(queue)`.
    pub async fn queue_info(&self, queue: &str) -> Result<GoQueueInfo, GoError> {
        let out = self
            .try_run("queue-info", &["--queue", queue], None)
            .await?;
        Ok(serde_json::from_value(out).expect("QueueInfo JSON"))
    }

    /// Go `Inspector.List<State>Tasks(queue)`, first 1000 tasks; `state` is
    /// `pending`, `active`, `scheduled`, `retry`, `archived` or `completed`.
    pub async fn list_tasks(&self, queue: &str, state: &str) -> Result<Vec<GoTaskInfo>, GoError> {
        self.list_tasks_page(queue, state, 1000, 1).await
    }

    /// Like [`list_tasks`](Self::list_tasks) with `PageSize(page_size)` and
    /// `Page(page)` (1 is the first page).
    pub async fn list_tasks_page(
        &self,
        queue: &str,
        state: &str,
        page_size: usize,
        page: usize,
    ) -> Result<Vec<GoTaskInfo>, GoError> {
        let (size, page) = (page_size.to_string(), page.to_string());
        let args = [
            "--queue",
            queue,
            "--state",
            state,
            "--page-size",
            &size,
            "--page",
            &page,
        ];
        let out = self.try_run("list-tasks", &args, None).await?;
        Ok(serde_json::from_value(out).expect("list of TaskInfo"))
    }

    /// Go `Inspector.ListAggregatingTasks(queue, group)`, first 1000 tasks.
    pub async fn list_aggregating(
        &self,
        queue: &str,
        group: &str,
    ) -> Result<Vec<GoTaskInfo>, GoError> {
        let args = ["--queue", queue, "--state", "aggregating", "--group", group];
        let out = self.try_run("list-tasks", &args, None).await?;
        Ok(serde_json::from_value(out).expect("list of TaskInfo"))
    }

    /// Go `Inspector.CancelProcessing(id)`.
    pub async fn cancel(&self, id: &str) -> Result<(), GoError> {
        self.ok("cancel", &["--id", id]).await
    }

    /// Go `Inspector.PauseQueue(queue)`.
    pub async fn pause(&self, queue: &str) -> Result<(), GoError> {
        self.ok("pause", &["--queue", queue]).await
    }

    /// Go `Inspector.UnpauseQueue(queue)`.
    pub async fn unpause(&self, queue: &str) -> Result<(), GoError> {
        self.ok("unpause", &["--queue", queue]).await
    }

    async fn ok(&self, subcommand: &str, args: &[&str]) -> Result<(), GoError> {
        let out = self.try_run(subcommand, args, None).await?;
        let ok: OkOut = serde_json::from_value(out).expect("{\"ok\": true}");
        assert!(ok.ok, "goasynq {subcommand} {args:?} did not report ok");
        Ok(())
    }
}
