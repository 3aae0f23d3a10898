//! Redis becomes unreachable while a task runs: the completion write fails, the syncer keeps it,
//! and writes it once Redis is back, while the lease still holds (spec §6.5, §6.13).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asynq_broker::conn::RedisClientOpt;
use asynq_client::{Client, Task, TaskOption};
mod common;

use asynq_test_support::RedisNode;
use asynq_worker::{Config, RedisConnOpt, ServeMux, Server, TaskContext};
use common::wait_for;
use tokio::sync::Notify;

#[tokio::test]
async fn completion_that_failed_while_redis_was_down_is_written_by_the_syncer() {
    // Every write is on disk, so the restarted server has the task where it was.
    let mut node =
        RedisNode::start_with_args(&["--appendonly", "yes", "--appendfsync", "always"]).await;
    let opt: RedisConnOpt = RedisClientOpt::new(node.addr())
        .read_timeout(Duration::from_millis(300))
        .into();
    let client = Client::connect(opt.clone()).await.unwrap();
    client
        .enqueue(
            &Task::new("wait", "x"),
            &[TaskOption::TaskId("sync-1".into())],
        )
        .await
        .unwrap();

    let release = Arc::new(Notify::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let mut mux = ServeMux::new();
    let (r, n) = (release.clone(), runs.clone());
    mux.handle_fn("wait", move |_ctx: TaskContext, _task: Task| {
        let (r, n) = (r.clone(), n.clone());
        async move {
            n.fetch_add(1, Ordering::SeqCst);
            r.notified().await;
            Ok(())
        }
    })
    .unwrap();
    let config = Config {
        concurrency: 1,
        task_check_interval: Duration::from_millis(100),
        syncer_interval: Duration::from_millis(200),
        heartbeat_interval: Duration::from_secs(1),
        ..Config::default()
    };
    let server = Server::connect(opt, config).await.unwrap();
    server.start(mux).unwrap();
    wait_for("the task to start", Duration::from_secs(10), || async {
        server.running_tasks() == 1
    })
    .await;

    node.kill();
    release.notify_one();
    wait_for(
        "the failed write to reach the syncer",
        Duration::from_secs(10),
        || async { server.pending_writes() == 1 },
    )
    .await;
    assert_eq!(server.running_tasks(), 0);

    node.restart().await;
    let raw = node.raw().await;
    assert!(
        raw.exists("asynq:{default}:t:sync-1").await,
        "the task survived the restart"
    );
    wait_for(
        "the syncer did not write the completion",
        Duration::from_secs(10),
        || async { !raw.exists("asynq:{default}:t:sync-1").await },
    )
    .await;
    assert_eq!(server.pending_writes(), 0);
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the handler ran once");
    assert!(raw.lrange("asynq:{default}:active").await.is_empty());
    assert!(raw
        .zrange_withscores("asynq:{default}:lease")
        .await
        .is_empty());
    assert_eq!(
        raw.get("asynq:{default}:processed").await.as_deref(),
        Some(&b"1"[..])
    );
    assert_eq!(raw.get("asynq:{default}:failed").await, None);
    server.shutdown().await;
}

/// Shutdown with Redis gone and a task still running: every step that needs Redis gives up after
/// at most 1 s, so shutdown ends a few seconds after `shutdown_timeout` instead of waiting for
/// Redis command timeouts (6 s each with the default options).
#[tokio::test]
async fn shutdown_is_bounded_when_redis_is_unreachable() {
    let mut node = RedisNode::start().await;
    let opt = RedisConnOpt::parse_uri(&node.url()).unwrap();
    let client = Client::connect(opt.clone()).await.unwrap();
    client.enqueue(&Task::new("stuck", "x"), &[]).await.unwrap();
    let mut mux = ServeMux::new();
    mux.handle_fn("stuck", |_ctx: TaskContext, _task: Task| async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(())
    })
    .unwrap();
    let shutdown_timeout = Duration::from_secs(1);
    let config = Config {
        concurrency: 2,
        task_check_interval: Duration::from_millis(100),
        shutdown_timeout,
        ..Config::default()
    };
    let server = Server::connect(opt, config).await.unwrap();
    server.start(mux).unwrap();
    wait_for("the task to start", Duration::from_secs(10), || async {
        server.running_tasks() == 1
    })
    .await;

    node.kill();
    let t = std::time::Instant::now();
    server.shutdown().await;
    let took = t.elapsed();
    eprintln!("shutdown with Redis unreachable (shutdown timeout {shutdown_timeout:?}): {took:?}");
    assert!(took >= shutdown_timeout, "{took:?}");
    assert!(
        took < shutdown_timeout + Duration::from_millis(4500),
        "shutdown took {took:?}"
    );
    assert_eq!(server.running_tasks(), 0);
}
