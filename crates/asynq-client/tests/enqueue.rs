//! Client::enqueue and enqueue_batch against a real redis-server.

use std::time::Duration;

use asynq_client::{Client, ClientError, RedisConnOpt, Task, TaskOption, TaskState};
use asynq_test_support::{Raw, RedisNode};
use time::OffsetDateTime;

async fn setup() -> (RedisNode, Client, Raw) {
    let node = RedisNode::start().await;
    let client = Client::connect(RedisConnOpt::parse_uri(&node.url()).unwrap())
        .await
        .unwrap();
    let raw = node.raw().await;
    (node, client, raw)
}

fn msg(raw: &[u8]) -> asynq_proto::TaskMessage {
    asynq_proto::decode_task_message(raw).unwrap()
}

#[tokio::test]
async fn enqueue_with_defaults_goes_to_pending() {
    let (_node, client, raw) = setup().await;
    let before = OffsetDateTime::now_utc();
    let info = client
        .enqueue(&Task::new("email:send", r#"{"to":"a"}"#), &[])
        .await
        .unwrap();
    assert_eq!(info.state, TaskState::Pending);
    assert_eq!(
        (info.queue.as_str(), info.max_retry, info.timeout),
        ("default", 25, Duration::from_secs(1800))
    );
    assert!(info.deadline.is_none());
    assert!(info.next_process_at.unwrap() >= before - Duration::from_secs(1));
    assert_eq!(
        raw.lrange("asynq:{default}:pending").await,
        vec![info.id.clone()]
    );
    assert!(raw.smembers("asynq:queues").await.contains("default"));
    let hash = raw
        .hgetall(&format!("asynq:{{default}}:t:{}", info.id))
        .await;
    assert_eq!(
        hash.keys().collect::<Vec<_>>(),
        ["msg", "pending_since", "state"]
    );
    assert_eq!(hash["state"], b"pending");
    let ns: i64 = String::from_utf8(hash["pending_since"].clone())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(ns.to_string().len(), 19);
    let m = msg(&hash["msg"]);
    assert_eq!(
        (m.r#type.as_str(), &m.payload[..], m.retry, m.timeout),
        ("email:send", &br#"{"to":"a"}"#[..], 25, 1800)
    );
}

#[tokio::test]
async fn options_are_stored_as_go_stores_them() {
    let (_node, client, raw) = setup().await;
    let deadline = OffsetDateTime::from_unix_timestamp(2_000_000_000).unwrap();
    let task =
        Task::new("t", "p").with_options([TaskOption::max_retry(9), TaskOption::queue("low")]);
    let info = client
        .enqueue(
            &task,
            &[
                TaskOption::max_retry(3),
                TaskOption::queue("critical"),
                TaskOption::timeout(Duration::from_secs(90)),
                TaskOption::deadline(deadline),
                TaskOption::retention(Duration::from_secs(3600)),
                TaskOption::task_id("custom-1"),
                TaskOption::header("k", "v"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(info.id, "custom-1");
    let m = msg(&raw
        .hget("asynq:{critical}:t:custom-1", "msg")
        .await
        .unwrap());
    assert_eq!(
        (m.retry, m.timeout, m.deadline, m.retention),
        (3, 90, 2_000_000_000, 3600)
    );
    assert_eq!(m.queue, "critical");
    assert_eq!(m.headers.get("k").map(String::as_str), Some("v"));
}

#[tokio::test]
async fn process_in_schedules_and_unique_locks() {
    let (_node, client, raw) = setup().await;
    let opts = [
        TaskOption::unique(Duration::from_secs(3600)),
        TaskOption::process_in(Duration::from_secs(5)),
    ];
    let info = client
        .enqueue(&Task::new("report", "p"), &opts)
        .await
        .unwrap();
    assert_eq!(info.state, TaskState::Scheduled);
    let key = "asynq:{default}:unique:report:83878c91171338902e0fe0fb97a8c47a";
    assert_eq!(raw.get(key).await.unwrap(), info.id.as_bytes());
    let ttl = raw.ttl(key).await;
    assert!((3603..=3605).contains(&ttl), "ttl {ttl}");
    let score = raw
        .zscore("asynq:{default}:scheduled", &info.id)
        .await
        .unwrap();
    assert_eq!(score as i64, info.next_process_at.unwrap().unix_timestamp());
    let again = client.enqueue(&Task::new("report", "p"), &opts).await;
    assert!(
        matches!(again, Err(ClientError::DuplicateTask)),
        "{again:?}"
    );
    client
        .enqueue(&Task::new("report", "other"), &opts)
        .await
        .unwrap();
}

#[tokio::test]
async fn nil_and_empty_payloads_have_different_unique_keys() {
    let (_node, client, raw) = setup().await;
    let u = [TaskOption::unique(Duration::from_secs(600))];
    client
        .enqueue(&Task::without_payload("reindex"), &u)
        .await
        .unwrap();
    assert!(raw.exists("asynq:{default}:unique:reindex:").await);
    let dup = client.enqueue(&Task::without_payload("reindex"), &u).await;
    assert!(matches!(dup, Err(ClientError::DuplicateTask)));
    client.enqueue(&Task::new("reindex", ""), &u).await.unwrap();
    assert!(
        raw.exists("asynq:{default}:unique:reindex:d41d8cd98f00b204e9800998ecf8427e")
            .await
    );
}

#[tokio::test]
async fn id_conflicts_on_every_path() {
    let (_node, client, _raw) = setup().await;
    let id = [TaskOption::task_id("dup")];
    client.enqueue(&Task::new("t", "p"), &id).await.unwrap();
    for extra in [
        vec![],
        vec![TaskOption::process_in(Duration::from_secs(60))],
        vec![TaskOption::group("g")],
        vec![TaskOption::unique(Duration::from_secs(60))],
    ] {
        let mut opts = id.to_vec();
        opts.extend(extra.clone());
        let r = client
            .enqueue(&Task::new("t", format!("{extra:?}")), &opts)
            .await;
        assert!(
            matches!(r, Err(ClientError::TaskIdConflict)),
            "{extra:?}: {r:?}"
        );
    }
}

#[tokio::test]
async fn group_option_adds_to_group() {
    let (_node, client, raw) = setup().await;
    let info = client
        .enqueue(&Task::new("t", "p"), &[TaskOption::group("g1")])
        .await
        .unwrap();
    assert_eq!(info.state, TaskState::Aggregating);
    assert!(info.next_process_at.is_none());
    assert_eq!(raw.zrange_withscores("asynq:{default}:g:g1").await.len(), 1);
    assert!(raw.smembers("asynq:{default}:groups").await.contains("g1"));
    let hash = raw
        .hgetall(&format!("asynq:{{default}}:t:{}", info.id))
        .await;
    assert_eq!(hash["group"], b"g1");
    assert_eq!(hash["state"], b"aggregating");
}

#[tokio::test]
async fn invalid_tasks_are_typed_errors() {
    let (_node, client, _raw) = setup().await;
    for (task, opts) in [
        (Task::new("", "p"), vec![]),
        (Task::new("t", "p"), vec![TaskOption::queue("  ")]),
        (Task::new("t", "p"), vec![TaskOption::task_id("")]),
        (
            Task::new("t", "p"),
            vec![TaskOption::unique(Duration::from_millis(10))],
        ),
        (Task::new("t", "p"), vec![TaskOption::group(" ")]),
    ] {
        let r = client.enqueue(&task, &opts).await;
        assert!(
            matches!(r, Err(ClientError::InvalidTask(_))),
            "{opts:?}: {r:?}"
        );
    }
}

#[tokio::test]
async fn batch_reports_each_task() {
    let (_node, client, raw) = setup().await;
    client
        .enqueue(&Task::new("t", "old"), &[TaskOption::task_id("exists")])
        .await
        .unwrap();
    let tasks = vec![
        Task::new("a", "1"),
        Task::new("a", "2").with_options([TaskOption::process_in(Duration::from_secs(60))]),
        Task::new("a", "3").with_options([TaskOption::task_id("exists")]),
        Task::new("a", "4").with_options([TaskOption::group("g")]),
        Task::new("a", "5").with_options([TaskOption::unique(Duration::from_secs(60))]),
        Task::new("a", "6").with_options([TaskOption::queue("other")]),
    ];
    let results = client.enqueue_batch(&tasks, &[]).await;
    assert_eq!(results.len(), 6);
    assert_eq!(results[0].as_ref().unwrap().state, TaskState::Pending);
    assert_eq!(results[1].as_ref().unwrap().state, TaskState::Scheduled);
    assert!(matches!(results[2], Err(ClientError::TaskIdConflict)));
    assert!(matches!(results[3], Err(ClientError::InvalidTask(_))));
    assert!(matches!(results[4], Err(ClientError::InvalidTask(_))));
    assert_eq!(results[5].as_ref().unwrap().queue, "other");
    assert_eq!(raw.lrange("asynq:{default}:pending").await.len(), 2);
    assert_eq!(
        raw.zrange_withscores("asynq:{default}:scheduled")
            .await
            .len(),
        1
    );
    assert_eq!(raw.lrange("asynq:{other}:pending").await.len(), 1);
    let old = msg(&raw.hget("asynq:{default}:t:exists", "msg").await.unwrap());
    assert_eq!(&old.payload[..], b"old");
    assert!(client.enqueue_batch(&[], &[]).await.is_empty());
}

#[tokio::test]
async fn json_payload_helpers_round_trip() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Email {
        to: String,
    }
    let t = Task::from_json("email", &Email { to: "a".into() }).unwrap();
    assert_eq!(t.payload(), br#"{"to":"a"}"#);
    assert_eq!(t.payload_json::<Email>().unwrap(), Email { to: "a".into() });
    assert!(matches!(
        Task::new("x", "nope").payload_json::<Email>(),
        Err(ClientError::Json(_))
    ));
}

#[tokio::test]
async fn unreachable_redis_is_an_error_not_a_hang() {
    let node = RedisNode::start().await;
    let url = node.url();
    drop(node);
    let r = tokio::time::timeout(
        Duration::from_secs(30),
        Client::connect(RedisConnOpt::parse_uri(&url).unwrap()),
    )
    .await;
    assert!(matches!(r, Ok(Err(ClientError::Broker(_)))), "{r:?}");
}

/// The `InvalidTask` message of `r`, panicking on anything else.
fn invalid_message(r: Result<asynq_client::TaskInfo, ClientError>) -> String {
    match r {
        Err(ClientError::InvalidTask(m)) => m,
        other => panic!("want InvalidTask, got {other:?}"),
    }
}

/// Issue 11: huge durations panicked ("overflow adding duration to date" in compose.rs and in
/// client.rs) or reached Redis as a raw `ERR invalid expire time`. Each is now an
/// `InvalidTask` naming the option, and nothing is written.
#[tokio::test]
async fn huge_durations_are_invalid_tasks_naming_the_option() {
    let (_node, client, raw) = setup().await;
    let t = Task::new("t", "p");
    let secs = Duration::from_secs;
    let cases: Vec<(Vec<TaskOption>, &str)> = vec![
        (
            vec![TaskOption::process_in(secs(u64::MAX / 4))],
            "ProcessIn(",
        ),
        (
            vec![
                TaskOption::process_in(secs(1)),
                TaskOption::unique(secs(u64::MAX / 2)),
            ],
            "Unique(",
        ),
        // Reached Redis: SET ... EX 10^16 is `ERR invalid expire time`.
        (
            vec![TaskOption::unique(secs(10_000_000_000_000_000))],
            "Unique(",
        ),
        (vec![TaskOption::timeout(Duration::MAX)], "Timeout("),
        (vec![TaskOption::retention(Duration::MAX)], "Retention("),
        (
            vec![TaskOption::group("g"), TaskOption::unique(Duration::MAX)],
            "Unique(",
        ),
    ];
    for (opts, name) in cases {
        let m = invalid_message(client.enqueue(&t, &opts).await);
        assert!(m.contains(name), "{opts:?}: {m}");
    }
    assert!(raw.keys("*").await.is_empty(), "nothing may be written");
    // The longest durations Go can represent are accepted.
    let max = asynq_client::MAX_DURATION;
    let info = client
        .enqueue(&t, &[TaskOption::process_in(max), TaskOption::unique(max)])
        .await
        .unwrap();
    assert_eq!(info.state, TaskState::Scheduled);
    let ttl = raw
        .ttl("asynq:{default}:unique:t:83878c91171338902e0fe0fb97a8c47a")
        .await;
    assert!(ttl >= 2 * 9_223_372_035, "ttl {ttl}");
}

/// Issue 11: a payload over Redis's 512 MiB bulk limit failed after 4 s with "Failed to route
/// command"; it is refused at once, with the size and the limit in the message.
#[tokio::test]
async fn message_over_512_mib_is_refused_before_sending() {
    let (_node, client, raw) = setup().await;
    // Zeroed and never written: its pages are not touched (compose only counts the size).
    let payload = bytes::Bytes::from(vec![0u8; asynq_client::MAX_MESSAGE_SIZE + 1]);
    let started = std::time::Instant::now();
    let m = invalid_message(client.enqueue(&Task::new("big", payload), &[]).await);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(
        m.contains("536870913 bytes") && m.contains("536870912"),
        "{m}"
    );
    assert!(raw.keys("*").await.is_empty());
}

/// Issue 11: a queue name with `{` or `}` breaks the `asynq:{<queue>}:` slot layout of Redis
/// Cluster; the Rust client refuses it (Go accepts it), single tasks and batch items alike.
#[tokio::test]
async fn queue_names_with_braces_are_refused() {
    let (_node, client, raw) = setup().await;
    for q in ["{x", "x}", "a{b}c", "}"] {
        let m = invalid_message(
            client
                .enqueue(&Task::new("t", "p"), &[TaskOption::queue(q)])
                .await,
        );
        assert!(m.contains("queue name") && m.contains(q), "{m}");
        let batch = client
            .enqueue_batch(&[Task::new("t", "p")], &[TaskOption::queue(q)])
            .await;
        assert!(
            matches!(batch[0], Err(ClientError::InvalidTask(_))),
            "{batch:?}"
        );
    }
    assert!(raw.keys("*").await.is_empty());
}

/// Issue 11: during `CLIENT PAUSE` the enqueue times out although Redis stores the task once
/// the pause ends. The timeout is `OutcomeUnknown` (not a retryable connection error), and the
/// idempotent retry with the same task ID gets `TaskIdConflict`, proving the first attempt
/// stored it; the task is stored exactly once.
#[tokio::test]
async fn timeout_during_client_pause_is_outcome_unknown_and_id_retry_detects_it() {
    let node = RedisNode::start().await;
    let raw = node.raw().await;
    // Command timeout = read + write timeout = 2 s; a connection is replaced only once a reply
    // is 4 s overdue, after the 3 s pause has ended (a closed connection would drop the
    // paused command).
    let opt: RedisConnOpt = asynq_broker::conn::RedisClientOpt::new(node.addr())
        .read_timeout(Duration::from_secs(1))
        .into();
    let client = Client::connect(opt).await.unwrap();
    // Registers the queue and loads the script, so the paused command is the enqueue itself.
    client.enqueue(&Task::new("warm", "up"), &[]).await.unwrap();

    raw.cmd(&["CLIENT", "PAUSE", "3000"]).await;
    let task = Task::new("email:deliver", r#"{"user_id":42}"#);
    let id = [TaskOption::task_id("welcome-42")];
    let started = std::time::Instant::now();
    let first = client.enqueue(&task, &id).await;
    let waited = started.elapsed();
    match &first {
        Err(ClientError::OutcomeUnknown {
            task_id,
            queue,
            source,
        }) => {
            assert_eq!(
                (task_id.as_str(), queue.as_str()),
                ("welcome-42", "default")
            );
            assert!(source.is_connection_error(), "{source:?}");
        }
        other => panic!("want OutcomeUnknown, got {other:?}"),
    }
    assert!(
        (Duration::from_millis(1500)..Duration::from_millis(2900)).contains(&waited),
        "timed out after {waited:?}"
    );
    // Raw's commands wait for the pause to end; then the task is there.
    assert!(raw.exists("asynq:{default}:t:welcome-42").await);

    // The idempotent retry: the same ID again. TaskIdConflict means "already stored".
    let retry = client.enqueue(&task, &id).await;
    assert!(
        matches!(retry, Err(ClientError::TaskIdConflict)),
        "{retry:?}"
    );
    let pending = raw.lrange("asynq:{default}:pending").await;
    assert_eq!(
        pending.iter().filter(|i| *i == "welcome-42").count(),
        1,
        "{pending:?}"
    );
    assert_eq!(pending.len(), 2, "{pending:?}");
}
