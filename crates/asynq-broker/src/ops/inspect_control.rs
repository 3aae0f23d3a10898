//! The Inspector's control operations on one task or one queue (spec §5.9–5.13, 5.16, 5.18):
//! run, archive, delete and update one task, remove, pause and unpause a queue. The bulk forms
//! (`run_all_*`, `archive_all_*`, `delete_all_*`) live in [`super::inspect_bulk`].
//!
//! Like Go's `internal/rdb`, these functions do not check queue names (the Inspector does);
//! they check that the queue exists (`SISMEMBER asynq:queues`) where spec §5.1 says so.

use asynq_proto::TaskMessage;
use bytes::Bytes;
use fred::prelude::*;
use time::OffsetDateTime;

use crate::broker::{bin, int, text, Broker, ARCHIVED_EXPIRATION, MAX_ARCHIVE_SIZE};
use crate::error::{BrokerError, Result};
use crate::{keys, scripts};

/// Go's `checkQueueExists`: `SISMEMBER asynq:queues <q>`.
///
/// # Errors
/// [`BrokerError::QueueNotFound`] when the queue is not registered; Redis errors.
pub(crate) async fn check_queue_exists(broker: &Broker, qname: &str) -> Result<()> {
    let exists: bool = broker.client.sismember(keys::ALL_QUEUES, qname).await?;
    if exists {
        Ok(())
    } else {
        Err(BrokerError::QueueNotFound(qname.to_string()))
    }
}

/// `(now, now − 90 days)` in Unix seconds: the archived score and the age-trim cutoff of the
/// Inspector archive scripts, computed as the worker-side archive does.
pub(crate) fn archive_times(now: OffsetDateTime) -> (i64, i64) {
    (
        now.unix_timestamp(),
        (now - ARCHIVED_EXPIRATION).unix_timestamp(),
    )
}

/// The error for a script reply no branch expects.
pub(crate) fn unexpected(op: &'static str, n: i64) -> BrokerError {
    BrokerError::UnexpectedReply {
        op,
        reply: n.to_string(),
    }
}

fn task_not_found(qname: &str, id: &str) -> BrokerError {
    BrokerError::TaskNotFound {
        queue: qname.to_string(),
        id: id.to_string(),
    }
}

impl Broker {
    /// Moves task `id` of queue `qname` to `pending` (LPUSH, so it is dequeued after the tasks
    /// already pending) from `scheduled`, `retry`, `archived`, `completed` or its group (Go
    /// `RDB.RunTask`, spec §5.9). The message (retried count, last error) is unchanged, no
    /// `pending_since` is written and the `group` hash field stays; a group left empty leaves
    /// `asynq:{q}:groups`.
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; [`BrokerError::TaskNotFound`];
    /// [`BrokerError::FailedPrecondition`] `task is already running` (active) or `task is
    /// already in pending state`; [`BrokerError::Redis`] when the task is missing from the index
    /// its state names; Redis errors.
    pub async fn run_task(&self, qname: &str, id: &str) -> Result<()> {
        check_queue_exists(self, qname).await?;
        let keys = vec![
            keys::task_key(qname, id),
            keys::pending_key(qname),
            keys::all_groups_key(qname),
        ];
        let args = vec![
            text(id),
            text(&keys::queue_key_prefix(qname)),
            text(&keys::group_key_prefix(qname)),
        ];
        let n: i64 = self.eval(&scripts::INSPECT_RUN_TASK, keys, args).await?;
        match n {
            1 => Ok(()),
            0 => Err(task_not_found(qname, id)),
            -1 => Err(BrokerError::FailedPrecondition(
                "task is already running".into(),
            )),
            -2 => Err(BrokerError::FailedPrecondition(
                "task is already in pending state".into(),
            )),
            other => Err(unexpected("run task", other)),
        }
    }

    /// Moves task `id` of queue `qname` to `archived` with score now (Unix seconds) from
    /// `pending`, `scheduled`, `retry`, `completed` or its group (Go `RDB.ArchiveTask`, spec
    /// §5.10). Only the `state` field changes: the message is not rewritten, no counter changes,
    /// the unique lock is kept. Then the archive is trimmed as Go does (entries archived more
    /// than 90 days ago, then the oldest beyond 9,999); unlike Go the trimmed tasks' hashes are
    /// deleted too, as [`Broker::archive`] does.
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; [`BrokerError::TaskNotFound`];
    /// [`BrokerError::TaskAlreadyArchived`]; [`BrokerError::FailedPrecondition`] `cannot archive
    /// task in active state. use CancelProcessing instead.`; [`BrokerError::Redis`] when the
    /// task is missing from the index its state names; Redis errors.
    pub async fn archive_task(&self, qname: &str, id: &str) -> Result<()> {
        check_queue_exists(self, qname).await?;
        let (now, cutoff) = archive_times(self.now());
        let keys = vec![
            keys::task_key(qname, id),
            keys::archived_key(qname),
            keys::all_groups_key(qname),
        ];
        let args = vec![
            text(id),
            int(now),
            int(cutoff),
            int(MAX_ARCHIVE_SIZE),
            text(&keys::queue_key_prefix(qname)),
            text(&keys::group_key_prefix(qname)),
        ];
        let n: i64 = self
            .eval(&scripts::INSPECT_ARCHIVE_TASK, keys, args)
            .await?;
        match n {
            1 => Ok(()),
            0 => Err(task_not_found(qname, id)),
            -1 => Err(BrokerError::TaskAlreadyArchived {
                queue: qname.to_string(),
                id: id.to_string(),
            }),
            -2 => Err(BrokerError::FailedPrecondition(
                "cannot archive task in active state. use CancelProcessing instead.".into(),
            )),
            other => Err(unexpected("archive task", other)),
        }
    }

    /// Deletes task `id` of queue `qname` in any state but `active`: its index entry and its
    /// hash (Go `RDB.DeleteTask`, spec §5.11). The unique lock named by the hash field
    /// `unique_key` is deleted only while it holds `id`; a group left empty leaves
    /// `asynq:{q}:groups`.
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; [`BrokerError::TaskNotFound`];
    /// [`BrokerError::FailedPrecondition`] `cannot delete task in active state. use
    /// CancelProcessing instead.`; [`BrokerError::Redis`] when the task is missing from the
    /// index its state names; Redis errors.
    pub async fn delete_task(&self, qname: &str, id: &str) -> Result<()> {
        check_queue_exists(self, qname).await?;
        let keys = vec![keys::task_key(qname, id), keys::all_groups_key(qname)];
        let args = vec![
            text(id),
            text(&keys::queue_key_prefix(qname)),
            text(&keys::group_key_prefix(qname)),
        ];
        let n: i64 = self.eval(&scripts::INSPECT_DELETE_TASK, keys, args).await?;
        match n {
            1 => Ok(()),
            0 => Err(task_not_found(qname, id)),
            -1 => Err(BrokerError::FailedPrecondition(
                "cannot delete task in active state. use CancelProcessing instead.".into(),
            )),
            other => Err(unexpected("delete task", other)),
        }
    }

    /// Replaces the payload of the scheduled task `id` of queue `qname` (Go
    /// `RDB.UpdateTaskPayload`, v0.26, spec §5.12). The stored message is read, its payload
    /// replaced and the message written back: type, headers, options and `unique_key` are kept
    /// (the unique lock key is not recomputed from the new payload), and so are the hash fields
    /// `state`, `pending_since`, `group` and `unique_key`. As in Go the read and the write are
    /// two steps; the write checks again that the task exists and is scheduled.
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; [`BrokerError::TaskNotFound`];
    /// [`BrokerError::FailedPrecondition`] `cannot update task that is not in scheduled state.`;
    /// [`BrokerError::Decode`] when the stored message is missing or cannot be decoded; Redis
    /// errors.
    pub async fn update_task_payload(&self, qname: &str, id: &str, payload: Bytes) -> Result<()> {
        check_queue_exists(self, qname).await?;
        let task_key = keys::task_key(qname, id);
        let raw: Option<Bytes> = self.client.hget(&task_key, "msg").await?;
        let Some(raw) = raw else {
            let exists: bool = self.client.exists(&task_key).await?;
            if !exists {
                return Err(task_not_found(qname, id));
            }
            return Err(BrokerError::Decode {
                what: format!("task message {task_key}"),
                reason: "the task hash has no msg field".into(),
            });
        };
        let mut msg = asynq_proto::decode::<TaskMessage>(raw).map_err(|e| BrokerError::Decode {
            what: format!("task message {task_key}"),
            reason: e.to_string(),
        })?;
        msg.payload = payload;
        let keys = vec![task_key];
        let args = vec![bin(asynq_proto::encode(&msg))];
        let n: i64 = self
            .eval(&scripts::INSPECT_UPDATE_TASK_PAYLOAD, keys, args)
            .await?;
        match n {
            1 => Ok(()),
            0 => Err(task_not_found(qname, id)),
            -1 => Err(BrokerError::FailedPrecondition(
                "cannot update task that is not in scheduled state.".into(),
            )),
            other => Err(unexpected("update task payload", other)),
        }
    }

    /// Removes queue `qname` (Go `RDB.RemoveQueue`, spec §5.13): deletes its `pending`,
    /// `active`, `scheduled`, `retry`, `archived` and `lease` keys, then `SREM asynq:queues`.
    /// Without `force` the queue must hold no task in those five indexes; with `force` it must
    /// hold no active task, and the hashes of the tasks in the other four are deleted. As in Go,
    /// `completed` and its hashes, groups, aggregation sets, `paused`, the counters and unique
    /// locks are left alone. The queue is also dropped from this broker's registration cache, so
    /// the next enqueue through it registers the queue again.
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; [`BrokerError::QueueNotEmpty`] (not forced, tasks left);
    /// [`BrokerError::FailedPrecondition`] `cannot remove queue with active tasks` (forced);
    /// Redis errors.
    pub async fn remove_queue(&self, qname: &str, force: bool) -> Result<()> {
        check_queue_exists(self, qname).await?;
        let keys = vec![
            keys::pending_key(qname),
            keys::active_key(qname),
            keys::scheduled_key(qname),
            keys::retry_key(qname),
            keys::archived_key(qname),
            keys::lease_key(qname),
        ];
        let args = vec![text(&keys::task_key_prefix(qname))];
        let script = if force {
            &scripts::INSPECT_REMOVE_QUEUE_FORCE
        } else {
            &scripts::INSPECT_REMOVE_QUEUE
        };
        let n: i64 = self.eval(script, keys, args).await?;
        match n {
            1 => {
                let _: i64 = self.client.srem(keys::ALL_QUEUES, qname).await?;
                self.forget_queue_registration(qname);
                Ok(())
            }
            -1 => Err(BrokerError::QueueNotEmpty(qname.to_string())),
            -2 => Err(BrokerError::FailedPrecondition(
                "cannot remove queue with active tasks".into(),
            )),
            other => Err(unexpected("remove queue", other)),
        }
    }

    /// Pauses queue `qname`: `SETNX asynq:{q}:paused <now, Unix seconds>`, no TTL (Go
    /// `RDB.Pause`, spec §5.16). Dequeue skips a paused queue. No queue existence check.
    ///
    /// # Errors
    /// [`BrokerError::FailedPrecondition`] `queue "<q>" is already paused`; Redis errors.
    pub async fn pause_queue(&self, qname: &str) -> Result<()> {
        let set: bool = self
            .client
            .setnx(keys::paused_key(qname), self.now().unix_timestamp())
            .await?;
        if set {
            Ok(())
        } else {
            Err(BrokerError::FailedPrecondition(format!(
                "queue {qname:?} is already paused"
            )))
        }
    }

    /// Unpauses queue `qname`: `DEL asynq:{q}:paused` (Go `RDB.Unpause`, spec §5.16). No queue
    /// existence check.
    ///
    /// # Errors
    /// [`BrokerError::FailedPrecondition`] `queue "<q>" is not paused`; Redis errors.
    pub async fn unpause_queue(&self, qname: &str) -> Result<()> {
        let deleted: i64 = self.client.del(keys::paused_key(qname)).await?;
        if deleted == 0 {
            Err(BrokerError::FailedPrecondition(format!(
                "queue {qname:?} is not paused"
            )))
        } else {
            Ok(())
        }
    }
}
