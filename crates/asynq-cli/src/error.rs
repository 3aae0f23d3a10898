//! [`CliError`]: why a command failed.

use asynq_inspect::InspectError;
use thiserror::Error;

/// Why a command failed. The binary prints it on one line to stderr and exits with status 1.
#[derive(Debug, Error)]
pub enum CliError {
    /// Bad connection settings: a malformed URI, database number, boolean or config file.
    #[error("{0}")]
    Config(String),
    /// A bad argument: an unknown state, a page size below 1, a missing `--group`, ...
    #[error("{0}")]
    Usage(String),
    /// An Inspector call failed; `context` says what was being done (Go's wording, e.g.
    /// `could not get task info`).
    #[error("{context}: {source}")]
    Inspect {
        /// What was being done.
        context: String,
        /// The Inspector's error.
        source: InspectError,
    },
    /// Some items of a multi-item command (`queue inspect q1 q2`, `task cancel id1 id2`)
    /// failed; each failure was already reported on stderr.
    #[error("{failed} of {total} operations failed")]
    Reported {
        /// Items that failed.
        failed: usize,
        /// Items in the command.
        total: usize,
    },
    /// The dashboard failed.
    #[error("dashboard: {0}")]
    Dash(String),
    /// Writing the output failed (e.g. the reader of a pipe went away).
    #[error("cannot write output: {0}")]
    Io(#[from] std::io::Error),
    /// Encoding JSON output failed.
    #[error("could not marshal stats to JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl CliError {
    /// An [`CliError::Inspect`] with `context`.
    pub fn inspect(context: impl Into<String>) -> impl FnOnce(InspectError) -> CliError {
        let context = context.into();
        move |source| CliError::Inspect { context, source }
    }

    /// True when the error was already printed to stderr item by item.
    pub fn is_reported(&self) -> bool {
        matches!(self, CliError::Reported { .. })
    }

    /// True when the output pipe was closed by its reader.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}
