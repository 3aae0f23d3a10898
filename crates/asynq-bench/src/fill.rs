//! Set-up, not measured: `asynq-bench fill` puts N no-op tasks into one or more queues with
//! `Client::enqueue_batch`, in chunks, round-robin over the queues. `cargo xtask bench` fills the
//! queues of the drain workloads (W2, W4, W5) with it for both sides, so the Go and the Rust
//! worker drain the same messages.

use std::time::Instant;

use asynq_client::{Client, RedisConnOpt, Task, TaskOption};
use bytes::Bytes;
use serde_json::json;

/// Fills `queues` with `n` tasks of type `bench:noop` and a payload of `size` bytes.
pub async fn fill(
    redis: &str,
    n: usize,
    size: usize,
    queues: &[String],
    chunk: usize,
) -> Result<serde_json::Value, String> {
    let client = Client::connect(RedisConnOpt::parse_uri(redis).map_err(|e| e.to_string())?)
        .await
        .map_err(|e| format!("connecting to {redis}: {e}"))?;
    let payload = Bytes::from(vec![b'x'; size]);
    let start = Instant::now();
    let mut errors = 0;
    for (qi, queue) in queues.iter().enumerate() {
        // Queue qi gets the tasks i with i % len == qi.
        let count = n / queues.len() + usize::from(qi < n % queues.len());
        let opts = [TaskOption::queue(queue)];
        let mut left = count;
        while left > 0 {
            let k = left.min(chunk.max(1));
            let tasks: Vec<Task> = (0..k)
                .map(|_| Task::new("bench:noop", payload.clone()))
                .collect();
            errors += client
                .enqueue_batch(&tasks, &opts)
                .await
                .iter()
                .filter(|r| r.is_err())
                .count();
            left -= k;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let _ = client.close().await;
    if errors > 0 {
        return Err(format!("{errors} of {n} tasks could not be enqueued"));
    }
    Ok(json!({"workload": "fill", "side": "rust", "tasks": n, "seconds": seconds}))
}
