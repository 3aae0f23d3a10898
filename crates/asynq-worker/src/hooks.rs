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

/// Turns the tasks of one group into a single task (Go `asynq.GroupAggregator`, `Aggregate`),
/// run by the server's aggregator (docs/worker.md, "Group aggregation").
///
/// `tasks` are the group's tasks in the order they entered the group, oldest first, each with
/// its type, payload and headers (the original task IDs are not kept). The returned task is
/// enqueued like any new task with its own options, `Queue(<the group's queue>)` appended last
/// as Go does, so it always goes to the group's queue. Returning `None` leaves the tasks in
/// their aggregation set: the recoverer returns them to the group after the set's 2-minute
/// deadline and they are aggregated again (Go returns nil). A panic counts as `None`.
///
/// The method is async, so an aggregator may do I/O; plain closures
/// `Fn(&str, Vec<Task>) -> Option<Task>` implement it (Go `GroupAggregatorFunc`), and
/// [`aggregator_fn`] turns an async closure into one.
#[async_trait::async_trait]
pub trait GroupAggregator: Send + Sync {
    /// Aggregates `tasks` (oldest first) of group `group` into one task.
    async fn aggregate(&self, group: &str, tasks: Vec<Task>) -> Option<Task>;
}

#[async_trait::async_trait]
impl<F> GroupAggregator for F
where
    F: Fn(&str, Vec<Task>) -> Option<Task> + Send + Sync,
{
    async fn aggregate(&self, group: &str, tasks: Vec<Task>) -> Option<Task> {
        self(group, tasks)
    }
}

/// A [`GroupAggregator`] made from an async closure, see [`aggregator_fn`].
#[derive(Clone, Copy)]
pub struct AggregatorFn<F> {
    f: F,
}

impl<F> std::fmt::Debug for AggregatorFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AggregatorFn")
    }
}

/// Turns `f(group, tasks) -> impl Future<Output = Option<Task>>` into a [`GroupAggregator`],
/// for an aggregator that needs I/O.
///
/// ```
/// use asynq_worker::{aggregator_fn, Config, Task};
///
/// let config = Config::default().with_group_aggregator(aggregator_fn(|group, tasks| async move {
///     let lines: Vec<String> = tasks
///         .iter()
///         .map(|t| String::from_utf8_lossy(t.payload()).into_owned())
///         .collect();
///     Some(Task::new("digest", format!("{group}: {}", lines.join(","))))
/// }));
/// assert!(config.group_aggregator.is_some());
/// ```
pub fn aggregator_fn<F, Fut>(f: F) -> AggregatorFn<F>
where
    F: Fn(String, Vec<Task>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Option<Task>> + Send + 'static,
{
    AggregatorFn { f }
}

#[async_trait::async_trait]
impl<F, Fut> GroupAggregator for AggregatorFn<F>
where
    F: Fn(String, Vec<Task>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Option<Task>> + Send + 'static,
{
    async fn aggregate(&self, group: &str, tasks: Vec<Task>) -> Option<Task> {
        (self.f)(group.to_string(), tasks).await
    }
}
