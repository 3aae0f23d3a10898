//! `asynq dash`: the interactive terminal dashboard (crate `asynq-dash`).

use std::time::Duration;

use clap::Args;

use crate::config::parse_go_duration;
use crate::error::CliError;
use crate::Ctx;

/// Arguments of `asynq dash`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  $ asynq dash\n  $ asynq dash --refresh=3s")]
pub struct DashArgs {
    /// Interval between data refresh (default: 8s, min allowed: 1s)
    #[arg(long, default_value = "8s", value_name = "DURATION")]
    pub refresh: String,
}

/// Checks `--refresh` as Go does: a Go duration of at least 1 s.
///
/// # Errors
/// [`CliError::Usage`] for an unparsable or too short interval.
pub fn refresh_interval(s: &str) -> Result<Duration, CliError> {
    let d = parse_go_duration(s).map_err(|e| {
        CliError::Usage(format!(
            "invalid argument {s:?} for \"--refresh\" flag: {e}"
        ))
    })?;
    if d < Duration::from_secs(1) {
        return Err(CliError::Usage("--refresh cannot be less than 1s".into()));
    }
    Ok(d)
}

/// Runs the dashboard until the user quits.
///
/// # Errors
/// [`CliError::Usage`] for a bad `--refresh`, a connection error, or [`CliError::Dash`].
pub async fn run(args: DashArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let refresh = refresh_interval(&args.refresh)?;
    let inspector = ctx.inspector().await?;
    let opts = asynq_dash::DashOptions { refresh };
    asynq_dash::run(inspector, opts)
        .await
        .map_err(|e| CliError::Dash(e.to_string()))
}
