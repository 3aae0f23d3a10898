//! The client's error type.

use asynq_broker::BrokerError;
use thiserror::Error;

/// Every error [`crate::Client`] can return.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The task's unique lock is held by another task (Go `ErrDuplicateTask`, "task already
    /// exists").
    #[error("task already exists")]
    DuplicateTask,
    /// A task with the same ID already exists in the queue (Go `ErrTaskIDConflict`).
    #[error("task ID conflicts with another task")]
    TaskIdConflict,
    /// The task or one of its options is invalid, found before anything is sent to Redis: empty
    /// type name, blank queue name or one with `{` or `}`, blank task ID, unique TTL under 1 s,
    /// a duration over [`crate::MAX_DURATION`], a message over [`crate::MAX_MESSAGE_SIZE`],
    /// blank group, group or unique task in a batch, ... The message names the option (in Go's
    /// `Option.String()` form where it is a duration) or the size and the limit. Retrying the
    /// same call always fails the same way.
    #[error("invalid task: {0}")]
    InvalidTask(String),
    /// The connection failed or timed out *after* the enqueue command may have been sent, so
    /// the task may or may not be stored: Redis may have run the command and lost only the reply
    /// (for example a timeout while the server is paused or slow runs it afterwards).
    ///
    /// Retrying blindly can enqueue the task twice. Retry with the same ID instead: enqueue again
    /// with [`crate::TaskOption::task_id`]`(task_id)` (the ID below, also the one given, if any);
    /// [`ClientError::TaskIdConflict`] then means the first attempt stored it (for a unique task,
    /// [`ClientError::DuplicateTask`] means its lock is held, by the first attempt or by an
    /// identical task). This holds
    /// while the task is still in its queue: once processed and deleted (no
    /// [`crate::TaskOption::Retention`]) its ID is free again. See [`crate::Client::enqueue`].
    #[error(
        "enqueue outcome unknown: task {task_id} in queue {queue:?} may or may not have been \
         stored: {source}"
    )]
    OutcomeUnknown {
        /// The task's ID: the [`crate::TaskOption::TaskId`] given or the UUID generated for it.
        task_id: String,
        /// The task's queue.
        queue: String,
        /// The connection error (a [`BrokerError::Connection`]).
        source: BrokerError,
    },
    /// A payload could not be encoded to or decoded from JSON.
    #[error("payload json: {0}")]
    Json(#[from] serde_json::Error),
    /// The shared connection cannot be closed through this client (Go: "redis connection is
    /// shared so the Client can't be closed through asynq").
    #[error("redis connection is shared so the Client can't be closed through asynq")]
    SharedConnection,
    /// Any other broker error: Redis unreachable or answering with an error, a bad connection
    /// option. From [`crate::Client::enqueue`] and [`crate::Client::enqueue_batch`], a
    /// connection error here ([`BrokerError::is_connection_error`]) means nothing was written:
    /// a connection error after the write may have been sent is
    /// [`ClientError::OutcomeUnknown`] instead.
    #[error(transparent)]
    Broker(BrokerError),
}

impl From<BrokerError> for ClientError {
    fn from(e: BrokerError) -> Self {
        match e {
            BrokerError::DuplicateTask => ClientError::DuplicateTask,
            BrokerError::TaskIdConflict => ClientError::TaskIdConflict,
            BrokerError::InvalidArgument(m) => ClientError::InvalidTask(m),
            other => ClientError::Broker(other),
        }
    }
}

impl ClientError {
    /// The error of an enqueue command that failed after it may have been sent: connection
    /// errors become [`ClientError::OutcomeUnknown`], the others as [`From`] maps them.
    pub(crate) fn after_send(e: BrokerError, msg: &asynq_proto::TaskMessage) -> ClientError {
        if e.is_connection_error() {
            ClientError::OutcomeUnknown {
                task_id: msg.id.clone(),
                queue: msg.queue.clone(),
                source: e,
            }
        } else {
            ClientError::from(e)
        }
    }

    /// An error with the same variant and message, for reporting one failure on many batch
    /// items (`BrokerError` is not `Clone`).
    pub(crate) fn duplicate(&self) -> ClientError {
        match self {
            ClientError::DuplicateTask => ClientError::DuplicateTask,
            ClientError::TaskIdConflict => ClientError::TaskIdConflict,
            ClientError::InvalidTask(m) => ClientError::InvalidTask(m.clone()),
            ClientError::SharedConnection => ClientError::SharedConnection,
            ClientError::OutcomeUnknown {
                task_id,
                queue,
                source,
            } => ClientError::OutcomeUnknown {
                task_id: task_id.clone(),
                queue: queue.clone(),
                source: connection_copy(source),
            },
            ClientError::Broker(e) if e.is_connection_error() => {
                ClientError::Broker(connection_copy(e))
            }
            other => ClientError::Broker(BrokerError::Redis(other.to_string())),
        }
    }
}

/// A [`BrokerError::Connection`] with the message of `e` (without repeating its prefix).
fn connection_copy(e: &BrokerError) -> BrokerError {
    match e {
        BrokerError::Connection(m) => BrokerError::Connection(m.clone()),
        other => BrokerError::Connection(other.to_string()),
    }
}
