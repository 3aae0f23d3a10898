//! [`ServeMux`]: routes each task to the handler whose pattern matches its type, with
//! middleware (Go `servemux.go`, spec §6.21).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::context::TaskContext;
use crate::error::WorkerError;
use crate::handler::Handler;
use crate::handler_error::HandlerError;
use asynq_client::Task;

/// A middleware: takes the next handler and returns one that wraps it (Go
/// `asynq.MiddlewareFunc`). It is applied each time a task is dispatched, as in Go, so state
/// created in the outer function is per task.
pub type Middleware = Arc<dyn Fn(Arc<dyn Handler>) -> Arc<dyn Handler> + Send + Sync>;

struct Entry {
    pattern: String,
    handler: Arc<dyn Handler>,
}

/// A task multiplexer (Go `asynq.ServeMux`): matches each task's type against registered
/// patterns and calls the handler of the best match.
///
/// * An exact match of the type wins.
/// * Otherwise the longest registered pattern that is a prefix of the type; patterns of equal
///   length are tried in registration order. So with `images` and `images:thumbnails`
///   registered, `images:thumbnails:small` goes to the second and `images:resize` to the first.
/// * Otherwise the not-found handler, which fails with [`HandlerError::HandlerNotFound`]
///   (`handler not found for task "<type>"`); the task is then retried like any failure.
///
/// Middleware wraps whichever handler is chosen; the first one [`use`d](ServeMux::use_middleware)
/// is the outermost. A `ServeMux` is itself a [`Handler`].
///
/// ```
/// use std::sync::Arc;
/// use asynq_worker::{handler_fn, Handler, ServeMux};
///
/// let mut mux = ServeMux::new();
/// mux.handle("images", handler_fn(|_ctx, _task| async { Ok(()) }))?;
/// mux.handle("images:thumbnails", handler_fn(|_ctx, _task| async { Ok(()) }))?;
/// mux.use_middleware(|next: Arc<dyn Handler>| next); // a middleware that does nothing
///
/// assert_eq!(mux.handler("images:thumbnails:small").1, Some("images:thumbnails"));
/// assert_eq!(mux.handler("images:resize").1, Some("images"));
/// assert_eq!(mux.handler("email:send").1, None);
/// assert!(mux.handle("images", handler_fn(|_ctx, _task| async { Ok(()) })).is_err());
/// # Ok::<(), asynq_worker::WorkerError>(())
/// ```
#[derive(Default)]
pub struct ServeMux {
    exact: HashMap<String, usize>,
    /// Every entry, longest pattern first; equal lengths in registration order.
    entries: Vec<Entry>,
    middlewares: Vec<Middleware>,
}

impl ServeMux {
    /// An empty mux (Go `NewServeMux`): every task goes to the not-found handler.
    pub fn new() -> ServeMux {
        ServeMux::default()
    }

    /// Registers `handler` for `pattern` (Go `Handle`).
    ///
    /// # Errors
    /// [`WorkerError::InvalidPattern`] when `pattern` is empty or only whitespace;
    /// [`WorkerError::DuplicatePattern`] when `pattern` already has a handler. (Go panics in
    /// both cases.)
    pub fn handle(
        &mut self,
        pattern: impl Into<String>,
        handler: impl Handler,
    ) -> Result<&mut ServeMux, WorkerError> {
        let pattern = pattern.into();
        if pattern.trim().is_empty() {
            return Err(WorkerError::InvalidPattern { pattern });
        }
        if self.exact.contains_key(&pattern) {
            return Err(WorkerError::DuplicatePattern { pattern });
        }
        // Insert before the first strictly shorter pattern (Go `appendSorted`).
        let at = self
            .entries
            .partition_point(|e| e.pattern.len() >= pattern.len());
        self.entries.insert(
            at,
            Entry {
                pattern,
                handler: Arc::new(handler),
            },
        );
        self.exact = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.pattern.clone(), i))
            .collect();
        Ok(self)
    }

    /// Registers a closure for `pattern` (Go `HandleFunc`); shorthand for
    /// `handle(pattern, handler_fn(f))`.
    ///
    /// # Errors
    /// As [`ServeMux::handle`].
    pub fn handle_fn<F, Fut>(
        &mut self,
        pattern: impl Into<String>,
        f: F,
    ) -> Result<&mut ServeMux, WorkerError>
    where
        F: Fn(TaskContext, Task) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        self.handle(pattern, crate::handler::handler_fn(f))
    }

    /// Appends a middleware to the chain (Go `Use`). Middleware runs in the order it was added:
    /// the first is the outermost.
    pub fn use_middleware<M>(&mut self, middleware: M) -> &mut ServeMux
    where
        M: Fn(Arc<dyn Handler>) -> Arc<dyn Handler> + Send + Sync + 'static,
    {
        self.middlewares.push(Arc::new(middleware));
        self
    }

    /// The handler for tasks of type `task_type`, wrapped in the middleware, and the pattern it
    /// was registered under, `None` for the not-found handler (Go `Handler`, which returns `""`).
    pub fn handler(&self, task_type: &str) -> (Arc<dyn Handler>, Option<&str>) {
        let (mut h, pattern) = match self.find(task_type) {
            Some(e) => (e.handler.clone(), Some(e.pattern.as_str())),
            None => (not_found_handler(), None),
        };
        for mw in self.middlewares.iter().rev() {
            h = mw(h);
        }
        (h, pattern)
    }

    /// The registered patterns, longest first (equal lengths in registration order).
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.pattern.as_str())
    }

    fn find(&self, task_type: &str) -> Option<&Entry> {
        if let Some(&i) = self.exact.get(task_type) {
            return Some(&self.entries[i]);
        }
        self.entries
            .iter()
            .find(|e| task_type.starts_with(e.pattern.as_str()))
    }
}

#[async_trait]
impl Handler for ServeMux {
    /// Dispatches `task` to the handler matching its type (Go `ServeMux.ProcessTask`).
    async fn process_task(&self, ctx: TaskContext, task: Task) -> Result<(), HandlerError> {
        let (h, _) = self.handler(task.task_type());
        h.process_task(ctx, task).await
    }
}

impl fmt::Debug for ServeMux {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeMux")
            .field("patterns", &self.patterns().collect::<Vec<_>>())
            .field("middlewares", &self.middlewares.len())
            .finish()
    }
}

/// The handler used when no pattern matches (Go `NotFoundHandler`): it fails every task with
/// [`HandlerError::HandlerNotFound`].
pub fn not_found_handler() -> Arc<dyn Handler> {
    Arc::new(NotFound)
}

struct NotFound;

#[async_trait]
impl Handler for NotFound {
    async fn process_task(&self, _ctx: TaskContext, task: Task) -> Result<(), HandlerError> {
        Err(HandlerError::HandlerNotFound {
            task_type: task.task_type().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use time::OffsetDateTime;

    use super::*;
    use crate::context::TaskMetadata;
    use crate::handler::handler_fn;

    fn ctx() -> TaskContext {
        TaskContext::without_broker(
            TaskMetadata {
                id: "id".into(),
                queue: "default".into(),
                retry_count: 0,
                max_retry: 25,
            },
            OffsetDateTime::now_utc() + Duration::from_secs(60),
        )
    }

    /// A handler that records its name in the result.
    fn named(name: &'static str) -> impl Handler {
        handler_fn(move |ctx: TaskContext, _task| async move {
            ctx.result_writer().write(name.as_bytes()).await?;
            Ok(())
        })
    }

    async fn dispatch(mux: &ServeMux, task_type: &str) -> Result<String, HandlerError> {
        let ctx = ctx();
        mux.process_task(ctx.clone(), Task::new(task_type, "p"))
            .await?;
        let stored = ctx.result_writer().stored().unwrap_or_default();
        Ok(String::from_utf8(stored.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn routes_like_go() {
        let mut mux = ServeMux::new();
        mux.handle("email:", named("email:"))
            .unwrap()
            .handle("email:send", named("email:send"))
            .unwrap()
            .handle("email:sen", named("email:sen"))
            .unwrap()
            .handle("csv:", named("csv:"))
            .unwrap()
            .handle("img:", named("img:"))
            .unwrap();
        // exact match
        assert_eq!(dispatch(&mux, "email:send").await.unwrap(), "email:send");
        assert_eq!(dispatch(&mux, "email:").await.unwrap(), "email:");
        // longest prefix
        assert_eq!(dispatch(&mux, "email:sendx").await.unwrap(), "email:send");
        assert_eq!(dispatch(&mux, "email:sen2").await.unwrap(), "email:sen");
        assert_eq!(dispatch(&mux, "email:other").await.unwrap(), "email:");
        assert_eq!(dispatch(&mux, "csv:export").await.unwrap(), "csv:");
        // not found
        let err = dispatch(&mux, "email").await.unwrap_err();
        assert_eq!(err.to_string(), "handler not found for task \"email\"");
        assert!(matches!(err, HandlerError::HandlerNotFound { .. }));
        assert_eq!(
            mux.patterns().collect::<Vec<_>>(),
            ["email:send", "email:sen", "email:", "csv:", "img:"]
        );
    }

    #[tokio::test]
    async fn equal_length_prefixes_keep_registration_order() {
        let mut mux = ServeMux::new();
        mux.handle("ab", named("ab")).unwrap();
        mux.handle("a", named("a")).unwrap();
        mux.handle("aa", named("aa")).unwrap();
        mux.handle("ab:", named("ab:")).unwrap();
        assert_eq!(mux.handler("abc").1, Some("ab"));
        assert_eq!(mux.handler("aaa").1, Some("aa"));
        assert_eq!(mux.handler("ac").1, Some("a"));
        assert_eq!(mux.handler("ab:x").1, Some("ab:"));
        assert_eq!(mux.patterns().collect::<Vec<_>>(), ["ab:", "ab", "aa", "a"]);

        // Two patterns of one length that both prefix a type: the earlier one wins.
        let mut mux = ServeMux::new();
        mux.handle("x", named("x")).unwrap();
        mux.handle("xy", named("xy")).unwrap();
        mux.handle("xz", named("xz")).unwrap();
        assert_eq!(mux.handler("xyz").1, Some("xy"));
        assert_eq!(mux.handler("xzy").1, Some("xz"));
    }

    #[test]
    fn blank_and_duplicate_patterns_are_errors() {
        let mut mux = ServeMux::new();
        for p in ["", "  ", "\t\n"] {
            let err = mux.handle(p, named("x")).err().unwrap();
            assert!(matches!(err, WorkerError::InvalidPattern { .. }), "{p:?}");
        }
        mux.handle("a", named("a")).unwrap();
        let err = mux.handle("a", named("again")).err().unwrap();
        assert!(matches!(err, WorkerError::DuplicatePattern { ref pattern } if pattern == "a"));
        assert_eq!(err.to_string(), "asynq: multiple registrations for a");
    }

    #[tokio::test]
    async fn first_middleware_is_outermost_and_wraps_not_found_too() {
        let log = Arc::new(Mutex::new(Vec::<String>::new()));
        let mw = |name: &'static str, log: Arc<Mutex<Vec<String>>>| {
            move |next: Arc<dyn Handler>| -> Arc<dyn Handler> {
                let log = log.clone();
                Arc::new(handler_fn(move |ctx, task| {
                    let next = next.clone();
                    let log = log.clone();
                    async move {
                        log.lock().unwrap().push(format!("{name} in"));
                        let r = next.process_task(ctx, task).await;
                        log.lock().unwrap().push(format!("{name} out"));
                        r
                    }
                }))
            }
        };
        let mut mux = ServeMux::new();
        let inner_log = log.clone();
        mux.handle_fn("t", move |_ctx, _task| {
            let log = inner_log.clone();
            async move {
                log.lock().unwrap().push("handler".into());
                Ok(())
            }
        })
        .unwrap();
        mux.use_middleware(mw("first", log.clone()))
            .use_middleware(mw("second", log.clone()));

        dispatch(&mux, "t").await.unwrap();
        assert_eq!(
            *log.lock().unwrap(),
            [
                "first in",
                "second in",
                "handler",
                "second out",
                "first out"
            ]
        );

        log.lock().unwrap().clear();
        assert!(dispatch(&mux, "missing").await.is_err());
        assert_eq!(
            *log.lock().unwrap(),
            ["first in", "second in", "second out", "first out"]
        );
    }
}
