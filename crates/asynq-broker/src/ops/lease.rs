//! ListLeaseExpired and ExtendLease (spec §4.22, §4.23).

use asynq_proto::TaskMessage;
use bytes::Bytes;
use fred::prelude::*;
use fred::types::SetOptions;
use time::OffsetDateTime;

use crate::broker::{int, text, Broker, LEASE_DURATION};
use crate::error::Result;
use crate::ops::dequeue::id_message_pairs;
use crate::ops::poison::{check_message, PoisonMessage};
use crate::{keys, scripts};

impl Broker {
    /// The messages of the tasks of `queues` whose lease expired at or before `cutoff` (Go
    /// `RDB.ListLeaseExpired`; the recoverer passes now − 30 s). IDs without a task hash are
    /// skipped.
    ///
    /// Unlike Go, one message that cannot be processed (undecodable, or naming another queue or
    /// ID) does not fail the whole call: it is reported in the second list as a
    /// [`PoisonMessage`], which [`Broker::archive_poison`] archives, and the other tasks can
    /// still be recovered.
    ///
    /// # Errors
    /// Redis errors.
    pub async fn list_lease_expired(
        &self,
        cutoff: OffsetDateTime,
        queues: &[String],
    ) -> Result<(Vec<TaskMessage>, Vec<PoisonMessage>)> {
        let mut msgs = Vec::new();
        let mut bad = Vec::new();
        for qname in queues {
            let keys = vec![keys::lease_key(qname)];
            let args = vec![
                int(cutoff.unix_timestamp()),
                text(&keys::task_key_prefix(qname)),
            ];
            let reply: Vec<Bytes> = self.eval(&scripts::LIST_LEASE_EXPIRED, keys, args).await?;
            for (id, raw) in id_message_pairs(reply) {
                match check_message(qname, &id, raw) {
                    Ok(m) => msgs.push(m),
                    Err(p) => bad.push(*p),
                }
            }
        }
        Ok((msgs, bad))
    }

    /// Extends the leases of the active tasks `ids` of `qname` to now + 30 s with
    /// `ZADD lease XX` (only IDs still leased are touched) and returns the new expiry
    /// (Go `RDB.ExtendLease`).
    ///
    /// # Errors
    /// Redis errors.
    pub async fn extend_lease(&self, qname: &str, ids: &[String]) -> Result<OffsetDateTime> {
        let expiry = self.now() + LEASE_DURATION;
        let expiry = OffsetDateTime::from_unix_timestamp(expiry.unix_timestamp()).unwrap_or(expiry);
        if ids.is_empty() {
            return Ok(expiry);
        }
        let score = expiry.unix_timestamp() as f64;
        let members: Vec<(f64, String)> = ids.iter().map(|id| (score, id.clone())).collect();
        let _: i64 = self
            .client
            .zadd(
                keys::lease_key(qname),
                Some(SetOptions::XX),
                None,
                false,
                false,
                members,
            )
            .await?;
        Ok(expiry)
    }
}
