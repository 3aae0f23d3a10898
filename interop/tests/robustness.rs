//! Robustness interop cases (wire-protocol.md §8.1 T10 and §8.7 T54 to T56): Rust-written
//! headers under an older Go worker (github.com/hibiken/asynq v0.25.1, the program in
//! `interop/go-v0.25/`), the state-index invariants after a seeded random run, lossily
//! converted error texts read by Go, and the Timestamp fields of Rust-written server and
//! worker records decoded by Go, and poison messages archived by a Rust server and read by Go
//! (T57), and Rust-written aggregation state read by Go and asynqmon (T58). Every test starts
//! its own Redis and checks the raw Redis
//! state and what Go reports.

mod common;

use common::{quiet_expected_panics, wait_for, Env};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::error::Error as StdError;
use std::fmt;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use asynq_client::{ClientError, Task, TaskOption};
use asynq_inspect::{InspectError, Inspector, ListOptions};
use asynq_interop::{GoBehaviour, GoOptions, GoServeOptions, GoTask};
use asynq_proto::{decode_server_info, decode_task_message, decode_worker_info, TaskMessage};
use asynq_test_support::Raw;
use asynq_worker::{handler_fn, CancelReason, Config, Handler, HandlerError, TaskContext};
use serde::Deserialize;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// What the T54 handler panics with; the hook installed by [`quiet_expected_panics`] does
/// not print these panics.
const PANIC_MARK: &str = "expected panic";

// ---------------------------------------------------------------------------
// Environment.

impl Env {
    /// The decoded `msg` and the `state` of task `id` in queue `q`; panics when the hash is
    /// missing.
    async fn task(&self, q: &str, id: &str) -> (TaskMessage, String) {
        let hash = self.raw.hgetall(&format!("asynq:{{{q}}}:t:{id}")).await;
        assert!(!hash.is_empty(), "task hash {q}/{id} is missing");
        let msg = decode_task_message(&hash["msg"])
            .unwrap_or_else(|e| panic!("msg of {q}/{id} does not decode: {e}"));
        let state = String::from_utf8(hash["state"].clone()).expect("UTF-8 state");
        (msg, state)
    }
}

fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn parse_rfc3339(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("RFC 3339 {s:?}: {e}"))
}

/// Sleeps `ms` milliseconds unless the task's context ends first.
async fn sleep_or_cancel(ctx: &TaskContext, ms: u64) -> Result<(), HandlerError> {
    tokio::select! {
        _ = ctx.cancelled() => {
            Err(ctx.err().unwrap_or(CancelReason::Canceled).to_handler_error())
        }
        _ = tokio::time::sleep(Duration::from_millis(ms)) => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// The Go v0.25.1 program (`interop/go-v0.25/`).

/// Go github.com/hibiken/asynq v0.25.1 (no TaskMessage field 15), connected to one Redis.
struct GoV025 {
    bin: &'static Path,
    redis: String,
}

/// One handler invocation of the v0.25.1 `serve`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct V025Handled {
    id: String,
    #[serde(rename = "type")]
    task_type: String,
    queue: String,
    retried: i64,
    outcome: String,
}

#[derive(Debug, Deserialize)]
struct V025Serve {
    handled: Vec<V025Handled>,
}

/// A task as the v0.25.1 Inspector lists it.
#[derive(Debug, Clone, Deserialize)]
struct V025Task {
    id: String,
    #[serde(rename = "type")]
    task_type: String,
    state: String,
    max_retry: i64,
    retried: i64,
}

/// The v0.25.1 `GetQueueInfo` counts.
#[derive(Debug, Clone, Deserialize)]
struct V025QueueInfo {
    queue: String,
    pending: i64,
    active: i64,
    scheduled: i64,
    retry: i64,
    archived: i64,
    completed: i64,
    aggregating: i64,
}

impl GoV025 {
    fn new(addr: impl fmt::Display) -> GoV025 {
        GoV025 {
            bin: v025_binary(),
            redis: addr.to_string(),
        }
    }

    /// Runs `subcommand` with `args` to completion (at most `limit`) and returns its JSON
    /// output: `Ok` on exit status 0, `Err` with the `{error}` text on exit status 2.
    async fn try_run(
        &self,
        subcommand: &str,
        args: &[&str],
        limit: Duration,
    ) -> Result<Value, String> {
        let child = tokio::process::Command::new(self.bin)
            .arg(subcommand)
            .args(["--redis", &self.redis])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {}: {e}", self.bin.display()));
        let out = tokio::time::timeout(limit, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("goasynq025 {subcommand} {args:?}: no exit in {limit:?}"))
            .expect("waiting for goasynq025");
        let describe = || {
            format!(
                "goasynq025 {subcommand} {args:?} exited with {}\nstdout: {}\nstderr: {}",
                out.status,
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            )
        };
        let value: Option<Value> = serde_json::from_slice(&out.stdout).ok();
        match (out.status.code(), value) {
            (Some(0), Some(v)) => Ok(v),
            (Some(2), Some(v)) => Err(v["error"].as_str().unwrap_or_default().to_owned()),
            _ => panic!("{}", describe()),
        }
    }

    async fn run(&self, subcommand: &str, args: &[&str], limit: Duration) -> Value {
        self.try_run(subcommand, args, limit)
            .await
            .unwrap_or_else(|e| panic!("goasynq025 {subcommand} {args:?} failed: {e}"))
    }

    /// v0.25.1 `Inspector.List<State>Tasks(queue)`.
    async fn list_tasks(&self, queue: &str, state: &str) -> Vec<V025Task> {
        let args = ["--queue", queue, "--state", state];
        let out = self.run("list-tasks", &args, Duration::from_secs(20)).await;
        serde_json::from_value(out).expect("list of tasks")
    }

    /// v0.25.1 `Inspector.GetQueueInfo(queue)`.
    async fn queue_info(&self, queue: &str) -> Result<V025QueueInfo, String> {
        let out = self
            .try_run("queue-info", &["--queue", queue], Duration::from_secs(20))
            .await?;
        Ok(serde_json::from_value(out).expect("queue info"))
    }

    /// A v0.25.1 `asynq.Server` on queue `default` that fails every first attempt, until
    /// `exit_after` handler invocations; returns them.
    async fn serve_failing_first_attempts(&self, exit_after: usize) -> Vec<V025Handled> {
        let n = exit_after.to_string();
        let args = [
            "--exit-after",
            &n,
            "--retry-delay",
            "1h",
            "--max-time",
            "30s",
        ];
        let out = self.run("serve", &args, Duration::from_secs(40)).await;
        let out: V025Serve = serde_json::from_value(out).expect("serve output");
        out.handled
    }
}

/// The v0.25.1 program and asynqmonget, built together (in parallel) on first use.
static OLD_GO_BINARIES: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();

fn old_go_binaries() -> &'static (PathBuf, PathBuf) {
    OLD_GO_BINARIES.get_or_init(|| {
        let mon = std::thread::spawn(|| go_build("go-v0.25/asynqmon", "asynqmonget"));
        let v025 = go_build("go-v0.25", "goasynq025");
        let mon = mon.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (v025, mon)
    })
}

fn v025_binary() -> &'static Path {
    &old_go_binaries().0
}

fn asynqmon_binary() -> &'static Path {
    &old_go_binaries().1
}

/// Builds the Go module in `interop/<dir>` into `<target>/<profile>/<name>/<name>` (to a
/// private file, then renamed into place, like the v0.26.0 program). `go` fetches the
/// module's dependencies through the module proxy on first use (pinned by its go.sum).
fn go_build(dir: &str, name: &str) -> PathBuf {
    let out_dir = target_profile_dir().join(name);
    std::fs::create_dir_all(&out_dir)
        .unwrap_or_else(|e| panic!("creating {}: {e}", out_dir.display()));
    let tmp = out_dir.join(format!("{name}.{}.tmp", std::process::id()));
    let bin = out_dir.join(name);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let out = std::process::Command::new("go")
        .arg("build")
        .arg("-o")
        .arg(&tmp)
        .arg(".")
        .current_dir(&src)
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!("go not found: install Go 1.24+"),
        Err(e) => panic!("running go build: {e}"),
    };
    assert!(
        out.status.success(),
        "go build in {} failed ({}):\n{}",
        src.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&tmp, &bin).unwrap_or_else(|e| panic!("installing {}: {e}", bin.display()));
    bin
}

// ---------------------------------------------------------------------------
// asynqmon v0.7.2 (built on asynq v0.24.1), `interop/go-v0.25/asynqmon/`.

/// The asynqmon web handler, called in process by the `asynqmonget` program.
struct Asynqmon {
    bin: &'static Path,
    redis: String,
}

/// One asynqmon answer: HTTP status and the JSON body (or its text, for errors).
#[derive(Debug, Clone, Deserialize)]
struct MonResponse {
    path: String,
    status: u16,
    body: Value,
}

impl Asynqmon {
    fn new(addr: impl fmt::Display) -> Asynqmon {
        Asynqmon {
            bin: asynqmon_binary(),
            redis: addr.to_string(),
        }
    }

    /// `GET` each of `paths` (e.g. `/api/queues`); panics unless every answer is 200.
    async fn get_ok(&self, paths: &[String]) -> Vec<Value> {
        let out = tokio::process::Command::new(self.bin)
            .args(["--redis", &self.redis])
            .args(paths)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(20), out)
            .await
            .expect("asynqmonget exits")
            .expect("running asynqmonget");
        assert!(
            out.status.success(),
            "asynqmonget {paths:?}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let answers: Vec<MonResponse> = serde_json::from_slice(&out.stdout).expect("answers");
        assert_eq!(answers.len(), paths.len());
        answers
            .into_iter()
            .map(|a| {
                assert_eq!(a.status, 200, "asynqmon GET {}: {}", a.path, a.body);
                a.body
            })
            .collect()
    }

    /// The IDs in an asynqmon task list answer (`{"tasks": [...], "stats": ...}`).
    fn task_ids(body: &Value) -> BTreeSet<String> {
        body["tasks"]
            .as_array()
            .unwrap_or_else(|| panic!("no task list in {body}"))
            .iter()
            .map(|t| t["id"].as_str().expect("task id").to_owned())
            .collect()
    }
}

/// `<target>/<profile>`, found from the running test executable.
fn target_profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current executable");
    let dir = exe.parent().expect("executable directory");
    match dir.file_name() {
        Some(name) if name == "deps" => dir.parent().unwrap_or(dir).to_path_buf(),
        _ => dir.to_path_buf(),
    }
}

// ---------------------------------------------------------------------------
// T10 Headers with old Go readers.

/// T10: Rust enqueues two tasks with headers. asynqmon v0.7.2 (built on asynq v0.24.1) and
/// the Go v0.25.1 Inspector, which both predate field 15, list them. A Go v0.25.1 server fails each once: the one with retries left goes
/// to retry, the one with MaxRetry(0) to archived, and both re-encoded messages have lost
/// their headers (the documented data loss of §3.7), while everything else is intact:
/// type, payload, ID, queue, max retry, timeout, retried, error_msg, last_failed_at, and the
/// retry score. Go v0.26.0 then reads them with empty headers, and asynqmon lists them in
/// retry and archived with their error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t10_go_v025_server_drops_rust_headers_on_retry_and_archive() {
    let env = Env::start().await;
    let old = GoV025::new(env.node.addr());
    let headers = [("trace", "tr-10"), ("lang", "en")];
    let want_headers: HashMap<String, String> = headers
        .iter()
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let cases = [("t10-retry", 3), ("t10-archive", 0)];
    for (id, max_retry) in cases {
        let task = Task::new(
            format!("{id}:type"),
            format!("payload of {id}").into_bytes(),
        )
        .with_headers(headers);
        let opts = [
            TaskOption::task_id(id),
            TaskOption::max_retry(max_retry),
            TaskOption::timeout(Duration::from_secs(90)),
        ];
        env.client
            .enqueue(&task, &opts)
            .await
            .expect("Rust enqueue");
        let (msg, state) = env.task("default", id).await;
        assert_eq!((state.as_str(), &msg.headers), ("pending", &want_headers));
    }

    // Old readers list the tasks without error: asynqmon v0.7.2 (asynq v0.24.1) and the Go
    // v0.25.1 Inspector.
    let mon = Asynqmon::new(env.node.addr());
    let answers = mon
        .get_ok(&[
            "/api/queues".to_owned(),
            "/api/queues/default/pending_tasks".to_owned(),
        ])
        .await;
    assert_eq!(answers[0]["queues"][0]["pending"], 2, "{}", answers[0]);
    let want_ids = BTreeSet::from(["t10-archive".to_owned(), "t10-retry".to_owned()]);
    assert_eq!(Asynqmon::task_ids(&answers[1]), want_ids, "{}", answers[1]);
    for t in answers[1]["tasks"].as_array().expect("tasks") {
        let id = t["id"].as_str().expect("id");
        assert_eq!(t["type"], format!("{id}:type"), "{t}");
        assert_eq!(t["payload"], format!("payload of {id}"), "{t}");
    }
    let listed = old.list_tasks("default", "pending").await;
    let mut ids: Vec<&str> = listed.iter().map(|t| t.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["t10-archive", "t10-retry"], "{listed:?}");
    for t in &listed {
        assert_eq!(t.task_type, format!("{}:type", t.id));
        assert_eq!((t.state.as_str(), t.retried), ("pending", 0));
        let want_retry = if t.id == "t10-retry" { 3 } else { 0 };
        assert_eq!(t.max_retry, want_retry, "{t:?}");
    }

    let t0 = now_unix();
    let mut handled = old.serve_failing_first_attempts(2).await;
    let t1 = now_unix();
    handled.sort_by(|a, b| a.id.cmp(&b.id));
    let failed = "v0.25.1 fails attempt 0";
    let handled_ids: Vec<(&str, &str, i64, &str)> = handled
        .iter()
        .map(|h| {
            (
                h.id.as_str(),
                h.queue.as_str(),
                h.retried,
                h.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        handled_ids,
        [
            ("t10-archive", "default", 0, failed),
            ("t10-retry", "default", 0, failed)
        ]
    );
    assert!(handled
        .iter()
        .all(|h| h.task_type == format!("{}:type", h.id)));

    for (id, max_retry) in cases {
        let (msg, state) = env.task("default", id).await;
        let (want_state, want_retried) = if max_retry > 0 {
            ("retry", 1)
        } else {
            ("archived", 0)
        };
        assert_eq!(state, want_state, "{id}");
        assert!(
            msg.headers.is_empty(),
            "{id}: the v0.25.1 re-encode was expected to drop the headers, got {:?}",
            msg.headers
        );
        assert_eq!(msg.r#type, format!("{id}:type"));
        assert_eq!(msg.payload.as_ref(), format!("payload of {id}").as_bytes());
        assert_eq!((msg.id.as_str(), msg.queue.as_str()), (id, "default"));
        assert_eq!((msg.retry, msg.retried), (max_retry, want_retried), "{id}");
        assert_eq!(msg.error_msg, failed);
        assert!(
            (t0..=t1).contains(&msg.last_failed_at),
            "{id}: last_failed_at {} not in [{t0}, {t1}]",
            msg.last_failed_at
        );
        assert_eq!((msg.timeout, msg.deadline), (90, 0));
        assert_eq!((msg.unique_key.as_str(), msg.group_key.as_str()), ("", ""));
        let score = env
            .raw
            .zscore(&format!("asynq:{{default}}:{want_state}"), id)
            .await
            .unwrap_or_else(|| panic!("{id} is not in {want_state}")) as i64;
        if max_retry > 0 {
            // Retry at now + the fixed 1 h delay.
            assert!(
                (t0 + 3600..=t1 + 3600).contains(&score),
                "retry score {score}"
            );
        } else {
            assert!((t0..=t1).contains(&score), "archived score {score}");
        }

        // Go v0.26.0 reads the message: no headers any more.
        let info = env
            .go
            .task_info("default", id)
            .await
            .expect("Go GetTaskInfo");
        assert_eq!(info.state, want_state);
        assert!(info.headers.is_empty(), "{info:?}");
        assert_eq!(
            (info.retried, info.last_err.as_str()),
            (want_retried.into(), failed)
        );
    }
    assert_eq!(env.raw.lrange("asynq:{default}:pending").await.len(), 0);
    assert_eq!(env.raw.lrange("asynq:{default}:active").await.len(), 0);
    let answers = mon
        .get_ok(&[
            "/api/queues/default/retry_tasks".to_owned(),
            "/api/queues/default/archived_tasks".to_owned(),
        ])
        .await;
    for (answer, id) in answers.iter().zip(["t10-retry", "t10-archive"]) {
        let ids = Asynqmon::task_ids(answer);
        assert_eq!(ids, BTreeSet::from([id.to_owned()]), "{answer}");
        assert_eq!(answer["tasks"][0]["error_message"], failed, "{answer}");
    }
}

// ---------------------------------------------------------------------------
// T54 No dangling IDs.

/// SplitMix64: a small seeded generator, so a failing run can be repeated with its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent` %.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const FUZZ_QUEUES: [&str; 3] = ["fz1", "fz2", "fz3"];
const FUZZ_GROUPS: [&str; 2] = ["ga", "gb"];
/// How long tasks are enqueued for.
const FUZZ_TIME: Duration = Duration::from_secs(4);

/// One random task, for either client.
#[derive(Debug, Clone, Default)]
struct FuzzTask {
    task_type: String,
    payload: Vec<u8>,
    queue: String,
    task_id: Option<String>,
    max_retry: Option<i32>,
    process_in_ms: Option<i64>,
    unique_ms: Option<i64>,
    retention_ms: Option<i64>,
    group: Option<String>,
}

impl FuzzTask {
    /// A random task: immediate or scheduled (soon, or in an hour), unique, grouped, with
    /// retention or a task ID from a small pool (so duplicates and ID conflicts happen), and
    /// a random outcome for the handler (success, error, skip-retry, revoke, panic), with a
    /// short sleep.
    fn random(rng: &mut Rng, n: u64) -> FuzzTask {
        let mut b = GoBehaviour {
            sleep_ms: Some(rng.below(20)),
            ..GoBehaviour::default()
        };
        match rng.below(100) {
            0..=39 => {}
            40..=44 => b.result = Some(format!("result {n}")),
            45..=64 => b.error = Some(format!("error {n}")),
            65..=74 => {
                b.error = Some(format!("skip {n}"));
                b.skip_retry = true;
            }
            75..=84 => b.revoke = true,
            _ => b.panic = Some(format!("{PANIC_MARK} {n}")),
        }
        let mut t = FuzzTask {
            task_type: rng.pick(&["fz:a", "fz:b", "fz:c"]).to_owned(),
            queue: rng.pick(&FUZZ_QUEUES).to_owned(),
            max_retry: Some(rng.below(3) as i32),
            ..FuzzTask::default()
        };
        if rng.chance(20) {
            // Unique tasks share a few payloads, so their locks collide.
            b.sleep_ms = Some(rng.below(4));
            t.unique_ms = Some(1000 + rng.below(2000) as i64);
        }
        t.payload = b.payload();
        if rng.chance(25) {
            t.process_in_ms = Some(if rng.chance(20) {
                3_600_000
            } else {
                50 + rng.below(1500) as i64
            });
        }
        if rng.chance(25) {
            t.retention_ms = Some(300 + rng.below(2000) as i64);
        }
        if rng.chance(15) {
            t.group = Some(rng.pick(&FUZZ_GROUPS).to_owned());
        }
        if rng.chance(25) {
            t.task_id = Some(format!("fz-id-{}", rng.below(40)));
        }
        t
    }

    fn rust_task(&self) -> (Task, Vec<TaskOption>) {
        let task = Task::new(self.task_type.clone(), self.payload.clone());
        let ms = |n: i64| Duration::from_millis(u64::try_from(n).expect("positive"));
        let mut opts = vec![TaskOption::queue(self.queue.clone())];
        opts.extend(self.task_id.clone().map(TaskOption::task_id));
        opts.extend(self.max_retry.map(TaskOption::max_retry));
        opts.extend(self.process_in_ms.map(|n| TaskOption::process_in(ms(n))));
        opts.extend(self.unique_ms.map(|n| TaskOption::unique(ms(n))));
        opts.extend(self.retention_ms.map(|n| TaskOption::retention(ms(n))));
        opts.extend(self.group.clone().map(TaskOption::group));
        (task, opts)
    }

    fn go_task(&self) -> GoTask {
        GoTask::new(&self.task_type, self.payload.clone()).with_options(GoOptions {
            queue: Some(self.queue.clone()),
            task_id: self.task_id.clone(),
            max_retry: self.max_retry,
            process_in_ms: self.process_in_ms,
            unique_ms: self.unique_ms,
            retention_ms: self.retention_ms,
            group: self.group.clone(),
            ..GoOptions::default()
        })
    }
}

/// Counts of what the run did.
#[derive(Debug, Default)]
struct FuzzStats {
    rust_enqueued: u64,
    rust_rejected: u64,
    go_enqueued: u64,
    go_rejected: u64,
    go_queue_info_calls: u64,
    /// Rust Inspector operations that succeeded, and those refused for the task's state.
    inspector_ops: u64,
    inspector_refused: u64,
}

/// The T54 handler: does what the payload says (the [`GoBehaviour`] language), and counts
/// the invocations.
fn fuzz_handler(calls: Arc<Mutex<u64>>) -> impl Handler {
    handler_fn(move |ctx: TaskContext, task: Task| {
        let calls = calls.clone();
        async move {
            *calls.lock().expect("calls") += 1;
            let b: GoBehaviour = serde_json::from_slice(task.payload()).unwrap_or_default();
            if let Some(ms) = b.sleep_ms.filter(|&ms| ms > 0) {
                sleep_or_cancel(&ctx, ms).await?;
            }
            if let Some(result) = &b.result {
                ctx.result_writer().write(result.as_bytes()).await?;
            }
            let text = b.error.clone().unwrap_or_default();
            if b.revoke {
                return Err(HandlerError::RevokeTask(None));
            }
            if b.skip_retry {
                return Err(HandlerError::skip_retry(text));
            }
            if !text.is_empty() {
                return Err(HandlerError::new(text));
            }
            if let Some(p) = b.panic {
                panic!("{p}");
            }
            Ok(())
        }
    })
}

fn fuzz_config() -> Config {
    Config {
        concurrency: 4,
        queues: HashMap::from([
            ("fz1".to_owned(), 3),
            ("fz2".to_owned(), 2),
            ("fz3".to_owned(), 1),
        ]),
        task_check_interval: Duration::from_millis(50),
        delayed_task_check_interval: Duration::from_millis(100),
        janitor_interval: Duration::from_millis(500),
        shutdown_timeout: Duration::from_millis(300),
        ..Config::default()
    }
    .with_retry_delay_func(|n, _, _| Duration::from_millis(150 * (u64::from(n.unsigned_abs()) + 1)))
}

/// What the invariant check found in one queue: the size of each index.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct QueueIndexes {
    pending: Vec<String>,
    active: Vec<String>,
    scheduled: Vec<String>,
    retry: Vec<String>,
    archived: Vec<String>,
    completed: Vec<String>,
    /// Members of every group ZSET `g:<g>`.
    aggregating: Vec<String>,
    groups: usize,
    hashes: usize,
}

/// Checks the §1.4 invariants of queue `q`: every ID in every index (pending, active,
/// scheduled, retry, archived, completed, lease, `g:<g>` and aggregation sets) has a hash
/// whose `state` matches (`aggregating` for group members, with the `group` field naming the
/// group), whose `msg` decodes with this ID and queue; and every task hash is in exactly the
/// indexes of its state (active: the active list and the lease ZSET; others: one index).
async fn check_indexes(raw: &Raw, q: &str) -> QueueIndexes {
    let prefix = format!("asynq:{{{q}}}:");
    let mut found = QueueIndexes::default();
    // ID -> the indexes listing it.
    let mut listed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut problems: Vec<String> = Vec::new();
    let mut note = |id: &str, index: String| {
        listed.entry(id.to_owned()).or_default().push(index);
    };

    for kind in ["pending", "active"] {
        let ids = raw.lrange(&format!("{prefix}{kind}")).await;
        for id in &ids {
            note(id, kind.to_owned());
        }
        match kind {
            "pending" => found.pending = ids,
            _ => found.active = ids,
        }
    }
    for kind in ["scheduled", "retry", "archived", "completed", "lease"] {
        let ids: Vec<String> = raw
            .zrange_withscores(&format!("{prefix}{kind}"))
            .await
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        for id in &ids {
            note(id, kind.to_owned());
        }
        match kind {
            "scheduled" => found.scheduled = ids,
            "retry" => found.retry = ids,
            "archived" => found.archived = ids,
            "completed" => found.completed = ids,
            _ => {}
        }
    }
    // Group ZSETs: the names in `groups`, and any `g:<g>` key (the forwarder does not SADD
    // the name back, quirk Q4); aggregation sets are listed in `aggregation_sets`.
    let sets: BTreeSet<String> = raw
        .zrange_withscores(&format!("{prefix}aggregation_sets"))
        .await
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    let mut group_names = raw.smembers(&format!("{prefix}groups")).await;
    for key in raw.keys(&format!("{prefix}g:*")).await {
        if !sets.contains(&key) {
            group_names.insert(key[prefix.len() + 2..].to_owned());
        }
    }
    found.groups = group_names.len();
    for g in &group_names {
        for (id, _) in raw.zrange_withscores(&format!("{prefix}g:{g}")).await {
            note(&id, format!("g:{g}"));
            found.aggregating.push(id);
        }
    }
    for set in &sets {
        let g = set[prefix.len() + 2..]
            .rsplit_once(':')
            .map_or("", |(g, _)| g)
            .to_owned();
        for (id, _) in raw.zrange_withscores(set).await {
            note(&id, format!("set:{g}"));
        }
    }

    // Every listed ID has a matching hash.
    for (id, indexes) in &listed {
        let hash = raw.hgetall(&format!("{prefix}t:{id}")).await;
        if hash.is_empty() {
            problems.push(format!("dangling: {id} in {indexes:?} has no hash"));
            continue;
        }
        let state = String::from_utf8_lossy(&hash["state"]).into_owned();
        let group = hash
            .get("group")
            .map(|g| String::from_utf8_lossy(g).into_owned());
        match decode_task_message(&hash["msg"]) {
            Ok(msg) if msg.id == *id && msg.queue == q => {}
            Ok(msg) => problems.push(format!("{id}: msg has id {} queue {}", msg.id, msg.queue)),
            Err(e) => problems.push(format!("{id}: msg does not decode: {e}")),
        }
        let mut want: Vec<String> = match state.as_str() {
            "active" => vec!["active".to_owned(), "lease".to_owned()],
            "aggregating" => {
                // In its group, or in one of that group's aggregation sets.
                let g = group.clone().unwrap_or_default();
                let in_set = indexes.iter().any(|i| *i == format!("set:{g}"));
                vec![if in_set {
                    format!("set:{g}")
                } else {
                    format!("g:{g}")
                }]
            }
            s => vec![s.to_owned()],
        };
        want.sort();
        let mut got = indexes.clone();
        got.sort();
        if got != want {
            problems.push(format!(
                "{id}: state {state} (group {group:?}) but listed in {got:?}, want {want:?}"
            ));
        }
    }
    // Every hash is listed.
    let hashes = raw.keys(&format!("{prefix}t:*")).await;
    found.hashes = hashes.len();
    for key in &hashes {
        let id = &key[prefix.len() + 2..];
        if !listed.contains_key(id) {
            let state = raw
                .hget(key, "state")
                .await
                .map(|s| String::from_utf8_lossy(&s).into_owned());
            problems.push(format!("orphan hash {key} (state {state:?}) in no index"));
        }
    }
    assert!(
        problems.is_empty(),
        "queue {q}: {} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    found
}

/// One random Rust Inspector operation on queue `q`: mostly a single-task action (run,
/// archive, delete, update payload) on a task picked from a random listing, sometimes a bulk
/// method. Returns whether it succeeded; the refusals a concurrent run can cause (the task
/// moved on, is active, pending, already archived, not scheduled) return false, and any other
/// error fails the test.
async fn fuzz_inspector_op(insp: &Inspector, rng: &mut Rng, q: &str) -> bool {
    let res: Result<(), InspectError> = if rng.chance(8) {
        let g = rng.pick(&FUZZ_GROUPS);
        match rng.below(9) {
            0 => insp.run_all_scheduled_tasks(q).await.map(drop),
            1 => insp.run_all_retry_tasks(q).await.map(drop),
            2 => insp.run_all_archived_tasks(q).await.map(drop),
            3 => insp.run_all_aggregating_tasks(q, g).await.map(drop),
            4 => insp.archive_all_scheduled_tasks(q).await.map(drop),
            5 => insp.archive_all_retry_tasks(q).await.map(drop),
            6 => insp.archive_all_aggregating_tasks(q, g).await.map(drop),
            7 => insp.delete_all_completed_tasks(q).await.map(drop),
            _ => insp.delete_all_archived_tasks(q).await.map(drop),
        }
    } else {
        let opts = ListOptions::default().page_size(20);
        let listed = match rng.below(6) {
            0 => insp.list_pending_tasks(q, opts).await,
            1 => insp.list_active_tasks(q, opts).await,
            2 => insp.list_scheduled_tasks(q, opts).await,
            3 => insp.list_retry_tasks(q, opts).await,
            4 => insp.list_archived_tasks(q, opts).await,
            _ => insp.list_completed_tasks(q, opts).await,
        };
        let listed = listed.unwrap_or_else(|e| panic!("Rust Inspector listing of {q}: {e}"));
        if listed.is_empty() {
            return false;
        }
        let id = listed[rng.below(listed.len() as u64) as usize].id.clone();
        match rng.below(4) {
            0 => insp.run_task(q, &id).await,
            1 => insp.archive_task(q, &id).await,
            2 => insp.delete_task(q, &id).await,
            _ => {
                let payload = GoBehaviour::default().payload();
                insp.update_task_payload(q, &id, payload).await
            }
        }
    };
    match res {
        Ok(()) => true,
        Err(
            InspectError::TaskNotFound { .. }
            | InspectError::FailedPrecondition(_)
            | InspectError::TaskAlreadyArchived { .. },
        ) => false,
        Err(e) => panic!("Rust Inspector operation on {q}: {e:?}"),
    }
}

/// T54: for a few seconds, a seeded random mix of Rust client enqueues (immediate,
/// scheduled, unique, group, retention, task ID) and Go client enqueues over three queues is
/// processed by a Rust server with random outcomes (success, result, error, skip-retry,
/// revoke, panic); the server is replaced half-way (requeue on shutdown), Go
/// `GetQueueInfo` is called while it runs, and so are random Rust Inspector operations
/// (single-task and bulk). After everything has stopped, every ID in every
/// index has a hash in the matching state, every hash is in exactly the indexes of its state,
/// and Go v0.26.0 `GetQueueInfo` and the state listings, Go v0.25.1 `GetQueueInfo`, and
/// asynqmon v0.7.2 (asynq v0.24.1; the last two without the `MEMORY USAGE` nil guards) queue
/// list and task listings succeed for every queue and agree with the indexes. The seed is
/// printed; set `T54_SEED` to repeat a run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t54_random_run_leaves_no_dangling_ids() {
    quiet_expected_panics(PANIC_MARK);
    let seed = std::env::var("T54_SEED")
        .ok()
        .map(|s| s.parse::<u64>().expect("T54_SEED is a u64"))
        .unwrap_or_else(|| {
            let t = OffsetDateTime::now_utc().unix_timestamp_nanos();
            (t as u64) ^ u64::from(std::process::id())
        });
    println!("T54 seed: {seed} (repeat with T54_SEED={seed})");
    let env = Env::start().await;
    let old = GoV025::new(env.node.addr());
    let calls = Arc::new(Mutex::new(0u64));
    let stats = Arc::new(Mutex::new(FuzzStats::default()));

    let server = env.server(fuzz_config()).await;
    server
        .start(fuzz_handler(calls.clone()))
        .expect("Rust server starts");

    // One task per queue first, so that every queue exists for Go `GetQueueInfo`.
    for q in FUZZ_QUEUES {
        let task = Task::new("fz:first", GoBehaviour::default().payload());
        let info = env.client.enqueue(&task, &[TaskOption::queue(q)]).await;
        info.expect("Rust enqueue");
        stats.lock().expect("stats").rust_enqueued += 1;
    }
    // Go client enqueues and Go GetQueueInfo calls, alongside.
    let go_side = {
        let go = env.go.clone();
        let stats = stats.clone();
        let mut rng = Rng(seed ^ 0x5DEE_CE66_D1CE_F00D);
        tokio::spawn(async move {
            let start = Instant::now();
            let mut n = 1_000_000;
            while start.elapsed() < FUZZ_TIME {
                let tasks: Vec<GoTask> = (0..1 + rng.below(6))
                    .map(|_| {
                        n += 1;
                        FuzzTask::random(&mut rng, n).go_task()
                    })
                    .collect();
                for r in go.enqueue(&tasks).await {
                    let mut s = stats.lock().expect("stats");
                    match r {
                        Ok(_) => s.go_enqueued += 1,
                        Err(e) if e.kind == "duplicate" || e.kind == "conflict" => {
                            s.go_rejected += 1;
                        }
                        Err(e) => panic!("Go enqueue: {e}"),
                    }
                }
                let q = rng.pick(&FUZZ_QUEUES);
                if let Err(e) = go.queue_info(q).await {
                    panic!("Go GetQueueInfo({q}) during the run: {e}");
                }
                stats.lock().expect("stats").go_queue_info_calls += 1;
            }
        })
    };

    // Rust Inspector operations, alongside.
    let inspector_side = {
        let insp = Inspector::connect(env.opt.clone())
            .await
            .expect("Rust Inspector");
        let stats = stats.clone();
        let mut rng = Rng(seed ^ 0x1A5E_C70B_0B5E_55ED);
        tokio::spawn(async move {
            let start = Instant::now();
            while start.elapsed() < FUZZ_TIME {
                let q = rng.pick(&FUZZ_QUEUES);
                let ok = fuzz_inspector_op(&insp, &mut rng, q).await;
                {
                    let mut s = stats.lock().expect("stats");
                    if ok {
                        s.inspector_ops += 1;
                    } else {
                        s.inspector_refused += 1;
                    }
                }
                tokio::time::sleep(Duration::from_millis(rng.below(15))).await;
            }
        })
    };

    let mut rng = Rng(seed);
    let start = Instant::now();
    let mut server = Some(server);
    let mut replaced = false;
    let mut n = 0;
    while start.elapsed() < FUZZ_TIME {
        n += 1;
        let t = FuzzTask::random(&mut rng, n);
        let (task, opts) = t.rust_task();
        match env.client.enqueue(&task, &opts).await {
            Ok(_) => stats.lock().expect("stats").rust_enqueued += 1,
            Err(ClientError::DuplicateTask | ClientError::TaskIdConflict) => {
                stats.lock().expect("stats").rust_rejected += 1;
            }
            Err(e) => panic!("Rust enqueue of {t:?}: {e}"),
        }
        if !replaced && start.elapsed() >= FUZZ_TIME / 2 {
            // Shut the server down mid-stream (its active tasks are requeued) and start another.
            replaced = true;
            server.take().expect("server").shutdown().await;
            let next = env.server(fuzz_config()).await;
            next.start(fuzz_handler(calls.clone()))
                .expect("second Rust server starts");
            server = Some(next);
        }
        tokio::time::sleep(Duration::from_millis(rng.below(8))).await;
    }
    go_side.await.expect("Go side");
    inspector_side.await.expect("Rust Inspector side");
    // Let the last tasks run for a moment, then stop everything.
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.take().expect("server").shutdown().await;

    let queues = env.raw.smembers("asynq:queues").await;
    let want_queues: BTreeSet<String> = FUZZ_QUEUES.iter().map(|q| (*q).to_owned()).collect();
    assert_eq!(queues, want_queues);
    let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
    for q in FUZZ_QUEUES {
        let idx = check_indexes(&env.raw, q).await;
        assert!(idx.active.is_empty(), "{q}: active after shutdown: {idx:?}");
        for (name, n) in [
            ("pending", idx.pending.len()),
            ("scheduled", idx.scheduled.len()),
            ("retry", idx.retry.len()),
            ("archived", idx.archived.len()),
            ("completed", idx.completed.len()),
            ("aggregating", idx.aggregating.len()),
        ] {
            *totals.entry(name).or_default() += n;
        }

        let info = env
            .go
            .queue_info(q)
            .await
            .unwrap_or_else(|e| panic!("Go v0.26.0 GetQueueInfo({q}): {e}"));
        let counts = |i: i64| usize::try_from(i).expect("count");
        assert_eq!(
            (
                counts(info.pending),
                counts(info.active),
                counts(info.scheduled),
                counts(info.retry),
                counts(info.archived),
                counts(info.completed),
                counts(info.aggregating),
                counts(info.groups),
            ),
            (
                idx.pending.len(),
                0,
                idx.scheduled.len(),
                idx.retry.len(),
                idx.archived.len(),
                idx.completed.len(),
                idx.aggregating.len(),
                env.raw
                    .smembers(&format!("asynq:{{{q}}}:groups"))
                    .await
                    .len(),
            ),
            "Go QueueInfo of {q}: {info:?}"
        );
        let rs_info = Inspector::connect(env.opt.clone())
            .await
            .expect("Rust Inspector")
            .get_queue_info(q)
            .await
            .unwrap_or_else(|e| panic!("Rust get_queue_info({q}): {e}"));
        assert_eq!(
            (
                rs_info.size,
                rs_info.groups,
                rs_info.pending,
                rs_info.scheduled,
                rs_info.retry,
                rs_info.archived,
                rs_info.completed,
                rs_info.aggregating,
                rs_info.processed_total,
                rs_info.failed_total,
            ),
            (
                info.size,
                info.groups,
                info.pending,
                info.scheduled,
                info.retry,
                info.archived,
                info.completed,
                info.aggregating,
                info.processed_total,
                info.failed_total,
            ),
            "Rust (left) and Go (right) QueueInfo of {q}"
        );
        let old_info = old
            .queue_info(q)
            .await
            .unwrap_or_else(|e| panic!("Go v0.25.1 GetQueueInfo({q}): {e}"));
        assert_eq!(old_info.queue, q);
        assert_eq!(
            (
                old_info.pending,
                old_info.active,
                old_info.scheduled,
                old_info.retry,
                old_info.archived,
                old_info.completed,
                old_info.aggregating
            ),
            (
                info.pending,
                info.active,
                info.scheduled,
                info.retry,
                info.archived,
                info.completed,
                info.aggregating
            ),
            "Go v0.25.1 and v0.26.0 QueueInfo of {q}"
        );
        for (state, ids) in [
            ("pending", &idx.pending),
            ("scheduled", &idx.scheduled),
            ("retry", &idx.retry),
            ("archived", &idx.archived),
            ("completed", &idx.completed),
        ] {
            let listed = env
                .go
                .list_tasks(q, state)
                .await
                .unwrap_or_else(|e| panic!("Go List {state} tasks of {q}: {e}"));
            let got: BTreeSet<&str> = listed.iter().map(|t| t.id.as_str()).collect();
            let want: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
            assert_eq!(got, want, "Go {state} listing of {q}");
            assert!(listed.iter().all(|t| t.state == state), "{listed:?}");
        }
    }
    // asynqmon v0.7.2 (asynq v0.24.1: no `MEMORY USAGE` nil guards): the queue list (which
    // calls GetQueueInfo for every queue) and every listing page it shows.
    let mon = Asynqmon::new(env.node.addr());
    let mut paths = vec!["/api/queues".to_owned()];
    for q in FUZZ_QUEUES {
        for state in [
            "pending",
            "active",
            "scheduled",
            "retry",
            "archived",
            "completed",
        ] {
            paths.push(format!("/api/queues/{q}/{state}_tasks?size=1000"));
        }
    }
    let answers = mon.get_ok(&paths).await;
    let listed: BTreeSet<&str> = answers[0]["queues"]
        .as_array()
        .expect("queues")
        .iter()
        .map(|q| q["queue"].as_str().expect("queue name"))
        .collect();
    assert_eq!(listed, BTreeSet::from(FUZZ_QUEUES), "{}", answers[0]);
    for (path, answer) in paths.iter().zip(&answers).skip(1) {
        let ids = Asynqmon::task_ids(answer);
        let stats = &answer["stats"];
        let state = path.rsplit('/').next().expect("state").split('_').next();
        let want = stats[state.expect("state")].as_u64().expect("count");
        assert_eq!(ids.len() as u64, want, "asynqmon {path}: {answer}");
    }

    let stats = stats.lock().expect("stats");
    let calls = *calls.lock().expect("calls");
    println!("T54: {stats:?}, {calls} handler calls, end state {totals:?}");
    assert!(
        stats.rust_enqueued > 50 && stats.go_enqueued > 5,
        "{stats:?}"
    );
    assert!(calls > 50, "only {calls} handler calls");
    assert!(stats.inspector_ops > 10, "{stats:?}");
}

// ---------------------------------------------------------------------------
// T55 UTF-8.

/// An error whose text comes from arbitrary bytes: `Display` writes them lossily (invalid
/// sequences become U+FFFD).
#[derive(Debug)]
struct BytesError(Vec<u8>);

impl fmt::Display for BytesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

impl StdError for BytesError {}

/// Invalid UTF-8: a lone 0xFF, a truncated 3-byte sequence, an overlong encoding and a
/// surrogate half.
const BAD_BYTES: &[u8] = b"bad \xff bytes \xe2\x82 end \xc0\xaf \xed\xa0\x80!";

/// T55: a Rust handler fails two tasks with an error built from invalid UTF-8 bytes. The
/// stored `error_msg` is valid UTF-8 (the lossy text, with U+FFFD), and Go reads it: the Go
/// Inspector lists both in retry with that LastErr. One task is then made to look like a
/// crashed worker's (moved to active with a lease that expired a minute ago): the Go
/// Inspector lists it as orphaned, and a Go server's recoverer decodes it and retries it with
/// `asynq: task lease expired`. The other is moved to pending with Go `RunTask` and the Go
/// server processes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t55_lossy_error_text_is_read_by_go_inspector_and_recoverer() {
    let env = Env::start().await;
    let expected = String::from_utf8_lossy(BAD_BYTES).into_owned();
    assert!(expected.contains('\u{FFFD}'));
    let server = env
        .server(
            Config {
                concurrency: 2,
                task_check_interval: Duration::from_millis(50),
                shutdown_timeout: Duration::from_millis(500),
                ..Config::default()
            }
            .with_retry_delay_func(|_, _, _| Duration::from_secs(3600)),
        )
        .await;
    let handler = handler_fn(|_ctx: TaskContext, _task: Task| async move {
        Err::<(), _>(HandlerError::new(BytesError(BAD_BYTES.to_vec())))
    });
    server.start(handler).expect("Rust server starts");
    for id in ["t55-recover", "t55-run"] {
        let task = Task::new("t55", format!("payload {id}").into_bytes());
        let opts = [TaskOption::task_id(id), TaskOption::max_retry(5)];
        env.client
            .enqueue(&task, &opts)
            .await
            .expect("Rust enqueue");
    }
    wait_for(Duration::from_secs(10), "both tasks in retry", || async {
        (env.raw
            .zrange_withscores("asynq:{default}:retry")
            .await
            .len()
            == 2)
            .then_some(())
    })
    .await;
    server.shutdown().await;

    for id in ["t55-recover", "t55-run"] {
        let key = format!("asynq:{{default}}:t:{id}");
        let raw_msg = env.raw.hget(&key, "msg").await.expect("msg");
        let msg = decode_task_message(&raw_msg).expect("valid proto, valid UTF-8 strings");
        assert_eq!(msg.error_msg, expected);
        assert_eq!(msg.retried, 1);
        // The replacement character, never the raw bytes, is on the wire.
        let text = expected.as_bytes();
        assert!(
            raw_msg.windows(text.len()).any(|w| w == text),
            "msg lacks the lossy text"
        );
        assert!(!raw_msg.contains(&0xff), "raw 0xFF in msg");
    }
    let retry = env
        .go
        .list_tasks("default", "retry")
        .await
        .expect("Go list");
    assert_eq!(retry.len(), 2, "{retry:?}");
    for t in &retry {
        assert_eq!((t.last_err.as_str(), t.retried), (expected.as_str(), 1));
    }

    // A crashed worker's task: active, lease expired a minute ago.
    let id = "t55-recover";
    let expired = (now_unix() - 60).to_string();
    for cmd in [
        vec!["ZREM", "asynq:{default}:retry", id],
        vec!["LPUSH", "asynq:{default}:active", id],
        vec!["ZADD", "asynq:{default}:lease", &expired, id],
        vec!["HSET", "asynq:{default}:t:t55-recover", "state", "active"],
    ] {
        env.raw.cmd(&cmd).await;
    }
    let active = env
        .go
        .list_tasks("default", "active")
        .await
        .expect("Go ListActiveTasks");
    assert_eq!(active.len(), 1, "{active:?}");
    assert_eq!(active[0].id, id);
    assert!(active[0].is_orphaned, "{active:?}");
    assert_eq!(active[0].last_err, expected);

    env.go
        .run("run-task", &["--queue", "default", "--id", "t55-run"], None)
        .await;
    let log = env.node.dir().join("t55-go.log");
    let go_server = env
        .go
        .serve(GoServeOptions {
            concurrency: 2,
            task_check_interval: Some(Duration::from_millis(50)),
            retry_delay: Some(Duration::from_secs(3600)),
            shutdown_timeout: Some(Duration::from_secs(1)),
            log: Some(log.clone()),
            ..GoServeOptions::default()
        })
        .await;
    let t0 = now_unix();
    wait_for(
        Duration::from_secs(10),
        "the Go server recovers one task and processes the other",
        || async {
            let recovered = env.raw.zscore("asynq:{default}:retry", id).await.is_some();
            let done = !env.raw.exists("asynq:{default}:t:t55-run").await;
            (recovered && done).then_some(())
        },
    )
    .await;
    let summary = go_server.stop().await;
    assert!(
        !summary.stderr.contains("could not"),
        "Go server warnings:\n{}",
        summary.stderr
    );
    let handled = asynq_interop::read_log(&log);
    assert_eq!(handled.len(), 1, "{handled:?}");
    assert_eq!(
        (
            handled[0].id.as_str(),
            handled[0].retried,
            handled[0].outcome.as_str()
        ),
        ("t55-run", 1, "ok")
    );
    let (msg, state) = env.task("default", id).await;
    assert_eq!(state, "retry");
    assert_eq!(msg.retried, 2);
    assert_eq!(msg.error_msg, "asynq: task lease expired");
    assert!(msg.last_failed_at >= t0 - 1, "{msg:?}");
    assert_eq!(msg.payload.as_ref(), b"payload t55-recover");
    let info = env
        .go
        .task_info("default", id)
        .await
        .expect("Go GetTaskInfo");
    assert_eq!((info.state.as_str(), info.retried), ("retry", 2));
    assert_eq!(
        env.go
            .queue_info("default")
            .await
            .expect("queue info")
            .active,
        0
    );
}

// ---------------------------------------------------------------------------
// T56 Zero timestamps.

/// T56 (server and worker parts): while a Rust server runs two long tasks, one with
/// Timeout(20s) and one with only a Deadline, Go `Inspector.Servers()` decodes the
/// Rust-written ServerInfo and WorkerInfo: Started equals the `start_time` written to Redis
/// (to the nanosecond) and lies between the moments before and after the server started;
/// each worker's Started lies between its enqueue and when Go saw it; its Deadline is
/// Started + 20 s, or the task's deadline to the second. Every Timestamp field is written
/// (none missing, none the Go zero time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t56_go_decodes_rust_server_and_worker_times() {
    let env = Env::start().await;
    let before_start = OffsetDateTime::now_utc();
    let server = env
        .server(Config {
            concurrency: 2,
            task_check_interval: Duration::from_millis(50),
            heartbeat_interval: Duration::from_secs(1),
            shutdown_timeout: Duration::from_millis(500),
            ..Config::default()
        })
        .await;
    let handler =
        handler_fn(
            |ctx: TaskContext, _task: Task| async move { sleep_or_cancel(&ctx, 60_000).await },
        );
    server.start(handler).expect("Rust server starts");
    let after_start = OffsetDateTime::now_utc();

    let enqueued = now_unix();
    let deadline = enqueued + 40;
    let timeout_task = Task::new("t56:timeout", b"t".to_vec());
    env.client
        .enqueue(
            &timeout_task,
            &[
                TaskOption::task_id("t56-timeout"),
                TaskOption::timeout(Duration::from_secs(20)),
            ],
        )
        .await
        .expect("Rust enqueue");
    let deadline_task = Task::new("t56:deadline", b"d".to_vec());
    let at = OffsetDateTime::from_unix_timestamp(deadline).expect("deadline");
    env.client
        .enqueue(
            &deadline_task,
            &[
                TaskOption::task_id("t56-deadline"),
                TaskOption::deadline(at),
            ],
        )
        .await
        .expect("Rust enqueue");

    let s = wait_for(
        Duration::from_secs(6),
        "Go Servers() lists two workers",
        || async {
            let s = env.go.servers().await.into_iter().next()?;
            (s.active_workers.len() == 2).then_some(s)
        },
    )
    .await;
    let seen = now_unix();

    // What the Rust server wrote.
    let keys = env.raw.keys("asynq:servers:*").await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    let info = decode_server_info(&env.raw.get(&keys[0]).await.expect("server info"))
        .expect("ServerInfo decodes");
    let start_ts = info.start_time.expect("start_time is written");
    let started = parse_rfc3339(&s.started);
    assert_eq!(
        started.unix_timestamp_nanos(),
        i128::from(start_ts.seconds) * 1_000_000_000 + i128::from(start_ts.nanos),
        "Go Started {} vs written {start_ts:?}",
        s.started
    );
    assert!(
        before_start.unix_timestamp() <= started.unix_timestamp()
            && started.unix_timestamp() <= after_start.unix_timestamp(),
        "Started {started} not within [{before_start}, {after_start}]"
    );
    assert_eq!(s.id, server.server_id());
    assert_eq!(s.status, "active");

    let wkey = format!("asynq:workers:{}", &keys[0]["asynq:servers:".len()..]);
    let written = env.raw.hgetall(&wkey).await;
    assert_eq!(written.len(), 2, "{wkey}: {written:?}");
    for w in &s.active_workers {
        let raw = decode_worker_info(&written[&w.task_id]).expect("WorkerInfo decodes");
        let (st, dl) = (
            raw.start_time.expect("start_time is written"),
            raw.deadline.expect("deadline is written"),
        );
        let go_started = parse_rfc3339(&w.started);
        let go_deadline = parse_rfc3339(&w.deadline);
        let nanos = |ts: &asynq_proto::Timestamp| {
            i128::from(ts.seconds) * 1_000_000_000 + i128::from(ts.nanos)
        };
        assert_eq!(go_started.unix_timestamp_nanos(), nanos(&st), "{w:?}");
        assert_eq!(go_deadline.unix_timestamp_nanos(), nanos(&dl), "{w:?}");
        assert!(
            (enqueued..=seen).contains(&go_started.unix_timestamp()),
            "worker Started {go_started} not within [{enqueued}, {seen}]"
        );
        match w.task_id.as_str() {
            "t56-timeout" => {
                let run_for = go_deadline - go_started;
                assert!(
                    (run_for - time::Duration::seconds(20)).abs()
                        < time::Duration::milliseconds(10),
                    "deadline - started = {run_for}: {w:?}"
                );
            }
            "t56-deadline" => assert_eq!(go_deadline.unix_timestamp(), deadline, "{w:?}"),
            other => panic!("unexpected worker {other}"),
        }
    }

    server.shutdown().await;
    assert!(env.go.servers().await.is_empty());
}

// ---------------------------------------------------------------------------
// T57 Poison messages.

/// Bytes that are not a protobuf TaskMessage (a length-delimited field longer than the rest).
const POISON_BYTES: &[u8] = b"\x0a\xff\xff\xff\x0fnot a task message";

/// T57: a buggy producer leaves, in the pending list of `default`, a hash whose `msg` does not
/// decode and a valid message naming another queue. A Rust server archives both (never
/// running a handler for them) with an error saying what is wrong, and processes the good task
/// queued behind them. Go then reads the queue without error: the Go Inspector lists both in
/// `archived` with that LastErr (the undecodable bytes kept as the payload), `GetQueueInfo`
/// counts them, a Go server keeps processing the queue, and the Rust Inspector lists and
/// deletes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t57_poison_messages_are_archived_and_read_by_go() {
    let env = Env::start().await;
    let wrong_queue = TaskMessage {
        r#type: "t57:wrong-queue".into(),
        payload: b"wq".to_vec().into(),
        id: "t57-wq".into(),
        queue: "elsewhere".into(),
        retry: 25,
        timeout: 1800,
        ..TaskMessage::default()
    };
    let wrong_queue = asynq_proto::encode(&wrong_queue);
    for (id, msg) in [("t57-bad", POISON_BYTES), ("t57-wq", &wrong_queue[..])] {
        let key = format!("asynq:{{default}}:t:{id}");
        env.raw
            .cmd_bytes("HSET", &[key.as_bytes(), b"msg", msg, b"state", b"pending"])
            .await;
        env.raw.cmd(&["LPUSH", "asynq:{default}:pending", id]).await;
    }
    env.raw.cmd(&["SADD", "asynq:queues", "default"]).await;
    let good = env
        .client
        .enqueue(&Task::new("t57:good", "g"), &[])
        .await
        .expect("Rust enqueue");
    let ran: Arc<Mutex<Vec<String>>> = Arc::default();
    let r = ran.clone();
    let server = env
        .server(Config {
            concurrency: 2,
            task_check_interval: Duration::from_millis(50),
            shutdown_timeout: Duration::from_millis(500),
            ..Config::default()
        })
        .await;
    server
        .start(handler_fn(move |_ctx: TaskContext, task: Task| {
            let r = r.clone();
            async move {
                r.lock().expect("ran").push(task.task_type().to_owned());
                Ok::<(), HandlerError>(())
            }
        }))
        .expect("Rust server starts");
    wait_for(
        Duration::from_secs(10),
        "both poison tasks archived and the good one done",
        || async {
            let archived = env.raw.zrange_withscores("asynq:{default}:archived").await;
            let done = !env
                .raw
                .exists(&format!("asynq:{{default}}:t:{}", good.id))
                .await;
            (archived.len() == 2 && done).then_some(())
        },
    )
    .await;
    server.shutdown().await;
    assert_eq!(*ran.lock().expect("ran"), vec!["t57:good".to_owned()]);

    // Go reads the archived poison tasks.
    let archived = env
        .go
        .list_tasks("default", "archived")
        .await
        .expect("Go ListArchivedTasks");
    let by_id: BTreeMap<&str, _> = archived.iter().map(|t| (t.id.as_str(), t)).collect();
    assert_eq!(by_id.len(), 2, "{archived:?}");
    let bad = by_id["t57-bad"];
    assert!(
        bad.last_err
            .starts_with("asynq: cannot decode task message: "),
        "{bad:?}"
    );
    assert_eq!(
        (bad.queue.as_str(), bad.state.as_str()),
        ("default", "archived")
    );
    assert_eq!(bad.payload.as_deref(), Some(POISON_BYTES));
    let wq = by_id["t57-wq"];
    assert_eq!(
        wq.last_err,
        "asynq: task message names queue \"elsewhere\" but was found in queue \"default\""
    );
    assert_eq!(
        (wq.task_type.as_str(), wq.queue.as_str()),
        ("t57:wrong-queue", "default")
    );
    for id in ["t57-bad", "t57-wq"] {
        let info = env
            .go
            .task_info("default", id)
            .await
            .expect("Go GetTaskInfo");
        assert_eq!(info.state, "archived");
    }
    let info = env.go.queue_info("default").await.expect("Go GetQueueInfo");
    assert_eq!(
        (info.archived, info.active, info.pending),
        (2, 0, 0),
        "{info:?}"
    );
    assert_eq!((info.processed, info.failed), (3, 2), "{info:?}");

    // A Go server keeps processing the queue.
    let go_tasks: Vec<GoTask> = (0..3)
        .map(|i| GoTask::new("t57:go", format!("go {i}").into_bytes()))
        .collect();
    for r in env.go.enqueue(&go_tasks).await {
        r.expect("Go enqueue");
    }
    let log = env.node.dir().join("t57-go.log");
    let go_server = env
        .go
        .serve(GoServeOptions {
            concurrency: 2,
            task_check_interval: Some(Duration::from_millis(50)),
            shutdown_timeout: Some(Duration::from_secs(1)),
            log: Some(log.clone()),
            exit_after: 3,
            ..GoServeOptions::default()
        })
        .await;
    let summary = go_server.wait_timeout(Duration::from_secs(20)).await;
    let handled = asynq_interop::read_log(&log);
    assert_eq!(handled.len(), 3, "{handled:?}\n{}", summary.stderr);
    assert!(handled.iter().all(|h| h.is_ok()), "{handled:?}");
    assert_eq!(
        env.raw
            .zrange_withscores("asynq:{default}:archived")
            .await
            .len(),
        2
    );

    // The Rust Inspector lists and deletes them.
    let insp = Inspector::connect(env.opt.clone())
        .await
        .expect("Rust Inspector");
    let listed = insp
        .list_archived_tasks("default", ListOptions::default())
        .await
        .expect("Rust list_archived_tasks");
    let ids: BTreeSet<&str> = listed.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, BTreeSet::from(["t57-bad", "t57-wq"]));
    for id in ["t57-bad", "t57-wq"] {
        insp.delete_task("default", id)
            .await
            .expect("Rust delete_task");
        assert!(!env.raw.exists(&format!("asynq:{{default}}:t:{id}")).await);
    }
    assert_eq!(
        env.go.queue_info("default").await.expect("info").archived,
        0
    );
}

// ---------------------------------------------------------------------------
// T58 Aggregation state written by a Rust server.

/// T58: a Rust server with `group_max_size` 2 and an aggregator that returns no task leaves,
/// of three tasks in group g1, an aggregation set of the two oldest (with its deadline in
/// `aggregation_sets`) and one task in the group. Go v0.26.0 `GetQueueInfo`, `Groups` (what
/// Go's CLI `group ls` prints) and `ListAggregatingTasks`, and asynqmon v0.7.2's queue list and
/// group list, read that state without error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t58_go_and_asynqmon_read_rust_aggregation_state() {
    let env = Env::start().await;
    for p in ["a", "b", "c"] {
        env.client
            .enqueue(&Task::new("t58", p), &[TaskOption::group("g1")])
            .await
            .expect("Rust enqueue");
    }
    let server = env
        .server(
            Config {
                group_max_size: 2,
                group_grace_period: Duration::from_secs(1),
                shutdown_timeout: Duration::from_millis(500),
                ..Config::default()
            }
            .with_group_aggregator(|_: &str, _: Vec<Task>| None),
        )
        .await;
    server
        .start(handler_fn(|_ctx: TaskContext, _t: Task| async {
            Ok::<(), HandlerError>(())
        }))
        .expect("Rust server starts");
    let set = wait_for(Duration::from_secs(10), "an aggregation set", || async {
        env.raw
            .zrange_withscores("asynq:{default}:aggregation_sets")
            .await
            .pop()
    })
    .await;
    server.shutdown().await;
    assert_eq!(env.raw.zrange_withscores(&set.0).await.len(), 2);
    assert!(set.0.starts_with("asynq:{default}:g:g1:"), "{}", set.0);

    let info = env.go.queue_info("default").await.expect("Go GetQueueInfo");
    assert_eq!((info.groups, info.aggregating), (1, 1), "{info:?}");
    let listed = env
        .go
        .list_aggregating("default", "g1")
        .await
        .expect("Go ListAggregatingTasks");
    assert_eq!(listed.len(), 1, "{listed:?}");
    // The same second for all three: the set took the first two in ID order.
    let left = listed[0].payload.clone().expect("payload");
    assert!(
        [&b"a"[..], b"b", b"c"].contains(&left.as_slice()),
        "{listed:?}"
    );
    assert_eq!(env.raw.zscore(&set.0, &listed[0].id).await, None);
    // What `asynq group ls` of Go's CLI prints comes from Inspector.Groups.
    let groups = env.go.groups("default").await.expect("Go Inspector.Groups");
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!((groups[0].group.as_str(), groups[0].size), ("g1", 1));
    let mon = Asynqmon::new(env.node.addr());
    let answers = mon
        .get_ok(&[
            "/api/queues".to_owned(),
            "/api/queues/default/groups".to_owned(),
            "/api/queues/default/groups/g1/aggregating_tasks".to_owned(),
        ])
        .await;
    assert_eq!(answers[0]["queues"][0]["aggregating"], 1, "{}", answers[0]);
    assert_eq!(answers[1]["groups"][0]["group"], "g1", "{}", answers[1]);
    assert_eq!(Asynqmon::task_ids(&answers[2]).len(), 1, "{}", answers[2]);
}
