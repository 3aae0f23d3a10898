//! Bad data left in Redis by a buggy producer, against a running server: a task message that
//! cannot be decoded, or that names another queue or ID than where it is, ends archived with
//! an error saying what is wrong (never stuck in `active`), and one queue whose key has the
//! wrong type does not stop the others.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asynq_client::{Task, TaskOption};
use asynq_proto::TaskMessage;
use asynq_worker::{handler_fn, Config};
use common::{fast_config, now_secs, task_key, wait_for, Env};

/// Bytes that are not a protobuf TaskMessage (a truncated length-delimited field).
const GARBAGE: &[u8] = b"\x0a\xff\xff\xff\x0fnot a task message";

/// Writes the hash `asynq:{q}:t:<id>` with `msg` and `state`, as a buggy producer would.
async fn put_raw(env: &Env, q: &str, id: &str, msg: &[u8], state: &str) {
    env.raw
        .cmd_bytes(
            "HSET",
            &[
                task_key(q, id).as_bytes(),
                b"msg",
                msg,
                b"state",
                state.as_bytes(),
            ],
        )
        .await;
    env.raw.cmd(&["SADD", "asynq:queues", q]).await;
}

/// A valid encoded message with the given queue and ID.
fn encoded(queue: &str, id: &str) -> Vec<u8> {
    let msg = TaskMessage {
        r#type: "poison:test".into(),
        payload: b"p".to_vec().into(),
        id: id.into(),
        queue: queue.into(),
        retry: 25,
        timeout: 1800,
        ..TaskMessage::default()
    };
    asynq_proto::encode(&msg).to_vec()
}

/// A handler that counts its calls.
fn counting() -> (
    Arc<AtomicUsize>,
    impl asynq_worker::Handler + Clone + 'static,
) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let h = handler_fn(move |_ctx, _t| {
        let c = c.clone();
        async move {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    (calls, h)
}

/// The archived poison task `id` of `q`: its error text, its message decoding with the queue
/// and ID where it is, and no `active`/`lease` entry left.
async fn assert_archived_poison(env: &Env, q: &str, id: &str, error_starts: &str) -> TaskMessage {
    env.wait_state(q, id, "archived", Duration::from_secs(10))
        .await;
    let msg = env.msg(q, id).await;
    assert_eq!((msg.queue.as_str(), msg.id.as_str()), (q, id));
    assert!(
        msg.error_msg.starts_with(error_starts),
        "error_msg {:?}, want it to start with {error_starts:?}",
        msg.error_msg
    );
    assert!(msg.last_failed_at > 0, "{msg:?}");
    assert!(!env.list(q, "active").await.contains(&id.to_string()));
    assert!(env.zscore(q, "lease", id).await.is_none());
    assert!(env.zscore(q, "archived", id).await.is_some());
    msg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_pending_message_is_archived_and_the_queue_keeps_flowing() {
    let env = Env::start().await;
    put_raw(&env, "default", "bad", GARBAGE, "pending").await;
    env.raw
        .cmd(&["LPUSH", "asynq:{default}:pending", "bad"])
        .await;
    let good = env
        .client
        .enqueue(&Task::new("good", "x"), &[])
        .await
        .unwrap();
    let (calls, handler) = counting();
    let server = env.server(fast_config()).await;
    server.start(handler).unwrap();

    let msg = assert_archived_poison(
        &env,
        "default",
        "bad",
        "asynq: cannot decode task message: ",
    )
    .await;
    // The stored bytes are kept, as the payload of a message every reader decodes.
    assert_eq!(&msg.payload[..], GARBAGE);
    assert_eq!(msg.r#type, "");
    env.wait_gone("default", &good.id, Duration::from_secs(10))
        .await;
    assert_eq!(calls.load(Ordering::SeqCst), 1, "only the good task ran");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_naming_another_queue_or_id_is_archived_without_running() {
    let env = Env::start().await;
    put_raw(
        &env,
        "default",
        "wrongq",
        &encoded("other", "wrongq"),
        "pending",
    )
    .await;
    put_raw(
        &env,
        "default",
        "wrongid",
        &encoded("default", "else"),
        "pending",
    )
    .await;
    env.raw
        .cmd(&["LPUSH", "asynq:{default}:pending", "wrongq", "wrongid"])
        .await;
    let (calls, handler) = counting();
    let server = env.server(fast_config()).await;
    server.start(handler).unwrap();

    let m = assert_archived_poison(
        &env,
        "default",
        "wrongq",
        "asynq: task message names queue \"other\" but was found in queue \"default\"",
    )
    .await;
    assert_eq!(m.r#type, "poison:test", "the decoded message is kept");
    assert_archived_poison(
        &env,
        "default",
        "wrongid",
        "asynq: task message has ID \"else\" but was found under ID \"wrongid\"",
    )
    .await;
    assert_eq!(calls.load(Ordering::SeqCst), 0, "no handler ran");
    assert!(env
        .raw
        .hgetall(&task_key("other", "wrongq"))
        .await
        .is_empty());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recoverer_archives_lease_expired_poison_left_in_active() {
    let env = Env::start().await;
    // What an older server left behind: garbage in active with a lease long expired.
    put_raw(&env, "default", "stuck", GARBAGE, "active").await;
    env.raw
        .cmd(&["LPUSH", "asynq:{default}:active", "stuck"])
        .await;
    let expired = (now_secs() - 100).to_string();
    env.raw
        .cmd(&["ZADD", "asynq:{default}:lease", &expired, "stuck"])
        .await;
    let server = env.server(fast_config()).await;
    let (_calls, handler) = counting();
    server.start(handler).unwrap();
    // The recoverer runs once at start.
    assert_archived_poison(
        &env,
        "default",
        "stuck",
        "asynq: cannot decode task message: ",
    )
    .await;
    server.shutdown().await;
}

/// `SET asynq:{default}:pending x` (a key of the wrong type) with `default` first.
async fn broken_default_still_serves_critical(strict: bool) {
    let env = Env::start().await;
    env.raw.cmd(&["SET", "asynq:{default}:pending", "x"]).await;
    env.raw.cmd(&["SADD", "asynq:queues", "default"]).await;
    let tasks: Vec<Task> = (0..50).map(|i| Task::new("t", format!("{i}"))).collect();
    for r in env
        .client
        .enqueue_batch(&tasks, &[TaskOption::queue("critical")])
        .await
    {
        r.unwrap();
    }
    let (calls, handler) = counting();
    let config = Config {
        queues: [("default".to_string(), 6), ("critical".to_string(), 1)].into(),
        strict_priority: strict,
        ..fast_config()
    };
    let server = env.server(config).await;
    server.start(handler).unwrap();
    wait_for(
        "50 critical tasks processed past the broken default queue",
        Duration::from_secs(10),
        || async { calls.load(Ordering::SeqCst) == 50 },
    )
    .await;
    assert!(env.list("critical", "pending").await.is_empty());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_queue_key_is_skipped_in_strict_mode() {
    broken_default_still_serves_critical(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_queue_key_is_skipped_in_weighted_mode() {
    broken_default_still_serves_critical(false).await;
}
