//! # asynq-client
//!
//! The producer side of asynq for Rust: build a [`Task`], give it [`TaskOption`]s, and
//! [`Client::enqueue`] it. Tasks are stored exactly as Go's
//! [hibiken/asynq](https://github.com/hibiken/asynq) v0.26 stores them, so Go and Rust workers,
//! the Go `asynq` CLI and asynqmon all see and process them. This is the only crate a producer
//! needs.
//!
//! ```no_run
//! use std::time::Duration;
//! use asynq_client::{Client, RedisConnOpt, Task, TaskOption};
//!
//! # async fn run() -> Result<(), asynq_client::ClientError> {
//! let client = Client::connect(RedisConnOpt::parse_uri("redis://127.0.0.1:6379")?).await?;
//!
//! // Process as soon as a worker is free.
//! let welcome = Task::from_json("email:welcome", &serde_json::json!({"user_id": 42}))?;
//! client.enqueue(&welcome, &[]).await?;
//!
//! // Process in 24 h, in the `low` queue, at most 3 retries, once per hour per payload.
//! let reminder = Task::from_json("email:reminder", &serde_json::json!({"user_id": 42}))?;
//! let info = client
//!     .enqueue(&reminder, &[
//!         TaskOption::queue("low"),
//!         TaskOption::max_retry(3),
//!         TaskOption::process_in(Duration::from_secs(24 * 3600)),
//!         TaskOption::unique(Duration::from_secs(3600)),
//!     ])
//!     .await?;
//! println!("{} is {} until {:?}", info.id, info.state, info.next_process_at);
//! # Ok(()) }
//! ```
//!
//! Defaults are Go's: queue `default`, 25 retries, a 30 min timeout when neither a timeout nor
//! a deadline is given, a UUID v4 task ID, no retention.
//!
//! Tasks and options are checked before anything is sent ([`compose`] computes, without Redis,
//! the message an enqueue stores), so a bad value is a [`ClientError::InvalidTask`] naming the
//! option, never a panic or a raw Redis error. A connection failure once the command may have
//! been sent is [`ClientError::OutcomeUnknown`]: the task may be stored, and
//! [`Client::enqueue`] shows how to retry it without duplicates.

mod client;
mod compose;
mod error;
pub mod gofmt;
mod info;
mod option;
mod option_parse;
mod task;

pub use asynq_broker::{BrokerError, RedisConnOpt, TaskState};
pub use client::Client;
pub use compose::{compose, Composed};
pub use error::ClientError;
pub use info::TaskInfo;
pub use option::{
    TaskOption, DEFAULT_MAX_RETRY, DEFAULT_QUEUE, DEFAULT_TIMEOUT, MAX_DURATION, MAX_MESSAGE_SIZE,
};
pub use option_parse::ParseOptionError;
pub use task::Task;
