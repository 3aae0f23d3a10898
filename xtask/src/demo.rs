//! `cargo xtask demo`: the main job end to end. Builds the `producer` and `worker` examples,
//! starts a throwaway `redis-server` unless a Redis URL is given, starts the worker, runs the
//! producer, waits until the tasks due now are processed, then stops the worker with SIGTERM
//! and reports how long its graceful shutdown took.

mod session;

use std::path::{Path, PathBuf};

use crate::redis::LocalRedis;
use crate::{cargo, prereq, run};

/// Runs the demo against `redis_url`, or against a throwaway local Redis when `None`.
pub fn demo(redis_url: Option<String>) -> Result<(), String> {
    let mut needed = vec!["kill"];
    if redis_url.is_none() {
        needed.extend(["redis-server", "redis-cli"]);
    }
    prereq::ensure(&needed).map_err(|e| merge_hints(&e))?;

    println!("demo: building the examples (cargo build -p asynq-examples)");
    run(cargo().args(["build", "--quiet", "-p", "asynq-examples", "--bins"]))?;
    let bin_dir = target_dir().join("debug");
    let programs = session::Programs {
        worker: bin_dir.join(exe("worker")),
        producer: bin_dir.join(exe("producer")),
    };

    let local;
    let url = match redis_url {
        Some(url) => {
            println!("demo: using the Redis at {}", redact(&url));
            url
        }
        None => {
            local = LocalRedis::start()?;
            println!(
                "demo: started a throwaway redis-server at {} (stopped when the demo ends)",
                local.url()
            );
            local.url()
        }
    };

    let outcome = session::run(&programs, &url, &mut std::io::stdout())?;
    let log_dir = target_dir().join("demo");
    let log_file = log_dir.join("worker.log");
    let written = std::fs::create_dir_all(&log_dir)
        .and_then(|()| std::fs::write(&log_file, outcome.worker_log.join("\n") + "\n"));
    match written {
        Ok(()) => println!("demo: the worker's full log: {}", log_file.display()),
        Err(e) => println!("demo: could not write {}: {e}", log_file.display()),
    }
    println!(
        "demo: OK: {} tasks enqueued, {} processed, the worker stopped {:.1} ms after SIGTERM ({})",
        outcome.enqueued.len(),
        outcome.processed.len(),
        outcome.exit_after_sigterm.as_secs_f64() * 1000.0,
        session::exit_code(outcome.exit_status)
    );
    Ok(())
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
            .join("target"),
    }
}

/// Joins the lines `<program> not found: <hint>` that share a hint into one line.
fn merge_hints(msg: &str) -> String {
    let mut merged: Vec<(Vec<&str>, &str)> = Vec::new();
    for line in msg.lines() {
        let (program, hint) = line.split_once(" not found: ").unwrap_or((line, ""));
        match merged.iter_mut().find(|(_, h)| *h == hint) {
            Some((programs, _)) => programs.push(program),
            None => merged.push((vec![program], hint)),
        }
    }
    merged
        .iter()
        .map(|(programs, hint)| format!("{} not found: {hint}", programs.join(", ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `url` without the password, for printing.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_string(),
    }
}

fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}
