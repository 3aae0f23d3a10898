//! Dequeue (spec §4.9).

use asynq_proto::TaskMessage;
use bytes::Bytes;
use fred::prelude::*;
use time::OffsetDateTime;

use crate::broker::{int, text, Broker, LEASE_DURATION};
use crate::error::{BrokerError, Result};
use crate::ops::poison::{check_message, PoisonMessage};
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

/// What one [`Broker::dequeue_many`] call took.
#[derive(Debug, Default)]
pub struct DequeueBatch {
    /// The tasks taken, oldest first, all from the first queue that had any.
    pub tasks: Vec<Dequeued>,
    /// Messages taken from that queue that cannot be processed (undecodable, or naming another
    /// queue or ID). They are in `active` under a 30 s lease, like the tasks; the caller archives
    /// them with [`Broker::archive_poison`] (the recoverer does once the lease has expired).
    pub poison: Vec<PoisonMessage>,
    /// Queues skipped because Redis answered their dequeue with an error (a key of the wrong
    /// type, for example), with that error. The queues after them were still tried.
    pub failed: Vec<(String, BrokerError)>,
}

impl DequeueBatch {
    /// True when nothing was taken (every queue empty, paused or failed).
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty() && self.poison.is_empty()
    }

    /// How many IDs were moved to `active` (tasks and poison).
    pub fn taken(&self) -> usize {
        self.tasks.len() + self.poison.len()
    }
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
    /// [`BrokerError::Decode`] when the message moved to active cannot be processed (see
    /// [`DequeueBatch::poison`]; it stays active and leased, and [`Broker::archive_poison`] or
    /// the recoverer archives it); the error of the first failing queue when every queue failed
    /// or was empty; Redis errors.
    pub async fn dequeue(&self, queues: &[String]) -> Result<Dequeued> {
        let mut batch = self.dequeue_many(queues, 1).await?;
        if let Some(one) = batch.tasks.pop() {
            return Ok(one);
        }
        if let Some(p) = batch.poison.pop() {
            return Err(BrokerError::Decode {
                what: format!("task message {}", keys::task_key(&p.queue, &p.id)),
                reason: p.reason,
            });
        }
        match batch.failed.into_iter().next() {
            Some((_, e)) => Err(e),
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
    /// A message that cannot be processed goes to [`DequeueBatch::poison`] instead of
    /// [`DequeueBatch::tasks`]. A queue whose script fails with an error reply (a key of the
    /// wrong type, say) is skipped and reported in [`DequeueBatch::failed`], so one broken key
    /// does not stop the other queues. An empty batch means no queue had a task.
    ///
    /// # Errors
    /// Connection errors ([`BrokerError::is_connection_error`]): Redis could not be reached, so
    /// the other queues are not tried.
    pub async fn dequeue_many(&self, queues: &[String], max: usize) -> Result<DequeueBatch> {
        let max = i64::try_from(max.max(1)).unwrap_or(i64::MAX);
        let mut batch = DequeueBatch::default();
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
            let reply: Vec<Bytes> = match self.eval(&scripts::DEQUEUE, keys, args).await {
                Ok(r) => r,
                Err(e) if e.is_connection_error() => return Err(e),
                Err(e) => {
                    batch.failed.push((qname.clone(), e));
                    continue;
                }
            };
            if reply.is_empty() {
                continue;
            }
            let lease_expiry = OffsetDateTime::from_unix_timestamp(lease_expiry.unix_timestamp())
                .unwrap_or(lease_expiry);
            for (id, raw) in id_message_pairs(reply) {
                match check_message(qname, &id, raw) {
                    Ok(msg) => batch.tasks.push(Dequeued { msg, lease_expiry }),
                    Err(p) => batch.poison.push(*p),
                }
            }
            return Ok(batch);
        }
        Ok(batch)
    }
}

/// Splits a script reply `id1, msg1, id2, msg2, ...` into pairs (an odd trailing element, which
/// the scripts never send, is ignored).
pub(crate) fn id_message_pairs(reply: Vec<Bytes>) -> Vec<(String, Bytes)> {
    let mut out = Vec::with_capacity(reply.len() / 2);
    let mut it = reply.into_iter();
    while let (Some(id), Some(msg)) = (it.next(), it.next()) {
        out.push((String::from_utf8_lossy(&id).into_owned(), msg));
    }
    out
}
