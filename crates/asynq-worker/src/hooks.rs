//! User hooks a [`Config`](crate::Config) carries: error handler, retry delay, failure
//! predicate, health check, group aggregator.

use std::sync::Arc;
use std::time::Duration;

use asynq_broker::BrokerError;
use asynq_client::Task;

use crate::context::TaskContext;
use crate::handler_error::HandlerError;

/// Computes how long to wait before retrying a failed task (Go `asynq.RetryDelayFunc`):
/// `(n, err, task)` where `n` is the task's `retried` count before this failure. The default
/// is [`default_retry_delay`](crate::default_retry_delay).
pub type RetryDelayFn = Arc<dyn Fn(i32, &HandlerError, &Task) -> Duration + Send + Sync>;

/// Decides whether an error counts as a failure (Go `Config.IsFailure`). When it returns
/// `false` the retry does not increment `retried` nor the processed/failed counters (spec
/// §6.7). The default treats every error as a failure.
pub type IsFailureFn = Arc<dyn Fn(&HandlerError) -> bool + Send + Sync>;

/// Receives the result of each periodic Redis `PING` (Go `Config.HealthCheckFunc`): `None` when
/// Redis answered, the error otherwise.
pub type HealthCheckFn = Arc<dyn Fn(Option<&BrokerError>) + Send + Sync>;

/// Called for every failed attempt, before the task is retried, archived or revoked in Redis
/// (Go `asynq.ErrorHandler`, `HandleError(ctx, task, err)`). It runs on the worker's task, so
/// it should be quick; spawn slow reporting work.
///
/// Closures `Fn(&TaskContext, &Task, &HandlerError)` implement it (Go `ErrorHandlerFunc`).
///
/// ```
/// use asynq_worker::{Config, HandlerError, Task, TaskContext};
///
/// let config = Config::default().with_error_handler(|ctx: &TaskContext, task: &Task, err: &HandlerError| {
///     if ctx.retry_count() >= ctx.max_retry() {
///         eprintln!("retry exhausted for task {}: {err}", task.task_type());
///     }
/// });
/// # let _ = config;
/// ```
pub trait ErrorHandler: Send + Sync {
    /// Handles the error of one failed attempt (Go `HandleError`).
    fn handle_error(&self, ctx: &TaskContext, task: &Task, err: &HandlerError);
}

impl<F> ErrorHandler for F
where
    F: Fn(&TaskContext, &Task, &HandlerError) + Send + Sync,
{
    fn handle_error(&self, ctx: &TaskContext, task: &Task, err: &HandlerError) {
        self(ctx, task, err)
    }
}

/// Turns the tasks of one group into a single task (Go `asynq.GroupAggregator`, `Aggregate`).
/// The returned task is enqueued to the group's queue with its own options; returning `None`
/// leaves the group's tasks in place to be retried later (Go returns nil). Reserved for
/// the group aggregator, which the server does not run yet.
///
/// Closures `Fn(&str, Vec<Task>) -> Option<Task>` implement it (Go `GroupAggregatorFunc`).
pub trait GroupAggregator: Send + Sync {
    /// Aggregates `tasks` (oldest first) of group `group` into one task.
    fn aggregate(&self, group: &str, tasks: Vec<Task>) -> Option<Task>;
}

impl<F> GroupAggregator for F
where
    F: Fn(&str, Vec<Task>) -> Option<Task> + Send + Sync,
{
    fn aggregate(&self, group: &str, tasks: Vec<Task>) -> Option<Task> {
        self(group, tasks)
    }
}
