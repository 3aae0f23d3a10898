//! Group aggregation: batch notifications per user. Each notification is a task in the group
//! `user:<id>` of queue `default`; a server with a group aggregator turns each user's
//! notifications into one `notify:digest` task (grace period 1 s, at most 10 per digest), and
//! its handler "sends" one digest email per user. The program enqueues the notifications, runs
//! the server until every notification has been delivered inside a digest, then shuts down.
//!
//! ```sh
//! cargo run -p asynq-examples --bin notifications -- --users 3 --per-user 4
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asynq_client::{Client, Task, TaskOption};
use asynq_examples::{init_tracing, DEFAULT_REDIS_URL};
use asynq_worker::{handler_fn, Config, HandlerError, RedisConnOpt, Server};
use clap::Parser;

/// The type of one notification (aggregated, never processed by itself).
const TYPE_NOTIFICATION: &str = "notify:one";
/// The type of the aggregated task: one digest email for a user.
const TYPE_DIGEST: &str = "notify:digest";

/// Enqueues notifications in per-user groups and processes the digests a group aggregator
/// makes of them.
#[derive(Parser)]
#[command(name = "notifications")]
struct Args {
    /// Redis URL: redis://[:password@]host:port[/db], rediss://..., redis-sentinel://...
    #[arg(long, env = "REDIS_URL", default_value = DEFAULT_REDIS_URL)]
    redis: String,
    /// How many users get notifications.
    #[arg(long, default_value_t = 3)]
    users: u32,
    /// How many notifications each user gets.
    #[arg(long, default_value_t = 4)]
    per_user: u32,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    init_tracing();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("notifications: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// The digest of `group` (`user:<id>`): one line per notification, oldest first.
fn digest(group: &str, tasks: Vec<Task>) -> Option<Task> {
    let lines: Vec<String> = tasks
        .iter()
        .map(|t| String::from_utf8_lossy(t.payload()).into_owned())
        .collect();
    let body = serde_json::json!({ "user": group, "notifications": lines });
    Some(Task::new(TYPE_DIGEST, body.to_string()))
}

async fn run(args: Args) -> Result<(), String> {
    let opt =
        RedisConnOpt::parse_uri(&args.redis).map_err(|e| format!("invalid Redis URL: {e}"))?;
    let client = Client::connect(opt.clone())
        .await
        .map_err(|e| format!("cannot connect to Redis: {e}"))?;
    for n in 0..args.per_user {
        for user in 1..=args.users {
            let task = Task::new(
                TYPE_NOTIFICATION,
                format!("notification {n} for user {user}"),
            );
            client
                .enqueue(&task, &[TaskOption::group(format!("user:{user}"))])
                .await
                .map_err(|e| format!("cannot enqueue: {e}"))?;
        }
    }
    let total = args.users * args.per_user;
    println!(
        "notifications: enqueued {total} notifications in {} groups",
        args.users
    );

    let config = Config {
        group_grace_period: Duration::from_secs(1),
        group_max_size: 10,
        ..Config::default()
    }
    .with_group_aggregator(digest);
    let server = Server::connect(opt, config)
        .await
        .map_err(|e| format!("cannot connect to Redis: {e}"))?;
    let delivered: Arc<Mutex<Vec<(String, usize)>>> = Arc::default();
    let d = delivered.clone();
    server
        .start(handler_fn(move |_ctx, task: Task| {
            let d = d.clone();
            async move {
                let body: serde_json::Value = serde_json::from_slice(task.payload())
                    .map_err(|e| HandlerError::skip_retry(format!("bad digest: {e}")))?;
                let user = body["user"].as_str().unwrap_or("?").to_string();
                let n = body["notifications"].as_array().map_or(0, Vec::len);
                println!("notifications: digest email to {user} with {n} notifications");
                d.lock().unwrap_or_else(|e| e.into_inner()).push((user, n));
                Ok(())
            }
        }))
        .map_err(|e| format!("cannot start the server: {e}"))?;

    let start = Instant::now();
    let done = || {
        let d = delivered.lock().unwrap_or_else(|e| e.into_inner());
        d.iter().map(|(_, n)| n).sum::<usize>() >= total as usize
    };
    while !done() && start.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.shutdown().await;
    let d = delivered.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let sum: usize = d.iter().map(|(_, n)| n).sum();
    let users: BTreeMap<&str, usize> = d.iter().map(|(u, _)| (u.as_str(), 0)).collect();
    if sum < total as usize {
        return Err(format!(
            "only {sum} of {total} notifications delivered in 60 s"
        ));
    }
    println!(
        "notifications: OK: {sum} notifications delivered in {} digests for {} users in {:.1} s",
        d.len(),
        users.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
