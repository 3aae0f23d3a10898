//! The Go side of the harness on its own: `goasynq serve` (a real Go
//! `asynq.Server`) and the Inspector subcommands, against a real Redis. The
//! cross-language tests build on these.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use asynq_interop::{
    GoAsynq, GoBehaviour, GoHandled, GoOptions, GoServeOptions, GoTask, GoTaskInfo,
};
use asynq_test_support::{Raw, RedisNode};

/// One Redis, a raw connection to it and the Go driver.
struct Env {
    node: RedisNode,
    raw: Raw,
    go: GoAsynq,
}

impl Env {
    async fn start() -> Env {
        let node = RedisNode::start().await;
        let raw = node.raw().await;
        let go = GoAsynq::new(node.addr());
        Env { node, raw, go }
    }

    /// A log file in the Redis node's private directory.
    fn log_path(&self, name: &str) -> PathBuf {
        self.node.dir().join(name)
    }

    async fn enqueue(&self, task: GoTask) -> GoTaskInfo {
        self.go.enqueue_one(&task).await.expect("Go enqueue")
    }
}

fn options(f: impl FnOnce(&mut GoOptions)) -> GoOptions {
    let mut o = GoOptions::default();
    f(&mut o);
    o
}

/// Polls `cond` every 20 ms until it returns `Some`, or panics with `what`
/// after `limit`.
async fn wait_for<T, F, Fut>(limit: Duration, what: &str, mut cond: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = cond().await {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out after {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// 20 tasks with every handler behaviour; `serve --exit-after 20` runs each
/// once, logs it, and the queue ends in the states Go asynq gives them.
#[tokio::test]
async fn serve_runs_each_behaviour_and_exits_after_n() {
    let env = Env::start().await;
    let mut expected: BTreeMap<String, (String, &str)> = BTreeMap::new();
    let mut ids_by_kind: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut add = |info: GoTaskInfo, outcome: String, kind: &'static str| {
        ids_by_kind.entry(kind).or_default().push(info.id.clone());
        expected.insert(info.id, (outcome, kind));
    };

    // 5 successes: nil, plain-text, empty-object and sleeping payloads.
    for task in [
        GoTask::without_payload("ok:nil"),
        GoTask::without_payload("ok:nil"),
        GoTask::new("ok:text", *b"not json"),
        GoTask::new("ok:object", *b"{}"),
        GoTask::new("ok:sleep", GoBehaviour::sleep(50).payload()),
    ] {
        add(env.enqueue(task).await, "ok".into(), "ok");
    }
    // 3 results, kept for an hour: completed.
    for i in 0..3 {
        let b = GoBehaviour {
            result: Some(format!("result {i}")),
            ..GoBehaviour::default()
        };
        let task = GoTask::new("result", b.payload())
            .with_options(options(|o| o.retention_ms = Some(3_600_000)));
        add(env.enqueue(task).await, "ok".into(), "completed");
    }
    // 3 errors without retries left: archived.
    for i in 0..3 {
        let task = GoTask::new("error", GoBehaviour::error(&format!("boom {i}")).payload())
            .with_options(options(|o| o.max_retry = Some(0)));
        add(env.enqueue(task).await, format!("boom {i}"), "archived");
    }
    // 3 SkipRetry errors: archived despite 25 retries left.
    for i in 0..3 {
        let b = GoBehaviour {
            skip_retry: true,
            ..GoBehaviour::error(&format!("skip {i}"))
        };
        let outcome = format!("skip {i}: skip retry for the task");
        add(
            env.enqueue(GoTask::new("skip", b.payload())).await,
            outcome,
            "archived",
        );
    }
    // 3 revoked: deleted, counted as processed but not failed.
    for _ in 0..3 {
        let b = GoBehaviour {
            revoke: true,
            ..GoBehaviour::default()
        };
        add(
            env.enqueue(GoTask::new("revoke", b.payload())).await,
            "revoke task".into(),
            "revoked",
        );
    }
    // 3 errors with retries left: retry, an hour away.
    for i in 0..3 {
        let task = GoTask::new("retry", GoBehaviour::error(&format!("again {i}")).payload())
            .with_options(options(|o| o.max_retry = Some(5)));
        add(env.enqueue(task).await, format!("again {i}"), "retry");
    }
    assert_eq!(expected.len(), 20);

    let log = env.log_path("mixed.log");
    let server = env
        .go
        .serve(GoServeOptions {
            log: Some(log.clone()),
            exit_after: 20,
            retry_delay: Some(Duration::from_secs(3600)),
            task_check_interval: Some(Duration::from_millis(100)),
            max_time: Some(Duration::from_secs(20)),
            ..GoServeOptions::default()
        })
        .await;
    let summary = server.wait().await;
    assert_eq!(summary.handled, 20, "stderr: {}", summary.stderr);

    let handled = asynq_interop::read_log(&log);
    assert_eq!(handled.len(), 20, "{handled:#?}");
    let by_id: BTreeMap<&str, &GoHandled> = handled.iter().map(|h| (h.id.as_str(), h)).collect();
    assert_eq!(by_id.len(), 20, "each task handled once: {handled:#?}");
    for (id, (outcome, kind)) in &expected {
        let h = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("{kind} task {id} not handled"));
        assert_eq!(&h.outcome, outcome, "{h:?}");
        assert_eq!(h.queue, "default");
        assert_eq!(h.retried, 0);
    }
    let nil = handled.iter().find(|h| h.task_type == "ok:nil").unwrap();
    assert_eq!(nil.payload, "");
    assert_eq!(nil.max_retry, 25);
    let text = handled.iter().find(|h| h.task_type == "ok:text").unwrap();
    assert_eq!(text.payload, "not json");
    assert!(handled
        .iter()
        .filter(|h| h.task_type == "error")
        .all(|h| h.max_retry == 0));

    // The queue, through the Go Inspector.
    let q = env.go.queue_info("default").await.expect("queue info");
    assert_eq!(
        (
            q.pending,
            q.active,
            q.scheduled,
            q.retry,
            q.archived,
            q.completed
        ),
        (0, 0, 0, 3, 6, 3),
        "{q:?}"
    );
    assert_eq!(q.size, 12, "{q:?}");
    assert_eq!((q.processed, q.failed), (20, 9), "{q:?}");
    assert_eq!((q.processed_total, q.failed_total), (20, 9), "{q:?}");
    assert!(!q.paused);

    let completed = env.go.list_tasks("default", "completed").await.unwrap();
    let mut results: Vec<String> = completed
        .iter()
        .map(|t| t.result_text().expect("completed task has a result"))
        .collect();
    results.sort();
    assert_eq!(results, ["result 0", "result 1", "result 2"]);
    assert!(completed.iter().all(|t| t.state == "completed"));

    let archived = env.go.list_tasks("default", "archived").await.unwrap();
    let archived_ids: Vec<&str> = archived.iter().map(|t| t.id.as_str()).collect();
    for id in &ids_by_kind["archived"] {
        assert!(archived_ids.contains(&id.as_str()), "{id} not archived");
        let t = archived.iter().find(|t| &t.id == id).unwrap();
        assert_eq!(&t.last_err, &expected[id].0);
        assert!(t.last_failed_at.is_some());
    }

    let retry = env.go.list_tasks("default", "retry").await.unwrap();
    assert_eq!(retry.len(), 3);
    for t in &retry {
        assert_eq!(t.state, "retry");
        assert_eq!(t.retried, 1);
        assert_eq!(t.last_err, expected[&t.id].0);
        let next = t.next_process_at.expect("next_process_at");
        let in_secs = next - time_now();
        assert!((3590..=3610).contains(&in_secs), "retry in {in_secs} s");
    }

    for id in &ids_by_kind["revoked"] {
        let key = format!("asynq:{{default}}:t:{id}");
        assert!(!env.raw.exists(&key).await, "revoked {id} still stored");
    }
    // The server's state is gone after the graceful shutdown.
    assert!(env.go.servers().await.is_empty());
    assert!(env.raw.keys("asynq:servers:*").await.is_empty());
}

fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// `servers` lists the running Go server and its active worker;
/// `cancel` stops a sleeping handler; SIGTERM shuts the server down.
#[tokio::test]
async fn servers_lists_worker_and_cancel_stops_it() {
    let env = Env::start().await;
    let log = env.log_path("cancel.log");
    let server = env
        .go
        .serve(GoServeOptions {
            concurrency: 2,
            log: Some(log.clone()),
            task_check_interval: Some(Duration::from_millis(50)),
            retry_delay: Some(Duration::from_secs(3600)),
            ..GoServeOptions::default()
                .queue("critical", 6)
                .queue("default", 3)
        })
        .await;

    let servers = env.go.servers().await;
    assert_eq!(servers.len(), 1, "{servers:?}");
    let s = &servers[0];
    assert_eq!(s.pid, i64::from(server.pid()));
    assert_eq!(s.concurrency, 2);
    assert_eq!(
        s.queues,
        BTreeMap::from([("critical".to_owned(), 6), ("default".to_owned(), 3)])
    );
    assert!(!s.strict_priority);
    assert_eq!(s.status, "active");
    assert!(
        s.started.contains('T'),
        "RFC 3339 start time: {}",
        s.started
    );
    assert!(!s.host.is_empty());

    let payload = GoBehaviour::sleep(30_000).payload();
    let info = env
        .enqueue(
            GoTask::new("slow", payload.clone()).with_options(options(|o| {
                o.queue = Some("critical".into());
            })),
        )
        .await;
    wait_for(
        Duration::from_secs(5),
        "the task becomes active",
        || async {
            let active = env.go.list_tasks("critical", "active").await.unwrap();
            active.iter().any(|t| t.id == info.id).then_some(())
        },
    )
    .await;
    // The heartbeat that publishes workers runs every 5 s.
    let worker = wait_for(
        Duration::from_secs(8),
        "the Inspector lists the worker",
        || async {
            let servers = env.go.servers().await;
            servers
                .first()
                .and_then(|s| s.active_workers.first().cloned())
        },
    )
    .await;
    assert_eq!(worker.task_id, info.id);
    assert_eq!(worker.task_type, "slow");
    assert_eq!(worker.task_payload.as_bytes(), payload.as_slice());
    assert_eq!(worker.queue, "critical");
    assert!(!worker.started.is_empty() && !worker.deadline.is_empty());

    env.go.cancel(&info.id).await.expect("cancel");
    let handled = wait_for(Duration::from_secs(5), "the handler returns", || async {
        server.handled().into_iter().next()
    })
    .await;
    assert_eq!(handled.id, info.id);
    assert_eq!(handled.outcome, "context canceled");
    let retried = wait_for(
        Duration::from_secs(5),
        "the canceled task is in retry",
        || async {
            let retry = env.go.list_tasks("critical", "retry").await.unwrap();
            retry.into_iter().find(|t| t.id == info.id)
        },
    )
    .await;
    assert_eq!(retried.last_err, "context canceled");
    assert_eq!(retried.retried, 1);

    let summary = server.stop().await;
    assert_eq!(summary.handled, 1);
    assert!(summary.stderr.contains("ready"));
    assert!(env.go.servers().await.is_empty());
}

/// `pause` / `unpause` show in `queue_info`; a paused queue is not processed.
#[tokio::test]
async fn pause_and_unpause() {
    let env = Env::start().await;
    let info = env.enqueue(GoTask::new("t", *b"x")).await;
    env.go.pause("default").await.expect("pause");
    assert!(env.go.queue_info("default").await.unwrap().paused);
    assert!(env.raw.exists("asynq:{default}:paused").await);
    // Pausing twice is an error.
    let err = env.go.pause("default").await.expect_err("already paused");
    assert_eq!(err.kind, "other");

    let log = env.log_path("pause.log");
    let server = env
        .go
        .serve(GoServeOptions {
            log: Some(log.clone()),
            exit_after: 1,
            task_check_interval: Some(Duration::from_millis(50)),
            max_time: Some(Duration::from_secs(10)),
            ..GoServeOptions::default()
        })
        .await;
    // A negative check: several task checks (every 25-75 ms) pass by.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(server.handled().is_empty(), "paused queue was processed");
    env.go.unpause("default").await.expect("unpause");
    assert!(!env.go.queue_info("default").await.unwrap().paused);
    let summary = server.wait().await;
    assert_eq!(summary.handled, 1);
    assert_eq!(asynq_interop::read_log(&log)[0].id, info.id);
}

/// `list_tasks_page` pages in the Inspector's order; errors keep their kind.
#[tokio::test]
async fn list_tasks_pages_and_errors() {
    let env = Env::start().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(env.enqueue(GoTask::new("t", vec![i])).await.id);
    }
    let all = env.go.list_tasks("default", "pending").await.unwrap();
    assert_eq!(
        all.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
        ids,
        "pending in enqueue order"
    );
    let page2 = env
        .go
        .list_tasks_page("default", "pending", 2, 2)
        .await
        .unwrap();
    assert_eq!(
        page2.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        [ids[2].as_str(), ids[3].as_str()]
    );
    assert!(env
        .go
        .list_tasks("default", "scheduled")
        .await
        .unwrap()
        .is_empty());

    // GetQueueInfo passes on the internal error, which does not wrap
    // asynq.ErrQueueNotFound; the List calls translate it.
    let err = env.go.queue_info("nope").await.expect_err("no such queue");
    assert_eq!(err.error, r#"NOT_FOUND: queue "nope" does not exist"#);
    assert_eq!(err.kind, "other");
    let err = env
        .go
        .list_tasks("nope", "pending")
        .await
        .expect_err("no such queue");
    assert_eq!(err.kind, "queue_not_found", "{err}");
    let q = env.go.queue_info("default").await.unwrap();
    assert_eq!((q.pending, q.size), (5, 5));
}
