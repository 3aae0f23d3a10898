//! [`DashError`]: why the dashboard could not start or had to stop.

use asynq_inspect::InspectError;
use thiserror::Error;

/// The errors of [`crate::run`].
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DashError {
    /// Reading keys from or drawing on the terminal failed.
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
    /// An Inspector error. [`crate::run`] shows failed reads on its error line and goes on
    /// instead of returning them; this variant lets a caller set up the Inspector
    /// (`Inspector::connect`) under the same error type.
    #[error(transparent)]
    Inspect(#[from] InspectError),
    /// The refresh interval is below one second (Go: `--refresh cannot be less than 1s`).
    #[error("--refresh cannot be less than 1s")]
    RefreshTooShort,
}
