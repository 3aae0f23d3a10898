//! `cargo xtask bench`: the Rust crates against Go asynq v0.26.0 on the same Redis, in the same
//! run, alternating the two, with medians, min–max and the Rust/Go ratio.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::redis::LocalRedis;
use crate::{cargo, prereq, run};

/// One workload variant: its label and how to run each side.
struct Case {
    label: &'static str,
    rust_args: Vec<String>,
    go_args: Option<Vec<String>>,
    /// The label of the case the ratio is taken against when there is no Go side.
    compare_to: Option<&'static str>,
}

/// Runs the benchmark; `quick` means small N and one repetition (CI uses it to prove it works).
pub fn bench(quick: bool) -> Result<(), String> {
    prereq::check(&["redis-server", "redis-cli", "go"])?;
    let root = workspace_root();
    run(cargo().args(["build", "--release", "--quiet", "-p", "asynq-bench"]))?;
    let target = root.join("target");
    let gobench = target.join("gobench");
    run(Command::new("go")
        .current_dir(root.join("interop"))
        .args(["build", "-o"])
        .arg(&gobench)
        .arg("./gobench"))?;
    let rustbench = target.join("release").join("asynq-bench");

    let (n, drain_n, reps) = if quick {
        (2_000, 2_000, 1)
    } else {
        (20_000, 20_000, 5)
    };
    let redis = LocalRedis::start()?;
    let mut cases = enqueue_cases(n, &redis);
    cases.extend(drain_cases(drain_n, &redis));
    let mut runs: Vec<Value> = Vec::new();
    for rep in 0..reps {
        for case in &cases {
            // Go first in even repetitions, Rust first in odd ones.
            let rust = (&rustbench, &case.rust_args);
            let sides = match &case.go_args {
                Some(go_args) if rep % 2 == 0 => vec![(&gobench, go_args), rust],
                Some(go_args) => vec![rust, (&gobench, go_args)],
                None => vec![rust],
            };
            for (program, args) in sides {
                runs.push(measure(&redis, program, args, case.label, rep)?);
            }
        }
    }
    print_table(&cases, &runs, n, drain_n, reps);
    let out = target.join("bench");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let file = out.join("results.json");
    std::fs::write(
        &file,
        serde_json::to_string_pretty(&runs).unwrap_or_default(),
    )
    .map_err(|e| e.to_string())?;
    println!("\nevery run: {}", file.display());
    Ok(())
}

fn enqueue_cases(n: usize, redis: &LocalRedis) -> Vec<Case> {
    let common = |extra: &[&str]| -> Vec<String> {
        let mut v = vec![
            "enqueue".to_string(),
            "--n".into(),
            n.to_string(),
            "--size".into(),
            "128".into(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let rust = |extra: &[&str]| {
        let mut v = common(extra);
        v.extend(["--redis".into(), redis.url()]);
        v
    };
    let go = |extra: &[&str]| {
        let mut v = common(extra);
        v.extend(["--redis".into(), redis.addr()]);
        v
    };
    vec![
        Case {
            label: "W1 enqueue, 1 producer",
            rust_args: rust(&["--concurrency", "1"]),
            go_args: Some(go(&["--concurrency", "1"])),
            compare_to: None,
        },
        Case {
            label: "W1 enqueue, 16 producers",
            rust_args: rust(&["--concurrency", "16"]),
            go_args: Some(go(&["--concurrency", "16"])),
            compare_to: None,
        },
        Case {
            label: "W1 enqueue_batch (vs Go 1 producer)",
            rust_args: rust(&["--batch"]),
            go_args: None,
            compare_to: Some("W1 enqueue, 1 producer"),
        },
    ]
}

/// W2: a worker server with 16 concurrent workers drains `n` pre-enqueued no-op tasks with
/// empty payloads (Go `asynq.Server` against the Rust `Server`, default configuration otherwise).
fn drain_cases(n: usize, redis: &LocalRedis) -> Vec<Case> {
    let args = |redis_arg: String| -> Vec<String> {
        [
            "drain",
            "--n",
            &n.to_string(),
            "--size",
            "0",
            "--concurrency",
            "16",
            "--queue",
            "bench",
            "--redis",
            &redis_arg,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    vec![Case {
        label: "W2 drain, 16 workers",
        rust_args: args(redis.url()),
        go_args: Some(args(redis.addr())),
        compare_to: None,
    }]
}

fn measure(
    redis: &LocalRedis,
    program: &Path,
    args: &[String],
    label: &str,
    rep: usize,
) -> Result<Value, String> {
    redis.cli(&["FLUSHALL"])?;
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} {args:?} failed: {}",
            program.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut v: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "{}: bad output {e}: {}",
            program.display(),
            String::from_utf8_lossy(&out.stdout)
        )
    })?;
    v["case"] = Value::from(label);
    v["rep"] = Value::from(rep);
    Ok(v)
}

fn stats(runs: &[Value], label: &str, side: &str, field: &str) -> Option<(f64, f64, f64)> {
    let mut xs: Vec<f64> = runs
        .iter()
        .filter(|r| r["case"] == label && r["side"] == side)
        .filter_map(|r| r[field].as_f64())
        .collect();
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    Some((xs[xs.len() / 2], xs[0], xs[xs.len() - 1]))
}

fn print_table(cases: &[Case], runs: &[Value], n: usize, drain_n: usize, reps: usize) {
    println!(
        "\nW1: {n} tasks of 128 bytes enqueued; W2: {drain_n} pre-enqueued no-op tasks of 0 bytes \
         processed by a server with concurrency 16 (timed from Start until the processed counter \
         reaches N)"
    );
    println!("{reps} repetition(s); medians with min–max; tasks/s\n");
    println!("| case | Rust tasks/s | Go tasks/s | Rust/Go | Rust p50/p99 µs | Go p50/p99 µs |");
    println!("|---|---|---|---|---|---|");
    for case in cases {
        let go_label = case.compare_to.unwrap_or(case.label);
        let rust = stats(runs, case.label, "rust", "tasks_per_sec");
        let go = stats(runs, go_label, "go", "tasks_per_sec");
        let fmt = |s: Option<(f64, f64, f64)>| {
            s.map(|(m, lo, hi)| format!("{m:.0} ({lo:.0}–{hi:.0})"))
                .unwrap_or_else(|| "–".into())
        };
        let ratio = match (rust, go) {
            (Some((r, ..)), Some((g, ..))) if g > 0.0 => format!("{:.2}×", r / g),
            _ => "–".into(),
        };
        let lat = |label: &str, side: &str| match (
            stats(runs, label, side, "p50_us"),
            stats(runs, label, side, "p99_us"),
        ) {
            (Some((p50, ..)), Some((p99, ..))) => format!("{p50:.0} / {p99:.0}"),
            _ => "–".into(),
        };
        let rust_lat = if case.compare_to.is_some() {
            "–".into()
        } else {
            lat(case.label, "rust")
        };
        println!(
            "| {} | {} | {} | {ratio} | {rust_lat} | {} |",
            case.label,
            fmt(rust),
            fmt(go),
            lat(go_label, "go")
        );
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}
