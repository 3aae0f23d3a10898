//! The producer of Go asynq's README: enqueues an email-delivery task now, the same task in 24
//! hours, and an image-resize task with tuned options, printing each task's ID and queue.
//!
//! `producer --count N` enqueues N email-delivery tasks instead.

use std::process::ExitCode;
use std::time::Duration;

use asynq_client::{Client, RedisConnOpt, TaskInfo, TaskOption, TaskState};
use asynq_examples::{new_email_delivery_task, new_image_resize_task, DEFAULT_REDIS_URL};
use clap::Parser;
use time::format_description::well_known::Rfc3339;

/// Enqueues the tasks of Go asynq's README (or N email tasks) and prints one line per task.
#[derive(Parser)]
#[command(name = "producer")]
struct Args {
    /// Redis URL: redis://[:password@]host:port[/db], rediss://..., redis-socket://...,
    /// redis-sentinel://...
    #[arg(long, env = "REDIS_URL", default_value = DEFAULT_REDIS_URL)]
    redis: String,
    /// Enqueue N email-delivery tasks (user IDs 1 to N) instead of the README's three tasks.
    #[arg(long, value_name = "N")]
    count: Option<u32>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("producer: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let opt =
        RedisConnOpt::parse_uri(&args.redis).map_err(|e| format!("invalid Redis URL: {e}"))?;
    let client = Client::connect(opt)
        .await
        .map_err(|e| format!("cannot connect to Redis: {e}"))?;
    let fail = |e: asynq_client::ClientError| format!("could not enqueue: {e}");

    if let Some(n) = args.count {
        for user_id in 1..=i64::from(n) {
            let task = new_email_delivery_task(user_id, "some:template:id").map_err(fail)?;
            report(&client.enqueue(&task, &[]).await.map_err(fail)?);
        }
    } else {
        // Example 1: a task processed as soon as a worker is free.
        let task = new_email_delivery_task(42, "some:template:id").map_err(fail)?;
        report(&client.enqueue(&task, &[]).await.map_err(fail)?);

        // Example 2: the same task, processed in 24 hours (ProcessIn or ProcessAt).
        let in_a_day = TaskOption::process_in(Duration::from_secs(24 * 3600));
        report(&client.enqueue(&task, &[in_a_day]).await.map_err(fail)?);

        // Example 3: options tune how a task is processed (MaxRetry, Queue, Timeout, Deadline,
        // Unique, ...). These override the task's own options (MaxRetry(5), Timeout(20 min)).
        let task = new_image_resize_task("https://example.com/myassets/image.jpg").map_err(fail)?;
        let opts = [
            TaskOption::max_retry(10),
            TaskOption::timeout(Duration::from_secs(3 * 60)),
        ];
        report(&client.enqueue(&task, &opts).await.map_err(fail)?);
    }
    // The connection is closed when the client is dropped; an error here changes nothing.
    let _ = client.close().await;
    Ok(())
}

/// One line per task: `enqueued task: id=... queue=... type=... state=... [process_at=...]
/// max_retry=... timeout=...s`.
fn report(info: &TaskInfo) {
    let mut line = format!(
        "enqueued task: id={} queue={} type={} state={}",
        info.id, info.queue, info.task_type, info.state
    );
    if info.state == TaskState::Scheduled {
        if let Some(at) = info
            .next_process_at
            .and_then(|t| t.replace_nanosecond(0).ok())
            .and_then(|t| t.format(&Rfc3339).ok())
        {
            line.push_str(&format!(" process_at={at}"));
        }
    }
    line.push_str(&format!(
        " max_retry={} timeout={}s",
        info.max_retry,
        info.timeout.as_secs()
    ));
    println!("{line}");
}
