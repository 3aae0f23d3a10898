//! [`TaskContext`]: what a handler knows about the attempt it is running, and the signal that
//! tells it to stop.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use asynq_broker::{Broker, Clock, SystemClock};
use asynq_proto::TaskMessage;
use bytes::Bytes;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::handler_error::HandlerError;
use crate::result_writer::ResultWriter;

/// Why a task's context is done (Go `ctx.Err()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// The task's deadline passed (Go `context.DeadlineExceeded`, `context deadline exceeded`).
    DeadlineExceeded,
    /// The context was cancelled: a cancel message for the task, its lease expiring, or the
    /// server aborting it at shutdown (Go `context.Canceled`, `context canceled`).
    Canceled,
}

impl CancelReason {
    /// The failure an attempt ends with when its context is done for this reason:
    /// [`HandlerError::DeadlineExceeded`] or [`HandlerError::Canceled`].
    pub fn to_handler_error(self) -> HandlerError {
        match self {
            CancelReason::DeadlineExceeded => HandlerError::DeadlineExceeded,
            CancelReason::Canceled => HandlerError::Canceled,
        }
    }
}

impl fmt::Display for CancelReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CancelReason::DeadlineExceeded => "context deadline exceeded",
            CancelReason::Canceled => "context canceled",
        })
    }
}

/// The task facts a handler can read from its context (Go `internal/context` metadata, read with
/// `GetTaskID`, `GetQueueName`, `GetRetryCount`, `GetMaxRetry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskMetadata {
    /// The task ID; it stays the same across retries.
    pub id: String,
    /// The queue the task was taken from.
    pub queue: String,
    /// How many times the task has been retried so far (message field `retried`).
    pub retry_count: i32,
    /// How many retries the task is allowed (message field `retry`).
    pub max_retry: i32,
}

impl TaskMetadata {
    /// The metadata of a dequeued task message.
    pub fn from_message(msg: &TaskMessage) -> TaskMetadata {
        TaskMetadata {
            id: msg.id.clone(),
            queue: msg.queue.clone(),
            retry_count: msg.retried,
            max_retry: msg.retry,
        }
    }
}

/// Where a [`ResultWriter`] sends its data.
pub(crate) enum Sink {
    /// `HSET asynq:{q}:t:<id> result <data>` through the broker.
    Broker(Broker),
    /// Kept in memory, for handler tests without Redis.
    Memory(Mutex<Option<Bytes>>),
}

pub(crate) struct Shared {
    pub(crate) meta: TaskMetadata,
    pub(crate) deadline: OffsetDateTime,
    pub(crate) token: CancellationToken,
    pub(crate) reason: OnceLock<CancelReason>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) sink: Sink,
}

impl Shared {
    pub(crate) fn err(&self) -> Option<CancelReason> {
        if let Some(r) = self.reason.get() {
            return Some(*r);
        }
        if self.token.is_cancelled() {
            return Some(self.reason.get().copied().unwrap_or(CancelReason::Canceled));
        }
        (self.clock.now() >= self.deadline).then_some(CancelReason::DeadlineExceeded)
    }
}

/// The per-attempt context a [`Handler`](crate::Handler) receives (Go: the `ctx` passed to
/// `ProcessTask`, with its task metadata, deadline and cancellation).
///
/// Cheap to clone; clones share one cancellation state. The owner of the attempt (the server's
/// processor, or a test) creates it and calls [`TaskContext::cancel`] when the deadline passes,
/// the server shuts down, a cancel message arrives on `asynq:cancel` or the lease is lost. A
/// handler that runs long should watch [`TaskContext::cancelled`] and stop early.
///
/// ```
/// use std::time::Duration;
/// use asynq_worker::{CancelReason, TaskContext, TaskMetadata};
/// use time::OffsetDateTime;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let meta = TaskMetadata { id: "t1".into(), queue: "default".into(), retry_count: 0, max_retry: 25 };
/// let ctx = TaskContext::without_broker(meta, OffsetDateTime::now_utc() + Duration::from_secs(60));
/// assert_eq!(ctx.task_id(), "t1");
/// assert!(ctx.err().is_none());
///
/// ctx.cancel(CancelReason::Canceled);
/// ctx.cancelled().await; // resolves at once
/// assert_eq!(ctx.err(), Some(CancelReason::Canceled));
/// assert!(ctx.result_writer().write(b"too late").await.is_err());
/// # }
/// ```
#[derive(Clone)]
pub struct TaskContext {
    shared: Arc<Shared>,
}

impl TaskContext {
    /// A context for the attempt described by `meta`, which must finish by `deadline` (see
    /// [`compute_deadline`](crate::compute_deadline)). Its [`ResultWriter`] writes through
    /// `broker`, and "now" for the deadline check is the broker's clock.
    pub fn new(meta: TaskMetadata, deadline: OffsetDateTime, broker: Broker) -> TaskContext {
        let clock = broker.clock().clone();
        TaskContext::with_sink(meta, deadline, clock, Sink::Broker(broker))
    }

    /// A context not connected to Redis, for testing handlers: results written through its
    /// [`ResultWriter`] are kept in memory and read back with [`ResultWriter::stored`]. "Now" is
    /// the system clock.
    pub fn without_broker(meta: TaskMetadata, deadline: OffsetDateTime) -> TaskContext {
        TaskContext::with_sink(
            meta,
            deadline,
            Arc::new(SystemClock),
            Sink::Memory(Mutex::new(None)),
        )
    }

    fn with_sink(
        meta: TaskMetadata,
        deadline: OffsetDateTime,
        clock: Arc<dyn Clock>,
        sink: Sink,
    ) -> TaskContext {
        TaskContext {
            shared: Arc::new(Shared {
                meta,
                deadline,
                token: CancellationToken::new(),
                reason: OnceLock::new(),
                clock,
                sink,
            }),
        }
    }

    /// The task ID (Go `GetTaskID`).
    pub fn task_id(&self) -> &str {
        &self.shared.meta.id
    }

    /// The queue the task was taken from (Go `GetQueueName`).
    pub fn queue(&self) -> &str {
        &self.shared.meta.queue
    }

    /// How many times the task has been retried before this attempt (Go `GetRetryCount`).
    pub fn retry_count(&self) -> i32 {
        self.shared.meta.retry_count
    }

    /// How many retries the task is allowed in total (Go `GetMaxRetry`). When
    /// `retry_count() >= max_retry()` a failure archives the task.
    pub fn max_retry(&self) -> i32 {
        self.shared.meta.max_retry
    }

    /// All of the task metadata.
    pub fn metadata(&self) -> &TaskMetadata {
        &self.shared.meta
    }

    /// When this attempt must be finished (Go `ctx.Deadline()`), whole seconds or finer, see
    /// [`compute_deadline`](crate::compute_deadline).
    pub fn deadline(&self) -> OffsetDateTime {
        self.shared.deadline
    }

    /// Why the context is done, or `None` while the attempt may go on (Go `ctx.Err()`).
    /// A deadline that has passed counts even before the owner has cancelled the context.
    pub fn err(&self) -> Option<CancelReason> {
        self.shared.err()
    }

    /// Whether the owner has cancelled the context.
    pub fn is_cancelled(&self) -> bool {
        self.shared.token.is_cancelled()
    }

    /// Resolves once the context is cancelled (Go `<-ctx.Done()`); use it in a `select!` to stop
    /// work early. Cancel-safe.
    pub async fn cancelled(&self) {
        self.shared.token.cancelled().await;
    }

    /// The cancellation token itself, to hand to code that takes a [`CancellationToken`]
    /// (make a [`child_token`](CancellationToken::child_token) to cancel sub-work separately).
    pub fn cancellation_token(&self) -> &CancellationToken {
        &self.shared.token
    }

    /// Cancels the context for `reason`. The first reason given is kept. Called by the owner of
    /// the attempt. Inside a server, cancelling ends the attempt as a failure with the reason's
    /// error (`context canceled` or `context deadline exceeded`), so the task is retried.
    pub fn cancel(&self, reason: CancelReason) {
        let _ = self.shared.reason.set(reason);
        self.shared.token.cancel();
    }

    /// The writer for this task's result (Go `task.ResultWriter()`).
    pub fn result_writer(&self) -> ResultWriter {
        ResultWriter::new(self.shared.clone())
    }
}

impl fmt::Debug for TaskContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskContext")
            .field("meta", &self.shared.meta)
            .field("deadline", &self.shared.deadline)
            .field("err", &self.err())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn meta() -> TaskMetadata {
        TaskMetadata {
            id: "id1".into(),
            queue: "critical".into(),
            retry_count: 2,
            max_retry: 5,
        }
    }

    #[test]
    fn metadata_from_message() {
        let msg = TaskMessage {
            id: "id1".into(),
            queue: "critical".into(),
            retried: 2,
            retry: 5,
            ..Default::default()
        };
        assert_eq!(TaskMetadata::from_message(&msg), meta());
    }

    #[test]
    fn accessors_and_first_reason_wins() {
        let deadline = OffsetDateTime::now_utc() + Duration::from_secs(60);
        let ctx = TaskContext::without_broker(meta(), deadline);
        assert_eq!(
            (
                ctx.task_id(),
                ctx.queue(),
                ctx.retry_count(),
                ctx.max_retry()
            ),
            ("id1", "critical", 2, 5)
        );
        assert_eq!(ctx.deadline(), deadline);
        assert!(!ctx.is_cancelled());
        let clone = ctx.clone();
        ctx.cancel(CancelReason::DeadlineExceeded);
        ctx.cancel(CancelReason::Canceled);
        assert!(clone.is_cancelled());
        assert_eq!(clone.err(), Some(CancelReason::DeadlineExceeded));
        assert!(matches!(
            clone.err().unwrap().to_handler_error(),
            HandlerError::DeadlineExceeded
        ));
    }

    #[test]
    fn passed_deadline_is_an_error_before_cancel() {
        let ctx =
            TaskContext::without_broker(meta(), OffsetDateTime::now_utc() - Duration::from_secs(1));
        assert!(!ctx.is_cancelled());
        assert_eq!(ctx.err(), Some(CancelReason::DeadlineExceeded));
    }

    #[test]
    fn token_cancelled_directly_reads_as_canceled() {
        let ctx = TaskContext::without_broker(
            meta(),
            OffsetDateTime::now_utc() + Duration::from_secs(60),
        );
        ctx.cancellation_token().cancel();
        assert_eq!(ctx.err(), Some(CancelReason::Canceled));
        assert_eq!(CancelReason::Canceled.to_string(), "context canceled");
    }
}
