//! Processing interop between the Rust worker (`asynq_worker::Server`) and Go hibiken/asynq
//! v0.26.0 (wire-protocol.md §8.2): Go-enqueued tasks processed by a Rust server and compared
//! with what a Go server leaves, Rust-enqueued tasks processed by a Go server, Go and Rust
//! servers draining the same queues, and a running Rust server seen and controlled through the
//! Go Inspector. Every test starts its own Redis and checks the raw Redis state and what the Go
//! Inspector reports.
//!
//! The Rust handler here speaks the payload language of the Go `serve` handler
//! ([`GoBehaviour`]: sleep, result, error, skip_retry, revoke, panic) and records each
//! invocation the way `serve --log` does, so the two servers can be compared task by task.

mod common;

use common::{perform, quiet_expected_panics, wait_for, Env};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asynq_client::{Task, TaskOption};
use asynq_interop::{
    GoAsynq, GoBehaviour, GoHandled, GoOptions, GoServeOptions, GoTask, GoTaskInfo,
};
use asynq_proto::TaskMessage;
use asynq_test_support::Raw;
use asynq_worker::{handler_fn, Config, Handler, TaskContext};
use md5::{Digest, Md5};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The queues of the mixed workloads, with the priorities both servers use.
const QUEUES: [(&str, i32); 3] = [("critical", 6), ("default", 3), ("low", 1)];

/// Seconds in 90 days: the expiry of the daily counters (§4.10).
const NINETY_DAYS: i64 = 7_776_000;

/// The fixed retry delay of both servers: long enough that retried tasks stay in `retry`.
const RETRY_DELAY: Duration = Duration::from_secs(3600);

/// What the Go serve handler and [`behaviour_handler`] panic with in the mix; the panic hook
/// installed by [`quiet_expected_panics`] does not print these.
const PANIC_MARK: &str = "expected panic";

// ---------------------------------------------------------------------------
// Environment.

impl Env {
    /// `asynq:{q}:processed` summed over [`QUEUES`].
    async fn processed_total(&self) -> i64 {
        let mut n = 0;
        for (q, _) in QUEUES {
            n += int(&self.raw, &format!("asynq:{{{q}}}:processed")).await;
        }
        n
    }

    /// Waits until `asynq:{q}:processed`, summed over the queues, is `n`.
    async fn wait_processed(&self, n: i64, limit: Duration) {
        wait_for(limit, &format!("{n} tasks processed"), || async {
            (self.processed_total().await == n).then_some(())
        })
        .await;
    }
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

fn queue_map() -> HashMap<String, i32> {
    QUEUES.iter().map(|&(q, p)| (q.to_owned(), p)).collect()
}

/// A Rust server config with short intervals and the fixed retry delay.
fn rust_config(concurrency: usize) -> Config {
    Config {
        concurrency,
        queues: queue_map(),
        task_check_interval: Duration::from_millis(100),
        delayed_task_check_interval: Duration::from_millis(200),
        shutdown_timeout: Duration::from_secs(2),
        ..Config::default()
    }
    .with_retry_delay_func(|_, _, _| RETRY_DELAY)
}

/// The Go server counterpart of [`rust_config`], logging to `log`.
fn go_serve_options(concurrency: usize, log: std::path::PathBuf) -> GoServeOptions {
    let mut opts = GoServeOptions {
        concurrency,
        task_check_interval: Some(Duration::from_millis(100)),
        delayed_task_check_interval: Some(Duration::from_millis(200)),
        shutdown_timeout: Some(Duration::from_secs(2)),
        retry_delay: Some(RETRY_DELAY),
        log: Some(log),
        ..GoServeOptions::default()
    };
    for (q, p) in QUEUES {
        opts = opts.queue(q, p);
    }
    opts
}

fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

// ---------------------------------------------------------------------------
// The Rust handler: the serve handler's payload language.

/// One handler invocation, as the Rust handler records it (the fields of [`GoHandled`] that
/// are compared).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    queue: String,
    retried: i64,
    outcome: String,
}

impl From<&GoHandled> for Call {
    fn from(h: &GoHandled) -> Call {
        Call {
            queue: h.queue.clone(),
            retried: h.retried,
            outcome: h.outcome.clone(),
        }
    }
}

/// Every invocation, in order, as (task ID, call).
type Calls = Arc<Mutex<Vec<(String, Call)>>>;

/// A handler that does what the payload says, exactly like the Go serve handler (sleep,
/// honouring cancellation; write the result; return the revoke, skip-retry or plain error, or
/// panic), and records the invocation in `calls` before returning. A payload that is not such
/// a JSON object succeeds.
fn behaviour_handler(calls: Calls) -> impl Handler {
    handler_fn(move |ctx: TaskContext, task: Task| {
        let calls = calls.clone();
        async move {
            let b: GoBehaviour = serde_json::from_slice(task.payload()).unwrap_or_default();
            let res = perform(&ctx, &b).await;
            let panic = b.panic.filter(|p| !p.is_empty());
            let outcome = match (&res, &panic) {
                (Ok(()), Some(p)) => format!("panic: {p}"),
                (Ok(()), None) => "ok".to_owned(),
                (Err(e), _) => e.to_string(),
            };
            let call = Call {
                queue: ctx.queue().to_owned(),
                retried: i64::from(ctx.retry_count()),
                outcome,
            };
            calls
                .lock()
                .expect("calls")
                .push((ctx.task_id().to_owned(), call));
            if let (Ok(()), Some(p)) = (&res, panic) {
                panic!("{p}");
            }
            res
        }
    })
}

/// Go's panic error text carries the panic's location, `panic error cause by: panic
/// [<file>:<line>]: <value>`; a Rust panic payload has none, so the Rust worker writes
/// `panic error cause by: panic: <value>` (Go's own form for an unknown location). This maps
/// the first form to the second; other texts are returned unchanged.
fn normalize_panic(text: &str) -> String {
    const LOCATED: &str = "panic error cause by: panic [";
    if let Some(start) = text.find(LOCATED) {
        let rest = &text[start + LOCATED.len()..];
        if let Some(end) = rest.find("]: ") {
            return format!(
                "{}panic error cause by: panic: {}",
                &text[..start],
                &rest[end + 3..]
            );
        }
    }
    text.to_owned()
}

// ---------------------------------------------------------------------------
// The mixed workload.

/// How a task of the mix ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Succeeded without retention, or revoked: the task hash is gone.
    Deleted,
    /// Succeeded with retention: kept in `completed`.
    Completed,
    /// Failed with retries left: in `retry` with retried = 1.
    Retry,
    /// Failed without retries left, or SkipRetry: in `archived`.
    Archived,
}

impl End {
    /// The state index (and hash `state`) the task ends in.
    fn index(self) -> Option<&'static str> {
        match self {
            End::Deleted => None,
            End::Completed => Some("completed"),
            End::Retry => Some("retry"),
            End::Archived => Some("archived"),
        }
    }
}

/// One task of the mix: how it is enqueued and what processing must leave.
#[derive(Debug, Clone, Default)]
struct MixTask {
    id: String,
    task_type: String,
    queue: String,
    payload: Option<Vec<u8>>,
    headers: Option<BTreeMap<String, String>>,
    max_retry: Option<i32>,
    timeout_ms: Option<i64>,
    deadline_unix: Option<i64>,
    unique_ms: Option<i64>,
    process_in_ms: Option<i64>,
    retention_ms: Option<i64>,
    /// What the handler returns, as the serve log writes it.
    outcome: String,
    end: Option<End>,
    /// The `error_msg` the task keeps (Go's panic text normalised, see [`normalize_panic`]).
    error_msg: String,
    /// The hash field `result` afterwards.
    result: Option<String>,
}

impl MixTask {
    fn end(&self) -> End {
        self.end.expect("end set")
    }

    /// The task for the Go `enqueue` subcommand.
    fn go_task(&self) -> GoTask {
        GoTask {
            task_type: self.task_type.clone(),
            payload: self.payload.clone(),
            headers: self.headers.clone(),
            options: GoOptions {
                max_retry: self.max_retry,
                queue: Some(self.queue.clone()),
                task_id: Some(self.id.clone()),
                timeout_ms: self.timeout_ms,
                deadline_unix: self.deadline_unix,
                unique_ms: self.unique_ms,
                process_in_ms: self.process_in_ms,
                retention_ms: self.retention_ms,
                ..GoOptions::default()
            },
        }
    }

    /// The task and options for the Rust client, the same as [`go_task`](Self::go_task).
    fn rust_task(&self) -> (Task, Vec<TaskOption>) {
        let mut task = match &self.payload {
            Some(p) => Task::new(self.task_type.clone(), p.clone()),
            None => Task::without_payload(self.task_type.clone()),
        };
        if let Some(h) = &self.headers {
            task = task.with_headers(h.clone());
        }
        let ms = |n: i64| Duration::from_millis(u64::try_from(n).expect("positive"));
        let mut opts = vec![
            TaskOption::task_id(self.id.clone()),
            TaskOption::queue(self.queue.clone()),
        ];
        opts.extend(self.max_retry.map(TaskOption::max_retry));
        opts.extend(self.timeout_ms.map(|n| TaskOption::timeout(ms(n))));
        opts.extend(self.deadline_unix.map(|s| {
            TaskOption::deadline(OffsetDateTime::from_unix_timestamp(s).expect("deadline"))
        }));
        opts.extend(self.unique_ms.map(|n| TaskOption::unique(ms(n))));
        opts.extend(self.process_in_ms.map(|n| TaskOption::process_in(ms(n))));
        opts.extend(self.retention_ms.map(|n| TaskOption::retention(ms(n))));
        (task, opts)
    }

    /// The unique lock key of this task, when it has one.
    fn unique_key(&self) -> Option<String> {
        self.unique_ms?;
        let sum = self
            .payload
            .as_ref()
            .map(|p| hex::encode(Md5::digest(p)))
            .unwrap_or_default();
        Some(format!(
            "asynq:{{{}}}:unique:{}:{sum}",
            self.queue, self.task_type
        ))
    }

    /// `max_retry` as stored: the option, or Go's default 25.
    fn retry(&self) -> i32 {
        self.max_retry.unwrap_or(25)
    }
}

/// `n` tasks with IDs `<prefix>-0000`...: every handler behaviour and enqueue option, over
/// the three queues. Per 20 tasks, kinds 0 to 19 below; kind 19 is a Deadline task in one
/// round of five (deadline `deadline_unix`, so the handler is still sleeping when it passes)
/// and a failing task with retention otherwise.
fn mix(prefix: &str, n: usize, deadline_unix: i64) -> Vec<MixTask> {
    let hour = 3_600_000;
    (0..n)
        .map(|i| {
            let mut t = MixTask {
                id: format!("{prefix}-{i:04}"),
                queue: QUEUES[i % QUEUES.len()].0.to_owned(),
                ..MixTask::default()
            };
            let round = i / 20;
            let mut b = GoBehaviour::default();
            let headers = |pairs: &[(&str, String)]| {
                Some(
                    pairs
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), v.clone()))
                        .collect::<BTreeMap<_, _>>(),
                )
            };
            let (task_type, end) = match i % 20 {
                0 => ("ok:nil", End::Deleted),
                1 => {
                    t.payload = Some(format!("plain text {i}").into_bytes());
                    ("ok:text", End::Deleted)
                }
                2 => {
                    t.headers = headers(&[("trace", format!("tr-{i}")), ("lang", "en".into())]);
                    ("ok:headers", End::Deleted)
                }
                3 => {
                    b.sleep_ms = Some(30);
                    t.max_retry = Some(0);
                    ("ok:sleep", End::Deleted)
                }
                4 => {
                    b.result = Some(format!("result {i}"));
                    t.retention_ms = Some(hour);
                    ("result:kept", End::Completed)
                }
                5 => {
                    t.retention_ms = Some(2 * hour);
                    t.headers = headers(&[("kept", format!("{i}"))]);
                    ("ok:kept", End::Completed)
                }
                6 => {
                    b.result = Some(format!("dropped {i}"));
                    ("result:dropped", End::Deleted)
                }
                7 => {
                    b.error = Some(format!("error {i}"));
                    t.max_retry = Some(1 + (round % 3) as i32);
                    t.headers = headers(&[("attempt", format!("a{i}"))]);
                    ("error:retry", End::Retry)
                }
                8 => {
                    b.error = Some(format!("fatal {i}"));
                    t.max_retry = Some(0);
                    ("error:archive", End::Archived)
                }
                9 => {
                    b.error = Some(format!("skip {i}"));
                    b.skip_retry = true;
                    t.max_retry = Some(3);
                    ("skip", End::Archived)
                }
                10 => {
                    b.error = Some(format!("revoked {i}"));
                    b.revoke = true;
                    t.unique_ms = Some(hour);
                    t.retention_ms = Some(hour);
                    ("revoke:unique", End::Deleted)
                }
                11 => {
                    b.revoke = true;
                    ("revoke", End::Deleted)
                }
                12 => {
                    b.result = Some(format!("unique {i}"));
                    t.unique_ms = Some(hour);
                    ("unique:ok", End::Deleted)
                }
                13 => {
                    b.error = Some(format!("unique error {i}"));
                    t.unique_ms = Some(hour);
                    t.max_retry = Some(2);
                    ("unique:error", End::Retry)
                }
                14 => {
                    b.panic = Some(format!("{PANIC_MARK} {i}"));
                    let retries = (round % 2) as i32;
                    t.max_retry = Some(retries);
                    let end = if retries == 0 {
                        End::Archived
                    } else {
                        End::Retry
                    };
                    ("panic", end)
                }
                15 => {
                    b.sleep_ms = Some(10_000);
                    t.timeout_ms = Some(1000);
                    t.max_retry = Some(3);
                    ("timeout", End::Retry)
                }
                16 => {
                    b.result = Some(format!("later {i}"));
                    t.process_in_ms = Some(1500);
                    t.retention_ms = Some(hour);
                    ("later:kept", End::Completed)
                }
                17 => {
                    b.error = Some(format!("later error {i}"));
                    t.process_in_ms = Some(1500);
                    t.max_retry = Some(1);
                    t.headers = headers(&[("later", "yes".into())]);
                    ("later:error", End::Retry)
                }
                18 => {
                    b.result = Some(format!("partial {i}"));
                    b.error = Some(format!("after result {i}"));
                    t.max_retry = Some(5);
                    t.headers = headers(&[("r", format!("{i}"))]);
                    ("result:error", End::Retry)
                }
                _ if round % 5 == 4 => {
                    b.sleep_ms = Some(60_000);
                    t.timeout_ms = Some(hour);
                    t.deadline_unix = Some(deadline_unix);
                    t.max_retry = Some(0);
                    ("deadline", End::Archived)
                }
                _ => {
                    b.error = Some(format!("kept error {i}"));
                    t.retention_ms = Some(hour);
                    t.max_retry = Some(0);
                    ("retention:error", End::Archived)
                }
            };
            t.task_type = task_type.to_owned();
            if i % 20 != 0 && i % 20 != 1 {
                t.payload = Some(b.payload());
            }
            t.outcome = expected_outcome(&b, task_type);
            t.error_msg = match end {
                End::Retry | End::Archived => match &b.panic {
                    Some(p) => format!("panic error cause by: panic: {p}"),
                    None => t.outcome.clone(),
                },
                _ => String::new(),
            };
            t.result = b.result.clone();
            t.end = Some(end);
            t
        })
        .collect()
}

/// The handler's return as the serve log writes it.
fn expected_outcome(b: &GoBehaviour, task_type: &str) -> String {
    if matches!(task_type, "timeout" | "deadline") {
        return "context deadline exceeded".to_owned();
    }
    let text = b.error.clone().unwrap_or_default();
    let suffix = if b.revoke {
        Some("revoke task")
    } else if b.skip_retry {
        Some("skip retry for the task")
    } else {
        None
    };
    match (suffix, text.is_empty()) {
        (Some(s), true) => s.to_owned(),
        (Some(s), false) => format!("{text}: {s}"),
        (None, false) => text,
        (None, true) => match &b.panic {
            Some(p) => format!("panic: {p}"),
            None => "ok".to_owned(),
        },
    }
}

/// The invocations the mix expects: one per task, on the first attempt.
fn expected_calls(mix: &[MixTask]) -> BTreeMap<String, Call> {
    mix.iter()
        .map(|t| {
            let call = Call {
                queue: t.queue.clone(),
                retried: 0,
                outcome: t.outcome.clone(),
            };
            (t.id.clone(), call)
        })
        .collect()
}

/// Calls by task ID; panics on a task handled twice.
fn calls_by_id(calls: impl IntoIterator<Item = (String, Call)>) -> BTreeMap<String, Call> {
    let mut by_id = BTreeMap::new();
    for (id, call) in calls {
        if let Some(first) = by_id.insert(id.clone(), call.clone()) {
            panic!("task {id} handled twice: {first:?}, then {call:?}");
        }
    }
    by_id
}

/// Asserts that `got` has exactly the invocations `want`, naming the first differences.
fn assert_calls(what: &str, got: &BTreeMap<String, Call>, want: &BTreeMap<String, Call>) {
    let diffs: Vec<String> = want
        .iter()
        .filter(|(id, c)| got.get(*id) != Some(c))
        .map(|(id, c)| format!("{id}: want {c:?}, got {:?}", got.get(id)))
        .chain(
            got.keys()
                .filter(|id| !want.contains_key(*id))
                .map(|id| format!("{id}: unexpected")),
        )
        .take(10)
        .collect();
    assert!(diffs.is_empty(), "{what}: invocations differ:\n{diffs:#?}");
}

// ---------------------------------------------------------------------------
// End state.

/// One task as Redis holds it.
#[derive(Debug, Clone, PartialEq)]
struct TaskSnap {
    queue: String,
    /// The list or sorted set listing the ID.
    index: &'static str,
    /// Its score there (`None` for lists).
    score: Option<f64>,
    /// The hash's field names.
    fields: Vec<String>,
    state: Option<String>,
    result: Option<Vec<u8>>,
    msg: TaskMessage,
}

impl TaskSnap {
    /// Without the times: scores dropped, `last_failed_at` and `completed_at` reduced to
    /// 0 / 1 (unset / set), Go's panic location removed from `error_msg`.
    fn untimed(&self) -> TaskSnap {
        let mut s = self.clone();
        s.score = s.score.map(|_| 0.0);
        s.msg.last_failed_at = i64::from(s.msg.last_failed_at != 0);
        s.msg.completed_at = i64::from(s.msg.completed_at != 0);
        s.msg.error_msg = normalize_panic(&s.msg.error_msg);
        s
    }
}

/// Everything processing left in Redis.
#[derive(Debug)]
struct Snapshot {
    tasks: BTreeMap<String, TaskSnap>,
    /// `KEYS asynq:*`.
    keys: Vec<String>,
    /// Unique lock key → owner task ID.
    unique: BTreeMap<String, String>,
    /// Counter key (`asynq:{q}:processed`, `...:failed:<date>`, ...) → value.
    counters: BTreeMap<String, i64>,
}

impl Snapshot {
    /// A counter summed over the keys `asynq:{q}:<kind>` (`daily` false) or
    /// `asynq:{q}:<kind>:<date>` (`daily` true).
    fn counter(&self, q: &str, kind: &str, daily: bool) -> i64 {
        let total = format!("asynq:{{{q}}}:{kind}");
        let prefix = format!("{total}:");
        self.counters
            .iter()
            .filter(|(k, _)| {
                if daily {
                    k.starts_with(&prefix)
                } else {
                    **k == total
                }
            })
            .map(|(_, v)| v)
            .sum()
    }
}

/// Reads the end state of [`QUEUES`]. Asserts on the way that every ID is listed in one index
/// only (the lease set mirrors `active`), that every listed ID has a hash and every task hash
/// is listed, and that the daily counters expire in about 90 days.
async fn snapshot(raw: &Raw) -> Snapshot {
    let keys = raw.keys("asynq:*").await;
    let mut listed: BTreeMap<String, (String, &'static str, Option<f64>)> = BTreeMap::new();
    let mut add = |id: String, q: &str, index: &'static str, score: Option<f64>| {
        if let Some(prev) = listed.insert(id.clone(), (q.to_owned(), index, score)) {
            panic!("{id} listed in {q}/{index} and in {}/{}", prev.0, prev.1);
        }
    };
    for (q, _) in QUEUES {
        let active = raw.lrange(&format!("asynq:{{{q}}}:active")).await;
        let mut lease: Vec<String> = raw
            .zrange_withscores(&format!("asynq:{{{q}}}:lease"))
            .await
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let mut sorted_active = active.clone();
        sorted_active.sort();
        lease.sort();
        assert_eq!(lease, sorted_active, "asynq:{{{q}}}:lease mirrors active");
        for id in active {
            add(id, q, "active", None);
        }
        for id in raw.lrange(&format!("asynq:{{{q}}}:pending")).await {
            add(id, q, "pending", None);
        }
        for index in ["scheduled", "retry", "archived", "completed"] {
            let key = format!("asynq:{{{q}}}:{index}");
            for (id, score) in raw.zrange_withscores(&key).await {
                add(id, q, index, Some(score));
            }
        }
    }
    for key in keys.iter().filter(|k| k.contains("}:t:")) {
        let (q, id) = key
            .strip_prefix("asynq:{")
            .and_then(|k| k.split_once("}:t:"))
            .unwrap_or_else(|| panic!("odd task key {key}"));
        let entry = listed.get(id);
        assert!(
            entry.is_some_and(|(lq, _, _)| lq == q),
            "task hash {key} is in no index of its queue ({entry:?})"
        );
    }
    let mut tasks = BTreeMap::new();
    for (id, (q, index, score)) in listed {
        let mut hash = raw.hgetall(&format!("asynq:{{{q}}}:t:{id}")).await;
        let msg = hash
            .get("msg")
            .unwrap_or_else(|| panic!("{q}/{index} lists {id}, which has no hash: {hash:?}"));
        let msg = asynq_proto::decode_task_message(msg).expect("msg decodes");
        let fields = hash.keys().cloned().collect();
        let state = hash
            .remove("state")
            .map(|s| String::from_utf8(s).expect("UTF-8 state"));
        let snap = TaskSnap {
            queue: q,
            index,
            score,
            fields,
            state,
            result: hash.remove("result"),
            msg,
        };
        tasks.insert(id, snap);
    }
    let mut unique = BTreeMap::new();
    let mut counters = BTreeMap::new();
    for key in &keys {
        if key.contains("}:unique:") {
            let owner = raw.get(key).await.expect("unique lock value");
            unique.insert(key.clone(), String::from_utf8(owner).expect("UTF-8 ID"));
        }
        let counter = ["processed", "failed"].iter().find_map(|kind| {
            let rest = key.split_once("}:")?.1;
            if rest == *kind {
                Some(false)
            } else {
                rest.strip_prefix(kind)?.strip_prefix(':').map(|_| true)
            }
        });
        if let Some(daily) = counter {
            counters.insert(key.clone(), int(raw, key).await);
            let ttl = raw.ttl(key).await;
            if daily {
                assert!(
                    (NINETY_DAYS - 120..=NINETY_DAYS).contains(&ttl),
                    "{key}: TTL {ttl}, want about {NINETY_DAYS}"
                );
            } else {
                assert_eq!(ttl, -1, "{key} has no expiry");
            }
        }
    }
    Snapshot {
        tasks,
        keys,
        unique,
        counters,
    }
}

/// Asserts that `snap` is what processing `mix` once must leave: per task its index, state,
/// retried, error, result and enqueue options; per queue the counters; the unique locks held
/// exactly by the failed unique tasks; no server state. Times are checked against `t0..=t1`
/// (the test's start and end, Unix seconds).
fn check_expected(what: &str, snap: &Snapshot, mix: &[MixTask], t0: i64, t1: i64) {
    let kept = mix.iter().filter(|t| t.end() != End::Deleted).count();
    assert_eq!(snap.tasks.len(), kept, "{what}: tasks left");
    for t in mix {
        let s = snap.tasks.get(&t.id);
        let Some(index) = t.end().index() else {
            assert!(s.is_none(), "{what}: {} should be gone: {s:?}", t.id);
            continue;
        };
        let s = s.unwrap_or_else(|| panic!("{what}: {} ({}) is gone", t.id, t.task_type));
        let ctx = format!("{what}: {} ({}): {s:?}", t.id, t.task_type);
        assert_eq!(
            (s.queue.as_str(), s.index),
            (t.queue.as_str(), index),
            "{ctx}"
        );
        assert_eq!(s.state.as_deref(), Some(index), "{ctx}");
        let m = &s.msg;
        assert_eq!(
            (m.id.as_str(), m.r#type.as_str(), m.queue.as_str()),
            (t.id.as_str(), t.task_type.as_str(), t.queue.as_str()),
            "{ctx}"
        );
        assert_eq!(m.payload.as_ref(), t.payload.as_deref().unwrap_or_default());
        let headers: BTreeMap<String, String> = m.headers.clone().into_iter().collect();
        assert_eq!(headers, t.headers.clone().unwrap_or_default(), "{ctx}");
        assert_eq!(m.retry, t.retry(), "{ctx}");
        let retried = i32::from(t.end() == End::Retry);
        assert_eq!(m.retried, retried, "{ctx}");
        assert_eq!(normalize_panic(&m.error_msg), t.error_msg, "{ctx}");
        assert_eq!(m.retention, t.retention_ms.unwrap_or(0) / 1000, "{ctx}");
        assert_eq!(m.unique_key, t.unique_key().unwrap_or_default(), "{ctx}");
        assert_eq!(
            s.result.as_deref(),
            t.result.as_deref().map(str::as_bytes),
            "{ctx}"
        );
        let score = s.score.expect("ZSET score");
        let within = |x: i64, lo: i64, hi: i64| (lo..=hi).contains(&x);
        match t.end() {
            End::Completed => {
                assert_eq!(m.last_failed_at, 0, "{ctx}");
                assert!(within(m.completed_at, t0, t1), "{ctx}");
                assert_eq!(score, (m.completed_at + m.retention) as f64, "{ctx}");
            }
            End::Retry | End::Archived => {
                assert_eq!(m.completed_at, 0, "{ctx}");
                assert!(within(m.last_failed_at, t0, t1), "{ctx}");
                let delay = if t.end() == End::Retry { 3600 } else { 0 };
                assert!(
                    within(score as i64, t0 + delay, t1 + delay),
                    "{ctx}: score {score}"
                );
            }
            End::Deleted => unreachable!(),
        }
    }
    for (q, _) in QUEUES {
        let in_q: Vec<&MixTask> = mix.iter().filter(|t| t.queue == q).collect();
        let processed = in_q.len() as i64;
        let failed = in_q
            .iter()
            .filter(|t| matches!(t.end(), End::Retry | End::Archived))
            .count() as i64;
        for daily in [false, true] {
            assert_eq!(
                (
                    snap.counter(q, "processed", daily),
                    snap.counter(q, "failed", daily)
                ),
                (processed, failed),
                "{what}: processed and failed counters of {q} (daily: {daily})"
            );
        }
    }
    let locks: BTreeMap<String, String> = mix
        .iter()
        .filter(|t| t.end() != End::Deleted)
        .filter_map(|t| Some((t.unique_key()?, t.id.clone())))
        .collect();
    assert_eq!(
        snap.unique, locks,
        "{what}: unique locks (released on success and revoke only)"
    );
    let server_keys: Vec<&String> = snap
        .keys
        .iter()
        .filter(|k| k.starts_with("asynq:servers") || k.starts_with("asynq:workers"))
        .collect();
    assert!(
        server_keys.is_empty(),
        "{what}: server state left: {server_keys:?}"
    );
}

/// Asserts that two end states are equal field by field, apart from times and Go's panic
/// location.
fn assert_same_end_state(rust: &Snapshot, go: &Snapshot) {
    let ids: BTreeSet<&String> = rust.tasks.keys().chain(go.tasks.keys()).collect();
    let diffs: Vec<String> = ids
        .into_iter()
        .filter_map(|id| {
            let r = rust.tasks.get(id).map(TaskSnap::untimed);
            let g = go.tasks.get(id).map(TaskSnap::untimed);
            (r != g).then(|| format!("{id}:\n  rust {r:?}\n  go   {g:?}"))
        })
        .take(10)
        .collect();
    assert!(
        diffs.is_empty(),
        "tasks differ (Rust server, Go server):\n{}",
        diffs.join("\n")
    );
    assert_eq!(rust.keys, go.keys, "key sets (Rust server, Go server)");
    assert_eq!(
        rust.unique, go.unique,
        "unique locks (Rust server, Go server)"
    );
    assert_eq!(
        rust.counters, go.counters,
        "counters (Rust server, Go server)"
    );
}

/// A Go TaskInfo without its times (kept as set / unset), and with Go's panic location
/// removed from LastErr.
fn untimed_info(mut t: GoTaskInfo) -> GoTaskInfo {
    t.last_failed_at = t.last_failed_at.map(|_| 0);
    t.next_process_at = t.next_process_at.map(|_| 0);
    t.completed_at = t.completed_at.map(|_| 0);
    t.last_err = normalize_panic(&t.last_err);
    t
}

/// What the Go Inspector reports about the end state, checked against `mix`: queue info
/// counts and counters, and for each kept task its TaskInfo (state, retried, LastErr, Result,
/// not orphaned). Returns the untimed listings and queue infos, to compare two Redis.
async fn check_go_inspector(what: &str, go: &GoAsynq, mix: &[MixTask]) -> Vec<String> {
    let mut view = Vec::new();
    for (q, _) in QUEUES {
        let in_q: Vec<&MixTask> = mix.iter().filter(|t| t.queue == q).collect();
        let count = |end: End| in_q.iter().filter(|t| t.end() == end).count() as i64;
        let (retry, archived, completed) = (
            count(End::Retry),
            count(End::Archived),
            count(End::Completed),
        );
        let info = go.queue_info(q).await.expect("Go queue info");
        let ctx = format!("{what}: Go GetQueueInfo({q}): {info:?}");
        assert_eq!(
            (info.pending, info.active, info.scheduled, info.aggregating),
            (0, 0, 0, 0),
            "{ctx}"
        );
        assert_eq!(
            (info.retry, info.archived, info.completed),
            (retry, archived, completed),
            "{ctx}"
        );
        assert_eq!(info.size, retry + archived + completed, "{ctx}");
        let processed = in_q.len() as i64;
        let failed = retry + archived;
        assert_eq!((info.processed, info.failed), (processed, failed), "{ctx}");
        assert_eq!(
            (info.processed_total, info.failed_total),
            (processed, failed),
            "{ctx}"
        );
        assert!(!info.paused, "{ctx}");
        view.push(format!(
            "{q}: size {} groups {} pending {} active {} scheduled {} retry {} archived {} \
             completed {} processed {} failed {} processed_total {} failed_total {}",
            info.size,
            info.groups,
            info.pending,
            info.active,
            info.scheduled,
            info.retry,
            info.archived,
            info.completed,
            info.processed,
            info.failed,
            info.processed_total,
            info.failed_total
        ));

        for end in [End::Retry, End::Archived, End::Completed] {
            let state = end.index().expect("kept state");
            let mut listed = go.list_tasks(q, state).await.expect("Go list tasks");
            listed.sort_by(|a, b| a.id.cmp(&b.id));
            let want: BTreeMap<&str, &MixTask> = in_q
                .iter()
                .filter(|t| t.end() == end)
                .map(|t| (t.id.as_str(), *t))
                .collect();
            let ids: Vec<&str> = listed.iter().map(|t| t.id.as_str()).collect();
            assert_eq!(
                ids,
                want.keys().copied().collect::<Vec<_>>(),
                "{what}: Go List{state}Tasks({q})"
            );
            for info in listed {
                let t = want[info.id.as_str()];
                let ctx = format!("{what}: Go TaskInfo {info:?}");
                assert_eq!(info.state, state, "{ctx}");
                assert_eq!(info.queue, q, "{ctx}");
                assert_eq!(info.task_type, t.task_type, "{ctx}");
                assert_eq!(info.max_retry, i64::from(t.retry()), "{ctx}");
                assert_eq!(info.retried, i64::from(end == End::Retry), "{ctx}");
                assert_eq!(normalize_panic(&info.last_err), t.error_msg, "{ctx}");
                assert_eq!(
                    info.last_failed_at.is_some(),
                    end != End::Completed,
                    "{ctx}"
                );
                assert_eq!(info.completed_at.is_some(), end == End::Completed, "{ctx}");
                assert_eq!(info.result_text(), t.result, "{ctx}");
                assert_eq!(info.headers, t.headers.clone().unwrap_or_default(), "{ctx}");
                assert!(!info.is_orphaned, "{ctx}");
                view.push(format!("{:?}", untimed_info(info)));
            }
        }
    }
    view
}

// ---------------------------------------------------------------------------
// T12 Go enqueue → Rust server, compared with a Go server.

/// T12: a Go client enqueues 1,000 tasks with every option and handler behaviour (success,
/// result, error with and without retries left, SkipRetry, RevokeTask, panic, timeout,
/// deadline, unique, ProcessIn, headers, retention) into two Redis servers. A Rust server
/// processes one copy, a Go server the other, at the same time. Each handler runs each task
/// exactly once with the same outcome; both end states are what the mix predicts (raw Redis
/// and Go Inspector), and they are equal field by field apart from times and the location Go
/// puts into panic messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t12_go_enqueue_rust_server_leaves_what_a_go_server_leaves() {
    quiet_expected_panics(PANIC_MARK);
    let (rust_env, go_env) = tokio::join!(Env::start(), Env::start());
    let t0 = now_unix();
    let tasks = mix("t12", 1000, t0 + 8);
    let go_tasks: Vec<GoTask> = tasks.iter().map(MixTask::go_task).collect();
    let (a, b) = tokio::join!(rust_env.go.enqueue(&go_tasks), go_env.go.enqueue(&go_tasks));
    for (res, t) in a.into_iter().chain(b).zip(tasks.iter().cycle()) {
        let info = res.unwrap_or_else(|e| panic!("Go enqueue of {}: {e}", t.id));
        assert_eq!(info.id, t.id);
    }

    let calls: Calls = Arc::default();
    let server = rust_env.server(rust_config(32)).await;
    server
        .start(behaviour_handler(calls.clone()))
        .expect("Rust server starts");
    let log = go_env.node.dir().join("t12.log");
    let go_server = go_env.go.serve(go_serve_options(32, log.clone())).await;

    let limit = Duration::from_secs(40);
    tokio::join!(
        rust_env.wait_processed(1000, limit),
        go_env.wait_processed(1000, limit)
    );
    // The counters move with the outcome's write; handlers that ended by their context may
    // record their invocation just after it.
    wait_for(limit, "1000 invocations on both sides", || async {
        let rust = calls.lock().expect("calls").len();
        (rust == 1000 && go_server.handled().len() == 1000).then_some(())
    })
    .await;
    server.shutdown().await;
    let summary = go_server.stop().await;
    assert_eq!(summary.handled, 1000, "Go stderr:\n{}", summary.stderr);
    let t1 = now_unix();

    let want = expected_calls(&tasks);
    let rust_calls = calls_by_id(calls.lock().expect("calls").clone());
    let go_calls = calls_by_id(
        asynq_interop::read_log(&log)
            .iter()
            .map(|h| (h.id.clone(), Call::from(h))),
    );
    assert_calls("Rust server", &rust_calls, &want);
    assert_calls("Go server", &go_calls, &want);

    let (rust_snap, go_snap) = tokio::join!(snapshot(&rust_env.raw), snapshot(&go_env.raw));
    check_expected("Rust server", &rust_snap, &tasks, t0, t1);
    check_expected("Go server", &go_snap, &tasks, t0, t1);
    // The one documented difference: Go's panic message has the panic's location, which a
    // Rust panic does not have.
    for t in tasks.iter().filter(|t| t.task_type == "panic") {
        let (r, g) = (&rust_snap.tasks[&t.id].msg, &go_snap.tasks[&t.id].msg);
        let value = t.error_msg.rsplit(": ").next().expect("panic value");
        assert_eq!(r.error_msg, t.error_msg);
        assert!(
            g.error_msg.starts_with("panic error cause by: panic [")
                && g.error_msg.contains("serve.go:")
                && g.error_msg.ends_with(&format!("]: {value}")),
            "Go panic message {:?}",
            g.error_msg
        );
    }
    assert_same_end_state(&rust_snap, &go_snap);

    let (rust_view, go_view) = tokio::join!(
        check_go_inspector("Rust server", &rust_env.go, &tasks),
        check_go_inspector("Go server", &go_env.go, &tasks)
    );
    assert_eq!(
        rust_view, go_view,
        "Go Inspector views (Rust server, Go server)"
    );
    assert!(rust_env.go.servers().await.is_empty());
}

// ---------------------------------------------------------------------------
// T13 Rust enqueue → Go server.

/// T13: the Rust client enqueues the same 1,000-task mix; a Go server processes it. The Go
/// handler log has each ID exactly once, on the first attempt, with the expected outcome, and
/// the end state (raw Redis and Go Inspector) is what the mix predicts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t13_rust_enqueue_go_server_processes_each_task_once() {
    let env = Env::start().await;
    let t0 = now_unix();
    let tasks = mix("t13", 1000, t0 + 8);
    for t in &tasks {
        let (task, opts) = t.rust_task();
        let info = env
            .client
            .enqueue(&task, &opts)
            .await
            .unwrap_or_else(|e| panic!("Rust enqueue of {}: {e}", t.id));
        assert_eq!(info.id, t.id);
    }
    let log = env.node.dir().join("t13.log");
    let go_server = env.go.serve(go_serve_options(32, log.clone())).await;
    let limit = Duration::from_secs(40);
    env.wait_processed(1000, limit).await;
    wait_for(limit, "1000 Go invocations", || async {
        (go_server.handled().len() == 1000).then_some(())
    })
    .await;
    let summary = go_server.stop().await;
    assert_eq!(summary.handled, 1000, "Go stderr:\n{}", summary.stderr);
    let t1 = now_unix();

    let handled = asynq_interop::read_log(&log);
    for h in &handled {
        let t = tasks
            .iter()
            .find(|t| t.id == h.id)
            .unwrap_or_else(|| panic!("unknown task {h:?}"));
        assert_eq!(h.task_type, t.task_type, "{h:?}");
        assert_eq!(h.max_retry, i64::from(t.retry()), "{h:?}");
        let payload = t.payload.as_deref().unwrap_or_default();
        assert_eq!(h.payload, String::from_utf8_lossy(payload), "{h:?}");
    }
    let got = calls_by_id(handled.iter().map(|h| (h.id.clone(), Call::from(h))));
    assert_calls("Go server", &got, &expected_calls(&tasks));

    let snap = snapshot(&env.raw).await;
    check_expected("Go server", &snap, &tasks, t0, t1);
    check_go_inspector("Go server", &env.go, &tasks).await;
}

// ---------------------------------------------------------------------------
// T14 Go and Rust servers on the same queues.

/// T14: a Go server and a Rust server run on the same three queues; 10,000 no-op tasks with
/// unique IDs are then enqueued (half by Go, half by Rust). Each task is handled exactly once:
/// the Go log and the Rust record are disjoint and together hold every ID, both servers
/// handled some, the processed counters add up to 10,000 with no failure, and nothing is left
/// behind (no pending, active or lease entries, no task hashes, no Go error log).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t14_go_and_rust_servers_share_queues() {
    const N: usize = 10_000;
    let env = Env::start().await;
    let log = env.node.dir().join("t14.log");
    let go_opts = GoServeOptions {
        task_check_interval: Some(Duration::from_millis(50)),
        ..go_serve_options(16, log.clone())
    };
    let go_server = env.go.serve(go_opts).await;
    let calls: Calls = Arc::default();
    let server = env
        .server(Config {
            task_check_interval: Duration::from_millis(50),
            ..rust_config(16)
        })
        .await;
    server
        .start(behaviour_handler(calls.clone()))
        .expect("Rust server starts");

    let half = N / 2;
    let go_tasks: Vec<GoTask> = (0..half)
        .map(|i| {
            GoTask::new("noop", format!("go {i}")).with_options(GoOptions {
                queue: Some(QUEUES[i % 3].0.to_owned()),
                ..GoOptions::default()
            })
        })
        .collect();
    let rust_enqueue = async {
        let mut ids = Vec::with_capacity(half);
        for i in 0..half {
            let task = Task::new("noop", format!("rust {i}"));
            let info = env
                .client
                .enqueue(&task, &[TaskOption::queue(QUEUES[i % 3].0)])
                .await
                .expect("Rust enqueue");
            ids.push(info.id);
        }
        ids
    };
    let (go_res, rust_ids) = tokio::join!(env.go.enqueue(&go_tasks), rust_enqueue);
    let mut all: BTreeSet<String> = rust_ids.into_iter().collect();
    for res in go_res {
        all.insert(res.expect("Go enqueue").id);
    }
    assert_eq!(all.len(), N, "unique task IDs");

    env.wait_processed(N as i64, Duration::from_secs(50)).await;
    wait_for(
        Duration::from_secs(10),
        "every invocation recorded",
        || async {
            (calls.lock().expect("calls").len() + go_server.handled().len() >= N).then_some(())
        },
    )
    .await;
    server.shutdown().await;
    let summary = go_server.stop().await;

    let rust_calls = calls_by_id(calls.lock().expect("calls").clone());
    let go_calls = calls_by_id(
        asynq_interop::read_log(&log)
            .iter()
            .map(|h| (h.id.clone(), Call::from(h))),
    );
    assert_eq!(summary.handled as usize, go_calls.len());
    for (id, c) in rust_calls.iter().chain(go_calls.iter()) {
        assert_eq!((c.retried, c.outcome.as_str()), (0, "ok"), "{id}: {c:?}");
    }
    let rust_ids: BTreeSet<String> = rust_calls.keys().cloned().collect();
    let go_ids: BTreeSet<String> = go_calls.keys().cloned().collect();
    let both: Vec<&String> = rust_ids.intersection(&go_ids).take(10).collect();
    assert!(both.is_empty(), "handled by both servers: {both:?}");
    let union: BTreeSet<String> = rust_ids.union(&go_ids).cloned().collect();
    assert_eq!(union, all, "every task handled");
    assert!(
        !rust_ids.is_empty() && !go_ids.is_empty(),
        "both servers take part: Rust {}, Go {}",
        rust_ids.len(),
        go_ids.len()
    );

    let snap = snapshot(&env.raw).await;
    assert!(
        snap.tasks.is_empty(),
        "tasks left: {:?}",
        snap.tasks.keys().take(10)
    );
    assert!(snap.unique.is_empty());
    let mut processed = 0;
    for (q, _) in QUEUES {
        processed += snap.counter(q, "processed", false);
        assert_eq!(snap.counter(q, "failed", false), 0, "{q}");
        assert_eq!(snap.counter(q, "failed", true), 0, "{q}");
        assert_eq!(
            snap.counter(q, "processed", true),
            snap.counter(q, "processed", false),
            "{q}"
        );
    }
    assert_eq!(processed, N as i64);
    assert!(
        !summary.stderr.contains("ERROR"),
        "Go server errors:\n{}",
        summary.stderr
    );
    let mut go_total = 0;
    for (q, _) in QUEUES {
        let info = env.go.queue_info(q).await.expect("Go queue info");
        assert_eq!((info.size, info.failed_total), (0, 0), "{info:?}");
        go_total += info.processed_total;
    }
    assert_eq!(go_total, N as i64);
    eprintln!(
        "t14: Rust server handled {}, Go server {}",
        rust_ids.len(),
        go_ids.len()
    );
}

// ---------------------------------------------------------------------------
// T15 Active state visibility, T26 Cancel.

/// T14 with default intervals and a trickle instead of a flood (the fleet idles between
/// tasks): Rust producers wake the idle Rust server through `asynq:{q}:wakeup`, Go producers'
/// tasks are found by polling; a Go server shares the queues. Every task runs once, and the
/// wake-up channel leaves no key behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t14_idle_fleet_with_wakeups_and_default_intervals() {
    const N: usize = 120;
    let env = Env::start().await;
    let log = env.node.dir().join("t14-idle.log");
    let go_opts = GoServeOptions {
        task_check_interval: None,
        delayed_task_check_interval: None,
        ..go_serve_options(4, log.clone())
    };
    let go_server = env.go.serve(go_opts).await;
    let calls: Calls = Arc::default();
    let server = env
        .server(Config {
            concurrency: 4,
            queues: queue_map(),
            ..Config::default()
        })
        .await;
    server
        .start(behaviour_handler(calls.clone()))
        .expect("Rust server starts");

    let mut all = BTreeSet::new();
    for i in 0..N {
        let queue = QUEUES[i % 3].0;
        if i % 2 == 0 {
            let info = env
                .client
                .enqueue(
                    &Task::new("noop", format!("rust {i}")),
                    &[TaskOption::queue(queue)],
                )
                .await
                .expect("Rust enqueue");
            all.insert(info.id);
        } else {
            let task = GoTask::new("noop", format!("go {i}")).with_options(GoOptions {
                queue: Some(queue.to_owned()),
                ..GoOptions::default()
            });
            for res in env.go.enqueue(&[task]).await {
                all.insert(res.expect("Go enqueue").id);
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    env.wait_processed(N as i64, Duration::from_secs(30)).await;
    wait_for(
        Duration::from_secs(10),
        "every invocation recorded",
        || async {
            (calls.lock().expect("calls").len() + go_server.handled().len() >= N).then_some(())
        },
    )
    .await;
    server.shutdown().await;
    go_server.stop().await;

    let rust_ids: BTreeSet<String> = calls_by_id(calls.lock().expect("calls").clone())
        .into_keys()
        .collect();
    let go_ids: BTreeSet<String> = calls_by_id(
        asynq_interop::read_log(&log)
            .iter()
            .map(|h| (h.id.clone(), Call::from(h))),
    )
    .into_keys()
    .collect();
    assert!(
        rust_ids.is_disjoint(&go_ids),
        "handled by both: {:?}",
        rust_ids.intersection(&go_ids).take(5).collect::<Vec<_>>()
    );
    let union: BTreeSet<String> = rust_ids.union(&go_ids).cloned().collect();
    assert_eq!(union, all, "every task handled once");
    let snap = snapshot(&env.raw).await;
    assert!(snap.tasks.is_empty(), "tasks left: {:?}", snap.tasks.keys());
    assert!(
        env.raw.keys("*wakeup*").await.is_empty(),
        "the wake-up channel is not a key"
    );
    eprintln!(
        "t14 idle fleet: Rust server handled {}, Go server {}",
        rust_ids.len(),
        go_ids.len()
    );
}

/// `PUBSUB NUMSUB asynq:cancel`.
async fn cancel_subscribers(raw: &Raw) -> i64 {
    let reply = raw.cmd(&["PUBSUB", "NUMSUB", "asynq:cancel"]).await;
    reply
        .into_array()
        .get(1)
        .and_then(|v| v.as_i64())
        .expect("NUMSUB count")
}

fn parse_rfc3339(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("RFC 3339 {s:?}: {e}"))
}

/// T15: while a Rust handler runs a long Go-enqueued task, Go `Inspector.Servers()` lists the
/// Rust server (host, PID, server ID, concurrency, queues, status `active`, start time) with
/// the task as its active worker (ID, type, payload, queue, deadline = start + timeout); Go
/// `ListActiveTasks` shows the task, not orphaned; its lease is about now + 30 s and is
/// extended. After shutdown the server is gone and the task is back in pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t15_go_inspector_sees_the_running_rust_server() {
    let env = Env::start().await;
    let calls: Calls = Arc::default();
    let config = Config {
        concurrency: 3,
        queues: HashMap::from([("critical".to_owned(), 2), ("default".to_owned(), 1)]),
        task_check_interval: Duration::from_millis(50),
        heartbeat_interval: Duration::from_secs(1),
        shutdown_timeout: Duration::from_millis(500),
        ..Config::default()
    };
    let server = env.server(config).await;
    server
        .start(behaviour_handler(calls.clone()))
        .expect("Rust server starts");
    let payload = GoBehaviour::sleep(30_000).payload();
    let info = env
        .go
        .enqueue_one(
            &GoTask::new("slow", payload.clone()).with_options(GoOptions {
                queue: Some("critical".into()),
                timeout_ms: Some(20_000),
                ..GoOptions::default()
            }),
        )
        .await
        .expect("Go enqueue");

    let active = wait_for(Duration::from_secs(5), "the task is active", || async {
        let active = env.go.list_tasks("critical", "active").await.unwrap();
        active.into_iter().find(|t| t.id == info.id)
    })
    .await;
    assert_eq!(active.state, "active");
    assert!(!active.is_orphaned, "{active:?}");
    let lease = env
        .raw
        .zscore("asynq:{critical}:lease", &info.id)
        .await
        .expect("lease entry") as i64;
    let now = now_unix();
    assert!(
        (now + 28..=now + 31).contains(&lease),
        "lease {lease}, now {now}"
    );

    // Published by the next heartbeat (every second here).
    let (s, worker) = wait_for(
        Duration::from_secs(5),
        "Servers() lists the worker",
        || async {
            let servers = env.go.servers().await;
            let s = servers.into_iter().next()?;
            let w = s.active_workers.first().cloned()?;
            Some((s, w))
        },
    )
    .await;
    assert_eq!(s.id, server.server_id());
    assert_eq!(s.host, server.host());
    assert_eq!(s.pid, i64::from(std::process::id()));
    assert_eq!(s.concurrency, 3);
    assert_eq!(
        s.queues,
        BTreeMap::from([("critical".to_owned(), 2), ("default".to_owned(), 1)])
    );
    assert!(!s.strict_priority);
    assert_eq!(s.status, "active");
    let started = parse_rfc3339(&s.started);
    assert!((now_unix() - started.unix_timestamp()).abs() <= 10, "{s:?}");
    assert_eq!(worker.task_id, info.id);
    assert_eq!(worker.task_type, "slow");
    assert_eq!(worker.task_payload.as_bytes(), payload.as_slice());
    assert_eq!(worker.queue, "critical");
    let run_for = parse_rfc3339(&worker.deadline) - parse_rfc3339(&worker.started);
    assert!(
        (run_for - time::Duration::seconds(20)).abs() < time::Duration::milliseconds(10),
        "deadline - started = {run_for}: {worker:?}"
    );

    wait_for(Duration::from_secs(5), "the lease is extended", || async {
        let score = env.raw.zscore("asynq:{critical}:lease", &info.id).await?;
        (score as i64 > lease).then_some(())
    })
    .await;
    let active = env.go.list_tasks("critical", "active").await.unwrap();
    assert!(active.iter().all(|t| !t.is_orphaned), "{active:?}");

    server.shutdown().await;
    assert!(env.go.servers().await.is_empty());
    let after = env.go.task_info("critical", &info.id).await.expect("task");
    assert_eq!((after.state.as_str(), after.retried), ("pending", 0));
}

/// T26: Go `Inspector.CancelProcessing` cancels a running Rust handler at once (asserted
/// under 3 s, which includes starting the Go program); the task goes to retry with
/// `context canceled`, retried 1, and counts as processed and failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t26_go_cancel_stops_a_rust_handler() {
    let env = Env::start().await;
    let calls: Calls = Arc::default();
    let server = env
        .server(Config {
            concurrency: 2,
            task_check_interval: Duration::from_millis(50),
            ..Config::default()
        })
        .await;
    server
        .start(behaviour_handler(calls.clone()))
        .expect("Rust server starts");
    wait_for(
        Duration::from_secs(5),
        "the server subscribes to asynq:cancel",
        || async { (cancel_subscribers(&env.raw).await > 0).then_some(()) },
    )
    .await;
    let info = env
        .go
        .enqueue_one(
            &GoTask::new("slow", GoBehaviour::sleep(60_000).payload()).with_options(GoOptions {
                max_retry: Some(3),
                ..GoOptions::default()
            }),
        )
        .await
        .expect("Go enqueue");
    wait_for(Duration::from_secs(5), "the handler runs", || async {
        (server.running_tasks() == 1).then_some(())
    })
    .await;

    let asked = Instant::now();
    env.go.cancel(&info.id).await.expect("Go cancel");
    let call = wait_for(Duration::from_secs(5), "the handler returns", || async {
        calls.lock().expect("calls").first().cloned()
    })
    .await;
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(3), "cancelled after {took:?}");
    assert_eq!(call.0, info.id);
    assert_eq!(call.1.outcome, "context canceled");

    let retried = wait_for(Duration::from_secs(5), "the task is in retry", || async {
        let t = env.go.task_info("default", &info.id).await.ok()?;
        (t.state == "retry").then_some(t)
    })
    .await;
    assert_eq!(retried.retried, 1);
    assert_eq!(retried.last_err, "context canceled");
    assert!(retried.last_failed_at.is_some());
    let q = env.go.queue_info("default").await.expect("queue info");
    assert_eq!((q.processed, q.failed, q.retry, q.active), (1, 1, 1, 0));
    server.shutdown().await;
}
