//! The Inspector's control methods end to end against a real Redis (spec §5.9–5.13, 5.16,
//! 5.18): tasks seeded with `asynq_client::Client` and the broker's worker-side operations, the
//! effect checked with raw commands, and every error variant.

use std::time::Duration;

use asynq_broker::{Broker, RedisConnOpt};
use asynq_client::{Client, Task, TaskOption};
use asynq_inspect::{InspectError, Inspector};
use asynq_proto::TaskMessage;
use asynq_test_support::{Raw, RedisNode};

const Q: &str = "default";

struct Env {
    inspector: Inspector,
    client: Client,
    broker: Broker,
    raw: Raw,
    _node: RedisNode,
}

impl Env {
    async fn start() -> Env {
        let node = RedisNode::start().await;
        let opt = RedisConnOpt::parse_uri(&node.url()).expect("parse url");
        let broker = Broker::connect(opt.clone()).await.expect("connect broker");
        let inspector = Inspector::connect(opt).await.expect("connect inspector");
        Env {
            inspector,
            client: Client::from_broker(broker.clone()),
            broker,
            raw: node.raw().await,
            _node: node,
        }
    }

    /// Enqueues a task of type `kind` with `opts`; returns its ID.
    async fn enqueue(&self, kind: &str, opts: &[TaskOption]) -> String {
        self.client
            .enqueue(&Task::new(kind, format!("payload of {kind}")), opts)
            .await
            .expect("enqueue")
            .id
    }

    /// Enqueues a task and moves it to `active` (the queue must have no other pending task).
    async fn active(&self, kind: &str) -> TaskMessage {
        let id = self.enqueue(kind, &[]).await;
        let d = self
            .broker
            .dequeue(&[Q.to_string()])
            .await
            .expect("dequeue");
        assert_eq!(d.msg.id, id);
        d.msg
    }

    /// A task in `retry` after one failed attempt ("boom").
    async fn retry(&self, kind: &str) -> String {
        let m = self.active(kind).await;
        let at = self.broker.now() + Duration::from_secs(3600);
        self.broker
            .retry(&m, at, "boom", true)
            .await
            .expect("retry");
        m.id
    }

    /// A task in `archived` ("fatal").
    async fn archived(&self, kind: &str) -> String {
        let m = self.active(kind).await;
        self.broker.archive(&m, "fatal").await.expect("archive");
        m.id
    }

    /// A task in `completed` (retention 1 h).
    async fn completed(&self, kind: &str) -> String {
        let id = self
            .enqueue(kind, &[TaskOption::retention(Duration::from_secs(3600))])
            .await;
        let d = self
            .broker
            .dequeue(&[Q.to_string()])
            .await
            .expect("dequeue");
        assert_eq!(d.msg.id, id);
        self.broker
            .mark_as_complete(&d.msg)
            .await
            .expect("complete");
        id
    }

    async fn scheduled(&self, kind: &str) -> String {
        self.enqueue(kind, &[TaskOption::process_in(Duration::from_secs(600))])
            .await
    }

    async fn grouped(&self, kind: &str, group: &str) -> String {
        self.enqueue(kind, &[TaskOption::group(group)]).await
    }

    async fn state(&self, id: &str) -> Option<String> {
        self.raw
            .hget(&format!("asynq:{{{Q}}}:t:{id}"), "state")
            .await
            .map(|v| String::from_utf8(v).expect("utf-8 state"))
    }

    async fn msg(&self, id: &str) -> TaskMessage {
        let raw = self
            .raw
            .hget(&format!("asynq:{{{Q}}}:t:{id}"), "msg")
            .await
            .expect("msg field");
        asynq_proto::decode_task_message(&raw).expect("decodable msg")
    }

    async fn exists(&self, id: &str) -> bool {
        self.raw.exists(&format!("asynq:{{{Q}}}:t:{id}")).await
    }

    async fn llen_pending(&self) -> i64 {
        self.raw
            .cmd(&["LLEN", &key("pending")])
            .await
            .as_i64()
            .expect("LLEN")
    }

    async fn queue_registered(&self, q: &str) -> bool {
        self.raw
            .cmd(&["SISMEMBER", "asynq:queues", q])
            .await
            .as_i64()
            == Some(1)
    }
}

fn key(suffix: &str) -> String {
    format!("asynq:{{{Q}}}:{suffix}")
}

#[track_caller]
fn assert_queue_not_found<T: std::fmt::Debug>(r: Result<T, InspectError>, q: &str) {
    match r {
        Err(e @ InspectError::QueueNotFound(_)) => {
            assert!(e.is_queue_not_found());
            assert_eq!(e.to_string(), format!("queue {q:?} does not exist"));
        }
        other => panic!("expected QueueNotFound({q:?}), got {other:?}"),
    }
}

#[track_caller]
fn assert_task_not_found<T: std::fmt::Debug>(r: Result<T, InspectError>, id: &str) {
    match r {
        Err(e @ InspectError::TaskNotFound { .. }) => {
            assert!(e.is_task_not_found());
            assert_eq!(
                e.to_string(),
                format!("cannot find task with id={id} in queue {Q:?}")
            );
        }
        other => panic!("expected TaskNotFound({id}), got {other:?}"),
    }
}

#[track_caller]
fn assert_precondition<T: std::fmt::Debug>(r: Result<T, InspectError>, text: &str) {
    match r {
        Err(InspectError::FailedPrecondition(m)) => assert_eq!(m, text),
        other => panic!("expected FailedPrecondition({text:?}), got {other:?}"),
    }
}

#[track_caller]
fn assert_blank<T: std::fmt::Debug>(r: Result<T, InspectError>) {
    match r {
        Err(InspectError::InvalidArgument(m)) => {
            assert_eq!(m, "queue name must contain one or more characters")
        }
        other => panic!("expected InvalidArgument for a blank queue, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_task_moves_scheduled_retry_archived_completed_and_grouped_tasks_to_pending() {
    let env = Env::start().await;
    let i = &env.inspector;
    let r = env.retry("r").await;
    let a = env.archived("a").await;
    let c = env.completed("c").await;
    let s = env.scheduled("s").await;
    let g = env.grouped("g", "grp").await;

    for id in [&s, &r, &a, &c, &g] {
        i.run_task(Q, id).await.unwrap();
        assert_eq!(env.state(id).await.as_deref(), Some("pending"), "{id}");
    }
    assert_eq!(
        env.raw.lrange(&key("pending")).await,
        vec![g.clone(), c, a.clone(), r.clone(), s]
    );
    // The failure history is kept.
    assert_eq!(env.msg(&a).await.error_msg, "fatal");
    assert_eq!(env.msg(&r).await.retried, 1);
    // The emptied group is gone.
    assert!(!env.raw.exists(&key("g:grp")).await);
    assert!(env.raw.smembers(&key("groups")).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_then_delete_a_task() {
    let env = Env::start().await;
    let i = &env.inspector;
    let id = env
        .enqueue("u", &[TaskOption::unique(Duration::from_secs(300))])
        .await;
    let lock = env.msg(&id).await.unique_key;
    i.archive_task(Q, &id).await.unwrap();
    assert_eq!(env.state(&id).await.as_deref(), Some("archived"));
    assert!(env.raw.zscore(&key("archived"), &id).await.is_some());
    assert_eq!(env.llen_pending().await, 0);
    // Archiving keeps the unique lock; deleting releases it.
    assert_eq!(env.raw.get(&lock).await, Some(id.clone().into_bytes()));
    match i.archive_task(Q, &id).await {
        Err(InspectError::TaskAlreadyArchived { queue, id: got }) => {
            assert_eq!((queue.as_str(), got.as_str()), (Q, id.as_str()));
        }
        other => panic!("expected TaskAlreadyArchived, got {other:?}"),
    }
    i.delete_task(Q, &id).await.unwrap();
    assert!(!env.exists(&id).await);
    assert!(!env.raw.exists(&lock).await);
    assert_task_not_found(i.delete_task(Q, &id).await, &id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_task_errors() {
    let env = Env::start().await;
    let i = &env.inspector;
    let x = env.active("x").await.id;
    let p = env.enqueue("p", &[]).await;

    // Unknown queue.
    assert_queue_not_found(i.run_task("nosuch", &p).await, "nosuch");
    assert_queue_not_found(i.archive_task("nosuch", &p).await, "nosuch");
    assert_queue_not_found(i.delete_task("nosuch", &p).await, "nosuch");
    assert_queue_not_found(i.update_task_payload("nosuch", &p, "x").await, "nosuch");
    // Unknown task.
    assert_task_not_found(i.run_task(Q, "missing").await, "missing");
    assert_task_not_found(i.archive_task(Q, "missing").await, "missing");
    assert_task_not_found(i.delete_task(Q, "missing").await, "missing");
    assert_task_not_found(i.update_task_payload(Q, "missing", "x").await, "missing");
    // Active task.
    assert_precondition(i.run_task(Q, &x).await, "task is already running");
    assert_precondition(
        i.archive_task(Q, &x).await,
        "cannot archive task in active state. use CancelProcessing instead.",
    );
    assert_precondition(
        i.delete_task(Q, &x).await,
        "cannot delete task in active state. use CancelProcessing instead.",
    );
    assert_precondition(
        i.update_task_payload(Q, &x, "x").await,
        "cannot update task that is not in scheduled state.",
    );
    // Pending task.
    assert_precondition(i.run_task(Q, &p).await, "task is already in pending state");
    // Blank queue names are refused before Redis is asked.
    for q in ["", "  "] {
        assert_blank(i.run_task(q, &p).await);
        assert_blank(i.archive_task(q, &p).await);
        assert_blank(i.delete_task(q, &p).await);
        assert_blank(i.update_task_payload(q, &p, "x").await);
    }
    // Nothing changed.
    assert_eq!(env.state(&x).await.as_deref(), Some("active"));
    assert_eq!(env.state(&p).await.as_deref(), Some("pending"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_task_payload_keeps_headers_and_unique_key() {
    let env = Env::start().await;
    let i = &env.inspector;
    let task = Task::new("report", "old").with_headers([("trace", "t-1")]);
    let info = env
        .client
        .enqueue(
            &task,
            &[
                TaskOption::process_in(Duration::from_secs(600)),
                TaskOption::unique(Duration::from_secs(300)),
            ],
        )
        .await
        .unwrap();
    let before = env.msg(&info.id).await;
    assert!(!before.unique_key.is_empty());

    i.update_task_payload(Q, &info.id, b"new".to_vec())
        .await
        .unwrap();
    let after = env.msg(&info.id).await;
    assert_eq!(&after.payload[..], b"new");
    assert_eq!(after.headers.get("trace").map(String::as_str), Some("t-1"));
    assert_eq!(after.unique_key, before.unique_key);
    let mut want = before.clone();
    want.payload = after.payload.clone();
    assert_eq!(after, want);
    assert_eq!(env.state(&info.id).await.as_deref(), Some("scheduled"));
    let field = env
        .raw
        .hget(&key(&format!("t:{}", info.id)), "unique_key")
        .await;
    assert_eq!(field, Some(before.unique_key.clone().into_bytes()));
    assert_eq!(
        env.raw.get(&before.unique_key).await,
        Some(info.id.clone().into_bytes())
    );

    // Only scheduled tasks.
    i.run_task(Q, &info.id).await.unwrap();
    assert_precondition(
        i.update_task_payload(Q, &info.id, "again").await,
        "cannot update task that is not in scheduled state.",
    );
    assert_eq!(&env.msg(&info.id).await.payload[..], b"new");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_methods_return_counts() {
    let env = Env::start().await;
    let i = &env.inspector;
    for k in ["r1", "r2"] {
        env.retry(k).await;
    }
    env.archived("a1").await;
    env.completed("c1").await;
    env.completed("c2").await;
    for k in ["s1", "s2", "s3"] {
        env.scheduled(k).await;
    }
    env.grouped("g1", "grp").await;
    env.grouped("g2", "grp").await;

    assert_eq!(i.run_all_scheduled_tasks(Q).await.unwrap(), 3);
    assert_eq!(i.run_all_retry_tasks(Q).await.unwrap(), 2);
    assert_eq!(i.run_all_archived_tasks(Q).await.unwrap(), 1);
    assert_eq!(i.run_all_aggregating_tasks(Q, "grp").await.unwrap(), 2);
    assert_eq!(env.llen_pending().await, 8);
    assert!(env.raw.smembers(&key("groups")).await.is_empty());

    assert_eq!(i.archive_all_pending_tasks(Q).await.unwrap(), 8);
    assert_eq!(i.run_all_archived_tasks(Q).await.unwrap(), 8);
    assert_eq!(i.delete_all_pending_tasks(Q).await.unwrap(), 8);
    assert_eq!(i.delete_all_completed_tasks(Q).await.unwrap(), 2);

    env.scheduled("s4").await;
    env.retry("r3").await;
    env.grouped("g3", "grp").await;
    assert_eq!(i.archive_all_scheduled_tasks(Q).await.unwrap(), 1);
    assert_eq!(i.archive_all_retry_tasks(Q).await.unwrap(), 1);
    assert_eq!(i.archive_all_aggregating_tasks(Q, "grp").await.unwrap(), 1);
    assert_eq!(i.delete_all_archived_tasks(Q).await.unwrap(), 3);

    env.scheduled("s5").await;
    env.retry("r4").await;
    env.grouped("g4", "grp").await;
    assert_eq!(i.delete_all_scheduled_tasks(Q).await.unwrap(), 1);
    assert_eq!(i.delete_all_retry_tasks(Q).await.unwrap(), 1);
    assert_eq!(i.delete_all_aggregating_tasks(Q, "grp").await.unwrap(), 1);
    assert_eq!(i.delete_all_aggregating_tasks(Q, "none").await.unwrap(), 0);
    assert!(env.raw.keys(&key("t:*")).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_methods_refuse_unknown_and_blank_queues() {
    let env = Env::start().await;
    let i = &env.inspector;
    for q in ["nosuch", ""] {
        let check = |r: Result<i64, InspectError>| {
            if q.is_empty() {
                assert_blank(r)
            } else {
                assert_queue_not_found(r, q)
            }
        };
        check(i.run_all_scheduled_tasks(q).await);
        check(i.run_all_retry_tasks(q).await);
        check(i.run_all_archived_tasks(q).await);
        check(i.run_all_aggregating_tasks(q, "g").await);
        check(i.archive_all_pending_tasks(q).await);
        check(i.archive_all_scheduled_tasks(q).await);
        check(i.archive_all_retry_tasks(q).await);
        check(i.archive_all_aggregating_tasks(q, "g").await);
        check(i.delete_all_pending_tasks(q).await);
        check(i.delete_all_scheduled_tasks(q).await);
        check(i.delete_all_retry_tasks(q).await);
        check(i.delete_all_archived_tasks(q).await);
        check(i.delete_all_completed_tasks(q).await);
        check(i.delete_all_aggregating_tasks(q, "g").await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_queue_plain_forced_and_refused() {
    let env = Env::start().await;
    let i = &env.inspector;
    assert_queue_not_found(i.delete_queue("nosuch", false).await, "nosuch");
    // Go does not check the name here: a blank queue is simply not found.
    assert_queue_not_found(i.delete_queue("", true).await, "");

    let x = env.active("x").await;
    let p = env.enqueue("p", &[]).await;
    match i.delete_queue(Q, false).await {
        Err(InspectError::QueueNotEmpty(q)) => assert_eq!(q, Q),
        other => panic!("expected QueueNotEmpty, got {other:?}"),
    }
    assert_precondition(
        i.delete_queue(Q, true).await,
        "cannot remove queue with active tasks",
    );
    assert!(env.queue_registered(Q).await);

    env.broker.done(&x).await.unwrap();
    i.delete_queue(Q, true).await.unwrap();
    assert!(!env.queue_registered(Q).await);
    assert!(!env.exists(&p).await);
    assert!(!env.raw.exists(&key("pending")).await);
    assert_queue_not_found(i.delete_queue(Q, true).await, Q);
    assert_queue_not_found(i.run_task(Q, &p).await, Q);

    // An empty queue goes without force.
    env.client
        .enqueue(&Task::new("t", "p"), &[TaskOption::queue("other")])
        .await
        .unwrap();
    assert!(env.queue_registered("other").await);
    assert_eq!(i.delete_all_pending_tasks("other").await.unwrap(), 1);
    i.delete_queue("other", false).await.unwrap();
    assert!(!env.queue_registered("other").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_unpause() {
    let env = Env::start().await;
    let i = &env.inspector;
    let paused = key("paused");
    i.pause_queue(Q).await.unwrap();
    let value = env.raw.get(&paused).await.expect("paused key");
    let secs: i64 = String::from_utf8(value).unwrap().parse().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        (now - 5..=now).contains(&secs),
        "paused at {secs}, now {now}"
    );
    assert_precondition(
        i.pause_queue(Q).await,
        r#"queue "default" is already paused"#,
    );

    // A paused queue hands out nothing.
    env.enqueue("p", &[]).await;
    assert!(env.broker.dequeue(&[Q.to_string()]).await.is_err());

    i.unpause_queue(Q).await.unwrap();
    assert!(!env.raw.exists(&paused).await);
    assert_precondition(i.unpause_queue(Q).await, r#"queue "default" is not paused"#);
    assert!(env.broker.dequeue(&[Q.to_string()]).await.is_ok());

    assert_blank(i.pause_queue("").await);
    assert_blank(i.unpause_queue(" ").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_processing_publishes_the_id() {
    let env = Env::start().await;
    let mut sub = env.broker.subscribe_cancellations().await.unwrap();
    // No queue or task check: any ID is published.
    env.inspector.cancel_processing("task-123").await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .expect("cancellation within 5 s");
    assert_eq!(got.as_deref(), Some("task-123"));
    sub.close().await;
}
