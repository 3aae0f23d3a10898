//! Done, MarkAsComplete and Requeue (spec §4.10 to §4.12).

use asynq_proto::TaskMessage;

use crate::broker::{bin, int, text, Broker, MAX_INT64};
use crate::error::Result;
use crate::{keys, scripts};

impl Broker {
    /// Removes a successfully processed task (retention 0) or a revoked one: out of `active` and
    /// `lease`, hash deleted, `processed` counters +1, and the unique lock released if this task
    /// still owns it (Go `RDB.Done`, both variants).
    ///
    /// # Errors
    /// [`crate::BrokerError::NotFound`] when the task is not in `active`, has no lease or no
    /// hash (partial effects stay, as in Go); Redis errors.
    pub async fn done(&self, msg: &TaskMessage) -> Result<()> {
        let now = self.now();
        let q = &msg.queue;
        let mut keys = vec![
            keys::active_key(q),
            keys::lease_key(q),
            keys::task_key(q, &msg.id),
            keys::processed_key(q, now),
            keys::processed_total_key(q),
        ];
        if !msg.unique_key.is_empty() {
            keys.push(msg.unique_key.clone());
        }
        let args = vec![text(&msg.id), int(self.stats_expiry(now)), int(MAX_INT64)];
        let _: String = self.eval(&scripts::DONE, keys, args).await?;
        Ok(())
    }

    /// Moves a successfully processed task with retention > 0 to `completed`, score =
    /// now + retention (Unix seconds); sets `msg.completed_at` to now before writing it (Go
    /// `RDB.MarkAsComplete`). Counters and unique lock as in [`Broker::done`].
    ///
    /// # Errors
    /// As [`Broker::done`].
    pub async fn mark_as_complete(&self, msg: &TaskMessage) -> Result<()> {
        let now = self.now();
        let q = &msg.queue;
        let mut completed = msg.clone();
        completed.completed_at = now.unix_timestamp();
        let expires_at = now.unix_timestamp().saturating_add(msg.retention);
        let mut keys = vec![
            keys::active_key(q),
            keys::lease_key(q),
            keys::completed_key(q),
            keys::task_key(q, &msg.id),
            keys::processed_key(q, now),
            keys::processed_total_key(q),
        ];
        if !msg.unique_key.is_empty() {
            keys.push(msg.unique_key.clone());
        }
        let args = vec![
            text(&msg.id),
            int(self.stats_expiry(now)),
            int(expires_at),
            bin(asynq_proto::encode(&completed)),
            int(MAX_INT64),
        ];
        let _: String = self.eval(&scripts::MARK_COMPLETE, keys, args).await?;
        Ok(())
    }

    /// Puts an active task back at the right end of `pending` (dequeued next), without
    /// `pending_since` and without touching counters or `retried` (Go `RDB.Requeue`, used when a
    /// server shuts down with the task unfinished).
    ///
    /// # Errors
    /// [`crate::BrokerError::NotFound`] when the task is not active or not leased.
    pub async fn requeue(&self, msg: &TaskMessage) -> Result<()> {
        let q = &msg.queue;
        let keys = vec![
            keys::active_key(q),
            keys::lease_key(q),
            keys::pending_key(q),
            keys::task_key(q, &msg.id),
        ];
        let _: String = self
            .eval(&scripts::REQUEUE, keys, vec![text(&msg.id)])
            .await?;
        Ok(())
    }
}
