//! [`PanicError`]: a handler panic turned into a failure with Go's message format.

use std::any::Any;
use std::error::Error as StdError;
use std::fmt;

/// A handler panicked (Go `*errors.PanicError`). The task is then retried or archived like any
/// other failure (spec §6.6).
///
/// Displays as `panic error cause by: <message>`, the text Go stores as the task's
/// `error_msg`. Go's message is `panic [<file>:<line>]: <value>` when it knows where the panic
/// happened and `panic: <value>` otherwise; a Rust panic payload carries no location, so
/// [`PanicError::from_payload`] produces the second form.
///
/// ```
/// use asynq_worker::PanicError;
///
/// let payload = std::panic::catch_unwind(|| panic!("kaboom")).unwrap_err();
/// let err = PanicError::from_payload(payload.as_ref());
/// assert_eq!(err.to_string(), "panic error cause by: panic: kaboom");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanicError {
    message: String,
}

impl PanicError {
    /// A panic error with Go's `ErrMsg` set to `message` (for example `panic: kaboom`).
    pub fn new(message: impl Into<String>) -> PanicError {
        PanicError {
            message: message.into(),
        }
    }

    /// The error for a caught panic payload (from `std::panic::catch_unwind` or
    /// `tokio::task::JoinError::into_panic`): message `panic: <value>`, see [`panic_message`].
    pub fn from_payload(payload: &(dyn Any + Send)) -> PanicError {
        PanicError::new(format!("panic: {}", panic_message(payload)))
    }

    /// The error for a panic whose location is known: message `panic [<file>:<line>]: <value>`.
    pub fn with_location(file: &str, line: u32, value: &str) -> PanicError {
        PanicError::new(format!("panic [{file}:{line}]: {value}"))
    }

    /// Go's `ErrMsg`: the message without the `panic error cause by: ` prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "panic error cause by: {}", self.message)
    }
}

impl StdError for PanicError {}

/// The value a panic was raised with, as text: the `&str` or `String` given to `panic!`, or
/// `Box<dyn Any>` for any other payload (as Rust's own panic hook prints it).
///
/// The result is always valid UTF-8, so it can go into a protobuf string field (spec §0.6).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_become_go_messages() {
        let p = std::panic::catch_unwind(|| panic!("kaboom")).unwrap_err();
        assert_eq!(panic_message(p.as_ref()), "kaboom");
        let p = std::panic::catch_unwind(|| panic!("n = {}", 3)).unwrap_err();
        assert_eq!(panic_message(p.as_ref()), "n = 3");
        let p = std::panic::catch_unwind(|| std::panic::panic_any(42_u8)).unwrap_err();
        assert_eq!(panic_message(p.as_ref()), "Box<dyn Any>");

        let p = std::panic::catch_unwind(|| panic!("kaboom")).unwrap_err();
        let e = PanicError::from_payload(p.as_ref());
        assert_eq!(e.message(), "panic: kaboom");
        assert_eq!(e.to_string(), "panic error cause by: panic: kaboom");
        assert_eq!(
            PanicError::with_location("main.rs", 7, "kaboom").to_string(),
            "panic error cause by: panic [main.rs:7]: kaboom"
        );
    }
}
