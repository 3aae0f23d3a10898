//! The Inspector's read methods end to end against real Redis: state seeded with
//! `asynq_client::Client` and the broker's worker-side operations, read back through
//! [`Inspector`] (spec §5.1–5.8, 5.14, 5.15, 5.17, §7.4).

use std::collections::HashMap;
use std::time::Duration;

use asynq_broker::Broker;
use asynq_client::{Client, RedisConnOpt, Task, TaskOption, TaskState};
use asynq_inspect::{InspectError, Inspector, ListOptions};
use asynq_test_support::{RedisCluster, RedisNode};
use bytes::Bytes;
use time::OffsetDateTime;

struct Env {
    inspector: Inspector,
    client: Client,
    broker: Broker,
    node: RedisNode,
}

async fn env() -> Env {
    let node = RedisNode::start().await;
    let opt = RedisConnOpt::parse_uri(&node.url()).expect("parse url");
    let inspector = Inspector::connect(opt).await.expect("connect inspector");
    let broker = inspector.broker().clone();
    let client = Client::from_broker(broker.clone());
    Env {
        inspector,
        client,
        broker,
        node,
    }
}

impl Env {
    /// Enqueues a task with `opts` and returns its ID.
    async fn enqueue(&self, id: &str, opts: &[TaskOption]) -> String {
        let mut all = vec![TaskOption::task_id(id)];
        all.extend_from_slice(opts);
        let task = Task::new("email:send", Bytes::from(format!("payload {id}")));
        self.client.enqueue(&task, &all).await.expect("enqueue").id
    }

    /// Enqueues to `q` and dequeues it, leaving it active; returns its message.
    async fn active(&self, q: &str, id: &str, opts: &[TaskOption]) -> asynq_proto::TaskMessage {
        let mut all = vec![TaskOption::queue(q)];
        all.extend_from_slice(opts);
        self.enqueue(id, &all).await;
        let d = self
            .broker
            .dequeue(&[q.to_string()])
            .await
            .expect("dequeue");
        assert_eq!(d.msg.id, id, "the queue had another pending task");
        d.msg
    }

    /// Seeds queue `q` with tasks in all seven states: act, done (completed), ret (retry), arc
    /// (archived), p1/p2 (pending), sch (scheduled), g1/g2 (group "grp").
    async fn seed_all_states(&self, q: &str) {
        let b = &self.broker;
        self.active(q, "act", &[]).await;
        let done = self
            .active(
                q,
                "done",
                &[TaskOption::retention(Duration::from_secs(3600))],
            )
            .await;
        b.write_result(q, "done", b"result bytes").await.unwrap();
        b.mark_as_complete(&done).await.unwrap();
        let ret = self.active(q, "ret", &[]).await;
        b.retry(&ret, b.now() + Duration::from_secs(120), "try again", true)
            .await
            .unwrap();
        let arc = self.active(q, "arc", &[]).await;
        b.archive(&arc, "gave up").await.unwrap();
        self.enqueue("p1", &[TaskOption::queue(q)]).await;
        self.enqueue("p2", &[TaskOption::queue(q)]).await;
        self.enqueue(
            "sch",
            &[
                TaskOption::queue(q),
                TaskOption::process_in(Duration::from_secs(600)),
            ],
        )
        .await;
        self.enqueue("g1", &[TaskOption::queue(q), TaskOption::group("grp")])
            .await;
        self.enqueue("g2", &[TaskOption::queue(q), TaskOption::group("grp")])
            .await;
    }
}

/// `<cmd> key [extra] <value>` with a binary value, sent hex-encoded through EVAL (the raw
/// helper only takes text arguments).
async fn write_bytes(
    raw: &asynq_test_support::Raw,
    cmd: &str,
    key: &str,
    extra: Option<&str>,
    value: &[u8],
) {
    const SCRIPT: &str = r#"
local v = ARGV[2]:gsub("..", function(h) return string.char(tonumber(h, 16)) end)
if ARGV[3] then
    return redis.call(ARGV[1], KEYS[1], ARGV[3], v)
end
return redis.call(ARGV[1], KEYS[1], v)
"#;
    let hex: String = value.iter().map(|b| format!("{b:02x}")).collect();
    let mut args = vec!["EVAL", SCRIPT, "1", key, cmd, &hex];
    if let Some(x) = extra {
        args.push(x);
    }
    raw.cmd(&args).await;
}

fn ids(tasks: &[asynq_inspect::TaskInfo]) -> Vec<String> {
    tasks.iter().map(|t| t.id.clone()).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_is_counted_listed_and_found() {
    let e = env().await;
    let i = &e.inspector;
    let q = "mail";
    e.seed_all_states(q).await;
    e.enqueue("other", &[]).await;

    assert_eq!(i.queues().await.unwrap(), strings(&["default", "mail"]));

    let info = i.get_queue_info(q).await.unwrap();
    assert_eq!(info.queue, q);
    assert_eq!(
        (
            info.pending,
            info.active,
            info.scheduled,
            info.retry,
            info.archived,
            info.completed,
            info.aggregating
        ),
        (2, 1, 1, 1, 1, 1, 2)
    );
    assert_eq!(info.size, 9, "size includes completed");
    assert_eq!(info.groups, 1);
    assert_eq!((info.processed, info.failed), (3, 2));
    assert_eq!((info.processed_total, info.failed_total), (3, 2));
    assert!(!info.paused);
    assert!(info.memory_usage > 0);
    assert!(info.latency < Duration::from_secs(60));

    let all = ListOptions::default();
    assert_eq!(
        ids(&i.list_pending_tasks(q, all).await.unwrap()),
        strings(&["p1", "p2"])
    );
    let active = i.list_active_tasks(q, all).await.unwrap();
    assert_eq!(ids(&active), strings(&["act"]));
    assert!(!active[0].is_orphaned);
    assert_eq!(
        ids(&i.list_scheduled_tasks(q, all).await.unwrap()),
        strings(&["sch"])
    );
    let retry = i.list_retry_tasks(q, all).await.unwrap();
    assert_eq!(ids(&retry), strings(&["ret"]));
    assert_eq!(
        (retry[0].retried, retry[0].last_err.as_str()),
        (1, "try again")
    );
    assert!(retry[0].last_failed_at.is_some());
    let archived = i.list_archived_tasks(q, all).await.unwrap();
    assert_eq!(ids(&archived), strings(&["arc"]));
    assert_eq!(archived[0].last_err, "gave up");
    let completed = i.list_completed_tasks(q, all).await.unwrap();
    assert_eq!(ids(&completed), strings(&["done"]));
    assert_eq!(completed[0].result.as_deref(), Some(&b"result bytes"[..]));
    assert!(completed[0].completed_at.is_some());
    assert_eq!(completed[0].retention, Duration::from_secs(3600));
    let grouped = i.list_aggregating_tasks(q, "grp", all).await.unwrap();
    assert_eq!(ids(&grouped), strings(&["g1", "g2"]));
    assert!(grouped.iter().all(|t| t.group == "grp"));

    let groups = i.groups(q).await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!((groups[0].group.as_str(), groups[0].size), ("grp", 2));

    // get_task_info in every state, with Go's NextProcessAt rules.
    let want = [
        ("act", TaskState::Active),
        ("done", TaskState::Completed),
        ("ret", TaskState::Retry),
        ("arc", TaskState::Archived),
        ("p1", TaskState::Pending),
        ("sch", TaskState::Scheduled),
        ("g1", TaskState::Aggregating),
    ];
    for (id, state) in want {
        let t = i.get_task_info(q, id).await.unwrap();
        assert_eq!((t.id.as_str(), t.queue.as_str(), t.state), (id, q, state));
        assert_eq!(t.task_type, "email:send");
        assert_eq!(t.payload, Bytes::from(format!("payload {id}")));
        let has_next = matches!(
            state,
            TaskState::Pending | TaskState::Scheduled | TaskState::Retry
        );
        assert_eq!(t.next_process_at.is_some(), has_next, "{id}");
    }
    let sch = i.get_task_info(q, "sch").await.unwrap();
    let next = sch.next_process_at.unwrap();
    let in_ten = OffsetDateTime::now_utc() + Duration::from_secs(600);
    assert!((next - in_ten).abs() < time::Duration::seconds(5), "{next}");
    assert_eq!(
        i.get_task_info(q, "done").await.unwrap().result.as_deref(),
        Some(&b"result bytes"[..])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_follow_go() {
    let e = env().await;
    let i = &e.inspector;
    e.enqueue("x", &[]).await;
    let all = ListOptions::default();

    // Unknown queue.
    let nf = |r: Result<_, InspectError>, what: &str| match r {
        Err(InspectError::QueueNotFound(q)) => assert_eq!(q, "nope", "{what}"),
        Err(other) => panic!("{what}: expected QueueNotFound, got {other:?}"),
        Ok(_) => panic!("{what}: expected QueueNotFound, got Ok"),
    };
    nf(i.get_queue_info("nope").await.map(|_| ()), "get_queue_info");
    nf(i.history("nope", 7).await.map(|_| ()), "history");
    nf(
        i.get_task_info("nope", "x").await.map(|_| ()),
        "get_task_info",
    );
    nf(
        i.list_pending_tasks("nope", all).await.map(|_| ()),
        "pending",
    );
    nf(i.list_active_tasks("nope", all).await.map(|_| ()), "active");
    nf(
        i.list_scheduled_tasks("nope", all).await.map(|_| ()),
        "scheduled",
    );
    nf(i.list_retry_tasks("nope", all).await.map(|_| ()), "retry");
    nf(
        i.list_archived_tasks("nope", all).await.map(|_| ()),
        "archived",
    );
    nf(
        i.list_completed_tasks("nope", all).await.map(|_| ()),
        "completed",
    );
    nf(
        i.list_aggregating_tasks("nope", "g", all).await.map(|_| ()),
        "aggregating",
    );
    let err = i.get_queue_info("nope").await.unwrap_err();
    assert!(err.is_queue_not_found());
    assert_eq!(err.to_string(), "queue \"nope\" does not exist");

    // Unknown task.
    let err = i.get_task_info("default", "missing").await.unwrap_err();
    assert!(err.is_task_not_found(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "cannot find task with id=missing in queue \"default\""
    );

    // Blank queue names.
    let blank = |r: Result<(), InspectError>, what: &str| match r {
        Err(InspectError::InvalidArgument(m)) => {
            assert_eq!(
                m, "queue name must contain one or more characters",
                "{what}"
            )
        }
        other => panic!("{what}: expected InvalidArgument, got {other:?}"),
    };
    for q in ["", "  "] {
        blank(i.get_queue_info(q).await.map(|_| ()), "get_queue_info");
        blank(i.history(q, 1).await.map(|_| ()), "history");
        blank(i.list_pending_tasks(q, all).await.map(|_| ()), "pending");
        blank(i.list_active_tasks(q, all).await.map(|_| ()), "active");
        blank(
            i.list_scheduled_tasks(q, all).await.map(|_| ()),
            "scheduled",
        );
        blank(i.list_retry_tasks(q, all).await.map(|_| ()), "retry");
        blank(i.list_archived_tasks(q, all).await.map(|_| ()), "archived");
        blank(
            i.list_completed_tasks(q, all).await.map(|_| ()),
            "completed",
        );
        blank(
            i.list_aggregating_tasks(q, "g", all).await.map(|_| ()),
            "aggregating",
        );
    }
    // As in Go, get_task_info does not check for blankness: a blank queue is not found.
    assert!(i
        .get_task_info("", "x")
        .await
        .unwrap_err()
        .is_queue_not_found());

    // History needs a positive number of days.
    for days in [0, -3] {
        match i.history("default", days).await {
            Err(InspectError::InvalidArgument(m)) => {
                assert_eq!(m, "the number of days must be positive")
            }
            other => panic!("days {days}: {other:?}"),
        }
    }

    // No existence check for groups, events and the key slot's queue.
    assert!(i.groups("nope").await.unwrap().is_empty());
    assert!(i
        .list_scheduler_enqueue_events("nope", all)
        .await
        .unwrap()
        .is_empty());
    // Not a cluster: Redis refuses the cluster commands.
    assert!(matches!(
        i.cluster_key_slot("default").await,
        Err(InspectError::Broker(_))
    ));
    assert!(i.cluster_nodes("default").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_of_75_tasks() {
    let e = env().await;
    let i = &e.inspector;
    let q = "bulk";
    let pending: Vec<String> = (0..75).map(|n| format!("p{n:02}")).collect();
    for id in &pending {
        e.enqueue(id, &[TaskOption::queue(q)]).await;
    }
    let at = OffsetDateTime::now_utc() + Duration::from_secs(3600);
    let scheduled: Vec<String> = (0..75).map(|n| format!("s{n:02}")).collect();
    // Enqueued in reverse, so ascending process-at differs from enqueue order.
    for (n, id) in scheduled.iter().enumerate().rev() {
        e.enqueue(
            id,
            &[
                TaskOption::queue(q),
                TaskOption::process_at(at + Duration::from_secs(n as u64)),
            ],
        )
        .await;
    }
    for size in [10i64, 30, 100] {
        for page in 1..=4i64 {
            let opts = ListOptions::default().page_size(size).page(page);
            let lo = ((page - 1) * size).min(75) as usize;
            let hi = (page * size).min(75) as usize;
            let got = i.list_pending_tasks(q, opts).await.unwrap();
            assert_eq!(ids(&got), pending[lo..hi].to_vec(), "pending {size}/{page}");
            assert!(got
                .iter()
                .all(|t| t.state == TaskState::Pending && t.next_process_at.is_some()));
            let got = i.list_scheduled_tasks(q, opts).await.unwrap();
            assert_eq!(
                ids(&got),
                scheduled[lo..hi].to_vec(),
                "scheduled {size}/{page}"
            );
            for w in got.windows(2) {
                assert!(w[0].next_process_at < w[1].next_process_at);
            }
        }
    }
    // Default: page 1 of 30.
    let got = i
        .list_pending_tasks(q, ListOptions::default())
        .await
        .unwrap();
    assert_eq!(ids(&got), pending[..30].to_vec());
    // Page size 0: an empty page.
    let got = i
        .list_pending_tasks(q, ListOptions::default().page_size(0))
        .await
        .unwrap();
    assert!(got.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_tasks_with_expired_leases_are_orphaned() {
    let e = env().await;
    let i = &e.inspector;
    let q = "work";
    e.active(q, "alive", &[]).await;
    e.active(q, "orphan", &[]).await;
    let past = (OffsetDateTime::now_utc().unix_timestamp() - 5).to_string();
    let lease = format!("asynq:{{{q}}}:lease");
    e.node
        .raw()
        .await
        .cmd(&["ZADD", &lease, &past, "orphan"])
        .await;
    let got = i
        .list_active_tasks(q, ListOptions::default())
        .await
        .unwrap();
    let flags: Vec<(String, bool)> = got.iter().map(|t| (t.id.clone(), t.is_orphaned)).collect();
    assert_eq!(
        flags,
        vec![("alive".to_string(), false), ("orphan".to_string(), true)]
    );
    assert!(got.iter().all(|t| t.next_process_at.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_and_latency() {
    let e = env().await;
    let i = &e.inspector;
    let q = "hist";
    // Today: 2 processed (one failure).
    let ok = e.active(q, "ok", &[]).await;
    e.broker.done(&ok).await.unwrap();
    let bad = e.active(q, "bad", &[]).await;
    e.broker.archive(&bad, "x").await.unwrap();
    // Yesterday and three days ago, seeded directly.
    let raw = e.node.raw().await;
    let now = OffsetDateTime::now_utc();
    let date = |days: u32| {
        let d = (now - Duration::from_secs(86_400) * days).date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    };
    raw.cmd(&["SET", &format!("asynq:{{{q}}}:processed:{}", date(1)), "7"])
        .await;
    raw.cmd(&["SET", &format!("asynq:{{{q}}}:failed:{}", date(1)), "4"])
        .await;
    raw.cmd(&["SET", &format!("asynq:{{{q}}}:processed:{}", date(3)), "9"])
        .await;
    let h = i.history(q, 5).await.unwrap();
    let got: Vec<(i64, i64)> = h.iter().map(|d| (d.processed, d.failed)).collect();
    assert_eq!(got, vec![(2, 1), (7, 4), (0, 0), (9, 0), (0, 0)]);
    assert!(h.iter().all(|d| d.queue == q));
    for w in h.windows(2) {
        assert_eq!(w[0].date - w[1].date, time::Duration::days(1));
    }

    // Latency: measured from pending_since of the next task; 0 without it.
    e.enqueue("waiting", &[TaskOption::queue(q)]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let lat = i.get_queue_info(q).await.unwrap().latency;
    assert!(
        lat >= Duration::from_millis(300) && lat < Duration::from_secs(30),
        "{lat:?}"
    );
    raw.cmd(&["HDEL", &format!("asynq:{{{q}}}:t:waiting"), "pending_since"])
        .await;
    assert_eq!(i.get_queue_info(q).await.unwrap().latency, Duration::ZERO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_group_their_workers() {
    let e = env().await;
    let i = &e.inspector;
    let ts = |s: i64| {
        Some(asynq_proto::Timestamp {
            seconds: s,
            nanos: 0,
        })
    };
    let server = |host: &str, id: &str, pid: i32| asynq_proto::ServerInfo {
        host: host.into(),
        pid,
        server_id: id.into(),
        concurrency: 8,
        queues: HashMap::from([("critical".to_string(), 6), ("default".to_string(), 3)]),
        strict_priority: true,
        status: "active".into(),
        start_time: ts(1_700_000_000),
        active_worker_count: 2,
    };
    let worker = |s: &asynq_proto::ServerInfo, task: &str, start: i64| asynq_proto::WorkerInfo {
        host: s.host.clone(),
        pid: s.pid,
        server_id: s.server_id.clone(),
        task_id: task.into(),
        task_type: "email:send".into(),
        task_payload: Bytes::from_static(b"{}"),
        queue: "critical".into(),
        start_time: ts(start),
        deadline: ts(start + 1800),
    };
    let a = server("host-a", "srv-a", 11);
    let b = server("host-b", "srv-b", 22);
    let ttl = Duration::from_secs(10);
    e.broker
        .write_server_state(
            &a,
            &[
                worker(&a, "t2", 1_700_000_020),
                worker(&a, "t1", 1_700_000_010),
            ],
            ttl,
        )
        .await
        .unwrap();
    e.broker.write_server_state(&b, &[], ttl).await.unwrap();
    // A workers entry of a server that is not listed is dropped.
    let ghost = server("host-c", "srv-c", 33);
    e.broker
        .write_server_state(&ghost, &[worker(&ghost, "t9", 1_700_000_000)], ttl)
        .await
        .unwrap();
    e.node
        .raw()
        .await
        .cmd(&["ZREM", "asynq:servers", "asynq:servers:{host-c:33:srv-c}"])
        .await;

    let servers = i.servers().await.unwrap();
    let ids: Vec<&str> = servers.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, vec!["srv-a", "srv-b"]);
    let sa = &servers[0];
    assert_eq!(
        (sa.host.as_str(), sa.pid, sa.concurrency),
        ("host-a", 11, 8)
    );
    assert!(sa.strict_priority);
    assert_eq!(sa.queues.get("critical"), Some(&6));
    assert_eq!(sa.status, "active");
    assert_eq!(sa.started.unix_timestamp(), 1_700_000_000);
    let tasks: Vec<&str> = sa
        .active_workers
        .iter()
        .map(|w| w.task_id.as_str())
        .collect();
    assert_eq!(tasks, vec!["t1", "t2"], "sorted by start time");
    let w = &sa.active_workers[0];
    assert_eq!(
        (w.task_type.as_str(), w.queue.as_str()),
        ("email:send", "critical")
    );
    assert_eq!(w.task_payload, Bytes::from_static(b"{}"));
    assert_eq!(w.deadline.unix_timestamp(), 1_700_000_010 + 1800);
    assert!(servers[1].active_workers.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_entries_with_go_option_strings() {
    let e = env().await;
    let i = &e.inspector;
    let raw = e.node.raw().await;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let entry = asynq_proto::SchedulerEntry {
        id: "e-1".into(),
        spec: "@every 10s".into(),
        task_type: "report:daily".into(),
        task_payload: Bytes::from_static(b"{\"k\":1}"),
        enqueue_options: strings(&[
            "Queue(\"critical\")",
            "MaxRetry(3)",
            "Timeout(1m30s)",
            "Deadline(Mon Jan  2 15:04:05 UTC 2026)",
            "Unique(1m0s)",
            "ProcessIn(5m0s)",
            "Retention(24h0m0s)",
            "Header([\"k\",\"v\"])",
            "NoParens",
            "Bogus(1)",
        ]),
        next_enqueue_time: Some(asynq_proto::Timestamp {
            seconds: now + 10,
            nanos: 0,
        }),
        prev_enqueue_time: Some(asynq_proto::go_zero_timestamp()),
    };
    let fired = asynq_proto::SchedulerEntry {
        id: "e-2".into(),
        enqueue_options: vec![],
        prev_enqueue_time: Some(asynq_proto::Timestamp {
            seconds: now - 10,
            nanos: 0,
        }),
        ..entry.clone()
    };
    let key = "asynq:schedulers:{host:1:sched}";
    for m in [&entry, &fired] {
        write_bytes(&raw, "RPUSH", key, None, &asynq_proto::encode(m)).await;
    }
    raw.cmd(&["ZADD", "asynq:schedulers", &(now + 20).to_string(), key])
        .await;

    let entries = i.scheduler_entries().await.unwrap();
    assert_eq!(entries.len(), 2);
    let got = &entries[0];
    assert_eq!((got.id.as_str(), got.spec.as_str()), ("e-1", "@every 10s"));
    assert_eq!(got.task.task_type(), "report:daily");
    assert_eq!(got.task.payload(), b"{\"k\":1}");
    assert_eq!(
        got.opts,
        vec![
            TaskOption::queue("critical"),
            TaskOption::max_retry(3),
            TaskOption::timeout(Duration::from_secs(90)),
            TaskOption::deadline(time::macros::datetime!(2026-01-02 15:04:05 UTC)),
            TaskOption::unique(Duration::from_secs(60)),
            TaskOption::process_in(Duration::from_secs(300)),
            TaskOption::retention(Duration::from_secs(86400)),
            TaskOption::header("k", "v"),
        ],
        "unparsable strings skipped, no panic"
    );
    assert_eq!(got.next.unix_timestamp(), now + 10);
    assert_eq!(got.prev, None, "Go zero time = never fired");
    assert_eq!(entries[1].prev.map(|t| t.unix_timestamp()), Some(now - 10));

    // Enqueue events, newest first.
    for n in 0..5i64 {
        let ev = asynq_proto::SchedulerEnqueueEvent {
            task_id: format!("task-{n}"),
            enqueue_time: Some(asynq_proto::Timestamp {
                seconds: now - 50 + n,
                nanos: 0,
            }),
        };
        let score = (now - 50 + n).to_string();
        write_bytes(
            &raw,
            "ZADD",
            "asynq:scheduler_history:e-1",
            Some(&score),
            &asynq_proto::encode(&ev),
        )
        .await;
    }
    let events = i
        .list_scheduler_enqueue_events("e-1", ListOptions::default().page_size(2).page(2))
        .await
        .unwrap();
    let ids: Vec<&str> = events.iter().map(|e| e.task_id.as_str()).collect();
    assert_eq!(ids, vec!["task-2", "task-1"]);
    assert_eq!(events[0].enqueued_at.unix_timestamp(), now - 48);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_info_on_a_single_node() {
    let e = env().await;
    let info = e.inspector.redis_info().await.unwrap();
    assert!(info.contains_key("redis_version"), "{info:?}");
    assert!(e.inspector.redis_cluster_info().await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_layout_and_info() {
    let cluster = RedisCluster::start(3, 0).await;
    let opt: RedisConnOpt = asynq_broker::conn::RedisClusterClientOpt::new(cluster.addrs()).into();
    let i = Inspector::connect(opt).await.unwrap();
    let info = i.redis_info().await.unwrap();
    assert_eq!(info.get("cluster_state").map(String::as_str), Some("ok"));
    let slot = i.cluster_key_slot("default").await.unwrap();
    assert_eq!(slot, 5718, "CLUSTER KEYSLOT asynq:{{default}}:pending");
    let nodes = i.cluster_nodes("default").await.unwrap();
    assert_eq!(nodes.len(), 1);
    let port = nodes[0].addr.rsplit(':').next().unwrap();
    assert!(cluster
        .addrs()
        .iter()
        .any(|a| a.ends_with(&format!(":{port}"))));
    assert_eq!(nodes[0].id.len(), 40);
}
