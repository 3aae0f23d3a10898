//! `asynq group ls --queue Q`: the groups of a queue.

use std::io::Write;

use asynq_inspect::GroupInfo;
use clap::{Args, Subcommand};

use crate::error::CliError;
use crate::output::{table, write_table};
use crate::Ctx;

/// `asynq group <command>`.
#[derive(Debug, Clone, Subcommand)]
#[command(after_help = "Examples:\n  $ asynq group list --queue=myqueue")]
pub enum GroupCmd {
    /// List groups
    #[command(visible_alias = "ls")]
    List(GroupListArgs),
}

/// Arguments of `asynq group list`.
#[derive(Debug, Clone, Args)]
pub struct GroupListArgs {
    /// queue to inspect
    #[arg(short, long)]
    pub queue: String,
}

/// Runs a `group` subcommand.
///
/// # Errors
/// An Inspector error (`could not fetch groups: ...`) or a write error.
pub async fn run(cmd: GroupCmd, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    match cmd {
        GroupCmd::List(a) => {
            let inspector = ctx.inspector().await?;
            let mut groups = inspector
                .groups(&a.queue)
                .await
                .map_err(CliError::inspect("could not fetch groups"))?;
            groups.sort_by(|x, y| x.group.cmp(&y.group));
            render(ctx.out, &a.queue, &groups)
        }
    }
}

/// Prints the groups and their sizes, sorted by name, or Go's "No groups found" line.
///
/// # Errors
/// A write error.
pub fn render(out: &mut dyn Write, queue: &str, groups: &[GroupInfo]) -> Result<(), CliError> {
    if groups.is_empty() {
        writeln!(out, "No groups found in queue {queue:?}")?;
        return Ok(());
    }
    let mut t = table(["Group", "Size"]);
    for g in groups {
        t.add_row([g.group.clone(), g.size.to_string()]);
    }
    write_table(out, &mut t)?;
    Ok(())
}
