//! Task and server life cycle between the Rust worker (`asynq_worker::Server`) and Go
//! hibiken/asynq v0.26.0 (wire-protocol.md §8.1 T07–T08, §8.2 T27–T31, §8.3 T32–T33): unique
//! locks released on success only and only by their owner, pause / unpause, the requeue of a
//! running task on shutdown and the order it is dequeued in afterwards, the expiry of a killed
//! server's entry, queue priorities, and the forwarder. Every test starts its own Redis and
//! checks the raw Redis state and what the other side (Go Inspector, Go server log, Rust
//! handler record) reports.
//!
//! T29 runs the Rust server in a separate process: this test binary re-run with
//! `--ignored --exact t29_child_server` and the Redis URL in `ASYNQ_LIFECYCLE_CHILD_REDIS`.

mod common;

use common::{wait_for, ChildProcess, Env};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asynq_client::{RedisConnOpt, Task, TaskOption};
use asynq_interop::{GoBehaviour, GoOptions, GoServeOptions, GoTask, GoTaskInfo};
use asynq_proto::TaskMessage;
use asynq_test_support::Raw;
use asynq_worker::{handler_fn, Config, Handler, HandlerError, Server, TaskContext};
use md5::{Digest, Md5};
use time::OffsetDateTime;

/// One hour: the unique TTL, retention and fixed retry delay of these tests.
const HOUR: Duration = Duration::from_secs(3600);

/// The environment variable that makes [`t29_child_server`] run a server.
const CHILD_ENV: &str = "ASYNQ_LIFECYCLE_CHILD_REDIS";

// ---------------------------------------------------------------------------
// Environment.

impl Env {
    /// The fields of `asynq:{q}:t:<id>` (empty when the hash is missing).
    async fn hash(&self, q: &str, id: &str) -> BTreeMap<String, Vec<u8>> {
        self.raw.hgetall(&task_key(q, id)).await
    }

    /// The `state` field of the task hash.
    async fn state(&self, q: &str, id: &str) -> Option<String> {
        self.raw
            .hget(&task_key(q, id), "state")
            .await
            .map(|s| String::from_utf8(s).expect("UTF-8 state"))
    }

    /// The decoded `msg` field of the task hash.
    async fn msg(&self, q: &str, id: &str) -> TaskMessage {
        let bytes = self
            .raw
            .hget(&task_key(q, id), "msg")
            .await
            .unwrap_or_else(|| panic!("{q}/{id} has no msg"));
        asynq_proto::decode_task_message(&bytes).expect("msg decodes")
    }

    /// Waits until the task's `state` field is `want`.
    async fn wait_state(&self, q: &str, id: &str, want: &str, limit: Duration) {
        wait_for(limit, &format!("{q}/{id} in state {want}"), || async {
            (self.state(q, id).await.as_deref() == Some(want)).then_some(())
        })
        .await;
    }

    /// Waits until the task hash is gone.
    async fn wait_gone(&self, q: &str, id: &str, limit: Duration) {
        wait_for(limit, &format!("{q}/{id} deleted"), || async {
            (!self.raw.exists(&task_key(q, id)).await).then_some(())
        })
        .await;
    }

    /// A string key as an integer, 0 when missing.
    async fn int(&self, key: &str) -> i64 {
        self.raw.get(key).await.map_or(0, |v| {
            String::from_utf8(v)
                .expect("UTF-8 value")
                .parse()
                .unwrap_or_else(|e| panic!("{key} is not an integer: {e}"))
        })
    }

    /// The unique lock's owner (`GET`), `None` when the key is missing.
    async fn lock_owner(&self, key: &str) -> Option<String> {
        self.raw
            .get(key)
            .await
            .map(|v| String::from_utf8(v).expect("UTF-8 lock value"))
    }

    /// Go `Inspector.GetTaskInfo`, panicking on any error.
    async fn go_info(&self, q: &str, id: &str) -> GoTaskInfo {
        self.go
            .task_info(q, id)
            .await
            .unwrap_or_else(|e| panic!("Go GetTaskInfo({q}, {id}): {e}"))
    }

    /// Go `Inspector.RunTask(q, id)` (the `run-task` subcommand).
    async fn go_run_task(&self, q: &str, id: &str) {
        let out = self
            .go
            .run("run-task", &["--queue", q, "--id", id], None)
            .await;
        assert_eq!(out, serde_json::json!({"ok": true}), "run-task {q} {id}");
    }

    /// Go `Client.Enqueue` of each task, all expected to succeed; returns the IDs.
    async fn go_enqueue_all(&self, tasks: &[GoTask]) -> Vec<String> {
        self.go
            .enqueue(tasks)
            .await
            .into_iter()
            .map(|r| r.expect("Go enqueue").id)
            .collect()
    }
}

fn task_key(q: &str, id: &str) -> String {
    format!("asynq:{{{q}}}:t:{id}")
}

/// `asynq:{q}:unique:<type>:<md5(payload) hex>`.
fn unique_key(q: &str, task_type: &str, payload: &[u8]) -> String {
    format!(
        "asynq:{{{q}}}:unique:{task_type}:{}",
        hex::encode(Md5::digest(payload))
    )
}

/// Asserts `cond` on every poll (every 20 ms) for `span`.
async fn holds_for<F, Fut>(span: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < span {
        assert!(
            cond().await,
            "{what} stopped holding after {:?}",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn now_nanos() -> i128 {
    OffsetDateTime::now_utc().unix_timestamp_nanos()
}

/// `PUBSUB NUMSUB asynq:cancel`.
async fn cancel_subscribers(raw: &Raw) -> i64 {
    raw.cmd(&["PUBSUB", "NUMSUB", "asynq:cancel"])
        .await
        .into_array()
        .get(1)
        .and_then(|v| v.as_i64())
        .expect("NUMSUB count")
}

/// A Rust server config with short polling intervals and the fixed one-hour retry delay.
fn rust_config(queues: &[(&str, i32)]) -> Config {
    Config {
        concurrency: 4,
        queues: queues.iter().map(|&(q, p)| (q.to_owned(), p)).collect(),
        task_check_interval: Duration::from_millis(100),
        delayed_task_check_interval: Duration::from_millis(200),
        shutdown_timeout: Duration::from_secs(2),
        ..Config::default()
    }
    .with_retry_delay_func(|_, _, _| HOUR)
}

/// A Go server config with short polling intervals and the fixed one-hour retry delay,
/// logging to `log`.
fn go_options(
    concurrency: usize,
    queues: &[(&str, i32)],
    log: std::path::PathBuf,
) -> GoServeOptions {
    let mut opts = GoServeOptions {
        concurrency,
        task_check_interval: Some(Duration::from_millis(100)),
        delayed_task_check_interval: Some(Duration::from_millis(200)),
        shutdown_timeout: Some(Duration::from_secs(2)),
        retry_delay: Some(HOUR),
        log: Some(log),
        ..GoServeOptions::default()
    };
    for &(q, p) in queues {
        opts = opts.queue(q, p);
    }
    opts
}

// ---------------------------------------------------------------------------
// The Rust handler.

/// One Rust handler invocation: task ID, queue, retry count, outcome (`ok` or the error text).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    id: String,
    queue: String,
    retried: i32,
    outcome: String,
}

type Calls = Arc<Mutex<Vec<Call>>>;

fn calls_of(calls: &Calls) -> Vec<Call> {
    calls.lock().expect("calls").clone()
}

/// A handler that records every invocation in `calls` (in the order they start) and then does
/// what `react` returns for it: `Ok(d)` sleeps `d` ignoring cancellation, then succeeds;
/// `Err(text)` fails with `text` at once.
fn recording_handler(
    calls: Calls,
    react: impl Fn(&TaskContext, &Task) -> Result<Duration, String> + Send + Sync + 'static,
) -> impl Handler {
    let react = Arc::new(react);
    handler_fn(move |ctx: TaskContext, task: Task| {
        let calls = calls.clone();
        let react = react.clone();
        async move {
            let reaction = react(&ctx, &task);
            let call = Call {
                id: ctx.task_id().to_owned(),
                queue: ctx.queue().to_owned(),
                retried: ctx.retry_count(),
                outcome: reaction.clone().err().unwrap_or_else(|| "ok".to_owned()),
            };
            calls.lock().expect("calls").push(call);
            match reaction {
                Ok(d) => {
                    if !d.is_zero() {
                        tokio::time::sleep(d).await;
                    }
                    Ok(())
                }
                Err(text) => Err(HandlerError::new(text)),
            }
        }
    })
}

/// A handler that records every invocation and succeeds at once.
fn ok_handler(calls: Calls) -> impl Handler {
    recording_handler(calls, |_, _| Ok(Duration::ZERO))
}

// ---------------------------------------------------------------------------
// T07 Unique released on success only.

/// The checks of T07 after the failed first attempt: the task is in retry (raw and Go
/// Inspector) with `retried` 1 and the handler's error, and its unique lock is still owned by
/// it with the TTL it got at enqueue (`ttl_floor` ≤ TTL ≤ 3600).
async fn check_retry_keeps_lock(env: &Env, id: &str, key: &str, error: &str, ttl_floor: i64) {
    let hash = env.hash("default", id).await;
    assert_eq!(hash.get("state").map(Vec::as_slice), Some(&b"retry"[..]));
    assert_eq!(
        hash.get("unique_key").map(Vec::as_slice),
        Some(key.as_bytes()),
        "hash field unique_key"
    );
    let msg = env.msg("default", id).await;
    assert_eq!((msg.retried, msg.error_msg.as_str()), (1, error));
    assert_eq!(msg.unique_key, key);
    let score = env
        .raw
        .zscore("asynq:{default}:retry", id)
        .await
        .expect("in the retry ZSET") as i64;
    let now = now_unix();
    assert!(
        (now + 3595..=now + 3601).contains(&score),
        "retry score {score}, now {now}"
    );
    assert_eq!(env.lock_owner(key).await.as_deref(), Some(id), "{key}");
    let ttl = env.raw.ttl(key).await;
    assert!(
        (ttl_floor..=3600).contains(&ttl),
        "{key}: TTL {ttl}, want the original one ({ttl_floor}..=3600)"
    );
    let info = env.go_info("default", id).await;
    assert_eq!(
        (info.state.as_str(), info.retried, info.last_err.as_str()),
        ("retry", 1, error)
    );
}

/// The checks of T07 after the successful second attempt: the lock is deleted; without
/// retention the hash is gone (Go: task not found), with retention the task is completed.
async fn check_success_released_lock(env: &Env, plain: (&str, &str), kept: (&str, &str)) {
    for (id, key) in [plain, kept] {
        assert!(
            !env.raw.exists(key).await,
            "{key} still held by {:?} after {id} succeeded",
            env.lock_owner(key).await
        );
    }
    let (id, _) = plain;
    assert!(env.hash("default", id).await.is_empty());
    assert!(!env
        .raw
        .lrange("asynq:{default}:active")
        .await
        .contains(&id.to_owned()));
    let err = env
        .go
        .task_info("default", id)
        .await
        .expect_err("task deleted");
    assert_eq!(err.kind, "task_not_found", "{err}");

    let (id, key) = kept;
    assert_eq!(env.state("default", id).await.as_deref(), Some("completed"));
    let msg = env.msg("default", id).await;
    assert!(msg.completed_at > 0, "completed_at set");
    assert_eq!(msg.unique_key, key);
    let score = env
        .raw
        .zscore("asynq:{default}:completed", id)
        .await
        .expect("in the completed ZSET") as i64;
    assert_eq!(score, msg.completed_at + 3600);
    let info = env.go_info("default", id).await;
    assert_eq!((info.state.as_str(), info.retried), ("completed", 1));
    assert_eq!(info.completed_at, Some(msg.completed_at));
}

/// T07 (Rust enqueue, Go server): two Rust `Unique(1h)` tasks, one also with `Retention(1h)`.
/// A Go server's first attempt fails (Go `CancelProcessing` while the handler sleeps) → both in
/// retry, each lock still owned by its task with its original TTL. Go `RunTask` → pending, and
/// the second attempt succeeds → both locks deleted; the plain task's hash is gone, the other
/// is completed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t07_rust_unique_released_by_go_server_on_success_only() {
    let env = Env::start().await;
    let payload = |tag: &str| {
        let mut b = GoBehaviour::sleep(1500);
        b.result = Some(tag.to_owned());
        b.payload()
    };
    let (plain_payload, kept_payload) = (payload("plain"), payload("kept"));
    let enqueued = Instant::now();
    let plain = env
        .client
        .enqueue(
            &Task::new("u7", plain_payload.clone()),
            &[TaskOption::unique(HOUR)],
        )
        .await
        .expect("Rust enqueue")
        .id;
    let kept = env
        .client
        .enqueue(
            &Task::new("u7", kept_payload.clone()),
            &[TaskOption::unique(HOUR), TaskOption::retention(HOUR)],
        )
        .await
        .expect("Rust enqueue")
        .id;
    let plain_key = unique_key("default", "u7", &plain_payload);
    let kept_key = unique_key("default", "u7", &kept_payload);
    for (id, key) in [(&plain, &plain_key), (&kept, &kept_key)] {
        assert_eq!(env.lock_owner(key).await.as_deref(), Some(id.as_str()));
        assert_eq!(env.raw.ttl(key).await, 3600);
    }

    let log = env.node.dir().join("t07.log");
    let go_server = env
        .go
        .serve(go_options(4, &[("default", 1)], log.clone()))
        .await;
    wait_for(
        Duration::from_secs(5),
        "Go subscribes to asynq:cancel",
        || async { (cancel_subscribers(&env.raw).await > 0).then_some(()) },
    )
    .await;
    for id in [&plain, &kept] {
        env.wait_state("default", id, "active", Duration::from_secs(5))
            .await;
    }
    for id in [&plain, &kept] {
        env.go.cancel(id).await.expect("Go cancel");
    }
    for id in [&plain, &kept] {
        env.wait_state("default", id, "retry", Duration::from_secs(5))
            .await;
    }
    let ttl_floor = 3600 - enqueued.elapsed().as_secs() as i64 - 1;
    check_retry_keeps_lock(&env, &plain, &plain_key, "context canceled", ttl_floor).await;
    check_retry_keeps_lock(&env, &kept, &kept_key, "context canceled", ttl_floor).await;

    for id in [&plain, &kept] {
        env.go_run_task("default", id).await;
    }
    // RunTask leaves the lock alone.
    for (id, key) in [(&plain, &plain_key), (&kept, &kept_key)] {
        assert_eq!(env.lock_owner(key).await.as_deref(), Some(id.as_str()));
    }
    env.wait_gone("default", &plain, Duration::from_secs(10))
        .await;
    env.wait_state("default", &kept, "completed", Duration::from_secs(10))
        .await;
    let summary = go_server.stop().await;
    assert_eq!(summary.handled, 4, "Go stderr:\n{}", summary.stderr);

    check_success_released_lock(&env, (&plain, &plain_key), (&kept, &kept_key)).await;
    let kept_info = env.go_info("default", &kept).await;
    assert_eq!(kept_info.result_text().as_deref(), Some("kept"));
    let handled = asynq_interop::read_log(&log);
    for id in [&plain, &kept] {
        let attempts: Vec<(i64, &str)> = handled
            .iter()
            .filter(|h| &h.id == id)
            .map(|h| (h.retried, h.outcome.as_str()))
            .collect();
        assert_eq!(attempts, [(0, "context canceled"), (1, "ok")], "{id}");
    }
    assert_eq!(env.int("asynq:{default}:processed").await, 4);
    assert_eq!(env.int("asynq:{default}:failed").await, 2);
}

/// T07 mirror (Go enqueue, Rust server): two Go `Unique(1h)` tasks, one also with
/// `Retention(1h)`; the Rust handler fails the first attempt → retry, locks kept with their
/// TTL; Go `RunTask`, the second attempt succeeds → locks deleted, hash gone / completed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t07_go_unique_released_by_rust_server_on_success_only() {
    let env = Env::start().await;
    let unique = |payload: &str, retention: Option<i64>| {
        GoTask::new("u7", payload).with_options(GoOptions {
            unique_ms: Some(3_600_000),
            retention_ms: retention,
            ..GoOptions::default()
        })
    };
    let enqueued = Instant::now();
    let ids = env
        .go_enqueue_all(&[unique("plain", None), unique("kept", Some(3_600_000))])
        .await;
    let (plain, kept) = (ids[0].clone(), ids[1].clone());
    let plain_key = unique_key("default", "u7", b"plain");
    let kept_key = unique_key("default", "u7", b"kept");
    for (id, key) in [(&plain, &plain_key), (&kept, &kept_key)] {
        assert_eq!(env.lock_owner(key).await.as_deref(), Some(id.as_str()));
    }

    let calls: Calls = Arc::default();
    let server = env.server(rust_config(&[("default", 1)])).await;
    server
        .start(recording_handler(calls.clone(), |ctx, _| {
            if ctx.retry_count() == 0 {
                Err("first attempt fails".to_owned())
            } else {
                Ok(Duration::ZERO)
            }
        }))
        .expect("Rust server starts");
    for id in [&plain, &kept] {
        env.wait_state("default", id, "retry", Duration::from_secs(5))
            .await;
    }
    let ttl_floor = 3600 - enqueued.elapsed().as_secs() as i64 - 1;
    check_retry_keeps_lock(&env, &plain, &plain_key, "first attempt fails", ttl_floor).await;
    check_retry_keeps_lock(&env, &kept, &kept_key, "first attempt fails", ttl_floor).await;

    for id in [&plain, &kept] {
        env.go_run_task("default", id).await;
    }
    env.wait_gone("default", &plain, Duration::from_secs(5))
        .await;
    env.wait_state("default", &kept, "completed", Duration::from_secs(5))
        .await;
    server.shutdown().await;

    check_success_released_lock(&env, (&plain, &plain_key), (&kept, &kept_key)).await;
    let mut attempts: Vec<(String, i32, String)> = calls_of(&calls)
        .into_iter()
        .map(|c| (c.id, c.retried, c.outcome))
        .collect();
    attempts.sort();
    let mut want = vec![
        (plain.clone(), 0, "first attempt fails".to_owned()),
        (plain.clone(), 1, "ok".to_owned()),
        (kept.clone(), 0, "first attempt fails".to_owned()),
        (kept.clone(), 1, "ok".to_owned()),
    ];
    want.sort();
    assert_eq!(attempts, want);
}

// ---------------------------------------------------------------------------
// T08 Unique lock owned by someone else.

/// T08: unique tasks whose lock key was then `SET` to "other-id" (TTL kept) complete — on a Go
/// server (Rust-enqueued tasks in queue `goq`) and on a Rust server (Go-enqueued tasks in
/// queue `rustq`), each once without and once with retention — and the lock is not deleted:
/// `GET` is still "other-id" with its TTL. The tasks themselves end as usual (deleted /
/// completed, raw and Go Inspector).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t08_lock_owned_by_another_id_survives_success() {
    let env = Env::start().await;
    // (queue, payload, retention?) → (id, key)
    let mut tasks: Vec<(&str, &str, bool, String, String)> = Vec::new();
    for (payload, retention) in [("plain", false), ("kept", true)] {
        let mut opts = vec![TaskOption::queue("goq"), TaskOption::unique(HOUR)];
        if retention {
            opts.push(TaskOption::retention(HOUR));
        }
        let info = env
            .client
            .enqueue(&Task::new("u8", payload), &opts)
            .await
            .expect("Rust enqueue");
        tasks.push((
            "goq",
            payload,
            retention,
            info.id,
            unique_key("goq", "u8", payload.as_bytes()),
        ));
    }
    let go_tasks: Vec<GoTask> = [("plain", None), ("kept", Some(3_600_000))]
        .into_iter()
        .map(|(payload, retention)| {
            GoTask::new("u8", payload).with_options(GoOptions {
                queue: Some("rustq".into()),
                unique_ms: Some(3_600_000),
                retention_ms: retention,
                ..GoOptions::default()
            })
        })
        .collect();
    let ids = env.go_enqueue_all(&go_tasks).await;
    for ((payload, retention), id) in [("plain", false), ("kept", true)].into_iter().zip(ids) {
        tasks.push((
            "rustq",
            payload,
            retention,
            id,
            unique_key("rustq", "u8", payload.as_bytes()),
        ));
    }
    for (_, _, _, id, key) in &tasks {
        assert_eq!(env.lock_owner(key).await.as_deref(), Some(id.as_str()));
        env.raw.cmd(&["SET", key, "other-id", "KEEPTTL"]).await;
        assert_eq!(env.lock_owner(key).await.as_deref(), Some("other-id"));
    }

    let log = env.node.dir().join("t08.log");
    let go_server = env
        .go
        .serve(go_options(2, &[("goq", 1)], log.clone()))
        .await;
    let calls: Calls = Arc::default();
    let server = env.server(rust_config(&[("rustq", 1)])).await;
    server
        .start(ok_handler(calls.clone()))
        .expect("Rust server starts");
    for (q, _, retention, id, _) in &tasks {
        if *retention {
            env.wait_state(q, id, "completed", Duration::from_secs(10))
                .await;
        } else {
            env.wait_gone(q, id, Duration::from_secs(10)).await;
        }
    }
    server.shutdown().await;
    let summary = go_server.stop().await;
    assert_eq!(summary.handled, 2, "Go stderr:\n{}", summary.stderr);
    assert_eq!(calls_of(&calls).len(), 2);

    for (q, payload, retention, id, key) in &tasks {
        let what = format!("{q}/{payload}");
        assert_eq!(
            env.lock_owner(key).await.as_deref(),
            Some("other-id"),
            "{what}: lock of another owner deleted"
        );
        let ttl = env.raw.ttl(key).await;
        assert!((3590..=3600).contains(&ttl), "{what}: TTL {ttl}");
        if *retention {
            let info = env.go_info(q, id).await;
            assert_eq!(info.state, "completed", "{what}");
            assert!(env
                .raw
                .zscore(&format!("asynq:{{{q}}}:completed"), id)
                .await
                .is_some());
        } else {
            assert!(env.hash(q, id).await.is_empty(), "{what}");
            let err = env.go.task_info(q, id).await.expect_err("deleted");
            assert_eq!(err.kind, "task_not_found", "{what}: {err}");
        }
        assert_eq!(env.int(&format!("asynq:{{{q}}}:processed")).await, 2);
    }
}

// ---------------------------------------------------------------------------
// T27 Pause / unpause.

/// T27: Go `PauseQueue("default")` → `GET asynq:{default}:paused` = now in Unix seconds; a
/// Rust server on `default` and `low` processes the `low` tasks but dequeues nothing from
/// `default` (pending untouched, active empty); Go `GetQueueInfo` reports Paused. A second
/// pause fails with Go's "already paused" error. Go `UnpauseQueue` → the key is gone and the
/// Rust server processes the `default` tasks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t27_go_pause_stops_a_rust_server_on_that_queue_only() {
    let env = Env::start().await;
    let calls: Calls = Arc::default();
    let server = env.server(rust_config(&[("default", 1), ("low", 1)])).await;
    server
        .start(ok_handler(calls.clone()))
        .expect("Rust server starts");

    let before = now_unix();
    env.go.pause("default").await.expect("Go pause");
    let paused_at: i64 = String::from_utf8(
        env.raw
            .get("asynq:{default}:paused")
            .await
            .expect("paused key"),
    )
    .expect("UTF-8")
    .parse()
    .expect("paused value is an integer");
    assert!(
        (before..=now_unix()).contains(&paused_at),
        "paused = {paused_at}, want Unix seconds around {before}"
    );
    assert_eq!(env.raw.ttl("asynq:{default}:paused").await, -1);

    let task = |q: &str, i: usize| {
        GoTask::new("p27", format!("{q} {i}")).with_options(GoOptions {
            queue: Some(q.to_owned()),
            ..GoOptions::default()
        })
    };
    let mut batch: Vec<GoTask> = (0..5).map(|i| task("default", i)).collect();
    batch.extend((0..5).map(|i| task("low", i)));
    let ids = env.go_enqueue_all(&batch).await;
    let (default_ids, low_ids) = ids.split_at(5);
    let handled = |id: &String| calls_of(&calls).iter().any(|c| &c.id == id);
    wait_for(
        Duration::from_secs(5),
        "the low tasks processed",
        || async { low_ids.iter().all(handled).then_some(()) },
    )
    .await;
    // More rounds of dequeues: a later low task is processed too.
    let later = env.go_enqueue_all(&[task("low", 5)]).await.remove(0);
    wait_for(
        Duration::from_secs(5),
        "the later low task processed",
        || async { handled(&later).then_some(()) },
    )
    .await;
    holds_for(
        Duration::from_millis(500),
        "nothing taken from default",
        || async { calls_of(&calls).iter().all(|c| c.queue == "low") },
    )
    .await;
    let mut pending = env.raw.lrange("asynq:{default}:pending").await;
    pending.reverse();
    assert_eq!(pending, default_ids, "default pending, oldest first");
    assert!(env.raw.lrange("asynq:{default}:active").await.is_empty());
    for id in default_ids {
        assert_eq!(env.state("default", id).await.as_deref(), Some("pending"));
    }
    let info = env.go.queue_info("default").await.expect("Go queue info");
    assert!(info.paused, "{info:?}");
    assert_eq!((info.pending, info.active, info.processed), (5, 0, 0));
    let low = env.go.queue_info("low").await.expect("Go queue info");
    assert!(!low.paused);
    assert_eq!((low.pending, low.processed), (0, 6));

    let err = env.go.pause("default").await.expect_err("second pause");
    assert_eq!(err.error, "queue \"default\" is already paused", "{err}");
    assert_eq!(
        env.raw.get("asynq:{default}:paused").await,
        Some(paused_at.to_string().into_bytes()),
        "the second pause leaves the key alone"
    );

    env.go.unpause("default").await.expect("Go unpause");
    assert!(!env.raw.exists("asynq:{default}:paused").await);
    wait_for(
        Duration::from_secs(5),
        "the default tasks processed",
        || async { default_ids.iter().all(handled).then_some(()) },
    )
    .await;
    server.shutdown().await;
    let info = env.go.queue_info("default").await.expect("Go queue info");
    assert!(!info.paused);
    assert_eq!((info.pending, info.processed), (0, 5));
    let err = env
        .go
        .unpause("default")
        .await
        .expect_err("unpause of a running queue");
    assert_eq!(err.error, "queue \"default\" is not paused", "{err}");
}

// ---------------------------------------------------------------------------
// T28 Graceful shutdown requeue, T31 Requeue ordering.

/// A Rust server on `default` with concurrency 1 and `shutdown_timeout`, whose handler sleeps
/// 10 s ignoring cancellation for tasks of type `stuck` and succeeds at once otherwise.
async fn stuck_server(env: &Env, shutdown_timeout: Duration, calls: Calls) -> Server {
    let server = env
        .server(Config {
            concurrency: 1,
            shutdown_timeout,
            heartbeat_interval: Duration::from_secs(1),
            ..rust_config(&[("default", 1)])
        })
        .await;
    server
        .start(recording_handler(calls, |_, task| {
            Ok(if task.task_type() == "stuck" {
                Duration::from_secs(10)
            } else {
                Duration::ZERO
            })
        }))
        .expect("Rust server starts");
    server
}

/// Enqueues a `stuck` task with Go and waits until the Rust server runs it.
async fn go_enqueue_stuck(env: &Env, server: &Server) -> String {
    let id = env
        .go_enqueue_all(&[GoTask::new("stuck", "{}").with_options(GoOptions {
            max_retry: Some(7),
            ..GoOptions::default()
        })])
        .await
        .remove(0);
    env.wait_state("default", &id, "active", Duration::from_secs(5))
        .await;
    wait_for(Duration::from_secs(5), "the stuck handler runs", || async {
        (server.running_tasks() == 1).then_some(())
    })
    .await;
    id
}

/// T28: a Rust server (ShutdownTimeout 1 s, concurrency 1) runs a Go-enqueued task whose
/// handler ignores cancellation for 10 s; 5 other tasks wait in pending. `shutdown` returns
/// after about 1 s; the running task is RPUSHed (the right end of pending), its hash says
/// pending without `pending_since`, and its `msg` is byte-identical (retried unchanged). The
/// server's entry is gone from `asynq:servers` as soon as `shutdown` returns, and Go
/// `Servers()` no longer lists it. A Go server with concurrency 1 then processes the requeued
/// task first, then the other 5 oldest first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t28_rust_shutdown_requeues_the_running_task_for_go() {
    let env = Env::start().await;
    let calls: Calls = Arc::default();
    let timeout = Duration::from_secs(1);
    let server = stuck_server(&env, timeout, calls.clone()).await;
    let x = go_enqueue_stuck(&env, &server).await;
    let msg_before = env.raw.hget(&task_key("default", &x), "msg").await;
    let others: Vec<GoTask> = (0..5)
        .map(|i| GoTask::new("other", format!("{i}")))
        .collect();
    let others = env.go_enqueue_all(&others).await;
    let listed = wait_for(
        Duration::from_secs(5),
        "Go Servers() lists the Rust worker",
        || async {
            env.go
                .servers()
                .await
                .into_iter()
                .find(|s| s.id == server.server_id() && !s.active_workers.is_empty())
        },
    )
    .await;
    assert_eq!(listed.active_workers.len(), 1);
    assert_eq!(listed.active_workers[0].task_id, x);

    let asked = Instant::now();
    server.shutdown().await;
    let took = asked.elapsed();
    assert!(
        took >= timeout && took < timeout + Duration::from_secs(2),
        "shutdown took {took:?}"
    );
    // Immediately: no server or worker entry left.
    assert!(env.raw.zrange_withscores("asynq:servers").await.is_empty());
    assert!(env.raw.keys("asynq:servers:*").await.is_empty());
    assert!(env.raw.zrange_withscores("asynq:workers").await.is_empty());
    assert!(env.raw.keys("asynq:workers:*").await.is_empty());
    assert!(
        env.go.servers().await.is_empty(),
        "Go Servers() after shutdown"
    );

    let mut want: Vec<String> = others.iter().rev().cloned().collect();
    want.push(x.clone());
    assert_eq!(
        env.raw.lrange("asynq:{default}:pending").await,
        want,
        "x at the right end"
    );
    assert!(env.raw.lrange("asynq:{default}:active").await.is_empty());
    assert!(env
        .raw
        .zrange_withscores("asynq:{default}:lease")
        .await
        .is_empty());
    let hash = env.hash("default", &x).await;
    assert_eq!(
        hash.keys().map(String::as_str).collect::<Vec<_>>(),
        ["msg", "state"],
        "no pending_since"
    );
    assert_eq!(hash.get("state").map(Vec::as_slice), Some(&b"pending"[..]));
    assert_eq!(hash.get("msg"), msg_before.as_ref(), "msg unchanged");
    assert_eq!(env.msg("default", &x).await.retried, 0);
    assert_eq!(env.int("asynq:{default}:processed").await, 0);
    let info = env.go_info("default", &x).await;
    assert_eq!(
        (info.state.as_str(), info.retried, info.max_retry),
        ("pending", 0, 7)
    );
    assert_eq!(
        calls_of(&calls)
            .iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>(),
        std::slice::from_ref(&x),
        "the Rust server ran only x"
    );

    let log = env.node.dir().join("t28.log");
    let go_server = env
        .go
        .serve(GoServeOptions {
            exit_after: 6,
            ..go_options(1, &[("default", 1)], log.clone())
        })
        .await;
    let summary = go_server.wait().await;
    assert_eq!(summary.handled, 6, "Go stderr:\n{}", summary.stderr);
    let order: Vec<(String, i64, String)> = asynq_interop::read_log(&log)
        .into_iter()
        .map(|h| (h.id, h.retried, h.outcome))
        .collect();
    let mut want = vec![(x.clone(), 0, "ok".to_owned())];
    want.extend(others.iter().map(|id| (id.clone(), 0, "ok".to_owned())));
    assert_eq!(order, want, "Go processes x first");
    assert!(env.hash("default", &x).await.is_empty());
}

/// T31: pending holds [a (oldest), b]; a task x is requeued by a Rust server's shutdown → Go
/// `ListPendingTasks` (next first) is [x, a, b], and a Go server with concurrency 1 processes
/// x, then a, then b.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t31_requeued_task_is_dequeued_before_older_pending_tasks() {
    let env = Env::start().await;
    let calls: Calls = Arc::default();
    let server = stuck_server(&env, Duration::from_millis(300), calls.clone()).await;
    let x = go_enqueue_stuck(&env, &server).await;
    let ab = env
        .go_enqueue_all(&[GoTask::new("t31", "a"), GoTask::new("t31", "b")])
        .await;
    let (a, b) = (ab[0].clone(), ab[1].clone());
    assert_eq!(
        env.raw.lrange("asynq:{default}:pending").await,
        [b.clone(), a.clone()]
    );
    server.shutdown().await;
    assert_eq!(
        env.raw.lrange("asynq:{default}:pending").await,
        [b.clone(), a.clone(), x.clone()]
    );
    let listed: Vec<String> = env
        .go
        .list_tasks("default", "pending")
        .await
        .expect("Go ListPendingTasks")
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, [x.clone(), a.clone(), b.clone()]);

    let log = env.node.dir().join("t31.log");
    let go_server = env
        .go
        .serve(GoServeOptions {
            exit_after: 3,
            ..go_options(1, &[("default", 1)], log.clone())
        })
        .await;
    let summary = go_server.wait().await;
    assert_eq!(summary.handled, 3, "Go stderr:\n{}", summary.stderr);
    let order: Vec<String> = asynq_interop::read_log(&log)
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(order, [x, a, b]);
}

// ---------------------------------------------------------------------------
// T29 Server info TTL.

/// The server process of [`t29_killed_rust_server_expires_from_go_servers`]; does nothing
/// unless started by it.
#[tokio::test]
#[ignore = "the server process of t29_killed_rust_server_expires_from_go_servers, started by it"]
async fn t29_child_server() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    let opt = RedisConnOpt::parse_uri(&url).expect("redis URI");
    // Go's fixed heartbeat: every 5 s, entries live 10 s.
    let server = Server::connect(
        opt,
        Config {
            concurrency: 1,
            ..Config::default()
        },
    )
    .await
    .expect("child server connects");
    server
        .start(ok_handler(Calls::default()))
        .expect("child server starts");
    std::future::pending::<()>().await;
}

/// T29: a Rust server in another process is listed by Go `Servers()` (its PID, status active,
/// entry expiring 10 s after its last heartbeat); after `kill -9` every `Servers()` call that
/// still lists it started less than 10 s after the kill. Its `asynq:servers` member stays
/// until it is a second past its expiry, and the next Go `Servers()` call then prunes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t29_killed_rust_server_expires_from_go_servers() {
    let env = Env::start().await;
    let mut child = ChildProcess::spawn("t29_child_server", CHILD_ENV, &env.node.url());
    let pid = i64::from(child.pid());
    let listed = wait_for(
        Duration::from_secs(20),
        "Go Servers() lists the child",
        || async { env.go.servers().await.into_iter().find(|s| s.pid == pid) },
    )
    .await;
    assert_eq!(listed.status, "active");
    let members = env.raw.zrange_withscores("asynq:servers").await;
    assert_eq!(members.len(), 1, "{members:?}");
    let (member, score) = members[0].clone();
    assert_eq!(
        member,
        format!("asynq:servers:{{{}:{pid}:{}}}", listed.host, listed.id)
    );
    let now = now_unix();
    assert!(
        (now + 4..=now + 10).contains(&(score as i64)),
        "expiry {score}, now {now}: 10 s after a beat of the last 5 s"
    );
    let key_ttl = env.raw.ttl(&member).await;
    assert!((4..=10).contains(&key_ttl), "{member}: TTL {key_ttl}");

    child.kill();
    let killed = Instant::now();
    let mut last_score = score;
    loop {
        // Nothing but Go's reader changes asynq:servers now.
        let members = env.raw.zrange_withscores("asynq:servers").await;
        assert_eq!(members.len(), 1, "before Servers(): {members:?}");
        last_score = members[0].1.max(last_score);
        let started = killed.elapsed();
        let servers = env.go.servers().await;
        if servers.iter().all(|s| s.pid != pid) {
            assert!(servers.is_empty(), "{servers:?}");
            break;
        }
        assert!(
            started < Duration::from_secs(10),
            "Go Servers() still lists the killed server {started:?} after the kill"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("t29: unlisted {:?} after the kill", killed.elapsed());
    assert!(!env.raw.exists(&member).await, "{member} expired");

    let members = env.raw.zrange_withscores("asynq:servers").await;
    if !members.is_empty() {
        // Not yet pruned: the member goes once its score is at most now - 1.
        let prune_at = last_score as i64 + 1;
        while now_unix() < prune_at {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            env.raw.zrange_withscores("asynq:servers").await.len(),
            1,
            "the member waits for a reader"
        );
        assert!(env.go.servers().await.is_empty());
    }
    assert!(
        env.raw.zrange_withscores("asynq:servers").await.is_empty(),
        "pruned by Go Servers()"
    );
}

// ---------------------------------------------------------------------------
// T30 Priorities.

/// Go-enqueues `n` tasks into each (queue, n), in one `enqueue` call.
async fn go_fill(env: &Env, fills: &[(&str, usize)]) {
    let tasks: Vec<GoTask> = fills
        .iter()
        .flat_map(|&(q, n)| {
            (0..n).map(move |i| {
                GoTask::new("p30", format!("{q} {i}")).with_options(GoOptions {
                    queue: Some(q.to_owned()),
                    ..GoOptions::default()
                })
            })
        })
        .collect();
    env.go_enqueue_all(&tasks).await;
    for &(q, n) in fills {
        assert_eq!(
            env.raw
                .lrange(&format!("asynq:{{{q}}}:pending"))
                .await
                .len(),
            n
        );
    }
}

/// A concurrency-1 Rust server on `queues` recording each task it runs.
async fn priority_server(env: &Env, queues: &[(&str, i32)], strict: bool, calls: Calls) -> Server {
    let server = env
        .server(Config {
            concurrency: 1,
            strict_priority: strict,
            ..rust_config(queues)
        })
        .await;
    server.start(ok_handler(calls)).expect("Rust server starts");
    server
}

/// Per queue: the Rust record's count equals `asynq:{q}:processed` and Go's `Processed`.
async fn check_processed_counts(env: &Env, calls: &Calls, queues: &[&str]) {
    let mut counts: HashMap<String, i64> = HashMap::new();
    for c in calls_of(calls) {
        *counts.entry(c.queue).or_default() += 1;
    }
    for &q in queues {
        let n = counts.get(q).copied().unwrap_or(0);
        assert_eq!(env.int(&format!("asynq:{{{q}}}:processed")).await, n, "{q}");
        let info = env.go.queue_info(q).await.expect("Go queue info");
        assert_eq!(info.processed_total, n, "{q}: {info:?}");
    }
}

/// T30 weighted: Go enqueues 750 critical, 420 default and 200 low tasks (no queue can run dry
/// within the sample: expected 600/300/100); a Rust server {critical: 6, default: 3, low: 1}
/// with concurrency 1 takes 60/30/10 % (± 5 %) from them over its first 1,000 dequeues.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t30_weighted_priorities_over_go_enqueued_tasks() {
    const SAMPLE: usize = 1000;
    let env = Env::start().await;
    go_fill(&env, &[("critical", 750), ("default", 420), ("low", 200)]).await;
    let calls: Calls = Arc::default();
    let queues = [("critical", 6), ("default", 3), ("low", 1)];
    let server = priority_server(&env, &queues, false, calls.clone()).await;
    wait_for(Duration::from_secs(30), "1000 tasks processed", || async {
        (calls.lock().expect("calls").len() >= SAMPLE).then_some(())
    })
    .await;
    server.stop();
    server.shutdown().await;
    let sample: Vec<Call> = calls_of(&calls)[..SAMPLE].to_vec();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for c in &sample {
        *counts.entry(c.queue.as_str()).or_default() += 1;
    }
    for (q, want) in [("critical", 0.6), ("default", 0.3), ("low", 0.1)] {
        let share = counts.get(q).copied().unwrap_or(0) as f64 / SAMPLE as f64;
        assert!(
            (share - want).abs() <= 0.05,
            "share of {q}: {share:.3}, want {want} ± 0.05 (counts {counts:?})"
        );
    }
    eprintln!("t30: first {SAMPLE} dequeues by queue: {counts:?}");
    check_processed_counts(&env, &calls, &["critical", "default", "low"]).await;
}

/// T30 strict: Go enqueues 100 low, 100 default, then 300 critical tasks; a Rust server with
/// StrictPriority and concurrency 1 processes all critical tasks first, then default, then
/// low.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t30_strict_priority_over_go_enqueued_tasks() {
    let env = Env::start().await;
    go_fill(&env, &[("low", 100), ("default", 100), ("critical", 300)]).await;
    let calls: Calls = Arc::default();
    let queues = [("critical", 6), ("default", 3), ("low", 1)];
    let server = priority_server(&env, &queues, true, calls.clone()).await;
    wait_for(Duration::from_secs(30), "500 tasks processed", || async {
        (calls.lock().expect("calls").len() == 500).then_some(())
    })
    .await;
    server.shutdown().await;
    let order: Vec<String> = calls_of(&calls).into_iter().map(|c| c.queue).collect();
    let mut want = vec!["critical".to_owned(); 300];
    want.extend(vec!["default".to_owned(); 100]);
    want.extend(vec!["low".to_owned(); 100]);
    assert!(
        order == want,
        "strict order: first non-critical at {:?}",
        order.iter().position(|q| q != "critical")
    );
    check_processed_counts(&env, &calls, &["critical", "default", "low"]).await;
}

// ---------------------------------------------------------------------------
// T32 Scheduled → pending by the Rust forwarder, T33 Forwarder batching.

/// `pending_since` of a task hash, in nanoseconds; checks it is written as 19 digits.
fn pending_since(hash: &BTreeMap<String, Vec<u8>>) -> i128 {
    let raw = hash.get("pending_since").expect("pending_since");
    let text = std::str::from_utf8(raw).expect("UTF-8 pending_since");
    assert_eq!(text.len(), 19, "pending_since {text:?} is Unix ns");
    text.parse().expect("integer pending_since")
}

/// T32: Go `ProcessIn(3s)` → scheduled; only a Rust server runs (default forwarder interval
/// 5 s; the queue paused with Go so the forwarded task stays pending to be read: a pause does
/// not stop forwarding, §6.10). Within 3 + 5 s the task leaves the scheduled ZSET: it is in
/// pending, state pending, `pending_since` in ns no earlier than its due second, and Go
/// `GetTaskInfo` says pending. After Go `UnpauseQueue` the Rust handler runs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t32_rust_forwarder_moves_a_go_scheduled_task() {
    let env = Env::start().await;
    let calls: Calls = Arc::default();
    let server = env
        .server(Config {
            delayed_task_check_interval: Duration::ZERO, // Go's default, 5 s
            ..rust_config(&[("default", 1)])
        })
        .await;
    assert_eq!(
        server.config().delayed_task_check_interval,
        Duration::from_secs(5)
    );
    server
        .start(ok_handler(calls.clone()))
        .expect("Rust server starts");
    env.go.pause("default").await.expect("Go pause");
    let enqueued = Instant::now();
    let info = env
        .go
        .enqueue_one(&GoTask::new("later", "x").with_options(GoOptions {
            process_in_ms: Some(3000),
            ..GoOptions::default()
        }))
        .await
        .expect("Go enqueue");
    let id = info.id.clone();
    let due = env
        .raw
        .zscore("asynq:{default}:scheduled", &id)
        .await
        .expect("scheduled") as i64;
    assert_eq!(Some(due), info.next_process_at);
    assert_eq!(
        env.state("default", &id).await.as_deref(),
        Some("scheduled")
    );

    wait_for(
        Duration::from_millis(8500),
        "the task leaves scheduled",
        || async {
            env.raw
                .zscore("asynq:{default}:scheduled", &id)
                .await
                .is_none()
                .then_some(())
        },
    )
    .await;
    let moved = enqueued.elapsed();
    let hash = env.hash("default", &id).await;
    assert_eq!(hash.get("state").map(Vec::as_slice), Some(&b"pending"[..]));
    let since = pending_since(&hash);
    assert!(
        since >= i128::from(due) * 1_000_000_000,
        "pending_since {since}, due {due}"
    );
    assert!(
        (now_nanos() - since).abs() < 2_000_000_000,
        "pending_since {since}"
    );
    assert_eq!(
        env.raw.lrange("asynq:{default}:pending").await,
        std::slice::from_ref(&id)
    );
    assert_eq!(env.go_info("default", &id).await.state, "pending");
    assert!(calls_of(&calls).is_empty());
    eprintln!("t32: forwarded {moved:?} after enqueue");

    env.go.unpause("default").await.expect("Go unpause");
    env.wait_gone("default", &id, Duration::from_secs(5)).await;
    server.shutdown().await;
    assert_eq!(
        calls_of(&calls)
            .iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>(),
        [id]
    );
}

/// T33: 250 Go-scheduled tasks, all due, in a paused queue; a Rust server with a 3 s forwarder
/// interval starts. Its first forwarder run, one interval after start, moves all 250 at once:
/// the scheduled ZSET empties no earlier than 3 s after start, all 250 are pending with
/// `pending_since` values spanning far less than the interval, in rounds of at most 100 (one
/// `pending_since` per script call: 100, 100 and 50 tasks). Go `GetQueueInfo` agrees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t33_one_rust_forwarder_run_moves_250_due_tasks() {
    const N: usize = 250;
    let interval = Duration::from_secs(3);
    let env = Env::start().await;
    // Two seconds ahead, so every Go enqueue below still schedules (process-at after now).
    let due = now_unix() + 2;
    let tasks: Vec<GoTask> = (0..N)
        .map(|i| {
            GoTask::new("due", format!("{i}")).with_options(GoOptions {
                process_at_unix: Some(due),
                ..GoOptions::default()
            })
        })
        .collect();
    let ids = env.go_enqueue_all(&tasks).await;
    assert_eq!(
        env.raw
            .zrange_withscores("asynq:{default}:scheduled")
            .await
            .len(),
        N
    );
    env.go.pause("default").await.expect("Go pause");
    while now_unix() < due {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let calls: Calls = Arc::default();
    let server = env
        .server(Config {
            delayed_task_check_interval: interval,
            ..rust_config(&[("default", 1)])
        })
        .await;
    server
        .start(ok_handler(calls.clone()))
        .expect("Rust server starts");
    let started = Instant::now();
    wait_for(
        interval + Duration::from_secs(3),
        "scheduled emptied",
        || async {
            env.raw
                .zrange_withscores("asynq:{default}:scheduled")
                .await
                .is_empty()
                .then_some(())
        },
    )
    .await;
    let emptied = started.elapsed();
    assert!(
        emptied >= interval - Duration::from_millis(100),
        "first run after {emptied:?}"
    );

    assert_eq!(env.raw.lrange("asynq:{default}:pending").await.len(), N);
    let mut rounds: BTreeMap<i128, usize> = BTreeMap::new();
    for id in &ids {
        let hash = env.hash("default", id).await;
        assert_eq!(
            hash.get("state").map(Vec::as_slice),
            Some(&b"pending"[..]),
            "{id}"
        );
        *rounds.entry(pending_since(&hash)).or_default() += 1;
    }
    let first = *rounds.keys().next().expect("a round");
    let last = *rounds.keys().last().expect("a round");
    assert!(
        last - first < 1_000_000_000,
        "pending_since spans {} ms: more than one forwarder run",
        (last - first) / 1_000_000
    );
    let mut sizes: Vec<usize> = rounds.values().copied().collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [50, 100, 100], "tasks per script call");
    let info = env.go.queue_info("default").await.expect("Go queue info");
    assert_eq!(
        (info.pending, info.scheduled, info.paused),
        (N as i64, 0, true)
    );
    assert!(calls_of(&calls).is_empty());
    server.shutdown().await;
    eprintln!("t33: forwarded after {emptied:?}");
}
