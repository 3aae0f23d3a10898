//! The worker process of the drain workloads (W2 drain, W4 cost, W5 scale) and of W4's idle
//! measurement: a `Server` with a no-op handler and `Config::default()` apart from the queues
//! (and the concurrency when given). It prints `{"event":"started","unix_ns":...}` with the time
//! taken just before `Server::start`, then runs until its standard input is closed, shuts down
//! and prints `{"event":"stopped"}`. It sends nothing to Redis of its own: `cargo xtask bench`
//! watches the processed counters, Redis' statistics and this process' `/proc` entries from
//! outside, so that only the worker is measured. The Go program `gobench worker` does the same.

use std::collections::HashMap;

use asynq_client::RedisConnOpt;
use asynq_worker::{handler_fn, Config, Server, Task, TaskContext};
use serde_json::json;

use crate::common::{print_line, unix_ns, wait_for_stdin_eof};

/// Runs the worker until standard input is closed.
pub async fn worker(
    redis: &str,
    queues: HashMap<String, i32>,
    concurrency: Option<usize>,
) -> Result<(), String> {
    let opt = RedisConnOpt::parse_uri(redis).map_err(|e| e.to_string())?;
    let mut config = Config {
        queues,
        ..Config::default()
    };
    if let Some(c) = concurrency {
        config.concurrency = c;
    }
    let concurrency = config.concurrency;
    let server = Server::connect(opt, config)
        .await
        .map_err(|e| format!("creating the server: {e}"))?;
    let noop = handler_fn(|_: TaskContext, _: Task| async { Ok(()) });
    let started = unix_ns();
    server
        .start(noop)
        .map_err(|e| format!("starting the server: {e}"))?;
    print_line(&json!({
        "event": "started",
        "side": "rust",
        "unix_ns": started,
        "concurrency": concurrency,
    }));
    wait_for_stdin_eof().await;
    server.shutdown().await;
    print_line(&json!({"event": "stopped", "side": "rust"}));
    Ok(())
}
