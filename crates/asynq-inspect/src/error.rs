//! [`InspectError`]: every error an [`crate::Inspector`] method returns.

use asynq_broker::BrokerError;
use thiserror::Error;

/// The errors of the Inspector. Go's public sentinels (`ErrQueueNotFound`, `ErrTaskNotFound`,
/// `ErrQueueNotEmpty`) and its `FailedPrecondition` errors are variants of their own, so callers
/// match on them instead of on text.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum InspectError {
    /// The queue is not in `asynq:queues` (Go `ErrQueueNotFound` / `QueueNotFoundError`).
    #[error("queue {0:?} does not exist")]
    QueueNotFound(String),
    /// No task with this ID in this queue (Go `ErrTaskNotFound` / `TaskNotFoundError`).
    #[error("cannot find task with id={id} in queue {queue:?}")]
    TaskNotFound {
        /// Queue name.
        queue: String,
        /// Task ID.
        id: String,
    },
    /// [`crate::Inspector::delete_queue`] without force on a queue that holds tasks (Go
    /// `ErrQueueNotEmpty`).
    #[error("queue {0:?} is not empty")]
    QueueNotEmpty(String),
    /// The task is already archived (Go `TaskAlreadyArchivedError`).
    #[error("task is already archived: id={id}, queue={queue}")]
    TaskAlreadyArchived {
        /// Queue name.
        queue: String,
        /// Task ID.
        id: String,
    },
    /// The operation does not apply in the current state (Go code `FailedPrecondition`), with
    /// Go's text: `task is already running`, `task is already in pending state`, `cannot archive
    /// task in active state. use CancelProcessing instead.`, `cannot remove queue with active
    /// tasks`, `queue "q" is already paused`, ...
    #[error("{0}")]
    FailedPrecondition(String),
    /// An argument Go also refuses: a blank queue name (`queue name must contain one or more
    /// characters`), a non-positive number of days, ...
    #[error("{0}")]
    InvalidArgument(String),
    /// Any other broker error: Redis unreachable, an error reply, an undecodable value.
    #[error(transparent)]
    Broker(BrokerError),
}

impl From<BrokerError> for InspectError {
    fn from(e: BrokerError) -> Self {
        match e {
            BrokerError::QueueNotFound(q) => InspectError::QueueNotFound(q),
            BrokerError::TaskNotFound { queue, id } => InspectError::TaskNotFound { queue, id },
            BrokerError::QueueNotEmpty(q) => InspectError::QueueNotEmpty(q),
            BrokerError::TaskAlreadyArchived { queue, id } => {
                InspectError::TaskAlreadyArchived { queue, id }
            }
            BrokerError::FailedPrecondition(m) => InspectError::FailedPrecondition(m),
            BrokerError::InvalidArgument(m) => InspectError::InvalidArgument(m),
            other => InspectError::Broker(other),
        }
    }
}

impl InspectError {
    /// True when the queue does not exist (Go `errors.Is(err, ErrQueueNotFound)`).
    pub fn is_queue_not_found(&self) -> bool {
        matches!(self, InspectError::QueueNotFound(_))
    }

    /// True when the task does not exist (Go `errors.Is(err, ErrTaskNotFound)`).
    pub fn is_task_not_found(&self) -> bool {
        matches!(self, InspectError::TaskNotFound { .. })
    }
}
