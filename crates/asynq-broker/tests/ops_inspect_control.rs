//! The Inspector's control operations in the broker against real Redis, single node and
//! Cluster (spec §5.9–5.13, 5.16): every operation and every return code, checked with raw
//! commands.

#[macro_use]
mod common;

use std::time::Duration;

use asynq_broker::BrokerError;
use asynq_proto::TaskMessage;
use bytes::Bytes;
use common::{msg, qkey, set, strings, task_key, Env, NINETY_DAYS};
use fred::types::Value;

const Q: &str = "default";

broker_cases!(
    case_run_task_from_each_state,
    case_run_task_aggregating,
    case_run_task_errors,
    case_archive_task_from_each_state,
    case_archive_task_errors,
    case_archive_task_age_trim,
    case_archive_task_size_trim,
    case_delete_task_from_each_state,
    case_delete_task_unique_lock,
    case_delete_task_errors,
    case_run_all,
    case_run_all_aggregating,
    case_archive_all,
    case_archive_all_aggregating,
    case_archive_all_trims,
    case_delete_all_zsets_and_locks,
    case_delete_all_pending_keeps_locks,
    case_delete_all_aggregating,
    case_bulk_unknown_queue,
    case_update_task_payload,
    case_update_task_payload_errors,
    case_remove_queue,
    case_remove_queue_force,
    case_pause_unpause,
);

/// Lua that writes `ARGV[1]` archived tasks: IDs `ARGV[4]` + 5-digit index, scores `ARGV[2]` +
/// `ARGV[3]` * index, each with a hash (`msg` = `ARGV[6]`, state archived). KEYS[1] = archived;
/// ARGV[5] = task key prefix.
const BULK_ARCHIVED: &str = r#"
local n, base, step = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 0, n - 1 do
    local id = ARGV[4] .. string.format("%05d", i)
    redis.call("ZADD", KEYS[1], base + step * i, id)
    redis.call("HSET", ARGV[5] .. id, "msg", ARGV[6], "state", "archived")
end
return n
"#;

async fn bulk_archived(env: &Env, n: i64, base: i64) {
    let body = asynq_proto::encode(&msg(Q, "bulk"));
    let created = env
        .eval(
            BULK_ARCHIVED,
            vec![qkey(Q, "archived")],
            vec![
                Value::from(n),
                Value::from(base),
                Value::from(1),
                Value::from("a"),
                Value::from(qkey(Q, "t:")),
                Value::Bytes(body),
            ],
        )
        .await;
    assert_eq!(created.as_i64(), Some(n));
}

// ---------------------------------------------------------------------------------------------
// Seeding through the worker-side operations.

/// `msg` in `active` (enqueue + dequeue; no other pending task may exist).
async fn active(env: &Env, id: &str) -> TaskMessage {
    let m = msg(Q, id);
    env.make_active(&m).await;
    m
}

/// A task in `retry` (one failed attempt, error "boom", retry in 1 h).
async fn retried(env: &Env, id: &str) -> TaskMessage {
    let m = active(env, id).await;
    let at = env.now() + Duration::from_secs(3600);
    env.broker.retry(&m, at, "boom", true).await.unwrap();
    m
}

/// A task in `archived` (error "fatal").
async fn archived(env: &Env, id: &str) -> TaskMessage {
    let m = active(env, id).await;
    env.broker.archive(&m, "fatal").await.unwrap();
    m
}

/// A task in `completed` (retention 1 h).
async fn completed(env: &Env, id: &str) -> TaskMessage {
    let mut m = msg(Q, id);
    m.retention = 3600;
    env.make_active(&m).await;
    env.broker.mark_as_complete(&m).await.unwrap();
    m
}

/// A task in `scheduled`, due in 1 h + `offset` s.
async fn scheduled(env: &Env, id: &str, offset: u64) -> TaskMessage {
    let m = msg(Q, id);
    let at = env.now() + Duration::from_secs(3600 + offset);
    env.broker.schedule(&m, at).await.unwrap();
    m
}

/// A task in group `g`.
async fn grouped(env: &Env, id: &str, g: &str) -> TaskMessage {
    let mut m = msg(Q, id);
    m.group_key = g.to_owned();
    env.broker.add_to_group(&m, g).await.unwrap();
    m
}

/// `SISMEMBER key member` as a bool.
async fn sismember(env: &Env, key: &str, member: &str) -> bool {
    env.raw.cmd(&["SISMEMBER", key, member]).await.as_i64() == Some(1)
}

fn assert_precondition<T: std::fmt::Debug>(r: Result<T, BrokerError>, text: &str) {
    match r {
        Err(BrokerError::FailedPrecondition(m)) => assert_eq!(m, text),
        other => panic!("expected FailedPrecondition({text:?}), got {other:?}"),
    }
}

fn assert_task_not_found<T: std::fmt::Debug>(r: Result<T, BrokerError>, id: &str) {
    match r {
        Err(BrokerError::TaskNotFound { queue, id: got }) => {
            assert_eq!((queue.as_str(), got.as_str()), (Q, id));
        }
        other => panic!("expected TaskNotFound, got {other:?}"),
    }
}

fn assert_queue_not_found<T: std::fmt::Debug>(r: Result<T, BrokerError>, q: &str) {
    match r {
        Err(BrokerError::QueueNotFound(got)) => assert_eq!(got, q),
        other => panic!("expected QueueNotFound({q:?}), got {other:?}"),
    }
}

async fn state(env: &Env, id: &str) -> Option<String> {
    env.field(Q, id, "state").await
}

// ---------------------------------------------------------------------------------------------
// RunTask (§5.9)

/// Scheduled, retry, archived and completed → pending (LPUSH, no pending_since, message kept).
async fn case_run_task_from_each_state(env: &Env) {
    let b = &env.broker;
    retried(env, "r1").await;
    archived(env, "a1").await;
    completed(env, "c1").await;
    scheduled(env, "s1", 0).await;
    let stored_a = env.raw.hget(&task_key(Q, "a1"), "msg").await;
    let stored_r = env.raw.hget(&task_key(Q, "r1"), "msg").await;

    for id in ["s1", "r1", "a1", "c1"] {
        b.run_task(Q, id).await.unwrap();
        assert_eq!(state(env, id).await.as_deref(), Some("pending"), "{id}");
        assert_eq!(env.fields(Q, id).await, set(&["msg", "state"]), "{id}");
    }
    // LPUSH: the first one run is dequeued first (right end).
    assert_eq!(
        env.raw.lrange(&qkey(Q, "pending")).await,
        strings(&["c1", "a1", "r1", "s1"])
    );
    for idx in ["scheduled", "retry", "archived", "completed"] {
        assert_eq!(env.zcard(&qkey(Q, idx)).await, 0, "{idx}");
    }
    // From archived: retried count and error are kept (the stored msg is untouched).
    assert_eq!(env.raw.hget(&task_key(Q, "a1"), "msg").await, stored_a);
    assert_eq!(env.raw.hget(&task_key(Q, "r1"), "msg").await, stored_r);
    let ma = env.stored_msg(Q, "a1").await;
    assert_eq!(ma.error_msg, "fatal");
    let mr = env.stored_msg(Q, "r1").await;
    assert_eq!((mr.retried, mr.error_msg.as_str()), (1, "boom"));
}

/// Aggregating → pending: the group loses the ID, the groups set loses an empty group, the
/// `group` hash field stays.
async fn case_run_task_aggregating(env: &Env) {
    let b = &env.broker;
    grouped(env, "g1", "grp").await;
    grouped(env, "g2", "grp").await;
    let groups = qkey(Q, "groups");
    let gkey = qkey(Q, "g:grp");

    b.run_task(Q, "g1").await.unwrap();
    assert_eq!(state(env, "g1").await.as_deref(), Some("pending"));
    assert_eq!(env.field(Q, "g1", "group").await.as_deref(), Some("grp"));
    assert_eq!(env.fields(Q, "g1").await, set(&["msg", "state", "group"]));
    assert_eq!(env.zcard(&gkey).await, 1);
    assert!(sismember(env, &groups, "grp").await);

    b.run_task(Q, "g2").await.unwrap();
    assert!(!env.raw.exists(&gkey).await);
    assert!(!sismember(env, &groups, "grp").await);
    assert_eq!(
        env.raw.lrange(&qkey(Q, "pending")).await,
        strings(&["g2", "g1"])
    );
}

/// 0 → TaskNotFound, −1 active, −2 pending, missing queue, a broken index → error reply.
async fn case_run_task_errors(env: &Env) {
    let b = &env.broker;
    active(env, "x1").await;
    b.enqueue(&msg(Q, "p1")).await.unwrap();

    assert_queue_not_found(b.run_task("nosuch", "p1").await, "nosuch");
    assert_task_not_found(b.run_task(Q, "missing").await, "missing");
    assert_precondition(b.run_task(Q, "x1").await, "task is already running");
    assert_precondition(
        b.run_task(Q, "p1").await,
        "task is already in pending state",
    );
    // Nothing moved.
    assert_eq!(env.raw.lrange(&qkey(Q, "pending")).await, strings(&["p1"]));
    assert_eq!(env.raw.lrange(&qkey(Q, "active")).await, strings(&["x1"]));

    // A hash that claims `retry` but is not in the retry set: Go's error reply.
    env.put_hash(&msg(Q, "bad"), &[("state", "retry")]).await;
    match b.run_task(Q, "bad").await {
        Err(BrokerError::Redis(m)) => assert!(m.contains("task id not found in zset"), "{m}"),
        other => panic!("expected an error reply, got {other:?}"),
    }
    assert_eq!(state(env, "bad").await.as_deref(), Some("retry"));
}

// ---------------------------------------------------------------------------------------------
// ArchiveTask (§5.10)

/// Pending, scheduled, retry, completed, aggregating → archived with score now; the message is
/// not rewritten, no counter changes, the unique lock stays.
async fn case_archive_task_from_each_state(env: &Env) {
    let b = &env.broker;
    retried(env, "r1").await;
    completed(env, "c1").await;
    scheduled(env, "s1", 0).await;
    grouped(env, "g1", "grp").await;
    let mut p = msg(Q, "p1");
    p.unique_key = qkey(Q, "unique:email:send:abc");
    b.enqueue_unique(&p, Duration::from_secs(300))
        .await
        .unwrap();
    // Counters written by the seeding (retry, complete): remember them.
    let (pd, fd, pt, ft) = env.counter_keys(Q);
    let before = [
        env.get(&pd).await,
        env.get(&fd).await,
        env.get(&pt).await,
        env.get(&ft).await,
    ];

    env.advance(10);
    let now = env.now_secs() as f64;
    for id in ["p1", "s1", "r1", "c1", "g1"] {
        let stored = env.raw.hget(&task_key(Q, id), "msg").await;
        b.archive_task(Q, id).await.unwrap();
        assert_eq!(state(env, id).await.as_deref(), Some("archived"), "{id}");
        assert_eq!(
            env.raw.hget(&task_key(Q, id), "msg").await,
            stored,
            "{id}: msg rewritten"
        );
        assert_eq!(
            env.raw.zscore(&qkey(Q, "archived"), id).await,
            Some(now),
            "{id}"
        );
    }
    assert_eq!(env.llen(&qkey(Q, "pending")).await, 0);
    for idx in ["scheduled", "retry", "completed", "g:grp"] {
        assert!(!env.raw.exists(&qkey(Q, idx)).await, "{idx}");
    }
    assert!(!sismember(env, &qkey(Q, "groups"), "grp").await);
    // pending_since stays (Go parity, harmless); unique lock kept.
    assert!(env.field(Q, "p1", "pending_since").await.is_some());
    env.assert_lock(&p.unique_key, "p1", 300).await;
    let after = [
        env.get(&pd).await,
        env.get(&fd).await,
        env.get(&pt).await,
        env.get(&ft).await,
    ];
    assert_eq!(before, after, "counters changed");
}

async fn case_archive_task_errors(env: &Env) {
    let b = &env.broker;
    active(env, "x1").await;
    archived(env, "a1").await;
    assert_queue_not_found(b.archive_task("nosuch", "a1").await, "nosuch");
    assert_task_not_found(b.archive_task(Q, "missing").await, "missing");
    match b.archive_task(Q, "a1").await {
        Err(BrokerError::TaskAlreadyArchived { queue, id }) => {
            assert_eq!((queue.as_str(), id.as_str()), (Q, "a1"));
        }
        other => panic!("expected TaskAlreadyArchived, got {other:?}"),
    }
    assert_precondition(
        b.archive_task(Q, "x1").await,
        "cannot archive task in active state. use CancelProcessing instead.",
    );
    assert_eq!(env.raw.lrange(&qkey(Q, "active")).await, strings(&["x1"]));
    // A pending hash missing from the pending list: Go's error reply.
    env.put_hash(&msg(Q, "bad"), &[("state", "pending")]).await;
    match b.archive_task(Q, "bad").await {
        Err(BrokerError::Redis(m)) => assert!(m.contains("task id not found in list"), "{m}"),
        other => panic!("expected an error reply, got {other:?}"),
    }
}

/// Entries archived more than 90 days ago are trimmed, with their hashes (as the worker-side
/// archive does).
async fn case_archive_task_age_trim(env: &Env) {
    let b = &env.broker;
    let now = env.now_secs();
    env.raw.cmd(&["SADD", "asynq:queues", Q]).await;
    let archived = qkey(Q, "archived");
    for (id, score) in [("old1", now - NINETY_DAYS - 5), ("old2", now - NINETY_DAYS)] {
        env.put_hash(&msg(Q, id), &[("state", "archived")]).await;
        env.raw
            .cmd(&["ZADD", &archived, &score.to_string(), id])
            .await;
    }
    let young = now - NINETY_DAYS + 1;
    env.put_hash(&msg(Q, "young"), &[("state", "archived")])
        .await;
    env.raw
        .cmd(&["ZADD", &archived, &young.to_string(), "young"])
        .await;
    scheduled(env, "s1", 0).await;

    b.archive_task(Q, "s1").await.unwrap();
    assert_eq!(
        env.raw.zrange_withscores(&archived).await,
        vec![
            ("young".to_owned(), young as f64),
            ("s1".to_owned(), now as f64)
        ]
    );
    assert!(!env.raw.exists(&task_key(Q, "old1")).await);
    assert!(!env.raw.exists(&task_key(Q, "old2")).await);
    assert!(env.raw.exists(&task_key(Q, "young")).await);
}

/// 9,999 archived + 1 → 9,999: the oldest goes, with its hash.
async fn case_archive_task_size_trim(env: &Env) {
    let b = &env.broker;
    let base = env.now_secs() - 100_000;
    bulk_archived(env, 9_999, base).await;
    scheduled(env, "s1", 0).await;
    let archived = qkey(Q, "archived");
    b.archive_task(Q, "s1").await.unwrap();
    assert_eq!(env.zcard(&archived).await, 9_999);
    assert_eq!(env.raw.zscore(&archived, "a00000").await, None);
    assert!(!env.raw.exists(&task_key(Q, "a00000")).await);
    assert!(env.raw.exists(&task_key(Q, "a00001")).await);
    assert_eq!(
        env.raw.zscore(&archived, "s1").await,
        Some(env.now_secs() as f64)
    );
    assert_eq!(env.raw.keys(&qkey(Q, "t:*")).await.len(), 9_999);
}

// ---------------------------------------------------------------------------------------------
// DeleteTask (§5.11)

async fn case_delete_task_from_each_state(env: &Env) {
    let b = &env.broker;
    retried(env, "r1").await;
    archived(env, "a1").await;
    completed(env, "c1").await;
    scheduled(env, "s1", 0).await;
    grouped(env, "g1", "grp").await;
    grouped(env, "g2", "grp").await;
    b.enqueue(&msg(Q, "p1")).await.unwrap();
    b.enqueue(&msg(Q, "p2")).await.unwrap();

    for id in ["p1", "s1", "r1", "a1", "c1", "g1"] {
        b.delete_task(Q, id).await.unwrap();
        assert!(!env.raw.exists(&task_key(Q, id)).await, "{id}");
    }
    assert_eq!(env.raw.lrange(&qkey(Q, "pending")).await, strings(&["p2"]));
    for idx in ["scheduled", "retry", "archived", "completed"] {
        assert_eq!(env.zcard(&qkey(Q, idx)).await, 0, "{idx}");
    }
    // g2 still there, so the group stays registered; deleting g2 removes it.
    assert!(sismember(env, &qkey(Q, "groups"), "grp").await);
    b.delete_task(Q, "g2").await.unwrap();
    assert!(!sismember(env, &qkey(Q, "groups"), "grp").await);
    assert!(!env.raw.exists(&qkey(Q, "g:grp")).await);
}

/// The lock named by `unique_key` goes only while it holds the task's ID.
async fn case_delete_task_unique_lock(env: &Env) {
    let b = &env.broker;
    let mut own = msg(Q, "own");
    own.unique_key = qkey(Q, "unique:email:send:own");
    let at = env.now() + Duration::from_secs(60);
    b.schedule_unique(&own, at, Duration::from_secs(600))
        .await
        .unwrap();
    let mut foreign = msg(Q, "foreign");
    foreign.unique_key = qkey(Q, "unique:email:send:foreign");
    b.schedule_unique(&foreign, at, Duration::from_secs(600))
        .await
        .unwrap();
    // The lock now belongs to another task (expired and taken again).
    env.raw
        .cmd(&["SET", &foreign.unique_key, "someone-else", "EX", "600"])
        .await;

    b.delete_task(Q, "own").await.unwrap();
    assert!(!env.raw.exists(&own.unique_key).await);
    b.delete_task(Q, "foreign").await.unwrap();
    assert_eq!(
        env.get(&foreign.unique_key).await.as_deref(),
        Some("someone-else")
    );
}

async fn case_delete_task_errors(env: &Env) {
    let b = &env.broker;
    active(env, "x1").await;
    assert_queue_not_found(b.delete_task("nosuch", "x1").await, "nosuch");
    assert_task_not_found(b.delete_task(Q, "missing").await, "missing");
    assert_precondition(
        b.delete_task(Q, "x1").await,
        "cannot delete task in active state. use CancelProcessing instead.",
    );
    assert!(env.raw.exists(&task_key(Q, "x1")).await);
    env.put_hash(&msg(Q, "bad"), &[("state", "completed")])
        .await;
    match b.delete_task(Q, "bad").await {
        Err(BrokerError::Redis(m)) => assert!(m.contains("task is not found in zset"), "{m}"),
        other => panic!("expected an error reply, got {other:?}"),
    }
    assert!(env.raw.exists(&task_key(Q, "bad")).await);
}

// ---------------------------------------------------------------------------------------------
// RunAll*, ArchiveAll*, DeleteAll* (§5.9–5.11)

async fn case_run_all(env: &Env) {
    let b = &env.broker;
    retried(env, "r1").await;
    archived(env, "a1").await;
    archived(env, "a2").await;
    scheduled(env, "s2", 10).await;
    scheduled(env, "s1", 0).await;

    assert_eq!(b.run_all_scheduled_tasks(Q).await.unwrap(), 2);
    // Ascending score, each LPUSHed: s1 (earliest) is dequeued first.
    assert_eq!(
        env.raw.lrange(&qkey(Q, "pending")).await,
        strings(&["s2", "s1"])
    );
    assert!(!env.raw.exists(&qkey(Q, "scheduled")).await);
    assert_eq!(b.run_all_retry_tasks(Q).await.unwrap(), 1);
    assert_eq!(b.run_all_archived_tasks(Q).await.unwrap(), 2);
    assert_eq!(b.run_all_archived_tasks(Q).await.unwrap(), 0);
    assert!(!env.raw.exists(&qkey(Q, "retry")).await);
    assert!(!env.raw.exists(&qkey(Q, "archived")).await);
    for id in ["s1", "s2", "r1", "a1", "a2"] {
        assert_eq!(state(env, id).await.as_deref(), Some("pending"), "{id}");
        assert_eq!(env.fields(Q, id).await, set(&["msg", "state"]), "{id}");
    }
    assert_eq!(env.stored_msg(Q, "r1").await.retried, 1);
    assert_eq!(env.stored_msg(Q, "a1").await.error_msg, "fatal");
    assert_eq!(env.llen(&qkey(Q, "pending")).await, 5);
}

async fn case_run_all_aggregating(env: &Env) {
    let b = &env.broker;
    grouped(env, "g1", "grp").await;
    env.advance(1);
    grouped(env, "g2", "grp").await;
    grouped(env, "o1", "other").await;
    assert_eq!(b.run_all_aggregating_tasks(Q, "grp").await.unwrap(), 2);
    assert_eq!(
        env.raw.lrange(&qkey(Q, "pending")).await,
        strings(&["g2", "g1"])
    );
    assert!(!env.raw.exists(&qkey(Q, "g:grp")).await);
    assert_eq!(env.raw.smembers(&qkey(Q, "groups")).await, set(&["other"]));
    for id in ["g1", "g2"] {
        assert_eq!(state(env, id).await.as_deref(), Some("pending"));
        assert_eq!(env.field(Q, id, "group").await.as_deref(), Some("grp"));
    }
    assert_eq!(b.run_all_aggregating_tasks(Q, "nosuch").await.unwrap(), 0);
    assert_eq!(state(env, "o1").await.as_deref(), Some("aggregating"));
}

async fn case_archive_all(env: &Env) {
    let b = &env.broker;
    retried(env, "r1").await;
    scheduled(env, "s1", 0).await;
    scheduled(env, "s2", 5).await;
    b.enqueue(&msg(Q, "p1")).await.unwrap();
    b.enqueue(&msg(Q, "p2")).await.unwrap();
    let stored_r = env.raw.hget(&task_key(Q, "r1"), "msg").await;
    env.advance(7);
    let now = env.now_secs() as f64;

    assert_eq!(b.archive_all_pending_tasks(Q).await.unwrap(), 2);
    assert!(!env.raw.exists(&qkey(Q, "pending")).await);
    assert!(env.field(Q, "p1", "pending_since").await.is_some());
    assert_eq!(b.archive_all_scheduled_tasks(Q).await.unwrap(), 2);
    assert!(!env.raw.exists(&qkey(Q, "scheduled")).await);
    assert_eq!(b.archive_all_retry_tasks(Q).await.unwrap(), 1);
    assert!(!env.raw.exists(&qkey(Q, "retry")).await);
    assert_eq!(b.archive_all_retry_tasks(Q).await.unwrap(), 0);

    let got = env.raw.zrange_withscores(&qkey(Q, "archived")).await;
    assert_eq!(got.len(), 5);
    assert!(got.iter().all(|(_, s)| *s == now), "{got:?}");
    for id in ["p1", "p2", "s1", "s2", "r1"] {
        assert_eq!(state(env, id).await.as_deref(), Some("archived"), "{id}");
    }
    assert_eq!(env.raw.hget(&task_key(Q, "r1"), "msg").await, stored_r);
}

async fn case_archive_all_aggregating(env: &Env) {
    let b = &env.broker;
    grouped(env, "g1", "grp").await;
    grouped(env, "g2", "grp").await;
    grouped(env, "o1", "other").await;
    assert_eq!(b.archive_all_aggregating_tasks(Q, "grp").await.unwrap(), 2);
    assert!(!env.raw.exists(&qkey(Q, "g:grp")).await);
    assert_eq!(env.raw.smembers(&qkey(Q, "groups")).await, set(&["other"]));
    for id in ["g1", "g2"] {
        assert_eq!(state(env, id).await.as_deref(), Some("archived"));
        assert_eq!(
            env.raw.zscore(&qkey(Q, "archived"), id).await,
            Some(env.now_secs() as f64)
        );
    }
    assert_eq!(
        b.archive_all_aggregating_tasks(Q, "nosuch").await.unwrap(),
        0
    );
}

/// The archive-all scripts trim by age and size too, deleting the trimmed hashes.
async fn case_archive_all_trims(env: &Env) {
    let b = &env.broker;
    let base = env.now_secs() - NINETY_DAYS - 10;
    // a00000 is past the cutoff; the rest are young.
    env.eval(
        BULK_ARCHIVED,
        vec![qkey(Q, "archived")],
        vec![
            Value::from(9_998),
            Value::from(base),
            Value::from(0),
            Value::from("a"),
            Value::from(qkey(Q, "t:")),
            Value::Bytes(asynq_proto::encode(&msg(Q, "bulk"))),
        ],
    )
    .await;
    // Make all but a00000 young: score = now - 1000 + index.
    env.eval(
        r#"for i = 1, tonumber(ARGV[1]) - 1 do
               redis.call("ZADD", KEYS[1], tonumber(ARGV[2]) + i, ARGV[3] .. string.format("%05d", i))
           end
           return 1"#,
        vec![qkey(Q, "archived")],
        vec![
            Value::from(9_998),
            Value::from(env.now_secs() - 20_000),
            Value::from("a"),
        ],
    )
    .await;
    b.enqueue(&msg(Q, "p1")).await.unwrap();
    b.enqueue(&msg(Q, "p2")).await.unwrap();
    b.enqueue(&msg(Q, "p3")).await.unwrap();
    // 9,998 − 1 (age) + 3 = 10,000 → the oldest young one goes by size: 9,999 remain.
    assert_eq!(b.archive_all_pending_tasks(Q).await.unwrap(), 3);
    let archived = qkey(Q, "archived");
    assert_eq!(env.zcard(&archived).await, 9_999);
    assert_eq!(env.raw.zscore(&archived, "a00000").await, None);
    assert_eq!(env.raw.zscore(&archived, "a00001").await, None);
    assert!(!env.raw.exists(&task_key(Q, "a00000")).await);
    assert!(!env.raw.exists(&task_key(Q, "a00001")).await);
    assert!(env.raw.exists(&task_key(Q, "a00002")).await);
    assert_eq!(env.raw.keys(&qkey(Q, "t:*")).await.len(), 9_999);
}

/// Scheduled, retry, archived, completed: each deleted with its hash; a lock is released only
/// while it holds the task's ID.
async fn case_delete_all_zsets_and_locks(env: &Env) {
    let b = &env.broker;
    env.raw.cmd(&["SADD", "asynq:queues", Q]).await;
    for (idx, n) in [
        ("scheduled", 2),
        ("retry", 1),
        ("archived", 3),
        ("completed", 2),
    ] {
        for i in 0..n {
            let id = format!("{idx}{i}");
            let lock = qkey(Q, &format!("unique:t:{id}"));
            env.put_hash(&msg(Q, &id), &[("state", idx), ("unique_key", &lock)])
                .await;
            env.raw
                .cmd(&["ZADD", &qkey(Q, idx), &i.to_string(), &id])
                .await;
            // Odd IDs lost their lock to another task.
            let owner = if i % 2 == 0 {
                id.clone()
            } else {
                "other".into()
            };
            env.raw.cmd(&["SET", &lock, &owner, "EX", "600"]).await;
        }
    }
    assert_eq!(b.delete_all_scheduled_tasks(Q).await.unwrap(), 2);
    assert_eq!(b.delete_all_retry_tasks(Q).await.unwrap(), 1);
    assert_eq!(b.delete_all_archived_tasks(Q).await.unwrap(), 3);
    assert_eq!(b.delete_all_completed_tasks(Q).await.unwrap(), 2);
    assert_eq!(b.delete_all_completed_tasks(Q).await.unwrap(), 0);
    for (idx, n) in [
        ("scheduled", 2),
        ("retry", 1),
        ("archived", 3),
        ("completed", 2),
    ] {
        assert!(!env.raw.exists(&qkey(Q, idx)).await, "{idx}");
        for i in 0..n {
            let id = format!("{idx}{i}");
            assert!(!env.raw.exists(&task_key(Q, &id)).await, "{id}");
            let lock = env.get(&qkey(Q, &format!("unique:t:{id}"))).await;
            if i % 2 == 0 {
                assert_eq!(lock, None, "{id}: own lock released");
            } else {
                assert_eq!(lock.as_deref(), Some("other"), "{id}: foreign lock kept");
            }
        }
    }
}

/// DeleteAllPendingTasks deletes hashes and the list but keeps unique locks (Go parity).
async fn case_delete_all_pending_keeps_locks(env: &Env) {
    let b = &env.broker;
    let mut u = msg(Q, "u1");
    u.unique_key = qkey(Q, "unique:email:send:u1");
    b.enqueue_unique(&u, Duration::from_secs(300))
        .await
        .unwrap();
    b.enqueue(&msg(Q, "p1")).await.unwrap();
    assert_eq!(b.delete_all_pending_tasks(Q).await.unwrap(), 2);
    assert!(!env.raw.exists(&qkey(Q, "pending")).await);
    assert!(!env.raw.exists(&task_key(Q, "u1")).await);
    assert!(!env.raw.exists(&task_key(Q, "p1")).await);
    env.assert_lock(&u.unique_key, "u1", 300).await;
    assert_eq!(b.delete_all_pending_tasks(Q).await.unwrap(), 0);
}

/// DeleteAllAggregatingTasks: hashes, group and its name go; locks stay (Go parity).
async fn case_delete_all_aggregating(env: &Env) {
    let b = &env.broker;
    let mut u = msg(Q, "g1");
    u.group_key = "grp".into();
    b.add_to_group_unique(&u, "grp", Duration::from_secs(300))
        .await
        .unwrap();
    let lock = asynq_broker::keys::unique_key(Q, &u.r#type, Some(&u.payload));
    grouped(env, "g2", "grp").await;
    grouped(env, "o1", "other").await;
    assert_eq!(b.delete_all_aggregating_tasks(Q, "grp").await.unwrap(), 2);
    assert!(!env.raw.exists(&qkey(Q, "g:grp")).await);
    assert!(!env.raw.exists(&task_key(Q, "g1")).await);
    assert!(!env.raw.exists(&task_key(Q, "g2")).await);
    assert_eq!(env.raw.smembers(&qkey(Q, "groups")).await, set(&["other"]));
    env.assert_lock(&lock, "g1", 300).await;
    assert!(env.raw.exists(&task_key(Q, "o1")).await);
    assert_eq!(
        b.delete_all_aggregating_tasks(Q, "nosuch").await.unwrap(),
        0
    );
}

/// Every bulk operation checks the queue exists.
async fn case_bulk_unknown_queue(env: &Env) {
    let b = &env.broker;
    let q = "nosuch";
    assert_queue_not_found(b.run_all_scheduled_tasks(q).await, q);
    assert_queue_not_found(b.run_all_retry_tasks(q).await, q);
    assert_queue_not_found(b.run_all_archived_tasks(q).await, q);
    assert_queue_not_found(b.run_all_aggregating_tasks(q, "g").await, q);
    assert_queue_not_found(b.archive_all_pending_tasks(q).await, q);
    assert_queue_not_found(b.archive_all_scheduled_tasks(q).await, q);
    assert_queue_not_found(b.archive_all_retry_tasks(q).await, q);
    assert_queue_not_found(b.archive_all_aggregating_tasks(q, "g").await, q);
    assert_queue_not_found(b.delete_all_pending_tasks(q).await, q);
    assert_queue_not_found(b.delete_all_scheduled_tasks(q).await, q);
    assert_queue_not_found(b.delete_all_retry_tasks(q).await, q);
    assert_queue_not_found(b.delete_all_archived_tasks(q).await, q);
    assert_queue_not_found(b.delete_all_completed_tasks(q).await, q);
    assert_queue_not_found(b.delete_all_aggregating_tasks(q, "g").await, q);
    assert!(env.raw.keys("*").await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// UpdateTaskPayload (§5.12)

async fn case_update_task_payload(env: &Env) {
    let b = &env.broker;
    let mut m = msg(Q, "s1");
    m.headers.insert("trace".into(), "abc".into());
    m.unique_key = asynq_broker::keys::unique_key(Q, &m.r#type, Some(&m.payload));
    let at = env.now() + Duration::from_secs(60);
    b.schedule_unique(&m, at, Duration::from_secs(600))
        .await
        .unwrap();
    let fields_before = env.fields(Q, "s1").await;
    let score = env.raw.zscore(&qkey(Q, "scheduled"), "s1").await;

    b.update_task_payload(Q, "s1", Bytes::from_static(b"new payload"))
        .await
        .unwrap();
    let got = env.stored_msg(Q, "s1").await;
    let mut want = m.clone();
    want.payload = Bytes::from_static(b"new payload");
    assert_eq!(got, want, "only the payload changes");
    assert_eq!(got.headers.get("trace").map(String::as_str), Some("abc"));
    assert_eq!(env.fields(Q, "s1").await, fields_before);
    assert_eq!(
        env.field(Q, "s1", "unique_key").await.as_deref(),
        Some(m.unique_key.as_str())
    );
    assert_eq!(state(env, "s1").await.as_deref(), Some("scheduled"));
    // The lock key is not recomputed: the old lock still holds the task.
    assert_eq!(env.get(&m.unique_key).await.as_deref(), Some("s1"));
    assert_eq!(env.raw.zscore(&qkey(Q, "scheduled"), "s1").await, score);

    // An empty payload is stored as such.
    b.update_task_payload(Q, "s1", Bytes::new()).await.unwrap();
    assert!(env.stored_msg(Q, "s1").await.payload.is_empty());
}

async fn case_update_task_payload_errors(env: &Env) {
    let b = &env.broker;
    retried(env, "r1").await;
    b.enqueue(&msg(Q, "p1")).await.unwrap();
    let new = || Bytes::from_static(b"x");
    assert_queue_not_found(b.update_task_payload("nosuch", "p1", new()).await, "nosuch");
    assert_task_not_found(b.update_task_payload(Q, "missing", new()).await, "missing");
    for id in ["p1", "r1"] {
        let stored = env.raw.hget(&task_key(Q, id), "msg").await;
        assert_precondition(
            b.update_task_payload(Q, id, new()).await,
            "cannot update task that is not in scheduled state.",
        );
        assert_eq!(env.raw.hget(&task_key(Q, id), "msg").await, stored);
    }
    // A hash without msg cannot be decoded.
    env.raw
        .cmd(&["HSET", &task_key(Q, "nomsg"), "state", "scheduled"])
        .await;
    assert!(matches!(
        b.update_task_payload(Q, "nomsg", new()).await,
        Err(BrokerError::Decode { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// RemoveQueue (§5.13), Pause / Unpause (§5.16)

async fn case_remove_queue(env: &Env) {
    let b = &env.broker;
    assert_queue_not_found(b.remove_queue("nosuch", false).await, "nosuch");
    assert_queue_not_found(b.remove_queue("nosuch", true).await, "nosuch");

    // Any task in pending, scheduled, retry or archived blocks a plain removal.
    scheduled(env, "s1", 0).await;
    match b.remove_queue(Q, false).await {
        Err(BrokerError::QueueNotEmpty(q)) => assert_eq!(q, Q),
        other => panic!("expected QueueNotEmpty, got {other:?}"),
    }
    assert!(sismember(env, "asynq:queues", Q).await);
    b.delete_task(Q, "s1").await.unwrap();

    // Completed tasks, groups, paused and counters do not block it and are left behind.
    completed(env, "c1").await;
    grouped(env, "g1", "grp").await;
    b.pause_queue(Q).await.unwrap();
    b.remove_queue(Q, false).await.unwrap();
    assert!(!sismember(env, "asynq:queues", Q).await);
    assert!(env.raw.exists(&qkey(Q, "completed")).await);
    assert!(env.raw.exists(&task_key(Q, "c1")).await);
    assert!(env.raw.exists(&qkey(Q, "g:grp")).await);
    assert!(sismember(env, &qkey(Q, "groups"), "grp").await);
    assert!(env.raw.exists(&qkey(Q, "paused")).await);
    assert!(env.raw.exists(&qkey(Q, "processed")).await);
    assert_queue_not_found(b.remove_queue(Q, false).await, Q);

    // The same broker registers the queue again on the next enqueue.
    b.enqueue(&msg(Q, "p1")).await.unwrap();
    assert!(sismember(env, "asynq:queues", Q).await);
}

async fn case_remove_queue_force(env: &Env) {
    let b = &env.broker;
    active(env, "x1").await;
    match b.remove_queue(Q, true).await {
        Err(BrokerError::FailedPrecondition(m)) => {
            assert_eq!(m, "cannot remove queue with active tasks")
        }
        other => panic!("expected FailedPrecondition, got {other:?}"),
    }
    // Not forced, an active task makes the queue non-empty.
    assert!(matches!(
        b.remove_queue(Q, false).await,
        Err(BrokerError::QueueNotEmpty(_))
    ));
    let x1 = msg(Q, "x1");
    b.done(&x1).await.unwrap();

    retried(env, "r1").await;
    archived(env, "a1").await;
    completed(env, "c1").await;
    scheduled(env, "s1", 0).await;
    let mut u = msg(Q, "p1");
    u.unique_key = qkey(Q, "unique:email:send:p1");
    b.enqueue_unique(&u, Duration::from_secs(300))
        .await
        .unwrap();
    b.remove_queue(Q, true).await.unwrap();
    assert!(!sismember(env, "asynq:queues", Q).await);
    for id in ["p1", "s1", "r1", "a1"] {
        assert!(!env.raw.exists(&task_key(Q, id)).await, "{id}");
    }
    for idx in [
        "pending",
        "active",
        "scheduled",
        "retry",
        "archived",
        "lease",
    ] {
        assert!(!env.raw.exists(&qkey(Q, idx)).await, "{idx}");
    }
    // Left behind, as in Go.
    assert!(env.raw.exists(&task_key(Q, "c1")).await);
    assert!(env.raw.exists(&qkey(Q, "completed")).await);
    env.assert_lock(&u.unique_key, "p1", 300).await;
}

async fn case_pause_unpause(env: &Env) {
    let b = &env.broker;
    let key = qkey("q1", "paused");
    // No existence check: "q1" is not registered.
    b.pause_queue("q1").await.unwrap();
    assert_eq!(
        env.get(&key).await,
        Some(env.now_secs().to_string()),
        "paused = now in Unix seconds"
    );
    assert_eq!(env.raw.ttl(&key).await, -1);
    env.advance(5);
    assert_precondition(b.pause_queue("q1").await, r#"queue "q1" is already paused"#);
    assert_eq!(
        env.get(&key).await,
        Some((env.now_secs() - 5).to_string()),
        "SETNX kept the first time"
    );
    b.unpause_queue("q1").await.unwrap();
    assert!(!env.raw.exists(&key).await);
    assert_precondition(b.unpause_queue("q1").await, r#"queue "q1" is not paused"#);
    assert!(!sismember(env, "asynq:queues", "q1").await);
}
