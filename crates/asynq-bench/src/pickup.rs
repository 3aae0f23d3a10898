//! W3 pickup latency: how long a task waits between its enqueue and the start of its handler
//! on a worker that was idle.
//!
//! * `asynq-bench pickup-produce`: enqueues N tasks at a fixed rate, round-robin over the given
//!   queues; each payload is the enqueue time in Unix nanoseconds as decimal ASCII, read just
//!   before `Client::enqueue`.
//! * `asynq-bench pickup-worker`: a `Server` with `Config::default()` apart from the queues; the
//!   handler records now − the payload's time on entry. It prints a `started` line, and once N
//!   tasks have been handled it shuts down and prints p50/p99/max in milliseconds.
//!
//! The Go program's `pickup-produce` and `pickup-worker` do the same, so any producer can be
//! paired with any worker (both on the same machine clock).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asynq_client::{Client, RedisConnOpt, Task, TaskOption};
use asynq_worker::{handler_fn, Config, Server, TaskContext};
use serde_json::json;
use tokio::sync::Notify;

use crate::common::{print_line, unix_ns};

/// Enqueues `n` tasks at `rate` per second, task i to `queues[i % len]`.
pub async fn produce(
    redis: &str,
    n: usize,
    rate: f64,
    queues: &[String],
) -> Result<serde_json::Value, String> {
    let client = Client::connect(RedisConnOpt::parse_uri(redis).map_err(|e| e.to_string())?)
        .await
        .map_err(|e| format!("connecting to {redis}: {e}"))?;
    // Warm up the connection and the script cache on a queue no worker serves.
    client
        .enqueue(
            &Task::new("bench:warmup", "0"),
            &[TaskOption::queue("bench-warmup")],
        )
        .await
        .map_err(|e| format!("warm-up enqueue: {e}"))?;
    let opts: Vec<[TaskOption; 1]> = queues.iter().map(|q| [TaskOption::queue(q)]).collect();
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = tokio::time::Instant::now();
    let mut errors = 0;
    for i in 0..n {
        tokio::time::sleep_until(start + interval * i as u32).await;
        let task = Task::new("bench:pickup", unix_ns().to_string());
        if client.enqueue(&task, &opts[i % opts.len()]).await.is_err() {
            errors += 1;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let _ = client.close().await;
    Ok(json!({
        "workload": "pickup-produce", "side": "rust", "tasks": n,
        "seconds": seconds, "errors": errors,
    }))
}

/// Serves `queues` until `n` tasks have been handled (or `timeout` has passed), then reports
/// the pickup latencies.
pub async fn worker(
    redis: &str,
    queues: HashMap<String, i32>,
    n: usize,
    timeout: Duration,
) -> Result<serde_json::Value, String> {
    let opt = RedisConnOpt::parse_uri(redis).map_err(|e| e.to_string())?;
    let server = Server::connect(
        opt,
        Config {
            queues,
            ..Config::default()
        },
    )
    .await
    .map_err(|e| format!("creating the server: {e}"))?;
    let latencies = Arc::new(Mutex::new(Vec::<i64>::with_capacity(n)));
    let bad = Arc::new(Mutex::new(0usize));
    let all_in = Arc::new(Notify::new());
    let handler = {
        let (latencies, bad, all_in) = (latencies.clone(), bad.clone(), all_in.clone());
        handler_fn(move |_: TaskContext, task: Task| {
            let now = unix_ns();
            let sent = std::str::from_utf8(task.payload())
                .ok()
                .and_then(|s| s.parse::<i64>().ok());
            match sent {
                Some(sent) => {
                    let mut l = latencies.lock().unwrap_or_else(|e| e.into_inner());
                    l.push(now - sent);
                    if l.len() == n {
                        all_in.notify_one();
                    }
                }
                None => *bad.lock().unwrap_or_else(|e| e.into_inner()) += 1,
            }
            async { Ok(()) }
        })
    };
    let started = unix_ns();
    server
        .start(handler)
        .map_err(|e| format!("starting the server: {e}"))?;
    print_line(&json!({"event": "started", "side": "rust", "unix_ns": started}));
    let t0 = Instant::now();
    let timed_out = tokio::time::timeout(timeout, all_in.notified())
        .await
        .is_err();
    let waited = t0.elapsed();
    server.shutdown().await;
    let mut l = latencies.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if timed_out {
        return Err(format!("{} of {n} tasks handled in {waited:?}", l.len()));
    }
    l.sort_unstable();
    let pct = |p: f64| l[((l.len() - 1) as f64 * p) as usize] as f64 / 1e6;
    let bad = *bad.lock().unwrap_or_else(|e| e.into_inner());
    Ok(json!({
        "workload": "pickup", "side": "rust", "tasks": n,
        "p50_ms": pct(0.5), "p99_ms": pct(0.99), "max_ms": pct(1.0),
        "mean_ms": l.iter().sum::<i64>() as f64 / l.len() as f64 / 1e6,
        "bad_payloads": bad,
    }))
}
