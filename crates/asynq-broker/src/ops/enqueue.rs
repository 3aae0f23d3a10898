//! Enqueue, EnqueueUnique, Schedule and ScheduleUnique (spec §4.2 to §4.5).

use std::time::Duration;

use asynq_proto::TaskMessage;
use time::OffsetDateTime;

use crate::broker::{bin, enqueue_reply, int, text, whole_seconds, Broker};
use crate::clock::unix_nanos;
use crate::error::{BrokerError, Result};
use crate::{keys, scripts};

pub(crate) mod group_commit;

impl Broker {
    /// Adds `msg` to the pending list of `msg.queue` (Go `RDB.Enqueue`): the hash gets `msg`,
    /// `state = pending` and `pending_since` (now, Unix nanoseconds).
    ///
    /// # Errors
    /// [`BrokerError::TaskIdConflict`] when a task with `msg.id` exists in the queue;
    /// [`BrokerError::InvalidArgument`] for a blank queue name; Redis errors.
    ///
    /// Many concurrent calls for one queue share script calls (group commit): while fewer than
    /// 16 enqueues of its queue are in flight on this connection, a call sends its task at
    /// once; calls arriving beyond that are sent together, in arrival order, as one script call
    /// when a call in flight returns. Redis sees per task exactly what one call per task
    /// writes, and each caller gets its own result. A caller
    /// whose future is dropped while it waits is either not enqueued or enqueued without
    /// anybody waiting; the queue's later enqueues are never held up by it.
    pub async fn enqueue(&self, msg: &TaskMessage) -> Result<()> {
        keys::validate_queue_name(&msg.queue)?;
        self.register_queue(&msg.queue).await?;
        let task = group_commit::Prepared {
            task_key: keys::task_key(&msg.queue, &msg.id),
            msg: asynq_proto::encode(msg),
            id: msg.id.clone(),
            now_ns: unix_nanos(self.now()),
        };
        group_commit::enqueue(self, &msg.queue, keys::pending_key(&msg.queue), task).await
    }

    /// Like [`Broker::enqueue`], holding the unique lock `msg.unique_key` for `ttl` (whole
    /// seconds, truncated) first (Go `RDB.EnqueueUnique`). The hash also gets `unique_key`.
    ///
    /// # Errors
    /// [`BrokerError::DuplicateTask`] when the lock is held; [`BrokerError::TaskIdConflict`] when
    /// the ID exists (the lock just taken stays, as in Go); [`BrokerError::InvalidArgument`] for a
    /// blank queue or unique key.
    pub async fn enqueue_unique(&self, msg: &TaskMessage, ttl: Duration) -> Result<()> {
        keys::validate_queue_name(&msg.queue)?;
        require_unique_key(msg)?;
        self.register_queue(&msg.queue).await?;
        let keys = vec![
            msg.unique_key.clone(),
            keys::task_key(&msg.queue, &msg.id),
            keys::pending_key(&msg.queue),
        ];
        let args = vec![
            text(&msg.id),
            int(whole_seconds(ttl)),
            bin(asynq_proto::encode(msg)),
            int(unix_nanos(self.now())),
        ];
        let n: i64 = self.eval(&scripts::ENQUEUE_UNIQUE, keys, args).await?;
        enqueue_reply("enqueue unique", n)
    }

    /// Adds `msg` to the scheduled set with score `process_at` (Unix seconds) (Go
    /// `RDB.Schedule`). The hash gets `msg` and `state = scheduled` only.
    ///
    /// # Errors
    /// As [`Broker::enqueue`].
    pub async fn schedule(&self, msg: &TaskMessage, process_at: OffsetDateTime) -> Result<()> {
        keys::validate_queue_name(&msg.queue)?;
        self.register_queue(&msg.queue).await?;
        let keys = vec![
            keys::task_key(&msg.queue, &msg.id),
            keys::scheduled_key(&msg.queue),
        ];
        let args = vec![
            bin(asynq_proto::encode(msg)),
            int(process_at.unix_timestamp()),
            text(&msg.id),
        ];
        let n: i64 = self.eval(&scripts::SCHEDULE, keys, args).await?;
        enqueue_reply("schedule", n)
    }

    /// Like [`Broker::schedule`], holding the unique lock for `ttl` first (Go
    /// `RDB.ScheduleUnique`). Go's client passes `ttl` = (process_at − now) + unique TTL so the
    /// lock outlives the process-at time by the unique TTL.
    ///
    /// # Errors
    /// As [`Broker::enqueue_unique`].
    pub async fn schedule_unique(
        &self,
        msg: &TaskMessage,
        process_at: OffsetDateTime,
        ttl: Duration,
    ) -> Result<()> {
        keys::validate_queue_name(&msg.queue)?;
        require_unique_key(msg)?;
        self.register_queue(&msg.queue).await?;
        let keys = vec![
            msg.unique_key.clone(),
            keys::task_key(&msg.queue, &msg.id),
            keys::scheduled_key(&msg.queue),
        ];
        let args = vec![
            text(&msg.id),
            int(whole_seconds(ttl)),
            int(process_at.unix_timestamp()),
            bin(asynq_proto::encode(msg)),
        ];
        let n: i64 = self.eval(&scripts::SCHEDULE_UNIQUE, keys, args).await?;
        enqueue_reply("schedule unique", n)
    }
}

fn require_unique_key(msg: &TaskMessage) -> Result<()> {
    if msg.unique_key.is_empty() {
        return Err(BrokerError::InvalidArgument(
            "unique enqueue needs msg.unique_key".into(),
        ));
    }
    Ok(())
}
