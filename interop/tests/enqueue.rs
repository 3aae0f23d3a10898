//! Enqueue and encoding interop between Go hibiken/asynq v0.26.0 and the Rust
//! client (wire-protocol.md §8.1). Every test starts its own Redis and checks
//! both the raw Redis state and the other side's API.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use asynq_client::{Client, ClientError, RedisConnOpt, Task, TaskOption, TaskState};
use asynq_interop::{GoAsynq, GoOptions, GoTask, GoTaskInfo};
use asynq_proto::TaskMessage;
use asynq_test_support::{Raw, RedisNode};
use md5::{Digest, Md5};
use time::OffsetDateTime;

/// MD5 of the empty payload, the unique-key suffix of `Some([])` (§6.17).
const MD5_EMPTY: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// One Redis, a raw connection to it, the Go driver and a Rust client.
struct Env {
    _node: RedisNode,
    raw: Raw,
    go: GoAsynq,
    client: Client,
}

impl Env {
    async fn start() -> Env {
        let node = RedisNode::start().await;
        let raw = node.raw().await;
        let go = GoAsynq::new(node.addr());
        let opt = RedisConnOpt::parse_uri(&node.url()).expect("redis URI");
        let client = Client::connect(opt).await.expect("Rust client connects");
        Env {
            _node: node,
            raw,
            go,
            client,
        }
    }

    /// `HGETALL asynq:{q}:t:<id>`.
    async fn task_hash(&self, queue: &str, id: &str) -> BTreeMap<String, Vec<u8>> {
        self.raw.hgetall(&task_key(queue, id)).await
    }

    /// The decoded `msg` field of a task hash.
    async fn msg(&self, queue: &str, id: &str) -> TaskMessage {
        let hash = self.task_hash(queue, id).await;
        let bytes = hash
            .get("msg")
            .unwrap_or_else(|| panic!("{} has no msg: {hash:?}", task_key(queue, id)));
        asynq_proto::decode_task_message(bytes).expect("msg decodes")
    }

    /// A string field of a task hash.
    async fn field(&self, queue: &str, id: &str, field: &str) -> Option<String> {
        let hash = self.task_hash(queue, id).await;
        hash.get(field)
            .map(|v| String::from_utf8(v.clone()).expect("UTF-8 hash field"))
    }

    /// `LRANGE asynq:{q}:pending 0 -1`.
    async fn pending(&self, queue: &str) -> Vec<String> {
        self.raw.lrange(&format!("asynq:{{{queue}}}:pending")).await
    }

    /// `ZRANGE asynq:{q}:scheduled 0 -1 WITHSCORES`.
    async fn scheduled(&self, queue: &str) -> Vec<(String, f64)> {
        self.raw
            .zrange_withscores(&format!("asynq:{{{queue}}}:scheduled"))
            .await
    }

    /// `SMEMBERS asynq:queues`.
    async fn queues(&self) -> BTreeSet<String> {
        self.raw.smembers("asynq:queues").await
    }

    /// `GET key` as a string.
    async fn get(&self, key: &str) -> Option<String> {
        self.raw
            .get(key)
            .await
            .map(|v| String::from_utf8(v).expect("UTF-8 value"))
    }

    /// `KEYS pattern`, sorted.
    async fn keys(&self, pattern: &str) -> Vec<String> {
        self.raw.keys(pattern).await
    }
}

fn task_key(queue: &str, id: &str) -> String {
    format!("asynq:{{{queue}}}:t:{id}")
}

fn unique_key(queue: &str, task_type: &str, payload: Option<&[u8]>) -> String {
    let sum = payload
        .map(|p| hex::encode(Md5::digest(p)))
        .unwrap_or_default();
    format!("asynq:{{{queue}}}:unique:{task_type}:{sum}")
}

fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn field_names(hash: &BTreeMap<String, Vec<u8>>) -> Vec<&str> {
    hash.keys().map(String::as_str).collect()
}

fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn sorted<K: Ord + Clone, V: Clone>(map: &std::collections::HashMap<K, V>) -> BTreeMap<K, V> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Asserts that `pending_since` is a 19-digit Unix-nanosecond value within
/// ±2 s of now (§0.3).
fn assert_pending_since_now(value: Option<String>) {
    let value = value.expect("pending_since is set");
    assert_eq!(value.len(), 19, "pending_since {value:?} is not 19 digits");
    let ns: i128 = value.parse().expect("pending_since is decimal");
    let now = OffsetDateTime::now_utc().unix_timestamp_nanos();
    assert!(
        (ns - now).abs() <= 2_000_000_000,
        "pending_since {ns} is not within 2 s of now {now}"
    );
}

fn assert_about_now(t: Option<i64>, what: &str) {
    let t = t.unwrap_or_else(|| panic!("{what} is zero"));
    assert!((t - now_unix()).abs() <= 2, "{what} {t} is not about now");
}

fn go_options() -> GoOptions {
    GoOptions::default()
}

// ---------------------------------------------------------------------------
// T01 Go enqueue → Rust decode.

#[tokio::test]
async fn t01_go_enqueue_rust_decodes() {
    let env = Env::start().await;
    let payload = br#"{"to":"a"}"#;
    let info = env
        .go
        .enqueue_one(&GoTask::new("email:send", *payload))
        .await
        .expect("Go enqueue");
    let id = info.id.clone();
    assert_eq!(id.len(), 36, "Go task ID is a UUID: {id}");

    assert!(env.queues().await.contains("default"));
    assert_eq!(env.pending("default").await, vec![id.clone()]);
    let hash = env.task_hash("default", &id).await;
    assert_eq!(field_names(&hash), ["msg", "pending_since", "state"]);
    assert_eq!(hash["state"], b"pending");
    assert_pending_since_now(env.field("default", &id, "pending_since").await);

    let msg = env.msg("default", &id).await;
    let expected = TaskMessage {
        r#type: "email:send".into(),
        payload: payload.to_vec().into(),
        id: id.clone(),
        queue: "default".into(),
        retry: 25,
        timeout: 1800,
        ..TaskMessage::default()
    };
    assert_eq!(msg, expected);
    assert!(msg.headers.is_empty());
}

// ---------------------------------------------------------------------------
// T02 Rust enqueue → Go Inspector.

#[tokio::test]
async fn t02_rust_enqueue_go_inspector_reads() {
    let env = Env::start().await;
    let payload = br#"{"to":"b"}"#;
    let info = env
        .client
        .enqueue(&Task::new("email:send", payload.to_vec()), &[])
        .await
        .expect("Rust enqueue");
    assert_eq!(info.state, TaskState::Pending);
    assert_eq!(info.queue, "default");
    assert_eq!(info.max_retry, 25);
    assert_eq!(info.timeout, Duration::from_secs(1800));
    assert_eq!(info.deadline, None);
    assert_about_now(
        info.next_process_at.map(OffsetDateTime::unix_timestamp),
        "Rust NextProcessAt",
    );
    let id = info.id.clone();
    assert_eq!(id.len(), 36, "Rust task ID is a UUID: {id}");

    // Raw state: the same layout Go writes (T01).
    assert_eq!(env.queues().await, BTreeSet::from(["default".to_owned()]));
    assert_eq!(env.pending("default").await, vec![id.clone()]);
    let hash = env.task_hash("default", &id).await;
    assert_eq!(field_names(&hash), ["msg", "pending_since", "state"]);
    assert_eq!(hash["state"], b"pending");
    assert_pending_since_now(env.field("default", &id, "pending_since").await);
    let msg = env.msg("default", &id).await;
    assert_eq!(
        msg,
        TaskMessage {
            r#type: "email:send".into(),
            payload: payload.to_vec().into(),
            id: id.clone(),
            queue: "default".into(),
            retry: 25,
            timeout: 1800,
            ..TaskMessage::default()
        }
    );

    // Go's view.
    assert_eq!(env.go.queues().await, ["default"]);
    let go = env
        .go
        .task_info("default", &id)
        .await
        .expect("Go GetTaskInfo");
    assert_about_now(go.next_process_at, "Go NextProcessAt");
    assert_eq!(
        go,
        GoTaskInfo {
            id: id.clone(),
            queue: "default".into(),
            task_type: "email:send".into(),
            payload: Some(payload.to_vec()),
            headers: BTreeMap::new(),
            state: "pending".into(),
            max_retry: 25,
            retried: 0,
            last_err: String::new(),
            last_failed_at: None,
            timeout_ms: 30 * 60 * 1000,
            deadline: None,
            group: String::new(),
            next_process_at: go.next_process_at,
            is_orphaned: false,
            retention_ms: 0,
            completed_at: None,
            result: None,
        }
    );
}

// ---------------------------------------------------------------------------
// T03 Options round-trip.

#[tokio::test]
async fn t03_options_rust_to_go() {
    let env = Env::start().await;
    // A deadline with a fractional second: Go must see it truncated.
    let deadline_s = now_unix() + 86_400;
    let deadline = OffsetDateTime::from_unix_timestamp(deadline_s).unwrap()
        + time::Duration::milliseconds(750);
    let info = env
        .client
        .enqueue(
            &Task::new("opts", b"p".to_vec()),
            &[
                TaskOption::max_retry(3),
                TaskOption::queue("critical"),
                TaskOption::timeout(Duration::from_secs(90)),
                TaskOption::deadline(deadline),
                TaskOption::retention(Duration::from_secs(3600)),
                TaskOption::task_id("custom-1"),
            ],
        )
        .await
        .expect("Rust enqueue");
    assert_eq!(info.id, "custom-1");
    assert_eq!(info.queue, "critical");

    assert!(env.queues().await.contains("critical"));
    assert_eq!(env.pending("critical").await, ["custom-1"]);
    let msg = env.msg("critical", "custom-1").await;
    assert_eq!(
        (msg.id.as_str(), msg.queue.as_str(), msg.retry),
        ("custom-1", "critical", 3)
    );
    assert_eq!(
        (msg.timeout, msg.deadline, msg.retention),
        (90, deadline_s, 3600)
    );

    assert_eq!(env.go.queues().await, ["critical"]);
    let go = env
        .go
        .task_info("critical", "custom-1")
        .await
        .expect("Go GetTaskInfo");
    assert_eq!(go.id, "custom-1");
    assert_eq!(go.queue, "critical");
    assert_eq!(go.state, "pending");
    assert_eq!(go.max_retry, 3);
    assert_eq!(go.timeout_ms, 90_000, "Timeout 1m30s");
    assert_eq!(
        go.deadline,
        Some(deadline_s),
        "Deadline truncated to the second"
    );
    assert_eq!(go.retention_ms, 3_600_000, "Retention 1h0m0s");
}

#[tokio::test]
async fn t03_options_go_to_rust() {
    let env = Env::start().await;
    let deadline_s = now_unix() + 86_400;
    let go = env
        .go
        .enqueue_one(&GoTask::new("opts", *b"p").with_options(GoOptions {
            max_retry: Some(3),
            queue: Some("critical".into()),
            timeout_ms: Some(90_000),
            deadline_unix: Some(deadline_s),
            retention_ms: Some(3_600_000),
            task_id: Some("custom-1".into()),
            ..go_options()
        }))
        .await
        .expect("Go enqueue");
    assert_eq!(go.state, "pending");

    assert!(env.queues().await.contains("critical"));
    assert_eq!(env.pending("critical").await, ["custom-1"]);
    let hash = env.task_hash("critical", "custom-1").await;
    assert_eq!(field_names(&hash), ["msg", "pending_since", "state"]);
    let msg = env.msg("critical", "custom-1").await;
    assert_eq!(
        msg,
        TaskMessage {
            r#type: "opts".into(),
            payload: b"p".to_vec().into(),
            id: "custom-1".into(),
            queue: "critical".into(),
            retry: 3,
            timeout: 90,
            deadline: deadline_s,
            retention: 3600,
            ..TaskMessage::default()
        }
    );
}

// ---------------------------------------------------------------------------
// T04 Task ID conflict, on the pending, scheduled and group paths.

#[tokio::test]
async fn t04_task_id_conflict_pending() {
    let env = Env::start().await;
    // Rust first, Go conflicts.
    env.client
        .enqueue(
            &Task::new("a", b"rust".to_vec()),
            &[TaskOption::task_id("dup")],
        )
        .await
        .expect("Rust enqueue");
    let before = env.task_hash("default", "dup").await;
    let err = env
        .go
        .enqueue_one(&GoTask::new("b", *b"go").with_options(GoOptions {
            task_id: Some("dup".into()),
            ..go_options()
        }))
        .await
        .expect_err("Go enqueue must conflict");
    assert_eq!(err.kind, "conflict", "{err}");
    assert_eq!(env.task_hash("default", "dup").await, before);
    assert_eq!(env.pending("default").await, ["dup"]);

    // Go first, Rust conflicts.
    env.go
        .enqueue_one(&GoTask::new("a", *b"go").with_options(GoOptions {
            task_id: Some("dup2".into()),
            ..go_options()
        }))
        .await
        .expect("Go enqueue");
    let before = env.task_hash("default", "dup2").await;
    let res = env
        .client
        .enqueue(
            &Task::new("b", b"rust".to_vec()),
            &[TaskOption::task_id("dup2")],
        )
        .await;
    assert!(matches!(res, Err(ClientError::TaskIdConflict)), "{res:?}");
    assert_eq!(env.task_hash("default", "dup2").await, before);
    assert_eq!(env.pending("default").await, ["dup2", "dup"]);
}

#[tokio::test]
async fn t04_task_id_conflict_scheduled() {
    let env = Env::start().await;
    // Rust schedules, Go conflicts.
    let info = env
        .client
        .enqueue(
            &Task::new("a", b"rust".to_vec()),
            &[
                TaskOption::task_id("s1"),
                TaskOption::process_in(Duration::from_secs(3600)),
            ],
        )
        .await
        .expect("Rust schedule");
    assert_eq!(info.state, TaskState::Scheduled);
    let before = env.task_hash("default", "s1").await;
    let scheduled_before = env.scheduled("default").await;
    let err = env
        .go
        .enqueue_one(&GoTask::new("b", *b"go").with_options(GoOptions {
            task_id: Some("s1".into()),
            process_in_ms: Some(7_200_000),
            ..go_options()
        }))
        .await
        .expect_err("Go schedule must conflict");
    assert_eq!(err.kind, "conflict", "{err}");
    assert_eq!(env.task_hash("default", "s1").await, before);
    assert_eq!(env.scheduled("default").await, scheduled_before);

    // Go schedules, Rust conflicts.
    let go = env
        .go
        .enqueue_one(&GoTask::new("a", *b"go").with_options(GoOptions {
            task_id: Some("s2".into()),
            process_in_ms: Some(3_600_000),
            ..go_options()
        }))
        .await
        .expect("Go schedule");
    assert_eq!(go.state, "scheduled");
    let before = env.task_hash("default", "s2").await;
    let scheduled_before = env.scheduled("default").await;
    assert_eq!(scheduled_before.len(), 2);
    let res = env
        .client
        .enqueue(
            &Task::new("b", b"rust".to_vec()),
            &[
                TaskOption::task_id("s2"),
                TaskOption::process_in(Duration::from_secs(7200)),
            ],
        )
        .await;
    assert!(matches!(res, Err(ClientError::TaskIdConflict)), "{res:?}");
    assert_eq!(env.task_hash("default", "s2").await, before);
    assert_eq!(env.scheduled("default").await, scheduled_before);
    assert!(env.pending("default").await.is_empty());
}

#[tokio::test]
async fn t04_task_id_conflict_group() {
    let env = Env::start().await;
    // Go adds to a group, Rust conflicts.
    let go = env
        .go
        .enqueue_one(&GoTask::new("a", *b"go").with_options(GoOptions {
            task_id: Some("g1".into()),
            group: Some("grp".into()),
            ..go_options()
        }))
        .await
        .expect("Go AddToGroup");
    assert_eq!(go.state, "aggregating");
    assert_eq!(go.next_process_at, None);
    let before = env.task_hash("default", "g1").await;
    assert_eq!(field_names(&before), ["group", "msg", "state"]);
    let res = env
        .client
        .enqueue(
            &Task::new("b", b"rust".to_vec()),
            &[TaskOption::task_id("g1"), TaskOption::group("grp")],
        )
        .await;
    assert!(matches!(res, Err(ClientError::TaskIdConflict)), "{res:?}");
    assert_eq!(env.task_hash("default", "g1").await, before);
    let members = env.raw.zrange_withscores("asynq:{default}:g:grp").await;
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].0, "g1");
    assert_eq!(
        env.raw.smembers("asynq:{default}:groups").await,
        BTreeSet::from(["grp".to_owned()])
    );

    // Rust adds to a group, Go conflicts.
    let info = env
        .client
        .enqueue(
            &Task::new("a", b"rust".to_vec()),
            &[TaskOption::task_id("g2"), TaskOption::group("grp")],
        )
        .await
        .expect("Rust AddToGroup");
    assert_eq!(info.state, TaskState::Aggregating);
    let before = env.task_hash("default", "g2").await;
    assert_eq!(field_names(&before), ["group", "msg", "state"]);
    assert_eq!(before["group"], b"grp");
    assert_eq!(before["state"], b"aggregating");
    let err = env
        .go
        .enqueue_one(&GoTask::new("b", *b"go").with_options(GoOptions {
            task_id: Some("g2".into()),
            group: Some("grp".into()),
            ..go_options()
        }))
        .await
        .expect_err("Go AddToGroup must conflict");
    assert_eq!(err.kind, "conflict", "{err}");
    assert_eq!(env.task_hash("default", "g2").await, before);
    let ids: Vec<String> = env
        .raw
        .zrange_withscores("asynq:{default}:g:grp")
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(ids, ["g1", "g2"]);
    let go = env
        .go
        .task_info("default", "g2")
        .await
        .expect("Go GetTaskInfo");
    assert_eq!(
        (go.state.as_str(), go.group.as_str()),
        ("aggregating", "grp")
    );
}

// ---------------------------------------------------------------------------
// T05 Unique + ProcessIn.

#[tokio::test]
async fn t05_go_unique_process_in_then_rust_duplicate() {
    let env = Env::start().await;
    let payload = br#"{"month":"2026-11"}"#;
    let go = env
        .go
        .enqueue_one(&GoTask::new("report", *payload).with_options(GoOptions {
            unique_ms: Some(3_600_000),
            process_in_ms: Some(5_000),
            ..go_options()
        }))
        .await
        .expect("Go enqueue");
    assert_eq!(go.state, "scheduled");
    let id = go.id.clone();
    let process_at = go.next_process_at.expect("process-at");
    assert!((process_at - (now_unix() + 5)).abs() <= 2);

    // Raw: scheduled at the process-at second, with the unique lock.
    assert_eq!(
        env.scheduled("default").await,
        [(id.clone(), process_at as f64)]
    );
    let key = unique_key("default", "report", Some(payload));
    let hash = env.task_hash("default", &id).await;
    assert_eq!(field_names(&hash), ["msg", "state", "unique_key"]);
    assert_eq!(hash["state"], b"scheduled");
    assert_eq!(hash["unique_key"], key.as_bytes());
    assert_eq!(env.msg("default", &id).await.unique_key, key);
    assert_eq!(env.get(&key).await.as_deref(), Some(id.as_str()));
    // The lock lasts until 1 h after the process-at time: 3605 s, truncated
    // to whole seconds when set, minus the time elapsed since.
    let ttl = env.raw.ttl(&key).await;
    assert!((3602..=3605).contains(&ttl), "lock TTL {ttl}");

    let inspected = env
        .go
        .task_info("default", &id)
        .await
        .expect("Go GetTaskInfo");
    assert_eq!(inspected.next_process_at, Some(process_at));

    // Rust: same type + payload + queue → duplicate; nothing written.
    let res = env
        .client
        .enqueue(
            &Task::new("report", payload.to_vec()),
            &[TaskOption::unique(Duration::from_secs(3600))],
        )
        .await;
    assert!(matches!(res, Err(ClientError::DuplicateTask)), "{res:?}");
    assert_eq!(env.get(&key).await.as_deref(), Some(id.as_str()));
    assert!(env.pending("default").await.is_empty());
    assert_eq!(env.keys("asynq:{default}:t:*").await.len(), 1);

    // A different payload → success with its own lock.
    let other = br#"{"month":"2026-12"}"#;
    let info = env
        .client
        .enqueue(
            &Task::new("report", other.to_vec()),
            &[TaskOption::unique(Duration::from_secs(3600))],
        )
        .await
        .expect("Rust enqueue with another payload");
    assert_eq!(info.state, TaskState::Pending);
    let other_key = unique_key("default", "report", Some(other));
    assert_eq!(env.get(&other_key).await.as_deref(), Some(info.id.as_str()));
    let ttl = env.raw.ttl(&other_key).await;
    assert!((3598..=3600).contains(&ttl), "lock TTL {ttl}");
    let hash = env.task_hash("default", &info.id).await;
    assert_eq!(
        field_names(&hash),
        ["msg", "pending_since", "state", "unique_key"]
    );
    assert_eq!(hash["unique_key"], other_key.as_bytes());
    assert_eq!(env.msg("default", &info.id).await.unique_key, other_key);
    assert_eq!(env.pending("default").await, [info.id.as_str()]);
}

// ---------------------------------------------------------------------------
// T06 Unique key for nil versus empty payload.

#[tokio::test]
async fn t06_nil_vs_empty_payload_go_first() {
    let env = Env::start().await;
    let ten_min = Duration::from_secs(600);
    let go = env
        .go
        .enqueue_one(&GoTask::without_payload("reindex").with_options(GoOptions {
            unique_ms: Some(600_000),
            ..go_options()
        }))
        .await
        .expect("Go enqueue nil payload");
    let nil_key = "asynq:{default}:unique:reindex:";
    assert_eq!(env.get(nil_key).await.as_deref(), Some(go.id.as_str()));
    assert_eq!(env.msg("default", &go.id).await.unique_key, nil_key);
    assert_eq!(env.keys("asynq:{default}:unique:*").await, [nil_key]);

    // Rust "no payload" hits the same lock.
    let res = env
        .client
        .enqueue(
            &Task::without_payload("reindex"),
            &[TaskOption::unique(ten_min)],
        )
        .await;
    assert!(matches!(res, Err(ClientError::DuplicateTask)), "{res:?}");

    // Rust empty payload has the MD5-of-nothing key.
    let info = env
        .client
        .enqueue(
            &Task::new("reindex", Vec::new()),
            &[TaskOption::unique(ten_min)],
        )
        .await
        .expect("Rust enqueue empty payload");
    let empty_key = format!("asynq:{{default}}:unique:reindex:{MD5_EMPTY}");
    assert_eq!(empty_key, unique_key("default", "reindex", Some(b"")));
    assert_eq!(env.get(&empty_key).await.as_deref(), Some(info.id.as_str()));
    assert_eq!(env.msg("default", &info.id).await.unique_key, empty_key);
    assert_eq!(
        env.keys("asynq:{default}:unique:*").await,
        [nil_key.to_owned(), empty_key]
    );
    assert_eq!(env.pending("default").await.len(), 2);
}

#[tokio::test]
async fn t06_nil_vs_empty_payload_rust_first() {
    let env = Env::start().await;
    let info = env
        .client
        .enqueue(
            &Task::without_payload("reindex"),
            &[TaskOption::unique(Duration::from_secs(600))],
        )
        .await
        .expect("Rust enqueue without payload");
    let nil_key = "asynq:{default}:unique:reindex:";
    assert_eq!(env.get(nil_key).await.as_deref(), Some(info.id.as_str()));
    let hash = env.task_hash("default", &info.id).await;
    assert_eq!(hash["unique_key"], nil_key.as_bytes());
    let ttl = env.raw.ttl(nil_key).await;
    assert!((598..=600).contains(&ttl), "lock TTL {ttl}");

    // Go nil payload → duplicate.
    let err = env
        .go
        .enqueue_one(&GoTask::without_payload("reindex").with_options(GoOptions {
            unique_ms: Some(600_000),
            ..go_options()
        }))
        .await
        .expect_err("Go nil payload must be a duplicate");
    assert_eq!(err.kind, "duplicate", "{err}");

    // Go empty (non-nil) payload → its own lock.
    let go = env
        .go
        .enqueue_one(&GoTask::new("reindex", Vec::new()).with_options(GoOptions {
            unique_ms: Some(600_000),
            ..go_options()
        }))
        .await
        .expect("Go empty payload");
    let empty_key = format!("asynq:{{default}}:unique:reindex:{MD5_EMPTY}");
    assert_eq!(env.get(&empty_key).await.as_deref(), Some(go.id.as_str()));

    // Go reads the Rust task's payload as empty.
    let inspected = env
        .go
        .task_info("default", &info.id)
        .await
        .expect("Go GetTaskInfo");
    assert_eq!(inspected.payload.unwrap_or_default(), b"");
}

// ---------------------------------------------------------------------------
// T09 Headers (enqueue and decoding; the worker parts come with the worker).

#[tokio::test]
async fn t09_go_headers_rust_decodes() {
    let env = Env::start().await;
    let go = env
        .go
        .enqueue_one(&GoTask::new("h", *b"p").with_headers([("a", "1")]))
        .await
        .expect("Go enqueue with headers");
    assert_eq!(go.headers, headers(&[("a", "1")]));
    let msg = env.msg("default", &go.id).await;
    assert_eq!(sorted(&msg.headers), headers(&[("a", "1")]));
}

#[tokio::test]
async fn t09_rust_headers_go_reads() {
    let env = Env::start().await;
    let info = env
        .client
        .enqueue(
            &Task::new("h", b"p".to_vec()).with_headers([("x", "y")]),
            &[],
        )
        .await
        .expect("Rust enqueue with headers");
    assert_eq!(sorted(&info.headers), headers(&[("x", "y")]));
    let msg = env.msg("default", &info.id).await;
    assert_eq!(sorted(&msg.headers), headers(&[("x", "y")]));
    let go = env
        .go
        .task_info("default", &info.id)
        .await
        .expect("Go GetTaskInfo");
    assert_eq!(go.headers, headers(&[("x", "y")]));
}

/// Task headers merged with `Header` options, the option winning (§6.23).
/// Go v0.26.0 has no `Header` option, so only the Rust side writes this; Go
/// reads the merged map.
#[tokio::test]
async fn t09_rust_header_options_merge_go_reads() {
    let env = Env::start().await;
    let task = Task::new("h", b"p".to_vec()).with_headers([("a", "1"), ("c", "3")]);
    let info = env
        .client
        .enqueue(
            &task,
            &[TaskOption::header("b", "2"), TaskOption::header("c", "9")],
        )
        .await
        .expect("Rust enqueue with header options");
    let want = headers(&[("a", "1"), ("b", "2"), ("c", "9")]);
    assert_eq!(sorted(&info.headers), want);
    assert_eq!(sorted(&env.msg("default", &info.id).await.headers), want);
    let go = env
        .go
        .task_info("default", &info.id)
        .await
        .expect("Go GetTaskInfo");
    assert_eq!(go.headers, want);
}

// ---------------------------------------------------------------------------
// T11 Batch enqueue. Go v0.26.0 has no BatchEnqueueContext, so the Rust
// batch is checked against raw Redis and the Go Inspector.

#[tokio::test]
async fn t11_rust_batch_enqueue_go_inspector_reads() {
    let env = Env::start().await;
    let existing = env
        .go
        .enqueue_one(&GoTask::new("old", *b"old").with_options(GoOptions {
            task_id: Some("existing".into()),
            ..go_options()
        }))
        .await
        .expect("Go enqueue of the pre-existing task");
    let existing_hash = env.task_hash("default", "existing").await;

    let tasks = vec![
        Task::new("batch", b"1".to_vec()),
        Task::new("batch", b"2".to_vec()),
        Task::new("batch", b"3".to_vec()),
        Task::new("batch", b"later".to_vec())
            .with_options([TaskOption::process_in(Duration::from_secs(60))]),
        Task::new("batch", b"dup".to_vec()).with_options([TaskOption::task_id("existing")]),
        Task::new("batch", b"group".to_vec()).with_options([TaskOption::group("g")]),
        Task::new("batch", b"unique".to_vec())
            .with_options([TaskOption::unique(Duration::from_secs(3600))]),
    ];
    let results = env.client.enqueue_batch(&tasks, &[]).await;
    assert_eq!(results.len(), tasks.len(), "one result per task");

    let mut immediate = Vec::new();
    for (i, res) in results[..3].iter().enumerate() {
        let info = res.as_ref().unwrap_or_else(|e| panic!("item {i}: {e:?}"));
        assert_eq!(info.state, TaskState::Pending, "item {i}");
        immediate.push(info.id.clone());
    }
    let later = results[3].as_ref().expect("scheduled item");
    assert_eq!(later.state, TaskState::Scheduled);
    assert!(
        matches!(results[4], Err(ClientError::TaskIdConflict)),
        "reused ID: {:?}",
        results[4]
    );
    match &results[5] {
        Err(ClientError::InvalidTask(m)) => assert!(m.contains("group"), "{m}"),
        other => panic!("group item: {other:?}"),
    }
    match &results[6] {
        Err(ClientError::InvalidTask(m)) => assert!(m.contains("unique"), "{m}"),
        other => panic!("unique item: {other:?}"),
    }

    // Raw state: 3 new pending tasks with pending_since, 1 scheduled, the
    // pre-existing task unchanged, nothing grouped or locked.
    let mut pending = env.pending("default").await;
    pending.sort();
    let mut want: Vec<String> = immediate.clone();
    want.push(existing.id.clone());
    want.sort();
    assert_eq!(pending, want);
    for id in &immediate {
        let hash = env.task_hash("default", id).await;
        assert_eq!(
            field_names(&hash),
            ["msg", "pending_since", "state"],
            "{id}"
        );
        assert_eq!(hash["state"], b"pending");
        assert_pending_since_now(env.field("default", id, "pending_since").await);
    }
    let scheduled = env.scheduled("default").await;
    assert_eq!(scheduled.len(), 1);
    assert_eq!(scheduled[0].0, later.id);
    let score = scheduled[0].1 as i64;
    assert!((score - (now_unix() + 60)).abs() <= 2, "score {score}");
    let later_hash = env.task_hash("default", &later.id).await;
    assert_eq!(field_names(&later_hash), ["msg", "state"]);
    assert_eq!(env.task_hash("default", "existing").await, existing_hash);
    assert_eq!(env.keys("asynq:{default}:t:*").await.len(), 5);
    assert!(env.keys("asynq:{default}:unique:*").await.is_empty());
    assert!(env.keys("asynq:{default}:g*").await.is_empty());

    // Go Inspector.
    for id in &immediate {
        let go = env
            .go
            .task_info("default", id)
            .await
            .expect("Go GetTaskInfo");
        assert_eq!(go.state, "pending", "{id}");
        assert_eq!((go.max_retry, go.timeout_ms), (25, 1_800_000));
    }
    let go = env
        .go
        .task_info("default", &later.id)
        .await
        .expect("Go GetTaskInfo");
    assert_eq!(go.state, "scheduled");
    assert_eq!(go.next_process_at, Some(score));
    let go = env
        .go
        .task_info("default", "existing")
        .await
        .expect("Go GetTaskInfo");
    assert_eq!(
        (go.task_type.as_str(), go.payload.as_deref()),
        ("old", Some(&b"old"[..]))
    );
    assert_eq!(go.state, "pending");
}
