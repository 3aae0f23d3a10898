//! # asynq-broker
//!
//! All Redis access of asynq for Rust, wire-compatible with Go
//! [hibiken/asynq](https://github.com/hibiken/asynq) v0.26. Every Redis command the project
//! sends lives here, behind a typed async function, built from one [`keys`] module, so each
//! operation can be held against the wire-protocol specification in one place.
//!
//! ```text
//!   asynq-client / asynq-worker / asynq-inspect / asynq-scheduler
//!                          |
//!                    asynq-broker   <- this crate: RedisConnOpt, keys, Lua scripts, operations
//!                          |
//!                    asynq-proto    (TaskMessage, ServerInfo, ...)
//! ```
//!
//! * [`RedisConnOpt`]: a single node, Sentinel or Cluster, parsed from the URIs Go's
//!   `ParseRedisURI` accepts.
//! * [`Broker`]: one multiplexed connection and one typed function per operation (enqueue,
//!   dequeue, done, retry, archive, forward, lease, server state, ...).
//! * [`keys`]: every Redis key, byte-identical to Go's `internal/base`.
//! * [`Clock`]: the source of every "now", so tests can move time.
//!
//! Producers use `asynq-client`, not this crate directly.

mod broker;
pub mod clock;
pub mod conn;
pub mod error;
pub mod keys;
pub mod ops;
mod scripts;
pub mod state;

pub use broker::{
    Broker, ARCHIVED_EXPIRATION, LEASE_DURATION, MAX_ARCHIVE_SIZE, QUEUE_REGISTRATION_TTL,
    STATS_TTL,
};
pub use clock::{Clock, ManualClock, OffsetClock, SystemClock};
pub use conn::RedisConnOpt;
pub use error::{BrokerError, Result};
pub use ops::aggregation::{AggregationSet, AGGREGATION_TIMEOUT};
pub use ops::batch::BatchItem;
pub use ops::cancel::CancellationSubscription;
pub use ops::dequeue::{DequeueBatch, Dequeued};
pub use ops::janitor::DEFAULT_JANITOR_BATCH_SIZE;
pub use ops::poison::PoisonMessage;
pub use ops::subscription::{Notice, Subscription};
pub use state::TaskState;
