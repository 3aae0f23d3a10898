//! W2 drain: how fast a worker `Server` empties a queue of no-op tasks, measured as in the Go
//! program `interop/gobench` (`gobench drain`): N tasks are enqueued first (not timed), then the
//! clock runs from just before `Server::start` until the queue's all-time processed counter
//! (`asynq:{<queue>}:processed`) has grown by N, polled every 2 ms.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use asynq_client::{Client, RedisConnOpt, Task, TaskOption};
use asynq_worker::{handler_fn, Broker, Config, Server, TaskContext};
use bytes::Bytes;
use serde::Serialize;

/// One drain measurement, printed as JSON; the same fields as Go's `drainResult`.
#[derive(Serialize)]
pub struct DrainResult {
    workload: &'static str,
    side: &'static str,
    tasks: usize,
    concurrency: usize,
    size: usize,
    seconds: f64,
    tasks_per_sec: f64,
    errors: usize,
}

/// The parameters of one drain run (the flags of `asynq-bench drain`).
pub struct DrainArgs {
    pub redis: String,
    pub n: usize,
    pub size: usize,
    pub concurrency: usize,
    pub queue: String,
    pub timeout: Duration,
}

/// Reads the processed counter of one queue with a connection of its own, outside the worker.
struct ProcessedCounter {
    broker: Broker,
    queue: String,
}

impl ProcessedCounter {
    async fn connect(redis: &str, queue: &str) -> Result<ProcessedCounter, String> {
        let opt = RedisConnOpt::parse_uri(redis).map_err(|e| format!("{redis}: {e}"))?;
        let broker = Broker::connect(opt)
            .await
            .map_err(|e| format!("connecting to {redis}: {e}"))?;
        Ok(ProcessedCounter {
            broker,
            queue: queue.to_string(),
        })
    }

    /// `GET asynq:{<queue>}:processed`; 0 while the key does not exist.
    async fn get(&self) -> Result<i64, String> {
        self.broker
            .total_counts(&self.queue)
            .await
            .map(|(processed, _)| processed)
            .map_err(|e| format!("reading the processed count of {}: {e}", self.queue))
    }

    async fn close(self) {
        let _ = self.broker.close().await;
    }
}

/// Runs one drain and returns its measurement.
pub async fn drain(args: DrainArgs) -> Result<DrainResult, String> {
    let opt = RedisConnOpt::parse_uri(&args.redis).map_err(|e| e.to_string())?;
    let counter = ProcessedCounter::connect(&args.redis, &args.queue).await?;
    let before = counter.get().await?;

    let client = Client::connect(opt.clone())
        .await
        .map_err(|e| e.to_string())?;
    let payload = Bytes::from(vec![b'x'; args.size]);
    let tasks: Vec<Task> = (0..args.n)
        .map(|_| Task::new("bench:noop", payload.clone()))
        .collect();
    let errors = client
        .enqueue_batch(&tasks, &[TaskOption::queue(&args.queue)])
        .await
        .iter()
        .filter(|r| r.is_err())
        .count();
    drop(tasks);
    let _ = client.close().await;
    let target = before + (args.n - errors) as i64;

    let server = Server::connect(
        opt,
        Config {
            concurrency: args.concurrency,
            queues: HashMap::from([(args.queue.clone(), 1)]),
            ..Config::default()
        },
    )
    .await
    .map_err(|e| format!("creating the server: {e}"))?;
    let noop = handler_fn(|_: TaskContext, _: Task| async { Ok(()) });
    let start = Instant::now();
    server
        .start(noop)
        .map_err(|e| format!("starting the server: {e}"))?;
    let period = Duration::from_millis(2);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let done = counter.get().await?;
        if done >= target {
            break;
        }
        if start.elapsed() > args.timeout {
            return Err(format!(
                "processed {} of {} tasks in {:?}",
                done - before,
                target - before,
                args.timeout
            ));
        }
        tick.tick().await;
    }
    let elapsed = start.elapsed();
    server.shutdown().await;
    counter.close().await;

    Ok(DrainResult {
        workload: "drain",
        side: "rust",
        tasks: args.n,
        concurrency: args.concurrency,
        size: args.size,
        seconds: elapsed.as_secs_f64(),
        tasks_per_sec: (target - before) as f64 / elapsed.as_secs_f64(),
        errors,
    })
}
