//! `goasynq serve`: a real Go `asynq.Server` as a child process.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::GoAsynq;

/// How long [`GoAsynq::serve`] waits for the server to report `ready`.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// How long [`GoServer::wait`] and [`GoServer::stop`] wait for the process
/// to exit.
const EXIT_TIMEOUT: Duration = Duration::from_secs(60);

/// The configuration of a Go `asynq.Server` started by [`GoAsynq::serve`].
/// `None` leaves Go's default.
#[derive(Debug, Clone)]
pub struct GoServeOptions {
    /// `Config.Concurrency` (default 4).
    pub concurrency: usize,
    /// `Config.Queues` as (name, priority); empty means `{"default": 1}`.
    pub queues: Vec<(String, i32)>,
    /// `Config.StrictPriority`.
    pub strict: bool,
    /// `Config.ShutdownTimeout` (the program's default is Go's, 8 s).
    pub shutdown_timeout: Option<Duration>,
    /// `Config.TaskCheckInterval` (Go's default 1 s).
    pub task_check_interval: Option<Duration>,
    /// `Config.DelayedTaskCheckInterval` (Go's default 5 s).
    pub delayed_task_check_interval: Option<Duration>,
    /// A `Config.RetryDelayFunc` that always returns this delay (Go's
    /// default is exponential with jitter).
    pub retry_delay: Option<Duration>,
    /// File to append one JSON line per handler invocation to (see
    /// [`GoHandled`], [`read_log`]); it is written before the handler returns.
    pub log: Option<PathBuf>,
    /// Shut down gracefully after this many handler invocations have
    /// returned; 0 means never.
    pub exit_after: u64,
    /// Shut down gracefully after this long.
    pub max_time: Option<Duration>,
    /// Set a `Config.GroupAggregator` that makes one task of type `aggregated` whose payload
    /// is the JSON array of the group's payloads (as strings), oldest first, with the header
    /// `group` = the group name. The `group_*` fields apply only then.
    pub aggregate: bool,
    /// `Config.GroupGracePeriod` (`None`: Go's default, 1 min).
    pub group_grace_period: Option<Duration>,
    /// `Config.GroupMaxDelay` (`None`: 0, no limit).
    pub group_max_delay: Option<Duration>,
    /// `Config.GroupMaxSize` (0: no limit).
    pub group_max_size: usize,
}

impl Default for GoServeOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            queues: Vec::new(),
            strict: false,
            shutdown_timeout: None,
            task_check_interval: None,
            delayed_task_check_interval: None,
            retry_delay: None,
            log: None,
            exit_after: 0,
            max_time: None,
            aggregate: false,
            group_grace_period: None,
            group_max_delay: None,
            group_max_size: 0,
        }
    }
}

impl GoServeOptions {
    /// Adds queue `name` with `priority` to `Config.Queues`.
    pub fn queue(mut self, name: &str, priority: i32) -> Self {
        self.queues.push((name.to_owned(), priority));
        self
    }

    /// The `serve` flags for these options.
    fn args(&self) -> Vec<String> {
        let mut args = vec!["--concurrency".to_owned(), self.concurrency.to_string()];
        if !self.queues.is_empty() {
            let queues: Vec<String> = self
                .queues
                .iter()
                .map(|(name, prio)| format!("{name}:{prio}"))
                .collect();
            args.extend(["--queues".to_owned(), queues.join(",")]);
        }
        if self.strict {
            args.push("--strict".to_owned());
        }
        let durations = [
            ("--shutdown-timeout", self.shutdown_timeout),
            ("--task-check-interval", self.task_check_interval),
            (
                "--delayed-task-check-interval",
                self.delayed_task_check_interval,
            ),
            ("--retry-delay", self.retry_delay),
            ("--max-time", self.max_time),
            ("--group-grace-period", self.group_grace_period),
            ("--group-max-delay", self.group_max_delay),
        ];
        for (flag, d) in durations {
            if let Some(d) = d {
                args.extend([flag.to_owned(), go_duration(d)]);
            }
        }
        if let Some(log) = &self.log {
            args.extend(["--log".to_owned(), log.display().to_string()]);
        }
        if self.aggregate {
            args.push("--aggregate".to_owned());
        }
        if self.group_max_size > 0 {
            args.extend([
                "--group-max-size".to_owned(),
                self.group_max_size.to_string(),
            ]);
        }
        if self.exit_after > 0 {
            args.extend(["--exit-after".to_owned(), self.exit_after.to_string()]);
        }
        args
    }
}

/// A Go `time.Duration` string for `d`.
fn go_duration(d: Duration) -> String {
    format!("{}ns", d.as_nanos())
}

/// What the serve handler does with a task whose payload is this JSON object
/// (see [`payload`](Self::payload)). The steps run in this order: sleep
/// (returning `ctx.Err()` if the task's context ends first), write the
/// result, then return the error or panic. Any other payload succeeds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoBehaviour {
    /// Sleep this many milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sleep_ms: Option<u64>,
    /// Write this with `Task.ResultWriter()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Return `errors.New(error)` (the text prefixes the wrapped sentinel
    /// with `skip_retry` or `revoke`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Return an error wrapping `asynq.SkipRetry`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip_retry: bool,
    /// Return an error wrapping `asynq.RevokeTask`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub revoke: bool,
    /// `panic(text)` (when no earlier step failed); the log outcome is
    /// `panic: <text>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panic: Option<String>,
}

impl GoBehaviour {
    /// The task payload that asks for this behaviour.
    pub fn payload(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("behaviour to JSON")
    }

    /// Sleep `ms` milliseconds, then succeed.
    pub fn sleep(ms: u64) -> Self {
        Self {
            sleep_ms: Some(ms),
            ..Self::default()
        }
    }

    /// Return `errors.New(text)`.
    pub fn error(text: &str) -> Self {
        Self {
            error: Some(text.to_owned()),
            ..Self::default()
        }
    }
}

/// One handler invocation, as the serve handler logs it (a line of the
/// `--log` file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GoHandled {
    /// `GetTaskID(ctx)`.
    pub id: String,
    /// `Task.Type()`.
    #[serde(rename = "type")]
    pub task_type: String,
    /// `GetQueueName(ctx)`.
    pub queue: String,
    /// `GetRetryCount(ctx)`.
    pub retried: i64,
    /// `GetMaxRetry(ctx)`.
    pub max_retry: i64,
    /// `Task.Payload()` as a string (invalid UTF-8 replaced).
    pub payload: String,
    /// `Task.Headers()` (empty when the task has none).
    #[serde(default, deserialize_with = "crate::null_as_empty")]
    pub headers: std::collections::BTreeMap<String, String>,
    /// `ok`, the returned error's text, or `panic: <text>`.
    pub outcome: String,
}

impl GoHandled {
    /// Whether the handler returned nil.
    pub fn is_ok(&self) -> bool {
        self.outcome == "ok"
    }
}

/// Reads a serve `--log` file: the complete lines written so far, in order.
/// A missing file reads as empty.
pub fn read_log(path: impl AsRef<Path>) -> Vec<GoHandled> {
    let path = path.as_ref();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Vec::new(),
        Err(e) => panic!("reading {}: {e}", path.display()),
    };
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("bad log line in {} ({e}): {line}", path.display()))
        })
        .collect()
}

/// What `serve` prints when it exits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GoServeSummary {
    /// Handler invocations that returned.
    pub handled: u64,
    /// Everything the server wrote to stderr (the Go logger's output).
    #[serde(skip)]
    pub stderr: String,
}

/// A running Go `asynq.Server` (`goasynq serve`). Dropping it kills the
/// process.
#[derive(Debug)]
pub struct GoServer {
    child: Child,
    pid: u32,
    log: Option<PathBuf>,
    stderr: Arc<Mutex<String>>,
    stderr_reader: JoinHandle<()>,
}

impl GoAsynq {
    /// Starts a Go `asynq.Server` with `opts` and returns once
    /// `Server.Start` has returned. Panics with the program's stderr if it
    /// does not start within 20 s.
    pub async fn serve(&self, opts: GoServeOptions) -> GoServer {
        let mut child = self
            .command("serve")
            .args(opts.args())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {}: {e}", self.bin.display()));
        let pid = child.id().expect("child has a pid");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (ready_tx, ready_rx) = oneshot::channel();
        let pipe = child.stderr.take().expect("stderr is piped");
        let stderr_reader = tokio::spawn(read_stderr(pipe, stderr.clone(), ready_tx));
        let mut server = GoServer {
            child,
            pid,
            log: opts.log.clone(),
            stderr,
            stderr_reader,
        };
        match tokio::time::timeout(READY_TIMEOUT, ready_rx).await {
            Ok(Ok(())) => server,
            Ok(Err(_)) => {
                // stderr closed before `ready`: the program is exiting.
                let status = server.child.wait().await;
                let out = server.stderr_text().await;
                panic!("goasynq serve {opts:?} did not start ({status:?})\nstderr: {out}");
            }
            Err(_) => panic!(
                "goasynq serve {opts:?}: no `ready` within {READY_TIMEOUT:?}\nstderr: {}",
                server.stderr()
            ),
        }
    }
}

/// Copies the server's stderr into `buf`, and signals `ready` when the
/// program writes that line.
async fn read_stderr(
    pipe: tokio::process::ChildStderr,
    buf: Arc<Mutex<String>>,
    ready: oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    let mut lines = BufReader::new(pipe).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line == "ready" {
            if let Some(tx) = ready.take() {
                let _ = tx.send(());
            }
        }
        let mut buf = buf.lock().expect("stderr buffer");
        buf.push_str(&line);
        buf.push('\n');
    }
}

impl GoServer {
    /// The process ID (also the `pid` the server reports to the Inspector).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The server's stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr buffer").clone()
    }

    /// The handler log so far (empty without [`GoServeOptions::log`]).
    pub fn handled(&self) -> Vec<GoHandled> {
        self.log.as_ref().map(read_log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the graceful shutdown (at most
    /// `shutdown_timeout` plus the time to exit).
    pub async fn stop(self) -> GoServeSummary {
        let status = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()
            .unwrap_or_else(|e| panic!("running kill: {e}"));
        assert!(status.success(), "kill -TERM {} failed: {status}", self.pid);
        self.wait().await
    }

    /// Waits for the server to exit by itself (`exit_after`, `max_time`),
    /// at most 60 s, and returns its summary. Panics with stderr if it
    /// does not exit in time or exits with an error.
    pub async fn wait(self) -> GoServeSummary {
        self.wait_timeout(EXIT_TIMEOUT).await
    }

    /// Like [`wait`](Self::wait) with a time limit of `limit`.
    pub async fn wait_timeout(mut self, limit: Duration) -> GoServeSummary {
        let mut stdout = self.child.stdout.take().expect("stdout is piped");
        let mut out = Vec::new();
        let waited = tokio::time::timeout(limit, async {
            use tokio::io::AsyncReadExt;
            let read = stdout.read_to_end(&mut out).await;
            let status = self.child.wait().await;
            (read, status)
        })
        .await;
        let (read, status) = match waited {
            Ok(r) => r,
            Err(_) => {
                let _ = self.child.start_kill();
                panic!(
                    "goasynq serve (pid {}) did not exit within {limit:?}\nstderr: {}",
                    self.pid,
                    self.stderr()
                );
            }
        };
        read.expect("reading serve stdout");
        let status = status.expect("waiting for serve");
        let stderr = self.stderr_text().await;
        let stdout = String::from_utf8_lossy(&out);
        assert!(
            status.success(),
            "goasynq serve exited with {status}\nstdout: {}\nstderr: {stderr}",
            stdout.trim()
        );
        let mut summary: GoServeSummary = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("bad serve summary ({e}): {stdout}\nstderr: {stderr}"));
        summary.stderr = stderr;
        summary
    }

    /// All of stderr, once the process has closed it.
    async fn stderr_text(&mut self) -> String {
        let _ = (&mut self.stderr_reader).await;
        self.stderr()
    }
}
