//! A first end-to-end run: the Rust client enqueues, the server processes, Redis shows Go's
//! traces.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod common;

use asynq_client::{Client, Task};
use asynq_test_support::RedisNode;
use asynq_worker::{Config, RedisConnOpt, ServeMux, Server, ServerState, TaskContext};
use common::wait_for;

#[tokio::test]
async fn processes_enqueued_tasks_and_shuts_down() {
    let node = RedisNode::start().await;
    let raw = node.raw().await;
    let opt = RedisConnOpt::parse_uri(&node.url()).unwrap();
    let client = Client::connect(opt.clone()).await.unwrap();
    for i in 0..50 {
        client
            .enqueue(&Task::new("job", format!("{i}")), &[])
            .await
            .unwrap();
    }
    let seen = Arc::new(AtomicUsize::new(0));
    let mut mux = ServeMux::new();
    let s = seen.clone();
    mux.handle_fn("job", move |_ctx: TaskContext, _task: Task| {
        let s = s.clone();
        async move {
            s.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    })
    .unwrap();
    let server = Server::connect(
        opt,
        Config {
            concurrency: 4,
            ..Config::default()
        },
    )
    .await
    .unwrap();
    server.start(mux).unwrap();
    assert_eq!(server.state(), ServerState::Active);
    wait_for("50 handler calls", Duration::from_secs(10), || async {
        seen.load(Ordering::SeqCst) == 50
    })
    .await;
    // The counter is written after the handler returns.
    wait_for("processed = 50", Duration::from_secs(5), || async {
        raw.get("asynq:{default}:processed").await.as_deref() == Some(&b"50"[..])
    })
    .await;
    assert_eq!(seen.load(Ordering::SeqCst), 50);
    assert_eq!(raw.zrange_withscores("asynq:servers").await.len(), 1);
    let t = std::time::Instant::now();
    server.shutdown().await;
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(raw.zrange_withscores("asynq:servers").await.is_empty());
    assert_eq!(server.state(), ServerState::Closed);
}

/// The same on a 3-master Redis Cluster, with three queues (each in its own hash slot) and a
/// retried task, which the forwarder brings back.
#[tokio::test]
async fn processes_tasks_of_several_queues_on_a_cluster() {
    use asynq_broker::conn::RedisClusterClientOpt;
    use asynq_client::TaskOption;
    use asynq_test_support::RedisCluster;

    let cluster = RedisCluster::start(3, 0).await;
    let raw = cluster.raw().await;
    let opt: RedisConnOpt = RedisClusterClientOpt::new(cluster.addrs()).into();
    let client = Client::connect(opt.clone()).await.unwrap();
    let queues = ["critical", "default", "low"];
    for (i, q) in queues.iter().cycle().take(30).enumerate() {
        client
            .enqueue(
                &Task::new("job", format!("{i}")),
                &[TaskOption::Queue(q.to_string())],
            )
            .await
            .unwrap();
    }
    client
        .enqueue(
            &Task::new("flaky", "x"),
            &[TaskOption::TaskId("flaky-1".into())],
        )
        .await
        .unwrap();

    let seen = Arc::new(AtomicUsize::new(0));
    let mut mux = ServeMux::new();
    let s = seen.clone();
    mux.handle_fn("job", move |_ctx: TaskContext, _task: Task| {
        let s = s.clone();
        async move {
            s.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    })
    .unwrap();
    let flaky_runs = Arc::new(AtomicUsize::new(0));
    let f = flaky_runs.clone();
    mux.handle_fn("flaky", move |ctx: TaskContext, _task: Task| {
        let f = f.clone();
        async move {
            f.fetch_add(1, Ordering::SeqCst);
            if ctx.retry_count() == 0 {
                Err(asynq_worker::HandlerError::new("first try fails"))
            } else {
                Ok(())
            }
        }
    })
    .unwrap();
    let config = Config {
        concurrency: 4,
        queues: queues.iter().map(|q| (q.to_string(), 1)).collect(),
        task_check_interval: Duration::from_millis(100),
        delayed_task_check_interval: Duration::from_millis(200),
        ..Config::default()
    }
    .with_retry_delay_func(|_, _, _| Duration::ZERO);
    let server = Server::connect(opt, config).await.unwrap();
    server.start(mux).unwrap();
    wait_for("all handler calls", Duration::from_secs(10), || async {
        seen.load(Ordering::SeqCst) == 30 && flaky_runs.load(Ordering::SeqCst) == 2
    })
    .await;
    assert_eq!(seen.load(Ordering::SeqCst), 30);
    assert_eq!(flaky_runs.load(Ordering::SeqCst), 2);
    server.shutdown().await;
    for q in queues {
        let processed = raw.get(&format!("asynq:{{{q}}}:processed")).await;
        // default: 10 jobs plus both attempts of flaky-1 (a failed attempt counts as processed too).
        let want: &[u8] = if q == "default" { b"12" } else { b"10" };
        assert_eq!(processed.as_deref(), Some(want), "{q}");
    }
    assert_eq!(
        raw.get("asynq:{default}:failed").await.as_deref(),
        Some(&b"1"[..])
    );
    assert!(!raw.exists("asynq:{default}:t:flaky-1").await);
    assert!(raw.zrange_withscores("asynq:servers").await.is_empty());
}
