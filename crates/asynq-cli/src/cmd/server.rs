//! `asynq server ls`: the live worker servers.

use std::collections::HashMap;
use std::io::Write;

use asynq_inspect::ServerInfo;
use clap::Subcommand;
use time::OffsetDateTime;

use crate::error::CliError;
use crate::output::{table, time_ago, write_table};
use crate::Ctx;

/// `asynq server <command>`.
#[derive(Debug, Clone, Subcommand)]
#[command(after_help = "Examples:\n  $ asynq server list")]
pub enum ServerCmd {
    /// List servers
    #[command(
        visible_alias = "ls",
        long_about = "Server list (asynq server ls) shows all running worker servers\npulling tasks from the given redis instance.\n\nThe command shows the following for each server:\n* Host and PID of the process in which the server is running\n* Number of active workers out of worker pool\n* Queue configuration\n* State of the worker server (\"active\" | \"stopped\")\n* Time the server was started\n\nA \"active\" server is pulling tasks from queues and processing them.\nA \"stopped\" server is no longer pulling new tasks from queues"
    )]
    List,
}

/// Runs a `server` subcommand.
///
/// # Errors
/// An Inspector error (`could not fetch list of servers: ...`) or a write error.
pub async fn run(cmd: ServerCmd, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    match cmd {
        ServerCmd::List => {
            let inspector = ctx.inspector().await?;
            let servers = inspector
                .servers()
                .await
                .map_err(CliError::inspect("could not fetch list of servers"))?;
            render(ctx.out, servers, OffsetDateTime::now_utc())
        }
    }
}

/// Go's `formatQueues`: `name:priority` by priority (highest first), then name.
pub fn format_queues(queues: &HashMap<String, i32>) -> String {
    let mut qs: Vec<(&String, &i32)> = queues.iter().collect();
    qs.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    qs.iter()
        .map(|(q, p)| format!("{q}:{p}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Prints the servers sorted by host then PID, or Go's "No running servers".
///
/// # Errors
/// A write error.
pub fn render(
    out: &mut dyn Write,
    mut servers: Vec<ServerInfo>,
    now: OffsetDateTime,
) -> Result<(), CliError> {
    if servers.is_empty() {
        writeln!(out, "No running servers")?;
        return Ok(());
    }
    servers.sort_by(|a, b| a.host.cmp(&b.host).then(a.pid.cmp(&b.pid)));
    let mut t = table([
        "Host",
        "PID",
        "State",
        "Active Workers",
        "Queues",
        "Started",
    ]);
    for s in &servers {
        t.add_row([
            s.host.clone(),
            s.pid.to_string(),
            s.status.clone(),
            format!("{}/{}", s.active_workers.len(), s.concurrency),
            format_queues(&s.queues),
            time_ago(s.started, now),
        ]);
    }
    write_table(out, &mut t)?;
    Ok(())
}
