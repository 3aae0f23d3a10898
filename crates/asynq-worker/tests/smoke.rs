//! A first end-to-end run: the Rust client enqueues, the server processes, Redis shows Go's
//! traces.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asynq_client::{Client, Task};
use asynq_test_support::RedisNode;
use asynq_worker::{Config, RedisConnOpt, ServeMux, Server, ServerState, TaskContext};

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
    for _ in 0..200 {
        if seen.load(Ordering::SeqCst) == 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen.load(Ordering::SeqCst), 50);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let processed = raw.get("asynq:{default}:processed").await.unwrap();
    assert_eq!(String::from_utf8(processed).unwrap(), "50");
    assert_eq!(raw.zrange_withscores("asynq:servers").await.len(), 1);
    let t = std::time::Instant::now();
    server.shutdown().await;
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(raw.zrange_withscores("asynq:servers").await.is_empty());
    assert_eq!(server.state(), ServerState::Closed);
}
