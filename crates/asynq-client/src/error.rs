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
    /// The task or one of its options is invalid: empty type name, blank queue name, blank task
    /// ID, unique TTL under 1 s, blank group, group or unique task in a batch, ...
    #[error("invalid task: {0}")]
    InvalidTask(String),
    /// A payload could not be encoded to or decoded from JSON.
    #[error("payload json: {0}")]
    Json(#[from] serde_json::Error),
    /// The shared connection cannot be closed through this client (Go: "redis connection is
    /// shared so the Client can't be closed through asynq").
    #[error("redis connection is shared so the Client can't be closed through asynq")]
    SharedConnection,
    /// Any other broker error: Redis unreachable or answering with an error, a bad connection
    /// option.
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
    /// An error with the same variant and message, for reporting one failure on many batch
    /// items (`BrokerError` is not `Clone`).
    pub(crate) fn duplicate(&self) -> ClientError {
        match self {
            ClientError::DuplicateTask => ClientError::DuplicateTask,
            ClientError::TaskIdConflict => ClientError::TaskIdConflict,
            ClientError::InvalidTask(m) => ClientError::InvalidTask(m.clone()),
            ClientError::SharedConnection => ClientError::SharedConnection,
            ClientError::Broker(e) if e.is_connection_error() => {
                ClientError::Broker(BrokerError::Connection(e.to_string()))
            }
            other => ClientError::Broker(BrokerError::Redis(other.to_string())),
        }
    }
}
