//! Every outcome of one attempt (spec §6.6) as a running server writes it to a real Redis,
//! checked with raw commands: task hash and `msg`, state indexes, counters and unique locks.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asynq_client::{Task, TaskOption};
use asynq_proto::TaskMessage;
use asynq_worker::{handler_fn, Broker, CancelReason, Config, HandlerError, ServeMux, TaskContext};
use common::{assert_within, fast_config, now_secs, wait_for, Env, NINETY_DAYS};
use time::OffsetDateTime;

const Q: &str = "default";
const LIMIT: Duration = Duration::from_secs(10);

/// A mux with one handler for `task_type`.
fn mux_with<F, Fut>(task_type: &str, f: F) -> ServeMux
where
    F: Fn(TaskContext, Task) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    let mut mux = ServeMux::new();
    mux.handle_fn(task_type, f).unwrap();
    mux
}

/// Asserts the daily key TTL is the 90-day expiry set by the first INCR.
fn assert_ninety_days(what: &str, ttl: Option<i64>) {
    let ttl = ttl.unwrap_or_else(|| panic!("{what}: daily key missing"));
    assert!(
        (NINETY_DAYS - 30..=NINETY_DAYS).contains(&ttl),
        "{what}: TTL {ttl}, want about {NINETY_DAYS}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_without_retention_deletes_the_task_and_counts_it() {
    let env = Env::start().await;
    let since = OffsetDateTime::now_utc();
    let info = env
        .client
        .enqueue(&Task::new("ok", "p"), &[])
        .await
        .unwrap();
    let server = env.server(fast_config()).await;
    server
        .start(mux_with("ok", |_ctx, _t| async { Ok(()) }))
        .unwrap();
    env.wait_gone(Q, &info.id, LIMIT).await;

    assert!(env.hash(Q, &info.id).await.is_empty());
    assert_eq!(env.int("asynq:{default}:processed").await, 1);
    assert_eq!(env.int("asynq:{default}:failed").await, 0);
    assert!(!env.raw.exists("asynq:{default}:failed").await);
    let (n, ttl) = env.daily(Q, "processed", since).await;
    assert_eq!(n, 1);
    assert_ninety_days("processed daily", ttl);
    assert_eq!(env.daily(Q, "failed", since).await.0, 0);
    env.assert_indexes_empty_except(Q, &[]).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_with_retention_completes_the_task_with_its_result() {
    let env = Env::start().await;
    let since = OffsetDateTime::now_utc();
    let t0 = now_secs();
    let info = env
        .client
        .enqueue(
            &Task::new("ok", "p"),
            &[TaskOption::Retention(Duration::from_secs(3600))],
        )
        .await
        .unwrap();
    let server = env.server(fast_config()).await;
    server
        .start(mux_with("ok", |ctx: TaskContext, _t| async move {
            ctx.result_writer().write(b"result \x00\xff").await?;
            Ok(())
        }))
        .unwrap();
    env.wait_state(Q, &info.id, "completed", LIMIT).await;
    let t1 = now_secs();

    let hash = env.hash(Q, &info.id).await;
    assert_eq!(hash["result"], b"result \x00\xff");
    let msg = env.msg(Q, &info.id).await;
    assert!(
        (t0..=t1).contains(&msg.completed_at),
        "completed_at {} not in [{t0}, {t1}]",
        msg.completed_at
    );
    assert_eq!(msg.retention, 3600);
    assert_eq!(msg.retried, 0);
    assert!(msg.error_msg.is_empty());
    let score = env.zscore(Q, "completed", &info.id).await.unwrap();
    assert_eq!(score, (msg.completed_at + 3600) as f64);
    assert_eq!(env.int("asynq:{default}:processed").await, 1);
    assert_eq!(env.int("asynq:{default}:failed").await, 0);
    let (n, ttl) = env.daily(Q, "processed", since).await;
    assert_eq!(n, 1);
    assert_ninety_days("processed daily", ttl);
    env.assert_indexes_empty_except(Q, &["completed"]).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_error_with_retries_left_schedules_a_retry() {
    let env = Env::start().await;
    let since = OffsetDateTime::now_utc();
    let t0 = now_secs();
    let info = env
        .client
        .enqueue(&Task::new("fail", "p"), &[])
        .await
        .unwrap();
    let server = env.server(fast_config()).await;
    server
        .start(mux_with("fail", |_ctx, _t| async {
            Err(HandlerError::new("boom"))
        }))
        .unwrap();
    env.wait_state(Q, &info.id, "retry", LIMIT).await;
    let t1 = now_secs();

    let msg = env.msg(Q, &info.id).await;
    assert_eq!(msg.retried, 1);
    assert_eq!(msg.retry, 25);
    assert_eq!(msg.error_msg, "boom");
    assert!((t0..=t1).contains(&msg.last_failed_at));
    let score = env.zscore(Q, "retry", &info.id).await.unwrap();
    // Default delay for retried = 0: 15 to 44 s, stored as whole seconds.
    assert_within("retry score", score, (t0 + 15) as f64, (t1 + 44 + 1) as f64);
    assert_eq!(env.int("asynq:{default}:processed").await, 1);
    assert_eq!(env.int("asynq:{default}:failed").await, 1);
    let (p, pttl) = env.daily(Q, "processed", since).await;
    let (f, fttl) = env.daily(Q, "failed", since).await;
    assert_eq!((p, f), (1, 1));
    assert_ninety_days("processed daily", pttl);
    assert_ninety_days("failed daily", fttl);
    env.assert_indexes_empty_except(Q, &["retry"]).await;
    server.shutdown().await;
}

/// Checks an archived task: score about now, error message, counters.
async fn assert_archived(env: &Env, id: &str, t0: i64, t1: i64, error: &str) -> TaskMessage {
    let msg = env.msg(Q, id).await;
    assert_eq!(msg.error_msg, error);
    assert!((t0..=t1).contains(&msg.last_failed_at));
    let score = env.zscore(Q, "archived", id).await.unwrap();
    assert_within("archived score", score, t0 as f64, t1 as f64);
    assert_eq!(env.int("asynq:{default}:processed").await, 1);
    assert_eq!(env.int("asynq:{default}:failed").await, 1);
    env.assert_indexes_empty_except(Q, &["archived"]).await;
    msg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_retries_archive_the_task() {
    let env = Env::start().await;
    let since = OffsetDateTime::now_utc();
    let t0 = now_secs();
    let info = env
        .client
        .enqueue(&Task::new("fail", "p"), &[TaskOption::MaxRetry(0)])
        .await
        .unwrap();
    let server = env.server(fast_config()).await;
    server
        .start(mux_with("fail", |_ctx, _t| async {
            Err(HandlerError::new("boom"))
        }))
        .unwrap();
    env.wait_state(Q, &info.id, "archived", LIMIT).await;
    let msg = assert_archived(&env, &info.id, t0, now_secs(), "boom").await;
    assert_eq!((msg.retried, msg.retry), (0, 0));
    assert_eq!(env.daily(Q, "processed", since).await.0, 1);
    assert_eq!(env.daily(Q, "failed", since).await.0, 1);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_retry_archives_the_task_with_retries_left() {
    let env = Env::start().await;
    let t0 = now_secs();
    let info = env
        .client
        .enqueue(&Task::new("fail", "p"), &[])
        .await
        .unwrap();
    let server = env.server(fast_config()).await;
    server
        .start(mux_with("fail", |_ctx, _t| async {
            Err(HandlerError::skip_retry("bad input"))
        }))
        .unwrap();
    env.wait_state(Q, &info.id, "archived", LIMIT).await;
    let msg = assert_archived(
        &env,
        &info.id,
        t0,
        now_secs(),
        "bad input: skip retry for the task",
    )
    .await;
    assert_eq!((msg.retried, msg.retry), (0, 25));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_task_deletes_the_task_and_releases_its_unique_lock() {
    let env = Env::start().await;
    let since = OffsetDateTime::now_utc();
    let info = env
        .client
        .enqueue(
            &Task::new("revoke", "p"),
            &[
                TaskOption::Unique(Duration::from_secs(3600)),
                TaskOption::Retention(Duration::from_secs(3600)),
            ],
        )
        .await
        .unwrap();
    let lock = String::from_utf8(env.hash(Q, &info.id).await["unique_key"].clone()).unwrap();
    assert!(lock.starts_with("asynq:{default}:unique:revoke:"), "{lock}");
    assert_eq!(env.raw.get(&lock).await.unwrap(), info.id.as_bytes());

    let server = env.server(fast_config()).await;
    server
        .start(mux_with("revoke", |_ctx, _t| async {
            Err(HandlerError::revoke_task("gone"))
        }))
        .unwrap();
    env.wait_gone(Q, &info.id, LIMIT).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    assert!(!env.raw.exists(&lock).await, "unique lock still held");
    assert_eq!(env.int("asynq:{default}:processed").await, 1);
    assert_eq!(env.int("asynq:{default}:failed").await, 0);
    assert_eq!(env.daily(Q, "processed", since).await.0, 1);
    assert_eq!(env.daily(Q, "failed", since).await.0, 0);
    // Retention is ignored: the task is not kept in completed.
    env.assert_indexes_empty_except(Q, &[]).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_that_is_not_a_failure_retries_without_counting() {
    let env = Env::start().await;
    let t0 = now_secs();
    let info = env
        .client
        .enqueue(&Task::new("fail", "p"), &[])
        .await
        .unwrap();
    let config = fast_config().with_is_failure(|_| false);
    let server = env.server(config).await;
    server
        .start(mux_with("fail", |_ctx, _t| async {
            Err(HandlerError::new("rate limited"))
        }))
        .unwrap();
    env.wait_state(Q, &info.id, "retry", LIMIT).await;
    let t1 = now_secs();

    let msg = env.msg(Q, &info.id).await;
    assert_eq!(msg.retried, 0);
    assert_eq!(msg.error_msg, "rate limited");
    assert!((t0..=t1).contains(&msg.last_failed_at));
    assert!(env.zscore(Q, "retry", &info.id).await.is_some());
    assert!(!env.raw.exists("asynq:{default}:processed").await);
    assert!(!env.raw.exists("asynq:{default}:failed").await);
    assert!(env.raw.keys("asynq:{default}:processed:*").await.is_empty());
    assert!(env.raw.keys("asynq:{default}:failed:*").await.is_empty());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic_retries_the_task_and_the_server_goes_on() {
    let env = Env::start().await;
    let bad = env
        .client
        .enqueue(&Task::new("panic", "p"), &[])
        .await
        .unwrap();
    let good = env
        .client
        .enqueue(&Task::new("ok", "p"), &[])
        .await
        .unwrap();
    let mut mux = ServeMux::new();
    mux.handle_fn("panic", |_ctx, _t| async {
        if true {
            panic!("kaboom");
        }
        Ok(())
    })
    .unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    mux.handle_fn("ok", move |_ctx, _t| {
        let r = r.clone();
        async move {
            r.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    })
    .unwrap();
    let server = env
        .server(Config {
            concurrency: 1,
            ..fast_config()
        })
        .await;
    server.start(mux).unwrap();
    env.wait_state(Q, &bad.id, "retry", LIMIT).await;
    env.wait_gone(Q, &good.id, LIMIT).await;
    assert_eq!(ran.load(Ordering::SeqCst), 1);

    let msg = env.msg(Q, &bad.id).await;
    assert!(
        msg.error_msg.starts_with("panic error cause by: panic: "),
        "{}",
        msg.error_msg
    );
    assert!(msg.error_msg.contains("kaboom"), "{}", msg.error_msg);
    assert_eq!(msg.retried, 1);
    assert_eq!(env.int("asynq:{default}:processed").await, 2);
    assert_eq!(env.int("asynq:{default}:failed").await, 1);
    assert_eq!(server.running_tasks(), 0);
    server.shutdown().await;
}

/// When and why each attempt's context was cancelled, as its handler saw it.
type Seen = Arc<Mutex<Vec<(Duration, Option<CancelReason>)>>>;

/// A handler that waits for its context to be cancelled and records when and why.
fn wait_for_cancel(seen: Seen) -> ServeMux {
    mux_with("wait", move |ctx: TaskContext, _t| {
        let seen = seen.clone();
        async move {
            let t = Instant::now();
            ctx.cancelled().await;
            seen.lock().unwrap().push((t.elapsed(), ctx.err()));
            Ok(())
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_fails_the_attempt_with_deadline_exceeded() {
    let env = Env::start().await;
    let info = env
        .client
        .enqueue(
            &Task::new("wait", "p"),
            &[TaskOption::Timeout(Duration::from_secs(1))],
        )
        .await
        .unwrap();
    let seen: Seen = Arc::default();
    let server = env.server(fast_config()).await;
    server.start(wait_for_cancel(seen.clone())).unwrap();
    env.wait_state(Q, &info.id, "retry", LIMIT).await;

    let msg = env.msg(Q, &info.id).await;
    assert_eq!(msg.error_msg, "context deadline exceeded");
    assert_eq!(msg.retried, 1);
    assert_eq!(env.int("asynq:{default}:failed").await, 1);
    wait_for("the handler to see the cancellation", LIMIT, || async {
        !seen.lock().unwrap().is_empty()
    })
    .await;
    let (elapsed, reason) = seen.lock().unwrap()[0];
    assert_eq!(reason, Some(CancelReason::DeadlineExceeded));
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_millis(2500),
        "cancelled after {elapsed:?}, want about 1 s"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_fails_the_attempt_with_deadline_exceeded() {
    let env = Env::start().await;
    let deadline = OffsetDateTime::now_utc() + Duration::from_secs(2);
    let info = env
        .client
        .enqueue(&Task::new("wait", "p"), &[TaskOption::Deadline(deadline)])
        .await
        .unwrap();
    let stored = env.msg(Q, &info.id).await;
    assert_eq!(
        (stored.timeout, stored.deadline),
        (0, deadline.unix_timestamp())
    );
    let seen: Seen = Arc::default();
    let server = env.server(fast_config()).await;
    server.start(wait_for_cancel(seen.clone())).unwrap();
    env.wait_state(Q, &info.id, "retry", LIMIT).await;
    let ended = OffsetDateTime::now_utc();

    let msg = env.msg(Q, &info.id).await;
    assert_eq!(msg.error_msg, "context deadline exceeded");
    assert_eq!(msg.retried, 1);
    // The deadline is whole seconds: the attempt ends at that second, not before.
    assert!(ended.unix_timestamp() >= deadline.unix_timestamp());
    assert!(msg.last_failed_at >= deadline.unix_timestamp());
    assert!(msg.last_failed_at <= deadline.unix_timestamp() + 1);
    wait_for("the handler to see the cancellation", LIMIT, || async {
        !seen.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(
        seen.lock().unwrap()[0].1,
        Some(CancelReason::DeadlineExceeded)
    );
    server.shutdown().await;
}

/// Publishes `PUBLISH asynq:cancel <id>` until the attempt of task `id` has ended (the
/// subscription may not be confirmed yet when the handler starts), then waits for its write.
async fn cancel_until_ended(env: &Env, id: &str, ended: &Mutex<Vec<String>>) {
    let t = Instant::now();
    while !ended.lock().unwrap().iter().any(|e| e == id) {
        env.raw.cmd(&["PUBLISH", "asynq:cancel", id]).await;
        assert!(t.elapsed() < LIMIT, "cancel message for {id} had no effect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wait_for("the outcome write", LIMIT, || async {
        env.state(Q, id).await.as_deref() != Some("active")
    })
    .await;
}

/// Runs `N` tasks at once whose handler waits for cancellation and then returns `Ok(())` (when
/// `ok_after_cancel`) or the context's error, cancels each with a raw `PUBLISH`, and checks
/// that every attempt failed with `context canceled` and was retried, not deleted. Several
/// tasks make a wrong outcome that depends on scheduling show up on (nearly) every run.
async fn check_cancel_message(ok_after_cancel: bool) {
    const N: usize = 5;
    let env = Env::start().await;
    let mut ids = Vec::new();
    for i in 0..N {
        let info = env
            .client
            .enqueue(&Task::new("wait", format!("{i}")), &[])
            .await
            .unwrap();
        ids.push(info.id);
    }
    let seen: Arc<Mutex<Vec<Option<CancelReason>>>> = Arc::default();
    let ended: Arc<Mutex<Vec<String>>> = Arc::default();
    let (s, e) = (seen.clone(), ended.clone());
    let server = env
        .server(Config {
            concurrency: N,
            ..fast_config()
        })
        .await;
    server
        .start(mux_with("wait", move |ctx: TaskContext, _t| {
            let (seen, ended) = (s.clone(), e.clone());
            async move {
                ctx.cancelled().await;
                let reason = ctx.err();
                seen.lock().unwrap().push(reason);
                ended.lock().unwrap().push(ctx.task_id().to_string());
                match reason {
                    Some(r) if !ok_after_cancel => Err(r.to_handler_error()),
                    _ => Ok(()),
                }
            }
        }))
        .unwrap();
    wait_for("all handlers to start", LIMIT, || async {
        server.running_tasks() == N
    })
    .await;
    for id in &ids {
        assert_eq!(env.state(Q, id).await.as_deref(), Some("active"));
    }
    for id in &ids {
        cancel_until_ended(&env, id, &ended).await;
    }

    assert_eq!(*seen.lock().unwrap(), vec![Some(CancelReason::Canceled); N]);
    let mut states = Vec::new();
    for id in &ids {
        states.push(env.state(Q, id).await);
    }
    assert_eq!(
        states,
        vec![Some("retry".to_string()); N],
        "states of the cancelled tasks (None = deleted); processed {}, failed {}",
        env.int("asynq:{default}:processed").await,
        env.int("asynq:{default}:failed").await,
    );
    for id in &ids {
        let msg = env.msg(Q, id).await;
        assert_eq!(msg.error_msg, "context canceled");
        assert_eq!(msg.retried, 1);
    }
    assert_eq!(env.int("asynq:{default}:processed").await, N as i64);
    assert_eq!(env.int("asynq:{default}:failed").await, N as i64);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_message_retries_a_handler_returning_the_context_error() {
    check_cancel_message(false).await;
}

/// A handler that simply stops once cancelled and returns `Ok(())`: the cancellation came
/// first, so the attempt still fails with `context canceled` (spec §6.6: the first of the
/// events wins; "Cancel does not delete the task").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_message_retries_a_handler_returning_ok_after_cancellation() {
    check_cancel_message(true).await;
}

/// What the error handler saw: task ID from the context, type, payload, error text.
type Call = (String, String, Vec<u8>, String);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_handler_runs_before_the_write() {
    let env = Env::start().await;
    let ok = env
        .client
        .enqueue(&Task::new("ok", "fine"), &[])
        .await
        .unwrap();
    env.wait_state(Q, &ok.id, "pending", LIMIT).await;
    let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let c = calls.clone();
    let config = Config {
        concurrency: 1,
        ..fast_config()
    }
    .with_error_handler(move |ctx, task, err| {
        c.lock().unwrap().push((
            ctx.task_id().to_string(),
            task.task_type().to_string(),
            task.payload().to_vec(),
            err.to_string(),
        ));
        // Hold the attempt until the test has looked at Redis.
        let _ = go_rx.lock().unwrap().recv_timeout(Duration::from_secs(10));
    });
    let mut mux = ServeMux::new();
    mux.handle_fn("ok", |_ctx, _t| async { Ok(()) }).unwrap();
    mux.handle_fn("fail", |_ctx, _t| async { Err(HandlerError::new("boom")) })
        .unwrap();
    let server = env.server(config).await;
    server.start(mux).unwrap();
    env.wait_gone(Q, &ok.id, LIMIT).await;
    assert!(calls.lock().unwrap().is_empty(), "called on success");

    let bad = env
        .client
        .enqueue(&Task::new("fail", "payload-1"), &[])
        .await
        .unwrap();
    wait_for("the error handler", LIMIT, || async {
        !calls.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(
        calls.lock().unwrap()[0],
        (
            bad.id.clone(),
            "fail".to_string(),
            b"payload-1".to_vec(),
            "boom".to_string()
        )
    );
    // Nothing is written while the error handler runs.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(env.state(Q, &bad.id).await.as_deref(), Some("active"));
    assert_eq!(env.msg(Q, &bad.id).await.error_msg, "");
    go_tx.send(()).unwrap();
    env.wait_state(Q, &bad.id, "retry", LIMIT).await;
    assert_eq!(env.msg(Q, &bad.id).await.error_msg, "boom");
    assert_eq!(calls.lock().unwrap().len(), 1);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_task_type_is_retried_with_handler_not_found() {
    let env = Env::start().await;
    let info = env
        .client
        .enqueue(&Task::new("unknown:type", "p"), &[])
        .await
        .unwrap();
    let server = env.server(fast_config()).await;
    server
        .start(mux_with("known", |_ctx, _t| async { Ok(()) }))
        .unwrap();
    env.wait_state(Q, &info.id, "retry", LIMIT).await;
    let msg = env.msg(Q, &info.id).await;
    assert_eq!(
        msg.error_msg,
        r#"handler not found for task "unknown:type""#
    );
    assert_eq!(msg.retried, 1);
    assert_eq!(env.int("asynq:{default}:failed").await, 1);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_passed_at_dequeue_fails_without_running_the_handler() {
    let env = Env::start().await;
    // A deadline option in the past.
    let past = env
        .client
        .enqueue(
            &Task::new("never", "p"),
            &[TaskOption::Deadline(
                OffsetDateTime::now_utc() - Duration::from_secs(10),
            )],
        )
        .await
        .unwrap();
    // A negative timeout (only possible from another writer; Go stores it as it is).
    let broker = Broker::connect(env.opt.clone()).await.unwrap();
    let negative = TaskMessage {
        r#type: "never".into(),
        payload: bytes_of("q"),
        id: "negative-timeout".into(),
        queue: Q.into(),
        retry: 25,
        timeout: -1,
        ..TaskMessage::default()
    };
    broker.enqueue(&negative).await.unwrap();

    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let server = env.server(fast_config()).await;
    server
        .start(handler_fn(move |_ctx, _t| {
            let r = r.clone();
            async move {
                r.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        }))
        .unwrap();
    for id in [past.id.as_str(), "negative-timeout"] {
        env.wait_state(Q, id, "retry", LIMIT).await;
        let msg = env.msg(Q, id).await;
        assert_eq!(msg.error_msg, "context deadline exceeded", "task {id}");
        assert_eq!(msg.retried, 1, "task {id}");
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0, "the handler ran");
    assert_eq!(env.int("asynq:{default}:processed").await, 2);
    assert_eq!(env.int("asynq:{default}:failed").await, 2);
    server.shutdown().await;
}

fn bytes_of(s: &str) -> bytes::Bytes {
    bytes::Bytes::copy_from_slice(s.as_bytes())
}
