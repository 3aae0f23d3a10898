//! Dequeue (spec §4.9).

use asynq_proto::TaskMessage;
use bytes::Bytes;
use fred::prelude::*;
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
        let mut taken = self.dequeue_many(queues, 1).await?;
        match taken.pop() {
            Some(one) => one,
            None => Err(BrokerError::NoProcessableTask),
        }
    }

    /// Whether any queue in `queues` has a task in `pending`: one `LLEN asynq:{q}:pending` per
    /// queue, sent together (no script). An idle worker polls with this instead of a dequeue
    /// script per queue, so an empty poll costs one command per queue. A paused queue with
    /// pending tasks counts as having some (the dequeue that follows then finds none).
    ///
    /// # Errors
    /// Redis errors.
    pub async fn any_pending(&self, queues: &[String]) -> Result<bool> {
        let lens = futures::future::try_join_all(queues.iter().map(|q| async move {
            let n: i64 = self.client.llen(keys::pending_key(q)).await?;
            Ok::<i64, BrokerError>(n)
        }))
        .await?;
        Ok(lens.into_iter().any(|n| n > 0))
    }

    /// Like [`Broker::dequeue`], but takes up to `max` tasks (at least 1) in one script call,
    /// all from the first queue in `queues` that has any: each gets exactly the effects of a
    /// single dequeue (state `active`, no `pending_since`, a 30 s lease), oldest first. A worker
    /// with several free slots so takes several tasks per round trip.
    ///
    /// Each element is one task, or [`BrokerError::Decode`] for a message that cannot be
    /// decoded (that task stays in `active` under its lease, as in Go).
    ///
    /// # Errors
    /// [`BrokerError::NoProcessableTask`] when every queue is empty or paused; Redis errors.
    pub async fn dequeue_many(
        &self,
        queues: &[String],
        max: usize,
    ) -> Result<Vec<Result<Dequeued>>> {
        let max = i64::try_from(max.max(1)).unwrap_or(i64::MAX);
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
                int(max),
            ];
            let reply: Vec<Bytes> = self.eval(&scripts::DEQUEUE, keys, args).await?;
            if reply.is_empty() {
                continue;
            }
            let lease_expiry = OffsetDateTime::from_unix_timestamp(lease_expiry.unix_timestamp())
                .unwrap_or(lease_expiry);
            return Ok(reply
                .into_iter()
                .map(|raw| {
                    let msg = asynq_proto::decode::<TaskMessage>(raw).map_err(|e| {
                        BrokerError::Decode {
                            what: format!("task message dequeued from queue {qname:?}"),
                            reason: e.to_string(),
                        }
                    })?;
                    Ok(Dequeued { msg, lease_expiry })
                })
                .collect());
        }
        Err(BrokerError::NoProcessableTask)
    }
}
