//! Retry and Archive (spec §4.13, §4.14).

use asynq_proto::TaskMessage;
use time::OffsetDateTime;

use crate::broker::{bin, int, text, Broker, ARCHIVED_EXPIRATION, MAX_ARCHIVE_SIZE, MAX_INT64};
use crate::error::Result;
use crate::{keys, scripts};

impl Broker {
    /// Moves an active task to `retry` with score `process_at` (Unix seconds) (Go `RDB.Retry`).
    /// The stored message gets `error_msg = err_msg`, `last_failed_at = now` and, only when
    /// `is_failure`, `retried + 1`; then `processed` and `failed` counters +1 (daily and total)
    /// only when `is_failure`. The unique lock is kept.
    ///
    /// `err_msg` is any Rust string, so the stored `error_msg` is always valid UTF-8 (§0.6).
    ///
    /// # Errors
    /// [`crate::BrokerError::NotFound`] when the task is not active or not leased.
    pub async fn retry(
        &self,
        msg: &TaskMessage,
        process_at: OffsetDateTime,
        err_msg: &str,
        is_failure: bool,
    ) -> Result<()> {
        let now = self.now();
        let q = &msg.queue;
        let mut modified = msg.clone();
        if is_failure {
            modified.retried = modified.retried.saturating_add(1);
        }
        modified.error_msg = err_msg.to_string();
        modified.last_failed_at = now.unix_timestamp();
        let keys = vec![
            keys::task_key(q, &msg.id),
            keys::active_key(q),
            keys::lease_key(q),
            keys::retry_key(q),
            keys::processed_key(q, now),
            keys::failed_key(q, now),
            keys::processed_total_key(q),
            keys::failed_total_key(q),
        ];
        let args = vec![
            text(&msg.id),
            bin(asynq_proto::encode(&modified)),
            int(process_at.unix_timestamp()),
            int(self.stats_expiry(now)),
            int(i64::from(is_failure)),
            int(MAX_INT64),
        ];
        let _: String = self.eval(&scripts::RETRY, keys, args).await?;
        Ok(())
    }

    /// Moves an active task to `archived` with score now (Go `RDB.Archive`): `error_msg` and
    /// `last_failed_at` set (`retried` unchanged), `processed` and `failed` counters +1. Archived
    /// tasks older than 90 days are deleted, then the oldest beyond 9,999 entries (Go's exact
    /// trim), their hashes with them; unlike Go the trim works however many entries are due
    /// (quirk Q24). The unique lock is kept.
    ///
    /// # Errors
    /// [`crate::BrokerError::NotFound`] when the task is not active or not leased.
    pub async fn archive(&self, msg: &TaskMessage, err_msg: &str) -> Result<()> {
        let now = self.now();
        let q = &msg.queue;
        let mut modified = msg.clone();
        modified.error_msg = err_msg.to_string();
        modified.last_failed_at = now.unix_timestamp();
        let cutoff = now - ARCHIVED_EXPIRATION;
        let keys = vec![
            keys::task_key(q, &msg.id),
            keys::active_key(q),
            keys::lease_key(q),
            keys::archived_key(q),
            keys::processed_key(q, now),
            keys::failed_key(q, now),
            keys::processed_total_key(q),
            keys::failed_total_key(q),
            keys::task_key_prefix(q),
        ];
        let args = vec![
            text(&msg.id),
            bin(asynq_proto::encode(&modified)),
            int(now.unix_timestamp()),
            int(cutoff.unix_timestamp()),
            int(MAX_ARCHIVE_SIZE),
            int(self.stats_expiry(now)),
            int(MAX_INT64),
        ];
        let _: String = self.eval(&scripts::ARCHIVE, keys, args).await?;
        Ok(())
    }
}
