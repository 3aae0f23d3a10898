//! Task messages that cannot be processed ("poison"): found under `asynq:{q}:t:<id>` but
//! undecodable, or naming another queue or ID than where they were found. The dequeue and
//! lease-expiry paths report them instead of handing them out, and [`Broker::archive_poison`]
//! moves them to `archived` with a message Go and Rust readers can decode.

use asynq_proto::TaskMessage;
use bytes::Bytes;

use crate::broker::Broker;
use crate::error::Result;

/// A task message that cannot be processed where it was found.
///
/// Produced by [`Broker::dequeue_many`] and [`Broker::list_lease_expired`]; the task is then in
/// `asynq:{queue}:active` with a lease, and [`Broker::archive_poison`] archives it.
#[derive(Clone, PartialEq)]
pub struct PoisonMessage {
    /// The queue the ID was found in.
    pub queue: String,
    /// The task ID it was found under (the `<id>` of `asynq:{queue}:t:<id>`).
    pub id: String,
    /// The `msg` field as stored.
    pub raw: Bytes,
    /// The decoded message when it decodes but names another queue or ID.
    pub decoded: Option<TaskMessage>,
    /// What is wrong, the text stored as the archived task's error (`error_msg`), e.g.
    /// `asynq: cannot decode task message: ...`.
    pub reason: String,
}

impl std::fmt::Debug for PoisonMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoisonMessage")
            .field("queue", &self.queue)
            .field("id", &self.id)
            .field("raw_len", &self.raw.len())
            .field("reason", &self.reason)
            .finish()
    }
}

impl std::fmt::Display for PoisonMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "task {} in queue {:?}: {}",
            self.id, self.queue, self.reason
        )
    }
}

/// Decodes the `msg` field `raw` found under `asynq:{queue}:t:<id>` and checks that it names
/// that queue and ID; anything else is a [`PoisonMessage`] (boxed: the rare case is large).
pub(crate) fn check_message(
    queue: &str,
    id: &str,
    raw: Bytes,
) -> Result<TaskMessage, Box<PoisonMessage>> {
    let poison = |decoded, reason| {
        Box::new(PoisonMessage {
            queue: queue.to_string(),
            id: id.to_string(),
            raw: raw.clone(),
            decoded,
            reason,
        })
    };
    let msg = match asynq_proto::decode::<TaskMessage>(raw.clone()) {
        Ok(m) => m,
        Err(e) => {
            return Err(poison(
                None,
                format!("asynq: cannot decode task message: {e}"),
            ))
        }
    };
    if msg.queue != queue {
        let reason = format!(
            "asynq: task message names queue {:?} but was found in queue {queue:?}",
            msg.queue
        );
        return Err(poison(Some(msg), reason));
    }
    if msg.id != id {
        let reason = format!(
            "asynq: task message has ID {:?} but was found under ID {id:?}",
            msg.id
        );
        return Err(poison(Some(msg), reason));
    }
    Ok(msg)
}

impl PoisonMessage {
    /// The message stored in its place when archived: the decoded message with the queue and ID
    /// where it was found, or, for an undecodable one, an empty task type with the stored bytes
    /// as payload (so they can still be read). Either way Go's and Rust's readers decode it.
    pub fn replacement(&self) -> TaskMessage {
        let mut msg = self.decoded.clone().unwrap_or_else(|| TaskMessage {
            payload: self.raw.clone(),
            ..TaskMessage::default()
        });
        msg.queue = self.queue.clone();
        msg.id = self.id.clone();
        msg
    }
}

impl Broker {
    /// Archives a poison task that is in `active` under a lease: its `msg` becomes
    /// [`PoisonMessage::replacement`] with `error_msg` = the reason and `last_failed_at` = now,
    /// with every effect of [`Broker::archive`] (state `archived`, score now, `processed` and
    /// `failed` counters +1, Go's archive trim). The hash stays, so the Inspector, Go's CLI and
    /// asynqmon list it, and it can be deleted or run like any archived task.
    ///
    /// # Errors
    /// [`crate::BrokerError::NotFound`] when the task is no longer active and leased (another
    /// server archived it first); Redis errors.
    pub async fn archive_poison(&self, poison: &PoisonMessage) -> Result<()> {
        self.archive(&poison.replacement(), &poison.reason).await
    }
}
