//! The Inspector's listings of tasks by state (spec §5.8): pending and active from their lists,
//! scheduled, retry, archived, completed and a group from their sorted sets.

use fred::types::Value;

use super::inspect_read::{decode_msg, non_empty, number, unexpected, unix_or_none, InspectedTask};
use crate::broker::{int, text, Broker};
use crate::error::Result;
use crate::state::TaskState;
use crate::{keys, scripts};

impl Broker {
    /// Page `[start, stop]` (0-based inclusive ranks, Go `Pagination.start`/`stop`) of the pending
    /// tasks of `qname`, the next to be dequeued first (Go `RDB.ListPending`). IDs are LPUSHed,
    /// so the mirrored range `LRANGE −(stop+1) −(start+1)` is read and reversed.
    /// `next_process_at` = the clock's now; `score` = `None`. Undecodable messages and IDs
    /// without a hash are skipped.
    ///
    /// # Errors
    /// [`crate::BrokerError::QueueNotFound`]; Redis errors.
    pub async fn list_pending(
        &self,
        qname: &str,
        start: i64,
        stop: i64,
    ) -> Result<Vec<InspectedTask>> {
        self.require_queue(qname).await?;
        self.list_messages(qname, TaskState::Pending, start, stop)
            .await
    }

    /// Page `[start, stop]` of the active tasks of `qname`, the longest-running first (Go
    /// `RDB.ListActive`), read like [`Broker::list_pending`]. `score` is the lease expiry in Unix
    /// seconds (`None` without a lease); the Inspector reports a task whose lease expiry is at or
    /// before now as orphaned. `next_process_at` = `None`.
    ///
    /// # Errors
    /// [`crate::BrokerError::QueueNotFound`]; Redis errors.
    pub async fn list_active(
        &self,
        qname: &str,
        start: i64,
        stop: i64,
    ) -> Result<Vec<InspectedTask>> {
        self.require_queue(qname).await?;
        self.list_messages(qname, TaskState::Active, start, stop)
            .await
    }

    /// Page `[start, stop]` of the scheduled tasks of `qname` in ascending process-at order (Go
    /// `RDB.ListScheduled`); `next_process_at` = `score` = process-at.
    ///
    /// # Errors
    /// [`crate::BrokerError::QueueNotFound`]; Redis errors.
    pub async fn list_scheduled(
        &self,
        qname: &str,
        start: i64,
        stop: i64,
    ) -> Result<Vec<InspectedTask>> {
        self.require_queue(qname).await?;
        let key = keys::scheduled_key(qname);
        self.list_zset(qname, TaskState::Scheduled, key, start, stop)
            .await
    }

    /// Page `[start, stop]` of the retry tasks of `qname` in ascending retry-at order (Go
    /// `RDB.ListRetry`); `next_process_at` = `score` = retry-at.
    ///
    /// # Errors
    /// [`crate::BrokerError::QueueNotFound`]; Redis errors.
    pub async fn list_retry(
        &self,
        qname: &str,
        start: i64,
        stop: i64,
    ) -> Result<Vec<InspectedTask>> {
        self.require_queue(qname).await?;
        let key = keys::retry_key(qname);
        self.list_zset(qname, TaskState::Retry, key, start, stop)
            .await
    }

    /// Page `[start, stop]` of the archived tasks of `qname`, the **oldest** archived first
    /// (ascending score, as Go does although its documentation says descending, quirk Q12; Go
    /// `RDB.ListArchived`); `score` = archived-at, `next_process_at` = `None`.
    ///
    /// # Errors
    /// [`crate::BrokerError::QueueNotFound`]; Redis errors.
    pub async fn list_archived(
        &self,
        qname: &str,
        start: i64,
        stop: i64,
    ) -> Result<Vec<InspectedTask>> {
        self.require_queue(qname).await?;
        let key = keys::archived_key(qname);
        self.list_zset(qname, TaskState::Archived, key, start, stop)
            .await
    }

    /// Page `[start, stop]` of the completed tasks of `qname`, the earliest expiry first (Go
    /// `RDB.ListCompleted`); `score` = completed_at + retention, `next_process_at` = `None`.
    ///
    /// # Errors
    /// [`crate::BrokerError::QueueNotFound`]; Redis errors.
    pub async fn list_completed(
        &self,
        qname: &str,
        start: i64,
        stop: i64,
    ) -> Result<Vec<InspectedTask>> {
        self.require_queue(qname).await?;
        let key = keys::completed_key(qname);
        self.list_zset(qname, TaskState::Completed, key, start, stop)
            .await
    }

    /// Page `[start, stop]` of the tasks waiting in group `group` of `qname`, in the order they
    /// were added (Go `RDB.ListAggregating`); `score` = time added, `next_process_at` = `None`.
    /// An unknown group gives an empty list.
    ///
    /// # Errors
    /// [`crate::BrokerError::QueueNotFound`]; Redis errors.
    pub async fn list_aggregating(
        &self,
        qname: &str,
        group: &str,
        start: i64,
        stop: i64,
    ) -> Result<Vec<InspectedTask>> {
        self.require_queue(qname).await?;
        let key = keys::group_key(qname, group);
        self.list_zset(qname, TaskState::Aggregating, key, start, stop)
            .await
    }

    async fn list_messages(
        &self,
        qname: &str,
        state: TaskState,
        start: i64,
        stop: i64,
    ) -> Result<Vec<InspectedTask>> {
        if stop < start {
            return Ok(Vec::new());
        }
        let mut keys = vec![];
        if state == TaskState::Active {
            keys.push(keys::active_key(qname));
            keys.push(keys::lease_key(qname));
        } else {
            keys.push(keys::pending_key(qname));
        }
        // IDs are LPUSHed: rank r from the oldest end is index −(r+1).
        let args = vec![
            int(stop.saturating_add(1).saturating_neg()),
            int(start.saturating_add(1).saturating_neg()),
            text(&keys::task_key_prefix(qname)),
        ];
        let reply: Vec<Value> = self
            .eval(&scripts::INSPECT_LIST_MESSAGES, keys, args)
            .await?;
        if reply.len() % 4 != 0 {
            return Err(unexpected("list messages", &reply));
        }
        let now = self.now();
        let mut out = Vec::with_capacity(reply.len() / 4);
        let mut it = reply.into_iter();
        while let (Some(_id), Some(msg), Some(result), Some(lease)) =
            (it.next(), it.next(), it.next(), it.next())
        {
            let Ok(msg) = decode_msg(msg, &String::new) else {
                continue;
            };
            let score = if lease.is_null() {
                None
            } else {
                Some(number(&lease, "lease expiry")?)
            };
            out.push(InspectedTask {
                msg,
                state,
                next_process_at: (state == TaskState::Pending).then_some(now),
                score,
                result: non_empty(result),
            });
        }
        out.reverse();
        Ok(out)
    }

    async fn list_zset(
        &self,
        qname: &str,
        state: TaskState,
        key: String,
        start: i64,
        stop: i64,
    ) -> Result<Vec<InspectedTask>> {
        if stop < start {
            return Ok(Vec::new());
        }
        let args = vec![int(start), int(stop), text(&keys::task_key_prefix(qname))];
        let reply: Vec<Value> = self
            .eval(&scripts::INSPECT_LIST_ZSET, vec![key], args)
            .await?;
        if reply.len() % 4 != 0 {
            return Err(unexpected("list zset entries", &reply));
        }
        let mut out = Vec::with_capacity(reply.len() / 4);
        let mut it = reply.into_iter();
        while let (Some(_id), Some(msg), Some(score), Some(result)) =
            (it.next(), it.next(), it.next(), it.next())
        {
            let Ok(msg) = decode_msg(msg, &String::new) else {
                continue;
            };
            let score = number(&score, "score")?;
            let next_process_at = match state {
                TaskState::Scheduled | TaskState::Retry => unix_or_none(score),
                _ => None,
            };
            out.push(InspectedTask {
                msg,
                state,
                next_process_at,
                score: Some(score),
                result: non_empty(result),
            });
        }
        Ok(out)
    }
}
