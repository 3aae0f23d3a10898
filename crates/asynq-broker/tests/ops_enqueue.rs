//! Producer-side broker operations against real Redis, single node and Cluster: enqueue,
//! enqueue_unique, schedule, schedule_unique, add_to_group, add_to_group_unique and
//! enqueue_batch (spec §4.1 to §4.8).

#[macro_use]
mod common;

use std::time::Duration;

use asynq_broker::{BatchItem, BrokerError};
use bytes::Bytes;
use common::{msg, qkey, set, strings, task_key, Env};

/// `asynq:{default}:unique:report:<md5("p")>` (spec A.2).
const REPORT_P_LOCK: &str = "asynq:{default}:unique:report:83878c91171338902e0fe0fb97a8c47a";

broker_cases!(
    case_enqueue,
    case_enqueue_task_id_conflict,
    case_enqueue_unique,
    case_enqueue_unique_task_id_conflict_keeps_lock,
    case_schedule,
    case_schedule_unique,
    case_add_to_group,
    case_add_to_group_unique,
    case_enqueue_batch,
    case_enqueue_batch_after_script_flush,
    case_enqueue_batch_reports_item_errors,
    case_enqueue_odd_queue_names,
    case_enqueue_rejects_blank_queue,
);

/// §4.2: hash with exactly msg/state/pending_since (ns), LPUSH order, asynq:queues member.
async fn case_enqueue(env: &Env) {
    let b = &env.broker;
    let start = env.now();
    // A clock with a sub-second part, so pending_since must carry the nanoseconds.
    env.clock.set(start + Duration::from_nanos(123_456_789));
    let t1 = msg("default", "t1");
    b.enqueue(&t1).await.unwrap();
    let t1_ns = env.now_ns();
    env.advance(1);
    let t2 = msg("default", "t2");
    b.enqueue(&t2).await.unwrap();
    let t3 = msg("critical", "t3");
    b.enqueue(&t3).await.unwrap();

    assert_eq!(
        env.fields("default", "t1").await,
        set(&["msg", "pending_since", "state"])
    );
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("pending")
    );
    let since = env.field("default", "t1", "pending_since").await.unwrap();
    assert_eq!(since.len(), 19, "pending_since {since} is Unix nanoseconds");
    assert_eq!(since, t1_ns.to_string());
    assert!(since.ends_with("123456789"), "{since}");
    assert_eq!(
        env.field("default", "t2", "pending_since").await.unwrap(),
        (t1_ns + 1_000_000_000).to_string()
    );
    assert_eq!(env.stored_msg("default", "t1").await, t1);
    assert_eq!(env.stored_msg("critical", "t3").await, t3);

    // New tasks go on the left: the right end is the oldest.
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["t2", "t1"])
    );
    assert_eq!(
        env.raw.lrange(&qkey("critical", "pending")).await,
        strings(&["t3"])
    );
    assert_eq!(
        env.raw.smembers("asynq:queues").await,
        set(&["critical", "default"])
    );
    // Only the hash, the pending list and the queue set were written.
    let mut keys = env.raw.keys("asynq:*").await;
    keys.sort();
    assert_eq!(
        keys,
        strings(&[
            "asynq:queues",
            "asynq:{critical}:pending",
            "asynq:{critical}:t:t3",
            "asynq:{default}:pending",
            "asynq:{default}:t:t1",
            "asynq:{default}:t:t2",
        ])
    );
}

/// §4.2: a second task with an existing ID is refused and changes nothing.
async fn case_enqueue_task_id_conflict(env: &Env) {
    let b = &env.broker;
    let first = msg("default", "same");
    b.enqueue(&first).await.unwrap();
    let before = env.hash("default", "same").await;
    env.advance(3);
    let mut second = msg("default", "same");
    second.payload = Bytes::from_static(b"other payload");
    let r = b.enqueue(&second).await;
    assert!(matches!(r, Err(BrokerError::TaskIdConflict)), "{r:?}");
    assert_eq!(env.hash("default", "same").await, before);
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["same"])
    );
    // The same ID in another queue is another task.
    b.enqueue(&msg("low", "same")).await.unwrap();
    assert_eq!(
        env.raw.lrange(&qkey("low", "pending")).await,
        strings(&["same"])
    );
}

/// A "report" task with payload "p" holding the unique lock of spec A.2.
fn unique_report(id: &str) -> asynq_proto::TaskMessage {
    let mut m = msg("default", id);
    m.r#type = "report".into();
    m.payload = Bytes::from_static(b"p");
    m.unique_key = REPORT_P_LOCK.into();
    m
}

/// §4.3: lock GET = id with the TTL; hash has unique_key; a second task → DuplicateTask.
async fn case_enqueue_unique(env: &Env) {
    let b = &env.broker;
    let t1 = unique_report("t1");
    // The TTL is truncated to whole seconds.
    b.enqueue_unique(&t1, Duration::from_millis(3_600_999))
        .await
        .unwrap();
    env.assert_lock(REPORT_P_LOCK, "t1", 3600).await;
    assert_eq!(
        env.fields("default", "t1").await,
        set(&["msg", "pending_since", "state", "unique_key"])
    );
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("pending")
    );
    assert_eq!(
        env.field("default", "t1", "unique_key").await.as_deref(),
        Some(REPORT_P_LOCK)
    );
    assert_eq!(
        env.field("default", "t1", "pending_since").await.unwrap(),
        env.now_ns().to_string()
    );
    assert_eq!(env.stored_msg("default", "t1").await, t1);
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["t1"])
    );
    assert!(env.raw.smembers("asynq:queues").await.contains("default"));

    let t2 = unique_report("t2");
    let r = b.enqueue_unique(&t2, Duration::from_secs(60)).await;
    assert!(matches!(r, Err(BrokerError::DuplicateTask)), "{r:?}");
    assert!(!env.raw.exists(&task_key("default", "t2")).await);
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["t1"])
    );
    env.assert_lock(REPORT_P_LOCK, "t1", 3600).await;

    // A unique enqueue without a lock key is a caller error.
    let r = b
        .enqueue_unique(&msg("default", "t3"), Duration::from_secs(60))
        .await;
    assert!(matches!(r, Err(BrokerError::InvalidArgument(_))), "{r:?}");
    assert!(!env.raw.exists(&task_key("default", "t3")).await);
}

/// §4.3 and quirk Q1: when the ID exists, the lock taken first stays.
async fn case_enqueue_unique_task_id_conflict_keeps_lock(env: &Env) {
    let b = &env.broker;
    b.enqueue(&msg("default", "t1")).await.unwrap();
    let before = env.hash("default", "t1").await;
    let r = b
        .enqueue_unique(&unique_report("t1"), Duration::from_secs(60))
        .await;
    assert!(matches!(r, Err(BrokerError::TaskIdConflict)), "{r:?}");
    env.assert_lock(REPORT_P_LOCK, "t1", 60).await;
    assert_eq!(
        env.hash("default", "t1").await,
        before,
        "existing task untouched"
    );
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["t1"])
    );
    // The stray lock now blocks other tasks with that content.
    let r = b
        .enqueue_unique(&unique_report("t2"), Duration::from_secs(60))
        .await;
    assert!(matches!(r, Err(BrokerError::DuplicateTask)), "{r:?}");
}

/// §4.4: score = process-at seconds (truncated), hash msg/state only, no pending_since.
async fn case_schedule(env: &Env) {
    let b = &env.broker;
    let now = env.now_secs();
    let t1 = msg("default", "t1");
    b.schedule(&t1, env.now() + Duration::from_millis(90_700))
        .await
        .unwrap();
    assert_eq!(env.fields("default", "t1").await, set(&["msg", "state"]));
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("scheduled")
    );
    assert_eq!(env.stored_msg("default", "t1").await, t1);
    assert_eq!(
        env.raw
            .zrange_withscores(&qkey("default", "scheduled"))
            .await,
        vec![("t1".to_string(), (now + 90) as f64)]
    );
    assert!(!env.raw.exists(&qkey("default", "pending")).await);
    assert!(env.raw.smembers("asynq:queues").await.contains("default"));

    // The ID is taken whatever the state: schedule and enqueue both refuse it.
    let r = b.schedule(&t1, env.now() + Duration::from_secs(5)).await;
    assert!(matches!(r, Err(BrokerError::TaskIdConflict)), "{r:?}");
    let r = b.enqueue(&t1).await;
    assert!(matches!(r, Err(BrokerError::TaskIdConflict)), "{r:?}");
    assert_eq!(
        env.raw
            .zrange_withscores(&qkey("default", "scheduled"))
            .await,
        vec![("t1".to_string(), (now + 90) as f64)]
    );
    assert!(!env.raw.exists(&qkey("default", "pending")).await);
}

/// §4.5: lock with the given TTL, hash msg/state/unique_key, score, DuplicateTask, Q1.
async fn case_schedule_unique(env: &Env) {
    let b = &env.broker;
    let now = env.now_secs();
    let t1 = unique_report("t1");
    // The client passes (process_at - now) + unique TTL: 300 s + 1 h.
    b.schedule_unique(
        &t1,
        env.now() + Duration::from_secs(300),
        Duration::from_secs(3900),
    )
    .await
    .unwrap();
    env.assert_lock(REPORT_P_LOCK, "t1", 3900).await;
    assert_eq!(
        env.fields("default", "t1").await,
        set(&["msg", "state", "unique_key"])
    );
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("scheduled")
    );
    assert_eq!(
        env.field("default", "t1", "unique_key").await.as_deref(),
        Some(REPORT_P_LOCK)
    );
    assert_eq!(
        env.raw
            .zrange_withscores(&qkey("default", "scheduled"))
            .await,
        vec![("t1".to_string(), (now + 300) as f64)]
    );
    assert!(env.raw.smembers("asynq:queues").await.contains("default"));

    let r = b
        .schedule_unique(
            &unique_report("t2"),
            env.now() + Duration::from_secs(10),
            Duration::from_secs(20),
        )
        .await;
    assert!(matches!(r, Err(BrokerError::DuplicateTask)), "{r:?}");
    assert!(!env.raw.exists(&task_key("default", "t2")).await);
    assert_eq!(env.zcard(&qkey("default", "scheduled")).await, 1);

    // Q1: the ID check comes after the lock.
    b.enqueue(&msg("default", "plain")).await.unwrap();
    let mut clash = msg("default", "plain");
    clash.unique_key = "asynq:{default}:unique:email:send:other".into();
    let r = b
        .schedule_unique(
            &clash,
            env.now() + Duration::from_secs(10),
            Duration::from_secs(70),
        )
        .await;
    assert!(matches!(r, Err(BrokerError::TaskIdConflict)), "{r:?}");
    env.assert_lock("asynq:{default}:unique:email:send:other", "plain", 70)
        .await;
    assert_eq!(
        env.field("default", "plain", "state").await.as_deref(),
        Some("pending")
    );
    assert_eq!(env.zcard(&qkey("default", "scheduled")).await, 1);
}

/// §4.6: group zset score now (seconds), groups set, hash group field, no unique_key.
async fn case_add_to_group(env: &Env) {
    let b = &env.broker;
    let t0 = env.now_secs();
    b.add_to_group(&msg("default", "t1"), "g1").await.unwrap();
    env.advance(5);
    b.add_to_group(&msg("default", "t2"), "g1").await.unwrap();
    b.add_to_group(&msg("default", "t3"), "g:2").await.unwrap();

    assert_eq!(
        env.raw.zrange_withscores(&qkey("default", "g:g1")).await,
        vec![
            ("t1".to_string(), t0 as f64),
            ("t2".to_string(), (t0 + 5) as f64)
        ]
    );
    assert_eq!(
        env.raw.zrange_withscores(&qkey("default", "g:g:2")).await,
        vec![("t3".to_string(), (t0 + 5) as f64)]
    );
    assert_eq!(
        env.raw.smembers(&qkey("default", "groups")).await,
        set(&["g1", "g:2"])
    );
    assert_eq!(
        env.fields("default", "t1").await,
        set(&["group", "msg", "state"])
    );
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("aggregating")
    );
    assert_eq!(
        env.field("default", "t1", "group").await.as_deref(),
        Some("g1")
    );
    assert_eq!(
        env.field("default", "t3", "group").await.as_deref(),
        Some("g:2")
    );
    assert_eq!(env.stored_msg("default", "t2").await, msg("default", "t2"));
    assert!(!env.raw.exists(&qkey("default", "pending")).await);
    assert!(env.raw.smembers("asynq:queues").await.contains("default"));

    env.advance(5);
    let r = b.add_to_group(&msg("default", "t1"), "g1").await;
    assert!(matches!(r, Err(BrokerError::TaskIdConflict)), "{r:?}");
    assert_eq!(
        env.raw.zscore(&qkey("default", "g:g1"), "t1").await,
        Some(t0 as f64)
    );
}

/// §4.7 and quirks Q1, Q2: lock recomputed from queue/type/payload, NO unique_key field.
async fn case_add_to_group_unique(env: &Env) {
    let b = &env.broker;
    let now = env.now_secs();
    let mut t1 = unique_report("t1");
    t1.unique_key = String::new(); // recomputed by the broker
    b.add_to_group_unique(&t1, "g1", Duration::from_millis(120_900))
        .await
        .unwrap();
    env.assert_lock(REPORT_P_LOCK, "t1", 120).await;
    assert_eq!(
        env.fields("default", "t1").await,
        set(&["group", "msg", "state"]),
        "no unique_key field (Q2)"
    );
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("aggregating")
    );
    assert_eq!(
        env.field("default", "t1", "group").await.as_deref(),
        Some("g1")
    );
    assert_eq!(
        env.raw.zrange_withscores(&qkey("default", "g:g1")).await,
        vec![("t1".to_string(), now as f64)]
    );
    assert_eq!(
        env.raw.smembers(&qkey("default", "groups")).await,
        set(&["g1"])
    );
    assert!(env.raw.smembers("asynq:queues").await.contains("default"));

    // Same content, other ID, lock key given in the message: DuplicateTask.
    let r = b
        .add_to_group_unique(&unique_report("t2"), "g1", Duration::from_secs(60))
        .await;
    assert!(matches!(r, Err(BrokerError::DuplicateTask)), "{r:?}");
    assert!(!env.raw.exists(&task_key("default", "t2")).await);
    assert_eq!(env.zcard(&qkey("default", "g:g1")).await, 1);

    // Q1: an existing ID fails after the lock was taken; the lock stays.
    b.enqueue(&msg("default", "exists")).await.unwrap();
    let mut clash = unique_report("exists");
    clash.payload = Bytes::from_static(b"1");
    clash.unique_key = String::new();
    let r = b
        .add_to_group_unique(&clash, "g1", Duration::from_secs(30))
        .await;
    assert!(matches!(r, Err(BrokerError::TaskIdConflict)), "{r:?}");
    env.assert_lock(
        "asynq:{default}:unique:report:c4ca4238a0b923820dcc509a6f75849b",
        "exists",
        30,
    )
    .await;
    assert_eq!(
        env.field("default", "exists", "state").await.as_deref(),
        Some("pending")
    );
    assert_eq!(env.zcard(&qkey("default", "g:g1")).await, 1);
}

/// §4.8: immediate items share one pending_since, future items are scheduled, an existing ID is
/// reported as TaskIdConflict while the others are inserted, results in input order.
async fn case_enqueue_batch(env: &Env) {
    let b = &env.broker;
    assert!(b.enqueue_batch(&[]).await.unwrap().is_empty());

    let x = msg("default", "x");
    b.enqueue(&x).await.unwrap();
    let start = env.now();
    env.clock.set(start + Duration::from_nanos(987_654_321));
    let now = env.now();
    let now_s = env.now_secs();
    let item = |m, at| BatchItem {
        msg: m,
        process_at: at,
    };
    let mut x_again = msg("default", "x");
    x_again.payload = Bytes::from_static(b"ignored");
    let items = vec![
        item(msg("default", "a"), None),
        item(msg("mail", "b"), None),
        item(msg("default", "c"), Some(now + Duration::from_secs(60))),
        item(msg("default", "d"), Some(now)), // not after now: immediate
        item(x_again, None),
        item(msg("low", "e"), Some(now + Duration::from_millis(30_500))),
    ];
    let results = b.enqueue_batch(&items).await.unwrap();
    assert_eq!(results.len(), 6);
    for (i, r) in results.iter().enumerate() {
        if i == 4 {
            assert!(
                matches!(r, Err(BrokerError::TaskIdConflict)),
                "item {i}: {r:?}"
            );
        } else {
            assert!(r.is_ok(), "item {i}: {r:?}");
        }
    }

    let ns = env.now_ns().to_string();
    assert!(ns.ends_with("987654321"));
    for (q, id) in [("default", "a"), ("mail", "b"), ("default", "d")] {
        assert_eq!(
            env.fields(q, id).await,
            set(&["msg", "pending_since", "state"]),
            "{q}/{id}"
        );
        assert_eq!(env.field(q, id, "state").await.as_deref(), Some("pending"));
        assert_eq!(
            env.field(q, id, "pending_since").await.as_deref(),
            Some(ns.as_str())
        );
    }
    assert_eq!(env.stored_msg("default", "a").await, msg("default", "a"));
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["d", "a", "x"])
    );
    assert_eq!(
        env.raw.lrange(&qkey("mail", "pending")).await,
        strings(&["b"])
    );
    for (q, id) in [("default", "c"), ("low", "e")] {
        assert_eq!(env.fields(q, id).await, set(&["msg", "state"]), "{q}/{id}");
        assert_eq!(
            env.field(q, id, "state").await.as_deref(),
            Some("scheduled")
        );
    }
    assert_eq!(
        env.raw
            .zrange_withscores(&qkey("default", "scheduled"))
            .await,
        vec![("c".to_string(), (now_s + 60) as f64)]
    );
    assert_eq!(
        env.raw.zrange_withscores(&qkey("low", "scheduled")).await,
        // 30.5 s after <now_s>.987654321, truncated to whole seconds.
        vec![("e".to_string(), (now_s + 31) as f64)]
    );
    // The existing task was left alone.
    assert_eq!(env.stored_msg("default", "x").await, x);
    assert!(env.field("default", "x", "pending_since").await.unwrap() != ns);
    let queues = env.raw.smembers("asynq:queues").await;
    assert!(
        ["default", "low", "mail"]
            .iter()
            .all(|q| queues.contains(*q)),
        "{queues:?}"
    );
}

/// §4.8: after `SCRIPT FLUSH` the scripts are loaded again (NOSCRIPT is handled), for the batch
/// and for single-task operations.
async fn case_enqueue_batch_after_script_flush(env: &Env) {
    let b = &env.broker;
    let r = b
        .enqueue_batch(&[BatchItem {
            msg: msg("default", "warm"),
            process_at: None,
        }])
        .await
        .unwrap();
    assert!(r[0].is_ok());
    env.script_flush().await;
    let items = vec![
        BatchItem {
            msg: msg("default", "p1"),
            process_at: None,
        },
        BatchItem {
            msg: msg("mail", "p2"),
            process_at: None,
        },
        BatchItem {
            msg: msg("low", "s1"),
            process_at: Some(env.now() + Duration::from_secs(9)),
        },
    ];
    let results = b.enqueue_batch(&items).await.unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["p1", "warm"])
    );
    assert_eq!(
        env.raw.lrange(&qkey("mail", "pending")).await,
        strings(&["p2"])
    );
    assert_eq!(
        env.raw.zrange_withscores(&qkey("low", "scheduled")).await,
        vec![("s1".to_string(), (env.now_secs() + 9) as f64)]
    );

    env.script_flush().await;
    b.enqueue(&msg("low", "single")).await.unwrap();
    assert_eq!(
        env.raw.lrange(&qkey("low", "pending")).await,
        strings(&["single"])
    );
}

/// §4.8 and quirk Q22: an item whose script fails gets its own error; the other items are
/// inserted and reported as such.
async fn case_enqueue_batch_reports_item_errors(env: &Env) {
    let b = &env.broker;
    env.raw
        .cmd(&["SET", &qkey("low", "pending"), "not a list"])
        .await;
    let items = vec![
        BatchItem {
            msg: msg("default", "a"),
            process_at: None,
        },
        BatchItem {
            msg: msg("low", "broken"),
            process_at: None,
        },
        BatchItem {
            msg: msg("mail", "c"),
            process_at: None,
        },
    ];
    let results = b.enqueue_batch(&items).await.unwrap();
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(
        matches!(&results[1], Err(BrokerError::Redis(m)) if m.contains("WRONGTYPE")),
        "{:?}",
        results[1]
    );
    assert!(results[2].is_ok(), "{:?}", results[2]);
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["a"])
    );
    assert_eq!(
        env.raw.lrange(&qkey("mail", "pending")).await,
        strings(&["c"])
    );
}

/// §0.5: queue names are inserted verbatim (case-sensitive, `:`, braces, non-ASCII) and every
/// key of one queue stays in one slot.
async fn case_enqueue_odd_queue_names(env: &Env) {
    let b = &env.broker;
    for q in ["ünï:q", "a{b}c", "Default"] {
        let t = msg(q, "t1");
        b.enqueue(&t).await.unwrap();
        b.schedule(&msg(q, "t2"), env.now() + Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(
            env.raw.lrange(&format!("asynq:{{{q}}}:pending")).await,
            strings(&["t1"])
        );
        assert_eq!(env.zcard(&format!("asynq:{{{q}}}:scheduled")).await, 1);
        env.assert_no_counters(q).await;
        let d = b.dequeue(&[q.to_string()]).await.unwrap();
        assert_eq!(d.msg, t);
        b.done(&d.msg).await.unwrap();
        assert_eq!(
            env.get(&format!("asynq:{{{q}}}:processed"))
                .await
                .as_deref(),
            Some("1")
        );
        assert!(!env.raw.exists(&format!("asynq:{{{q}}}:t:t1")).await);
    }
    assert_eq!(
        env.raw.smembers("asynq:queues").await,
        set(&["Default", "a{b}c", "ünï:q"])
    );
    assert!(!env.raw.exists(&qkey("default", "pending")).await);
}

/// Go `ValidateQueueName`: a blank queue name is refused before anything is written.
async fn case_enqueue_rejects_blank_queue(env: &Env) {
    let b = &env.broker;
    for q in ["", "  "] {
        let m = msg(q, "t1");
        let r = b.enqueue(&m).await;
        assert!(
            matches!(r, Err(BrokerError::InvalidArgument(_))),
            "{q:?}: {r:?}"
        );
        let r = b.schedule(&m, env.now() + Duration::from_secs(1)).await;
        assert!(
            matches!(r, Err(BrokerError::InvalidArgument(_))),
            "{q:?}: {r:?}"
        );
        let r = b.add_to_group(&m, "g").await;
        assert!(
            matches!(r, Err(BrokerError::InvalidArgument(_))),
            "{q:?}: {r:?}"
        );
        let r = b
            .enqueue_batch(&[BatchItem {
                msg: m,
                process_at: None,
            }])
            .await;
        assert!(
            matches!(r, Err(BrokerError::InvalidArgument(_))),
            "{q:?}: {r:?}"
        );
    }
    assert!(env.raw.keys("*").await.is_empty());
}

/// §4.8, single node only (a proxy cannot stand in front of a cluster): the script cache is
/// flushed after the batch loaded its scripts but before its pipeline runs, so every EVALSHA of
/// the pipeline meets NOSCRIPT; the batch reloads the scripts and runs those items again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_batch_reloads_scripts_flushed_before_its_pipeline() {
    let env = Env::single().await;
    let proxy = common::Proxy::start(
        common::single_addr(&env.opt),
        common::ProxyBehaviour {
            delay: Duration::ZERO,
            flush_before: Some(b"EVALSHA"),
        },
    )
    .await;
    let opt = asynq_broker::RedisConnOpt::parse_uri(&format!("redis://{}", proxy.addr())).unwrap();
    let b = asynq_broker::Broker::connect(opt).await.unwrap();
    let now = common::whole_second_now();
    let items = vec![
        BatchItem {
            msg: msg("default", "p1"),
            process_at: None,
        },
        BatchItem {
            msg: msg("default", "p2"),
            process_at: None,
        },
        BatchItem {
            msg: msg("low", "s1"),
            process_at: Some(now + Duration::from_secs(60)),
        },
    ];
    let results = b.enqueue_batch(&items).await.unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let errorstats = env.raw.cmd(&["INFO", "errorstats"]).await;
    let errorstats = errorstats
        .as_str()
        .map(|s| s.to_string())
        .unwrap_or_default();
    assert!(
        errorstats.contains("errorstat_NOSCRIPT:count="),
        "the pipeline met NOSCRIPT: {errorstats}"
    );
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["p2", "p1"])
    );
    assert_eq!(
        env.fields("default", "p1").await,
        set(&["msg", "pending_since", "state"])
    );
    assert_eq!(env.zcard(&qkey("low", "scheduled")).await, 1);
    assert_eq!(
        env.field("low", "s1", "state").await.as_deref(),
        Some("scheduled")
    );
    let _ = b.close().await;
}
