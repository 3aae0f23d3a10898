//! How each kind of case is run on one side and what it records.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use super::child::Proc;
use super::procfs;
use super::resp::{command_calls, is_script_call, redis_cpu_seconds, Resp};
use crate::redis::LocalRedis;

/// Which implementation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    Rust,
    Go,
}

impl Side {
    /// `rust` or `go`, as in the JSON records.
    pub fn name(self) -> &'static str {
        match self {
            Side::Rust => "rust",
            Side::Go => "go",
        }
    }

    /// `Rust` or `Go`.
    pub fn title(self) -> &'static str {
        match self {
            Side::Rust => "Rust",
            Side::Go => "Go",
        }
    }
}

/// One workload variant.
pub struct Case {
    pub label: String,
    pub kind: Kind,
    /// The label of the case whose Go runs a Rust-only case is compared with.
    pub compare_to: Option<String>,
}

/// What a case runs.
pub enum Kind {
    /// W1: one program run (`args` without `--redis`), timed inside the program.
    Enqueue { args: Vec<String>, rust_only: bool },
    /// W2/W4/W5: `backlog` tasks in `queues` (round-robin); a worker process with `concurrency`
    /// drains `n` of them.
    Drain {
        queues: Vec<String>,
        n: usize,
        backlog: usize,
        concurrency: usize,
    },
    /// W3: the side is the worker's; `producer` enqueues `n` tasks at `rate`/s.
    Pickup { producer: Side, n: usize, rate: f64 },
    /// W4 idle: a worker process on empty queues for `secs`.
    Idle { secs: f64 },
    /// W6: `n` tasks over `groups` groups of `default` (set-up), then a worker process with a
    /// concatenating group aggregator, `group_grace_period` `grace_secs` and `group_max_size`
    /// `max_size`, until every group task has been processed inside an aggregated task.
    Aggregate {
        n: usize,
        groups: usize,
        max_size: usize,
        grace_secs: u64,
        concurrency: usize,
    },
}

impl Case {
    /// The sides that run this case, Go first.
    pub fn sides(&self) -> Vec<Side> {
        match self.kind {
            Kind::Enqueue {
                rust_only: true, ..
            } => vec![Side::Rust],
            _ => vec![Side::Go, Side::Rust],
        }
    }
}

/// The queues of W3 and the idle worker, with Go's example priorities.
const THREE_QUEUES: &str = "critical:6,default:3,low:1";
/// How often the harness reads the processed counters while a drain runs.
const POLL: Duration = Duration::from_millis(2);
/// Generous upper bounds, so that a broken side fails the run instead of hanging it.
const START_TIMEOUT: Duration = Duration::from_secs(30);
const DRAIN_TIMEOUT: Duration = Duration::from_secs(600);
/// The aggregation worker's own limit (it reports a timeout then); the harness waits a little
/// longer for its report.
const AGGREGATE_TIMEOUT_SECS: u64 = 300;
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs cases against one Redis.
pub struct Runner {
    rust: PathBuf,
    go: PathBuf,
    url: String,
    addr: String,
    logs: PathBuf,
    conn: Resp,
    /// The drain case whose backlog the queues hold now, if any.
    filled: Option<String>,
}

impl Runner {
    pub fn new(
        redis: &LocalRedis,
        rust: PathBuf,
        go: PathBuf,
        logs: PathBuf,
    ) -> Result<Runner, String> {
        Ok(Runner {
            rust,
            go,
            url: redis.url(),
            addr: redis.addr(),
            logs,
            conn: Resp::connect(&redis.addr())?,
            filled: None,
        })
    }

    fn program(&self, side: Side) -> &Path {
        match side {
            Side::Rust => &self.rust,
            Side::Go => &self.go,
        }
    }

    /// The program's arguments followed by `--redis` in the form the side takes.
    fn args(&self, side: Side, args: &[&str]) -> Vec<String> {
        let redis = match side {
            Side::Rust => self.url.clone(),
            Side::Go => self.addr.clone(),
        };
        args.iter()
            .map(|s| s.to_string())
            .chain(["--redis".to_string(), redis])
            .collect()
    }

    fn log(&self, side: Side, what: &str) -> PathBuf {
        self.logs.join(format!("{}-{what}.log", side.name()))
    }

    fn flushall(&mut self) -> Result<(), String> {
        self.filled = None;
        self.conn.cmd(&["FLUSHALL"]).map(|_| ())
    }

    /// Runs a program to completion and returns its last JSON line.
    fn run_to_end(&self, side: Side, args: &[&str], what: &str) -> Result<Value, String> {
        let program = self.program(side);
        let full = self.args(side, args);
        let out = Command::new(program)
            .args(&full)
            .output()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} {} failed ({}): {}",
                program.display(),
                full.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let last = stdout.lines().last().unwrap_or_default();
        serde_json::from_str(last).map_err(|e| format!("{what}: bad output {e}: {stdout}"))
    }

    /// Runs one case on one side and returns its record.
    pub fn run(&mut self, case: &Case, side: Side) -> Result<Value, String> {
        match &case.kind {
            Kind::Enqueue { args, .. } => {
                self.flushall()?;
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                self.run_to_end(side, &args, "enqueue")
            }
            Kind::Drain {
                queues,
                n,
                backlog,
                concurrency,
            } => self.drain(&case.label, side, queues, *n, *backlog, *concurrency),
            Kind::Pickup { producer, n, rate } => self.pickup(side, *producer, *n, *rate),
            Kind::Idle { secs } => self.idle(side, *secs),
            Kind::Aggregate {
                n,
                groups,
                max_size,
                grace_secs,
                concurrency,
            } => self.aggregate(side, *n, *groups, *max_size, *grace_secs, *concurrency),
        }
    }

    /// Puts `backlog` tasks (round-robin) into `queues`: a fresh fill after a different case,
    /// else a top-up of what the last run drained.
    fn prepare_backlog(
        &mut self,
        label: &str,
        queues: &[String],
        backlog: usize,
    ) -> Result<(), String> {
        let want = |i: usize| backlog / queues.len() + usize::from(i < backlog % queues.len());
        if self.filled.as_deref() != Some(label) {
            self.flushall()?;
            self.fill(backlog, queues)?;
            self.filled = Some(label.to_string());
            return Ok(());
        }
        for (i, q) in queues.iter().enumerate() {
            let have = self
                .conn
                .cmd(&["LLEN", &format!("asynq:{{{q}}}:pending")])?
                .int() as usize;
            if have < want(i) {
                self.fill(want(i) - have, std::slice::from_ref(q))?;
            }
        }
        Ok(())
    }

    fn fill(&self, n: usize, queues: &[String]) -> Result<(), String> {
        let (n, queues) = (n.to_string(), queues.join(","));
        self.run_to_end(
            Side::Rust,
            &["fill", "--n", &n, "--queues", &queues],
            "fill",
        )
        .map(|_| ())
    }

    /// The sum of the processed counters of `queues`.
    fn processed(&mut self, keys: &[String]) -> Result<i64, String> {
        let mut args = vec!["MGET"];
        args.extend(keys.iter().map(String::as_str));
        Ok(self.conn.cmd(&args)?.items().iter().map(|r| r.int()).sum())
    }

    fn drain(
        &mut self,
        label: &str,
        side: Side,
        queues: &[String],
        n: usize,
        backlog: usize,
        concurrency: usize,
    ) -> Result<Value, String> {
        self.prepare_backlog(label, queues, backlog)?;
        let counters: Vec<String> = queues
            .iter()
            .map(|q| format!("asynq:{{{q}}}:processed"))
            .collect();
        let before = self.processed(&counters)?;
        let target = before + n as i64;
        let cpu_before = redis_cpu_seconds(&self.conn.cmd(&["INFO", "cpu"])?.text());
        self.conn.cmd(&["CONFIG", "RESETSTAT"])?;

        let qs = queues
            .iter()
            .map(|q| format!("{q}:1"))
            .collect::<Vec<_>>()
            .join(",");
        let args = self.args(
            side,
            &[
                "worker",
                "--queues",
                &qs,
                "--concurrency",
                &concurrency.to_string(),
            ],
        );
        let mut worker = Proc::spawn(self.program(side), &args, &self.log(side, "worker"))?;
        let started = worker.next_json(START_TIMEOUT)?;
        let started_ns = started["unix_ns"].as_i64().unwrap_or_default();
        let t0 = Instant::now();
        let mut polls = 0u64;
        loop {
            polls += 1;
            let done = self.processed(&counters)?;
            if done >= target {
                break;
            }
            if t0.elapsed() > DRAIN_TIMEOUT {
                return Err(format!(
                    "{label} ({}): processed {} of {n} in {DRAIN_TIMEOUT:?}",
                    side.name(),
                    done - before
                ));
            }
            std::thread::sleep(POLL);
        }
        let end_ns = unix_ns();
        let pid = worker.pid();
        let worker_cpu = procfs::cpu_seconds(pid);
        let peak_rss = procfs::peak_rss_kib(pid);
        let mut mget = vec!["MGET"];
        mget.extend(counters.iter().map(String::as_str));
        let replies = self
            .conn
            .pipeline(&[&mget, &["INFO", "commandstats"], &["INFO", "cpu"]])?;
        let processed = (replies[0].items().iter().map(|r| r.int()).sum::<i64>() - before).max(1);
        let calls = command_calls(&replies[1].text());
        let cpu_after = redis_cpu_seconds(&replies[2].text());
        worker.finish(STOP_TIMEOUT)?;

        let seconds = (end_ns - started_ns) as f64 / 1e9;
        let per_task = |x: f64| x / processed as f64;
        let total: u64 = calls.iter().map(|(_, c)| c).sum();
        let scripts: u64 = calls
            .iter()
            .filter(|(c, _)| is_script_call(c))
            .map(|(_, c)| c)
            .sum();
        Ok(json!({
            "workload": "drain",
            "tasks": n,
            "backlog": backlog,
            "queues": queues.len(),
            "concurrency": concurrency,
            "seconds": seconds,
            "tasks_per_sec": n as f64 / seconds,
            "processed_at_stats": processed,
            "harness_polls": polls,
            "redis_cmds_per_task": per_task(total as f64),
            "redis_scripts_per_task": per_task(scripts as f64),
            "redis_cpu_us_per_task": per_task((cpu_after - cpu_before) * 1e6),
            "worker_cpu_us_per_task": worker_cpu.map(|c| per_task(c * 1e6)),
            "worker_peak_rss_mib": peak_rss.map(|k| k / 1024.0),
            "commandstats": calls_json(&calls),
        }))
    }

    fn pickup(&mut self, side: Side, producer: Side, n: usize, rate: f64) -> Result<Value, String> {
        self.flushall()?;
        let n_arg = n.to_string();
        let timeout = match side {
            Side::Rust => vec!["--timeout-secs", "120"],
            Side::Go => vec!["--timeout", "120s"],
        };
        let mut wargs = vec!["pickup-worker", "--n", &n_arg, "--queues", THREE_QUEUES];
        wargs.extend(timeout);
        let args = self.args(side, &wargs);
        let mut worker = Proc::spawn(self.program(side), &args, &self.log(side, "pickup-worker"))?;
        worker.next_json(START_TIMEOUT)?;
        std::thread::sleep(Duration::from_secs(2));
        let rate_arg = rate.to_string();
        let produced = self.run_to_end(
            producer,
            &[
                "pickup-produce",
                "--n",
                &n_arg,
                "--rate",
                &rate_arg,
                "--queues",
                "critical,default,low",
            ],
            "pickup-produce",
        )?;
        let mut result = worker.next_json(Duration::from_secs(150))?;
        worker.finish(STOP_TIMEOUT)?;
        result["producer"] = Value::from(producer.name());
        result["producer_seconds"] = produced["seconds"].clone();
        result["producer_errors"] = produced["errors"].clone();
        Ok(result)
    }

    fn idle(&mut self, side: Side, secs: f64) -> Result<Value, String> {
        self.flushall()?;
        let args = self.args(side, &["worker", "--queues", THREE_QUEUES]);
        let mut worker = Proc::spawn(self.program(side), &args, &self.log(side, "idle-worker"))?;
        worker.next_json(START_TIMEOUT)?;
        // Let the start-up writes (server registration, first heartbeat) pass.
        std::thread::sleep(Duration::from_secs(1));
        let pid = worker.pid();
        let cpu_before = redis_cpu_seconds(&self.conn.cmd(&["INFO", "cpu"])?.text());
        let worker_before = procfs::thread_cpu_seconds(pid);
        self.conn.cmd(&["CONFIG", "RESETSTAT"])?;
        let t0 = Instant::now();
        std::thread::sleep(Duration::from_secs_f64(secs));
        let replies = self
            .conn
            .pipeline(&[&["INFO", "commandstats"], &["INFO", "cpu"]])?;
        let elapsed = t0.elapsed().as_secs_f64();
        let worker_after = procfs::thread_cpu_seconds(pid);
        worker.finish(STOP_TIMEOUT)?;
        let calls = command_calls(&replies[0].text());
        let total: u64 = calls.iter().map(|(_, c)| c).sum();
        let scripts: u64 = calls
            .iter()
            .filter(|(c, _)| is_script_call(c))
            .map(|(_, c)| c)
            .sum();
        let cpu_after = redis_cpu_seconds(&replies[1].text());
        Ok(json!({
            "workload": "idle",
            "seconds": elapsed,
            "redis_cmds_per_sec": total as f64 / elapsed,
            "redis_scripts_per_sec": scripts as f64 / elapsed,
            "redis_cpu_ms_per_sec": (cpu_after - cpu_before) * 1e3 / elapsed,
            "worker_cpu_ms_per_sec": worker_before
                .zip(worker_after)
                .map(|(b, a)| (a - b) * 1e3 / elapsed),
            "commandstats": calls_json(&calls),
        }))
    }
}

impl Runner {
    /// W6: fills the groups (Rust `aggregate-fill`, set-up), then starts the side's
    /// `aggregate-worker` and waits for its `done` line: every group task seen inside a
    /// processed aggregated task. Then the processed counter is read until it holds the
    /// aggregated tasks the worker reports (the acknowledgement of the last ones), and Redis'
    /// statistics and the worker's `/proc` entries are taken.
    fn aggregate(
        &mut self,
        side: Side,
        n: usize,
        groups: usize,
        max_size: usize,
        grace_secs: u64,
        concurrency: usize,
    ) -> Result<Value, String> {
        self.flushall()?;
        let (n_arg, groups_arg) = (n.to_string(), groups.to_string());
        let fill = self.run_to_end(
            Side::Rust,
            &[
                "aggregate-fill",
                "--n",
                &n_arg,
                "--groups",
                &groups_arg,
                "--queue",
                "default",
            ],
            "aggregate-fill",
        )?;
        let counter = vec!["asynq:{default}:processed".to_string()];
        let wall = Instant::now();
        let cpu_before = redis_cpu_seconds(&self.conn.cmd(&["INFO", "cpu"])?.text());
        self.conn.cmd(&["CONFIG", "RESETSTAT"])?;

        let (max_arg, conc_arg) = (max_size.to_string(), concurrency.to_string());
        let (grace_arg, timeout_arg) = match side {
            Side::Rust => (grace_secs.to_string(), AGGREGATE_TIMEOUT_SECS.to_string()),
            Side::Go => (
                format!("{grace_secs}s"),
                format!("{AGGREGATE_TIMEOUT_SECS}s"),
            ),
        };
        let mut wargs = vec![
            "aggregate-worker",
            "--n",
            &n_arg,
            "--queue",
            "default",
            "--concurrency",
            &conc_arg,
            "--max-size",
            &max_arg,
        ];
        match side {
            Side::Rust => {
                wargs.extend(["--grace-secs", &grace_arg, "--timeout-secs", &timeout_arg])
            }
            Side::Go => wargs.extend(["--grace", &grace_arg, "--timeout", &timeout_arg]),
        }
        let args = self.args(side, &wargs);
        let mut worker = Proc::spawn(
            self.program(side),
            &args,
            &self.log(side, "aggregate-worker"),
        )?;
        let started = worker.next_json(START_TIMEOUT)?;
        let started_ns = started["unix_ns"].as_i64().unwrap_or_default();
        let done = worker.next_json(Duration::from_secs(AGGREGATE_TIMEOUT_SECS + 30))?;
        if done["event"] != "done" {
            return Err(format!(
                "W6 aggregation ({}): {} of {n} group tasks processed in {AGGREGATE_TIMEOUT_SECS} s: {done}",
                side.name(),
                done["group_tasks"]
            ));
        }
        let aggregated = done["aggregated_tasks"].as_i64().unwrap_or_default();
        let t0 = Instant::now();
        let mut polls = 0u64;
        while self.processed(&counter)? < aggregated {
            polls += 1;
            if t0.elapsed() > STOP_TIMEOUT {
                return Err(format!(
                    "W6 aggregation ({}): the processed counter did not reach {aggregated}",
                    side.name()
                ));
            }
            std::thread::sleep(POLL);
        }
        let pid = worker.pid();
        let worker_cpu = procfs::cpu_seconds(pid);
        let peak_rss = procfs::peak_rss_kib(pid);
        let replies = self
            .conn
            .pipeline(&[&["INFO", "commandstats"], &["INFO", "cpu"]])?;
        let calls = command_calls(&replies[0].text());
        let cpu_after = redis_cpu_seconds(&replies[1].text());
        let wall = wall.elapsed().as_secs_f64();
        worker.finish(STOP_TIMEOUT)?;

        let done_ns = done["unix_ns"].as_i64().unwrap_or_default();
        let first_ns = done["first_unix_ns"].as_i64().unwrap_or_default();
        let seconds = (done_ns - started_ns) as f64 / 1e9;
        let first = (first_ns - started_ns) as f64 / 1e9;
        let per_task = |x: f64| x / n as f64;
        let total: u64 = calls.iter().map(|(_, c)| c).sum();
        let scripts: u64 = calls
            .iter()
            .filter(|(c, _)| is_script_call(c))
            .map(|(_, c)| c)
            .sum();
        let redis_cpu = cpu_after - cpu_before;
        Ok(json!({
            "workload": "aggregate",
            "tasks": n,
            "groups": groups,
            "group_max_size": max_size,
            "group_grace_period_secs": grace_secs,
            "concurrency": concurrency,
            "fill_seconds": fill["seconds"].clone(),
            "seconds": seconds,
            // Group tasks aggregated (and processed inside aggregated tasks) per second.
            "tasks_per_sec": n as f64 / seconds,
            "first_aggregated_secs": first,
            // The same after the first aggregated task was handled (without the first tick).
            "tasks_per_sec_after_first": n as f64 / (seconds - first).max(1e-9),
            "aggregated_tasks": aggregated,
            "duplicates": done["duplicates"].clone(),
            "bad_payloads": done["bad"].clone(),
            "harness_polls": polls,
            "redis_cmds_per_task": per_task(total as f64),
            "redis_scripts_per_task": per_task(scripts as f64),
            "redis_cpu_us_per_task": per_task(redis_cpu * 1e6),
            // Redis CPU over the wall time between its two readings: how busy the single
            // Redis thread was (the worker's start-up included).
            "redis_cpu_share": redis_cpu / wall,
            "worker_cpu_us_per_task": worker_cpu.map(|c| per_task(c * 1e6)),
            "worker_peak_rss_mib": peak_rss.map(|k| k / 1024.0),
            "commandstats": calls_json(&calls),
        }))
    }
}

fn calls_json(calls: &[(String, u64)]) -> Value {
    let mut m = Map::new();
    for (name, c) in calls {
        m.insert(name.clone(), Value::from(*c));
    }
    Value::Object(m)
}

fn unix_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or_default()
}
