//! The crate's error types: [`WorkerError`] for operations of this crate and [`ConfigError`]
//! for [`Config::validate`](crate::Config::validate).

use std::time::Duration;

use asynq_broker::BrokerError;
use thiserror::Error;

use crate::context::CancelReason;

/// Every error an operation of this crate can return (the handler's own error type is
/// [`HandlerError`](crate::HandlerError)).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WorkerError {
    /// [`ServeMux::handle`](crate::ServeMux::handle) was given a pattern that is empty or only
    /// whitespace (Go panics with `asynq: invalid pattern`).
    #[error("asynq: invalid pattern {pattern:?}")]
    InvalidPattern {
        /// The rejected pattern.
        pattern: String,
    },
    /// [`ServeMux::handle`](crate::ServeMux::handle) was given a pattern that already has a
    /// handler (Go panics with `asynq: multiple registrations for <pattern>`).
    #[error("asynq: multiple registrations for {pattern}")]
    DuplicatePattern {
        /// The pattern registered twice.
        pattern: String,
    },
    /// A [`ResultWriter`](crate::ResultWriter) was used after its task's context was cancelled
    /// or its deadline passed (Go: `failed to write task result: <ctx err>`).
    #[error("failed to write task result: {reason}")]
    TaskContextDone {
        /// Why the context is done.
        reason: CancelReason,
    },
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Redis could not be reached or answered with an error.
    #[error(transparent)]
    Broker(#[from] BrokerError),
    /// [`Server::start`](crate::Server::start) on a running server (Go: `asynq: the server is
    /// already running`).
    #[error("asynq: the server is already running")]
    ServerRunning,
    /// [`Server::start`](crate::Server::start) after [`Server::stop`](crate::Server::stop) (Go:
    /// `asynq: the server is in the stopped state. Waiting for shutdown.`).
    #[error("asynq: the server is in the stopped state. Waiting for shutdown.")]
    ServerStopped,
    /// The server was shut down and cannot be used again (Go `ErrServerClosed`, `asynq: Server
    /// closed`).
    #[error("asynq: Server closed")]
    ServerClosed,
    /// [`Server::start`](crate::Server::start) was called outside a Tokio runtime.
    #[error("asynq: the server must be started from within a Tokio runtime")]
    NoRuntime,
    /// The signal handlers of [`Server::run`](crate::Server::run) could not be installed.
    #[error("asynq: cannot listen for signals: {0}")]
    Signal(#[source] std::io::Error),
}

/// Why a [`Config`](crate::Config) is invalid, from [`Config::validate`](crate::Config::validate)
/// and [`Config::normalize`](crate::Config::normalize).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `concurrency` is 0 (meaning "one per CPU") but the number of CPUs cannot be determined.
    #[error("concurrency is 0 and the number of CPUs is unknown")]
    NoConcurrency,
    /// A queue name is empty or only whitespace (Go `ValidateQueueName`: "queue name must
    /// contain one or more characters"; Go's server silently ignores such a queue).
    #[error("queue name must contain one or more characters (got {name:?})")]
    BlankQueueName {
        /// The rejected name.
        name: String,
    },
    /// A queue has a priority of zero or less (Go's server silently ignores such a queue).
    #[error("queue {queue:?} has priority {priority}; priorities must be at least 1")]
    NonPositivePriority {
        /// The queue name.
        queue: String,
        /// Its priority.
        priority: i32,
    },
    /// `group_grace_period` is set below one second (Go panics: "GroupGracePeriod cannot be
    /// less than a second").
    #[error("GroupGracePeriod cannot be less than a second (got {period:?})")]
    GroupGracePeriodTooShort {
        /// The configured period.
        period: Duration,
    },
    /// A queue name contains `{` or `}`, which would break the Redis Cluster hash tag
    /// `asynq:{<queue>}:` that keeps a queue's keys in one slot. Go accepts such names (a
    /// documented divergence).
    #[error("queue name {name:?} must not contain '{{' or '}}' (they break the Redis Cluster key layout)")]
    QueueNameWithBrace {
        /// The rejected name.
        name: String,
    },
    /// `heartbeat_interval` is longer than a third of the 30 s lease (10 s): leases would
    /// lapse between two extensions and the recoverer would retry running tasks. Go fixes the
    /// interval at 5 s.
    #[error("heartbeat_interval {interval:?} is longer than {max:?} (a third of the 30 s lease); leases would lapse")]
    HeartbeatIntervalTooLong {
        /// The configured interval.
        interval: Duration,
        /// The longest accepted interval, 10 s.
        max: Duration,
    },
}
