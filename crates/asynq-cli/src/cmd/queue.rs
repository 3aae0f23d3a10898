//! `asynq queue ...`: list, inspect, history, pause, resume and remove queues.

use std::io::Write;

use asynq_inspect::{ClusterNode, DailyStats, InspectError, QueueInfo};
use clap::{Args, Subcommand};

use crate::cmd::SEPARATOR;
use crate::error::CliError;
use crate::output::{byte_size, day, error_rate, go_duration, table, write_table};
use crate::Ctx;

/// `asynq queue <command>`.
#[derive(Debug, Clone, Subcommand)]
#[command(
    after_help = "Examples:\n  $ asynq queue ls\n  $ asynq queue inspect myqueue\n  $ asynq queue pause myqueue"
)]
pub enum QueueCmd {
    /// List queues
    #[command(visible_alias = "ls")]
    List,
    /// Display detailed information on one or more queues
    Inspect(QueueNames),
    /// Display historical aggregate data from one or more queues
    History(HistoryArgs),
    /// Pause one or more queues
    Pause(QueueNames),
    /// Resume (unpause) one or more queues
    #[command(visible_alias = "unpause")]
    Resume(QueueNames),
    /// Remove one or more queues
    #[command(visible_aliases = ["rm", "delete"])]
    Remove(RemoveArgs),
}

/// One or more queue names.
#[derive(Debug, Clone, Args)]
pub struct QueueNames {
    /// Queue names
    #[arg(required = true, value_name = "QUEUE")]
    pub queues: Vec<String>,
}

/// Arguments of `asynq queue history`.
#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// Queue names
    #[arg(required = true, value_name = "QUEUE")]
    pub queues: Vec<String>,
    /// show data from last x days
    #[arg(short = 'x', long, default_value_t = 10, allow_negative_numbers = true)]
    pub days: i64,
}

/// Arguments of `asynq queue remove`.
#[derive(Debug, Clone, Args)]
pub struct RemoveArgs {
    /// Queue names
    #[arg(required = true, value_name = "QUEUE")]
    pub queues: Vec<String>,
    /// remove the queue regardless of its size
    #[arg(short, long)]
    pub force: bool,
}

/// Runs a `queue` subcommand.
///
/// # Errors
/// [`CliError::Reported`] when some queues failed (each reported on stderr), an Inspector error
/// for `list`, or a write error.
pub async fn run(cmd: QueueCmd, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    match cmd {
        QueueCmd::List => list(ctx).await,
        QueueCmd::Inspect(a) => inspect(a, ctx).await,
        QueueCmd::History(a) => history(a, ctx).await,
        QueueCmd::Pause(a) => pause(a, ctx, true).await,
        QueueCmd::Resume(a) => pause(a, ctx, false).await,
        QueueCmd::Remove(a) => remove(a, ctx).await,
    }
}

fn reported(failed: usize, total: usize) -> Result<(), CliError> {
    if failed == 0 {
        Ok(())
    } else {
        Err(CliError::Reported { failed, total })
    }
}

async fn list(ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let inspector = ctx.inspector().await?;
    let mut queues = inspector
        .queues()
        .await
        .map_err(CliError::inspect("could not fetch list of queues"))?;
    queues.sort();
    if !ctx.cluster {
        for q in &queues {
            writeln!(ctx.out, "{q}")?;
        }
        return Ok(());
    }
    let mut rows = Vec::new();
    let mut failed = 0;
    for q in &queues {
        let slot = match inspector.cluster_key_slot(q).await {
            Ok(s) => s,
            Err(e) => {
                writeln!(
                    ctx.err,
                    "error: could not get cluster keyslot for {q:?}: {e}"
                )?;
                failed += 1;
                continue;
            }
        };
        let nodes = match inspector.cluster_nodes(q).await {
            Ok(n) => n,
            Err(e) => {
                writeln!(ctx.err, "error: could not get cluster nodes for {q:?}: {e}")?;
                failed += 1;
                continue;
            }
        };
        rows.push((q.clone(), slot, nodes));
    }
    render_cluster_list(ctx.out, &rows)?;
    reported(failed, queues.len())
}

/// Prints the cluster form of `queue ls`: queue, key slot and the nodes serving it.
///
/// # Errors
/// A write error.
pub fn render_cluster_list(
    out: &mut dyn Write,
    rows: &[(String, i64, Vec<ClusterNode>)],
) -> Result<(), CliError> {
    let mut t = table(["Queue", "Cluster KeySlot", "Cluster Nodes"]);
    for (q, slot, nodes) in rows {
        let nodes = nodes
            .iter()
            .map(|n| format!("{}@{}", n.id, n.addr))
            .collect::<Vec<_>>()
            .join(" ");
        t.add_row([q.clone(), slot.to_string(), nodes]);
    }
    write_table(out, &mut t)?;
    Ok(())
}

async fn inspect(a: QueueNames, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let inspector = ctx.inspector().await?;
    let mut failed = 0;
    for (i, q) in a.queues.iter().enumerate() {
        if i > 0 {
            writeln!(ctx.out, "\n{SEPARATOR}\n")?;
        }
        match inspector.get_queue_info(q).await {
            Ok(info) => render_queue_info(ctx.out, &info)?,
            Err(e) => {
                writeln!(ctx.err, "error: {}", queue_error(q, &e))?;
                failed += 1;
            }
        }
    }
    reported(failed, a.queues.len())
}

/// The text of an Inspector error about queue `q`, with Go's wording for a missing queue.
fn queue_error(q: &str, e: &InspectError) -> String {
    match e {
        InspectError::QueueNotFound(_) => format!("queue {q:?} does not exist"),
        other => other.to_string(),
    }
}

/// Prints one queue's details (Go `printQueueInfo`, plus latency and memory usage).
///
/// # Errors
/// A write error.
pub fn render_queue_info(out: &mut dyn Write, info: &QueueInfo) -> Result<(), CliError> {
    writeln!(out, "Queue Info")?;
    writeln!(out, "Name:         {}", info.queue)?;
    writeln!(out, "Size:         {}", info.size)?;
    writeln!(out, "Groups:       {}", info.groups)?;
    writeln!(out, "Paused:       {}", info.paused)?;
    writeln!(out, "Latency:      {}", go_duration(info.latency))?;
    writeln!(out, "Memory usage: {}", byte_size(info.memory_usage))?;
    writeln!(out)?;
    writeln!(out, "Task Count by State")?;
    let mut t = table([
        "active",
        "pending",
        "aggregating",
        "scheduled",
        "retry",
        "archived",
        "completed",
    ]);
    t.add_row([
        info.active,
        info.pending,
        info.aggregating,
        info.scheduled,
        info.retry,
        info.archived,
        info.completed,
    ]);
    write_table(out, &mut t)?;
    writeln!(out)?;
    writeln!(out, "Daily Stats {} UTC", day(info.timestamp))?;
    let mut t = table(["processed", "failed", "error rate"]);
    t.add_row([
        info.processed.to_string(),
        info.failed.to_string(),
        error_rate(info.processed, info.failed),
    ]);
    write_table(out, &mut t)?;
    Ok(())
}

async fn history(a: HistoryArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if a.days < 1 {
        return Err(CliError::Usage(format!(
            "invalid --days {}: the number of days must be positive",
            a.days
        )));
    }
    let inspector = ctx.inspector().await?;
    let mut failed = 0;
    for (i, q) in a.queues.iter().enumerate() {
        if i > 0 {
            writeln!(ctx.out, "\n{SEPARATOR}\n")?;
        }
        writeln!(ctx.out, "Queue: {q}\n")?;
        match inspector.history(q, a.days).await {
            Ok(stats) => render_history(ctx.out, &stats)?,
            Err(e) => {
                writeln!(ctx.err, "error: {}", queue_error(q, &e))?;
                failed += 1;
            }
        }
    }
    reported(failed, a.queues.len())
}

/// Prints a queue's daily counters, newest day first (Go `printDailyStats`).
///
/// # Errors
/// A write error.
pub fn render_history(out: &mut dyn Write, stats: &[DailyStats]) -> Result<(), CliError> {
    let mut t = table(["date (UTC)", "processed", "failed", "error rate"]);
    for s in stats {
        t.add_row([
            day(s.date),
            s.processed.to_string(),
            s.failed.to_string(),
            error_rate(s.processed, s.failed),
        ]);
    }
    write_table(out, &mut t)?;
    Ok(())
}

async fn pause(a: QueueNames, ctx: &mut Ctx<'_>, pause: bool) -> Result<(), CliError> {
    let inspector = ctx.inspector().await?;
    let mut failed = 0;
    for q in &a.queues {
        let r = if pause {
            inspector.pause_queue(q).await
        } else {
            inspector.unpause_queue(q).await
        };
        match r {
            Ok(()) if pause => writeln!(ctx.out, "Successfully paused queue {q:?}")?,
            Ok(()) => writeln!(ctx.out, "Successfully unpaused queue {q:?}")?,
            Err(e) => {
                writeln!(ctx.err, "error: {e}")?;
                failed += 1;
            }
        }
    }
    reported(failed, a.queues.len())
}

async fn remove(a: RemoveArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let inspector = ctx.inspector().await?;
    let mut failed = 0;
    for q in &a.queues {
        match inspector.delete_queue(q, a.force).await {
            Ok(()) => writeln!(ctx.out, "Successfully removed queue {q:?}")?,
            Err(InspectError::QueueNotEmpty(_)) => {
                writeln!(
                    ctx.err,
                    "error: queue {q:?} is not empty; to remove it anyway, run 'asynq queue rm --force {q}'"
                )?;
                failed += 1;
            }
            Err(e) => {
                writeln!(ctx.err, "error: {}", queue_error(q, &e))?;
                failed += 1;
            }
        }
    }
    reported(failed, a.queues.len())
}
