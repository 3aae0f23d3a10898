//! # asynq-examples
//!
//! The two tasks of Go asynq's README, an email delivery and an image resize, with everything
//! the `producer` and `worker` programs of this package share: the task types, their JSON
//! payloads, the functions that build the tasks, the handlers and the worker's configuration.
//!
//! ```sh
//! cargo run -p asynq-examples --bin worker                      # processes tasks until Ctrl-C
//! cargo run -p asynq-examples --bin producer                    # enqueues the README's tasks
//! cargo run -p asynq-examples --bin producer -- --count 100     # or 100 email tasks
//! ```
//!
//! Both take the Redis URL from `--redis` or `REDIS_URL` (default `redis://127.0.0.1:6379`).
//! `cargo xtask demo` runs the two against a throwaway local `redis-server`.
//!
//! The payloads are plain JSON, so a Go producer or worker using the same JSON field names
//! (`user_id`, `template_id`, `source_url`) shares these tasks with the Rust programs.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use asynq_client::{ClientError, Task, TaskOption};
use asynq_worker::{
    async_trait, Config, Handler, HandlerError, ServeMux, TaskContext, WorkerError,
};
use serde::{Deserialize, Serialize};

/// The type of the email-delivery task.
pub const TYPE_EMAIL_DELIVERY: &str = "email:deliver";
/// The type of the image-resize task.
pub const TYPE_IMAGE_RESIZE: &str = "image:resize";
/// The Redis URL used when neither `--redis` nor `REDIS_URL` is given.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";
/// The message the worker logs after each task its handler finished without error; `cargo
/// xtask demo` watches for it.
pub const PROCESSED_MESSAGE: &str = "task processed";

/// The payload of an [`TYPE_EMAIL_DELIVERY`] task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailDeliveryPayload {
    /// Whom to send the email to.
    pub user_id: i64,
    /// Which email to send.
    pub template_id: String,
}

/// The payload of an [`TYPE_IMAGE_RESIZE`] task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageResizePayload {
    /// The image to resize.
    pub source_url: String,
}

/// An email-delivery task for `user_id` with template `template_id`.
///
/// # Errors
/// [`ClientError::Json`] if the payload cannot be encoded (it always can).
pub fn new_email_delivery_task(user_id: i64, template_id: &str) -> Result<Task, ClientError> {
    Task::from_json(
        TYPE_EMAIL_DELIVERY,
        &EmailDeliveryPayload {
            user_id,
            template_id: template_id.to_string(),
        },
    )
}

/// An image-resize task for the image at `source_url`. The task carries its own options (at
/// most 5 retries, a 20 minute timeout); options given to `Client::enqueue` override them.
///
/// # Errors
/// [`ClientError::Json`] if the payload cannot be encoded (it always can).
pub fn new_image_resize_task(source_url: &str) -> Result<Task, ClientError> {
    let task = Task::from_json(
        TYPE_IMAGE_RESIZE,
        &ImageResizePayload {
            source_url: source_url.to_string(),
        },
    )?;
    Ok(task.with_options([
        TaskOption::max_retry(5),
        TaskOption::timeout(Duration::from_secs(20 * 60)),
    ]))
}

/// Handles an email-delivery task. A payload that is not valid JSON will never become valid,
/// so the task is archived at once instead of retried.
///
/// # Errors
/// A [`HandlerError::skip_retry`] when the payload cannot be decoded.
pub async fn handle_email_delivery_task(ctx: TaskContext, task: Task) -> Result<(), HandlerError> {
    let p: EmailDeliveryPayload = task
        .payload_json()
        .map_err(|e| HandlerError::skip_retry(format!("json decoding failed: {e}")))?;
    tracing::info!(task_id = %ctx.task_id(), user_id = p.user_id, template_id = %p.template_id, "sending email to user");
    // Email delivery code ...
    Ok(())
}

/// Handles image-resize tasks; a handler that is a type of its own rather than a function, for
/// the state a real image processor would hold (a storage client, limits, ...).
#[derive(Debug, Default)]
pub struct ImageProcessor {}

impl ImageProcessor {
    /// A new processor.
    pub fn new() -> ImageProcessor {
        ImageProcessor {}
    }
}

#[async_trait]
impl Handler for ImageProcessor {
    async fn process_task(&self, ctx: TaskContext, task: Task) -> Result<(), HandlerError> {
        let p: ImageResizePayload = task
            .payload_json()
            .map_err(|e| HandlerError::skip_retry(format!("json decoding failed: {e}")))?;
        tracing::info!(task_id = %ctx.task_id(), src = %p.source_url, "resizing image");
        // Image resizing code ...
        Ok(())
    }
}

/// A middleware that logs the end of every task: [`PROCESSED_MESSAGE`] with the time the
/// handler took, or the error it failed with.
pub fn log_tasks(next: Arc<dyn Handler>) -> Arc<dyn Handler> {
    Arc::new(LogTasks { next })
}

struct LogTasks {
    next: Arc<dyn Handler>,
}

#[async_trait]
impl Handler for LogTasks {
    async fn process_task(&self, ctx: TaskContext, task: Task) -> Result<(), HandlerError> {
        let task_type = task.task_type().to_string();
        let start = Instant::now();
        let result = self.next.process_task(ctx.clone(), task).await;
        let elapsed = start.elapsed();
        match &result {
            Ok(()) => tracing::info!(
                task_type = %task_type,
                task_id = %ctx.task_id(),
                queue = %ctx.queue(),
                ?elapsed,
                "{PROCESSED_MESSAGE}"
            ),
            Err(err) => tracing::warn!(
                task_type = %task_type,
                task_id = %ctx.task_id(),
                queue = %ctx.queue(),
                retried = ctx.retry_count(),
                max_retry = ctx.max_retry(),
                ?elapsed,
                error = %err,
                "task failed"
            ),
        }
        result
    }
}

/// The worker's routing: [`handle_email_delivery_task`] for [`TYPE_EMAIL_DELIVERY`],
/// [`ImageProcessor`] for [`TYPE_IMAGE_RESIZE`], both wrapped in [`log_tasks`].
///
/// # Errors
/// None in practice: [`WorkerError::DuplicatePattern`] or [`WorkerError::InvalidPattern`] could
/// only come from a mistake in the patterns above.
pub fn serve_mux() -> Result<ServeMux, WorkerError> {
    let mut mux = ServeMux::new();
    mux.use_middleware(log_tasks);
    mux.handle_fn(TYPE_EMAIL_DELIVERY, handle_email_delivery_task)?;
    mux.handle(TYPE_IMAGE_RESIZE, ImageProcessor::new())?;
    Ok(mux)
}

/// The worker's configuration, Go README's: 10 tasks at once, from the queues `critical`,
/// `default` and `low`, tried first 60 %, 30 % and 10 % of the time.
pub fn worker_config() -> Config {
    Config {
        concurrency: 10,
        queues: HashMap::from([
            ("critical".to_string(), 6),
            ("default".to_string(), 3),
            ("low".to_string(), 1),
        ]),
        ..Config::default()
    }
}

/// Logs to standard output through `tracing`, at the level `RUST_LOG` asks for (default
/// `info`), in colour only on a terminal.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal())
        .init();
}

/// The README's code blocks, compiled as doc-tests of this package.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    use super::*;
    use asynq_worker::TaskMetadata;
    use time::OffsetDateTime;

    fn ctx() -> TaskContext {
        let meta = TaskMetadata {
            id: "t1".into(),
            queue: "default".into(),
            retry_count: 0,
            max_retry: 25,
        };
        TaskContext::without_broker(meta, OffsetDateTime::now_utc() + Duration::from_secs(60))
    }

    #[test]
    fn payloads_are_the_readme_json() {
        let email = new_email_delivery_task(42, "some:template:id").unwrap();
        assert_eq!(email.task_type(), "email:deliver");
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(email.payload()).unwrap(),
            serde_json::json!({"user_id": 42, "template_id": "some:template:id"})
        );
        let image = new_image_resize_task("https://example.com/myassets/image.jpg").unwrap();
        assert_eq!(image.task_type(), "image:resize");
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(image.payload()).unwrap(),
            serde_json::json!({"source_url": "https://example.com/myassets/image.jpg"})
        );
        assert_eq!(image.options().len(), 2);
    }

    #[tokio::test]
    async fn mux_routes_both_tasks_and_archives_bad_payloads() {
        let mux = serve_mux().unwrap();
        let email = new_email_delivery_task(42, "some:template:id").unwrap();
        mux.process_task(ctx(), email).await.unwrap();
        let image = new_image_resize_task("https://example.com/a.jpg").unwrap();
        mux.process_task(ctx(), image).await.unwrap();
        for t in [TYPE_EMAIL_DELIVERY, TYPE_IMAGE_RESIZE] {
            let err = mux
                .process_task(ctx(), Task::new(t, "not json"))
                .await
                .unwrap_err();
            assert!(err.is_skip_retry(), "{t}: {err}");
        }
    }

    #[test]
    fn config_is_valid() {
        let config = worker_config();
        config.validate().unwrap();
        assert_eq!(config.concurrency, 10);
        assert_eq!(config.queues["critical"], 6);
    }
}
