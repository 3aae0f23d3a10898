//! `cargo xtask bench`: the Rust crates against Go asynq v0.26.0 on the same Redis, in the same
//! run, alternating the two, with medians, min–max and the Rust/Go ratio. See
//! `docs/performance.md` for what each workload measures.
//!
//! * W1 enqueue: one program run per measurement (`enqueue`), timed inside the program.
//! * W2 drain, W4 cost, W5 scale: the queues are filled by `asynq-bench fill` (set-up), then a
//!   worker process (`worker`) is started and watched from here: the processed counters every
//!   2 ms, Redis' `INFO commandstats` and `INFO cpu`, and the worker's `/proc` entries.
//! * W3 pickup latency: a worker process (`pickup-worker`) idle for 2 s, then a producer process
//!   (`pickup-produce`) at a fixed rate; the worker reports the latencies.
//! * W4 idle: a worker process on three empty queues; Redis commands per second.
//! * W6 aggregation: N group tasks over G groups are put into `default` by
//!   `asynq-bench aggregate-fill` (set-up), then a worker process with a group aggregator
//!   (`aggregate-worker`) reports when every group task has been processed inside an aggregated
//!   task; Redis' statistics and the worker's `/proc` entries are read then.

mod child;
mod procfs;
mod resp;
mod table;
mod workloads;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::redis::LocalRedis;
use crate::{cargo, prereq, run};
use workloads::{Case, Kind, Runner, Side};

/// The flags of `cargo xtask bench`.
pub struct Options {
    /// Small N, one repetition, debug build: proves the benchmark runs (CI).
    pub quick: bool,
    /// Run the criterion micro-benchmarks instead of the workloads.
    pub micro: bool,
    /// Only the cases whose label contains this text (for example `W3`).
    pub only: Option<String>,
}

/// The sizes of one run.
struct Sizes {
    enqueue_n: usize,
    drain_n: usize,
    pickup_n: usize,
    pickup_rate: f64,
    idle_secs: f64,
    /// Backlogs of W5 with one queue (each drains `drain_n` of them).
    backlogs: Vec<usize>,
    /// W6: group tasks and groups (`aggregate_n / aggregate_groups` per group).
    aggregate_n: usize,
    aggregate_groups: usize,
    reps: usize,
}

/// W6's server settings, the same on both sides.
const AGGREGATE_MAX_SIZE: usize = 100;
const AGGREGATE_GRACE_SECS: u64 = 1;

/// Runs the benchmark.
pub fn bench(opts: Options) -> Result<(), String> {
    let root = workspace_root();
    if opts.micro {
        let mut cmd = cargo();
        cmd.args(["bench", "-p", "asynq-bench", "--bench", "micro"]);
        if opts.quick {
            cmd.args(["--", "--quick"]);
        }
        return run(&mut cmd);
    }
    prereq::check(&["redis-server", "redis-cli", "go"])?;
    let target = root.join("target");
    // --quick only proves that everything runs: a debug build is enough and much faster to
    // build in CI, where the test suite has compiled the dependencies already.
    let profile = if opts.quick { "debug" } else { "release" };
    let mut build = cargo();
    build.args(["build", "--quiet", "-p", "asynq-bench"]);
    if !opts.quick {
        build.arg("--release");
    }
    run(&mut build)?;
    let gobench = target.join("gobench");
    run(Command::new("go")
        .current_dir(root.join("interop"))
        .args(["build", "-o"])
        .arg(&gobench)
        .arg("./gobench"))?;
    let rustbench = target.join(profile).join("asynq-bench");

    let sizes = if opts.quick {
        Sizes {
            enqueue_n: 2_000,
            drain_n: 2_000,
            pickup_n: 200,
            pickup_rate: 500.0,
            idle_secs: 3.0,
            backlogs: vec![20_000],
            aggregate_n: 2_000,
            aggregate_groups: 20,
            reps: 1,
        }
    } else {
        Sizes {
            enqueue_n: 20_000,
            drain_n: 20_000,
            pickup_n: 2_000,
            pickup_rate: 500.0,
            idle_secs: 10.0,
            backlogs: vec![200_000, 1_000_000],
            aggregate_n: 200_000,
            aggregate_groups: 2_000,
            reps: 5,
        }
    };
    let out = target.join("bench");
    let logs = out.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;

    let redis = LocalRedis::start()?;
    let mut runner = Runner::new(&redis, rustbench, gobench, logs)?;
    let cases: Vec<Case> = cases(&sizes)
        .into_iter()
        .filter(|c| {
            opts.only
                .as_ref()
                .is_none_or(|o| c.label.contains(o.as_str()))
        })
        .collect();
    let started = SystemTime::now();
    let mut runs: Vec<Value> = Vec::new();
    // Repetition-major (every case once, then again) so that drifts of the machine spread over
    // all cases; the large backlogs of W5 are filled once and run case-major instead.
    let (by_rep, by_case): (Vec<&Case>, Vec<&Case>) = cases
        .iter()
        .partition(|c| !matches!(c.kind, Kind::Drain { backlog, n, .. } if backlog > n));
    for rep in 0..sizes.reps {
        for case in &by_rep {
            runs.extend(run_case(&mut runner, case, rep)?);
        }
    }
    for case in &by_case {
        for rep in 0..sizes.reps {
            runs.extend(run_case(&mut runner, case, rep)?);
        }
    }
    let table = table::render(&cases, &runs, &describe(&sizes, opts.quick));
    println!("\n{table}");

    let stamp = utc_stamp(started);
    let doc = json!({
        "date": stamp,
        "quick": opts.quick,
        "reps": sizes.reps,
        "build": profile,
        "machine": machine(),
        "versions": versions(&root),
        "table": table,
        "runs": runs,
    });
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    let file = out.join(format!("{stamp}.json"));
    for f in [&file, &out.join("latest.json")] {
        std::fs::write(f, &text).map_err(|e| format!("{}: {e}", f.display()))?;
    }
    println!("every run: {} (also latest.json)", file.display());
    Ok(())
}

/// Runs one case on both sides (Go first in even repetitions, Rust first in odd ones).
fn run_case(runner: &mut Runner, case: &Case, rep: usize) -> Result<Vec<Value>, String> {
    let mut sides = case.sides();
    if rep % 2 == 1 {
        sides.reverse();
    }
    let mut out = Vec::new();
    for side in sides {
        eprintln!("[rep {}] {} — {}", rep + 1, case.label, side.name());
        let mut v = runner.run(case, side)?;
        v["case"] = Value::from(case.label.as_str());
        v["side"] = Value::from(side.name());
        v["rep"] = Value::from(rep);
        out.push(v);
    }
    Ok(out)
}

fn cases(s: &Sizes) -> Vec<Case> {
    let mut cases = Vec::new();
    let enqueue = |label: &str, args: &[&str], rust_only: bool, compare_to: Option<&str>| Case {
        label: label.to_string(),
        kind: Kind::Enqueue {
            args: ["enqueue", "--n", &s.enqueue_n.to_string(), "--size", "128"]
                .iter()
                .chain(args)
                .map(|a| a.to_string())
                .collect(),
            rust_only,
        },
        compare_to: compare_to.map(str::to_string),
    };
    cases.push(enqueue(
        "W1 enqueue, 1 producer",
        &["--concurrency", "1"],
        false,
        None,
    ));
    cases.push(enqueue(
        "W1 enqueue, 16 producers",
        &["--concurrency", "16"],
        false,
        None,
    ));
    cases.push(enqueue(
        "W1 enqueue_batch (vs Go 1 producer)",
        &["--batch"],
        true,
        Some("W1 enqueue, 1 producer"),
    ));
    let drain = |label: String, queues: usize, backlog: usize| Case {
        label,
        kind: Kind::Drain {
            queues: if queues == 1 {
                vec!["default".to_string()]
            } else {
                (1..=queues).map(|i| format!("q{i:02}")).collect()
            },
            n: s.drain_n,
            backlog,
            concurrency: 16,
        },
        compare_to: None,
    };
    cases.push(drain("W2 drain, 16 workers".into(), 1, s.drain_n));
    for producer in [Side::Rust, Side::Go] {
        cases.push(Case {
            label: format!("W3 pickup, {} producer", producer.title()),
            kind: Kind::Pickup {
                producer,
                n: s.pickup_n,
                rate: s.pickup_rate,
            },
            compare_to: None,
        });
    }
    cases.push(Case {
        label: "W4 idle worker, 3 queues".into(),
        kind: Kind::Idle { secs: s.idle_secs },
        compare_to: None,
    });
    cases.push(drain("W5 drain, 10 queues".into(), 10, s.drain_n));
    for &b in &s.backlogs {
        cases.push(drain(format!("W5 drain, backlog {}", thousands(b)), 1, b));
    }
    cases.push(Case {
        label: format!(
            "W6 aggregation, {} tasks in {} groups",
            thousands(s.aggregate_n),
            thousands(s.aggregate_groups)
        ),
        kind: Kind::Aggregate {
            n: s.aggregate_n,
            groups: s.aggregate_groups,
            max_size: AGGREGATE_MAX_SIZE,
            grace_secs: AGGREGATE_GRACE_SECS,
            concurrency: 16,
        },
        compare_to: None,
    });
    cases
}

fn describe(s: &Sizes, quick: bool) -> String {
    format!(
        "W1: {} tasks of 128 bytes. W2/W5: {} pre-enqueued no-op tasks of 0 bytes processed by a \
         worker process with concurrency 16, timed from Server start until the processed \
         counters have grown by that many. W3: {} tasks at {}/s round-robin over critical, \
         default, low to a worker with default settings on critical:6, default:3, low:1, idle \
         for 2 s first. W4 idle: {} s on critical:6, default:3, low:1. W6: {} group tasks of 8 \
         bytes in {} groups of default, aggregated (group_max_size {AGGREGATE_MAX_SIZE}, \
         group_grace_period {AGGREGATE_GRACE_SECS} s, payloads concatenated) and processed by a \
         worker process with concurrency 16, timed from Server start until the last group task \
         has been handled inside an aggregated task; tasks/s and the costs per task count group \
         tasks.\n{} repetition(s); medians with min–max{}.",
        thousands(s.enqueue_n),
        thousands(s.drain_n),
        thousands(s.pickup_n),
        s.pickup_rate,
        s.idle_secs,
        thousands(s.aggregate_n),
        thousands(s.aggregate_groups),
        s.reps,
        if quick {
            "; --quick: debug build of the Rust side, numbers not meaningful"
        } else {
            ""
        }
    )
}

/// `1,000,000`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    json!({"cpu": model, "cpus": cpus, "memory": mem, "os": std::env::consts::OS})
}

fn versions(root: &Path) -> Value {
    let out = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .current_dir(root)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    json!({
        "redis": out("redis-server", &["--version"]),
        "go": out("go", &["version"]),
        "rustc": out("rustc", &["--version"]),
        "commit": out("git", &["rev-parse", "--short", "HEAD"]),
        // Uncommitted changes of tracked files were measured too when this is not empty.
        "uncommitted": out("git", &["status", "--porcelain", "--untracked-files=no"]),
        "go_asynq": "github.com/hibiken/asynq v0.26.0",
    })
}

/// `20250102T030405Z` for a time (UTC).
fn utc_stamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}
