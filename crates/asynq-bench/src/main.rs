//! `asynq-bench`: runs one benchmark workload (or one process of a workload) of the Rust crates
//! against a given Redis and prints JSON lines in the same shape as the Go program
//! `interop/gobench`. `cargo xtask bench` runs both sides in the same run and prints the ratios.
//!
//! Workloads: `enqueue` (W1), `fill` (set-up of W2/W4/W5), `worker` (the measured process of W2,
//! W4 and W5, watched from outside), `pickup-produce` and `pickup-worker` (W3),
//! `aggregate-fill` (set-up of W6) and `aggregate-worker` (W6 aggregation).

mod aggregate;
mod common;
mod fill;
mod pickup;
mod worker;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asynq_client::{Client, RedisConnOpt, Task, TaskOption};
use bytes::Bytes;
use clap::{Parser, Subcommand};
use common::{parse_queues, print_line, queue_names};
use serde::Serialize;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    workload: Workload,
}

#[derive(Subcommand)]
enum Workload {
    /// W1: enqueue N tasks of SIZE bytes from C concurrent producers sharing one client, or in
    /// one `enqueue_batch` call with --batch.
    Enqueue {
        /// Redis URI.
        #[arg(long, default_value = "redis://127.0.0.1:6379")]
        redis: String,
        /// Number of tasks.
        #[arg(long, default_value_t = 20_000)]
        n: usize,
        /// Payload size in bytes.
        #[arg(long, default_value_t = 128)]
        size: usize,
        /// Concurrent producers.
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        /// Queue name.
        #[arg(long, default_value = "default")]
        queue: String,
        /// Use one `enqueue_batch` call for all tasks.
        #[arg(long)]
        batch: bool,
    },
    /// Set-up of the drain workloads (not measured): N no-op tasks of SIZE bytes, round-robin
    /// over QUEUES, with `enqueue_batch` in chunks.
    Fill {
        /// Redis URI.
        #[arg(long, default_value = "redis://127.0.0.1:6379")]
        redis: String,
        /// Number of tasks.
        #[arg(long, default_value_t = 20_000)]
        n: usize,
        /// Payload size in bytes.
        #[arg(long, default_value_t = 0)]
        size: usize,
        /// Comma-separated queue names.
        #[arg(long, default_value = "default")]
        queues: String,
        /// Tasks per `enqueue_batch` call.
        #[arg(long, default_value_t = 5_000)]
        chunk: usize,
    },
    /// W2/W4/W5 worker process: a server with a no-op handler on QUEUES until standard input is
    /// closed; prints a `started` line (Unix ns just before `start`) and a `stopped` line.
    Worker {
        /// Redis URI.
        #[arg(long, default_value = "redis://127.0.0.1:6379")]
        redis: String,
        /// Queues with priorities: `critical:6,default:3,low:1`.
        #[arg(long, default_value = "default:1")]
        queues: String,
        /// `Config::concurrency`; the default configuration's when absent.
        #[arg(long)]
        concurrency: Option<usize>,
    },
    /// W3 producer: N tasks at RATE per second, round-robin over QUEUES, each carrying its
    /// enqueue time (Unix ns, decimal ASCII).
    PickupProduce {
        /// Redis URI.
        #[arg(long, default_value = "redis://127.0.0.1:6379")]
        redis: String,
        /// Number of tasks.
        #[arg(long, default_value_t = 2_000)]
        n: usize,
        /// Tasks per second.
        #[arg(long, default_value_t = 500.0)]
        rate: f64,
        /// Comma-separated queue names.
        #[arg(long, default_value = "critical,default,low")]
        queues: String,
    },
    /// W3 worker: default configuration on QUEUES; records enqueue-to-handler latency of N
    /// tasks, then prints p50/p99/max.
    PickupWorker {
        /// Redis URI.
        #[arg(long, default_value = "redis://127.0.0.1:6379")]
        redis: String,
        /// Number of tasks to wait for.
        #[arg(long, default_value_t = 2_000)]
        n: usize,
        /// Queues with priorities.
        #[arg(long, default_value = "critical:6,default:3,low:1")]
        queues: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 120)]
        timeout_secs: u64,
    },
    /// Set-up of W6 (not measured): N tasks over GROUPS groups of QUEUE (task i into group
    /// i % GROUPS), from C concurrent producers (`enqueue_batch` refuses group tasks).
    AggregateFill {
        /// Redis URI.
        #[arg(long, default_value = "redis://127.0.0.1:6379")]
        redis: String,
        /// Number of group tasks.
        #[arg(long, default_value_t = 20_000)]
        n: usize,
        /// Number of groups.
        #[arg(long, default_value_t = 200)]
        groups: usize,
        /// Queue name.
        #[arg(long, default_value = "default")]
        queue: String,
        /// Concurrent producers sharing one client.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
    /// W6 worker: a server with a concatenating group aggregator on QUEUE until all N group
    /// tasks have been processed inside aggregated tasks (prints `done`), then until standard
    /// input is closed.
    AggregateWorker {
        /// Redis URI.
        #[arg(long, default_value = "redis://127.0.0.1:6379")]
        redis: String,
        /// Number of group tasks to wait for.
        #[arg(long, default_value_t = 20_000)]
        n: usize,
        /// Queue name.
        #[arg(long, default_value = "default")]
        queue: String,
        /// `Config::concurrency`.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// `Config::group_grace_period` in seconds.
        #[arg(long, default_value_t = 1)]
        grace_secs: u64,
        /// `Config::group_max_size`.
        #[arg(long, default_value_t = 100)]
        max_size: usize,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 300)]
        timeout_secs: u64,
    },
}

/// One measurement, printed as JSON.
#[derive(Serialize)]
struct EnqueueResult {
    workload: &'static str,
    side: &'static str,
    tasks: usize,
    concurrency: usize,
    seconds: f64,
    tasks_per_sec: f64,
    p50_us: f64,
    p99_us: f64,
    errors: usize,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Cli::parse().workload {
        Workload::Enqueue {
            redis,
            n,
            size,
            concurrency,
            queue,
            batch,
        } => {
            let client = Client::connect(RedisConnOpt::parse_uri(&redis)?).await?;
            let payload = Bytes::from(vec![b'x'; size]);
            client
                .enqueue(
                    &Task::new("bench:warmup", payload.clone()),
                    &[TaskOption::queue(format!("{queue}-warmup"))],
                )
                .await?;
            let result = if batch {
                enqueue_batch(&client, n, payload, &queue).await
            } else {
                enqueue(&client, n, payload, concurrency.max(1), &queue).await
            };
            println!("{}", serde_json::to_string(&result)?);
        }
        Workload::Fill {
            redis,
            n,
            size,
            queues,
            chunk,
        } => print_line(&fill::fill(&redis, n, size, &queue_names(&queues), chunk).await?),
        Workload::Worker {
            redis,
            queues,
            concurrency,
        } => worker::worker(&redis, parse_queues(&queues)?, concurrency).await?,
        Workload::PickupProduce {
            redis,
            n,
            rate,
            queues,
        } => print_line(&pickup::produce(&redis, n, rate, &queue_names(&queues)).await?),
        Workload::PickupWorker {
            redis,
            n,
            queues,
            timeout_secs,
        } => print_line(
            &pickup::worker(
                &redis,
                parse_queues(&queues)?,
                n.max(1),
                Duration::from_secs(timeout_secs),
            )
            .await?,
        ),
        Workload::AggregateFill {
            redis,
            n,
            groups,
            queue,
            concurrency,
        } => print_line(&aggregate::fill(&redis, n, groups, &queue, concurrency).await?),
        Workload::AggregateWorker {
            redis,
            n,
            queue,
            concurrency,
            grace_secs,
            max_size,
            timeout_secs,
        } => {
            aggregate::worker(
                &redis,
                aggregate::WorkerArgs {
                    n,
                    queue,
                    concurrency,
                    grace: Duration::from_secs(grace_secs),
                    max_size,
                    timeout: Duration::from_secs(timeout_secs),
                },
            )
            .await?
        }
    }
    Ok(())
}

async fn enqueue(
    client: &Client,
    n: usize,
    payload: Bytes,
    concurrency: usize,
    queue: &str,
) -> EnqueueResult {
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, next, errors, payload) = (
                client.clone(),
                next.clone(),
                errors.clone(),
                payload.clone(),
            );
            let opts = [TaskOption::queue(queue)];
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(n / concurrency + 1);
                while next.fetch_add(1, Ordering::Relaxed) < n {
                    let t0 = Instant::now();
                    if client
                        .enqueue(&Task::new("bench:noop", payload.clone()), &opts)
                        .await
                        .is_err()
                    {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    lat.push(t0.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut lat = Vec::with_capacity(n);
    for w in workers {
        lat.extend(w.await.unwrap_or_default());
    }
    let elapsed = start.elapsed();
    summary(
        lat,
        elapsed,
        n,
        concurrency,
        errors.load(Ordering::Relaxed),
        "enqueue",
    )
}

async fn enqueue_batch(client: &Client, n: usize, payload: Bytes, queue: &str) -> EnqueueResult {
    let tasks: Vec<Task> = (0..n)
        .map(|_| Task::new("bench:noop", payload.clone()))
        .collect();
    let start = Instant::now();
    let results = client
        .enqueue_batch(&tasks, &[TaskOption::queue(queue)])
        .await;
    let elapsed = start.elapsed();
    let errors = results.iter().filter(|r| r.is_err()).count();
    summary(vec![elapsed], elapsed, n, 1, errors, "enqueue_batch")
}

fn summary(
    mut lat: Vec<Duration>,
    elapsed: Duration,
    n: usize,
    concurrency: usize,
    errors: usize,
    workload: &'static str,
) -> EnqueueResult {
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len().saturating_sub(1)) as f64 * p) as usize)
            .map(|d| d.as_secs_f64() * 1e6)
            .unwrap_or_default()
    };
    EnqueueResult {
        workload,
        side: "rust",
        tasks: n,
        concurrency,
        seconds: elapsed.as_secs_f64(),
        tasks_per_sec: n as f64 / elapsed.as_secs_f64(),
        p50_us: pct(0.5),
        p99_us: pct(0.99),
        errors,
    }
}
