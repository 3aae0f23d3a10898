//! [`Handler`]: the trait task processing code implements, and [`handler_fn`] for closures.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;

use crate::context::TaskContext;
use crate::handler_error::HandlerError;
use asynq_client::Task;

/// Processes tasks (Go `asynq.Handler`, method `ProcessTask`).
///
/// Return `Ok(())` when the task is done. Any error fails this attempt: the task is retried
/// after the retry delay, or archived once its retries are used up; wrap the error with
/// [`HandlerError::skip_retry`] to archive at once or [`HandlerError::revoke_task`] to drop the
/// task (spec §6.6). A panic is caught by the server and counts as a failure.
///
/// The handler should stop early when [`TaskContext::cancelled`] resolves. Implement the trait
/// with `#[async_trait]`, or use [`handler_fn`] for a closure.
///
/// ```
/// use asynq_worker::{async_trait, Handler, HandlerError, Task, TaskContext};
///
/// struct Welcome;
///
/// #[async_trait]
/// impl Handler for Welcome {
///     async fn process_task(&self, ctx: TaskContext, task: Task) -> Result<(), HandlerError> {
///         let user: u64 = std::str::from_utf8(task.payload())?.parse()?;
///         ctx.result_writer().write(format!("sent to {user}").as_bytes()).await?;
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    /// Processes one attempt at `task` (Go `ProcessTask(ctx, task)`).
    ///
    /// # Errors
    /// Any [`HandlerError`]; see the trait documentation for what each one does to the task.
    async fn process_task(&self, ctx: TaskContext, task: Task) -> Result<(), HandlerError>;
}

#[async_trait]
impl<H: Handler + ?Sized> Handler for Arc<H> {
    async fn process_task(&self, ctx: TaskContext, task: Task) -> Result<(), HandlerError> {
        (**self).process_task(ctx, task).await
    }
}

#[async_trait]
impl<H: Handler + ?Sized> Handler for Box<H> {
    async fn process_task(&self, ctx: TaskContext, task: Task) -> Result<(), HandlerError> {
        (**self).process_task(ctx, task).await
    }
}

/// A closure used as a [`Handler`] (Go `asynq.HandlerFunc`); made by [`handler_fn`].
#[derive(Clone, Copy)]
pub struct HandlerFn<F> {
    f: F,
}

impl<F> std::fmt::Debug for HandlerFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HandlerFn")
    }
}

/// Turns `f(ctx, task) -> impl Future<Output = Result<(), HandlerError>>` into a [`Handler`]
/// (Go `asynq.HandlerFunc`).
///
/// ```
/// use asynq_worker::{handler_fn, HandlerError, ServeMux};
///
/// let mut mux = ServeMux::new();
/// mux.handle("email:welcome", handler_fn(|_ctx, task| async move {
///     if task.payload().is_empty() {
///         return Err(HandlerError::skip_retry("empty payload"));
///     }
///     Ok(())
/// }))?;
/// # Ok::<(), asynq_worker::WorkerError>(())
/// ```
pub fn handler_fn<F, Fut>(f: F) -> HandlerFn<F>
where
    F: Fn(TaskContext, Task) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    HandlerFn { f }
}

#[async_trait]
impl<F, Fut> Handler for HandlerFn<F>
where
    F: Fn(TaskContext, Task) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    async fn process_task(&self, ctx: TaskContext, task: Task) -> Result<(), HandlerError> {
        (self.f)(ctx, task).await
    }
}
