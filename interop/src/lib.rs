//! Harness for the Go interop tests.
//!
//! [`GoAsynq`] runs the Go program in `interop/goasynq/` (built on
//! github.com/hibiken/asynq v0.26.0) against a Redis address. Each subcommand
//! takes flags and/or JSON on stdin and prints one JSON value, so every
//! assertion is made on the Rust side. The program is built once per test
//! binary into the cargo target directory.
//!
//! [`GoAsynq::serve`] runs a real Go `asynq.Server` whose handler behaves as
//! each task's payload says ([`GoBehaviour`]) and logs every invocation
//! ([`GoHandled`]); the Inspector calls (`servers`, `queue_info`,
//! `list_tasks`, `cancel`, `pause`, `unpause`) return typed structs.
//!
//! ```no_run
//! # async fn demo() {
//! use asynq_interop::{GoAsynq, GoOptions, GoTask};
//! let go = GoAsynq::new("127.0.0.1:6379");
//! let info = go
//!     .enqueue_one(&GoTask::new("email:send", *b"{}").with_options(GoOptions {
//!         max_retry: Some(3),
//!         ..GoOptions::default()
//!     }))
//!     .await
//!     .expect("enqueue");
//! let again = go.task_info("default", &info.id).await.expect("inspect");
//! assert_eq!(again.state, "pending");
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

mod inspect;
mod inspector_ops;
mod serve;

pub use inspect::{GoQueueInfo, GoServerInfo, GoWorkerInfo};
pub use inspector_ops::{GoBulk, GoDailyStats, GoGroupInfo};
pub use serve::{read_log, GoBehaviour, GoHandled, GoServeOptions, GoServeSummary, GoServer};

/// The Go asynq driver program, connected to one Redis.
#[derive(Debug, Clone)]
pub struct GoAsynq {
    bin: &'static Path,
    redis: String,
    db: u32,
}

impl GoAsynq {
    /// A driver for the Redis at `addr` (`host:port`), database 0. Builds the
    /// Go program on first use in this process.
    pub fn new(addr: impl fmt::Display) -> Self {
        Self {
            bin: binary(),
            redis: addr.to_string(),
            db: 0,
        }
    }

    /// Uses Redis database `db` instead of 0.
    pub fn with_db(mut self, db: u32) -> Self {
        self.db = db;
        self
    }

    /// A command for `subcommand` with the connection flags already set, for
    /// callers that need to manage the process themselves (long-running
    /// subcommands).
    pub fn command(&self, subcommand: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(self.bin);
        cmd.arg(subcommand)
            .arg("--redis")
            .arg(&self.redis)
            .arg("--db")
            .arg(self.db.to_string())
            .kill_on_drop(true);
        cmd
    }

    /// Runs `subcommand` with `args`, feeding `stdin` as JSON, and returns
    /// its JSON output. An asynq error reported by the program (exit status
    /// 2) is returned as `Err`; anything else that goes wrong panics with the
    /// program's stderr.
    pub async fn try_run(
        &self,
        subcommand: &str,
        args: &[&str],
        stdin: Option<&Value>,
    ) -> Result<Value, GoError> {
        let mut child = self
            .command(subcommand)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {}: {e}", self.bin.display()));
        let mut pipe = child.stdin.take().expect("stdin is piped");
        if let Some(input) = stdin {
            let bytes = serde_json::to_vec(input).expect("JSON input");
            pipe.write_all(&bytes).await.expect("writing Go stdin");
        }
        drop(pipe);
        let out = child.wait_with_output().await.expect("waiting for Go");
        let describe = || describe(subcommand, args, &out);
        let value: Option<Value> = serde_json::from_slice(&out.stdout).ok();
        match (out.status.code(), value) {
            (Some(0), Some(v)) => Ok(v),
            (Some(2), Some(v)) => Err(serde_json::from_value(v)
                .unwrap_or_else(|e| panic!("bad error JSON ({e}): {}", describe()))),
            _ => panic!("{}", describe()),
        }
    }

    /// Like [`try_run`](Self::try_run), but panics on an asynq error too.
    pub async fn run(&self, subcommand: &str, args: &[&str], stdin: Option<&Value>) -> Value {
        match self.try_run(subcommand, args, stdin).await {
            Ok(v) => v,
            Err(e) => panic!("goasynq {subcommand} {args:?} failed: {e}"),
        }
    }

    /// Go `Client.Enqueue` of each task in turn; one result per task.
    pub async fn enqueue(&self, tasks: &[GoTask]) -> Vec<Result<GoTaskInfo, GoError>> {
        let input = serde_json::to_value(tasks).expect("tasks to JSON");
        let out = self.run("enqueue", &[], Some(&input)).await;
        let items: Vec<Value> = serde_json::from_value(out).expect("enqueue output is a list");
        assert_eq!(items.len(), tasks.len(), "one result per task");
        items
            .into_iter()
            .map(|item| {
                if item.get("error").is_some() {
                    Err(serde_json::from_value(item).expect("error JSON"))
                } else {
                    Ok(serde_json::from_value(item).expect("TaskInfo JSON"))
                }
            })
            .collect()
    }

    /// Go `Client.Enqueue` of one task.
    pub async fn enqueue_one(&self, task: &GoTask) -> Result<GoTaskInfo, GoError> {
        let mut results = self.enqueue(std::slice::from_ref(task)).await;
        results.pop().expect("one result")
    }

    /// Go `Inspector.GetTaskInfo(queue, id)`.
    pub async fn task_info(&self, queue: &str, id: &str) -> Result<GoTaskInfo, GoError> {
        let out = self
            .try_run("inspect-task", &["--queue", queue, "--id", id], None)
            .await?;
        Ok(serde_json::from_value(out).expect("TaskInfo JSON"))
    }

    /// Go `Inspector.Queues()`.
    pub async fn queues(&self) -> Vec<String> {
        let out = self.run("list-queues", &[], None).await;
        serde_json::from_value(out).expect("list of queue names")
    }
}

fn describe(subcommand: &str, args: &[&str], out: &Output) -> String {
    format!(
        "goasynq {subcommand} {args:?} exited with {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim(),
    )
}

/// An error returned by a Go asynq call: its text and its class.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GoError {
    /// Go's `err.Error()`.
    pub error: String,
    /// `duplicate` (ErrDuplicateTask), `conflict` (ErrTaskIDConflict),
    /// `queue_not_found`, `task_not_found`, `queue_not_empty` or `other`.
    pub kind: String,
}

impl fmt::Display for GoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (kind {})", self.error, self.kind)
    }
}

impl std::error::Error for GoError {}

/// A task for the `enqueue` subcommand.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GoTask {
    /// Task type name.
    #[serde(rename = "type")]
    pub task_type: String,
    /// Payload; `None` is Go's nil payload.
    #[serde(with = "b64")]
    pub payload: Option<Vec<u8>>,
    /// `None` uses `NewTask`, `Some` uses `NewTaskWithHeaders`.
    pub headers: Option<BTreeMap<String, String>>,
    /// Enqueue options.
    pub options: GoOptions,
}

impl GoTask {
    /// `NewTask(task_type, payload)`.
    pub fn new(task_type: &str, payload: impl Into<Vec<u8>>) -> Self {
        Self {
            task_type: task_type.to_owned(),
            payload: Some(payload.into()),
            ..Self::default()
        }
    }

    /// `NewTask(task_type, nil)`.
    pub fn without_payload(task_type: &str) -> Self {
        Self {
            task_type: task_type.to_owned(),
            ..Self::default()
        }
    }

    /// Makes this a `NewTaskWithHeaders` task.
    pub fn with_headers<'a>(
        mut self,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let map = headers
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        self.headers = Some(map);
        self
    }

    /// Sets the enqueue options.
    pub fn with_options(mut self, options: GoOptions) -> Self {
        self.options = options;
        self
    }
}

/// Go client options; `None` means the option is not passed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GoOptions {
    /// `MaxRetry(n)`.
    pub max_retry: Option<i32>,
    /// `Queue(name)`.
    pub queue: Option<String>,
    /// `TaskID(id)`.
    pub task_id: Option<String>,
    /// `Timeout(ms)`.
    pub timeout_ms: Option<i64>,
    /// `Deadline(time.Unix(s, 0))`.
    pub deadline_unix: Option<i64>,
    /// `Unique(ms)`.
    pub unique_ms: Option<i64>,
    /// `ProcessIn(ms)` (passed after `ProcessAt`, so it wins).
    pub process_in_ms: Option<i64>,
    /// `ProcessAt(time.Unix(s, 0))`.
    pub process_at_unix: Option<i64>,
    /// `Retention(ms)`.
    pub retention_ms: Option<i64>,
    /// `Group(name)`.
    pub group: Option<String>,
}

/// Go's `asynq.TaskInfo`, as printed by the program: durations in
/// milliseconds, times in Unix seconds (`None` for Go's zero time).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GoTaskInfo {
    /// `ID`.
    pub id: String,
    /// `Queue`.
    pub queue: String,
    /// `Type`.
    #[serde(rename = "type")]
    pub task_type: String,
    /// `Payload` (`None` when nil).
    #[serde(with = "b64")]
    pub payload: Option<Vec<u8>>,
    /// `Headers` (nil is read as empty).
    #[serde(deserialize_with = "null_as_empty")]
    pub headers: BTreeMap<String, String>,
    /// `State.String()`: `pending`, `active`, `scheduled`, ...
    pub state: String,
    /// `MaxRetry`.
    pub max_retry: i64,
    /// `Retried`.
    pub retried: i64,
    /// `LastErr`.
    pub last_err: String,
    /// `LastFailedAt`.
    pub last_failed_at: Option<i64>,
    /// `Timeout`.
    pub timeout_ms: i64,
    /// `Deadline`.
    pub deadline: Option<i64>,
    /// `Group`.
    pub group: String,
    /// `NextProcessAt`.
    pub next_process_at: Option<i64>,
    /// `IsOrphaned`.
    pub is_orphaned: bool,
    /// `Retention`.
    pub retention_ms: i64,
    /// `CompletedAt`.
    pub completed_at: Option<i64>,
    /// `Result` (`None` when nil).
    #[serde(with = "b64")]
    pub result: Option<Vec<u8>>,
}

impl GoTaskInfo {
    /// `Result` as a string (invalid UTF-8 replaced); `None` when nil.
    pub fn result_text(&self) -> Option<String> {
        self.result
            .as_ref()
            .map(|r| String::from_utf8_lossy(r).into_owned())
    }
}

fn null_as_empty<'de, D>(d: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(Option::deserialize(d)?.unwrap_or_default())
}

/// Optional bytes as Go's encoding/json writes `[]byte`: base64 or null.
mod b64 {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(bytes) => s.serialize_str(&STANDARD.encode(bytes)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| STANDARD.decode(s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

static BINARY: OnceLock<PathBuf> = OnceLock::new();

/// The Go program, built on first call.
fn binary() -> &'static Path {
    BINARY.get_or_init(build)
}

/// Builds `./goasynq` into `<target>/<profile>/goasynq/`. Each process builds
/// to its own file and renames it into place, so test binaries running at the
/// same time never see a half-written executable (Go's build cache makes the
/// repeated builds cheap).
fn build() -> PathBuf {
    let out_dir = target_profile_dir().join("goasynq");
    std::fs::create_dir_all(&out_dir)
        .unwrap_or_else(|e| panic!("creating {}: {e}", out_dir.display()));
    let tmp = out_dir.join(format!("goasynq.{}.tmp", std::process::id()));
    let bin = out_dir.join("goasynq");
    let out = std::process::Command::new("go")
        .arg("build")
        .arg("-o")
        .arg(&tmp)
        .arg("./goasynq")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!("go not found: install Go 1.24+"),
        Err(e) => panic!("running go build: {e}"),
    };
    assert!(
        out.status.success(),
        "go build ./goasynq failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&tmp, &bin).unwrap_or_else(|e| panic!("installing {}: {e}", bin.display()));
    bin
}

/// `<target>/<profile>`, found from the running test executable
/// (`<target>/<profile>/deps/<name>-<hash>`).
fn target_profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current executable");
    let dir = exe.parent().expect("executable directory");
    match dir.file_name() {
        Some(name) if name == "deps" => dir.parent().unwrap_or(dir).to_path_buf(),
        _ => dir.to_path_buf(),
    }
}
