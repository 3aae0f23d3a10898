//! WriteResult (spec §4.27).

use fred::prelude::*;

use crate::broker::Broker;
use crate::error::Result;
use crate::keys;

impl Broker {
    /// `HSET asynq:{q}:t:<id> result <data>`; returns `data.len()` (Go `RDB.WriteResult`). It
    /// does not check that the task exists: callers (the worker's `ResultWriter`) must only
    /// write while the task is theirs.
    ///
    /// # Errors
    /// Redis errors.
    pub async fn write_result(&self, qname: &str, id: &str, data: &[u8]) -> Result<usize> {
        let _: i64 = self
            .client
            .hset(
                keys::task_key(qname, id),
                ("result", bytes::Bytes::copy_from_slice(data)),
            )
            .await?;
        Ok(data.len())
    }
}
