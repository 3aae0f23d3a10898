//! [`HandlerError`]: why one attempt at a task failed, and the Go sentinels [`SkipRetry`] and
//! [`RevokeTask`] that change what happens next.

use std::error::Error as StdError;
use std::fmt;

use crate::panic::PanicError;

/// Any error a handler may return, boxed (`Send + Sync + 'static`, like `anyhow`'s inner type).
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Marker error: do not retry this task, archive it now (Go `asynq.SkipRetry`, message
/// `skip retry for the task`).
///
/// Found anywhere in an error's source chain it takes effect, like Go's `errors.Is`: return
/// `Err(SkipRetry.into())`, [`HandlerError::skip_retry`], or any error whose
/// [`source`](StdError::source) chain reaches a `SkipRetry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SkipRetry;

impl fmt::Display for SkipRetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SKIP_RETRY_MSG)
    }
}

impl StdError for SkipRetry {}

/// Marker error: drop this task without retrying or archiving it (Go `asynq.RevokeTask`,
/// message `revoke task`). The task is removed as if it had succeeded (processed counter + 1,
/// unique lock released), and its retention is ignored (spec §6.6, quirk Q15).
///
/// Matched through the source chain like [`SkipRetry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RevokeTask;

impl fmt::Display for RevokeTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REVOKE_TASK_MSG)
    }
}

impl StdError for RevokeTask {}

const SKIP_RETRY_MSG: &str = "skip retry for the task";
const REVOKE_TASK_MSG: &str = "revoke task";

/// Why one attempt at a task failed: returned by a [`Handler`](crate::Handler), or produced by
/// the worker itself (timeout, cancellation, panic, lease loss, no handler).
///
/// Its [`Display`](fmt::Display) text is what is stored as the task's `error_msg` and shown by
/// the Go CLI and asynqmon, so every variant prints Go's message for the same situation.
///
/// Any `std::error::Error + Send + Sync + 'static` converts into [`HandlerError::Failed`] with
/// `?`. `HandlerError` itself deliberately does not implement `std::error::Error` (that would
/// forbid this blanket conversion); use [`HandlerError::inner`] or
/// [`HandlerError::downcast_ref`] to reach the wrapped error.
///
/// ```
/// use asynq_worker::{HandlerError, SkipRetry};
///
/// fn parse(payload: &[u8]) -> Result<u32, HandlerError> {
///     let text = std::str::from_utf8(payload)?; // Utf8Error -> HandlerError::Failed
///     text.parse::<u32>().map_err(HandlerError::skip_retry) // bad input: archive, no retry
/// }
///
/// assert_eq!(parse(b"7").unwrap(), 7);
/// let err = parse(b"x").unwrap_err();
/// assert!(err.is_skip_retry());
/// assert_eq!(err.to_string(), "invalid digit found in string: skip retry for the task");
/// assert!(HandlerError::from(SkipRetry).is_skip_retry());
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum HandlerError {
    /// Any other error: the task is retried, or archived once `retried >= max_retry`.
    /// Displays as the wrapped error.
    Failed(BoxError),
    /// Archive without retrying (Go: an error wrapping `SkipRetry`). Displays as
    /// `<inner>: skip retry for the task`, or `skip retry for the task` without an inner error.
    SkipRetry(Option<BoxError>),
    /// Remove the task without retrying or archiving (Go: an error wrapping `RevokeTask`).
    /// Displays as `<inner>: revoke task`, or `revoke task`.
    RevokeTask(Option<BoxError>),
    /// The handler panicked (Go `*errors.PanicError`, see [`PanicError`]). Retried like
    /// [`HandlerError::Failed`].
    Panic(PanicError),
    /// The task's deadline passed before the handler returned, or before it started (Go
    /// `context.DeadlineExceeded`, `context deadline exceeded`).
    DeadlineExceeded,
    /// The task's context was cancelled, by a cancel message on `asynq:cancel` for example (Go
    /// `context.Canceled`, `context canceled`). The task is retried, not deleted (quirk Q16).
    Canceled,
    /// This worker's lease on the task expired while it ran (Go `asynq.ErrLeaseExpired`,
    /// `asynq: task lease expired`); the recoverer decides the task's fate.
    LeaseExpired,
    /// No handler is registered for the task's type (Go `asynq.ErrHandlerNotFound`, displayed as
    /// `handler not found for task "<type>"`). An ordinary failure: the task is retried.
    HandlerNotFound {
        /// The task type that matched no pattern.
        task_type: String,
    },
}

impl HandlerError {
    /// An ordinary failure wrapping `err` ([`HandlerError::Failed`]). Accepts any error, a
    /// `String` or a `&str`.
    pub fn new(err: impl Into<BoxError>) -> HandlerError {
        HandlerError::Failed(err.into())
    }

    /// A failure that archives the task at once, wrapping `err` (Go
    /// `fmt.Errorf("%v: %w", err, asynq.SkipRetry)`).
    pub fn skip_retry(err: impl Into<BoxError>) -> HandlerError {
        HandlerError::SkipRetry(Some(err.into()))
    }

    /// A failure that removes the task, wrapping `err` (Go
    /// `fmt.Errorf("%v: %w", err, asynq.RevokeTask)`).
    pub fn revoke_task(err: impl Into<BoxError>) -> HandlerError {
        HandlerError::RevokeTask(Some(err.into()))
    }

    /// Whether this error means "archive without retrying": the [`HandlerError::SkipRetry`]
    /// variant, or a [`SkipRetry`] anywhere in the wrapped error's source chain (Go
    /// `errors.Is(err, SkipRetry)`).
    pub fn is_skip_retry(&self) -> bool {
        matches!(self, HandlerError::SkipRetry(_)) || self.downcast_ref::<SkipRetry>().is_some()
    }

    /// Whether this error means "remove the task": the [`HandlerError::RevokeTask`] variant, or
    /// a [`RevokeTask`] anywhere in the wrapped error's source chain (Go
    /// `errors.Is(err, RevokeTask)`).
    pub fn is_revoke_task(&self) -> bool {
        matches!(self, HandlerError::RevokeTask(_)) || self.downcast_ref::<RevokeTask>().is_some()
    }

    /// Whether the handler panicked (Go `asynq.IsPanicError`): the [`HandlerError::Panic`]
    /// variant, or a [`PanicError`] in the wrapped error's source chain.
    pub fn is_panic(&self) -> bool {
        matches!(self, HandlerError::Panic(_)) || self.downcast_ref::<PanicError>().is_some()
    }

    /// The wrapped error, if this variant has one.
    pub fn inner(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        match self {
            HandlerError::Failed(e) => Some(e.as_ref()),
            HandlerError::SkipRetry(e) | HandlerError::RevokeTask(e) => e.as_deref(),
            HandlerError::Panic(p) => Some(p),
            _ => None,
        }
    }

    /// The first error of type `E` in the wrapped error's source chain (Go `errors.As`).
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        let mut cur: Option<&(dyn StdError + 'static)> =
            self.inner().map(|e| e as &(dyn StdError + 'static));
        while let Some(e) = cur {
            if let Some(found) = e.downcast_ref::<E>() {
                return Some(found);
            }
            cur = e.source();
        }
        None
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandlerError::Failed(e) => write!(f, "{e}"),
            HandlerError::SkipRetry(Some(e)) => write!(f, "{e}: {SKIP_RETRY_MSG}"),
            HandlerError::SkipRetry(None) => f.write_str(SKIP_RETRY_MSG),
            HandlerError::RevokeTask(Some(e)) => write!(f, "{e}: {REVOKE_TASK_MSG}"),
            HandlerError::RevokeTask(None) => f.write_str(REVOKE_TASK_MSG),
            HandlerError::Panic(p) => write!(f, "{p}"),
            HandlerError::DeadlineExceeded => f.write_str("context deadline exceeded"),
            HandlerError::Canceled => f.write_str("context canceled"),
            HandlerError::LeaseExpired => f.write_str("asynq: task lease expired"),
            HandlerError::HandlerNotFound { task_type } => write!(
                f,
                "handler not found for task {}",
                asynq_client::gofmt::quote(task_type)
            ),
        }
    }
}

impl<E: StdError + Send + Sync + 'static> From<E> for HandlerError {
    fn from(err: E) -> HandlerError {
        HandlerError::Failed(Box::new(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(Box<dyn StdError + Send + Sync>);
    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "wrapped: {}", self.0)
        }
    }
    impl StdError for Wrapper {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(self.0.as_ref())
        }
    }

    #[test]
    fn messages_match_go() {
        assert_eq!(HandlerError::new("boom").to_string(), "boom");
        assert_eq!(
            HandlerError::skip_retry("nope").to_string(),
            "nope: skip retry for the task"
        );
        assert_eq!(
            HandlerError::SkipRetry(None).to_string(),
            "skip retry for the task"
        );
        assert_eq!(
            HandlerError::revoke_task("gone").to_string(),
            "gone: revoke task"
        );
        assert_eq!(HandlerError::RevokeTask(None).to_string(), "revoke task");
        assert_eq!(
            HandlerError::DeadlineExceeded.to_string(),
            "context deadline exceeded"
        );
        assert_eq!(HandlerError::Canceled.to_string(), "context canceled");
        assert_eq!(
            HandlerError::LeaseExpired.to_string(),
            "asynq: task lease expired"
        );
        assert_eq!(
            HandlerError::HandlerNotFound {
                task_type: "email:\"x\"".into()
            }
            .to_string(),
            r#"handler not found for task "email:\"x\"""#
        );
        assert_eq!(
            HandlerError::Panic(PanicError::new("panic: kaboom")).to_string(),
            "panic error cause by: panic: kaboom"
        );
    }

    #[test]
    fn sentinels_match_through_the_source_chain() {
        let e: HandlerError = Wrapper(Box::new(SkipRetry)).into();
        assert!(e.is_skip_retry());
        assert!(!e.is_revoke_task());
        assert_eq!(e.to_string(), "wrapped: skip retry for the task");

        let e: HandlerError = Wrapper(Box::new(RevokeTask)).into();
        assert!(e.is_revoke_task());
        assert!(!e.is_skip_retry());

        let e = HandlerError::skip_retry(Wrapper(Box::new(RevokeTask)));
        assert!(e.is_skip_retry() && e.is_revoke_task());

        let e: HandlerError = Wrapper(Box::new(PanicError::new("panic: x"))).into();
        assert!(e.is_panic());

        let e = HandlerError::new("plain");
        assert!(!e.is_skip_retry() && !e.is_revoke_task() && !e.is_panic());
        assert!(!HandlerError::Canceled.is_skip_retry());
    }

    #[test]
    fn question_mark_converts_std_errors() {
        fn f() -> Result<(), HandlerError> {
            "x".parse::<i32>()?;
            Ok(())
        }
        let e = f().unwrap_err();
        assert!(matches!(e, HandlerError::Failed(_)));
        assert!(e.downcast_ref::<std::num::ParseIntError>().is_some());
    }
}
