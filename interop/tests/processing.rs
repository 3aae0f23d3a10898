//! Processing outcomes between the Rust worker (`asynq_worker::Server`) and Go hibiken/asynq
//! v0.26.0 (wire-protocol.md §8.2, T16 to T25): lease expiry and recovery after a worker is
//! killed, retry, archive, SkipRetry / RevokeTask, IsFailure, panics, timeout and deadline,
//! retention and results, and the janitor. Every test starts its own Redis and checks the raw
//! Redis state and what the other side reports (the Go Inspector for a Rust server, the Rust
//! decoding of the raw hash for a Go server). The `tNN_go_*` tests are the mirrors: a Go server
//! doing the same to Rust-enqueued tasks (T17 is the mirror of T16).
//!
//! T16 needs a Rust worker in a separate OS process that can be SIGKILLed: this test binary
//! itself, re-run with `--ignored --exact child_worker` and the Redis URL in
//! [`CHILD_ENV`].

mod common;

use common::{perform, quiet_expected_panics, wait_for, ChildProcess, Env};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynq_broker::{Broker, OffsetClock};
use asynq_client::{RedisConnOpt, Task, TaskOption};
use asynq_interop::{GoBehaviour, GoOptions, GoServeOptions, GoServer, GoTask};
use asynq_proto::TaskMessage;
use asynq_test_support::Raw;
use asynq_worker::{handler_fn, Config, Handler, HandlerError, Server, TaskContext};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The Redis URL of the worker process of T16.
const CHILD_ENV: &str = "ASYNQ_INTEROP_CHILD_REDIS";

/// The error text of a recovered task (Go `ErrLeaseExpired`).
const LEASE_EXPIRED: &str = "asynq: task lease expired";

/// What the handlers here panic with; the panic hook installed by [`quiet_expected_panics`]
/// does not print these.
const PANIC_MARK: &str = "expected panic";

/// A retry delay long enough that a retried task stays in `retry` while a test reads it.
const HOUR: Duration = Duration::from_secs(3600);

// ---------------------------------------------------------------------------
// Environment and helpers.

impl Env {
    /// A started Rust server on this Redis running `handler`.
    async fn rust_server(&self, config: Config, handler: impl Handler) -> Server {
        let server = Server::connect(self.opt.clone(), config)
            .await
            .expect("Rust server connects");
        server.start(handler).expect("Rust server starts");
        server
    }

    /// A Go server on `default` with short intervals, logging to `<name>.log`.
    async fn go_server(&self, name: &str, retry_delay: Option<Duration>) -> GoServer {
        let opts = GoServeOptions {
            concurrency: 4,
            task_check_interval: Some(Duration::from_millis(100)),
            delayed_task_check_interval: Some(Duration::from_secs(3600)),
            shutdown_timeout: Some(Duration::from_secs(1)),
            retry_delay,
            log: Some(self.node.dir().join(format!("{name}.log"))),
            ..GoServeOptions::default()
        };
        self.go.serve(opts).await
    }

    /// Go `Client.Enqueue` of one task on `default`.
    async fn go_enqueue(&self, task_type: &str, b: &GoBehaviour, opts: GoOptions) -> String {
        let task = GoTask::new(task_type, b.payload()).with_options(opts);
        self.go.enqueue_one(&task).await.expect("Go enqueue").id
    }

    /// Rust `Client::enqueue` of one task on `default`.
    async fn rust_enqueue(&self, task_type: &str, b: &GoBehaviour, opts: &[TaskOption]) -> String {
        let task = Task::new(task_type, b.payload());
        self.client
            .enqueue(&task, opts)
            .await
            .expect("Rust enqueue")
            .id
    }

    /// The decoded `msg` of `asynq:{default}:t:<id>`.
    async fn msg(&self, id: &str) -> TaskMessage {
        let bytes = self
            .raw
            .hget(&task_key(id), "msg")
            .await
            .unwrap_or_else(|| panic!("task {id} has no hash"));
        asynq_proto::decode_task_message(&bytes).expect("msg decodes")
    }

    /// The `state` field of `asynq:{default}:t:<id>`.
    async fn state(&self, id: &str) -> Option<String> {
        self.raw
            .hget(&task_key(id), "state")
            .await
            .map(|s| String::from_utf8(s).expect("UTF-8 state"))
    }

    /// Waits until the task's hash says `state`.
    async fn wait_state(&self, id: &str, state: &str, limit: Duration) {
        wait_for(limit, &format!("{id} in state {state}"), || async {
            (self.state(id).await.as_deref() == Some(state)).then_some(())
        })
        .await;
    }

    /// The score of `id` in `asynq:{default}:<index>`.
    async fn score(&self, index: &str, id: &str) -> Option<i64> {
        let key = format!("asynq:{{default}}:{index}");
        self.raw.zscore(&key, id).await.map(|s| s as i64)
    }

    /// (processed, failed) of `default`: the totals, asserted equal to the sum of the daily
    /// counters.
    async fn counters(&self) -> (i64, i64) {
        let mut out = [0; 2];
        for (slot, kind) in out.iter_mut().zip(["processed", "failed"]) {
            let total = int(&self.raw, &format!("asynq:{{default}}:{kind}")).await;
            let mut daily = 0;
            for key in self.raw.keys(&format!("asynq:{{default}}:{kind}:*")).await {
                daily += int(&self.raw, &key).await;
            }
            assert_eq!(daily, total, "daily {kind} counters add up to the total");
            *slot = total;
        }
        (out[0], out[1])
    }

    /// Asserts that nothing is active or leased in `default`.
    async fn assert_nothing_active(&self) {
        assert!(self.raw.lrange("asynq:{default}:active").await.is_empty());
        assert!(self
            .raw
            .zrange_withscores("asynq:{default}:lease")
            .await
            .is_empty());
    }
}

fn task_key(id: &str) -> String {
    format!("asynq:{{default}}:t:{id}")
}

/// A string key as an integer, 0 when missing.
async fn int(raw: &Raw, key: &str) -> i64 {
    raw.get(key).await.map_or(0, |v| {
        String::from_utf8(v)
            .expect("UTF-8 counter")
            .parse()
            .unwrap_or_else(|e| panic!("{key} is not an integer: {e}"))
    })
}

fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn now_nanos() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos()).expect("ns fit i64")
}

fn parse_rfc3339(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("RFC 3339 {s:?}: {e}"))
}

/// Asserts `lo <= v <= hi`.
#[track_caller]
fn assert_within(what: &str, v: i64, lo: i64, hi: i64) {
    assert!((lo..=hi).contains(&v), "{what}: {v} not in [{lo}, {hi}]");
}

/// A Rust server config on `default` with short intervals; the forwarder runs every 200 ms.
fn rust_config() -> Config {
    Config {
        concurrency: 4,
        task_check_interval: Duration::from_millis(50),
        delayed_task_check_interval: Duration::from_millis(200),
        heartbeat_interval: Duration::from_secs(1),
        shutdown_timeout: Duration::from_secs(1),
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// The Rust handler: the payload language of the Go serve handler.

/// One invocation of [`behaviour_handler`].
#[derive(Debug, Clone)]
struct Call {
    id: String,
    retried: i32,
    outcome: String,
    /// When the handler started and returned.
    started: OffsetDateTime,
    ended: OffsetDateTime,
    /// `TaskContext::deadline`.
    deadline: OffsetDateTime,
}

type Calls = Arc<Mutex<Vec<Call>>>;

/// A handler that does what the payload says, like the Go serve handler (sleep, honouring
/// cancellation; write the result; return the revoke, skip-retry or plain error, or panic),
/// and records the invocation in `calls` before returning.
fn behaviour_handler(calls: Calls) -> impl Handler {
    handler_fn(move |ctx: TaskContext, task: Task| {
        let calls = calls.clone();
        async move {
            let started = OffsetDateTime::now_utc();
            let b: GoBehaviour = serde_json::from_slice(task.payload()).unwrap_or_default();
            let res = perform(&ctx, &b).await;
            let panic = b.panic.filter(|p| !p.is_empty());
            let outcome = match (&res, &panic) {
                (Ok(()), Some(p)) => format!("panic: {p}"),
                (Ok(()), None) => "ok".to_owned(),
                (Err(e), _) => e.to_string(),
            };
            calls.lock().expect("calls").push(Call {
                id: ctx.task_id().to_owned(),
                retried: ctx.retry_count(),
                outcome,
                started,
                ended: OffsetDateTime::now_utc(),
                deadline: ctx.deadline(),
            });
            if let (Ok(()), Some(p)) = (&res, panic) {
                panic!("{p}");
            }
            res
        }
    })
}

fn calls_of(calls: &Calls, id: &str) -> Vec<Call> {
    calls
        .lock()
        .expect("calls")
        .iter()
        .filter(|c| c.id == id)
        .cloned()
        .collect()
}

// ---------------------------------------------------------------------------
// T16 Rust worker killed → Go server recovers.

/// The worker process of T16; does nothing unless started by it.
#[tokio::test]
#[ignore = "the worker process of t16, started by it"]
async fn child_worker() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    // Ignores its context, as a handler stuck in blocking work would.
    let handler = handler_fn(|_ctx: TaskContext, _task: Task| async {
        tokio::time::sleep(Duration::from_secs(300)).await;
        Ok(())
    });
    let config = Config {
        concurrency: 1,
        task_check_interval: Duration::from_millis(50),
        heartbeat_interval: Duration::from_secs(1),
        ..Config::default()
    };
    let opt = RedisConnOpt::parse_uri(&url).expect("redis URI");
    let server = Server::connect(opt, config).await.expect("connect");
    server.run(handler).await.expect("run");
}

/// T16: a Rust worker process is SIGKILLed while it runs a Go-enqueued MaxRetry(3) task. Until
/// the lease expires Go `ListActiveTasks` shows the task not orphaned; after it, orphaned, and
/// still active in Redis. Go's recoverer (start-up run, then every minute, not configurable)
/// only takes leases expired more than 30 s ago, so a Go server is started once that is so; it
/// moves the task to retry with retried 1, `asynq: task lease expired`, last_failed_at, and
/// processed/failed +1, without running the handler. Takes about 65 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t16_sigkilled_rust_worker_go_server_recovers() {
    let env = Env::start().await;
    let id = env
        .go_enqueue(
            "slow",
            &GoBehaviour::sleep(300_000),
            GoOptions {
                max_retry: Some(3),
                task_id: Some("t16-crash".into()),
                ..GoOptions::default()
            },
        )
        .await;
    let mut child = ChildProcess::spawn("child_worker", CHILD_ENV, &env.node.url());
    wait_for(
        Duration::from_secs(20),
        "the Rust worker runs the task",
        || async {
            let active = env.raw.lrange("asynq:{default}:active").await;
            let leased = env.score("lease", &id).await.is_some();
            (active.contains(&id) && leased).then_some(())
        },
    )
    .await;
    let active = env
        .go
        .list_tasks("default", "active")
        .await
        .expect("Go list");
    assert_eq!(active.len(), 1, "{active:?}");
    assert!(!active[0].is_orphaned, "running task: {:?}", active[0]);
    child.kill();
    let lease = env.score("lease", &id).await.expect("lease entry");
    let killed_at = now_unix();
    assert_within("lease after kill", lease, killed_at + 27, killed_at + 31);

    // The lease expires: Go shows the task orphaned; it stays active in Redis.
    wait_for(Duration::from_secs(35), "the lease expires", || async {
        (now_unix() > lease).then_some(())
    })
    .await;
    let active = env
        .go
        .list_tasks("default", "active")
        .await
        .expect("Go list");
    assert_eq!(active.len(), 1, "{active:?}");
    assert!(active[0].is_orphaned, "expired lease: {:?}", active[0]);
    assert_eq!(active[0].state, "active");
    assert_eq!(env.state(&id).await.as_deref(), Some("active"));
    assert_eq!(env.counters().await, (0, 0));

    // Go recovers leases with expiry <= now - 30 s.
    wait_for(
        Duration::from_secs(35),
        "the lease has been expired for 30 s",
        || async { (now_unix() > lease + 30).then_some(()) },
    )
    .await;
    let active = env
        .go
        .list_tasks("default", "active")
        .await
        .expect("Go list");
    assert!(active[0].is_orphaned, "{:?}", active[0]);
    assert_eq!(env.state(&id).await.as_deref(), Some("active"));
    let before = now_unix();
    let go_server = env.go_server("t16", Some(HOUR)).await;
    env.wait_state(&id, "retry", Duration::from_secs(10)).await;
    let after = now_unix();

    let msg = env.msg(&id).await;
    assert_eq!(msg.retried, 1);
    assert_eq!(msg.retry, 3);
    assert_eq!(msg.error_msg, LEASE_EXPIRED);
    assert_within("last_failed_at", msg.last_failed_at, before, after);
    let score = env.score("retry", &id).await.expect("retry entry");
    assert_within("retry score", score, before + 3600, after + 3600);
    env.assert_nothing_active().await;
    assert_eq!(env.counters().await, (1, 1));
    let info = env
        .go
        .task_info("default", &id)
        .await
        .expect("Go task info");
    assert_eq!(
        (info.state.as_str(), info.retried, info.last_err.as_str()),
        ("retry", 1, LEASE_EXPIRED)
    );
    assert_eq!(info.last_failed_at, Some(msg.last_failed_at));
    let q = env.go.queue_info("default").await.expect("Go queue info");
    assert_eq!((q.processed, q.failed, q.active, q.retry), (1, 1, 0, 1));
    let summary = go_server.stop().await;
    assert_eq!(summary.handled, 0, "the recovered task is not run again");
    eprintln!(
        "t16: killed at {killed_at}, lease {lease}, recovered by Go at {after} ({} s after the kill)",
        after - killed_at
    );
}

// ---------------------------------------------------------------------------
// T17 Go worker killed → Rust server recovers.

/// T17: a Go server running two Rust-enqueued tasks (MaxRetry 3, and MaxRetry 0) is killed
/// with SIGKILL. A Rust server whose broker clock runs 30 s ahead (so its recoverer's 30 s
/// skew allowance ends when the lease really expires) and whose recoverer runs every 500 ms
/// leaves both active until the leases expire, then moves the first to retry (retried 1) and
/// archives the second (retried == retry), both with `asynq: task lease expired`, processed
/// and failed +2, without running the handler. The Go Inspector reads both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t17_sigkilled_go_worker_rust_server_recovers() {
    const OFFSET: i64 = 30;
    let env = Env::start().await;
    let sleep = GoBehaviour::sleep(300_000);
    let retry_id = env
        .rust_enqueue(
            "slow",
            &sleep,
            &[TaskOption::task_id("t17-retry"), TaskOption::max_retry(3)],
        )
        .await;
    let archive_id = env
        .rust_enqueue(
            "slow",
            &sleep,
            &[TaskOption::task_id("t17-archive"), TaskOption::max_retry(0)],
        )
        .await;
    let go_server = env.go_server("t17", Some(HOUR)).await;
    wait_for(
        Duration::from_secs(10),
        "the Go server runs both",
        || async {
            let servers = env.go.servers().await;
            let workers = servers.first().map_or(0, |s| s.active_workers.len());
            let leased = env
                .raw
                .zrange_withscores("asynq:{default}:lease")
                .await
                .len();
            (workers == 2 && leased == 2).then_some(())
        },
    )
    .await;
    let pid = go_server.pid();
    assert_eq!(env.go.servers().await[0].pid, i64::from(pid));
    let status = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill -9");
    assert!(status.success());
    drop(go_server);
    let mut lease = 0;
    for id in [&retry_id, &archive_id] {
        lease = lease.max(env.score("lease", id).await.expect("lease entry"));
    }

    let calls: Calls = Arc::default();
    let broker = Broker::connect(env.opt.clone())
        .await
        .expect("broker")
        .with_clock(Arc::new(OffsetClock::new(time::Duration::seconds(OFFSET))));
    let config = Config {
        recoverer_interval: Duration::from_millis(500),
        delayed_task_check_interval: Duration::from_secs(3600),
        ..rust_config()
    }
    .with_retry_delay_func(|_, _, _| HOUR);
    let server = Server::from_broker(broker, config).expect("Rust server");
    server
        .start(behaviour_handler(calls.clone()))
        .expect("Rust server starts");

    // Until the leases expire, nothing moves.
    while now_unix() < lease - 1 {
        for id in [&retry_id, &archive_id] {
            assert_eq!(env.state(id).await.as_deref(), Some("active"), "{id}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let before = now_unix();
    env.wait_state(&retry_id, "retry", Duration::from_secs(10))
        .await;
    env.wait_state(&archive_id, "archived", Duration::from_secs(5))
        .await;
    let after = now_unix();
    assert!(
        after >= lease,
        "recovered at {after}, before the lease {lease}"
    );

    // The Rust server's clock is OFFSET s ahead: its times are real time + OFFSET.
    let (lo, hi) = (before + OFFSET, after + OFFSET);
    let msg = env.msg(&retry_id).await;
    assert_eq!((msg.retried, msg.retry), (1, 3));
    assert_eq!(msg.error_msg, LEASE_EXPIRED);
    assert_within("last_failed_at", msg.last_failed_at, lo, hi);
    let score = env.score("retry", &retry_id).await.expect("retry entry");
    assert_within("retry score", score, lo + 3600, hi + 3600);
    let msg = env.msg(&archive_id).await;
    assert_eq!((msg.retried, msg.retry), (0, 0));
    assert_eq!(msg.error_msg, LEASE_EXPIRED);
    assert_within("last_failed_at", msg.last_failed_at, lo, hi);
    let score = env.score("archived", &archive_id).await.expect("archived");
    assert_within("archived score", score, lo, hi);
    env.assert_nothing_active().await;
    assert_eq!(env.counters().await, (2, 2));
    assert!(calls.lock().expect("calls").is_empty(), "not run again");

    let info = env.go.task_info("default", &retry_id).await.expect("Go");
    assert_eq!(
        (info.state.as_str(), info.retried, info.last_err.as_str()),
        ("retry", 1, LEASE_EXPIRED)
    );
    let archived = env.go.list_tasks("default", "archived").await.expect("Go");
    assert_eq!(archived.len(), 1, "{archived:?}");
    assert_eq!(archived[0].id, archive_id);
    assert_eq!(
        (archived[0].retried, archived[0].last_err.as_str()),
        (0, LEASE_EXPIRED)
    );
    let q = env.go.queue_info("default").await.expect("Go queue info");
    assert_eq!(
        (q.processed, q.failed, q.active, q.retry, q.archived),
        (2, 2, 0, 1, 1)
    );
    server.shutdown().await;
}

// ---------------------------------------------------------------------------
// T18 Retry semantics.

/// T18: a Rust handler fails a Go-enqueued MaxRetry(3) task (default retry delay): retry,
/// retried 1, the handler's text, last_failed_at ≈ now, score ∈ [now+15, now+44]. The queue is
/// then paused through the Go Inspector (the forwarder still runs, the task is not dequeued)
/// and the retry score set to now with a raw `ZADD` (fault injection: makes it due without a
/// 15 s wait); the Rust forwarder moves it to pending with a fresh `pending_since`. Unpaused,
/// it fails again: retried 2, score ∈ [now+16, now+74]. The Go Inspector reads each step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t18_rust_server_retries_a_go_task() {
    let env = Env::start().await;
    let calls: Calls = Arc::default();
    let server = env
        .rust_server(rust_config(), behaviour_handler(calls.clone()))
        .await;
    let t0 = now_unix();
    let id = env
        .go_enqueue(
            "fail",
            &GoBehaviour::error("t18 boom"),
            GoOptions {
                max_retry: Some(3),
                ..GoOptions::default()
            },
        )
        .await;
    env.wait_state(&id, "retry", Duration::from_secs(5)).await;
    let t1 = now_unix();
    let msg = env.msg(&id).await;
    assert_eq!((msg.retried, msg.retry), (1, 3));
    assert_eq!(msg.error_msg, "t18 boom");
    assert_within("last_failed_at", msg.last_failed_at, t0, t1);
    let score = env.score("retry", &id).await.expect("retry entry");
    assert_within("first retry score", score, t0 + 15, t1 + 44);
    assert_within(
        "first delay",
        score - msg.last_failed_at,
        15,
        44 + (t1 - t0),
    );
    env.assert_nothing_active().await;
    assert_eq!(env.counters().await, (1, 1));
    let info = env.go.task_info("default", &id).await.expect("Go");
    assert_eq!(
        (info.state.as_str(), info.retried, info.last_err.as_str()),
        ("retry", 1, "t18 boom")
    );
    assert_eq!(info.last_failed_at, Some(msg.last_failed_at));
    assert_eq!(info.next_process_at, Some(score));

    // Forwarding: paused, so the pending task stays where it can be read.
    env.go.pause("default").await.expect("Go pause");
    let due = now_unix();
    let before_ns = now_nanos();
    env.raw
        .cmd(&["ZADD", "asynq:{default}:retry", &due.to_string(), &id])
        .await;
    env.wait_state(&id, "pending", Duration::from_secs(5)).await;
    let after_ns = now_nanos();
    assert_eq!(
        env.raw.lrange("asynq:{default}:pending").await,
        std::slice::from_ref(&id)
    );
    assert_eq!(env.score("retry", &id).await, None);
    let since = env
        .raw
        .hget(&task_key(&id), "pending_since")
        .await
        .expect("pending_since");
    let since: i64 = String::from_utf8(since).unwrap().parse().expect("ns");
    assert!(
        (before_ns - 1_000_000..=after_ns).contains(&since),
        "pending_since {since} not in [{before_ns}, {after_ns}] (ns)"
    );
    let info = env.go.task_info("default", &id).await.expect("Go");
    assert_eq!((info.state.as_str(), info.retried), ("pending", 1));
    assert_eq!(calls_of(&calls, &id).len(), 1);

    // Second failure.
    let t2 = now_unix();
    env.go.unpause("default").await.expect("Go unpause");
    env.wait_state(&id, "retry", Duration::from_secs(5)).await;
    let t3 = now_unix();
    let msg = env.msg(&id).await;
    assert_eq!(msg.retried, 2);
    assert_eq!(msg.error_msg, "t18 boom");
    assert_within("last_failed_at", msg.last_failed_at, t2, t3);
    let score = env.score("retry", &id).await.expect("retry entry");
    assert_within("second retry score", score, t2 + 16, t3 + 74);
    assert!(env
        .raw
        .hget(&task_key(&id), "pending_since")
        .await
        .is_none());
    assert_eq!(env.counters().await, (2, 2));
    let runs: Vec<i32> = calls_of(&calls, &id).iter().map(|c| c.retried).collect();
    assert_eq!(runs, [0, 1], "GetRetryCount per attempt");
    let info = env.go.task_info("default", &id).await.expect("Go");
    assert_eq!(
        (info.state.as_str(), info.retried, info.next_process_at),
        ("retry", 2, Some(score))
    );
    server.shutdown().await;
}

/// T18 mirror: a Go server (default RetryDelayFunc) fails a Rust-enqueued MaxRetry(3) task;
/// the Rust decoding of the hash shows retried 1, the error text, last_failed_at and a score
/// in [now+15, now+44].
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t18_go_server_retries_a_rust_task() {
    let env = Env::start().await;
    let t0 = now_unix();
    let id = env
        .rust_enqueue(
            "fail",
            &GoBehaviour::error("t18 go boom"),
            &[TaskOption::max_retry(3)],
        )
        .await;
    let go_server = env.go_server("t18", None).await;
    env.wait_state(&id, "retry", Duration::from_secs(5)).await;
    let t1 = now_unix();
    let msg = env.msg(&id).await;
    assert_eq!((msg.retried, msg.retry), (1, 3));
    assert_eq!(msg.error_msg, "t18 go boom");
    assert_within("last_failed_at", msg.last_failed_at, t0, t1);
    let score = env.score("retry", &id).await.expect("retry entry");
    assert_within("retry score", score, t0 + 15, t1 + 44);
    env.assert_nothing_active().await;
    assert_eq!(env.counters().await, (1, 1));
    let summary = go_server.stop().await;
    assert_eq!(summary.handled, 1);
}

// ---------------------------------------------------------------------------
// T19 Archive after exhaustion.

/// T19: a Rust handler fails a Go-enqueued MaxRetry(0) task: archived with score ≈ now,
/// retried 0, the error text, last_failed_at, processed/failed +1; Go `ListArchivedTasks`
/// shows it with LastErr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t19_rust_server_archives_an_exhausted_go_task() {
    let env = Env::start().await;
    let calls: Calls = Arc::default();
    let server = env
        .rust_server(rust_config(), behaviour_handler(calls.clone()))
        .await;
    let t0 = now_unix();
    let id = env
        .go_enqueue(
            "fatal",
            &GoBehaviour::error("t19 fatal"),
            GoOptions {
                max_retry: Some(0),
                ..GoOptions::default()
            },
        )
        .await;
    env.wait_state(&id, "archived", Duration::from_secs(5))
        .await;
    let t1 = now_unix();
    check_archived(&env, &id, "t19 fatal", t0, t1).await;
    let archived = env.go.list_tasks("default", "archived").await.expect("Go");
    assert_eq!(archived.len(), 1, "{archived:?}");
    let a = &archived[0];
    assert_eq!(
        (a.id.as_str(), a.state.as_str(), a.retried, a.max_retry),
        (id.as_str(), "archived", 0, 0)
    );
    assert_eq!(a.last_err, "t19 fatal");
    assert_eq!(a.last_failed_at, Some(env.msg(&id).await.last_failed_at));
    assert_eq!(calls_of(&calls, &id).len(), 1);
    server.shutdown().await;
}

/// Asserts the archived state of `id` in raw Redis: score ≈ now, retried 0, `error_msg`,
/// last_failed_at in `t0..=t1`, processed/failed 1, nothing active.
async fn check_archived(env: &Env, id: &str, error_msg: &str, t0: i64, t1: i64) {
    let msg = env.msg(id).await;
    assert_eq!(msg.retried, 0);
    assert_eq!(msg.error_msg, error_msg);
    assert_within("last_failed_at", msg.last_failed_at, t0, t1);
    let score = env.score("archived", id).await.expect("archived entry");
    assert_within("archived score", score, t0, t1);
    assert_eq!(env.score("retry", id).await, None);
    env.assert_nothing_active().await;
    assert_eq!(env.counters().await, (1, 1));
}

/// T19 mirror: a Go server fails a Rust-enqueued MaxRetry(0) task; the Rust decoding shows
/// the same archived state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t19_go_server_archives_an_exhausted_rust_task() {
    let env = Env::start().await;
    let t0 = now_unix();
    let id = env
        .rust_enqueue(
            "fatal",
            &GoBehaviour::error("t19 go fatal"),
            &[TaskOption::max_retry(0)],
        )
        .await;
    let go_server = env.go_server("t19", Some(HOUR)).await;
    env.wait_state(&id, "archived", Duration::from_secs(5))
        .await;
    let t1 = now_unix();
    check_archived(&env, &id, "t19 go fatal", t0, t1).await;
    go_server.stop().await;
}

// ---------------------------------------------------------------------------
// T20 SkipRetry / RevokeTask.

/// The T20 handler behaviours: (SkipRetry with a text, RevokeTask with a text).
fn t20_behaviours() -> (GoBehaviour, GoBehaviour) {
    let skip = GoBehaviour {
        error: Some("t20 skip".into()),
        skip_retry: true,
        ..GoBehaviour::default()
    };
    let revoke = GoBehaviour {
        error: Some("t20 revoke".into()),
        revoke: true,
        ..GoBehaviour::default()
    };
    (skip, revoke)
}

/// Asserts the T20 end state: the SkipRetry task archived with retries left, the revoked
/// task gone (hash, indexes, unique lock) despite its retention, processed 2, failed 1.
async fn check_t20(env: &Env, skip_id: &str, revoke_id: &str, unique_key: &str, t0: i64) {
    let t1 = now_unix();
    let msg = env.msg(skip_id).await;
    assert_eq!((msg.retried, msg.retry), (0, 3));
    assert_eq!(msg.error_msg, "t20 skip: skip retry for the task");
    assert_within("last_failed_at", msg.last_failed_at, t0, t1);
    let score = env.score("archived", skip_id).await.expect("archived");
    assert_within("archived score", score, t0, t1);
    assert_eq!(env.score("retry", skip_id).await, None);

    assert!(!env.raw.exists(&task_key(revoke_id)).await, "revoked hash");
    for index in ["retry", "archived", "completed"] {
        assert_eq!(env.score(index, revoke_id).await, None, "{index}");
    }
    assert!(
        !env.raw.exists(unique_key).await,
        "unique lock {unique_key} released"
    );
    assert!(env.raw.lrange("asynq:{default}:pending").await.is_empty());
    env.assert_nothing_active().await;
    assert_eq!(env.counters().await, (2, 1));
}

/// T20: a Rust handler returns SkipRetry for a Go-enqueued MaxRetry(3) task → archived with
/// retried 0; RevokeTask for a Go task with Unique and Retention → the hash is deleted, not
/// completed, retried or archived, the unique lock released, processed +1, failed +0. The Go
/// Inspector sees the first archived and the second gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t20_rust_server_skip_retry_and_revoke() {
    let env = Env::start().await;
    let calls: Calls = Arc::default();
    let (skip, revoke) = t20_behaviours();
    let t0 = now_unix();
    let skip_id = env
        .go_enqueue(
            "skip",
            &skip,
            GoOptions {
                max_retry: Some(3),
                ..GoOptions::default()
            },
        )
        .await;
    let revoke_id = env
        .go_enqueue(
            "revoke",
            &revoke,
            GoOptions {
                max_retry: Some(3),
                unique_ms: Some(3_600_000),
                retention_ms: Some(3_600_000),
                ..GoOptions::default()
            },
        )
        .await;
    let unique_key = env.msg(&revoke_id).await.unique_key;
    assert!(env.raw.exists(&unique_key).await, "lock {unique_key}");
    let server = env
        .rust_server(rust_config(), behaviour_handler(calls.clone()))
        .await;
    env.wait_state(&skip_id, "archived", Duration::from_secs(5))
        .await;
    wait_for(
        Duration::from_secs(5),
        "the revoked task is gone",
        || async { (!env.raw.exists(&task_key(&revoke_id)).await).then_some(()) },
    )
    .await;
    check_t20(&env, &skip_id, &revoke_id, &unique_key, t0).await;
    let outcomes: Vec<String> = calls
        .lock()
        .expect("calls")
        .iter()
        .map(|c| c.outcome.clone())
        .collect();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");

    let info = env.go.task_info("default", &skip_id).await.expect("Go");
    assert_eq!(
        (info.state.as_str(), info.retried, info.last_err.as_str()),
        ("archived", 0, "t20 skip: skip retry for the task")
    );
    let gone = env.go.task_info("default", &revoke_id).await;
    assert_eq!(gone.expect_err("revoked").kind, "task_not_found");
    let q = env.go.queue_info("default").await.expect("Go queue info");
    assert_eq!(
        (q.processed, q.failed, q.size, q.archived, q.completed),
        (2, 1, 1, 1, 0)
    );
    server.shutdown().await;
}

/// T20 mirror: a Go server does the same to Rust-enqueued tasks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t20_go_server_skip_retry_and_revoke() {
    let env = Env::start().await;
    let (skip, revoke) = t20_behaviours();
    let t0 = now_unix();
    let skip_id = env
        .rust_enqueue("skip", &skip, &[TaskOption::max_retry(3)])
        .await;
    let revoke_id = env
        .rust_enqueue(
            "revoke",
            &revoke,
            &[
                TaskOption::max_retry(3),
                TaskOption::unique(HOUR),
                TaskOption::retention(HOUR),
            ],
        )
        .await;
    let unique_key = env.msg(&revoke_id).await.unique_key;
    assert!(env.raw.exists(&unique_key).await, "lock {unique_key}");
    let go_server = env.go_server("t20", Some(HOUR)).await;
    env.wait_state(&skip_id, "archived", Duration::from_secs(5))
        .await;
    wait_for(
        Duration::from_secs(5),
        "the revoked task is gone",
        || async { (!env.raw.exists(&task_key(&revoke_id)).await).then_some(()) },
    )
    .await;
    check_t20(&env, &skip_id, &revoke_id, &unique_key, t0).await;
    let summary = go_server.stop().await;
    assert_eq!(summary.handled, 2);
}

// ---------------------------------------------------------------------------
// T21 IsFailure = false.

/// T21: a Rust server whose IsFailure is false for errors containing "transient". A
/// Go-enqueued MaxRetry(3) task failing with such an error goes to retry with retried 0, the
/// error text and last_failed_at, and the processed/failed counters stay untouched; a second
/// task failing with another error counts (retried 1, processed/failed 1). The Go Inspector
/// reads both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t21_rust_is_failure_false_keeps_retried_and_counters() {
    let env = Env::start().await;
    let calls: Calls = Arc::default();
    let config = rust_config()
        .with_is_failure(|e| !e.to_string().contains("transient"))
        .with_retry_delay_func(|_, _, _| HOUR);
    let server = env
        .rust_server(config, behaviour_handler(calls.clone()))
        .await;
    let opts = || GoOptions {
        max_retry: Some(3),
        ..GoOptions::default()
    };
    let t0 = now_unix();
    let soft = env
        .go_enqueue("soft", &GoBehaviour::error("transient outage"), opts())
        .await;
    env.wait_state(&soft, "retry", Duration::from_secs(5)).await;
    let t1 = now_unix();
    let msg = env.msg(&soft).await;
    assert_eq!((msg.retried, msg.retry), (0, 3));
    assert_eq!(msg.error_msg, "transient outage");
    assert_within("last_failed_at", msg.last_failed_at, t0, t1);
    let score = env.score("retry", &soft).await.expect("retry entry");
    assert_within("retry score", score, t0 + 3600, t1 + 3600);
    env.assert_nothing_active().await;
    assert_eq!(env.counters().await, (0, 0));
    for kind in ["processed", "failed"] {
        assert!(
            env.raw
                .keys(&format!("asynq:{{default}}:{kind}*"))
                .await
                .is_empty(),
            "no {kind} counter key"
        );
    }
    let info = env.go.task_info("default", &soft).await.expect("Go");
    assert_eq!(
        (info.state.as_str(), info.retried, info.last_err.as_str()),
        ("retry", 0, "transient outage")
    );
    assert_eq!(info.last_failed_at, Some(msg.last_failed_at));

    let hard = env
        .go_enqueue("hard", &GoBehaviour::error("disk on fire"), opts())
        .await;
    env.wait_state(&hard, "retry", Duration::from_secs(5)).await;
    assert_eq!(env.msg(&hard).await.retried, 1);
    assert_eq!(env.counters().await, (1, 1));
    let q = env.go.queue_info("default").await.expect("Go queue info");
    assert_eq!((q.processed, q.failed, q.retry), (1, 1, 2));
    server.shutdown().await;
}

// ---------------------------------------------------------------------------
// T22 Panic.

/// T22: a Rust handler panics on a Go-enqueued MaxRetry(3) task: retry, retried 1,
/// `panic error cause by: panic: <value>`, processed/failed +1; the server keeps running (a
/// later task succeeds, Go `Servers()` still lists it active); Go `GetTaskInfo` and
/// `ListRetryTasks` show LastErr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t22_rust_handler_panic_go_inspector_reads_last_err() {
    quiet_expected_panics(PANIC_MARK);
    let env = Env::start().await;
    let calls: Calls = Arc::default();
    let server = env
        .rust_server(
            rust_config().with_retry_delay_func(|_, _, _| HOUR),
            behaviour_handler(calls.clone()),
        )
        .await;
    let value = format!("{PANIC_MARK} t22");
    let want = format!("panic error cause by: panic: {value}");
    let b = GoBehaviour {
        panic: Some(value),
        ..GoBehaviour::default()
    };
    let t0 = now_unix();
    let id = env
        .go_enqueue(
            "panic",
            &b,
            GoOptions {
                max_retry: Some(3),
                ..GoOptions::default()
            },
        )
        .await;
    env.wait_state(&id, "retry", Duration::from_secs(5)).await;
    let t1 = now_unix();
    let msg = env.msg(&id).await;
    assert_eq!(msg.retried, 1);
    assert_eq!(msg.error_msg, want);
    assert_within("last_failed_at", msg.last_failed_at, t0, t1);
    env.assert_nothing_active().await;
    assert_eq!(env.counters().await, (1, 1));
    let info = env.go.task_info("default", &id).await.expect("Go");
    assert_eq!(
        (info.state.as_str(), info.retried, info.last_err.as_str()),
        ("retry", 1, want.as_str())
    );
    let retry = env.go.list_tasks("default", "retry").await.expect("Go");
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].last_err, want);

    // Still running.
    let ok = env
        .go_enqueue("after", &GoBehaviour::default(), GoOptions::default())
        .await;
    wait_for(Duration::from_secs(5), "the next task succeeds", || async {
        calls_of(&calls, &ok)
            .first()
            .filter(|c| c.outcome == "ok")
            .map(|_| ())
    })
    .await;
    wait_for(
        Duration::from_secs(5),
        "the task hash is deleted",
        || async { (!env.raw.exists(&task_key(&ok)).await).then_some(()) },
    )
    .await;
    assert_eq!(env.counters().await, (2, 1));
    let servers = env.go.servers().await;
    assert_eq!(servers.len(), 1);
    assert_eq!(
        (servers[0].id.as_str(), servers[0].status.as_str()),
        (server.server_id(), "active")
    );
    server.shutdown().await;
}

/// T22 mirror: a Go handler panics on a Rust-enqueued task; the Rust decoding shows retry,
/// retried 1 and Go's message with the panic's location.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t22_go_handler_panic_rust_reads_error() {
    let env = Env::start().await;
    let value = format!("{PANIC_MARK} t22 go");
    let b = GoBehaviour {
        panic: Some(value.clone()),
        ..GoBehaviour::default()
    };
    let id = env
        .rust_enqueue("panic", &b, &[TaskOption::max_retry(3)])
        .await;
    let go_server = env.go_server("t22", Some(HOUR)).await;
    env.wait_state(&id, "retry", Duration::from_secs(5)).await;
    let msg = env.msg(&id).await;
    assert_eq!(msg.retried, 1);
    assert!(
        msg.error_msg.starts_with("panic error cause by: panic [")
            && msg.error_msg.ends_with(&format!("]: {value}")),
        "{:?}",
        msg.error_msg
    );
    assert_eq!(env.counters().await, (1, 1));
    let summary = go_server.stop().await;
    assert_eq!(summary.handled, 1);
}

// ---------------------------------------------------------------------------
// T23 Timeout / Deadline precedence.

/// T23: three Go-enqueued tasks whose handlers sleep 60 s, run at once by a Rust server:
/// Timeout(2s) → cancelled about 2 s after it starts; Timeout(1h) + Deadline(now+3s) →
/// WorkerInfo.Deadline (Go `Servers()`) = the deadline, cancelled at about it; Deadline only →
/// `timeout` field 0 (raw and Go TaskInfo), deadline honoured. Each ends in retry with
/// `context deadline exceeded`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t23_rust_timeout_and_deadline_precedence() {
    let env = Env::start().await;
    let calls: Calls = Arc::default();
    let server = env
        .rust_server(
            rust_config().with_retry_delay_func(|_, _, _| HOUR),
            behaviour_handler(calls.clone()),
        )
        .await;
    let deadline = now_unix() + 3;
    let sleep = GoBehaviour::sleep(60_000);
    let opts = |timeout_ms: Option<i64>, deadline_unix: Option<i64>, id: &str| GoOptions {
        max_retry: Some(3),
        timeout_ms,
        deadline_unix,
        task_id: Some(id.into()),
        ..GoOptions::default()
    };
    let tasks = [
        GoTask::new("slow", sleep.payload()).with_options(opts(Some(2000), None, "timeout")),
        GoTask::new("slow", sleep.payload()).with_options(opts(
            Some(3_600_000),
            Some(deadline),
            "both",
        )),
        GoTask::new("slow", sleep.payload()).with_options(opts(None, Some(deadline), "deadline")),
    ];
    for res in env.go.enqueue(&tasks).await {
        res.expect("Go enqueue");
    }
    let timeouts = [
        ("timeout", 2, 0),
        ("both", 3600, deadline),
        ("deadline", 0, deadline),
    ];
    for (id, timeout, dl) in timeouts {
        let msg = env.msg(id).await;
        assert_eq!((msg.timeout, msg.deadline), (timeout, dl), "{id}");
        let info = env.go.task_info("default", id).await.expect("Go");
        assert_eq!(info.timeout_ms, timeout * 1000, "{id}");
    }

    let workers = wait_for(
        Duration::from_secs(3),
        "Servers() lists the three workers",
        || async {
            let servers = env.go.servers().await;
            let workers = servers.first()?.active_workers.clone();
            (workers.len() == 3).then_some(workers)
        },
    )
    .await;
    for w in &workers {
        let started = parse_rfc3339(&w.started);
        let dl = parse_rfc3339(&w.deadline);
        match w.task_id.as_str() {
            "timeout" => assert!(
                (dl - started - time::Duration::seconds(2)).abs()
                    < time::Duration::milliseconds(10),
                "{w:?}"
            ),
            "both" | "deadline" => assert_eq!(
                dl.unix_timestamp_nanos(),
                i128::from(deadline) * 1_000_000_000,
                "{w:?}"
            ),
            other => panic!("unexpected worker {other}"),
        }
    }

    for (id, _, _) in timeouts {
        env.wait_state(id, "retry", Duration::from_secs(8)).await;
    }
    for (id, _, dl) in timeouts {
        let c = calls_of(&calls, id);
        assert_eq!(c.len(), 1, "{id}: {c:?}");
        let c = &c[0];
        assert_eq!(c.outcome, "context deadline exceeded", "{id}");
        let ran = c.ended - c.started;
        let (want_deadline, want_end) = if dl == 0 {
            (
                c.started + time::Duration::seconds(2),
                c.started + time::Duration::seconds(2),
            )
        } else {
            let d = OffsetDateTime::from_unix_timestamp(dl).unwrap();
            (d, d)
        };
        assert!(
            (c.deadline - want_deadline).abs() < time::Duration::milliseconds(50),
            "{id}: context deadline {} want {want_deadline}",
            c.deadline
        );
        let late = c.ended - want_end;
        assert!(
            late >= time::Duration::ZERO && late < time::Duration::milliseconds(300),
            "{id}: cancelled {late} after its deadline (ran {ran})"
        );
        let msg = env.msg(id).await;
        assert_eq!(msg.retried, 1, "{id}");
        assert_eq!(msg.error_msg, "context deadline exceeded", "{id}");
        let info = env.go.task_info("default", id).await.expect("Go");
        assert_eq!(info.last_err, "context deadline exceeded", "{id}");
    }
    assert_eq!(env.counters().await, (3, 3));
    server.shutdown().await;
}

/// T23 mirror: the same three tasks enqueued by the Rust client and run by a Go server: the
/// stored `timeout` / `deadline` fields, the Go handler's `context deadline exceeded`, and
/// last_failed_at at the deadline (2 s after the start for the Timeout(2s) task), read by
/// decoding the hash on the Rust side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t23_go_timeout_and_deadline_precedence() {
    let env = Env::start().await;
    let deadline = now_unix() + 3;
    let at = OffsetDateTime::from_unix_timestamp(deadline).unwrap();
    let sleep = GoBehaviour::sleep(60_000);
    let opts = |id: &str, more: &[TaskOption]| {
        let mut o = vec![TaskOption::task_id(id), TaskOption::max_retry(3)];
        o.extend_from_slice(more);
        o
    };
    env.rust_enqueue(
        "slow",
        &sleep,
        &opts("timeout", &[TaskOption::timeout(Duration::from_secs(2))]),
    )
    .await;
    env.rust_enqueue(
        "slow",
        &sleep,
        &opts(
            "both",
            &[TaskOption::timeout(HOUR), TaskOption::deadline(at)],
        ),
    )
    .await;
    env.rust_enqueue(
        "slow",
        &sleep,
        &opts("deadline", &[TaskOption::deadline(at)]),
    )
    .await;
    let timeouts = [
        ("timeout", 2, 0),
        ("both", 3600, deadline),
        ("deadline", 0, deadline),
    ];
    for (id, timeout, dl) in timeouts {
        let msg = env.msg(id).await;
        assert_eq!((msg.timeout, msg.deadline), (timeout, dl), "{id}");
    }
    let go_server = env.go_server("t23", Some(HOUR)).await;
    // Go's heartbeat is fixed at 5 s, longer than these tasks run: their WorkerInfo is not
    // read here (T23 above reads a Rust server's).
    let ready = now_unix();
    for (id, _, _) in timeouts {
        env.wait_state(id, "retry", Duration::from_secs(8)).await;
    }
    for (id, _, dl) in timeouts {
        let msg = env.msg(id).await;
        assert_eq!(msg.retried, 1, "{id}");
        assert_eq!(msg.error_msg, "context deadline exceeded", "{id}");
        let due = if dl == 0 { ready + 2 } else { dl };
        assert_within(id, msg.last_failed_at, due, due + 1);
    }
    let summary = go_server.stop().await;
    assert_eq!(summary.handled, 3);
    let log = asynq_interop::read_log(env.node.dir().join("t23.log"));
    assert!(
        log.iter().all(|h| h.outcome == "context deadline exceeded"),
        "{log:?}"
    );
    assert_eq!(env.counters().await, (3, 3));
}

// ---------------------------------------------------------------------------
// T24 Retention / completed / result.

/// Asserts the T24 end state of `id` in raw Redis and returns `completed_at`: state
/// completed, result "ok", score completed_at + 3600, processed 1, failed 0.
async fn check_completed(env: &Env, id: &str, t0: i64, t1: i64) -> i64 {
    let hash = env.raw.hgetall(&task_key(id)).await;
    assert_eq!(
        hash.get("state").map(Vec::as_slice),
        Some(&b"completed"[..])
    );
    assert_eq!(hash.get("result").map(Vec::as_slice), Some(&b"ok"[..]));
    let msg = env.msg(id).await;
    assert_eq!(msg.retention, 3600);
    assert_within("completed_at", msg.completed_at, t0, t1);
    let score = env.score("completed", id).await.expect("completed entry");
    assert_eq!(score, msg.completed_at + 3600);
    env.assert_nothing_active().await;
    assert_eq!(env.counters().await, (1, 0));
    msg.completed_at
}

/// T24: a Rust handler writes the result "ok" for a Go-enqueued Retention(1h) task and
/// succeeds. Go `GetTaskInfo`: completed, CompletedAt ≈ now, Result "ok", Retention 1h;
/// `ZSCORE completed` = completed_at + 3600; `ListCompletedTasks` shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t24_rust_completed_with_result_go_inspector_reads() {
    let env = Env::start().await;
    let calls: Calls = Arc::default();
    let server = env
        .rust_server(rust_config(), behaviour_handler(calls.clone()))
        .await;
    let b = GoBehaviour {
        result: Some("ok".into()),
        ..GoBehaviour::default()
    };
    let t0 = now_unix();
    let id = env
        .go_enqueue(
            "keep",
            &b,
            GoOptions {
                retention_ms: Some(3_600_000),
                ..GoOptions::default()
            },
        )
        .await;
    env.wait_state(&id, "completed", Duration::from_secs(5))
        .await;
    let t1 = now_unix();
    let completed_at = check_completed(&env, &id, t0, t1).await;
    let info = env.go.task_info("default", &id).await.expect("Go");
    assert_eq!(info.state, "completed");
    assert_eq!(info.completed_at, Some(completed_at));
    assert_eq!(info.result_text().as_deref(), Some("ok"));
    assert_eq!(info.retention_ms, 3_600_000);
    let listed = env.go.list_tasks("default", "completed").await.expect("Go");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0], info);
    server.shutdown().await;
}

/// T24 mirror: a Go handler writes "ok" for a Rust-enqueued Retention(1h) task; the same raw
/// state, decoded on the Rust side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t24_go_completed_with_result_rust_reads() {
    let env = Env::start().await;
    let b = GoBehaviour {
        result: Some("ok".into()),
        ..GoBehaviour::default()
    };
    let t0 = now_unix();
    let id = env
        .rust_enqueue("keep", &b, &[TaskOption::retention(HOUR)])
        .await;
    let go_server = env.go_server("t24", None).await;
    env.wait_state(&id, "completed", Duration::from_secs(5))
        .await;
    let t1 = now_unix();
    check_completed(&env, &id, t0, t1).await;
    go_server.stop().await;
}

// ---------------------------------------------------------------------------
// T25 Janitor.

/// T25: three Go-enqueued Retention(2s) tasks completed by a Go server (then stopped) are
/// removed (hash and `completed` entry) by a Rust-only server with a 1 s janitor interval, no
/// earlier than their expiry and within 2 s + the interval of completion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t25_rust_janitor_removes_go_completed_tasks() {
    let env = Env::start().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let id = env
            .go_enqueue(
                "brief",
                &GoBehaviour::default(),
                GoOptions {
                    retention_ms: Some(2000),
                    task_id: Some(format!("t25-{i}")),
                    ..GoOptions::default()
                },
            )
            .await;
        ids.push(id);
    }
    let go_server = env.go_server("t25", None).await;
    for id in &ids {
        env.wait_state(id, "completed", Duration::from_secs(5))
            .await;
    }
    go_server.stop().await;
    let mut expiry = 0;
    for id in &ids {
        let msg = env.msg(id).await;
        let score = env.score("completed", id).await.expect("completed entry");
        assert_eq!(score, msg.completed_at + 2, "{id}");
        expiry = expiry.max(score);
    }
    let listed = env.go.list_tasks("default", "completed").await.expect("Go");
    assert_eq!(listed.len(), 3);

    let config = Config {
        janitor_interval: Duration::from_secs(1),
        ..rust_config()
    };
    let server = env
        .rust_server(config, behaviour_handler(Calls::default()))
        .await;
    let janitor = 1;
    let removed_at = wait_for(
        Duration::from_secs(6),
        "the janitor removes the tasks",
        || async {
            let left = env.raw.zrange_withscores("asynq:{default}:completed").await;
            if !left.is_empty() {
                // Not before their expiry.
                let now = now_unix();
                assert!(
                    now <= expiry + janitor + 1,
                    "still there at {now}: {left:?}"
                );
                return None;
            }
            Some(now_unix())
        },
    )
    .await;
    assert!(
        removed_at >= expiry,
        "removed at {removed_at}, expiry {expiry}"
    );
    for id in &ids {
        assert!(!env.raw.exists(&task_key(id)).await, "{id} hash");
    }
    assert!(env
        .go
        .list_tasks("default", "completed")
        .await
        .expect("Go")
        .is_empty());
    assert_eq!(env.counters().await, (3, 0));
    server.shutdown().await;
}

// ---------------------------------------------------------------------------
// T26, the reverse direction at the wire level: the Rust side publishes a cancellation.

/// T26 reverse: `Broker::publish_cancellation` (what the Rust Inspector will call) publishes
/// the bare task ID on `asynq:cancel`; the Go handler's context is cancelled, and the Go
/// server retries the task with `context canceled`, retried 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t26_rust_published_cancel_stops_a_go_handler() {
    let env = Env::start().await;
    let id = env
        .rust_enqueue(
            "slow",
            &GoBehaviour::sleep(60_000),
            &[TaskOption::max_retry(3)],
        )
        .await;
    let go_server = env.go_server("t26", None).await;
    env.wait_state(&id, "active", Duration::from_secs(5)).await;
    wait_for(
        Duration::from_secs(5),
        "the Go server subscribes to asynq:cancel",
        || async {
            let reply = env.raw.cmd(&["PUBSUB", "NUMSUB", "asynq:cancel"]).await;
            let subscribers = reply.into_array().get(1).and_then(|v| v.as_i64());
            (subscribers == Some(1)).then_some(())
        },
    )
    .await;
    let broker = Broker::connect(env.opt.clone()).await.expect("broker");
    broker.publish_cancellation(&id).await.expect("publish");
    env.wait_state(&id, "retry", Duration::from_secs(5)).await;
    let msg = env.msg(&id).await;
    assert_eq!(
        (msg.retried, msg.error_msg.as_str()),
        (1, "context canceled")
    );
    assert_eq!(env.counters().await, (1, 1));
    let info = env.go.task_info("default", &id).await.expect("Go reads it");
    assert_eq!(info.last_err, "context canceled");
    let summary = go_server.stop().await;
    assert_eq!(summary.handled, 1);
}

// ---------------------------------------------------------------------------
// T09 Headers: the handler and retry parts.

/// T09: a Go `NewTaskWithHeaders` task reaches the Rust handler with its headers, and the
/// retried message keeps them; a Rust task with headers reaches the Go handler with them
/// (`task.Headers()`), and the message a Go server retries keeps them too (Go Inspector
/// `TaskInfo.Headers`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t09_headers_reach_handlers_and_survive_a_retry() {
    let env = Env::start().await;
    let want = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };

    // Go → Rust.
    let seen: Arc<Mutex<Vec<BTreeMap<String, String>>>> = Arc::default();
    let s = seen.clone();
    let handler = handler_fn(move |_ctx: TaskContext, task: Task| {
        let s = s.clone();
        async move {
            let headers = task.headers().iter().map(|(k, v)| (k.clone(), v.clone()));
            s.lock().expect("seen").push(headers.collect());
            Err(HandlerError::new("t09 boom"))
        }
    });
    let server = env.rust_server(rust_config(), handler).await;
    let go_task = GoTask::new("h", *b"p")
        .with_headers([("a", "1")])
        .with_options(GoOptions {
            max_retry: Some(3),
            ..GoOptions::default()
        });
    let id = env.go.enqueue_one(&go_task).await.expect("Go enqueue").id;
    env.wait_state(&id, "retry", Duration::from_secs(5)).await;
    server.shutdown().await;
    assert_eq!(*seen.lock().expect("seen"), vec![want(&[("a", "1")])]);
    let msg = env.msg(&id).await;
    assert_eq!((msg.retried, msg.error_msg.as_str()), (1, "t09 boom"));
    assert_eq!(
        msg.headers.into_iter().collect::<BTreeMap<_, _>>(),
        want(&[("a", "1")])
    );

    // Rust → Go.
    let task =
        Task::new("g", GoBehaviour::error("t09 go boom").payload()).with_headers([("x", "y")]);
    let id = env
        .client
        .enqueue(&task, &[TaskOption::max_retry(3)])
        .await
        .expect("Rust enqueue")
        .id;
    let go_server = env.go_server("t09", None).await;
    env.wait_state(&id, "retry", Duration::from_secs(5)).await;
    let handled = go_server.handled();
    let summary = go_server.stop().await;
    assert_eq!(summary.handled, 1);
    assert_eq!(handled.len(), 1);
    assert_eq!(handled[0].headers, want(&[("x", "y")]));
    assert_eq!(handled[0].outcome, "t09 go boom");
    let msg = env.msg(&id).await;
    assert_eq!(msg.retried, 1);
    assert_eq!(
        msg.headers.into_iter().collect::<BTreeMap<_, _>>(),
        want(&[("x", "y")])
    );
    let info = env.go.task_info("default", &id).await.expect("Go reads it");
    assert_eq!(info.headers, want(&[("x", "y")]));
}
