//! `asynq cron ...`: the scheduler entries and their enqueue history.

use std::io::Write;

use asynq_inspect::{ListOptions, SchedulerEnqueueEvent, SchedulerEntry};
use clap::{Args, Subcommand};
use time::OffsetDateTime;

use crate::cmd::{check_page, SEPARATOR};
use crate::error::CliError;
use crate::output::{go_secs, go_time, printable_bytes, rounded_secs, table, write_table};
use crate::Ctx;

/// `asynq cron <command>`.
#[derive(Debug, Clone, Subcommand)]
#[command(
    after_help = "Examples:\n  $ asynq cron ls\n  $ asynq cron history 7837f142-6337-4217-9276-8f27281b67d1"
)]
pub enum CronCmd {
    /// List cron entries
    #[command(visible_alias = "ls")]
    List,
    /// Show history of each cron tasks
    History(HistoryArgs),
}

/// Arguments of `asynq cron history`.
#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// Scheduler entry IDs
    #[arg(required = true, value_name = "ENTRY_ID")]
    pub entry_ids: Vec<String>,
    /// page number
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub page: i64,
    /// page size
    #[arg(long, default_value_t = 30, allow_negative_numbers = true)]
    pub size: i64,
}

/// Runs a `cron` subcommand.
///
/// # Errors
/// An Inspector error, [`CliError::Usage`] for a bad page, [`CliError::Reported`] when some
/// entries' histories could not be read, or a write error.
pub async fn run(cmd: CronCmd, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    match cmd {
        CronCmd::List => {
            let inspector = ctx.inspector().await?;
            let entries = inspector
                .scheduler_entries()
                .await
                .map_err(CliError::inspect("could not fetch scheduler entries"))?;
            render_entries(ctx.out, entries, OffsetDateTime::now_utc())
        }
        CronCmd::History(a) => {
            check_page(a.page, a.size)?;
            let inspector = ctx.inspector().await?;
            let opts = ListOptions::default().page_size(a.size).page(a.page);
            let mut failed = 0;
            for (i, id) in a.entry_ids.iter().enumerate() {
                if i > 0 {
                    writeln!(ctx.out, "\n{SEPARATOR}")?;
                }
                writeln!(ctx.out)?;
                writeln!(ctx.out, "Entry: {id}\n")?;
                match inspector.list_scheduler_enqueue_events(id, opts).await {
                    Ok(events) => render_events(ctx.out, id, &events)?,
                    Err(e) => {
                        writeln!(ctx.err, "error: {e}")?;
                        failed += 1;
                    }
                }
            }
            if failed > 0 {
                return Err(CliError::Reported {
                    failed,
                    total: a.entry_ids.len(),
                });
            }
            Ok(())
        }
    }
}

/// Go's `nextEnqueue`: `Now` when due, else `In 1m30s`.
pub fn next_enqueue(next: OffsetDateTime, now: OffsetDateTime) -> String {
    let d = rounded_secs(now, next);
    if d < 0 {
        "Now".into()
    } else {
        format!("In {}", go_secs(d))
    }
}

/// Go's `prevEnqueue`: `N/A` before the first enqueue, else `1m30s ago`.
pub fn prev_enqueue(prev: Option<OffsetDateTime>, now: OffsetDateTime) -> String {
    match prev {
        None => "N/A".into(),
        Some(p) => format!("{} ago", go_secs(rounded_secs(p, now))),
    }
}

/// Prints the scheduler entries sorted by spec, or Go's "No scheduler entries".
///
/// # Errors
/// A write error.
pub fn render_entries(
    out: &mut dyn Write,
    mut entries: Vec<SchedulerEntry>,
    now: OffsetDateTime,
) -> Result<(), CliError> {
    if entries.is_empty() {
        writeln!(out, "No scheduler entries")?;
        return Ok(());
    }
    entries.sort_by(|a, b| a.spec.cmp(&b.spec));
    let mut t = table([
        "EntryID", "Spec", "Type", "Payload", "Options", "Next", "Prev",
    ]);
    for e in &entries {
        let opts = e
            .opts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        t.add_row([
            e.id.clone(),
            e.spec.clone(),
            e.task.task_type().to_string(),
            printable_bytes(e.task.payload()),
            format!("[{opts}]"),
            next_enqueue(e.next, now),
            prev_enqueue(e.prev, now),
        ]);
    }
    write_table(out, &mut t)?;
    Ok(())
}

/// Prints one entry's enqueue events, newest first, or Go's "No scheduler enqueue events" line.
///
/// # Errors
/// A write error.
pub fn render_events(
    out: &mut dyn Write,
    entry_id: &str,
    events: &[SchedulerEnqueueEvent],
) -> Result<(), CliError> {
    if events.is_empty() {
        writeln!(
            out,
            "No scheduler enqueue events found for entry: {entry_id}"
        )?;
        return Ok(());
    }
    let mut t = table(["TaskID", "EnqueuedAt"]);
    for e in events {
        t.add_row([e.task_id.clone(), go_time(e.enqueued_at)]);
    }
    write_table(out, &mut t)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use asynq_inspect::{Task, TaskOption};
    use time::macros::datetime;

    #[test]
    fn entries_and_events_like_go() {
        let now = datetime!(2026-11-23 01:48:07 UTC);
        let entry = |id: &str, spec: &str, prev| SchedulerEntry {
            id: id.into(),
            spec: spec.into(),
            task: Task::new("report:run", "{}"),
            opts: vec![TaskOption::queue("low"), TaskOption::max_retry(3)],
            next: now + time::Duration::seconds(12),
            prev,
        };
        let entries = vec![
            entry("e2", "@every 30s", Some(now - time::Duration::seconds(18))),
            entry("e1", "0 * * * *", None),
        ];
        let mut out = Vec::new();
        render_entries(&mut out, entries, now).unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["EntryID", "Spec", "Type", "Payload", "Options", "Next", "Prev"]
        );
        // Sorted by spec: "0 * * * *" < "@every 30s".
        assert!(lines[2].starts_with("e1"), "{out}");
        assert!(lines[2].contains("[Queue(\"low\") MaxRetry(3)]"), "{out}");
        assert!(
            lines[2].contains("In 12s") && lines[2].ends_with("N/A"),
            "{out}"
        );
        assert!(lines[3].ends_with("18s ago"), "{out}");

        let events = [SchedulerEnqueueEvent {
            task_id: "t1".into(),
            enqueued_at: now,
        }];
        let mut out = Vec::new();
        render_events(&mut out, "e1", &events).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out,
            "TaskID  EnqueuedAt\n------- ------------------------------\nt1      2026-11-23 01:48:07 +0000 UTC\n"
        );
        let mut out = Vec::new();
        render_events(&mut out, "e1", &[]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "No scheduler enqueue events found for entry: e1\n"
        );
    }
}
