//! DeleteExpiredCompletedTasks (spec §4.21).

use crate::broker::{int, text, Broker};
use crate::error::Result;
use crate::{keys, scripts};

/// Default number of completed tasks deleted per script call: 100 (Go `JanitorBatchSize`).
pub const DEFAULT_JANITOR_BATCH_SIZE: usize = 100;

impl Broker {
    /// Deletes the completed tasks of `qname` whose retention has run out (score ≤ now), hash and
    /// index entry, `batch_size` per script call until none is left (Go
    /// `RDB.DeleteExpiredCompletedTasks`). Returns the number deleted.
    ///
    /// # Errors
    /// Redis errors.
    pub async fn delete_expired_completed_tasks(
        &self,
        qname: &str,
        batch_size: usize,
    ) -> Result<u64> {
        let batch = i64::try_from(batch_size.max(1)).unwrap_or(i64::MAX);
        let mut deleted = 0u64;
        loop {
            let keys = vec![keys::completed_key(qname)];
            let args = vec![
                int(self.now().unix_timestamp()),
                text(&keys::task_key_prefix(qname)),
                int(batch),
            ];
            let n: u64 = self
                .eval(&scripts::DELETE_EXPIRED_COMPLETED, keys, args)
                .await?;
            deleted += n;
            if n == 0 {
                return Ok(deleted);
            }
        }
    }
}
