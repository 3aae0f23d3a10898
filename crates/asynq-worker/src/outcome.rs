//! What one attempt leads to in Redis (Go `processor.exec`, `handleSucceededMessage`,
//! `handleFailedMessage`; spec §6.6), as a pure decision the processor then executes.

use std::time::Duration;

use asynq_proto::TaskMessage;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::handler_error::HandlerError;

/// The message fields that decide an attempt's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptInfo {
    /// Retries so far (message field `retried`, Go `GetRetryCount`).
    pub retried: i32,
    /// Retries allowed (message field `retry`, Go `GetMaxRetry`).
    pub max_retry: i32,
    /// How long a completed task is kept, in seconds (message field `retention`); 0 = deleted
    /// at once.
    pub retention_secs: i64,
}

impl AttemptInfo {
    /// The fields of a dequeued message.
    pub fn from_message(msg: &TaskMessage) -> AttemptInfo {
        AttemptInfo {
            retried: msg.retried,
            max_retry: msg.retry,
            retention_secs: msg.retention,
        }
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy)]
pub enum AttemptEnd<'a> {
    /// The handler returned `Ok(())`.
    Succeeded,
    /// The attempt failed: the handler's error, a caught panic, the deadline, a cancellation,
    /// or a lost lease. The [`ErrorHandler`](crate::ErrorHandler) is called with it before the
    /// outcome is written.
    Failed(&'a HandlerError),
    /// The server gave up waiting at shutdown (after `shutdown_timeout`) while the handler was
    /// still running. The error handler is not called.
    Aborted,
}

/// The one broker write an attempt leads to. The processor performs it only while its lease on
/// the task is valid (otherwise the recoverer takes over, spec §6.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Success with retention 0: delete the task (`Broker::done`).
    Done,
    /// Success with retention > 0: move it to `completed` (`Broker::mark_as_complete`).
    MarkAsComplete,
    /// The error wraps [`RevokeTask`](crate::RevokeTask): delete the task as if done
    /// (`Broker::done`; processed + 1, unique lock released), ignoring retention (quirk Q15).
    Revoke,
    /// Retry later (`Broker::retry`).
    Retry {
        /// When to retry: now + the retry delay (stored as whole seconds).
        retry_at: OffsetDateTime,
        /// Whether the error counts as a failure (`Config::is_failure`): only then are `retried`
        /// and the processed/failed counters incremented.
        is_failure: bool,
        /// The error text stored as `error_msg`.
        error_message: String,
    },
    /// Retries used up, or the error wraps [`SkipRetry`](crate::SkipRetry): archive the task
    /// (`Broker::archive`).
    Archive {
        /// The error text stored as `error_msg`.
        error_message: String,
    },
    /// Aborted at shutdown: put the task back at the front of `pending` without counting a
    /// retry (`Broker::requeue`).
    Requeue,
}

/// Decides the outcome of an attempt, in Go's order:
///
/// 1. success → [`Outcome::MarkAsComplete`] if `retention_secs > 0`, else [`Outcome::Done`];
/// 2. abort → [`Outcome::Requeue`];
/// 3. failure wrapping `RevokeTask` → [`Outcome::Revoke`];
/// 4. failure with `retried >= max_retry`, or wrapping `SkipRetry` → [`Outcome::Archive`];
/// 5. any other failure → [`Outcome::Retry`] at `now + retry_delay(err)` with
///    `is_failure(err)`.
///
/// `is_failure` and `retry_delay` (normally `Config::is_failure` and `Config::retry_delay_func`
/// applied to the task) are only called in the last case.
///
/// ```
/// use std::time::Duration;
/// use asynq_worker::{decide_outcome, AttemptEnd, AttemptInfo, HandlerError, Outcome};
/// use time::OffsetDateTime;
///
/// let now = OffsetDateTime::UNIX_EPOCH;
/// let info = AttemptInfo { retried: 0, max_retry: 25, retention_secs: 0 };
/// let err = HandlerError::new("boom");
/// let outcome = decide_outcome(AttemptEnd::Failed(&err), &info, now, |_| true, |_| Duration::from_secs(15));
/// assert_eq!(outcome, Outcome::Retry {
///     retry_at: now + Duration::from_secs(15),
///     is_failure: true,
///     error_message: "boom".into(),
/// });
/// ```
pub fn decide_outcome(
    end: AttemptEnd<'_>,
    info: &AttemptInfo,
    now: OffsetDateTime,
    is_failure: impl FnOnce(&HandlerError) -> bool,
    retry_delay: impl FnOnce(&HandlerError) -> Duration,
) -> Outcome {
    let err = match end {
        AttemptEnd::Succeeded if info.retention_secs > 0 => return Outcome::MarkAsComplete,
        AttemptEnd::Succeeded => return Outcome::Done,
        AttemptEnd::Aborted => return Outcome::Requeue,
        AttemptEnd::Failed(err) => err,
    };
    if err.is_revoke_task() {
        return Outcome::Revoke;
    }
    if info.retried >= info.max_retry || err.is_skip_retry() {
        return Outcome::Archive {
            error_message: err.to_string(),
        };
    }
    let is_failure = is_failure(err);
    let delay = retry_delay(err);
    let retry_at = time::Duration::try_from(delay)
        .ok()
        .and_then(|d| now.checked_add(d))
        .unwrap_or(PrimitiveDateTime::MAX.assume_utc());
    Outcome::Retry {
        retry_at,
        is_failure,
        error_message: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::handler_error::{RevokeTask, SkipRetry};
    use crate::panic::PanicError;

    const NOW: OffsetDateTime = datetime!(2026-11-22 10:00:00 UTC);

    fn info(retried: i32, max_retry: i32, retention_secs: i64) -> AttemptInfo {
        AttemptInfo {
            retried,
            max_retry,
            retention_secs,
        }
    }

    fn decide(end: AttemptEnd<'_>, info: AttemptInfo) -> Outcome {
        decide_outcome(end, &info, NOW, |_| true, |_| Duration::from_secs(37))
    }

    fn retry(msg: &str) -> Outcome {
        Outcome::Retry {
            retry_at: datetime!(2026-11-22 10:00:37 UTC),
            is_failure: true,
            error_message: msg.into(),
        }
    }

    fn archive(msg: &str) -> Outcome {
        Outcome::Archive {
            error_message: msg.into(),
        }
    }

    #[test]
    fn success() {
        assert_eq!(decide(AttemptEnd::Succeeded, info(0, 25, 0)), Outcome::Done);
        assert_eq!(
            decide(AttemptEnd::Succeeded, info(0, 25, 3600)),
            Outcome::MarkAsComplete
        );
        // Success after the retries are used up is still success.
        assert_eq!(
            decide(AttemptEnd::Succeeded, info(25, 25, 0)),
            Outcome::Done
        );
    }

    #[test]
    fn abort_requeues() {
        assert_eq!(
            decide(AttemptEnd::Aborted, info(3, 3, 60)),
            Outcome::Requeue
        );
    }

    #[test]
    fn the_decision_table() {
        let boom = HandlerError::new("boom");
        let skip = HandlerError::skip_retry("nope");
        let skip_plain: HandlerError = SkipRetry.into();
        let revoke = HandlerError::revoke_task("gone");
        let revoke_plain: HandlerError = RevokeTask.into();
        let revoke_and_skip = HandlerError::revoke_task(SkipRetry);
        let panic = HandlerError::Panic(PanicError::new("panic: kaboom"));
        let not_found = HandlerError::HandlerNotFound {
            task_type: "x".into(),
        };
        let cases: Vec<(&HandlerError, AttemptInfo, Outcome)> = vec![
            (&boom, info(0, 25, 0), retry("boom")),
            (&boom, info(24, 25, 0), retry("boom")),
            (&boom, info(25, 25, 0), archive("boom")),
            (&boom, info(26, 25, 0), archive("boom")),
            (&boom, info(0, 0, 0), archive("boom")),
            (
                &skip,
                info(0, 25, 0),
                archive("nope: skip retry for the task"),
            ),
            (
                &skip_plain,
                info(0, 25, 0),
                archive("skip retry for the task"),
            ),
            // RevokeTask wins over exhausted retries, SkipRetry and retention.
            (&revoke, info(0, 25, 3600), Outcome::Revoke),
            (&revoke_plain, info(25, 25, 0), Outcome::Revoke),
            (&revoke_and_skip, info(0, 25, 0), Outcome::Revoke),
            (
                &panic,
                info(0, 25, 0),
                retry("panic error cause by: panic: kaboom"),
            ),
            (
                &panic,
                info(1, 1, 0),
                archive("panic error cause by: panic: kaboom"),
            ),
            (
                &HandlerError::DeadlineExceeded,
                info(0, 25, 0),
                retry("context deadline exceeded"),
            ),
            (
                &HandlerError::Canceled,
                info(0, 25, 0),
                retry("context canceled"),
            ),
            (
                &HandlerError::LeaseExpired,
                info(0, 25, 0),
                retry("asynq: task lease expired"),
            ),
            (
                &not_found,
                info(0, 25, 0),
                retry("handler not found for task \"x\""),
            ),
            // Retention does not change failures.
            (&boom, info(0, 25, 3600), retry("boom")),
        ];
        for (err, info, want) in cases {
            assert_eq!(
                decide(AttemptEnd::Failed(err), info),
                want,
                "{err} {info:?}"
            );
        }
    }

    #[test]
    fn retry_uses_is_failure_and_delay_of_the_error() {
        let err = HandlerError::new("soft");
        let out = decide_outcome(
            AttemptEnd::Failed(&err),
            &info(2, 25, 0),
            NOW,
            |e| e.to_string() != "soft",
            |_| Duration::from_millis(1500),
        );
        assert_eq!(
            out,
            Outcome::Retry {
                retry_at: datetime!(2026-11-22 10:00:01.5 UTC),
                is_failure: false,
                error_message: "soft".into()
            }
        );
    }

    #[test]
    fn hooks_not_called_outside_retry() {
        let err = HandlerError::skip_retry("x");
        let out = decide_outcome(
            AttemptEnd::Failed(&err),
            &info(0, 25, 0),
            NOW,
            |_| panic!("is_failure called"),
            |_| panic!("retry_delay called"),
        );
        assert!(matches!(out, Outcome::Archive { .. }));
    }

    #[test]
    fn huge_delay_is_clamped() {
        let err = HandlerError::new("x");
        let out = decide_outcome(
            AttemptEnd::Failed(&err),
            &info(0, 25, 0),
            NOW,
            |_| true,
            |_| Duration::MAX,
        );
        assert!(
            matches!(out, Outcome::Retry { retry_at, .. } if retry_at == PrimitiveDateTime::MAX.assume_utc())
        );
    }

    #[test]
    fn info_from_message() {
        let msg = TaskMessage {
            retried: 3,
            retry: 5,
            retention: 60,
            ..Default::default()
        };
        assert_eq!(AttemptInfo::from_message(&msg), info(3, 5, 60));
    }
}
