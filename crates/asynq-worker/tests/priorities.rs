//! Queue priorities of a running server against a real Redis (spec §6.2): weighted shares and
//! strict order.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynq_client::{Task, TaskOption};
use asynq_worker::{handler_fn, Config, Server};
use common::{fast_config, wait_for, Env};

/// Enqueues `n` small tasks into `queue` with one pipeline.
async fn fill(env: &Env, queue: &str, n: usize) {
    let tasks: Vec<Task> = (0..n).map(|i| Task::new("t", format!("{i}"))).collect();
    for r in env
        .client
        .enqueue_batch(&tasks, &[TaskOption::queue(queue)])
        .await
    {
        r.unwrap();
    }
    assert_eq!(env.list(queue, "pending").await.len(), n);
}

/// Starts a concurrency-1 server on `queues` whose handler records the queue of every task it
/// processes, in order.
async fn recording_server(
    env: &Env,
    queues: &[(&str, i32)],
    strict: bool,
) -> (Server, Arc<Mutex<Vec<String>>>) {
    let order: Arc<Mutex<Vec<String>>> = Arc::default();
    let o = order.clone();
    let config = Config {
        concurrency: 1,
        queues: queues.iter().map(|&(q, p)| (q.to_string(), p)).collect(),
        strict_priority: strict,
        ..fast_config()
    };
    let server = env.server(config).await;
    server
        .start(handler_fn(move |ctx, _t| {
            let o = o.clone();
            async move {
                o.lock().unwrap().push(ctx.queue().to_string());
                Ok(())
            }
        }))
        .unwrap();
    (server, order)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weighted_priority_shares_follow_the_weights() {
    const SAMPLE: usize = 1000;
    let env = Env::start().await;
    // Enough tasks that no queue runs dry within the sample (expected 600/300/100).
    fill(&env, "critical", 750).await;
    fill(&env, "default", 420).await;
    fill(&env, "low", 200).await;
    let (server, order) =
        recording_server(&env, &[("critical", 6), ("default", 3), ("low", 1)], false).await;
    wait_for("1000 processed tasks", Duration::from_secs(120), || async {
        order.lock().unwrap().len() >= SAMPLE
    })
    .await;
    server.stop();
    let sample: Vec<String> = order.lock().unwrap()[..SAMPLE].to_vec();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for q in &sample {
        *counts.entry(q.as_str()).or_default() += 1;
    }
    let share = |q: &str| counts.get(q).copied().unwrap_or(0) as f64 / SAMPLE as f64;
    for (q, want) in [("critical", 0.6), ("default", 0.3), ("low", 0.1)] {
        assert!(
            (share(q) - want).abs() <= 0.05,
            "share of {q}: {:.3}, want {want} ± 0.05 (counts {counts:?})",
            share(q)
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_priority_empties_higher_queues_first() {
    const N: usize = 30;
    let env = Env::start().await;
    fill(&env, "low", N).await;
    fill(&env, "default", N).await;
    fill(&env, "critical", N).await;
    let (server, order) =
        recording_server(&env, &[("critical", 3), ("default", 2), ("low", 1)], true).await;
    wait_for("every task processed", Duration::from_secs(30), || async {
        order.lock().unwrap().len() == 3 * N
    })
    .await;
    let got = order.lock().unwrap().clone();
    let mut want = vec!["critical".to_string(); N];
    want.extend(vec!["default".to_string(); N]);
    want.extend(vec!["low".to_string(); N]);
    assert_eq!(got, want);
    for q in ["critical", "default", "low"] {
        assert_eq!(env.int(&format!("asynq:{{{q}}}:processed")).await, N as i64);
        assert!(env.list(q, "pending").await.is_empty());
    }
    server.shutdown().await;
}
