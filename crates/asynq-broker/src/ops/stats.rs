//! Queue counters read back (part of Go `RDB.CurrentStats`, spec §5.3).

use fred::prelude::*;

use crate::broker::Broker;
use crate::error::Result;
use crate::keys;

impl Broker {
    /// The all-time processed and failed counts of queue `qname` (`GET asynq:{q}:processed` and
    /// `asynq:{q}:failed`; Go `QueueInfo.ProcessedTotal`, `FailedTotal`), 0 for a counter that
    /// does not exist yet.
    ///
    /// # Errors
    /// Redis errors, or [`crate::BrokerError::Redis`] when a counter is not an integer.
    pub async fn total_counts(&self, qname: &str) -> Result<(i64, i64)> {
        let processed: Option<i64> = self.client.get(keys::processed_total_key(qname)).await?;
        let failed: Option<i64> = self.client.get(keys::failed_total_key(qname)).await?;
        Ok((processed.unwrap_or(0), failed.unwrap_or(0)))
    }
}
