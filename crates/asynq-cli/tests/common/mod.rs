//! Shared helpers of the CLI tests: a Redis node seeded with tasks in every state, and a runner
//! for the real `asynq` binary.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use asynq_broker::{Broker, RedisConnOpt};
use asynq_client::{Client, Task, TaskOption};
use asynq_inspect::Inspector;
use asynq_test_support::RedisNode;

/// What the binary printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "command failed: {self:#?}");
        &self.stdout
    }

    /// Asserts failure with exactly one line on stderr and returns that line.
    #[track_caller]
    pub fn failed(&self) -> &str {
        assert_ne!(self.code, 0, "command succeeded: {self:#?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "stderr is not one line: {self:#?}");
        assert!(!self.stderr.contains("panicked"), "{self:#?}");
        lines[0]
    }
}

/// Runs the binary with `args`, an empty environment (but `PATH`), `HOME` = `home` and the
/// extra environment `env`.
pub fn asynq_in(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_asynq"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::from(cmd.output().expect("run asynq"))
}

/// One Redis node, a client, a broker and an Inspector on it, and an empty home directory.
pub struct Env {
    pub node: RedisNode,
    pub opt: RedisConnOpt,
    pub client: Client,
    pub broker: Broker,
    pub inspector: Inspector,
    pub home: tempfile::TempDir,
}

impl Env {
    pub async fn start() -> Env {
        let node = RedisNode::start().await;
        let opt = RedisConnOpt::parse_uri(&node.url()).expect("node url");
        let client = Client::connect(opt.clone()).await.expect("client");
        let broker = Broker::connect(opt.clone()).await.expect("broker");
        let inspector = Inspector::connect(opt.clone()).await.expect("inspector");
        Env {
            node,
            opt,
            client,
            broker,
            inspector,
            home: tempfile::tempdir().expect("home"),
        }
    }

    /// Runs `asynq --uri <node host:port> args...`.
    pub fn asynq(&self, args: &[&str]) -> Run {
        let addr = self.node.addr();
        let mut all = vec!["--uri", addr.as_str()];
        all.extend_from_slice(args);
        asynq_in(self.home.path(), &[], &all)
    }

    /// Enqueues a task with ID `id` in queue `q` with extra options.
    pub async fn enqueue(&self, q: &str, id: &str, extra: &[TaskOption]) {
        let mut opts = vec![TaskOption::queue(q), TaskOption::task_id(id)];
        opts.extend_from_slice(extra);
        self.client
            .enqueue(&Task::new("email:send", format!("payload-{id}")), &opts)
            .await
            .expect("enqueue");
    }

    /// Enqueues `id` in `q` and moves it to active (the queue's pending list must be empty).
    pub async fn make_active(
        &self,
        q: &str,
        id: &str,
        extra: &[TaskOption],
    ) -> asynq_proto::TaskMessage {
        self.enqueue(q, id, extra).await;
        let d = self
            .broker
            .dequeue(&[q.to_string()])
            .await
            .expect("dequeue");
        assert_eq!(d.msg.id, id);
        d.msg
    }

    /// Seeds queue `default` with tasks in every state (see [`Seeded`]) and queue `critical`
    /// with one pending task.
    pub async fn seed(&self) {
        let q = "default";
        self.make_active(q, "a1", &[]).await;
        let r = self.make_active(q, "r1", &[]).await;
        let later = time::OffsetDateTime::now_utc() + Duration::from_secs(3600);
        self.broker
            .retry(&r, later, "temporary failure", true)
            .await
            .expect("retry");
        let x = self.make_active(q, "x1", &[]).await;
        self.broker
            .archive(&x, "fatal error")
            .await
            .expect("archive");
        let c = self
            .make_active(q, "c1", &[TaskOption::retention(Duration::from_secs(3600))])
            .await;
        self.broker.mark_as_complete(&c).await.expect("complete");
        for id in ["p1", "p2", "p3"] {
            self.enqueue(q, id, &[]).await;
        }
        self.enqueue(q, "s1", &[TaskOption::process_in(Duration::from_secs(600))])
            .await;
        for id in ["g1", "g2"] {
            self.enqueue(q, id, &[TaskOption::group("grp")]).await;
        }
        self.enqueue("critical", "k1", &[]).await;
    }
}

/// The position of `needle` in `hay` (panics when missing).
#[track_caller]
pub fn pos(hay: &str, needle: &str) -> usize {
    hay.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in output:\n{hay}"))
}

/// The whitespace-separated fields of the line after the line starting with `header_start`,
/// skipping the dashes line.
#[track_caller]
pub fn row_after(out: &str, header_start: &str) -> Vec<String> {
    let lines: Vec<&str> = out.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with(header_start))
        .unwrap_or_else(|| panic!("no line starting with {header_start:?} in:\n{out}"));
    assert!(
        lines[i + 1].starts_with('-'),
        "no dashes under header in:\n{out}"
    );
    lines[i + 2]
        .split_whitespace()
        .map(str::to_string)
        .collect()
}
