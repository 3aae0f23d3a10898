//! Shared set-up of the fuzz targets (`cargo xtask fuzz`).
//!
//! Each decoder and parser that sees outside data has a property test named `fuzz_<target>` in a
//! `tests/fuzz.rs` file of its crate. The test throws arbitrary input at the code (proptest
//! strategies, many cases, no shrinking persistence files) and asserts that it never panics and
//! that what it returns is consistent. `cargo test` runs a short pass; `cargo xtask fuzz` runs
//! them in release mode with many more cases and collects the report lines.
//!
//! Case counts come from the environment:
//!
//! - `ASYNQ_FUZZ_CASES`: cases for a pure target (no I/O), default [`DEFAULT_CASES`];
//! - `ASYNQ_FUZZ_REDIS_CASES`: cases for a target that goes through a real Redis, default
//!   [`DEFAULT_REDIS_CASES`].
//!
//! Every target ends by printing one line through [`Executions::report`]:
//! `fuzz target <name>: <n> executions, 0 panics` (a panic fails the test instead).

use std::sync::atomic::{AtomicU64, Ordering};

use proptest::test_runner::Config;

/// Cases of a pure target in a plain `cargo test` run (the short pass CI runs).
pub const DEFAULT_CASES: u32 = 2_000;

/// Cases of a Redis-backed target in a plain `cargo test` run.
pub const DEFAULT_REDIS_CASES: u32 = 30;

/// The number of cases for a pure target: `ASYNQ_FUZZ_CASES`, else [`DEFAULT_CASES`].
pub fn cases() -> u32 {
    env_cases("ASYNQ_FUZZ_CASES", DEFAULT_CASES)
}

/// The number of cases for a Redis-backed target: `ASYNQ_FUZZ_REDIS_CASES`, else
/// [`DEFAULT_REDIS_CASES`].
pub fn redis_cases() -> u32 {
    env_cases("ASYNQ_FUZZ_REDIS_CASES", DEFAULT_REDIS_CASES)
}

fn env_cases(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

/// A proptest configuration with `cases` cases, no failure persistence file and at most
/// 1,000 shrink steps (a failure is reported with its input either way).
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 1_000,
        ..Config::default()
    }
}

/// Counts the executions of one target, for its report line.
#[derive(Debug)]
pub struct Executions {
    name: &'static str,
    count: AtomicU64,
}

impl Executions {
    /// A counter for the target `name`.
    pub const fn new(name: &'static str) -> Executions {
        Executions {
            name,
            count: AtomicU64::new(0),
        }
    }

    /// Counts one execution.
    pub fn hit(&self) {
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// How many executions were counted.
    pub fn get(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Prints `fuzz target <name>: <n> executions, 0 panics` on stdout (seen with
    /// `--nocapture`, which `cargo xtask fuzz` passes) and returns the count.
    pub fn report(&self) -> u64 {
        let n = self.get();
        println!("fuzz target {}: {n} executions, 0 panics", self.name);
        n
    }
}
