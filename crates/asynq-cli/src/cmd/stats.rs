//! `asynq stats`: task counts by state and by queue, today's processed/failed, Redis info.

use std::collections::BTreeMap;
use std::io::Write;

use asynq_inspect::QueueInfo;
use clap::Args;
use serde::Serialize;
use time::OffsetDateTime;

use crate::error::CliError;
use crate::output::{error_rate, rfc3339, table, write_table};
use crate::Ctx;

/// Arguments of `asynq stats`.
#[derive(Debug, Clone, Args)]
pub struct StatsArgs {
    /// Output stats in JSON format.
    #[arg(long)]
    pub json: bool,
}

/// Totals over all queues (Go `AggregateStats`; JSON keys are Go's).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct AggregateStats {
    /// Active tasks.
    pub active: i64,
    /// Pending tasks.
    pub pending: i64,
    /// Aggregating tasks.
    pub aggregating: i64,
    /// Scheduled tasks.
    pub scheduled: i64,
    /// Retry tasks.
    pub retry: i64,
    /// Archived tasks.
    pub archived: i64,
    /// Completed tasks.
    pub completed: i64,
    /// Processed today (UTC).
    pub processed: i64,
    /// Failed today (UTC).
    pub failed: i64,
    /// When the stats were read (RFC 3339, UTC).
    pub timestamp: String,
}

/// One queue in `stats --json` (Go's `rdb.Stats`, whose JSON keys are its field names).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct QueueStatsJson {
    /// Queue name.
    pub queue: String,
    /// Sampled memory usage in bytes.
    pub memory_usage: i64,
    /// True when paused.
    pub paused: bool,
    /// All tasks of the queue.
    pub size: i64,
    /// Number of groups.
    pub groups: i64,
    /// Pending tasks.
    pub pending: i64,
    /// Active tasks.
    pub active: i64,
    /// Scheduled tasks.
    pub scheduled: i64,
    /// Retry tasks.
    pub retry: i64,
    /// Archived tasks.
    pub archived: i64,
    /// Completed tasks.
    pub completed: i64,
    /// Aggregating tasks.
    pub aggregating: i64,
    /// Processed today.
    pub processed: i64,
    /// Failed today.
    pub failed: i64,
    /// Processed since the counters began.
    pub processed_total: i64,
    /// Failed since the counters began.
    pub failed_total: i64,
    /// Latency in nanoseconds (Go's `time.Duration` in JSON).
    pub latency: i64,
    /// When read (RFC 3339, UTC).
    pub timestamp: String,
}

impl From<&QueueInfo> for QueueStatsJson {
    fn from(q: &QueueInfo) -> Self {
        QueueStatsJson {
            queue: q.queue.clone(),
            memory_usage: q.memory_usage,
            paused: q.paused,
            size: q.size,
            groups: q.groups,
            pending: q.pending,
            active: q.active,
            scheduled: q.scheduled,
            retry: q.retry,
            archived: q.archived,
            completed: q.completed,
            aggregating: q.aggregating,
            processed: q.processed,
            failed: q.failed,
            processed_total: q.processed_total,
            failed_total: q.failed_total,
            latency: i64::try_from(q.latency.as_nanos()).unwrap_or(i64::MAX),
            timestamp: rfc3339(q.timestamp),
        }
    }
}

/// Everything `asynq stats` shows (Go `FullStats`).
#[derive(Debug, Clone, Serialize)]
pub struct FullStats {
    /// Totals.
    pub aggregate: AggregateStats,
    /// Per queue, sorted by name.
    pub queues: Vec<QueueStatsJson>,
    /// `INFO` (or `CLUSTER INFO` with `--cluster`) as key → value.
    pub redis: BTreeMap<String, String>,
}

/// Sums the per-queue numbers (Go `stats`). `now` is the timestamp when there are no queues.
pub fn aggregate(queues: &[QueueInfo], now: OffsetDateTime) -> AggregateStats {
    let mut a = AggregateStats::default();
    let mut ts = now;
    for q in queues {
        a.active += q.active;
        a.pending += q.pending;
        a.aggregating += q.aggregating;
        a.scheduled += q.scheduled;
        a.retry += q.retry;
        a.archived += q.archived;
        a.completed += q.completed;
        a.processed += q.processed;
        a.failed += q.failed;
        ts = q.timestamp;
    }
    a.timestamp = rfc3339(ts);
    a
}

/// Runs `asynq stats`.
///
/// # Errors
/// Any Inspector error (Go's wording: `could not fetch queues`, `could not fetch stats for queue
/// "q"`, `could not fetch redis info`), or a write error.
pub async fn run(args: StatsArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let inspector = ctx.inspector().await?;
    let mut names = inspector
        .queues()
        .await
        .map_err(CliError::inspect("could not fetch queues"))?;
    names.sort();
    let mut infos = Vec::with_capacity(names.len());
    for q in &names {
        let info = inspector
            .get_queue_info(q)
            .await
            .map_err(CliError::inspect(format!(
                "could not fetch stats for queue {q:?}"
            )))?;
        infos.push(info);
    }
    let redis = if ctx.cluster {
        inspector.redis_cluster_info().await
    } else {
        inspector.redis_info().await
    }
    .map_err(CliError::inspect("could not fetch redis info"))?;
    let now = OffsetDateTime::now_utc();
    let full = FullStats {
        aggregate: aggregate(&infos, now),
        queues: infos.iter().map(QueueStatsJson::from).collect(),
        redis,
    };
    if args.json {
        let json = serde_json::to_string(&full)?;
        writeln!(ctx.out, "{json}")?;
        return Ok(());
    }
    render(ctx.out, &infos, &full, ctx.cluster)
}

/// Prints the human form of `asynq stats`, as Go lays it out.
///
/// # Errors
/// A write error.
pub fn render(
    out: &mut dyn Write,
    infos: &[QueueInfo],
    full: &FullStats,
    cluster: bool,
) -> Result<(), CliError> {
    let a = &full.aggregate;
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
        a.active,
        a.pending,
        a.aggregating,
        a.scheduled,
        a.retry,
        a.archived,
        a.completed,
    ]);
    write_table(out, &mut t)?;
    writeln!(out)?;

    writeln!(out, "Task Count by Queue")?;
    if infos.is_empty() {
        writeln!(out, "No queues")?;
    } else {
        let mut t = table(infos.iter().map(|q| {
            if q.paused {
                format!("{} (paused)", q.queue)
            } else {
                q.queue.clone()
            }
        }));
        t.add_row(infos.iter().map(|q| q.size));
        write_table(out, &mut t)?;
    }
    writeln!(out)?;

    let date = a.timestamp.get(..10).unwrap_or(&a.timestamp);
    writeln!(out, "Daily Stats {date} UTC")?;
    let mut t = table(["processed", "failed", "error rate"]);
    t.add_row([
        a.processed.to_string(),
        a.failed.to_string(),
        error_rate(a.processed, a.failed),
    ]);
    write_table(out, &mut t)?;
    writeln!(out)?;

    let info = &full.redis;
    let get = |k: &str| info.get(k).cloned().unwrap_or_default();
    if cluster {
        writeln!(out, "Redis Cluster Info")?;
        let mut t = table(["State", "Known Nodes", "Cluster Size"]);
        t.add_row([
            get("cluster_state").to_uppercase(),
            get("cluster_known_nodes"),
            get("cluster_size"),
        ]);
        write_table(out, &mut t)?;
    } else {
        writeln!(out, "Redis Info")?;
        let mut t = table([
            "version",
            "uptime",
            "connections",
            "memory usage",
            "peak memory usage",
        ]);
        t.add_row([
            get("redis_version"),
            format!("{} days", get("uptime_in_days")),
            get("connected_clients"),
            format!("{}B", get("used_memory_human")),
            format!("{}B", get("used_memory_peak_human")),
        ]);
        write_table(out, &mut t)?;
    }
    writeln!(out)?;
    Ok(())
}
