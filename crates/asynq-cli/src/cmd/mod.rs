//! One module per command group, each with its clap arguments, a `run` function that fetches
//! through the Inspector, and `render_*` functions that print what was fetched.

pub mod cron;
pub mod dash;
pub mod group;
pub mod queue;
pub mod server;
pub mod stats;
pub mod task;

use crate::error::CliError;

/// Go's separator between the blocks of multi-queue output.
pub const SEPARATOR: &str = "=================================================";

/// Checks a `--page`/`--size` pair: both at least 1.
///
/// # Errors
/// [`CliError::Usage`] naming the bad flag.
pub fn check_page(page: i64, size: i64) -> Result<(), CliError> {
    if size < 1 {
        return Err(CliError::Usage(format!(
            "invalid page size {size}: --size must be at least 1"
        )));
    }
    if page < 1 {
        return Err(CliError::Usage(format!(
            "invalid page number {page}: --page must be at least 1"
        )));
    }
    Ok(())
}
