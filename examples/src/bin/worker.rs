//! The worker of Go asynq's README: processes email-delivery and image-resize tasks, 10 at a
//! time, from the queues `critical`, `default` and `low` (priorities 6, 3, 1), until SIGTERM or
//! SIGINT (Ctrl-C); then it shuts down gracefully. SIGTSTP stops it taking new tasks.
//!
//! Logs go to standard output; `RUST_LOG` sets the level (default `info`).

use std::process::ExitCode;

use asynq_examples::{init_tracing, serve_mux, worker_config, DEFAULT_REDIS_URL};
use asynq_worker::{RedisConnOpt, Server};
use clap::Parser;

/// Processes email-delivery and image-resize tasks until SIGTERM or SIGINT.
#[derive(Parser)]
#[command(name = "worker")]
struct Args {
    /// Redis URL: redis://[:password@]host:port[/db], rediss://..., redis-socket://...,
    /// redis-sentinel://...
    #[arg(long, env = "REDIS_URL", default_value = DEFAULT_REDIS_URL)]
    redis: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    init_tracing();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("worker: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let opt =
        RedisConnOpt::parse_uri(&args.redis).map_err(|e| format!("invalid Redis URL: {e}"))?;
    let server = Server::connect(opt, worker_config())
        .await
        .map_err(|e| format!("cannot connect to Redis: {e}"))?;
    tracing::info!("connected to Redis; processing tasks until SIGTERM or SIGINT");
    let mux = serve_mux().map_err(|e| e.to_string())?;
    server
        .run(mux)
        .await
        .map_err(|e| format!("could not run the server: {e}"))
}
