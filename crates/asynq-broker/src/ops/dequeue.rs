//! Dequeue (spec §4.9).

use asynq_proto::TaskMessage;
use bytes::Bytes;
use time::OffsetDateTime;

use crate::broker::{int, text, Broker, LEASE_DURATION};
use crate::error::{BrokerError, Result};
use crate::{keys, scripts};

/// A task handed to a worker by [`Broker::dequeue`].
#[derive(Debug, Clone, PartialEq)]
pub struct Dequeued {
    /// The decoded task message.
    pub msg: TaskMessage,
    /// When the lease taken by the dequeue expires (now + 30 s, whole seconds); the heartbeat
    /// must extend it before then.
    pub lease_expiry: OffsetDateTime,
}

impl Broker {
    /// Moves the oldest pending task of the first queue in `queues` that has one and is not
    /// paused into `active`, leases it for 30 s and returns it (Go `RDB.Dequeue`). `queues` is
    /// tried in the given order; the caller orders it (weighted or strict priority).
    ///
    /// An ID left in `pending` without a task hash (never produced by this crate, Go quirk Q23)
    /// is dropped rather than leased.
    ///
    /// # Errors
    /// [`BrokerError::NoProcessableTask`] when every queue is empty or paused;
    /// [`BrokerError::Decode`] when the message moved to active cannot be decoded (the task stays
    /// active and leased, as with Go, so the recoverer retries or archives it once the lease
    /// expires); Redis errors.
    pub async fn dequeue(&self, queues: &[String]) -> Result<Dequeued> {
        for qname in queues {
            let now = self.now();
            let lease_expiry = now + LEASE_DURATION;
            let keys = vec![
                keys::pending_key(qname),
                keys::paused_key(qname),
                keys::active_key(qname),
                keys::lease_key(qname),
            ];
            let args = vec![
                int(lease_expiry.unix_timestamp()),
                text(&keys::task_key_prefix(qname)),
            ];
            let reply: Option<Bytes> = self.eval(&scripts::DEQUEUE, keys, args).await?;
            let Some(raw) = reply else { continue };
            let msg = asynq_proto::decode::<TaskMessage>(raw).map_err(|e| BrokerError::Decode {
                what: format!("task message dequeued from queue {qname:?}"),
                reason: e.to_string(),
            })?;
            let lease_expiry = OffsetDateTime::from_unix_timestamp(lease_expiry.unix_timestamp())
                .unwrap_or(lease_expiry);
            return Ok(Dequeued { msg, lease_expiry });
        }
        Err(BrokerError::NoProcessableTask)
    }
}
