//! Go `asynq.Inspector` operations of the parity cases (wire-protocol.md §8.5): `History`,
//! `Groups`, `RunTask`, `ArchiveTask`, `DeleteTask`, `UpdateTaskPayload`, the `RunAll*`,
//! `ArchiveAll*` and `DeleteAll*` methods, and `DeleteQueue` (`goasynq/inspector_ops.go`, and
//! `run-task` in `goasynq/run_task.go`).

use serde::Deserialize;
use serde_json::json;

use crate::{GoAsynq, GoError};

/// Go's `asynq.DailyStats`, as printed by `goasynq history`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GoDailyStats {
    /// `Queue`.
    pub queue: String,
    /// `Processed`.
    pub processed: i64,
    /// `Failed`.
    pub failed: i64,
    /// `Date` in Unix seconds (Go: now − n × 24 h).
    pub date: i64,
    /// `Date`'s UTC calendar day, `YYYY-MM-DD`.
    pub day: String,
}

/// Go's `asynq.GroupInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GoGroupInfo {
    /// `Group`.
    pub group: String,
    /// `Size`.
    pub size: i64,
}

/// A bulk method of the Go Inspector: what it does, to the tasks of which state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoBulk {
    /// `RunAll<State>Tasks` (scheduled, retry, archived, aggregating).
    Run,
    /// `ArchiveAll<State>Tasks` (pending, scheduled, retry, aggregating).
    Archive,
    /// `DeleteAll<State>Tasks` (pending, scheduled, retry, archived, completed, aggregating).
    Delete,
}

impl GoBulk {
    fn name(self) -> &'static str {
        match self {
            GoBulk::Run => "run",
            GoBulk::Archive => "archive",
            GoBulk::Delete => "delete",
        }
    }
}

#[derive(Deserialize)]
struct CountOut {
    count: i64,
}

impl GoAsynq {
    /// Go `Inspector.History(queue, days)`, newest first.
    pub async fn history(&self, queue: &str, days: i64) -> Result<Vec<GoDailyStats>, GoError> {
        let days = days.to_string();
        let out = self
            .try_run("history", &["--queue", queue, "--days", &days], None)
            .await?;
        Ok(serde_json::from_value(out).expect("list of DailyStats"))
    }

    /// Go `Inspector.Groups(queue)`, sorted by group name.
    pub async fn groups(&self, queue: &str) -> Result<Vec<GoGroupInfo>, GoError> {
        let out = self.try_run("groups", &["--queue", queue], None).await?;
        Ok(serde_json::from_value(out).expect("list of GroupInfo"))
    }

    /// Go `Inspector.RunTask(queue, id)`.
    pub async fn run_task(&self, queue: &str, id: &str) -> Result<(), GoError> {
        self.ok_task("run-task", queue, id).await
    }

    /// Go `Inspector.ArchiveTask(queue, id)`.
    pub async fn archive_task(&self, queue: &str, id: &str) -> Result<(), GoError> {
        self.ok_task("archive-task", queue, id).await
    }

    /// Go `Inspector.DeleteTask(queue, id)`.
    pub async fn delete_task(&self, queue: &str, id: &str) -> Result<(), GoError> {
        self.ok_task("delete-task", queue, id).await
    }

    /// Go `Inspector.UpdateTaskPayload(queue, id, payload)`; `None` is Go's nil payload.
    pub async fn update_task_payload(
        &self,
        queue: &str,
        id: &str,
        payload: Option<&[u8]>,
    ) -> Result<(), GoError> {
        use base64::engine::general_purpose::STANDARD;
        use base64::Engine;
        let input = json!({ "payload": payload.map(|p| STANDARD.encode(p)) });
        let out = self
            .try_run(
                "update-payload",
                &["--queue", queue, "--id", id],
                Some(&input),
            )
            .await?;
        assert_eq!(out, json!({"ok": true}), "update-payload {queue} {id}");
        Ok(())
    }

    /// A Go bulk method (`RunAll*`, `ArchiveAll*`, `DeleteAll*`) on the tasks of `state`
    /// (`pending`, `scheduled`, `retry`, `archived`, `completed`); returns Go's count.
    pub async fn bulk(&self, op: GoBulk, queue: &str, state: &str) -> Result<i64, GoError> {
        self.bulk_args(op, &["--queue", queue, "--state", state])
            .await
    }

    /// A Go bulk method on the aggregating tasks of `group` (`RunAllAggregatingTasks`,
    /// `ArchiveAllAggregatingTasks`, `DeleteAllAggregatingTasks`).
    pub async fn bulk_group(&self, op: GoBulk, queue: &str, group: &str) -> Result<i64, GoError> {
        let args = ["--queue", queue, "--state", "aggregating", "--group", group];
        self.bulk_args(op, &args).await
    }

    async fn bulk_args(&self, op: GoBulk, args: &[&str]) -> Result<i64, GoError> {
        let mut all = vec!["--op", op.name()];
        all.extend_from_slice(args);
        let out = self.try_run("bulk", &all, None).await?;
        let count: CountOut = serde_json::from_value(out).expect("{\"count\": n}");
        Ok(count.count)
    }

    /// Go `Inspector.DeleteQueue(queue, force)`.
    pub async fn delete_queue(&self, queue: &str, force: bool) -> Result<(), GoError> {
        let mut args = vec!["--queue", queue];
        if force {
            args.push("--force");
        }
        let out = self.try_run("delete-queue", &args, None).await?;
        assert_eq!(out, json!({"ok": true}), "delete-queue {queue}");
        Ok(())
    }

    async fn ok_task(&self, subcommand: &str, queue: &str, id: &str) -> Result<(), GoError> {
        let out = self
            .try_run(subcommand, &["--queue", queue, "--id", id], None)
            .await?;
        assert_eq!(out, json!({"ok": true}), "{subcommand} {queue} {id}");
        Ok(())
    }
}
