//! The broker's error type.

use thiserror::Error;

/// Every error an `asynq-broker` operation can return.
///
/// Go's sentinel errors (`ErrDuplicateTask`, `ErrTaskIdConflict`, `ErrNoProcessableTask`, the
/// `NOT FOUND` script replies) are variants of their own so callers can match on them.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// A Redis URI that could not be parsed (Go: `asynq: could not parse redis uri: ...` and the
    /// messages of `ParseRedisURI`).
    #[error("asynq: could not parse redis uri: {0}")]
    InvalidUri(String),
    /// A URI scheme other than `redis`, `rediss`, `redis-socket` and `redis-sentinel`
    /// (Go: `asynq: unsupported uri scheme: "<scheme>"`).
    #[error("asynq: unsupported uri scheme: {0:?}")]
    UnsupportedScheme(String),
    /// A connection option that cannot be used (no address, unreadable certificate file, ...).
    #[error("asynq: invalid redis connection option: {0}")]
    InvalidConnOpt(String),
    /// The unique lock is held by another task (Go `ErrDuplicateTask`, "task already exists").
    #[error("task already exists")]
    DuplicateTask,
    /// A task with the same ID already exists in the queue (Go `ErrTaskIDConflict`).
    #[error("task ID conflicts with another task")]
    TaskIdConflict,
    /// No queue had a task to hand out (Go `ErrNoProcessableTask`).
    #[error("no tasks are ready for processing")]
    NoProcessableTask,
    /// A script refused the operation because the task was not where it had to be, e.g. no longer
    /// in `active` or without a lease (Go: `NOT FOUND` error reply, code `Internal`).
    #[error("task not found: {0}")]
    NotFound(String),
    /// The queue is not in `asynq:queues` (Go `QueueNotFoundError`, code `NotFound`).
    #[error("queue {0:?} does not exist")]
    QueueNotFound(String),
    /// No task with this ID in this queue (Go `TaskNotFoundError`).
    #[error("cannot find task with id={id} in queue {queue:?}")]
    TaskNotFound {
        /// Queue name.
        queue: String,
        /// Task ID.
        id: String,
    },
    /// The queue still holds tasks and removal was not forced (Go `QueueNotEmptyError`).
    #[error("queue {0:?} is not empty")]
    QueueNotEmpty(String),
    /// The task is already archived (Go `TaskAlreadyArchivedError`, code `FailedPrecondition`).
    #[error("task is already archived: id={id}, queue={queue}")]
    TaskAlreadyArchived {
        /// Queue name.
        queue: String,
        /// Task ID.
        id: String,
    },
    /// The operation does not apply to the task or queue in its current state (Go code
    /// `FailedPrecondition`); the text is Go's, e.g. `task is already running`.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The lease of an active task has already expired or is not held (extend lease, write guard).
    #[error("lease expired for task {0}")]
    LeaseExpired(String),
    /// A value read from Redis could not be decoded (a malformed message, a non-integer counter).
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// What was being decoded, e.g. `task message asynq:{default}:t:abc`.
        what: String,
        /// Why decoding failed.
        reason: String,
    },
    /// A script returned a reply of a shape the broker does not expect (Go code `Internal`).
    #[error("unexpected reply from {op}: {reply}")]
    UnexpectedReply {
        /// The operation, e.g. `enqueue`.
        op: &'static str,
        /// The reply as text.
        reply: String,
    },
    /// Redis answered with an error reply (Go `RedisCommandError`, `redis eval error: ...`).
    #[error("redis error: {0}")]
    Redis(String),
    /// Redis could not be reached in time: I/O error, timeout, connection closed while the
    /// command was in flight. Retrying later may succeed.
    #[error("redis connection error: {0}")]
    Connection(String),
    /// A value the caller gave cannot be stored (for example a string that is not valid UTF-8 in
    /// a protobuf string field).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl BrokerError {
    /// True for errors caused by the connection to Redis (unreachable, timed out, I/O), the kind a
    /// caller may retry.
    pub fn is_connection_error(&self) -> bool {
        matches!(self, BrokerError::Connection(_))
    }
}

impl From<fred::error::Error> for BrokerError {
    fn from(e: fred::error::Error) -> Self {
        use fred::error::ErrorKind;
        match e.kind() {
            ErrorKind::IO | ErrorKind::Timeout | ErrorKind::Canceled | ErrorKind::Backpressure => {
                BrokerError::Connection(e.to_string())
            }
            _ if e.details().starts_with("NOT FOUND") => {
                BrokerError::NotFound(e.details().to_string())
            }
            _ => BrokerError::Redis(e.to_string()),
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = BrokerError> = std::result::Result<T, E>;
