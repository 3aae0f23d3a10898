//! Project tasks, run as `cargo xtask <task>`:
//!
//! * `cargo xtask test`: checks the prerequisites, then runs the whole test suite (unit,
//!   integration against real Redis, and Go interop).
//! * `cargo xtask ci`: `cargo fmt --check`, `cargo clippy -D warnings`, then `test`.
//! * `cargo xtask demo [--redis URL]`: the main job end to end: a worker, a producer, the tasks
//!   processed, a graceful shutdown on SIGTERM (a throwaway redis-server unless a URL is given).
//! * `cargo xtask bench [--quick] [--only TEXT] [--micro]`: the Rust crates against Go asynq on
//!   the same Redis (docs/performance.md); `--micro` runs the criterion micro-benchmarks.
//! * `cargo xtask fuzz [--cases N] [--redis-cases N]`: every fuzz target (`tests/fuzz.rs` of
//!   each crate) in release mode with many cases, and the executions per target.

mod bench;
mod demo;
mod fuzz;
mod prereq;
mod redis;

use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "asynq project tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Run the whole test suite (needs redis-server, redis-cli, redis-sentinel, go and tmux).
    Test {
        /// Extra arguments passed to `cargo test` (e.g. a test name filter).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// What CI runs: format check, clippy with warnings denied, then the test suite.
    Ci,
    /// Start the example worker, enqueue tasks with the example producer, see them processed,
    /// then stop the worker with SIGTERM (needs redis-server unless --redis is given).
    Demo {
        /// Use this Redis instead of a throwaway local redis-server. The worker then also
        /// processes what is already in the queues critical, default and low.
        #[arg(long, env = "REDIS_URL", value_name = "URL")]
        redis: Option<String>,
    },
    /// Benchmarks against Go asynq v0.26.0 on a throwaway local Redis (needs redis-server, go).
    Bench {
        /// Small N, one repetition and a debug build, only to prove the benchmark runs.
        #[arg(long)]
        quick: bool,
        /// Run the criterion micro-benchmarks (`cargo bench -p asynq-bench --bench micro`)
        /// instead of the workloads; with --quick, criterion's quick mode.
        #[arg(long)]
        micro: bool,
        /// Only the cases whose label contains this text (e.g. `W3`, `backlog`).
        #[arg(long, value_name = "TEXT")]
        only: Option<String>,
    },
    /// Run every fuzz target (the `fuzz_*` tests of each crate's `tests/fuzz.rs`) in release
    /// mode with many cases and report the executions per target (needs redis-server).
    Fuzz {
        /// Cases per pure target (no I/O).
        #[arg(long, default_value_t = 1_000_000)]
        cases: u64,
        /// Cases per target that goes through a real Redis.
        #[arg(long, default_value_t = 1_000)]
        redis_cases: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Test { args } => test(&args),
        Task::Ci => ci(),
        Task::Demo { redis } => demo::demo(redis),
        Task::Bench { quick, micro, only } => bench::bench(bench::Options { quick, micro, only }),
        Task::Fuzz { cases, redis_cases } => fuzz::fuzz(&fuzz::Options { cases, redis_cases }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("xtask: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn test(args: &[String]) -> Result<(), String> {
    prereq::ensure(&["redis-server", "redis-cli", "redis-sentinel", "go", "tmux"])?;
    let mut cmd = cargo();
    cmd.args(["test", "--workspace"]).args(args);
    run(&mut cmd)
}

fn ci() -> Result<(), String> {
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    test(&[])
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({status})"))
    }
}
