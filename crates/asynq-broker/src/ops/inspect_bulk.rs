//! The Inspector's bulk control operations (spec §5.9–5.11): run, archive or delete every task
//! of one state of a queue, or of one group. Each returns how many tasks it moved or deleted and
//! first checks that the queue exists (`SISMEMBER asynq:queues`, spec §5.1); none checks the
//! queue name (the Inspector does).

use fred::types::Value;

use crate::broker::{int, text, Broker, MAX_ARCHIVE_SIZE};
use crate::error::Result;
use crate::ops::inspect_control::{archive_times, check_queue_exists, unexpected};
use crate::{keys, scripts};

/// Checks a count returned by a bulk script (never negative).
fn count(op: &'static str, n: i64) -> Result<i64> {
    if n < 0 {
        Err(unexpected(op, n))
    } else {
        Ok(n)
    }
}

impl Broker {
    /// Moves every task of `source` (a zset of queue `qname`) to `pending`, lowest score first.
    async fn run_all_from(&self, qname: &str, source: String) -> Result<i64> {
        check_queue_exists(self, qname).await?;
        let keys = vec![source, keys::pending_key(qname)];
        let args = vec![text(&keys::task_key_prefix(qname))];
        let n: i64 = self.eval(&scripts::INSPECT_RUN_ALL, keys, args).await?;
        count("run all", n)
    }

    /// Moves every scheduled task of queue `qname` to `pending` (LPUSH in ascending process-at
    /// order, state `pending`, no `pending_since`, message unchanged) and deletes the scheduled
    /// set (Go `RDB.RunAllScheduledTasks`). Returns the number of tasks moved.
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; Redis errors.
    pub async fn run_all_scheduled_tasks(&self, qname: &str) -> Result<i64> {
        self.run_all_from(qname, keys::scheduled_key(qname)).await
    }

    /// As [`Broker::run_all_scheduled_tasks`] for the `retry` set (Go `RDB.RunAllRetryTasks`).
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; Redis errors.
    pub async fn run_all_retry_tasks(&self, qname: &str) -> Result<i64> {
        self.run_all_from(qname, keys::retry_key(qname)).await
    }

    /// As [`Broker::run_all_scheduled_tasks`] for the `archived` set (Go
    /// `RDB.RunAllArchivedTasks`). The messages keep their retried count and last error.
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; Redis errors.
    pub async fn run_all_archived_tasks(&self, qname: &str) -> Result<i64> {
        self.run_all_from(qname, keys::archived_key(qname)).await
    }

    /// Moves every task of group `group` of queue `qname` to `pending` (oldest first), deletes
    /// the group's zset and removes `group` from `asynq:{q}:groups` (Go
    /// `RDB.RunAllAggregatingTasks`). The `group` hash field stays. Returns the number of tasks
    /// moved (0 for an unknown group).
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; Redis errors.
    pub async fn run_all_aggregating_tasks(&self, qname: &str, group: &str) -> Result<i64> {
        check_queue_exists(self, qname).await?;
        let keys = vec![
            keys::group_key(qname, group),
            keys::pending_key(qname),
            keys::all_groups_key(qname),
        ];
        let args = vec![text(&keys::task_key_prefix(qname)), text(group)];
        let n: i64 = self
            .eval(&scripts::INSPECT_RUN_ALL_AGGREGATING, keys, args)
            .await?;
        count("run all aggregating", n)
    }

    /// The arguments shared by the archive-all scripts: now, cutoff, max size, task prefix.
    fn archive_all_args(&self, qname: &str) -> Vec<Value> {
        let (now, cutoff) = archive_times(self.now());
        vec![
            int(now),
            int(cutoff),
            int(MAX_ARCHIVE_SIZE),
            text(&keys::task_key_prefix(qname)),
        ]
    }

    /// Moves every task of `source` (scheduled or retry zset of `qname`) to `archived`.
    async fn archive_all_from(&self, qname: &str, source: String) -> Result<i64> {
        check_queue_exists(self, qname).await?;
        let keys = vec![source, keys::archived_key(qname)];
        let args = self.archive_all_args(qname);
        let n: i64 = self.eval(&scripts::INSPECT_ARCHIVE_ALL, keys, args).await?;
        count("archive all", n)
    }

    /// Moves every pending task of queue `qname` to `archived` with score now (Unix seconds)
    /// and deletes the pending list (Go `RDB.ArchiveAllPendingTasks`). Only `state` changes in
    /// each hash (`pending_since` stays, the message is not rewritten), no counter changes and
    /// unique locks are kept. The archive is then trimmed as by [`Broker::archive_task`]
    /// (trimmed hashes deleted, unlike Go). Returns the number of tasks archived.
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; Redis errors.
    pub async fn archive_all_pending_tasks(&self, qname: &str) -> Result<i64> {
        check_queue_exists(self, qname).await?;
        let keys = vec![keys::pending_key(qname), keys::archived_key(qname)];
        let args = self.archive_all_args(qname);
        let n: i64 = self
            .eval(&scripts::INSPECT_ARCHIVE_ALL_PENDING, keys, args)
            .await?;
        count("archive all pending", n)
    }

    /// As [`Broker::archive_all_pending_tasks`] for the `scheduled` set (Go
    /// `RDB.ArchiveAllScheduledTasks`).
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; Redis errors.
    pub async fn archive_all_scheduled_tasks(&self, qname: &str) -> Result<i64> {
        self.archive_all_from(qname, keys::scheduled_key(qname))
            .await
    }

    /// As [`Broker::archive_all_pending_tasks`] for the `retry` set (Go
    /// `RDB.ArchiveAllRetryTasks`).
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; Redis errors.
    pub async fn archive_all_retry_tasks(&self, qname: &str) -> Result<i64> {
        self.archive_all_from(qname, keys::retry_key(qname)).await
    }

    /// As [`Broker::archive_all_pending_tasks`] for group `group` of queue `qname`; the group's
    /// zset is deleted and `group` leaves `asynq:{q}:groups` (Go
    /// `RDB.ArchiveAllAggregatingTasks`).
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; Redis errors.
    pub async fn archive_all_aggregating_tasks(&self, qname: &str, group: &str) -> Result<i64> {
        check_queue_exists(self, qname).await?;
        let keys = vec![
            keys::group_key(qname, group),
            keys::archived_key(qname),
            keys::all_groups_key(qname),
        ];
        let mut args = self.archive_all_args(qname);
        args.push(text(group));
        let n: i64 = self
            .eval(&scripts::INSPECT_ARCHIVE_ALL_AGGREGATING, keys, args)
            .await?;
        count("archive all aggregating", n)
    }

    /// Deletes every task of `source` (a zset of `qname`) with its unique lock when it owns it.
    async fn delete_all_from(&self, qname: &str, source: String) -> Result<i64> {
        check_queue_exists(self, qname).await?;
        let keys = vec![source];
        let args = vec![text(&keys::task_key_prefix(qname))];
        let n: i64 = self.eval(&scripts::INSPECT_DELETE_ALL, keys, args).await?;
        count("delete all", n)
    }

    /// Deletes every pending task of queue `qname` (hashes and list) (Go
    /// `RDB.DeleteAllPendingTasks`). As in Go, unique locks are **not** released: a unique task
    /// deleted this way blocks duplicates until its lock expires. Returns the number deleted.
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; Redis errors.
    pub async fn delete_all_pending_tasks(&self, qname: &str) -> Result<i64> {
        check_queue_exists(self, qname).await?;
        let keys = vec![keys::pending_key(qname)];
        let args = vec![text(&keys::task_key_prefix(qname))];
        let n: i64 = self
            .eval(&scripts::INSPECT_DELETE_ALL_PENDING, keys, args)
            .await?;
        count("delete all pending", n)
    }

    /// Deletes every scheduled task of queue `qname` (hashes and set), releasing each unique
    /// lock that still holds the task's ID (Go `RDB.DeleteAllScheduledTasks`). Returns the number
    /// deleted.
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; Redis errors.
    pub async fn delete_all_scheduled_tasks(&self, qname: &str) -> Result<i64> {
        self.delete_all_from(qname, keys::scheduled_key(qname))
            .await
    }

    /// As [`Broker::delete_all_scheduled_tasks`] for the `retry` set (Go
    /// `RDB.DeleteAllRetryTasks`).
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; Redis errors.
    pub async fn delete_all_retry_tasks(&self, qname: &str) -> Result<i64> {
        self.delete_all_from(qname, keys::retry_key(qname)).await
    }

    /// As [`Broker::delete_all_scheduled_tasks`] for the `archived` set (Go
    /// `RDB.DeleteAllArchivedTasks`).
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; Redis errors.
    pub async fn delete_all_archived_tasks(&self, qname: &str) -> Result<i64> {
        self.delete_all_from(qname, keys::archived_key(qname)).await
    }

    /// As [`Broker::delete_all_scheduled_tasks`] for the `completed` set (Go
    /// `RDB.DeleteAllCompletedTasks`).
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; Redis errors.
    pub async fn delete_all_completed_tasks(&self, qname: &str) -> Result<i64> {
        self.delete_all_from(qname, keys::completed_key(qname))
            .await
    }

    /// Deletes every task of group `group` of queue `qname` (hashes and zset) and removes
    /// `group` from `asynq:{q}:groups` (Go `RDB.DeleteAllAggregatingTasks`). As in Go, unique
    /// locks are **not** released. Returns the number deleted (0 for an unknown group).
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; Redis errors.
    pub async fn delete_all_aggregating_tasks(&self, qname: &str, group: &str) -> Result<i64> {
        check_queue_exists(self, qname).await?;
        let keys = vec![keys::group_key(qname, group), keys::all_groups_key(qname)];
        let args = vec![text(&keys::task_key_prefix(qname)), text(group)];
        let n: i64 = self
            .eval(&scripts::INSPECT_DELETE_ALL_AGGREGATING, keys, args)
            .await?;
        count("delete all aggregating", n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BrokerError;

    #[test]
    fn negative_counts_are_unexpected() {
        assert_eq!(count("x", 3).ok(), Some(3));
        assert!(matches!(
            count("x", -1),
            Err(BrokerError::UnexpectedReply { op: "x", .. })
        ));
    }
}
