//! # asynq-worker
//!
//! The worker side of asynq for Rust, wire-compatible with Go
//! [hibiken/asynq](https://github.com/hibiken/asynq) v0.26: Go and Rust workers can take tasks
//! from the same Redis, and whatever a Rust worker writes (results, retries, archived errors)
//! reads exactly as a Go worker's would in the Go CLI and asynqmon.
//!
//! A [`Server`] takes tasks from its queues and runs a [`Handler`] (usually a [`ServeMux`]) on
//! each, at most `concurrency` at once, with Go's background components: heartbeat (server
//! entry and lease extension), recoverer, forwarder, janitor, syncer, cancellation subscriber
//! and health checker. The group aggregator is not part of this crate yet: a server leaves
//! grouped tasks to servers that run one.
//!
//! ```text
//!          asynq-worker   <- this crate: server, handlers, mux, context, config, policy
//!             |      \
//!             |     asynq-client   (Task, reused as the task a handler receives)
//!             |      /
//!          asynq-broker            (every Redis command: dequeue, done, retry, archive, ...)
//! ```
//!
//! This crate sends no Redis command itself; everything goes through
//! [`asynq_broker::Broker`].
//!
//! ## Example
//!
//! ```
//! use std::time::Duration;
//! use asynq_worker::{handler_fn, Handler, HandlerError, ServeMux, Task, TaskContext, TaskMetadata};
//! use time::OffsetDateTime;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), asynq_worker::WorkerError> {
//! let mut mux = ServeMux::new();
//! mux.handle_fn("email:welcome", |ctx: TaskContext, task: Task| async move {
//!     let to = std::str::from_utf8(task.payload())?;
//!     ctx.result_writer().write(format!("welcomed {to}").as_bytes()).await?;
//!     Ok(())
//! })?;
//! mux.handle_fn("image:", |_ctx, task: Task| async move {
//!     Err(HandlerError::skip_retry(format!("cannot process {}", task.task_type())))
//! })?;
//!
//! // Handlers can be tested without Redis:
//! let meta = TaskMetadata { id: "t1".into(), queue: "default".into(), retry_count: 0, max_retry: 25 };
//! let ctx = TaskContext::without_broker(meta, OffsetDateTime::now_utc() + Duration::from_secs(60));
//! mux.process_task(ctx.clone(), Task::new("email:welcome", "ann@example.com")).await.unwrap();
//! assert_eq!(ctx.result_writer().stored().unwrap(), "welcomed ann@example.com");
//!
//! let err = mux.process_task(ctx.clone(), Task::new("image:resize", "")).await.unwrap_err();
//! assert!(err.is_skip_retry());
//! # Ok(()) }
//! ```
//!
//! ## Concepts
//!
//! * [`Server`], [`ServerState`]: Go's `Server` (`Start`, `Run`, `Stop`, `Shutdown`, `Ping`).
//! * [`Handler`], [`handler_fn`]: processing code, Go's `Handler` / `HandlerFunc`.
//! * [`ServeMux`], [`Middleware`]: Go's pattern routing (exact match, then longest prefix).
//! * [`TaskContext`], [`ResultWriter`]: task ID, queue, retry count, max retry, deadline,
//!   cancellation, and the result writer (Go's `ctx` helpers and `ResultWriter`).
//! * [`HandlerError`], [`SkipRetry`], [`RevokeTask`], [`PanicError`]: how an attempt fails and
//!   what that does to the task.
//! * [`Config`], [`ConfigError`]: Go's server configuration, defaults and normalisation.
//! * [`QueueSelector`], [`default_retry_delay`], [`compute_deadline`], [`decide_outcome`]: the
//!   processing rules of Go's processor as pure functions.
//!
//! The task a handler receives is [`asynq_client::Task`] (re-exported as [`Task`]), built from
//! the dequeued message by [`task_from_message`]: type, payload and headers.

#![deny(unsafe_code)]
#![warn(missing_docs)]

mod aggregator;
mod config;
mod context;
mod deadline;
mod error;
mod exec;
mod forwarder;
mod handler;
mod handler_error;
mod healthcheck;
mod heartbeat;
mod hooks;
mod idle;
mod janitor;
mod lease;
mod mux;
mod outcome;
mod panic;
mod processor;
mod queues;
mod recoverer;
mod result_writer;
mod retry;
mod server;
mod shared;
mod signals;
mod subscriber;
mod syncer;
mod task;
mod workers;
mod write;

pub use async_trait::async_trait;
pub use asynq_broker::{Broker, BrokerError, RedisConnOpt};
pub use asynq_client::Task;

pub use config::{
    Config, DEFAULT_DELAYED_TASK_CHECK_INTERVAL, DEFAULT_GROUP_GRACE_PERIOD,
    DEFAULT_HEALTH_CHECK_INTERVAL, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_JANITOR_INTERVAL,
    DEFAULT_RECOVERER_INTERVAL, DEFAULT_SHUTDOWN_TIMEOUT, DEFAULT_SYNCER_INTERVAL,
    DEFAULT_TASK_CHECK_INTERVAL, MAX_HEARTBEAT_INTERVAL, MIN_GROUP_GRACE_PERIOD,
};
pub use context::{CancelReason, TaskContext, TaskMetadata};
pub use deadline::{compute_deadline, lacks_timeout_and_deadline, FALLBACK_TIMEOUT};
pub use error::{ConfigError, WorkerError};
pub use handler::{handler_fn, Handler, HandlerFn};
pub use handler_error::{BoxError, HandlerError, RevokeTask, SkipRetry};
pub use hooks::{
    aggregator_fn, AggregatorFn, ErrorHandler, GroupAggregator, HealthCheckFn, IsFailureFn,
    RetryDelayFn,
};
pub use mux::{not_found_handler, Middleware, ServeMux};
pub use outcome::{decide_outcome, AttemptEnd, AttemptInfo, Outcome};
pub use panic::{panic_message, PanicError};
pub use queues::{normalize_priorities, sort_by_priority, QueueSelector};
pub use result_writer::ResultWriter;
pub use retry::{
    default_retry_delay, default_retry_delay_with, retry_delay_for, RETRY_JITTER_STEPS,
};
pub use server::Server;
pub use shared::ServerState;
pub use task::task_from_message;
