//! `asynq task ...`: list, inspect, cancel, archive, delete and run tasks, one or all of a
//! state.

use std::io::Write;

use asynq_inspect::{ListOptions, TaskInfo, TaskState};
use clap::{Args, Subcommand};
use time::OffsetDateTime;

use crate::cmd::check_page;
use crate::error::CliError;
use crate::output::{next_process_at, past_time, printable_bytes, process_at, table, write_table};
use crate::Ctx;

/// `asynq task <command>`.
#[derive(Debug, Clone, Subcommand)]
#[command(
    after_help = "Examples:\n  $ asynq task list --queue=myqueue --state=scheduled\n  $ asynq task inspect --queue=myqueue --id=7837f142-6337-4217-9276-8f27281b67d1\n  $ asynq task delete --queue=myqueue --id=7837f142-6337-4217-9276-8f27281b67d1\n  $ asynq task deleteall --queue=myqueue --state=archived"
)]
pub enum TaskCmd {
    /// List tasks
    #[command(
        visible_alias = "ls",
        long_about = "List tasks of the given state from the specified queue.\n\nThe --queue and --state flags are required.\n\nNote: For aggregating tasks, additional --group flag is required.\n\nList operation paginates the result set. By default, the command fetches the first 30 tasks.\nUse --page and --size flags to specify the page number and size."
    )]
    List(ListArgs),
    /// Cancel one or more active tasks
    Cancel(CancelArgs),
    /// Display detailed information on the specified task
    Inspect(TaskRef),
    /// Archive a task with the given id
    Archive(TaskRef),
    /// Delete a task with the given id
    #[command(visible_aliases = ["remove", "rm"])]
    Delete(TaskRef),
    /// Run a task with the given id
    Run(TaskRef),
    /// Archive all tasks in the given state
    Archiveall(BulkArgs),
    /// Delete all tasks in the given state
    Deleteall(BulkArgs),
    /// Run all tasks in the given state
    Runall(BulkArgs),
}

/// Arguments of `asynq task list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// queue to inspect (required)
    #[arg(short, long)]
    pub queue: String,
    /// state of the tasks; one of { active | pending | aggregating | scheduled | retry | archived | completed } (required)
    #[arg(short, long)]
    pub state: String,
    /// page number
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub page: i64,
    /// page size
    #[arg(long, default_value_t = 30, allow_negative_numbers = true)]
    pub size: i64,
    /// group to inspect (required for listing aggregating tasks)
    #[arg(short, long)]
    pub group: Option<String>,
}

/// Arguments of `asynq task cancel`.
#[derive(Debug, Clone, Args)]
pub struct CancelArgs {
    /// IDs of the active tasks
    #[arg(required = true, value_name = "TASK_ID")]
    pub ids: Vec<String>,
}

/// `--queue` and `--id` of one task.
#[derive(Debug, Clone, Args)]
pub struct TaskRef {
    /// queue to which the task belongs (required)
    #[arg(short, long)]
    pub queue: String,
    /// id of the task (required)
    #[arg(short, long)]
    pub id: String,
}

/// Arguments of `archiveall`, `deleteall` and `runall`.
#[derive(Debug, Clone, Args)]
pub struct BulkArgs {
    /// queue to which the tasks belong (required)
    #[arg(short, long)]
    pub queue: String,
    /// state of the tasks (required); see the command's help for the states it accepts
    #[arg(short, long)]
    pub state: String,
    /// group to which the tasks belong (required for aggregating tasks)
    #[arg(short, long)]
    pub group: Option<String>,
}

/// Runs a `task` subcommand.
///
/// # Errors
/// [`CliError::Usage`] for a bad state, page or missing group; an Inspector error with Go's
/// wording (`could not get task info: ...`); [`CliError::Reported`] when some cancellations
/// failed; a write error.
pub async fn run(cmd: TaskCmd, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    match cmd {
        TaskCmd::List(a) => list(a, ctx).await,
        TaskCmd::Cancel(a) => cancel(a, ctx).await,
        TaskCmd::Inspect(a) => {
            let inspector = ctx.inspector().await?;
            let info = inspector
                .get_task_info(&a.queue, &a.id)
                .await
                .map_err(CliError::inspect("could not get task info"))?;
            render_task_info(ctx.out, &info, OffsetDateTime::now_utc())
        }
        TaskCmd::Archive(a) => {
            let inspector = ctx.inspector().await?;
            inspector
                .archive_task(&a.queue, &a.id)
                .await
                .map_err(CliError::inspect("could not archive task"))?;
            writeln!(ctx.out, "task archived")?;
            Ok(())
        }
        TaskCmd::Delete(a) => {
            let inspector = ctx.inspector().await?;
            inspector
                .delete_task(&a.queue, &a.id)
                .await
                .map_err(CliError::inspect("could not delete task"))?;
            writeln!(ctx.out, "task deleted")?;
            Ok(())
        }
        TaskCmd::Run(a) => {
            let inspector = ctx.inspector().await?;
            inspector
                .run_task(&a.queue, &a.id)
                .await
                .map_err(CliError::inspect("could not run task"))?;
            writeln!(ctx.out, "task is now pending")?;
            Ok(())
        }
        TaskCmd::Archiveall(a) => bulk(Bulk::Archive, a, ctx).await,
        TaskCmd::Deleteall(a) => bulk(Bulk::Delete, a, ctx).await,
        TaskCmd::Runall(a) => bulk(Bulk::Run, a, ctx).await,
    }
}

/// The state named on the command line (`--state`), as Go's CLI accepts it: lowercase only.
fn parse_state(s: &str) -> Option<TaskState> {
    TaskState::ALL.into_iter().find(|st| st.as_str() == s)
}

/// Go's error when `--group` is missing: `flag --group is required for <what>`.
fn require_group<'g>(group: &'g Option<String>, what: &str) -> Result<&'g str, CliError> {
    match group.as_deref() {
        Some(g) if !g.is_empty() => Ok(g),
        _ => Err(CliError::Usage(format!(
            "flag --group is required for {what}"
        ))),
    }
}

async fn list(a: ListArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let state = parse_state(&a.state)
        .ok_or_else(|| CliError::Usage(format!("state={:?} is not supported", a.state)))?;
    let group = if state == TaskState::Aggregating {
        require_group(&a.group, "listing aggregating tasks")?
    } else {
        ""
    };
    check_page(a.page, a.size)?;
    let opts = ListOptions::default().page_size(a.size).page(a.page);
    let inspector = ctx.inspector().await?;
    let q = a.queue.as_str();
    let tasks = match state {
        TaskState::Active => inspector.list_active_tasks(q, opts).await,
        TaskState::Pending => inspector.list_pending_tasks(q, opts).await,
        TaskState::Scheduled => inspector.list_scheduled_tasks(q, opts).await,
        TaskState::Retry => inspector.list_retry_tasks(q, opts).await,
        TaskState::Archived => inspector.list_archived_tasks(q, opts).await,
        TaskState::Completed => inspector.list_completed_tasks(q, opts).await,
        TaskState::Aggregating => inspector.list_aggregating_tasks(q, group, opts).await,
    }
    .map_err(CliError::inspect(format!("could not list {state} tasks")))?;
    render_list(ctx.out, q, group, state, &tasks, OffsetDateTime::now_utc())
}

/// Prints a page of tasks with Go's columns for `state`, or Go's "No ... tasks" line.
///
/// # Errors
/// A write error.
pub fn render_list(
    out: &mut dyn Write,
    queue: &str,
    group: &str,
    state: TaskState,
    tasks: &[TaskInfo],
    now: OffsetDateTime,
) -> Result<(), CliError> {
    if tasks.is_empty() {
        if state == TaskState::Aggregating {
            writeln!(out, "No aggregating tasks in group {group:?}")?;
        } else {
            writeln!(out, "No {state} tasks in {queue:?} queue")?;
        }
        return Ok(());
    }
    let payload = |t: &TaskInfo| printable_bytes(&t.payload);
    let mut tbl = match state {
        TaskState::Active | TaskState::Pending => {
            let mut tbl = table(["ID", "Type", "Payload"]);
            for t in tasks {
                tbl.add_row([t.id.clone(), t.task_type.clone(), payload(t)]);
            }
            tbl
        }
        TaskState::Scheduled => {
            let mut tbl = table(["ID", "Type", "Payload", "Process In"]);
            for t in tasks {
                tbl.add_row([
                    t.id.clone(),
                    t.task_type.clone(),
                    payload(t),
                    process_at(t.next_process_at, now),
                ]);
            }
            tbl
        }
        TaskState::Retry => {
            let mut tbl = table([
                "ID",
                "Type",
                "Payload",
                "Next Retry",
                "Last Error",
                "Last Failed",
                "Retried",
                "Max Retry",
            ]);
            for t in tasks {
                tbl.add_row([
                    t.id.clone(),
                    t.task_type.clone(),
                    payload(t),
                    process_at(t.next_process_at, now),
                    t.last_err.clone(),
                    past_time(t.last_failed_at),
                    t.retried.to_string(),
                    t.max_retry.to_string(),
                ]);
            }
            tbl
        }
        TaskState::Archived => {
            let mut tbl = table(["ID", "Type", "Payload", "Last Failed", "Last Error"]);
            for t in tasks {
                tbl.add_row([
                    t.id.clone(),
                    t.task_type.clone(),
                    payload(t),
                    past_time(t.last_failed_at),
                    t.last_err.clone(),
                ]);
            }
            tbl
        }
        TaskState::Completed => {
            let mut tbl = table(["ID", "Type", "Payload", "CompletedAt", "Result"]);
            for t in tasks {
                tbl.add_row([
                    t.id.clone(),
                    t.task_type.clone(),
                    payload(t),
                    past_time(t.completed_at),
                    result_text(t.result.as_deref()),
                ]);
            }
            tbl
        }
        TaskState::Aggregating => {
            let mut tbl = table(["ID", "Type", "Payload", "Group"]);
            for t in tasks {
                tbl.add_row([
                    t.id.clone(),
                    t.task_type.clone(),
                    payload(t),
                    t.group.clone(),
                ]);
            }
            tbl
        }
    };
    write_table(out, &mut tbl)?;
    Ok(())
}

/// Prints one task (Go `printTaskInfo`, plus the payload, the group and, for completed tasks,
/// the completion time and result).
///
/// # Errors
/// A write error.
pub fn render_task_info(
    out: &mut dyn Write,
    info: &TaskInfo,
    now: OffsetDateTime,
) -> Result<(), CliError> {
    writeln!(out, "Task Info")?;
    writeln!(out, "Queue:   {}", info.queue)?;
    writeln!(out, "ID:      {}", info.id)?;
    writeln!(out, "Type:    {}", info.task_type)?;
    writeln!(out, "State:   {}", info.state)?;
    writeln!(out, "Retried: {}/{}", info.retried, info.max_retry)?;
    writeln!(out, "Payload: {}", printable_bytes(&info.payload))?;
    if !info.group.is_empty() {
        writeln!(out, "Group:   {}", info.group)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Next process time: {}",
        next_process_at(info.next_process_at, now)
    )?;
    if info.state == TaskState::Completed {
        writeln!(out, "Completed at:      {}", past_time(info.completed_at))?;
        writeln!(
            out,
            "Result:            {}",
            result_text(info.result.as_deref())
        )?;
    }
    if !info.last_err.is_empty() {
        writeln!(out)?;
        writeln!(out, "Last Failure")?;
        writeln!(out, "Failed at:     {}", past_time(info.last_failed_at))?;
        writeln!(out, "Error message: {}", info.last_err)?;
    }
    Ok(())
}

/// A task's result: empty when there is none, else like a payload.
fn result_text(result: Option<&[u8]>) -> String {
    match result {
        None | Some([]) => String::new(),
        Some(r) => printable_bytes(r),
    }
}

async fn cancel(a: CancelArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let inspector = ctx.inspector().await?;
    let mut failed = 0;
    for id in &a.ids {
        match inspector.cancel_processing(id).await {
            Ok(()) => writeln!(ctx.out, "Sent cancelation signal for task {id}")?,
            Err(e) => {
                writeln!(ctx.err, "error: could not send cancelation signal: {e}")?;
                failed += 1;
            }
        }
    }
    if failed > 0 {
        return Err(CliError::Reported {
            failed,
            total: a.ids.len(),
        });
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bulk {
    Archive,
    Delete,
    Run,
}

async fn bulk(kind: Bulk, a: BulkArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    use TaskState::*;
    let state = parse_state(&a.state);
    let allowed: &[TaskState] = match kind {
        Bulk::Archive => &[Pending, Scheduled, Retry, Aggregating],
        Bulk::Delete => &[Pending, Scheduled, Retry, Archived, Completed, Aggregating],
        Bulk::Run => &[Scheduled, Retry, Archived, Aggregating],
    };
    let state = state
        .filter(|s| allowed.contains(s))
        .ok_or_else(|| CliError::Usage(format!("unsupported state {:?}", a.state)))?;
    let g = if state == Aggregating {
        require_group(&a.group, "aggregating tasks")?
    } else {
        ""
    };
    let inspector = ctx.inspector().await?;
    let q = a.queue.as_str();
    let (n, verb) = match kind {
        Bulk::Archive => (
            match state {
                Pending => inspector.archive_all_pending_tasks(q).await,
                Scheduled => inspector.archive_all_scheduled_tasks(q).await,
                Retry => inspector.archive_all_retry_tasks(q).await,
                _ => inspector.archive_all_aggregating_tasks(q, g).await,
            },
            "archived",
        ),
        Bulk::Delete => (
            match state {
                Pending => inspector.delete_all_pending_tasks(q).await,
                Scheduled => inspector.delete_all_scheduled_tasks(q).await,
                Retry => inspector.delete_all_retry_tasks(q).await,
                Archived => inspector.delete_all_archived_tasks(q).await,
                Completed => inspector.delete_all_completed_tasks(q).await,
                _ => inspector.delete_all_aggregating_tasks(q, g).await,
            },
            "deleted",
        ),
        Bulk::Run => (
            match state {
                Scheduled => inspector.run_all_scheduled_tasks(q).await,
                Retry => inspector.run_all_retry_tasks(q).await,
                Archived => inspector.run_all_archived_tasks(q).await,
                _ => inspector.run_all_aggregating_tasks(q, g).await,
            },
            "are now pending",
        ),
    };
    let n = n.map_err(CliError::inspect(match kind {
        Bulk::Archive => "could not archive tasks",
        Bulk::Delete => "could not delete tasks",
        Bulk::Run => "could not run tasks",
    }))?;
    writeln!(ctx.out, "{n} tasks {verb}")?;
    Ok(())
}
