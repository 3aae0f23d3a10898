//! Inspector parity (wire-protocol.md §8.5, T40 to T48) and the Rust-Inspector directions of
//! T26 (cancel) and T27 (pause): the Rust `asynq_inspect::Inspector` and the Go v0.26.0
//! `asynq.Inspector` on the same Redis data, each reading and acting on state written by the
//! other side (Go client and server, Rust client, server and broker). Every test starts its own
//! Redis and checks the raw Redis state as well as what both Inspectors report, field by field.

mod common;

use common::{perform, wait_for, Env};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asynq_broker::Broker;
use asynq_client::{Task, TaskOption};
use asynq_inspect::{InspectError, Inspector, ListOptions, QueueInfo, TaskInfo};
use asynq_interop::{
    GoBehaviour, GoBulk, GoError, GoOptions, GoQueueInfo, GoServeOptions, GoServer, GoTask,
    GoTaskInfo,
};
use asynq_proto::TaskMessage;
use asynq_worker::{handler_fn, Config, Handler, HandlerError, Server, TaskContext};
use time::OffsetDateTime;

/// Retry delay of the servers here: long enough that a failed task stays in `retry`.
const RETRY_DELAY: Duration = Duration::from_secs(3600);

/// An hour, the unique TTL, retention and schedule offset of most tasks here.
const HOUR: Duration = Duration::from_secs(3600);
const HOUR_MS: i64 = 3_600_000;

/// A day in seconds.
const DAY: i64 = 86_400;

// ---------------------------------------------------------------------------
// Environment.

fn key(q: &str, suffix: &str) -> String {
    format!("asynq:{{{q}}}:{suffix}")
}

fn task_key(q: &str, id: &str) -> String {
    key(q, &format!("t:{id}"))
}

fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn unix(t: Option<OffsetDateTime>) -> Option<i64> {
    t.map(OffsetDateTime::unix_timestamp)
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).expect("duration in i64 ms")
}

impl Env {
    async fn inspector(&self) -> Inspector {
        Inspector::connect(self.opt.clone())
            .await
            .expect("Rust Inspector connects")
    }

    async fn broker(&self) -> Broker {
        Broker::connect(self.opt.clone()).await.expect("broker")
    }

    /// The `state` field of the task hash, `None` when there is no hash.
    async fn state(&self, q: &str, id: &str) -> Option<String> {
        self.raw
            .hget(&task_key(q, id), "state")
            .await
            .map(|s| String::from_utf8(s).expect("UTF-8 state"))
    }

    async fn wait_state(&self, q: &str, id: &str, state: Option<&str>) {
        wait_for(
            Duration::from_secs(10),
            &format!("{q}/{id} in state {state:?}"),
            || async { (self.state(q, id).await.as_deref() == state).then_some(()) },
        )
        .await;
    }

    /// The raw `msg` field of the task hash.
    async fn msg_bytes(&self, q: &str, id: &str) -> Vec<u8> {
        self.raw
            .hget(&task_key(q, id), "msg")
            .await
            .unwrap_or_else(|| panic!("task {q}/{id} has no msg"))
    }

    async fn msg(&self, q: &str, id: &str) -> TaskMessage {
        asynq_proto::decode_task_message(&self.msg_bytes(q, id).await).expect("msg decodes")
    }

    /// The field names of the task hash, sorted.
    async fn fields(&self, q: &str, id: &str) -> Vec<String> {
        self.raw
            .hgetall(&task_key(q, id))
            .await
            .into_keys()
            .collect()
    }

    async fn zscore(&self, q: &str, index: &str, id: &str) -> Option<i64> {
        self.raw.zscore(&key(q, index), id).await.map(|s| s as i64)
    }

    /// Rust `Client::enqueue`; the task ID.
    async fn rust_enqueue(&self, task: Task, opts: &[TaskOption]) -> String {
        self.client
            .enqueue(&task, opts)
            .await
            .unwrap_or_else(|e| panic!("Rust enqueue of {task:?}: {e}"))
            .id
    }

    /// Go `Client.Enqueue` of each task, all expected to succeed; the task IDs.
    async fn go_enqueue_all(&self, tasks: &[GoTask]) -> Vec<String> {
        self.go
            .enqueue(tasks)
            .await
            .into_iter()
            .map(|r| r.expect("Go enqueue").id)
            .collect()
    }

    async fn go_enqueue(&self, task: GoTask) -> String {
        self.go_enqueue_all(&[task]).await.remove(0)
    }

    /// A started Rust server on `queues` with short intervals and the fixed retry delay.
    async fn rust_server(&self, queues: &[&str], handler: impl Handler) -> Server {
        let config = Config {
            concurrency: 2,
            queues: queues.iter().map(|q| ((*q).to_owned(), 1)).collect(),
            task_check_interval: Duration::from_millis(50),
            delayed_task_check_interval: Duration::from_millis(100),
            shutdown_timeout: Duration::from_millis(500),
            ..Config::default()
        }
        .with_retry_delay_func(|_, _, _| RETRY_DELAY);
        let server = self.server(config).await;
        server.start(handler).expect("Rust server starts");
        server
    }

    /// A Go server on `queues` with short intervals and the fixed retry delay, logging to
    /// `<name>.log`.
    async fn go_server(&self, queues: &[&str], name: &str) -> GoServer {
        let mut opts = GoServeOptions {
            concurrency: 2,
            task_check_interval: Some(Duration::from_millis(100)),
            delayed_task_check_interval: Some(Duration::from_millis(100)),
            shutdown_timeout: Some(Duration::from_secs(1)),
            retry_delay: Some(RETRY_DELAY),
            log: Some(self.node.dir().join(format!("{name}.log"))),
            ..GoServeOptions::default()
        };
        for q in queues {
            opts = opts.queue(q, 1);
        }
        self.go.serve(opts).await
    }

    /// An active, leased task, taken from `q` the way a Rust worker takes it (the queue must
    /// have no other pending task).
    async fn make_active(&self, broker: &Broker, q: &str, id: &str) -> TaskMessage {
        let d = broker.dequeue(&[q.to_owned()]).await.expect("dequeue");
        assert_eq!(d.msg.id, id, "dequeued the expected task");
        d.msg
    }

    /// Names of the keys of queue `q` (with `{q}` written as `{Q}`), task hashes as
    /// `t:<state>`, and the names of the global keys mentioning `q`: what is left of a queue.
    async fn queue_keys(&self, q: &str) -> Vec<String> {
        let prefix = key(q, "");
        let mut out = Vec::new();
        for k in self.raw.keys(&format!("{prefix}*")).await {
            let rest = &k[prefix.len()..];
            if let Some(id) = rest.strip_prefix("t:") {
                let state = self.state(q, id).await.unwrap_or_default();
                out.push(format!("t:{state}"));
            } else if let Some(day) = rest
                .strip_prefix("processed:")
                .or_else(|| rest.strip_prefix("failed:"))
            {
                // The daily counters: keep the kind, not the date.
                let kind = rest.split(':').next().expect("kind");
                assert_eq!(day.len(), 10, "date of {k}");
                out.push(format!("{kind}:<date>"));
            } else {
                out.push(rest.to_owned());
            }
        }
        if self.raw.smembers("asynq:queues").await.contains(q) {
            out.push("(in asynq:queues)".to_owned());
        }
        out.sort();
        out
    }
}

fn go_task(q: &str, task_type: &str, payload: impl Into<Vec<u8>>, opts: GoOptions) -> GoTask {
    GoTask::new(task_type, payload).with_options(GoOptions {
        queue: Some(q.to_owned()),
        ..opts
    })
}

/// A Go `NewTask` on `q` with only a queue option.
fn go_plain(q: &str, task_type: &str, payload: impl Into<Vec<u8>>) -> GoTask {
    go_task(q, task_type, payload, GoOptions::default())
}

/// Waits until `cond` has held for `span` (checked every 20 ms); fails as soon as it does not.
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

// ---------------------------------------------------------------------------
// The Rust handler.

/// One invocation of the Rust handler.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    id: String,
    payload: Vec<u8>,
    headers: BTreeMap<String, String>,
    retried: i32,
    ok: bool,
}

type Calls = Arc<Mutex<Vec<Call>>>;

fn calls_for(calls: &Calls, id: &str) -> Vec<Call> {
    let calls = calls.lock().expect("calls");
    calls.iter().filter(|c| c.id == id).cloned().collect()
}

/// Payload of a task the handler fails on its first invocation (per task ID) and lets
/// succeed afterwards.
const FAIL_ONCE: &[u8] = b"fail-once";

/// Records every invocation, fails the first invocation of a [`FAIL_ONCE`] task with `first
/// attempt fails`, and otherwise does what the payload says in the Go serve handler's
/// language ([`GoBehaviour`]; a payload that is not such a JSON object succeeds).
fn recording_handler(calls: Calls) -> impl Handler {
    handler_fn(move |ctx: TaskContext, task: Task| {
        let calls = calls.clone();
        async move {
            let id = ctx.task_id().to_owned();
            let seen = calls_for(&calls, &id).len();
            let res = if task.payload() == FAIL_ONCE && seen == 0 {
                Err(HandlerError::new("first attempt fails"))
            } else {
                let b: GoBehaviour = serde_json::from_slice(task.payload()).unwrap_or_default();
                perform(&ctx, &b).await
            };
            calls.lock().expect("calls").push(Call {
                id,
                payload: task.payload().to_vec(),
                headers: task
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                retried: ctx.retry_count(),
                ok: res.is_ok(),
            });
            res
        }
    })
}

// ---------------------------------------------------------------------------
// Comparing what the two Inspectors report.

/// Every field of a TaskInfo in one comparable form (times in Unix seconds, durations in ms).
/// A nil Go payload and an empty Rust payload are both empty here: the Rust `TaskInfo` has no
/// nil payload.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Facts {
    id: String,
    queue: String,
    task_type: String,
    payload: Vec<u8>,
    headers: BTreeMap<String, String>,
    state: String,
    max_retry: i64,
    retried: i64,
    last_err: String,
    last_failed_at: Option<i64>,
    timeout_ms: i64,
    deadline: Option<i64>,
    group: String,
    next_process_at: Option<i64>,
    is_orphaned: bool,
    retention_ms: i64,
    completed_at: Option<i64>,
    result: Option<Vec<u8>>,
}

impl From<&GoTaskInfo> for Facts {
    fn from(t: &GoTaskInfo) -> Facts {
        Facts {
            id: t.id.clone(),
            queue: t.queue.clone(),
            task_type: t.task_type.clone(),
            payload: t.payload.clone().unwrap_or_default(),
            headers: t.headers.clone(),
            state: t.state.clone(),
            max_retry: t.max_retry,
            retried: t.retried,
            last_err: t.last_err.clone(),
            last_failed_at: t.last_failed_at,
            timeout_ms: t.timeout_ms,
            deadline: t.deadline,
            group: t.group.clone(),
            next_process_at: t.next_process_at,
            is_orphaned: t.is_orphaned,
            retention_ms: t.retention_ms,
            completed_at: t.completed_at,
            result: t.result.clone(),
        }
    }
}

impl From<&TaskInfo> for Facts {
    fn from(t: &TaskInfo) -> Facts {
        Facts {
            id: t.id.clone(),
            queue: t.queue.clone(),
            task_type: t.task_type.clone(),
            payload: t.payload.to_vec(),
            headers: t
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            state: t.state.as_str().to_owned(),
            max_retry: i64::from(t.max_retry),
            retried: i64::from(t.retried),
            last_err: t.last_err.clone(),
            last_failed_at: unix(t.last_failed_at),
            timeout_ms: ms(t.timeout),
            deadline: unix(t.deadline),
            group: t.group.clone(),
            next_process_at: unix(t.next_process_at),
            is_orphaned: t.is_orphaned,
            retention_ms: ms(t.retention),
            completed_at: unix(t.completed_at),
            result: t.result.as_ref().map(|r| r.to_vec()),
        }
    }
}

/// Asserts that the Rust Inspector's `rs` has every field of Go's `go`. A pending task's
/// NextProcessAt is "now" as each side reads it, so there the two may differ by 2 s.
fn assert_same(rs: &TaskInfo, go: &GoTaskInfo, what: &str) {
    let want = Facts::from(go);
    let mut got = Facts::from(rs);
    if want.state == "pending" {
        if let (Some(a), Some(b)) = (got.next_process_at, want.next_process_at) {
            assert!(
                (a - b).abs() <= 2,
                "{what}: pending next_process_at Rust {a} vs Go {b}"
            );
            got.next_process_at = want.next_process_at;
        }
    }
    assert_eq!(
        got, want,
        "{what}: Rust Inspector (left) vs Go Inspector (right)"
    );
}

/// The six listable states (aggregating is listed per group).
const STATES: [&str; 6] = [
    "pending",
    "active",
    "scheduled",
    "retry",
    "archived",
    "completed",
];

/// The Rust Inspector's `list_<state>_tasks`.
async fn rust_list(
    insp: &Inspector,
    q: &str,
    state: &str,
    opts: ListOptions,
) -> Result<Vec<TaskInfo>, InspectError> {
    match state {
        "pending" => insp.list_pending_tasks(q, opts).await,
        "active" => insp.list_active_tasks(q, opts).await,
        "scheduled" => insp.list_scheduled_tasks(q, opts).await,
        "retry" => insp.list_retry_tasks(q, opts).await,
        "archived" => insp.list_archived_tasks(q, opts).await,
        "completed" => insp.list_completed_tasks(q, opts).await,
        other => panic!("no listing for state {other}"),
    }
}

fn page(size: i64, page: i64) -> ListOptions {
    ListOptions::default().page_size(size).page(page)
}

/// Compares, field by field, everything the two Inspectors list in queue `q` (every state,
/// every group, in order) and what `GetTaskInfo` returns for each task. Returns the number of
/// tasks compared.
async fn compare_queue_tasks(env: &Env, insp: &Inspector, q: &str) -> usize {
    let mut ids: Vec<String> = Vec::new();
    for state in STATES {
        let go = env.go.list_tasks(q, state).await.expect("Go listing");
        let rs = rust_list(insp, q, state, page(1000, 1))
            .await
            .unwrap_or_else(|e| panic!("Rust list {state} tasks of {q}: {e}"));
        let go_ids: Vec<&str> = go.iter().map(|t| t.id.as_str()).collect();
        let rs_ids: Vec<&str> = rs.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(rs_ids, go_ids, "{q} {state} listing order: Rust vs Go");
        for (r, g) in rs.iter().zip(&go) {
            assert_same(r, g, &format!("List{state} {q}/{}", g.id));
        }
        ids.extend(go_ids.iter().map(|id| (*id).to_owned()));
    }
    let go_groups = env.go.groups(q).await.expect("Go Groups");
    let mut rs_groups: Vec<(String, i64)> = insp
        .groups(q)
        .await
        .expect("Rust groups")
        .into_iter()
        .map(|g| (g.group, g.size))
        .collect();
    rs_groups.sort();
    let go_pairs: Vec<(String, i64)> = go_groups
        .iter()
        .map(|g| (g.group.clone(), g.size))
        .collect();
    assert_eq!(rs_groups, go_pairs, "{q} groups: Rust vs Go");
    for (g, _) in &go_pairs {
        let go = env.go.list_aggregating(q, g).await.expect("Go aggregating");
        let rs = insp
            .list_aggregating_tasks(q, g, page(1000, 1))
            .await
            .expect("Rust aggregating");
        assert_eq!(rs.len(), go.len(), "{q} group {g} size");
        for (r, gt) in rs.iter().zip(&go) {
            assert_same(r, gt, &format!("ListAggregating {q}/{g}/{}", gt.id));
        }
        ids.extend(go.iter().map(|t| t.id.clone()));
    }
    for id in &ids {
        let go = env.go.task_info(q, id).await.expect("Go GetTaskInfo");
        let rs = insp
            .get_task_info(q, id)
            .await
            .unwrap_or_else(|e| panic!("Rust get_task_info {q}/{id}: {e}"));
        assert_same(&rs, &go, &format!("GetTaskInfo {q}/{id}"));
    }
    ids.len()
}

/// The exactly comparable part of a QueueInfo (all but MemoryUsage, Latency, Timestamp).
#[derive(Debug, Clone, PartialEq, Eq)]
struct QueueFacts {
    queue: String,
    size: i64,
    groups: i64,
    pending: i64,
    active: i64,
    scheduled: i64,
    retry: i64,
    archived: i64,
    completed: i64,
    aggregating: i64,
    processed: i64,
    failed: i64,
    processed_total: i64,
    failed_total: i64,
    paused: bool,
}

impl From<&GoQueueInfo> for QueueFacts {
    fn from(i: &GoQueueInfo) -> QueueFacts {
        QueueFacts {
            queue: i.queue.clone(),
            size: i.size,
            groups: i.groups,
            pending: i.pending,
            active: i.active,
            scheduled: i.scheduled,
            retry: i.retry,
            archived: i.archived,
            completed: i.completed,
            aggregating: i.aggregating,
            processed: i.processed,
            failed: i.failed,
            processed_total: i.processed_total,
            failed_total: i.failed_total,
            paused: i.paused,
        }
    }
}

impl From<&QueueInfo> for QueueFacts {
    fn from(i: &QueueInfo) -> QueueFacts {
        QueueFacts {
            queue: i.queue.clone(),
            size: i.size,
            groups: i.groups,
            pending: i.pending,
            active: i.active,
            scheduled: i.scheduled,
            retry: i.retry,
            archived: i.archived,
            completed: i.completed,
            aggregating: i.aggregating,
            processed: i.processed,
            failed: i.failed,
            processed_total: i.processed_total,
            failed_total: i.failed_total,
            paused: i.paused,
        }
    }
}

/// Go then Rust queue info of `q`; the counts must agree exactly, and the two latencies as far
/// as the time between the two reads allows. Returns both.
async fn compare_queue_info(env: &Env, insp: &Inspector, q: &str) -> (GoQueueInfo, QueueInfo) {
    let before = Instant::now();
    let go = env.go.queue_info(q).await.expect("Go GetQueueInfo");
    let rs = insp
        .get_queue_info(q)
        .await
        .unwrap_or_else(|e| panic!("Rust get_queue_info({q}): {e}"));
    let between = ms(before.elapsed());
    assert_eq!(
        QueueFacts::from(&rs),
        QueueFacts::from(&go),
        "QueueInfo of {q}: Rust (left) vs Go (right)"
    );
    let rs_latency = ms(rs.latency);
    assert!(
        go.latency_ms == 0 && rs_latency == 0
            || (go.latency_ms - 1..=go.latency_ms + between + 1).contains(&rs_latency),
        "latency of {q}: Rust {rs_latency} ms, Go {} ms ({between} ms apart)",
        go.latency_ms
    );
    println!(
        "MemoryUsage of {q}: Go {} bytes, Rust {} bytes",
        go.memory_usage, rs.memory_usage
    );
    assert!(go.memory_usage > 0, "Go MemoryUsage {}", go.memory_usage);
    assert!(rs.memory_usage > 0, "Rust memory_usage {}", rs.memory_usage);
    let ts = rs.timestamp.unix_timestamp();
    assert!((ts - now_unix()).abs() <= 5, "Rust timestamp {ts}");
    (go, rs)
}

/// Go's text for an error of code FailedPrecondition returned by a single-task method.
fn go_precondition(text: &str) -> String {
    format!("asynq: FAILED_PRECONDITION: {text}")
}

fn expect_precondition(res: Result<(), InspectError>, text: &str, what: &str) {
    match res {
        Err(InspectError::FailedPrecondition(m)) => assert_eq!(m, text, "{what}"),
        other => panic!("{what}: want FailedPrecondition({text:?}), got {other:?}"),
    }
}

fn expect_go_err<T: std::fmt::Debug>(res: Result<T, GoError>, what: &str) -> GoError {
    match res {
        Err(e) => e,
        Ok(v) => panic!("{what}: Go call succeeded with {v:?}"),
    }
}

// ---------------------------------------------------------------------------
// T40 Queue info parity.

/// T40: a queue with tasks in all seven states, written by a Go server (retry, archived,
/// completed, one success), a Rust server (the same), the Rust broker (an active task with
/// an expired lease, and a Go task requeued to the head of pending without `pending_since`),
/// the Go client and the Rust client (pending, scheduled, aggregating in two groups), paused
/// by Go. Go `GetQueueInfo` and Rust `get_queue_info` agree on every count, Size (with
/// completed), Groups, Paused, today's and all-time counters, and Latency 0 (the head has no
/// `pending_since`); MemoryUsage succeeds on both. Every task is listed in the same order and
/// read by `GetTaskInfo` with every field equal on both sides. Once the requeued head is
/// deleted, the latencies agree within the time between the two reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t40_queue_info_parity_over_all_seven_states() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let broker = env.broker().await;
    let q = "q40";

    // Written by a Go server.
    let go_server = env.go_server(&[q], "t40").await;
    let go_ids = env
        .go_enqueue_all(&[
            go_task(
                q,
                "go:retry",
                GoBehaviour::error("go fails").payload(),
                GoOptions {
                    max_retry: Some(3),
                    timeout_ms: Some(90_000),
                    ..GoOptions::default()
                },
            ),
            go_task(
                q,
                "go:archive",
                GoBehaviour::error("go gives up").payload(),
                GoOptions {
                    max_retry: Some(0),
                    deadline_unix: Some(now_unix() + 7200),
                    ..GoOptions::default()
                },
            ),
            go_task(
                q,
                "go:complete",
                GoBehaviour {
                    result: Some("go result".to_owned()),
                    ..GoBehaviour::default()
                }
                .payload(),
                GoOptions {
                    retention_ms: Some(HOUR_MS),
                    ..GoOptions::default()
                },
            )
            .with_headers([("from", "go")]),
            go_plain(q, "go:ok", GoBehaviour::default().payload()),
        ])
        .await;
    for (id, state) in go_ids
        .iter()
        .zip([Some("retry"), Some("archived"), Some("completed"), None])
    {
        env.wait_state(q, id, state).await;
    }
    go_server.stop().await;

    // Written by a Rust server.
    let calls = Calls::default();
    let server = env
        .rust_server(&[q], recording_handler(calls.clone()))
        .await;
    let b = |t: &str, p: Vec<u8>| Task::new(t.to_owned(), p);
    let rs_ids = [
        env.rust_enqueue(
            b("rs:retry", GoBehaviour::error("rust fails").payload()),
            &[
                TaskOption::queue(q),
                TaskOption::max_retry(3),
                TaskOption::timeout(Duration::from_secs(90)),
            ],
        )
        .await,
        env.rust_enqueue(
            b("rs:archive", GoBehaviour::error("rust gives up").payload()),
            &[
                TaskOption::queue(q),
                TaskOption::max_retry(0),
                TaskOption::deadline(OffsetDateTime::now_utc() + Duration::from_secs(7200)),
            ],
        )
        .await,
        env.rust_enqueue(
            b(
                "rs:complete",
                GoBehaviour {
                    result: Some("rust result".to_owned()),
                    ..GoBehaviour::default()
                }
                .payload(),
            )
            .with_headers([("from", "rust")]),
            &[TaskOption::queue(q), TaskOption::retention(HOUR)],
        )
        .await,
        env.rust_enqueue(
            b("rs:ok", GoBehaviour::default().payload()),
            &[TaskOption::queue(q)],
        )
        .await,
    ];
    for (id, state) in rs_ids
        .iter()
        .zip([Some("retry"), Some("archived"), Some("completed"), None])
    {
        env.wait_state(q, id, state).await;
    }
    server.shutdown().await;

    // An active task (lease already expired: orphaned), and a requeued head.
    let active = env
        .rust_enqueue(b("rs:active", b"a".to_vec()), &[TaskOption::queue(q)])
        .await;
    env.make_active(&broker, q, &active).await;
    env.raw
        .cmd(&[
            "ZADD",
            &key(q, "lease"),
            "XX",
            &(now_unix() - 5).to_string(),
            &active,
        ])
        .await;
    let requeued = env.go_enqueue(go_plain(q, "go:requeued", *b"r")).await;
    let msg = env.make_active(&broker, q, &requeued).await;
    broker.requeue(&msg).await.expect("requeue");

    // Pending, scheduled and aggregating, by both clients.
    let mut later = env
        .go_enqueue_all(&[
            go_plain(q, "go:pending", *b"p1"),
            go_task(
                q,
                "go:pending",
                *b"p2",
                GoOptions {
                    timeout_ms: Some(30_000),
                    deadline_unix: Some(now_unix() + 600),
                    max_retry: Some(7),
                    ..GoOptions::default()
                },
            )
            .with_headers([("k", "v")]),
            go_task(
                q,
                "go:scheduled",
                *b"s1",
                GoOptions {
                    process_in_ms: Some(HOUR_MS),
                    unique_ms: Some(HOUR_MS),
                    ..GoOptions::default()
                },
            ),
            go_task(
                q,
                "go:agg",
                *b"a1",
                GoOptions {
                    group: Some("ga".to_owned()),
                    ..GoOptions::default()
                },
            ),
            go_task(
                q,
                "go:agg",
                *b"a2",
                GoOptions {
                    group: Some("ga".to_owned()),
                    unique_ms: Some(HOUR_MS),
                    ..GoOptions::default()
                },
            ),
        ])
        .await;
    for (task, opts) in [
        (b("rs:pending", b"p3".to_vec()), vec![]),
        (
            b("rs:pending", Vec::new()).with_headers([("h", "1"), ("h2", "2")]),
            vec![TaskOption::max_retry(2), TaskOption::retention(HOUR)],
        ),
        (
            b("rs:scheduled", b"s2".to_vec()),
            vec![TaskOption::process_at(
                OffsetDateTime::now_utc() + Duration::from_secs(7200),
            )],
        ),
        (b("rs:agg", b"a3".to_vec()), vec![TaskOption::group("gb")]),
        (b("rs:agg", b"a4".to_vec()), vec![TaskOption::group("ga")]),
    ] {
        let mut all = vec![TaskOption::queue(q)];
        all.extend(opts);
        later.push(env.rust_enqueue(task, &all).await);
    }
    env.go.pause(q).await.expect("Go pause");

    // The head of pending is the requeued task, without pending_since.
    let pending = env.raw.lrange(&key(q, "pending")).await;
    assert_eq!(pending.last(), Some(&requeued), "requeued task at the head");
    assert_eq!(env.fields(q, &requeued).await, ["msg", "state"]);

    let (go, rs) = compare_queue_info(&env, &insp, q).await;
    let want = QueueFacts {
        queue: q.to_owned(),
        size: 5 + 1 + 2 + 2 + 2 + 2 + 4,
        groups: 2,
        pending: 5,
        active: 1,
        scheduled: 2,
        retry: 2,
        archived: 2,
        completed: 2,
        aggregating: 4,
        processed: 8,
        failed: 4,
        processed_total: 8,
        failed_total: 4,
        paused: true,
    };
    assert_eq!(QueueFacts::from(&go), want, "Go QueueInfo");
    assert_eq!((go.latency_ms, ms(rs.latency)), (0, 0), "no pending_since");
    let compared = compare_queue_tasks(&env, &insp, q).await;
    assert_eq!(compared, 18);
    let orphaned = insp
        .list_active_tasks(q, ListOptions::default())
        .await
        .expect("Rust active");
    assert!(orphaned[0].is_orphaned, "the expired lease is orphaned");

    // Without the requeued head, the latency is the oldest pending task's age.
    insp.delete_task(q, &requeued).await.expect("Rust delete");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (go, rs) = compare_queue_info(&env, &insp, q).await;
    assert!(go.latency_ms > 0 && rs.latency > Duration::ZERO, "{go:?}");
    assert_eq!((go.pending, go.size), (4, 17));
}

// ---------------------------------------------------------------------------
// T41 History.

/// T41: `processed:<d>` / `failed:<d>` seeded for today, yesterday and the day before (UTC).
/// Go `History(q, 7)` and Rust `history(q, 7)` agree entry by entry: today first, the same
/// UTC dates (and times within a few seconds), the seeded counts and zeros elsewhere. One day
/// gives only today. Both refuse 0 days with Go's text, and a missing queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t41_history_agrees_with_go() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let q = "q41";
    env.raw.cmd(&["SADD", "asynq:queues", q]).await;
    let day = |n: i64| {
        (OffsetDateTime::now_utc() - Duration::from_secs((n * DAY) as u64))
            .date()
            .to_string()
    };
    let seeded = [(0, 5, 2), (1, 7, 0), (2, 0, 3)];
    for (n, processed, failed) in seeded {
        let d = day(n);
        env.raw
            .cmd(&[
                "SET",
                &key(q, &format!("processed:{d}")),
                &processed.to_string(),
            ])
            .await;
        env.raw
            .cmd(&["SET", &key(q, &format!("failed:{d}")), &failed.to_string()])
            .await;
    }
    let today = day(0);

    let go = env.go.history(q, 7).await.expect("Go History");
    let rs = insp.history(q, 7).await.expect("Rust history");
    if day(0) != today {
        eprintln!("T41: the UTC date changed during the test; not comparing");
        return;
    }
    assert_eq!((go.len(), rs.len()), (7, 7));
    for (n, (g, r)) in go.iter().zip(&rs).enumerate() {
        let (processed, failed) = seeded
            .iter()
            .find(|s| s.0 == n as i64)
            .map_or((0, 0), |s| (s.1, s.2));
        assert_eq!(
            (g.queue.as_str(), g.processed, g.failed, g.day.as_str()),
            (q, processed, failed, day(n as i64).as_str()),
            "Go History entry {n}"
        );
        assert_eq!(
            (
                r.queue.as_str(),
                r.processed,
                r.failed,
                r.date.date().to_string()
            ),
            (q, g.processed, g.failed, g.day.clone()),
            "Rust history entry {n} vs Go"
        );
        assert_eq!(r.date.offset(), time::UtcOffset::UTC, "Rust date in UTC");
        let d = r.date.unix_timestamp() - g.date;
        assert!(
            (0..=5).contains(&d),
            "entry {n}: Rust date {} vs Go {}",
            r.date,
            g.date
        );
    }
    let one = insp.history(q, 1).await.expect("Rust history(1)");
    assert_eq!(one.len(), 1);
    assert_eq!((one[0].processed, one[0].failed), (5, 2));

    let go_err = expect_go_err(env.go.history(q, 0).await, "Go History(0)");
    assert_eq!(
        go_err.error,
        "FAILED_PRECONDITION: the number of days must be positive"
    );
    match insp.history(q, 0).await {
        Err(e) => assert_eq!(
            e.to_string(),
            "the number of days must be positive",
            "{e:?}"
        ),
        Ok(v) => panic!("Rust history(0) succeeded: {v:?}"),
    }
    let go_err = expect_go_err(env.go.history("nope", 7).await, "Go History(nope)");
    assert_eq!(go_err.error, "NOT_FOUND: queue \"nope\" does not exist");
    let err = insp
        .history("nope", 7)
        .await
        .expect_err("Rust history(nope)");
    assert!(
        matches!(err, InspectError::QueueNotFound(ref n) if n == "nope"),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------
// T42 List ordering & pagination.

/// T42: 75 archived tasks (40 Go-enqueued and archived with Go `ArchiveAllPendingTasks`, 35
/// Rust-enqueued and archived with Rust `archive_all_pending_tasks`), 75 pending and 75
/// scheduled tasks (distinct process-at times), enqueued alternately by the Go and the Rust
/// client. For page sizes 10, 30 and 100 and pages 1 to 4, Go and Rust list the same IDs in
/// the same order: pending oldest first, the ZSETs in ascending score order (as Redis orders
/// them, ties by member); the size-100 pages also agree field by field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t42_listing_order_and_pagination_agree() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let q = "q42";

    let to_archive: Vec<GoTask> = (0..40)
        .map(|i| go_plain(q, "go:archived", format!("a{i}")))
        .collect();
    env.go_enqueue_all(&to_archive).await;
    assert_eq!(env.go.bulk(GoBulk::Archive, q, "pending").await, Ok(40));
    for i in 0..35 {
        let task = Task::new("rs:archived", format!("b{i}"));
        env.rust_enqueue(task, &[TaskOption::queue(q)]).await;
    }
    assert_eq!(
        insp.archive_all_pending_tasks(q)
            .await
            .expect("Rust archive all"),
        35
    );

    let mut pending: Vec<String> = Vec::new();
    for chunk in 0..3 {
        if chunk % 2 == 0 {
            let tasks: Vec<GoTask> = (0..25)
                .map(|i| go_plain(q, "go:pending", format!("p{chunk}-{i}")))
                .collect();
            pending.extend(env.go_enqueue_all(&tasks).await);
        } else {
            for i in 0..25 {
                let task = Task::new("rs:pending", format!("p{chunk}-{i}"));
                pending.push(env.rust_enqueue(task, &[TaskOption::queue(q)]).await);
            }
        }
    }

    let base = now_unix() + 3600;
    let mut scheduled: Vec<(i64, String)> = Vec::new();
    let go_scheduled: Vec<GoTask> = (0..75)
        .filter(|i| i % 2 == 1)
        .map(|i| {
            go_task(
                q,
                "go:scheduled",
                format!("s{i}"),
                GoOptions {
                    process_at_unix: Some(base + i),
                    ..GoOptions::default()
                },
            )
        })
        .collect();
    let go_ids = env.go_enqueue_all(&go_scheduled).await;
    scheduled.extend((0..75).filter(|i| i % 2 == 1).zip(go_ids));
    for i in (0..75).filter(|i| i % 2 == 0) {
        let at = OffsetDateTime::from_unix_timestamp(base + i).expect("time");
        let task = Task::new("rs:scheduled", format!("s{i}"));
        let id = env
            .rust_enqueue(task, &[TaskOption::queue(q), TaskOption::process_at(at)])
            .await;
        scheduled.push((i, id));
    }
    scheduled.sort();
    let scheduled: Vec<String> = scheduled.into_iter().map(|(_, id)| id).collect();
    let archived: Vec<String> = env
        .raw
        .zrange_withscores(&key(q, "archived"))
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(archived.len(), 75);

    for (state, want) in [
        ("pending", &pending),
        ("scheduled", &scheduled),
        ("archived", &archived),
    ] {
        for size in [10usize, 30, 100] {
            for p in 1..=4usize {
                let go = env
                    .go
                    .list_tasks_page(q, state, size, p)
                    .await
                    .expect("Go listing");
                let rs = rust_list(&insp, q, state, page(size as i64, p as i64))
                    .await
                    .expect("Rust listing");
                let go_ids: Vec<&str> = go.iter().map(|t| t.id.as_str()).collect();
                let rs_ids: Vec<&str> = rs.iter().map(|t| t.id.as_str()).collect();
                let start = (size * (p - 1)).min(want.len());
                let end = (size * p).min(want.len());
                let expected: Vec<&str> = want[start..end].iter().map(String::as_str).collect();
                assert_eq!(go_ids, expected, "Go {state} size {size} page {p}");
                assert_eq!(rs_ids, go_ids, "Rust {state} size {size} page {p}");
                if size == 100 {
                    for (r, g) in rs.iter().zip(&go) {
                        assert_same(r, g, &format!("List{state} {}", g.id));
                    }
                }
            }
        }
    }
    let info = insp.get_queue_info(q).await.expect("Rust queue info");
    assert_eq!(
        (info.pending, info.scheduled, info.archived, info.size),
        (75, 75, 75, 225)
    );
}

// ---------------------------------------------------------------------------
// T43 RunTask.

/// T43, Go on Rust: a Rust-enqueued task archived by a Rust server (MaxRetry 0, the handler
/// fails its first attempt) is run with Go `RunTask`: pending, no `pending_since`, the message
/// byte for byte unchanged (retried 0, the error kept), and a Rust server then processes it
/// successfully. Go and Rust refuse RunTask on an active task ("task is already running") and
/// on a pending one ("task is already in pending state") with the same text, and report a
/// missing task or queue alike. A completed task (Rust-written) runs again with Go `RunTask`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t43_go_run_task_on_rust_tasks() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let broker = env.broker().await;
    let q = "q43";

    let calls = Calls::default();
    let server = env
        .rust_server(&[q], recording_handler(calls.clone()))
        .await;
    let id = env
        .rust_enqueue(
            Task::new("rs:run", FAIL_ONCE),
            &[TaskOption::queue(q), TaskOption::max_retry(0)],
        )
        .await;
    env.wait_state(q, &id, Some("archived")).await;
    server.shutdown().await;
    let before = env.msg_bytes(q, &id).await;
    let msg = env.msg(q, &id).await;
    assert_eq!(
        (msg.retried, msg.error_msg.as_str()),
        (0, "first attempt fails")
    );

    env.go.run_task(q, &id).await.expect("Go RunTask");
    assert_eq!(env.state(q, &id).await.as_deref(), Some("pending"));
    assert_eq!(
        env.fields(q, &id).await,
        ["msg", "state"],
        "no pending_since"
    );
    assert_eq!(env.msg_bytes(q, &id).await, before, "message unchanged");
    assert_eq!(env.raw.lrange(&key(q, "pending")).await, [id.as_str()]);
    assert!(env
        .raw
        .zrange_withscores(&key(q, "archived"))
        .await
        .is_empty());
    let rs = insp.get_task_info(q, &id).await.expect("Rust reads it");
    let go = env.go.task_info(q, &id).await.expect("Go reads it");
    assert_same(&rs, &go, "run task");
    assert_eq!(
        (rs.retried, rs.last_err.as_str()),
        (0, "first attempt fails")
    );

    let server = env
        .rust_server(&[q], recording_handler(calls.clone()))
        .await;
    env.wait_state(q, &id, None).await;
    server.shutdown().await;
    let seen = calls_for(&calls, &id);
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[1].ok && seen[1].retried == 0, "{seen:?}");

    // Errors: active, pending, missing task, missing queue.
    let active = env
        .rust_enqueue(Task::new("rs:active", &b"x"[..]), &[TaskOption::queue(q)])
        .await;
    env.make_active(&broker, q, &active).await;
    let pending = env
        .rust_enqueue(Task::new("rs:pending", &b"y"[..]), &[TaskOption::queue(q)])
        .await;
    for (id, text) in [
        (&active, "task is already running"),
        (&pending, "task is already in pending state"),
    ] {
        let e = expect_go_err(env.go.run_task(q, id).await, "Go RunTask");
        assert_eq!(e.error, go_precondition(text));
        expect_precondition(insp.run_task(q, id).await, text, "Rust run_task");
    }
    let e = expect_go_err(env.go.run_task(q, "nope").await, "Go RunTask(nope)");
    assert_eq!(e.kind, "task_not_found", "{e}");
    let err = insp
        .run_task(q, "nope")
        .await
        .expect_err("Rust run_task(nope)");
    assert!(err.is_task_not_found(), "{err:?}");
    let e = expect_go_err(env.go.run_task("nope", &id).await, "Go RunTask(queue nope)");
    assert_eq!(e.kind, "queue_not_found", "{e}");
    let err = insp
        .run_task("nope", &id)
        .await
        .expect_err("Rust run_task(queue nope)");
    assert!(err.is_queue_not_found(), "{err:?}");
    assert_eq!(env.state(q, &active).await.as_deref(), Some("active"));

    // Completed → pending.
    let qc = "q43c";
    let done = env
        .rust_enqueue(
            Task::new("rs:done", &b"c"[..]),
            &[TaskOption::queue(qc), TaskOption::retention(HOUR)],
        )
        .await;
    let msg = env.make_active(&broker, qc, &done).await;
    broker.mark_as_complete(&msg).await.expect("complete");
    let before = env.msg_bytes(qc, &done).await;
    env.go
        .run_task(qc, &done)
        .await
        .expect("Go RunTask on completed");
    assert_eq!(env.state(qc, &done).await.as_deref(), Some("pending"));
    assert_eq!(env.msg_bytes(qc, &done).await, before);
    assert!(env
        .raw
        .zrange_withscores(&key(qc, "completed"))
        .await
        .is_empty());
    assert_eq!(env.raw.lrange(&key(qc, "pending")).await, [done]);
}

/// T43, Rust on Go: a Go-enqueued task archived with Go `ArchiveTask` and a task completed by
/// a Go server are run with Rust `run_task`: pending, no `pending_since`, messages unchanged,
/// out of archived and completed; the Go server (its queue paused meanwhile) then processes
/// both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t43_rust_run_task_on_go_tasks() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let q = "q43g";
    let go_server = env.go_server(&[q], "t43").await;
    let done = env
        .go_enqueue(go_task(
            q,
            "go:done",
            *b"c",
            GoOptions {
                retention_ms: Some(HOUR_MS),
                ..GoOptions::default()
            },
        ))
        .await;
    env.wait_state(q, &done, Some("completed")).await;
    let archived = env
        .go_enqueue(go_task(
            q,
            "go:archived",
            *b"a",
            GoOptions {
                process_in_ms: Some(HOUR_MS),
                max_retry: Some(4),
                ..GoOptions::default()
            },
        ))
        .await;
    env.go
        .archive_task(q, &archived)
        .await
        .expect("Go ArchiveTask");
    assert_eq!(env.state(q, &archived).await.as_deref(), Some("archived"));
    env.go.pause(q).await.expect("Go pause");

    for id in [&archived, &done] {
        let before = env.msg_bytes(q, id).await;
        insp.run_task(q, id).await.expect("Rust run_task");
        assert_eq!(env.state(q, id).await.as_deref(), Some("pending"));
        assert_eq!(
            env.fields(q, id).await,
            ["msg", "state"],
            "no pending_since"
        );
        assert_eq!(env.msg_bytes(q, id).await, before, "message unchanged");
        let go = env.go.task_info(q, id).await.expect("Go reads it");
        let rs = insp.get_task_info(q, id).await.expect("Rust reads it");
        assert_same(&rs, &go, "after Rust run_task");
    }
    assert_eq!(
        env.raw.lrange(&key(q, "pending")).await,
        [done.clone(), archived.clone()]
    );
    assert!(env
        .raw
        .zrange_withscores(&key(q, "archived"))
        .await
        .is_empty());
    assert!(env
        .raw
        .zrange_withscores(&key(q, "completed"))
        .await
        .is_empty());

    env.go.unpause(q).await.expect("Go unpause");
    env.wait_state(q, &archived, None).await;
    wait_for(Duration::from_secs(10), "completed again", || async {
        let n = go_server.handled().iter().filter(|h| h.id == done).count();
        (n == 2 && env.state(q, &done).await.as_deref() == Some("completed")).then_some(())
    })
    .await;
    let log = go_server.handled();
    let ran = log
        .iter()
        .find(|h| h.id == archived)
        .expect("Go handled it");
    assert_eq!(
        (ran.retried, ran.max_retry, ran.outcome.as_str()),
        (0, 4, "ok")
    );
    go_server.stop().await;
}

// ---------------------------------------------------------------------------
// T44 ArchiveTask / DeleteTask.

/// T44: the Rust Inspector archives a Go-scheduled unique task and Go archives a
/// Rust-scheduled one: state archived, score now, the message byte for byte unchanged (no
/// error text, no last_failed_at), no counter created, the unique lock kept; both Inspectors
/// then read the same. Archiving again fails on both sides (already archived). DeleteTask of a
/// unique task, across sides, releases the lock only when it holds the task's ID (pending and
/// archived tasks). Deleting or archiving an active task fails with the same
/// FailedPrecondition text on both sides, and a missing task or queue is reported alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t44_archive_and_delete_task_across_sides() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let broker = env.broker().await;
    let q = "q44";

    let go_sched = env
        .go_enqueue(go_task(
            q,
            "go:sched",
            *b"g",
            GoOptions {
                process_in_ms: Some(HOUR_MS),
                unique_ms: Some(HOUR_MS),
                ..GoOptions::default()
            },
        ))
        .await;
    let rs_sched = env
        .rust_enqueue(
            Task::new("rs:sched", &b"r"[..]),
            &[
                TaskOption::queue(q),
                TaskOption::process_in(HOUR),
                TaskOption::unique(HOUR),
            ],
        )
        .await;
    for (id, by_rust) in [(&go_sched, true), (&rs_sched, false)] {
        let before = env.msg_bytes(q, id).await;
        let lock = env.msg(q, id).await.unique_key;
        let t0 = now_unix();
        if by_rust {
            insp.archive_task(q, id).await.expect("Rust archive_task");
        } else {
            env.go.archive_task(q, id).await.expect("Go ArchiveTask");
        }
        let t1 = now_unix();
        assert_eq!(env.state(q, id).await.as_deref(), Some("archived"));
        let score = env.zscore(q, "archived", id).await.expect("in archived");
        assert!(
            (t0..=t1).contains(&score),
            "score {score} not in {t0}..={t1}"
        );
        assert_eq!(env.zscore(q, "scheduled", id).await, None);
        assert_eq!(env.msg_bytes(q, id).await, before, "message not rewritten");
        assert_eq!(
            env.raw.get(&lock).await,
            Some(id.as_bytes().to_vec()),
            "lock kept"
        );
        let go = env.go.task_info(q, id).await.expect("Go reads it");
        let rs = insp.get_task_info(q, id).await.expect("Rust reads it");
        assert_same(&rs, &go, "archived");
        assert_eq!((go.last_err.as_str(), go.last_failed_at), ("", None));
    }
    assert!(env.raw.keys(&key(q, "processed*")).await.is_empty());
    assert!(env.raw.keys(&key(q, "failed*")).await.is_empty());

    match insp.archive_task(q, &rs_sched).await {
        Err(InspectError::TaskAlreadyArchived { queue, id }) => {
            assert_eq!((queue.as_str(), id.as_str()), (q, rs_sched.as_str()));
        }
        other => panic!("Rust archive of an archived task: {other:?}"),
    }
    let e = expect_go_err(
        env.go.archive_task(q, &go_sched).await,
        "Go ArchiveTask again",
    );
    assert_eq!(
        e.error,
        go_precondition(&format!(
            "task is already archived: id={go_sched}, queue={q}"
        ))
    );

    // DeleteTask and unique locks: Go-written deleted by Rust, and the other way round.
    let go_unique = |p: &str| {
        go_task(
            q,
            "go:unique",
            p,
            GoOptions {
                unique_ms: Some(HOUR_MS),
                ..GoOptions::default()
            },
        )
    };
    let go_own = env.go_enqueue(go_unique("own")).await;
    let go_other = env.go_enqueue(go_unique("other")).await;
    let rs_unique = |p: &'static str| {
        (
            Task::new("rs:unique", p),
            [TaskOption::queue(q), TaskOption::unique(HOUR)],
        )
    };
    let (t, o) = rs_unique("own");
    let rs_own = env.rust_enqueue(t, &o).await;
    let (t, o) = rs_unique("other");
    let rs_other = env.rust_enqueue(t, &o).await;
    for (own, other, by_rust) in [
        (&go_own, &go_other, true),
        (&rs_own, &rs_other, false),
        // Archived tasks, each side's own.
        (&go_sched, &rs_sched, true),
    ] {
        let own_lock = env.msg(q, own).await.unique_key;
        let other_lock = env.msg(q, other).await.unique_key;
        env.raw
            .cmd(&["SET", &other_lock, "other-id", "KEEPTTL"])
            .await;
        for id in [own, other] {
            if by_rust {
                insp.delete_task(q, id).await.expect("Rust delete_task");
            } else {
                env.go.delete_task(q, id).await.expect("Go DeleteTask");
            }
            assert_eq!(env.state(q, id).await, None, "hash deleted");
        }
        assert_eq!(env.raw.get(&own_lock).await, None, "own lock released");
        assert_eq!(
            env.raw.get(&other_lock).await,
            Some(b"other-id".to_vec()),
            "a lock held by another ID stays"
        );
        assert!(env.raw.ttl(&other_lock).await > 0);
    }
    assert!(env.raw.lrange(&key(q, "pending")).await.is_empty());
    assert!(env
        .raw
        .zrange_withscores(&key(q, "archived"))
        .await
        .is_empty());

    // Active tasks cannot be deleted or archived.
    let qa = "q44a";
    let active = env.go_enqueue(go_plain(qa, "go:active", *b"x")).await;
    env.make_active(&broker, qa, &active).await;
    let del = "cannot delete task in active state. use CancelProcessing instead.";
    let arch = "cannot archive task in active state. use CancelProcessing instead.";
    expect_precondition(
        insp.delete_task(qa, &active).await,
        del,
        "Rust delete active",
    );
    expect_precondition(
        insp.archive_task(qa, &active).await,
        arch,
        "Rust archive active",
    );
    let e = expect_go_err(env.go.delete_task(qa, &active).await, "Go delete active");
    assert_eq!(e.error, go_precondition(del));
    let e = expect_go_err(env.go.archive_task(qa, &active).await, "Go archive active");
    assert_eq!(e.error, go_precondition(arch));
    assert_eq!(env.state(qa, &active).await.as_deref(), Some("active"));
    assert_eq!(env.raw.lrange(&key(qa, "active")).await, [active.as_str()]);
    assert!(env.zscore(qa, "lease", &active).await.is_some());

    // Missing task, missing queue.
    for (what, go, rs) in [
        (
            "delete",
            env.go.delete_task(q, "nope").await,
            insp.delete_task(q, "nope").await,
        ),
        (
            "archive",
            env.go.archive_task(q, "nope").await,
            insp.archive_task(q, "nope").await,
        ),
    ] {
        assert_eq!(expect_go_err(go, what).kind, "task_not_found");
        assert!(rs.expect_err(what).is_task_not_found());
    }
    for (what, go, rs) in [
        (
            "delete",
            env.go.delete_task("nope", &active).await,
            insp.delete_task("nope", &active).await,
        ),
        (
            "archive",
            env.go.archive_task("nope", &active).await,
            insp.archive_task("nope", &active).await,
        ),
    ] {
        assert_eq!(expect_go_err(go, what).kind, "queue_not_found");
        assert!(rs.expect_err(what).is_queue_not_found());
    }
}

// ---------------------------------------------------------------------------
// T45 Delete-all unique handling.

/// Which side's client (and Inspector) wrote something, or which side's Inspector acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Go,
    Rust,
}

impl Side {
    fn other(self) -> Side {
        match self {
            Side::Go => Side::Rust,
            Side::Rust => Side::Go,
        }
    }
}

/// Enqueues a unique task (TTL 1 h) on `q` with `side`'s client: scheduled in an hour when
/// `later`, in `group` when given.
async fn enqueue_unique(
    env: &Env,
    side: Side,
    q: &str,
    payload: &str,
    later: bool,
    group: Option<&str>,
) -> String {
    match side {
        Side::Go => {
            env.go_enqueue(go_task(
                q,
                "unique",
                payload,
                GoOptions {
                    unique_ms: Some(HOUR_MS),
                    process_in_ms: later.then_some(HOUR_MS),
                    group: group.map(str::to_owned),
                    ..GoOptions::default()
                },
            ))
            .await
        }
        Side::Rust => {
            let mut opts = vec![TaskOption::queue(q), TaskOption::unique(HOUR)];
            if later {
                opts.push(TaskOption::process_in(HOUR));
            }
            opts.extend(group.map(TaskOption::group));
            env.rust_enqueue(Task::new("unique", payload.to_owned()), &opts)
                .await
        }
    }
}

/// The states of the T45 tasks; aggregating ones are in group `g`.
const T45_STATES: [&str; 5] = ["retry", "archived", "scheduled", "pending", "aggregating"];

/// Two unique tasks per state of [`T45_STATES`] in `q`, enqueued (and archived) by `side`;
/// retry tasks are failed by the Rust broker (Rust worker). The second task's lock is then
/// taken over by `other-id`. Returns the IDs per state.
async fn t45_setup(
    env: &Env,
    insp: &Inspector,
    broker: &Broker,
    q: &str,
    side: Side,
) -> Vec<[String; 2]> {
    let mut out = Vec::new();
    for state in T45_STATES {
        let mut ids = Vec::new();
        for n in 0..2 {
            let payload = format!("{state}-{n}");
            let later = state == "scheduled";
            let group = (state == "aggregating").then_some("g");
            let id = enqueue_unique(env, side, q, &payload, later, group).await;
            match state {
                "retry" => {
                    let msg = env.make_active(broker, q, &id).await;
                    let at = OffsetDateTime::now_utc() + HOUR;
                    broker.retry(&msg, at, "boom", true).await.expect("retry");
                }
                "archived" => match side {
                    Side::Go => env.go.archive_task(q, &id).await.expect("Go archive"),
                    Side::Rust => insp.archive_task(q, &id).await.expect("Rust archive"),
                },
                _ => {}
            }
            assert_eq!(env.state(q, &id).await.as_deref(), Some(state));
            ids.push(id);
        }
        let other_lock = env.msg(q, &ids[1]).await.unique_key;
        env.raw
            .cmd(&["SET", &other_lock, "other-id", "KEEPTTL"])
            .await;
        out.push([ids[0].clone(), ids[1].clone()]);
    }
    out
}

/// `side`'s DeleteAll method for `state` (group `g` for aggregating); the count.
async fn delete_all(env: &Env, insp: &Inspector, side: Side, q: &str, state: &str) -> i64 {
    match side {
        Side::Go if state == "aggregating" => env.go.bulk_group(GoBulk::Delete, q, "g").await,
        Side::Go => env.go.bulk(GoBulk::Delete, q, state).await,
        Side::Rust => Ok(match state {
            "pending" => insp.delete_all_pending_tasks(q).await,
            "scheduled" => insp.delete_all_scheduled_tasks(q).await,
            "retry" => insp.delete_all_retry_tasks(q).await,
            "archived" => insp.delete_all_archived_tasks(q).await,
            "completed" => insp.delete_all_completed_tasks(q).await,
            "aggregating" => insp.delete_all_aggregating_tasks(q, "g").await,
            other => panic!("no delete-all for {other}"),
        }
        .unwrap_or_else(|e| panic!("Rust delete all {state} of {q}: {e}"))),
    }
    .unwrap_or_else(|e| panic!("Go DeleteAll {state} of {q}: {e}"))
}

/// What one DeleteAll did in T45: (state, count, "own" when the lock owned by the first task
/// is left, the value left in the second task's lock).
type LockOutcome = (String, i64, Option<String>, Option<String>);

/// T45: the same unique tasks (two per state: retry, archived, scheduled, pending,
/// aggregating; the second one's lock taken over by another ID) written by Go in one queue and
/// by Rust in another; each queue is emptied state by state with the other side's DeleteAll
/// methods. Both sides delete every hash and index, release the locks their tasks own for
/// scheduled, retry and archived tasks, leave a lock owned by another ID, and (Go parity)
/// release none for pending and aggregating tasks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t45_delete_all_unique_locks_match_go() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let broker = env.broker().await;
    // (state, count, own lock value, other lock value) per deleting side.
    let mut results: Vec<Vec<LockOutcome>> = Vec::new();
    for (q, writer) in [("q45go", Side::Go), ("q45rs", Side::Rust)] {
        let ids = t45_setup(&env, &insp, &broker, q, writer).await;
        let mut locks = Vec::new();
        for pair in &ids {
            let own = env.msg(q, &pair[0]).await.unique_key;
            let other = env.msg(q, &pair[1]).await.unique_key;
            locks.push((own, other));
        }
        let mut got = Vec::new();
        for ((state, pair), (own, other)) in T45_STATES.iter().zip(&ids).zip(&locks) {
            let n = delete_all(&env, &insp, writer.other(), q, state).await;
            for id in pair {
                assert_eq!(env.state(q, id).await, None, "{q} {state} {id} hash");
            }
            let text = |v: Option<Vec<u8>>| v.map(|v| String::from_utf8(v).expect("UTF-8"));
            got.push((
                (*state).to_owned(),
                n,
                text(env.raw.get(own).await).map(|v| {
                    assert_eq!(v, pair[0], "{q} {state}: own lock value");
                    "own".to_owned()
                }),
                text(env.raw.get(other).await),
            ));
        }
        for index in ["pending", "scheduled", "retry", "archived", "g:g"] {
            assert!(!env.raw.exists(&key(q, index)).await, "{q} {index} left");
        }
        assert!(env.raw.smembers(&key(q, "groups")).await.is_empty());
        assert!(env.raw.keys(&key(q, "t:*")).await.is_empty());
        results.push(got);
    }
    let want: Vec<LockOutcome> = T45_STATES
        .iter()
        .map(|s| {
            let kept = matches!(*s, "pending" | "aggregating");
            (
                (*s).to_owned(),
                2,
                kept.then(|| "own".to_owned()),
                Some("other-id".to_owned()),
            )
        })
        .collect();
    assert_eq!(results[0], want, "Go-written tasks deleted by Rust");
    assert_eq!(results[1], want, "Rust-written tasks deleted by Go");
}

// ---------------------------------------------------------------------------
// T46 UpdateTaskPayload.

/// T46, Go on Rust: Go `UpdateTaskPayload` on a Rust scheduled task with headers and a unique
/// key: the message has the new payload, the same headers, unique key and everything else;
/// the hash keeps `unique_key` and the lock; both Inspectors read the new payload. A Rust
/// server later receives the new payload and the headers. On a pending task Go and Rust both
/// refuse with the same text; a missing task is reported alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t46_go_update_payload_of_a_rust_scheduled_task() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let q = "q46";
    let id = env
        .rust_enqueue(
            Task::new("rs:update", &b"old payload"[..]).with_headers([("h", "1"), ("x", "y")]),
            &[
                TaskOption::queue(q),
                TaskOption::unique(HOUR),
                TaskOption::process_in(Duration::from_secs(2)),
                TaskOption::max_retry(5),
            ],
        )
        .await;
    let before = env.msg(q, &id).await;
    let hash_before = env.raw.hgetall(&task_key(q, &id)).await;
    let score = env.zscore(q, "scheduled", &id).await;
    env.go
        .update_task_payload(q, &id, Some(b"new payload"))
        .await
        .expect("Go UpdateTaskPayload");
    let after = env.msg(q, &id).await;
    assert_eq!(
        after,
        TaskMessage {
            payload: b"new payload".to_vec().into(),
            ..before.clone()
        },
        "only the payload changed"
    );
    let hash = env.raw.hgetall(&task_key(q, &id)).await;
    assert_eq!(
        hash.keys().collect::<Vec<_>>(),
        hash_before.keys().collect::<Vec<_>>()
    );
    assert_eq!(hash["unique_key"], hash_before["unique_key"]);
    assert_eq!(hash["state"], b"scheduled");
    assert_eq!(env.zscore(q, "scheduled", &id).await, score);
    assert_eq!(
        env.raw.get(&before.unique_key).await,
        Some(id.as_bytes().to_vec())
    );
    let go = env.go.task_info(q, &id).await.expect("Go reads it");
    let rs = insp.get_task_info(q, &id).await.expect("Rust reads it");
    assert_same(&rs, &go, "updated");
    assert_eq!(&rs.payload[..], b"new payload");

    let calls = Calls::default();
    let server = env
        .rust_server(&[q], recording_handler(calls.clone()))
        .await;
    env.wait_state(q, &id, None).await;
    server.shutdown().await;
    let seen = calls_for(&calls, &id);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].payload, b"new payload");
    let headers: BTreeMap<String, String> = [("h", "1"), ("x", "y")]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into();
    assert_eq!(seen[0].headers, headers);
    assert_eq!(
        env.raw.get(&before.unique_key).await,
        None,
        "lock released on success"
    );

    // Not scheduled, or missing.
    let pending = env
        .rust_enqueue(
            Task::new("rs:pending", &b"p"[..]),
            &[TaskOption::queue("q46p")],
        )
        .await;
    let text = "cannot update task that is not in scheduled state.";
    let e = expect_go_err(
        env.go
            .update_task_payload("q46p", &pending, Some(b"x"))
            .await,
        "Go update of a pending task",
    );
    assert_eq!(e.error, go_precondition(text));
    expect_precondition(
        insp.update_task_payload("q46p", &pending, &b"x"[..]).await,
        text,
        "Rust update of a pending task",
    );
    assert_eq!(&env.msg("q46p", &pending).await.payload[..], b"p");
    let e = expect_go_err(
        env.go.update_task_payload("q46p", "nope", Some(b"x")).await,
        "Go update of a missing task",
    );
    assert_eq!(e.kind, "task_not_found", "{e}");
    let err = insp
        .update_task_payload("q46p", "nope", &b"x"[..])
        .await
        .expect_err("Rust update of a missing task");
    assert!(err.is_task_not_found(), "{err:?}");
}

/// T46, Rust on Go: Rust `update_task_payload` on a Go `NewTaskWithHeaders` scheduled unique
/// task: only the payload of the message changes, the hash keeps `unique_key`, Go reads the new
/// payload, and a Go server receives it with the headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t46_rust_update_payload_of_a_go_scheduled_task() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let q = "q46g";
    let id = env
        .go_enqueue(
            go_task(
                q,
                "go:update",
                *b"old",
                GoOptions {
                    unique_ms: Some(HOUR_MS),
                    process_in_ms: Some(2000),
                    ..GoOptions::default()
                },
            )
            .with_headers([("g", "2")]),
        )
        .await;
    let before = env.msg(q, &id).await;
    let hash_before = env.raw.hgetall(&task_key(q, &id)).await;
    insp.update_task_payload(q, &id, &b"rust new"[..])
        .await
        .expect("Rust update_task_payload");
    let after = env.msg(q, &id).await;
    assert_eq!(
        after,
        TaskMessage {
            payload: b"rust new".to_vec().into(),
            ..before.clone()
        }
    );
    let hash = env.raw.hgetall(&task_key(q, &id)).await;
    assert_eq!(
        hash.keys().collect::<Vec<_>>(),
        hash_before.keys().collect::<Vec<_>>()
    );
    assert_eq!(hash["unique_key"], hash_before["unique_key"]);
    let go = env.go.task_info(q, &id).await.expect("Go reads it");
    let rs = insp.get_task_info(q, &id).await.expect("Rust reads it");
    assert_same(&rs, &go, "updated by Rust");

    let go_server = env.go_server(&[q], "t46").await;
    env.wait_state(q, &id, None).await;
    let log = go_server.stop().await;
    assert_eq!(log.handled, 1);
    let log = asynq_interop::read_log(env.node.dir().join("t46.log"));
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].payload.as_str(), log[0].outcome.as_str()),
        ("rust new", "ok")
    );
    assert_eq!(
        log[0].headers,
        BTreeMap::from([("g".to_owned(), "2".to_owned())])
    );
}

// ---------------------------------------------------------------------------
// T47 DeleteQueue.

/// Queue `q` with, written by `side` (client and Inspector) and the Rust broker (worker
/// side): a retry task (counters +1/+1), a completed task (processed +1), an archived task, a
/// pending unique task (its lock), a scheduled task, two aggregating tasks in group `g`, and
/// the queue paused.
async fn t47_setup(env: &Env, insp: &Inspector, broker: &Broker, q: &str, side: Side) {
    let retry = enqueue_unique(env, side, q, "retry", false, None).await;
    env.raw
        .cmd(&["DEL", &env.msg(q, &retry).await.unique_key])
        .await;
    let msg = env.make_active(broker, q, &retry).await;
    let at = OffsetDateTime::now_utc() + HOUR;
    broker.retry(&msg, at, "boom", true).await.expect("retry");
    let done = match side {
        Side::Go => {
            env.go_enqueue(go_task(
                q,
                "done",
                *b"c",
                GoOptions {
                    retention_ms: Some(HOUR_MS),
                    ..GoOptions::default()
                },
            ))
            .await
        }
        Side::Rust => {
            env.rust_enqueue(
                Task::new("done", &b"c"[..]),
                &[TaskOption::queue(q), TaskOption::retention(HOUR)],
            )
            .await
        }
    };
    let msg = env.make_active(broker, q, &done).await;
    broker.mark_as_complete(&msg).await.expect("complete");
    let archived = enqueue_unique(env, side, q, "archived", false, None).await;
    env.raw
        .cmd(&["DEL", &env.msg(q, &archived).await.unique_key])
        .await;
    match side {
        Side::Go => env.go.archive_task(q, &archived).await.expect("Go archive"),
        Side::Rust => insp.archive_task(q, &archived).await.expect("Rust archive"),
    }
    enqueue_unique(env, side, q, "pending", false, None).await;
    let sched = enqueue_unique(env, side, q, "scheduled", true, None).await;
    env.raw
        .cmd(&["DEL", &env.msg(q, &sched).await.unique_key])
        .await;
    for p in ["a1", "a2"] {
        let id = enqueue_unique(env, side, q, p, false, Some("g")).await;
        env.raw
            .cmd(&["DEL", &env.msg(q, &id).await.unique_key])
            .await;
    }
    match side {
        Side::Go => env.go.pause(q).await.expect("Go pause"),
        Side::Rust => insp.pause_queue(q).await.expect("Rust pause"),
    }
}

/// T47: Go `DeleteQueue(q, false)` on a non-empty Rust-written queue fails with
/// ErrQueueNotEmpty, and Rust `delete_queue(q, false)` on a Go-written one with QueueNotEmpty;
/// with an active task, force fails on both sides with the same text, and the queue stays.
/// Force on idle queues with the same content (one written by Rust and deleted by Go, one
/// written by Go and deleted by Rust) leaves exactly the same keys: pending, scheduled, retry,
/// archived, their hashes and the queue's `asynq:queues` entry are gone, while completed
/// tasks, groups, counters, `paused` and the unique lock remain (Go parity). Non-force
/// succeeds on both sides on a queue that only holds completed tasks, and a missing queue is
/// reported alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t47_delete_queue_parity() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let broker = env.broker().await;

    // Not empty.
    let rs_task = env
        .rust_enqueue(Task::new("t", &b"r"[..]), &[TaskOption::queue("q47a")])
        .await;
    env.go_enqueue(go_plain("q47b", "t", *b"g")).await;
    let e = expect_go_err(env.go.delete_queue("q47a", false).await, "Go non-force");
    assert_eq!(
        (e.error.as_str(), e.kind.as_str()),
        ("queue is not empty: queue=\"q47a\"", "queue_not_empty")
    );
    for q in ["q47a", "q47b"] {
        match insp.delete_queue(q, false).await {
            Err(InspectError::QueueNotEmpty(name)) => assert_eq!(name, q),
            other => panic!("Rust delete_queue({q}, false): {other:?}"),
        }
    }

    // Active task, force.
    env.make_active(&broker, "q47a", &rs_task).await;
    let text = "cannot remove queue with active tasks";
    let e = expect_go_err(env.go.delete_queue("q47a", true).await, "Go force, active");
    assert_eq!(e.error, format!("FAILED_PRECONDITION: {text}"));
    match insp.delete_queue("q47a", true).await {
        Err(InspectError::FailedPrecondition(m)) => assert_eq!(m, text),
        other => panic!("Rust delete_queue force with an active task: {other:?}"),
    }
    assert!(env.raw.smembers("asynq:queues").await.contains("q47a"));
    assert_eq!(env.state("q47a", &rs_task).await.as_deref(), Some("active"));

    // Force on idle queues.
    let (by_go, by_rust) = ("q47go", "q47rs");
    t47_setup(&env, &insp, &broker, by_go, Side::Rust).await;
    t47_setup(&env, &insp, &broker, by_rust, Side::Go).await;
    let before = env.queue_keys(by_go).await;
    assert_eq!(before, env.queue_keys(by_rust).await, "the same content");
    env.go.delete_queue(by_go, true).await.expect("Go force");
    insp.delete_queue(by_rust, true).await.expect("Rust force");
    let left_go = env.queue_keys(by_go).await;
    let left_rust = env.queue_keys(by_rust).await;
    assert_eq!(left_rust, left_go, "what Rust (left) and Go (right) leave");
    let mut want = vec![
        "completed",
        "failed",
        "failed:<date>",
        "g:g",
        "groups",
        "paused",
        "processed",
        "processed:<date>",
        "t:aggregating",
        "t:aggregating",
        "t:completed",
    ];
    let lock = left_go
        .iter()
        .find(|k| k.starts_with("unique:"))
        .expect("the pending task's unique lock is left");
    want.push(lock);
    want.sort();
    assert_eq!(left_go, want);

    // Non-force on a queue with only completed tasks succeeds.
    for (q, side) in [("q47cg", Side::Go), ("q47cr", Side::Rust)] {
        let id = env
            .rust_enqueue(
                Task::new("t", &b"c"[..]),
                &[TaskOption::queue(q), TaskOption::retention(HOUR)],
            )
            .await;
        let msg = env.make_active(&broker, q, &id).await;
        broker.mark_as_complete(&msg).await.expect("complete");
        match side {
            Side::Go => env.go.delete_queue(q, false).await.expect("Go non-force"),
            Side::Rust => insp.delete_queue(q, false).await.expect("Rust non-force"),
        }
        assert!(!env.raw.smembers("asynq:queues").await.contains(q));
        assert_eq!(env.state(q, &id).await.as_deref(), Some("completed"));
    }

    let e = expect_go_err(env.go.delete_queue("nope", true).await, "Go missing queue");
    assert_eq!(e.kind, "queue_not_found", "{e}");
    let err = insp
        .delete_queue("nope", true)
        .await
        .expect_err("Rust missing queue");
    assert!(err.is_queue_not_found(), "{err:?}");
}

// ---------------------------------------------------------------------------
// T48 Archive trimming.

/// Writes archived tasks `(id, score)` into `q` directly: a hash with a decodable message
/// and `state` archived, and the archived ZSET entry.
async fn seed_archived(env: &Env, q: &str, entries: &[(String, i64)]) {
    use fred::prelude::*;
    let client = env.raw.client();
    for chunk in entries.chunks(2000) {
        let pipe = client.pipeline();
        for (id, _) in chunk {
            let msg = TaskMessage {
                id: id.clone(),
                queue: q.to_owned(),
                r#type: "seeded".to_owned(),
                error_msg: "seeded".to_owned(),
                ..TaskMessage::default()
            };
            let bytes = asynq_proto::encode(&msg);
            let fields: Vec<(&str, Value)> = vec![
                ("msg", Value::Bytes(bytes)),
                ("state", Value::from("archived")),
            ];
            let _: () = pipe
                .hset(task_key(q, id), fields)
                .await
                .expect("queue HSET");
        }
        let members: Vec<(f64, String)> = chunk
            .iter()
            .map(|(id, score)| (*score as f64, id.clone()))
            .collect();
        let _: () = pipe
            .zadd(key(q, "archived"), None, None, false, false, members)
            .await
            .expect("queue ZADD");
        let _: Vec<Value> = pipe.all().await.expect("seed pipeline");
    }
}

/// T48: 9,999 archived tasks (old but within 90 days) and a Rust worker archives one more:
/// 9,999 remain, the oldest is gone together with its hash, the next oldest and the new task
/// are there, and Go and Rust `GetQueueInfo` agree. In another queue, an entry archived 91
/// days ago is removed with its hash by the next worker archive while one of 89 days stays.
/// The Inspector archive trims the same way; the Rust Inspector also deletes the trimmed
/// hash (as its documentation says), while Go's `ArchiveTask` leaves it (the Go quirk of
/// §5.10).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t48_archive_trimming() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let now = now_unix();
    let (q, qa, qi, qg) = ("q48", "q48age", "q48insp", "q48go");

    let seeded: Vec<(String, i64)> = (0..9_999)
        .map(|i| (format!("old-{i:05}"), now - 10 * DAY + i))
        .collect();
    seed_archived(&env, q, &seeded).await;
    for qq in [qa, qi, qg] {
        seed_archived(
            &env,
            qq,
            &[
                ("x91".to_owned(), now - 91 * DAY),
                ("x89".to_owned(), now - 89 * DAY),
            ],
        )
        .await;
    }
    env.raw.cmd(&["SADD", "asynq:queues", q, qa, qi, qg]).await;

    let calls = Calls::default();
    let server = env
        .rust_server(&[q, qa], recording_handler(calls.clone()))
        .await;
    let fail = GoBehaviour::error("archive me").payload();
    let new = env
        .rust_enqueue(
            Task::new("t48", fail.clone()),
            &[TaskOption::queue(q), TaskOption::max_retry(0)],
        )
        .await;
    env.wait_state(q, &new, Some("archived")).await;
    let new_age = env
        .rust_enqueue(
            Task::new("t48", fail),
            &[TaskOption::queue(qa), TaskOption::max_retry(0)],
        )
        .await;
    env.wait_state(qa, &new_age, Some("archived")).await;
    server.shutdown().await;

    let archived = key(q, "archived");
    let card = env.raw.cmd(&["ZCARD", &archived]).await.as_i64();
    assert_eq!(card, Some(9_999));
    assert_eq!(env.zscore(q, "archived", "old-00000").await, None);
    assert!(
        !env.raw.exists(&task_key(q, "old-00000")).await,
        "trimmed hash deleted"
    );
    assert!(env.zscore(q, "archived", "old-00001").await.is_some());
    assert_eq!(env.state(q, "old-00001").await.as_deref(), Some("archived"));
    assert!(env.zscore(q, "archived", &new).await.is_some());
    let (go, _) = compare_queue_info(&env, &insp, q).await;
    assert_eq!((go.archived, go.size, go.failed), (9_999, 9_999, 1));

    let ids = |qq: &'static str| {
        let env = &env;
        async move {
            env.raw
                .zrange_withscores(&key(qq, "archived"))
                .await
                .into_iter()
                .map(|(id, _)| id)
                .collect::<BTreeSet<String>>()
        }
    };
    assert_eq!(
        ids(qa).await,
        BTreeSet::from(["x89".to_owned(), new_age.clone()])
    );
    assert!(
        !env.raw.exists(&task_key(qa, "x91")).await,
        "expired hash deleted"
    );
    assert!(env.raw.exists(&task_key(qa, "x89")).await);

    // The Inspector's archive trims too: Rust deletes the trimmed hash, Go leaves it.
    let p_rust = env
        .rust_enqueue(Task::new("t48", &b"i"[..]), &[TaskOption::queue(qi)])
        .await;
    insp.archive_task(qi, &p_rust)
        .await
        .expect("Rust archive_task");
    let p_go = env.go_enqueue(go_plain(qg, "t48", *b"i")).await;
    env.go
        .archive_task(qg, &p_go)
        .await
        .expect("Go ArchiveTask");
    assert_eq!(ids(qi).await, BTreeSet::from(["x89".to_owned(), p_rust]));
    assert_eq!(ids(qg).await, BTreeSet::from(["x89".to_owned(), p_go]));
    assert!(
        !env.raw.exists(&task_key(qi, "x91")).await,
        "Rust Inspector deletes the hash"
    );
    assert_eq!(
        env.state(qg, "x91").await.as_deref(),
        Some("archived"),
        "Go's ArchiveTask leaves the trimmed hash"
    );
}

// ---------------------------------------------------------------------------
// T26 and T27, the Rust Inspector directions.

/// T26: Rust `cancel_processing` stops a Go handler: the Go server's handler sees its context
/// cancelled, the task goes to retry with `context canceled`, and both Inspectors read it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t26_rust_inspector_cancel_stops_a_go_handler() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let q = "q26";
    let go_server = env.go_server(&[q], "t26").await;
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
    let id = env
        .rust_enqueue(
            Task::new("slow", GoBehaviour::sleep(60_000).payload()),
            &[TaskOption::queue(q), TaskOption::max_retry(3)],
        )
        .await;
    env.wait_state(q, &id, Some("active")).await;
    let asked = Instant::now();
    insp.cancel_processing(&id)
        .await
        .expect("Rust cancel_processing");
    env.wait_state(q, &id, Some("retry")).await;
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "{:?}",
        asked.elapsed()
    );
    let go = env.go.task_info(q, &id).await.expect("Go reads it");
    let rs = insp.get_task_info(q, &id).await.expect("Rust reads it");
    assert_same(&rs, &go, "cancelled");
    assert_eq!((rs.retried, rs.last_err.as_str()), (1, "context canceled"));
    let summary = go_server.stop().await;
    assert_eq!(summary.handled, 1);
    let log = asynq_interop::read_log(env.node.dir().join("t26.log"));
    assert_eq!(log[0].outcome, "context canceled");
}

/// T27: Rust `pause_queue` stops a Go server from taking tasks from that queue only (the
/// other queue is processed, the paused one's tasks stay pending), with the `paused` key
/// holding the pause time and no TTL, and Go `GetQueueInfo` reporting Paused. A second pause
/// and an unpause of a queue that is not paused fail with Go's texts. Rust `unpause_queue`
/// deletes the key and the Go server processes the tasks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t27_rust_pause_stops_a_go_server_on_that_queue_only() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let (q, low) = ("q27", "q27low");
    let go_server = env.go_server(&[q, low], "t27").await;

    let before = now_unix();
    insp.pause_queue(q).await.expect("Rust pause");
    let paused_at: i64 = String::from_utf8(env.raw.get(&key(q, "paused")).await.expect("key"))
        .expect("UTF-8")
        .parse()
        .expect("paused value is an integer");
    assert!(
        (before..=now_unix()).contains(&paused_at),
        "paused = {paused_at}"
    );
    assert_eq!(env.raw.ttl(&key(q, "paused")).await, -1);

    let tasks: Vec<GoTask> = [q, q, q, low, low, low]
        .iter()
        .enumerate()
        .map(|(i, qq)| go_plain(qq, "t27", format!("{i}")))
        .collect();
    let ids = env.go_enqueue_all(&tasks).await;
    let (paused_ids, low_ids) = ids.split_at(3);
    for id in low_ids {
        env.wait_state(low, id, None).await;
    }
    holds_for(
        Duration::from_millis(500),
        "nothing taken from q27",
        || async { go_server.handled().iter().all(|h| h.queue == low) },
    )
    .await;
    let mut pending = env.raw.lrange(&key(q, "pending")).await;
    pending.reverse();
    assert_eq!(pending, paused_ids);
    let info = env.go.queue_info(q).await.expect("Go queue info");
    assert!(info.paused && info.pending == 3, "{info:?}");
    assert!(insp.get_queue_info(q).await.expect("Rust info").paused);

    let go_err = expect_go_err(env.go.pause(q).await, "Go second pause");
    let rs_err = insp.pause_queue(q).await.expect_err("Rust second pause");
    assert_eq!(rs_err.to_string(), go_err.error, "{rs_err:?}");
    assert_eq!(go_err.error, format!("queue \"{q}\" is already paused"));

    insp.unpause_queue(q).await.expect("Rust unpause");
    assert!(!env.raw.exists(&key(q, "paused")).await);
    for id in paused_ids {
        env.wait_state(q, id, None).await;
    }
    let go_err = expect_go_err(env.go.unpause(q).await, "Go unpause again");
    let rs_err = insp.unpause_queue(q).await.expect_err("Rust unpause again");
    assert_eq!(rs_err.to_string(), go_err.error, "{rs_err:?}");
    assert_eq!(go_err.error, format!("queue \"{q}\" is not paused"));
    let summary = go_server.stop().await;
    assert_eq!(summary.handled, 6);
}

// ---------------------------------------------------------------------------
// Bulk methods and missing queues (T43 to T45, §5.1).

/// `side`'s bulk method `op` on the tasks of `state` in `q` (group `g` for aggregating).
async fn bulk(env: &Env, insp: &Inspector, side: Side, op: GoBulk, q: &str, state: &str) -> i64 {
    if op == GoBulk::Delete {
        return delete_all(env, insp, side, q, state).await;
    }
    if side == Side::Go {
        let res = if state == "aggregating" {
            env.go.bulk_group(op, q, "g").await
        } else {
            env.go.bulk(op, q, state).await
        };
        return res.unwrap_or_else(|e| panic!("Go {op:?} all {state} of {q}: {e}"));
    }
    match (op, state) {
        (GoBulk::Run, "scheduled") => insp.run_all_scheduled_tasks(q).await,
        (GoBulk::Run, "retry") => insp.run_all_retry_tasks(q).await,
        (GoBulk::Run, "archived") => insp.run_all_archived_tasks(q).await,
        (GoBulk::Run, "aggregating") => insp.run_all_aggregating_tasks(q, "g").await,
        (GoBulk::Archive, "pending") => insp.archive_all_pending_tasks(q).await,
        (GoBulk::Archive, "scheduled") => insp.archive_all_scheduled_tasks(q).await,
        (GoBulk::Archive, "retry") => insp.archive_all_retry_tasks(q).await,
        (GoBulk::Archive, "aggregating") => insp.archive_all_aggregating_tasks(q, "g").await,
        other => panic!("no bulk method {other:?}"),
    }
    .unwrap_or_else(|e| panic!("Rust {op:?} all {state} of {q}: {e}"))
}

/// Adds `n` tasks in `state` to `q` with `side`'s client, with IDs `<tag><state>-<i>` (the
/// same in every queue, so that Redis orders equal scores alike): pending, scheduled,
/// aggregating in group `g`, or retry and completed through the Rust broker (which needs `q`
/// to have no other pending task then).
async fn add_tasks(
    env: &Env,
    broker: &Broker,
    q: &str,
    side: Side,
    (state, n, tag): (&str, usize, &str),
) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let id = format!("{tag}{state}-{i}");
        let mut go = GoOptions {
            task_id: Some(id.clone()),
            ..GoOptions::default()
        };
        let mut rs = vec![TaskOption::queue(q), TaskOption::task_id(id.clone())];
        match state {
            "scheduled" => {
                go.process_in_ms = Some(HOUR_MS + i as i64 * 1000);
                rs.push(TaskOption::process_in(HOUR + Duration::from_secs(i as u64)));
            }
            "aggregating" => {
                go.group = Some("g".to_owned());
                rs.push(TaskOption::group("g"));
            }
            "completed" => {
                go.retention_ms = Some(HOUR_MS);
                rs.push(TaskOption::retention(HOUR));
            }
            _ => {}
        }
        match side {
            Side::Go => {
                env.go_enqueue(go_task(q, "bulk", id.clone(), go)).await;
            }
            Side::Rust => {
                env.rust_enqueue(Task::new("bulk", id.clone()), &rs).await;
            }
        }
        match state {
            "retry" => {
                let msg = env.make_active(broker, q, &id).await;
                let at = OffsetDateTime::now_utc() + HOUR + Duration::from_secs(i as u64);
                broker.retry(&msg, at, "boom", true).await.expect("retry");
            }
            "completed" => {
                let msg = env.make_active(broker, q, &id).await;
                broker.mark_as_complete(&msg).await.expect("complete");
            }
            _ => {}
        }
        ids.push(id);
    }
    ids
}

/// The IDs of `q` per index, each with its hash's state and sorted (the order of equal
/// scores depends on when each side ran), and pending in processing order.
async fn layout(env: &Env, q: &str) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let mut pending = env.raw.lrange(&key(q, "pending")).await;
    pending.reverse();
    let mut indexes = vec![("pending".to_owned(), pending.clone())];
    for index in ["scheduled", "retry", "archived", "completed", "g:g"] {
        let ids = env.raw.zrange_withscores(&key(q, index)).await;
        indexes.push((
            index.to_owned(),
            ids.into_iter().map(|(id, _)| id).collect(),
        ));
    }
    let mut out = Vec::new();
    for (index, ids) in indexes {
        let mut names = Vec::new();
        for id in ids {
            let state = env.state(q, &id).await.unwrap_or_default();
            names.push(format!("{id}:{state}"));
        }
        names.sort();
        out.push((index, names));
    }
    (pending, out)
}

/// The source index of a bulk method, in the order the method takes it: ascending score for
/// the ZSETs, processing order for pending.
async fn source_order(env: &Env, q: &str, state: &str) -> Vec<String> {
    if state == "pending" {
        let mut ids = env.raw.lrange(&key(q, "pending")).await;
        ids.reverse();
        return ids;
    }
    let index = if state == "aggregating" { "g:g" } else { state };
    let ids = env.raw.zrange_withscores(&key(q, index)).await;
    ids.into_iter().map(|(id, _)| id).collect()
}

/// The RunAll*, ArchiveAll* and DeleteAll* methods on the same content written by the other
/// side (one queue Rust-written and acted on by Go, one Go-written and acted on by Rust): the
/// same counts and the same tasks in each index, in the same state, after each call; the
/// RunAll methods append the tasks to pending in ascending score order (Go `runAllCmd`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t45_bulk_methods_agree_with_go() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let broker = env.broker().await;
    let queues = [("qbgo", Side::Go), ("qbrs", Side::Rust)];
    for (q, actor) in queues {
        let writer = actor.other();
        for spec in [
            ("retry", 2, ""),
            ("completed", 2, ""),
            ("scheduled", 3, ""),
            ("aggregating", 2, ""),
            ("pending", 2, "a-"),
        ] {
            add_tasks(&env, &broker, q, writer, spec).await;
        }
        // Two archived ones, archived by the writer's Inspector.
        for id in add_tasks(&env, &broker, q, writer, ("pending", 2, "b-")).await {
            match writer {
                Side::Go => env.go.archive_task(q, &id).await.expect("Go archive"),
                Side::Rust => insp.archive_task(q, &id).await.expect("Rust archive"),
            }
        }
    }
    let steps: [(GoBulk, &str, i64); 10] = [
        (GoBulk::Run, "retry", 2),
        (GoBulk::Archive, "scheduled", 3),
        (GoBulk::Run, "archived", 5),
        (GoBulk::Run, "scheduled", 0),
        (GoBulk::Archive, "aggregating", 2),
        (GoBulk::Archive, "pending", 9),
        (GoBulk::Run, "archived", 11),
        (GoBulk::Delete, "completed", 2),
        (GoBulk::Archive, "retry", 0),
        (GoBulk::Delete, "pending", 11),
    ];
    for (op, state, n) in steps {
        let mut layouts = Vec::new();
        for (q, actor) in queues {
            let (pending_before, _) = layout(&env, q).await;
            let source = source_order(&env, q, state).await;
            let got = bulk(&env, &insp, actor, op, q, state).await;
            assert_eq!(got, n, "{actor:?} {op:?} all {state} of {q}");
            let (pending, names) = layout(&env, q).await;
            if op == GoBulk::Run {
                let want: Vec<String> = pending_before.into_iter().chain(source).collect();
                assert_eq!(pending, want, "{actor:?} {op:?} all {state}: pending order");
            }
            layouts.push(names);
        }
        assert_eq!(
            layouts[1], layouts[0],
            "after {op:?} all {state}: Rust-acted (left) vs Go-acted (right)"
        );
    }
    // Aggregating again, then RunAllAggregating: the group and its name go.
    for (q, actor) in queues {
        add_tasks(&env, &broker, q, actor.other(), ("aggregating", 2, "c-")).await;
        let source = source_order(&env, q, "aggregating").await;
        assert_eq!(
            bulk(&env, &insp, actor, GoBulk::Run, q, "aggregating").await,
            2
        );
        assert_eq!(layout(&env, q).await.0, source);
        assert!(env.raw.smembers(&key(q, "groups")).await.is_empty());
        assert!(!env.raw.exists(&key(q, "g:g")).await);
        let go = env.go.list_tasks(q, "pending").await.expect("Go pending");
        let rs = insp
            .list_pending_tasks(q, page(100, 1))
            .await
            .expect("Rust pending");
        assert_eq!(rs.len(), 2);
        for (r, g) in rs.iter().zip(&go) {
            assert_same(r, g, "run from a group");
        }
    }
    assert_eq!(layout(&env, "qbrs").await.1, layout(&env, "qbgo").await.1);
}

/// §5.1: what each side reports for a queue that does not exist, method by method. Go returns
/// ErrQueueNotFound from GetTaskInfo and the listings, and its internal `NOT_FOUND` error
/// (not ErrQueueNotFound) from GetQueueInfo and the bulk methods; the Rust
/// Inspector returns QueueNotFound from all of them. Groups, Pause and Unpause do not check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t47_missing_queue_is_reported_alike() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let q = "missing";
    let not_found = "NOT_FOUND: queue \"missing\" does not exist";

    let e = expect_go_err(env.go.queue_info(q).await, "Go GetQueueInfo");
    assert_eq!(e.error, not_found);
    assert!(insp
        .get_queue_info(q)
        .await
        .expect_err("Rust")
        .is_queue_not_found());
    let e = expect_go_err(env.go.task_info(q, "x").await, "Go GetTaskInfo");
    assert_eq!(e.kind, "queue_not_found");
    assert!(insp
        .get_task_info(q, "x")
        .await
        .expect_err("Rust")
        .is_queue_not_found());
    for state in STATES {
        let e = expect_go_err(env.go.list_tasks(q, state).await, state);
        assert_eq!(e.kind, "queue_not_found", "Go List{state}");
        let err = rust_list(&insp, q, state, page(10, 1))
            .await
            .expect_err(state);
        assert!(err.is_queue_not_found(), "Rust list {state}: {err:?}");
    }
    let e = expect_go_err(env.go.list_aggregating(q, "g").await, "Go ListAggregating");
    assert_eq!(e.kind, "queue_not_found");
    let err = insp
        .list_aggregating_tasks(q, "g", page(10, 1))
        .await
        .expect_err("Rust list aggregating");
    assert!(err.is_queue_not_found(), "{err:?}");
    for (op, state) in [
        (GoBulk::Run, "scheduled"),
        (GoBulk::Archive, "pending"),
        (GoBulk::Delete, "archived"),
    ] {
        // Go wraps the error of its queue check once more, with a code that varies.
        let e = expect_go_err(env.go.bulk(op, q, state).await, "Go bulk");
        assert!(
            e.error
                .ends_with(": INTERNAL_ERROR: queue \"missing\" does not exist")
                && e.kind == "other",
            "Go {op:?} all {state}: {e}"
        );
    }
    assert!(insp
        .run_all_scheduled_tasks(q)
        .await
        .expect_err("Rust run all")
        .is_queue_not_found());
    assert!(insp
        .archive_all_pending_tasks(q)
        .await
        .expect_err("Rust archive all")
        .is_queue_not_found());
    assert!(insp
        .delete_all_archived_tasks(q)
        .await
        .expect_err("Rust delete all")
        .is_queue_not_found());

    assert_eq!(env.go.groups(q).await, Ok(Vec::new()));
    assert!(insp.groups(q).await.expect("Rust groups").is_empty());
    env.go.pause(q).await.expect("Go pause of a missing queue");
    insp.unpause_queue(q)
        .await
        .expect("Rust unpause of a missing queue");
    insp.pause_queue(q)
        .await
        .expect("Rust pause of a missing queue");
    env.go
        .unpause(q)
        .await
        .expect("Go unpause of a missing queue");
    assert!(env.raw.smembers("asynq:queues").await.is_empty());
}

/// T43 and T44 on aggregating tasks: RunTask, ArchiveTask and DeleteTask of group members,
/// Go-written ones by the Rust Inspector and Rust-written ones by Go. Each leaves the same
/// tasks in the same states on both sides, and a group left empty loses its name in
/// `groups` (and its ZSET).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t44_single_task_actions_on_group_members_agree() {
    let env = Env::start().await;
    let insp = env.inspector().await;
    let broker = env.broker().await;
    let queues = [("qggo", Side::Go), ("qgrs", Side::Rust)];
    for (q, actor) in queues {
        let ids = add_tasks(&env, &broker, q, actor.other(), ("aggregating", 3, "")).await;
        let act = |i: usize, what: &'static str| {
            let (env, insp, id) = (&env, &insp, ids[i].clone());
            async move {
                match (actor, what) {
                    (Side::Go, "run") => env.go.run_task(q, &id).await.expect("Go run"),
                    (Side::Go, "archive") => env.go.archive_task(q, &id).await.expect("Go archive"),
                    (Side::Go, _) => env.go.delete_task(q, &id).await.expect("Go delete"),
                    (Side::Rust, "run") => insp.run_task(q, &id).await.expect("Rust run"),
                    (Side::Rust, "archive") => {
                        insp.archive_task(q, &id).await.expect("Rust archive")
                    }
                    (Side::Rust, _) => insp.delete_task(q, &id).await.expect("Rust delete"),
                }
            }
        };
        act(0, "run").await;
        assert_eq!(env.raw.smembers(&key(q, "groups")).await.len(), 1);
        act(1, "archive").await;
        assert_eq!(env.raw.smembers(&key(q, "groups")).await.len(), 1);
        act(2, "delete").await;
        assert!(env.raw.smembers(&key(q, "groups")).await.is_empty(), "{q}");
        assert!(!env.raw.exists(&key(q, "g:g")).await, "{q}");
        assert_eq!(env.state(q, &ids[0]).await.as_deref(), Some("pending"));
        assert_eq!(env.state(q, &ids[1]).await.as_deref(), Some("archived"));
        assert_eq!(env.state(q, &ids[2]).await, None);
        compare_queue_tasks(&env, &insp, q).await;
    }
    assert_eq!(env.queue_keys("qgrs").await, env.queue_keys("qggo").await);
    assert_eq!(layout(&env, "qgrs").await, layout(&env, "qggo").await);
}
