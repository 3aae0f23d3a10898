//! `cargo xtask fuzz`: runs every fuzz target (the `fuzz_*` tests in the `tests/fuzz.rs` file
//! of each crate that has one) in release mode with many cases, and prints the executions per
//! target. Pure targets get `ASYNQ_FUZZ_CASES` cases (default 1,000,000), targets that go
//! through a real Redis `ASYNQ_FUZZ_REDIS_CASES` (default 1,000). A plain `cargo test` runs the
//! same targets with few cases (the short pass CI runs).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use crate::{cargo, prereq};

/// Case counts of a run.
pub struct Options {
    /// Cases per pure target.
    pub cases: u64,
    /// Cases per Redis-backed target.
    pub redis_cases: u64,
}

/// The packages with a `tests/fuzz.rs`, in name order.
fn packages() -> Vec<String> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
    let mut found: Vec<String> = std::fs::read_dir(&crates)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| e.path().join("tests/fuzz.rs").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Runs the targets of every package, echoing their output, then prints one line per target.
pub fn fuzz(opts: &Options) -> Result<(), String> {
    prereq::ensure(&["redis-server", "redis-cli"])?;
    let mut reports: Vec<String> = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    let started = Instant::now();
    for pkg in packages() {
        println!(
            "fuzz: {pkg} ({} cases per pure target, {} per Redis target)",
            opts.cases, opts.redis_cases
        );
        let t = Instant::now();
        let mut child = cargo()
            .args(["test", "--release", "-p", &pkg, "--test", "fuzz", "--"])
            .args(["--nocapture", "--test-threads", "1"])
            .env("ASYNQ_FUZZ_CASES", opts.cases.to_string())
            .env("ASYNQ_FUZZ_REDIS_CASES", opts.redis_cases.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run cargo test: {e}"))?;
        if let Some(out) = child.stdout.take() {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                println!("{line}");
                // libtest prints `test fuzz_x ... ` before the target's own line.
                if let Some(at) = line.find("fuzz target ") {
                    reports.push(line[at..].to_string());
                }
            }
        }
        let status = child.wait().map_err(|e| format!("cargo test: {e}"))?;
        println!("fuzz: {pkg} took {:.1} s", t.elapsed().as_secs_f64());
        if !status.success() {
            failed.push(pkg);
        }
    }
    println!(
        "fuzz: {} targets in {:.1} s:",
        reports
            .iter()
            .filter(|r| r.contains(" executions, "))
            .count(),
        started.elapsed().as_secs_f64()
    );
    for r in &reports {
        println!("  {r}");
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("fuzz targets failed in {}", failed.join(", ")))
    }
}
