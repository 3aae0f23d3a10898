//! A worker in a separate OS process: killed with SIGKILL in the middle of a task (a second
//! worker recovers the task once its lease has expired), and stopped with SIGTERM (the running
//! task is requeued and the process exits soon after the shutdown timeout).
//!
//! The worker process is this test binary itself, re-run with `--ignored --exact child_worker`
//! and the Redis URL in `ASYNQ_TEST_CHILD_REDIS`.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asynq_broker::{Broker, OffsetClock};
use asynq_client::{Client, Task, TaskOption};
use asynq_proto::decode_task_message;
mod common;

use asynq_test_support::{Raw, RedisNode};
use asynq_worker::{Config, RedisConnOpt, ServeMux, Server, TaskContext};
use common::wait_for;
use time::OffsetDateTime;

const CHILD_ENV: &str = "ASYNQ_TEST_CHILD_REDIS";
const CHILD_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);

/// The worker process of the tests below; does nothing unless started by them.
#[tokio::test]
#[ignore = "the worker process of the other tests in this file, started by them"]
async fn child_worker() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut mux = ServeMux::new();
    // Ignores its context, as a handler stuck in blocking work would.
    mux.handle_fn("slow", |_ctx: TaskContext, _task: Task| async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(())
    })
    .unwrap();
    let config = Config {
        concurrency: 1,
        shutdown_timeout: CHILD_SHUTDOWN_TIMEOUT,
        task_check_interval: Duration::from_millis(100),
        heartbeat_interval: Duration::from_secs(1),
        ..Config::default()
    };
    let server = Server::connect(RedisConnOpt::parse_uri(&url).unwrap(), config)
        .await
        .unwrap();
    server.run(mux).await.unwrap();
}

/// The worker process, killed if a test ends early.
struct ChildWorker(Option<Child>);

impl ChildWorker {
    fn pid(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }

    /// SIGKILLs the process and reaps it.
    fn kill(&mut self) {
        if let Some(mut c) = self.0.take() {
            c.kill().expect("SIGKILL the worker process");
            c.wait().unwrap();
        }
    }

    /// Waits for the process to exit.
    async fn wait(&mut self) -> std::process::ExitStatus {
        let mut c = self.0.take().expect("running");
        tokio::task::spawn_blocking(move || c.wait().unwrap())
            .await
            .unwrap()
    }
}

impl Drop for ChildWorker {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn spawn_child(url: &str) -> ChildWorker {
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "child_worker", "--nocapture"])
        .env(CHILD_ENV, url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the worker process");
    ChildWorker(Some(child))
}

async fn task_msg(raw: &Raw, id: &str) -> asynq_proto::TaskMessage {
    let bytes = raw
        .hget(&format!("asynq:{{default}}:t:{id}"), "msg")
        .await
        .expect("task hash");
    decode_task_message(&bytes).unwrap()
}

async fn state(raw: &Raw, id: &str) -> Option<String> {
    raw.hget(&format!("asynq:{{default}}:t:{id}"), "state")
        .await
        .map(|s| String::from_utf8(s).unwrap())
}

async fn wait_active(raw: &Raw, id: &str) {
    wait_for(
        "the worker process to start the task",
        Duration::from_secs(20),
        || async {
            raw.lrange("asynq:{default}:active")
                .await
                .contains(&id.to_string())
                && raw.zscore("asynq:{default}:lease", id).await.is_some()
        },
    )
    .await;
}

#[tokio::test]
async fn sigkilled_worker_task_is_recovered_after_its_lease_expires() {
    let node = RedisNode::start().await;
    let raw = node.raw().await;
    let opt = RedisConnOpt::parse_uri(&node.url()).unwrap();
    let client = Client::connect(opt.clone()).await.unwrap();
    client
        .enqueue(
            &Task::new("slow", "x"),
            &[
                TaskOption::TaskId("crash-1".into()),
                TaskOption::MaxRetry(3),
            ],
        )
        .await
        .unwrap();

    let mut child = spawn_child(&node.url());
    wait_active(&raw, "crash-1").await;
    child.kill();
    let lease_expiry = raw
        .zscore("asynq:{default}:lease", "crash-1")
        .await
        .expect("lease") as i64;

    // A second worker whose clock runs 30 s ahead: its recoverer's 30 s skew allowance then
    // ends when the lease really expires, so the test waits for the lease (at most 30 s) and no
    // longer.
    let broker = Broker::connect(opt.clone())
        .await
        .unwrap()
        .with_clock(Arc::new(OffsetClock::new(time::Duration::seconds(30))));
    let ran = Arc::new(AtomicUsize::new(0));
    let mut mux = ServeMux::new();
    let r = ran.clone();
    mux.handle_fn("slow", move |_ctx: TaskContext, _task: Task| {
        r.fetch_add(1, Ordering::SeqCst);
        async { Ok(()) }
    })
    .unwrap();
    let config = Config {
        recoverer_interval: Duration::from_millis(500),
        task_check_interval: Duration::from_millis(100),
        // Keep the recovered task in `retry` where the test reads it.
        delayed_task_check_interval: Duration::from_secs(3600),
        ..Config::default()
    };
    let server = Server::from_broker(broker, config).unwrap();
    server.start(mux).unwrap();

    // While the lease is still valid the task stays active.
    while OffsetDateTime::now_utc().unix_timestamp() < lease_expiry - 1 {
        assert_eq!(state(&raw, "crash-1").await.as_deref(), Some("active"));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    wait_for(
        "the recovery after the lease expired",
        Duration::from_secs(10),
        || async { state(&raw, "crash-1").await.as_deref() == Some("retry") },
    )
    .await;
    assert!(
        OffsetDateTime::now_utc().unix_timestamp() >= lease_expiry,
        "recovered before the lease expired"
    );
    let msg = task_msg(&raw, "crash-1").await;
    assert_eq!(msg.error_msg, "asynq: task lease expired");
    assert_eq!(msg.retried, 1);
    assert!(msg.last_failed_at > 0);
    assert!(raw.lrange("asynq:{default}:active").await.is_empty());
    assert!(raw
        .zrange_withscores("asynq:{default}:lease")
        .await
        .is_empty());
    assert_eq!(
        raw.zrange_withscores("asynq:{default}:retry").await.len(),
        1
    );
    for counter in ["processed", "failed"] {
        let v = raw.get(&format!("asynq:{{default}}:{counter}")).await;
        assert_eq!(v.as_deref(), Some(&b"1"[..]), "{counter}");
    }
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "the task is retried later, not now"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn sigterm_requeues_the_running_task_and_exits_after_the_shutdown_timeout() {
    let node = RedisNode::start().await;
    let raw = node.raw().await;
    let opt = RedisConnOpt::parse_uri(&node.url()).unwrap();
    let client = Client::connect(opt).await.unwrap();
    client
        .enqueue(
            &Task::new("slow", "x"),
            &[TaskOption::TaskId("term-1".into())],
        )
        .await
        .unwrap();
    let mut child = spawn_child(&node.url());
    wait_active(&raw, "term-1").await;
    // Two more tasks arrive while term-1 runs (concurrency 1: they wait in pending).
    for id in ["a", "b"] {
        client
            .enqueue(&Task::new("slow", "y"), &[TaskOption::TaskId(id.into())])
            .await
            .unwrap();
    }
    wait_for("the server entry", Duration::from_secs(5), || async {
        raw.zrange_withscores("asynq:servers").await.len() == 1
    })
    .await;
    assert_eq!(raw.lrange("asynq:{default}:pending").await, ["b", "a"]);

    let pid = child.pid().to_string();
    let sent = Instant::now();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().await;
    let took = sent.elapsed();
    eprintln!("SIGTERM to exit with one task in flight (shutdown timeout {CHILD_SHUTDOWN_TIMEOUT:?}): {took:?}");
    assert!(exit.success(), "worker exit status {exit:?}");
    assert!(took >= CHILD_SHUTDOWN_TIMEOUT, "{took:?}");
    assert!(
        took < CHILD_SHUTDOWN_TIMEOUT + Duration::from_secs(1),
        "shutdown took {took:?}"
    );

    // term-1 is back in pending at the right end (dequeued next), without `pending_since` and
    // with its retry count unchanged; the server entry is gone.
    let pending = raw.lrange("asynq:{default}:pending").await;
    assert_eq!(
        pending.last().map(String::as_str),
        Some("term-1"),
        "{pending:?}"
    );
    assert_eq!(state(&raw, "term-1").await.as_deref(), Some("pending"));
    let hash = raw.hgetall("asynq:{default}:t:term-1").await;
    assert!(!hash.contains_key("pending_since"), "{:?}", hash.keys());
    assert_eq!(task_msg(&raw, "term-1").await.retried, 0);
    assert!(raw.lrange("asynq:{default}:active").await.is_empty());
    assert!(raw
        .zrange_withscores("asynq:{default}:lease")
        .await
        .is_empty());
    assert!(raw.zrange_withscores("asynq:servers").await.is_empty());
    assert!(raw.zrange_withscores("asynq:workers").await.is_empty());
    assert!(raw.keys("asynq:servers:*").await.is_empty());
    assert!(raw.keys("asynq:workers:*").await.is_empty());
}
