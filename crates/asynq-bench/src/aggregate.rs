//! W6 aggregation: how fast a server turns grouped tasks into aggregated tasks and processes them.
//!
//! * `asynq-bench aggregate-fill` (set-up, not measured): N tasks over G groups of one queue,
//!   task i into group `g{i % G}` with `TaskOption::group`, its payload the index i as 8 ASCII
//!   digits. `enqueue_batch` refuses group tasks (as Go's batch does), so this runs concurrent
//!   `Client::enqueue` calls. `cargo xtask bench` fills the groups with it for both sides, so the
//!   Go and the Rust server aggregate the same messages.
//! * `asynq-bench aggregate-worker`: a `Server` with `Config::default()` apart from the queue,
//!   the concurrency, `group_grace_period`, `group_max_size` and a `group_aggregator` that
//!   concatenates the payloads of a group's tasks into one task of type `bench:aggregated`. The
//!   handler splits each aggregated payload into its 8-digit indices and counts the distinct
//!   ones. It prints a `started` line (Unix ns just before `Server::start`), a `done` line when
//!   all N group tasks have been seen inside processed aggregated tasks (Unix ns of the handler
//!   call that completed the count, of the first aggregated task, how many aggregated tasks,
//!   duplicates), then runs until standard input is closed, shuts down and prints `stopped`.
//!
//! The Go program's `aggregate-worker` does the same with `asynq.Config{GroupGracePeriod,
//! GroupMaxSize, GroupAggregator}`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asynq_client::{Client, RedisConnOpt, Task, TaskOption};
use asynq_worker::{handler_fn, Config, Server, TaskContext};
use serde_json::json;
use tokio::sync::Notify;

use crate::common::{print_line, unix_ns, wait_for_stdin_eof};

/// Width of a group task's payload: its index in ASCII digits, zero-padded.
const DIGITS: usize = 8;

/// The payload of group task `i`.
fn payload(i: usize) -> String {
    format!("{i:0DIGITS$}")
}

/// The name of group `g`.
fn group_name(g: usize) -> String {
    format!("g{g:04}")
}

/// Puts `n` tasks into `groups` groups of `queue` from `concurrency` concurrent producers
/// sharing one client.
pub async fn fill(
    redis: &str,
    n: usize,
    groups: usize,
    queue: &str,
    concurrency: usize,
) -> Result<serde_json::Value, String> {
    if n >= 10usize.pow(DIGITS as u32) {
        return Err(format!("at most {} tasks", 10usize.pow(DIGITS as u32) - 1));
    }
    let groups = groups.max(1);
    let client = Client::connect(RedisConnOpt::parse_uri(redis).map_err(|e| e.to_string())?)
        .await
        .map_err(|e| format!("connecting to {redis}: {e}"))?;
    let opts: Arc<Vec<[TaskOption; 2]>> = Arc::new(
        (0..groups)
            .map(|g| [TaskOption::queue(queue), TaskOption::group(group_name(g))])
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let producers: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (client, next, errors, opts) =
                (client.clone(), next.clone(), errors.clone(), opts.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let task = Task::new("bench:grouped", payload(i));
                    if client.enqueue(&task, &opts[i % groups]).await.is_err() {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for p in producers {
        let _ = p.await;
    }
    let seconds = start.elapsed().as_secs_f64();
    let _ = client.close().await;
    let errors = errors.load(Ordering::Relaxed);
    if errors > 0 {
        return Err(format!("{errors} of {n} group tasks could not be enqueued"));
    }
    Ok(json!({
        "workload": "aggregate-fill", "side": "rust", "tasks": n, "groups": groups,
        "seconds": seconds,
    }))
}

/// What the handler has seen.
struct Seen {
    seen: Vec<bool>,
    distinct: usize,
    duplicates: usize,
    bad: usize,
    aggregated: usize,
    first_ns: Option<i64>,
    done_ns: Option<i64>,
}

/// Settings of the worker.
pub struct WorkerArgs {
    pub n: usize,
    pub queue: String,
    pub concurrency: usize,
    pub grace: Duration,
    pub max_size: usize,
    pub timeout: Duration,
}

/// Runs the server until all `n` group tasks have been processed inside aggregated tasks
/// (reported), then until standard input is closed.
pub async fn worker(redis: &str, a: WorkerArgs) -> Result<(), String> {
    let opt = RedisConnOpt::parse_uri(redis).map_err(|e| e.to_string())?;
    let config = Config {
        queues: [(a.queue.clone(), 1)].into_iter().collect(),
        concurrency: a.concurrency,
        group_grace_period: a.grace,
        group_max_size: a.max_size,
        ..Config::default()
    }
    .with_group_aggregator(|_: &str, tasks: Vec<Task>| {
        let mut p = Vec::with_capacity(tasks.iter().map(|t| t.payload().len()).sum());
        for t in &tasks {
            p.extend_from_slice(t.payload());
        }
        Some(Task::new("bench:aggregated", p))
    });
    let server = Server::connect(opt, config)
        .await
        .map_err(|e| format!("creating the server: {e}"))?;
    let n = a.n;
    let state = Arc::new(Mutex::new(Seen {
        seen: vec![false; n],
        distinct: 0,
        duplicates: 0,
        bad: 0,
        aggregated: 0,
        first_ns: None,
        done_ns: None,
    }));
    let all_in = Arc::new(Notify::new());
    let handler = {
        let (state, all_in) = (state.clone(), all_in.clone());
        handler_fn(move |_: TaskContext, task: Task| {
            let now = unix_ns();
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            s.first_ns.get_or_insert(now);
            s.aggregated += 1;
            let p = task.payload();
            if p.len() % DIGITS != 0 {
                s.bad += 1;
            }
            for chunk in p.chunks_exact(DIGITS) {
                let i = std::str::from_utf8(chunk)
                    .ok()
                    .and_then(|c| c.parse::<usize>().ok());
                match i {
                    Some(i) if i < n && !s.seen[i] => {
                        s.seen[i] = true;
                        s.distinct += 1;
                    }
                    Some(i) if i < n => s.duplicates += 1,
                    _ => s.bad += 1,
                }
            }
            if s.distinct == n && s.done_ns.is_none() {
                s.done_ns = Some(now);
                all_in.notify_one();
            }
            async { Ok(()) }
        })
    };
    let started = unix_ns();
    server
        .start(handler)
        .map_err(|e| format!("starting the server: {e}"))?;
    print_line(&json!({
        "event": "started", "side": "rust", "unix_ns": started, "concurrency": a.concurrency,
    }));
    let timed_out = tokio::time::timeout(a.timeout, all_in.notified())
        .await
        .is_err();
    let report = {
        let s = state.lock().unwrap_or_else(|e| e.into_inner());
        json!({
            "event": if timed_out { "timeout" } else { "done" },
            "side": "rust",
            "unix_ns": s.done_ns,
            "first_unix_ns": s.first_ns,
            "group_tasks": s.distinct,
            "aggregated_tasks": s.aggregated,
            "duplicates": s.duplicates,
            "bad": s.bad,
        })
    };
    print_line(&report);
    wait_for_stdin_eof().await;
    server.shutdown().await;
    print_line(&json!({"event": "stopped", "side": "rust"}));
    Ok(())
}
