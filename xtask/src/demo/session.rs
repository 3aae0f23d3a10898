//! One demo session against a given Redis: start the example worker, run the example producer,
//! wait until the worker has processed the tasks that are due now, then stop the worker with
//! SIGTERM and time its graceful shutdown.
//!
//! Only the standard library is used: the examples package's end-to-end test compiles this file
//! too, so `cargo test` runs the same session as `cargo xtask demo`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// What the worker logs once it is connected to Redis (examples/src/bin/worker.rs).
const READY: &str = "connected to Redis";
/// What the worker logs after each task its handler finished (examples' `PROCESSED_MESSAGE`).
const PROCESSED: &str = "task processed";
/// What the worker logs when a handler failed.
const FAILED: &str = "task failed";

/// How long the worker may take to connect.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the due tasks may take to be processed once enqueued (the worker polls an empty
/// queue every 0.5 to 1.5 s).
const PROCESS_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the worker may take to exit after SIGTERM (its shutdown timeout is 8 s).
const EXIT_TIMEOUT: Duration = Duration::from_secs(30);

/// The two example programs.
pub struct Programs {
    /// The `worker` binary.
    pub worker: PathBuf,
    /// The `producer` binary.
    pub producer: PathBuf,
}

/// A task as the producer reported it.
#[derive(Debug, Clone)]
pub struct Enqueued {
    /// Task ID.
    pub id: String,
    /// Queue name.
    pub queue: String,
    /// Task type.
    pub task_type: String,
    /// `pending`, `scheduled`, ...
    pub state: String,
    /// The producer's `key=value` fields after these.
    pub details: String,
}

/// A due task the worker processed.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The task as enqueued.
    pub task: Enqueued,
    /// What the handler logged about it.
    pub handler_said: String,
    /// How long the handler ran, as the worker logged it.
    pub handler_time: String,
    /// From the producer's exit until the worker's log line arrived.
    pub after_enqueue: Duration,
}

/// What a session saw.
#[derive(Debug)]
pub struct Outcome {
    /// Every task the producer enqueued.
    pub enqueued: Vec<Enqueued>,
    /// The tasks due now, as processed by the worker.
    pub processed: Vec<Processed>,
    /// From sending SIGTERM until the worker process had exited.
    pub exit_after_sigterm: Duration,
    /// The worker's exit status.
    pub exit_status: ExitStatus,
    /// Everything the worker printed (standard error lines are marked `[stderr]`).
    pub worker_log: Vec<String>,
}

/// Runs the session against `redis_url`, printing a few lines of what happens to `out`.
///
/// # Errors
/// A message saying which step failed, with the worker's recent output.
pub fn run(programs: &Programs, redis_url: &str, out: &mut dyn Write) -> Result<Outcome, String> {
    let mut worker = Worker::spawn(&programs.worker, redis_url)?;
    worker.wait_for(START_TIMEOUT, "to connect to Redis", |l| l.contains(READY))?;
    say(
        out,
        &format!(
            "worker started (pid {}): concurrency 10, queues critical=6 default=3 low=1",
            worker.pid()
        ),
    );

    let produced = Command::new(&programs.producer)
        .arg("--redis")
        .arg(redis_url)
        .env_remove("REDIS_URL")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", programs.producer.display()))?;
    let enqueued_at = Instant::now();
    if !produced.status.success() {
        return Err(format!(
            "the producer failed ({}): {}",
            produced.status,
            String::from_utf8_lossy(&produced.stderr).trim()
        ));
    }
    let enqueued = parse_producer(&String::from_utf8_lossy(&produced.stdout))?;
    say(out, &format!("producer enqueued {} tasks:", enqueued.len()));
    for t in &enqueued {
        detail(
            out,
            &format!(
                "{:<14} {}  {:<8} {:<10} {}",
                t.task_type, t.id, t.queue, t.state, t.details
            ),
        );
    }

    let due: Vec<&Enqueued> = enqueued.iter().filter(|t| t.state == "pending").collect();
    if due.is_empty() {
        return Err("the producer enqueued no task that is due now".into());
    }
    let mut seen: BTreeMap<String, Processed> = BTreeMap::new();
    let deadline = enqueued_at + PROCESS_TIMEOUT;
    while seen.len() < due.len() {
        let line = worker.next_line(deadline, "to process the due tasks")?;
        for t in &due {
            if !line.contains(&format!("task_id={}", t.id)) {
                continue;
            }
            if line.contains(FAILED) {
                return Err(format!(
                    "the worker failed task {}: {}\n{}",
                    t.id,
                    message(&line),
                    worker.tail()
                ));
            }
            if line.contains(PROCESSED) {
                let handler_said = worker
                    .log
                    .iter()
                    .rev()
                    .find(|l| l.contains(&format!("task_id={}", t.id)) && !l.contains(PROCESSED))
                    .map(|l| message(l).replace(&format!(" task_id={}", t.id), ""))
                    .unwrap_or_default();
                seen.insert(
                    t.id.clone(),
                    Processed {
                        task: (*t).clone(),
                        handler_said,
                        handler_time: field(&line, "elapsed").unwrap_or_default(),
                        after_enqueue: enqueued_at.elapsed(),
                    },
                );
            }
        }
    }
    let processed: Vec<Processed> = due.iter().filter_map(|t| seen.remove(&t.id)).collect();
    let slowest = processed
        .iter()
        .map(|p| p.after_enqueue)
        .max()
        .unwrap_or_default();
    say(
        out,
        &format!(
            "the worker processed the {} tasks due now within {:.2} s of their enqueue:",
            processed.len(),
            slowest.as_secs_f64()
        ),
    );
    for p in &processed {
        detail(
            out,
            &format!(
                "{:<14} {}  {} ({})",
                p.task.task_type, p.task.id, p.handler_said, p.handler_time
            ),
        );
    }
    let later: Vec<&Enqueued> = enqueued.iter().filter(|t| t.state != "pending").collect();
    if !later.is_empty() {
        let n = later.len();
        let (noun, verb) = if n == 1 {
            ("task", "waits")
        } else {
            ("tasks", "wait")
        };
        say(out, &format!("{n} {noun} {verb} in Redis for later:"));
        for t in later {
            let due = field(&t.details, "process_at").unwrap_or_else(|| "later".into());
            detail(
                out,
                &format!(
                    "{:<14} {}  in asynq:{{{}}}:{} until {due}",
                    t.task_type, t.id, t.queue, t.state
                ),
            );
        }
    }

    let (exit_status, exit_after_sigterm) = worker.terminate()?;
    if !exit_status.success() {
        return Err(format!(
            "the worker exited with {exit_status} after SIGTERM\n{}",
            worker.tail()
        ));
    }
    // The worker exits with 0 only once `Server::run` has completed its graceful shutdown.
    say(
        out,
        &format!(
            "SIGTERM sent to the worker: graceful shutdown, {}, {:.1} ms after the signal",
            exit_code(exit_status),
            exit_after_sigterm.as_secs_f64() * 1000.0
        ),
    );
    Ok(Outcome {
        enqueued,
        processed,
        exit_after_sigterm,
        exit_status,
        worker_log: std::mem::take(&mut worker.log),
    })
}

fn say(out: &mut dyn Write, line: &str) {
    let _ = writeln!(out, "demo: {line}");
}

fn detail(out: &mut dyn Write, line: &str) {
    let _ = writeln!(out, "        {line}");
}

/// `exit code N`, or how the process ended otherwise.
pub fn exit_code(status: ExitStatus) -> String {
    status
        .code()
        .map_or_else(|| status.to_string(), |c| format!("exit code {c}"))
}

/// The producer's lines `enqueued task: id=.. queue=.. type=.. state=.. more=..`.
fn parse_producer(stdout: &str) -> Result<Vec<Enqueued>, String> {
    let mut tasks = Vec::new();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("enqueued task: ") else {
            continue;
        };
        let get = |k: &str| field(rest, k).ok_or_else(|| format!("no {k}= in {line:?}"));
        let known = ["id=", "queue=", "type=", "state="];
        let details: Vec<&str> = rest
            .split_whitespace()
            .filter(|w| !known.iter().any(|k| w.starts_with(k)))
            .collect();
        tasks.push(Enqueued {
            id: get("id")?,
            queue: get("queue")?,
            task_type: get("type")?,
            state: get("state")?,
            details: details.join(" "),
        });
    }
    if tasks.is_empty() {
        return Err(format!("the producer printed no task: {stdout:?}"));
    }
    Ok(tasks)
}

/// The value of `key=value` in a line of space-separated fields.
fn field(line: &str, key: &str) -> Option<String> {
    let prefix = format!("{key}=");
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&prefix))
        .map(|v| v.trim_matches('"').to_string())
}

/// A log line without its timestamp, level and target.
fn message(line: &str) -> String {
    line.split_once(": ")
        .map_or(line, |(_, m)| m)
        .trim()
        .to_string()
}

/// The running worker and its output, killed if still running when dropped.
struct Worker {
    child: Child,
    lines: Receiver<String>,
    log: Vec<String>,
}

impl Worker {
    fn spawn(program: &std::path::Path, redis_url: &str) -> Result<Worker, String> {
        let mut child = Command::new(program)
            .arg("--redis")
            .arg(redis_url)
            .env_remove("REDIS_URL")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let (tx, lines) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            forward(stdout, "", tx.clone());
        }
        if let Some(stderr) = child.stderr.take() {
            forward(stderr, "[stderr] ", tx);
        }
        Ok(Worker {
            child,
            lines,
            log: Vec::new(),
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next output line, before `deadline`; an error if the worker exits or stays silent.
    fn next_line(&mut self, deadline: Instant, waiting_for: &str) -> Result<String, String> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(line) => {
                self.log.push(line.clone());
                Ok(line)
            }
            Err(RecvTimeoutError::Timeout) => Err(format!(
                "the worker did not manage {waiting_for} in time\n{}",
                self.tail()
            )),
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait().map_or_else(|e| e.to_string(), exit_code);
                Err(format!(
                    "the worker exited ({status}) while waiting for it {waiting_for}\n{}",
                    self.tail()
                ))
            }
        }
    }

    /// Reads output until a line matches.
    fn wait_for(
        &mut self,
        timeout: Duration,
        waiting_for: &str,
        matches: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let line = self.next_line(deadline, waiting_for)?;
            if matches(&line) {
                return Ok(line);
            }
        }
    }

    /// Sends SIGTERM and waits for the exit: the status and the time from the signal to the
    /// exit. The remaining output is read into the log.
    fn terminate(&mut self) -> Result<(ExitStatus, Duration), String> {
        let pid = self.child.id().to_string();
        let sent = Instant::now();
        let kill = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .map_err(|e| format!("cannot run kill: {e}"))?;
        if !kill.success() {
            return Err(format!("kill -TERM {pid} failed ({kill})"));
        }
        let status = loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                break status;
            }
            if sent.elapsed() > EXIT_TIMEOUT {
                return Err(format!(
                    "the worker did not exit within {EXIT_TIMEOUT:?} of SIGTERM\n{}",
                    self.tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let took = sent.elapsed();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.log.push(line);
        }
        Ok((status, took))
    }

    /// The last lines of output, for error messages.
    fn tail(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.log.push(line);
        }
        let from = self.log.len().saturating_sub(20);
        let lines: Vec<String> = self.log[from..]
            .iter()
            .map(|l| format!("  worker| {l}"))
            .collect();
        if lines.is_empty() {
            "  (the worker printed nothing)".into()
        } else {
            lines.join("\n")
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sends each line of `stream` to `tx`, prefixed, from a thread of its own.
fn forward(stream: impl Read + Send + 'static, prefix: &'static str, tx: mpsc::Sender<String>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(format!("{prefix}{line}")).is_err() {
                break;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_producer_and_log_lines() {
        let tasks = parse_producer(
            "enqueued task: id=a1 queue=default type=email:deliver state=pending max_retry=25 timeout=1800s\n\
             enqueued task: id=b2 queue=default type=email:deliver state=scheduled process_at=2026-11-24T00:00:10Z max_retry=25 timeout=1800s\n",
        )
        .unwrap();
        assert_eq!(tasks.len(), 2);
        assert_eq!(tasks[0].id, "a1");
        assert_eq!(tasks[0].task_type, "email:deliver");
        assert_eq!(tasks[1].state, "scheduled");
        assert_eq!(
            tasks[1].details,
            "process_at=2026-11-24T00:00:10Z max_retry=25 timeout=1800s"
        );
        assert!(parse_producer("nothing\n").is_err());

        let line = "2026-11-23T00:00:12.022238Z  INFO asynq_examples: task processed task_type=email:deliver task_id=a1 queue=default elapsed=65.735µs";
        assert_eq!(field(line, "elapsed").as_deref(), Some("65.735µs"));
        assert_eq!(field(line, "task_type").as_deref(), Some("email:deliver"));
        assert!(message(line).starts_with("task processed task_type="));
    }
}
