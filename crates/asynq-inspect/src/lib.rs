//! # asynq-inspect
//!
//! The [`Inspector`] of asynq for Rust: see and control queues, tasks, servers, groups and cron
//! entries, on state written by Rust or Go asynq alike (Go `asynq.Inspector`, spec §5 and §7.4).
//!
//! ```no_run
//! # async fn demo() -> Result<(), asynq_inspect::InspectError> {
//! use asynq_inspect::{Inspector, ListOptions};
//!
//! let inspector = Inspector::connect("redis://127.0.0.1:6379".parse()?).await?;
//! for queue in inspector.queues().await? {
//!     let info = inspector.get_queue_info(&queue).await?;
//!     println!("{queue}: {} pending, {} active", info.pending, info.active);
//! }
//! let oldest = inspector.list_pending_tasks("default", ListOptions::default()).await?;
//! # let _ = oldest;
//! # Ok(())
//! # }
//! ```
//!
//! Every method checks its arguments and the queue as Go does and returns the same kinds of
//! errors ([`InspectError::QueueNotFound`], [`InspectError::TaskNotFound`],
//! [`InspectError::QueueNotEmpty`], ...). All Redis access goes through `asynq-broker`.

mod actions;
mod bulk;
mod cluster;
mod error;
mod groups;
mod info;
mod inspector;
mod list;
mod queue_admin;
mod queue_stats;
mod scheduler;
mod servers;

pub use asynq_broker::{RedisConnOpt, TaskState};
pub use asynq_client::{Task, TaskInfo, TaskOption};
pub use error::InspectError;
pub use info::{
    ClusterNode, DailyStats, GroupInfo, QueueInfo, SchedulerEnqueueEvent, SchedulerEntry,
    ServerInfo, WorkerInfo,
};
pub use inspector::Inspector;
pub use list::ListOptions;
