//! `cargo xtask demo` end to end: the same session code and the same throwaway `redis-server`,
//! run on the binaries of this package. Needs `redis-server` and `redis-cli`.

use std::time::Duration;

#[allow(dead_code)]
#[path = "../../xtask/src/redis.rs"]
mod redis;

#[path = "../../xtask/src/demo/session.rs"]
mod session;

#[test]
fn demo_processes_the_due_tasks_and_exits_gracefully_on_sigterm() {
    let redis = redis::LocalRedis::start().expect("start redis-server");
    let programs = session::Programs {
        worker: env!("CARGO_BIN_EXE_worker").into(),
        producer: env!("CARGO_BIN_EXE_producer").into(),
    };
    let mut out = Vec::new();
    let result = session::run(&programs, &redis.url(), &mut out);
    print!("{}", String::from_utf8_lossy(&out));
    let outcome = result.unwrap_or_else(|e| panic!("{e}"));

    let types: Vec<&str> = outcome
        .enqueued
        .iter()
        .map(|t| t.task_type.as_str())
        .collect();
    assert_eq!(types, ["email:deliver", "email:deliver", "image:resize"]);
    let processed: Vec<&str> = outcome
        .processed
        .iter()
        .map(|p| p.task.task_type.as_str())
        .collect();
    assert_eq!(processed, ["email:deliver", "image:resize"]);
    assert!(
        outcome.processed[0]
            .handler_said
            .contains("user_id=42 template_id=some:template:id"),
        "{:?}",
        outcome.processed[0]
    );
    assert!(outcome.exit_status.success(), "{:#?}", outcome.worker_log);
    assert!(
        outcome.exit_after_sigterm < Duration::from_secs(5),
        "{:?}",
        outcome.exit_after_sigterm
    );

    // Redis afterwards: two tasks processed, the scheduled one waiting, the server gone.
    let cli = |args: &[&str]| redis.cli(args).expect("redis-cli").trim().to_string();
    assert_eq!(cli(&["GET", "asynq:{default}:processed"]), "2");
    assert_eq!(cli(&["ZCARD", "asynq:{default}:scheduled"]), "1");
    assert_eq!(cli(&["LLEN", "asynq:{default}:pending"]), "0");
    assert_eq!(cli(&["ZCARD", "asynq:servers"]), "0");
}

#[test]
fn bad_redis_url_is_one_line_and_a_failure() {
    for program in [env!("CARGO_BIN_EXE_worker"), env!("CARGO_BIN_EXE_producer")] {
        for url in ["nonsense://x", "redis://127.0.0.1:1"] {
            let out = std::process::Command::new(program)
                .args(["--redis", url])
                .env_remove("REDIS_URL")
                .output()
                .expect("run");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{program} {url}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{program} {url}: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }
}
