//! Worker-side broker operations against real Redis, single node and Cluster: dequeue, done,
//! mark_as_complete, requeue, retry and archive (spec §4.9 to §4.14, §6.26).

#[macro_use]
mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use asynq_broker::BrokerError;
use asynq_proto::TaskMessage;
use common::{
    assert_not_found, msg, qkey, queues, set, strings, task_key, Env, MAX_INT64, NINETY_DAYS,
};
use fred::types::Value;
use time::UtcOffset;

/// Lua that writes `ARGV[1]` archived tasks in one call: IDs `ARGV[4]` + 5-digit index, scores
/// `ARGV[2]` + `ARGV[3]` * index, each with a task hash (`msg` = `ARGV[6]`, state archived).
/// KEYS[1] = archived zset; ARGV[5] = task key prefix (same slot).
const BULK_ARCHIVED: &str = r#"
local n, base, step = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 0, n - 1 do
    local id = ARGV[4] .. string.format("%05d", i)
    redis.call("ZADD", KEYS[1], base + step * i, id)
    redis.call("HSET", ARGV[5] .. id, "msg", ARGV[6], "state", "archived")
end
return n
"#;

broker_cases!(
    case_dequeue,
    case_dequeue_many,
    case_dequeue_queue_order,
    case_dequeue_skips_paused_queue,
    case_dequeue_all_empty,
    case_dequeue_drops_dangling_pending_id,
    case_dequeue_undecodable_msg,
    case_dequeue_mismatched_msg,
    case_dequeue_skips_failing_queue,
    case_dequeue_drops_id_whose_task_key_is_not_a_hash,
    case_dequeue_concurrent_consumers,
    case_done,
    case_done_unique_releases_own_lock,
    case_done_unique_keeps_foreign_lock,
    case_done_not_active,
    case_done_counter_wraps,
    case_counters_use_the_utc_date,
    case_mark_as_complete,
    case_mark_as_complete_unique,
    case_mark_as_complete_not_active,
    case_mark_as_complete_counter_wraps,
    case_requeue,
    case_retry_failure,
    case_retry_not_failure,
    case_retry_keeps_unique_lock_and_result,
    case_retry_counters_wrap,
    case_retry_not_active,
    case_archive,
    case_archive_counters_wrap,
    case_archive_not_active,
    case_archive_age_trim,
    case_archive_size_trim,
    case_archive_trims_more_than_8000_expired,
);

/// Several tasks in one call: each gets the single dequeue's effects, oldest first; a short
/// queue gives what it has; the next queue is only tried when the first has none.
async fn case_dequeue_many(env: &Env) {
    let b = &env.broker;
    for id in ["t1", "t2", "t3", "t4", "t5"] {
        b.enqueue(&msg("default", id)).await.unwrap();
    }
    b.enqueue(&msg("low", "l1")).await.unwrap();
    let now = env.now_secs();
    let qs = queues(&["default", "low"]);
    let ids = |batch: asynq_broker::DequeueBatch| -> Vec<String> {
        assert!(
            batch.poison.is_empty() && batch.failed.is_empty(),
            "{batch:?}"
        );
        batch.tasks.into_iter().map(|d| d.msg.id).collect()
    };
    assert_eq!(
        ids(b.dequeue_many(&qs, 3).await.unwrap()),
        ["t1", "t2", "t3"]
    );
    for id in ["t1", "t2", "t3"] {
        assert_eq!(env.fields("default", id).await, set(&["msg", "state"]));
        assert_eq!(
            env.field("default", id, "state").await.as_deref(),
            Some("active")
        );
        assert_eq!(
            env.raw.zscore(&qkey("default", "lease"), id).await,
            Some((now + 30) as f64)
        );
    }
    assert_eq!(
        env.raw.lrange(&qkey("default", "active")).await,
        strings(&["t3", "t2", "t1"])
    );
    // Only two left in `default`: the batch is short and `low` is not touched.
    assert_eq!(ids(b.dequeue_many(&qs, 3).await.unwrap()), ["t4", "t5"]);
    assert_eq!(
        env.raw.lrange(&qkey("low", "pending")).await,
        strings(&["l1"])
    );
    assert_eq!(ids(b.dequeue_many(&qs, 3).await.unwrap()), ["l1"]);
    let empty = b.dequeue_many(&qs, 3).await.unwrap();
    assert!(empty.is_empty() && empty.failed.is_empty(), "{empty:?}");
    // A paused queue gives nothing.
    b.enqueue(&msg("default", "t6")).await.unwrap();
    env.raw.cmd(&["SET", &qkey("default", "paused"), "1"]).await;
    let empty = b.dequeue_many(&qs, 3).await.unwrap();
    assert!(empty.is_empty() && empty.failed.is_empty(), "{empty:?}");
}

/// §4.9: oldest first (right end), state active, pending_since removed, active list, lease score
/// now + 30 s.
async fn case_dequeue(env: &Env) {
    let b = &env.broker;
    for id in ["t1", "t2", "t3"] {
        b.enqueue(&msg("default", id)).await.unwrap();
        env.advance(1);
    }
    // A fractional "now": the lease score is whole seconds.
    env.clock.set(env.now() + Duration::from_millis(10_600));
    let now = env.now_secs();
    let d = b.dequeue(&queues(&["default"])).await.unwrap();
    assert_eq!(d.msg, msg("default", "t1"));
    assert_eq!(d.lease_expiry.unix_timestamp(), now + 30);
    assert_eq!(d.lease_expiry.nanosecond(), 0);
    assert_eq!(env.fields("default", "t1").await, set(&["msg", "state"]));
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("active")
    );
    assert_eq!(
        env.raw.lrange(&qkey("default", "active")).await,
        strings(&["t1"])
    );
    assert_eq!(
        env.raw.zrange_withscores(&qkey("default", "lease")).await,
        vec![("t1".to_string(), (now + 30) as f64)]
    );
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["t3", "t2"])
    );

    env.advance(2);
    let d = b.dequeue(&queues(&["default"])).await.unwrap();
    assert_eq!(d.msg.id, "t2");
    // The active list gets new IDs on the left.
    assert_eq!(
        env.raw.lrange(&qkey("default", "active")).await,
        strings(&["t2", "t1"])
    );
    assert_eq!(
        env.raw.zscore(&qkey("default", "lease"), "t2").await,
        Some((now + 32) as f64)
    );
    assert_eq!(
        env.raw.zscore(&qkey("default", "lease"), "t1").await,
        Some((now + 30) as f64)
    );
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["t3"])
    );
}

/// §4.9: the queues are tried in the given order. (On the cluster the four queues live on all
/// three masters: slots of "mail" < 5461 ≤ "critical", "default" < 10923 ≤ "low".)
async fn case_dequeue_queue_order(env: &Env) {
    let b = &env.broker;
    let order = queues(&["critical", "mail", "default", "low"]);
    b.enqueue(&msg("low", "l1")).await.unwrap();
    b.enqueue(&msg("default", "d1")).await.unwrap();
    b.enqueue(&msg("mail", "m1")).await.unwrap();
    assert_eq!(b.dequeue(&order).await.unwrap().msg.id, "m1");
    assert_eq!(b.dequeue(&order).await.unwrap().msg.id, "d1");
    assert_eq!(b.dequeue(&order).await.unwrap().msg.id, "l1");
    let r = b.dequeue(&order).await;
    assert!(matches!(r, Err(BrokerError::NoProcessableTask)), "{r:?}");

    b.enqueue(&msg("default", "d2")).await.unwrap();
    b.enqueue(&msg("low", "l2")).await.unwrap();
    b.enqueue(&msg("critical", "c1")).await.unwrap();
    assert_eq!(b.dequeue(&order).await.unwrap().msg.id, "c1");
    assert_eq!(
        b.dequeue(&queues(&["low", "default"]))
            .await
            .unwrap()
            .msg
            .id,
        "l2"
    );
    assert_eq!(
        b.dequeue(&queues(&["low", "default"]))
            .await
            .unwrap()
            .msg
            .id,
        "d2"
    );
    assert_eq!(
        env.raw.lrange(&qkey("critical", "active")).await,
        strings(&["c1"])
    );
    assert_eq!(
        env.raw.lrange(&qkey("mail", "active")).await,
        strings(&["m1"])
    );
    assert_eq!(
        env.raw.lrange(&qkey("default", "active")).await,
        strings(&["d2", "d1"])
    );
    assert_eq!(
        env.raw.lrange(&qkey("low", "active")).await,
        strings(&["l2", "l1"])
    );
    assert_eq!(env.zcard(&qkey("low", "lease")).await, 2);
}

/// §4.9: a paused queue is skipped and its tasks stay pending.
async fn case_dequeue_skips_paused_queue(env: &Env) {
    let b = &env.broker;
    let now = env.now_secs().to_string();
    env.raw
        .cmd(&["SET", &qkey("default", "paused"), &now])
        .await;
    b.enqueue(&msg("default", "d1")).await.unwrap();
    b.enqueue(&msg("low", "l1")).await.unwrap();
    assert_eq!(
        b.dequeue(&queues(&["default", "low"]))
            .await
            .unwrap()
            .msg
            .id,
        "l1"
    );
    let r = b.dequeue(&queues(&["default", "low"])).await;
    assert!(matches!(r, Err(BrokerError::NoProcessableTask)), "{r:?}");
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["d1"])
    );
    assert!(!env.raw.exists(&qkey("default", "active")).await);
    assert!(!env.raw.exists(&qkey("default", "lease")).await);
    assert_eq!(
        env.field("default", "d1", "state").await.as_deref(),
        Some("pending")
    );

    env.raw.cmd(&["DEL", &qkey("default", "paused")]).await;
    assert_eq!(
        b.dequeue(&queues(&["default", "low"]))
            .await
            .unwrap()
            .msg
            .id,
        "d1"
    );
}

/// §4.9: every queue empty (or no queue at all) → NoProcessableTask, nothing written.
async fn case_dequeue_all_empty(env: &Env) {
    let b = &env.broker;
    for qs in [queues(&["default", "critical", "low"]), queues(&[])] {
        let r = b.dequeue(&qs).await;
        assert!(
            matches!(r, Err(BrokerError::NoProcessableTask)),
            "{qs:?}: {r:?}"
        );
    }
    assert!(env.raw.keys("*").await.is_empty());
}

/// Quirk Q23: a pending ID without a hash is dropped; nothing dangles in active or lease and no
/// hash is made up.
async fn case_dequeue_drops_dangling_pending_id(env: &Env) {
    let b = &env.broker;
    b.enqueue(&msg("default", "t1")).await.unwrap();
    // The ghost sits at the right end, so it is popped first.
    env.raw
        .cmd(&["RPUSH", &qkey("default", "pending"), "ghost"])
        .await;
    let d = b.dequeue(&queues(&["default"])).await.unwrap();
    assert_eq!(d.msg.id, "t1");
    assert_eq!(
        env.raw.lrange(&qkey("default", "active")).await,
        strings(&["t1"])
    );
    assert_eq!(
        env.raw.zrange_withscores(&qkey("default", "lease")).await,
        vec![("t1".to_string(), (env.now_secs() + 30) as f64)]
    );
    assert!(!env.raw.exists(&task_key("default", "ghost")).await);
    assert!(!env.raw.exists(&qkey("default", "pending")).await);

    // A queue holding only ghosts is empty; the next queue is served.
    env.raw
        .cmd(&["LPUSH", &qkey("critical", "pending"), "g1", "g2"])
        .await;
    b.enqueue(&msg("low", "l1")).await.unwrap();
    let d = b.dequeue(&queues(&["critical", "low"])).await.unwrap();
    assert_eq!(d.msg.id, "l1");
    let r = b.dequeue(&queues(&["critical"])).await;
    assert!(matches!(r, Err(BrokerError::NoProcessableTask)), "{r:?}");
    for key in ["pending", "active", "lease", "t:g1", "t:g2"] {
        assert!(!env.raw.exists(&qkey("critical", key)).await, "{key}");
    }
}

/// §4.9: an undecodable message is reported as poison (BrokerError::Decode from `dequeue`)
/// while it sits in active under a lease; `archive_poison` then archives it with a message that
/// decodes, naming what was wrong, its bytes kept as the payload.
async fn case_dequeue_undecodable_msg(env: &Env) {
    let b = &env.broker;
    // Field 1 (type) with bytes that are not UTF-8.
    let garbage = [0x0a, 0x02, 0xff, 0xfe];
    for id in ["bad", "bad2"] {
        let key = task_key("default", id);
        env.hset_bytes(&key, "msg", &garbage).await;
        env.raw
            .cmd(&["HSET", &key, "state", "pending", "pending_since", "1"])
            .await;
        env.raw
            .cmd(&["LPUSH", &qkey("default", "pending"), id])
            .await;
    }
    b.enqueue(&msg("default", "good")).await.unwrap();
    let r = b.dequeue(&queues(&["default"])).await;
    assert!(matches!(r, Err(BrokerError::Decode { .. })), "{r:?}");
    assert_eq!(
        env.raw.lrange(&qkey("default", "active")).await,
        strings(&["bad"])
    );
    assert_eq!(
        env.raw.zrange_withscores(&qkey("default", "lease")).await,
        vec![("bad".to_string(), (env.now_secs() + 30) as f64)]
    );
    assert_eq!(env.fields("default", "bad").await, set(&["msg", "state"]));
    assert_eq!(
        env.field("default", "bad", "state").await.as_deref(),
        Some("active")
    );
    // A batch reports the poison apart from the good task behind it.
    let batch = b.dequeue_many(&queues(&["default"]), 5).await.unwrap();
    assert_eq!(batch.tasks.len(), 1, "{batch:?}");
    assert_eq!(batch.tasks[0].msg.id, "good");
    assert_eq!(batch.poison.len(), 1, "{batch:?}");
    let p2 = &batch.poison[0];
    assert_eq!((p2.queue.as_str(), p2.id.as_str()), ("default", "bad2"));
    assert_eq!(&p2.raw[..], &garbage[..]);
    assert!(p2.decoded.is_none());
    assert!(
        p2.reason.starts_with("asynq: cannot decode task message: "),
        "{}",
        p2.reason
    );

    b.archive_poison(p2).await.unwrap();
    let now = env.now_secs();
    assert_eq!(
        env.field("default", "bad2", "state").await.as_deref(),
        Some("archived")
    );
    assert_eq!(
        env.raw
            .zrange_withscores(&qkey("default", "archived"))
            .await,
        vec![("bad2".to_string(), now as f64)]
    );
    let stored = env.stored_msg("default", "bad2").await;
    assert_eq!(stored.id, "bad2");
    assert_eq!(stored.queue, "default");
    assert_eq!(stored.r#type, "");
    assert_eq!(&stored.payload[..], &garbage[..]);
    assert_eq!(stored.error_msg, p2.reason);
    assert_eq!(stored.last_failed_at, now);
    assert!(!env
        .raw
        .lrange(&qkey("default", "active"))
        .await
        .contains(&"bad2".to_string()));
    assert_eq!(
        env.raw.zscore(&qkey("default", "lease"), "bad2").await,
        None
    );
    let (_, _, pt, ft) = env.counter_keys("default");
    assert_eq!(env.get(&pt).await.as_deref(), Some("1"));
    assert_eq!(env.get(&ft).await.as_deref(), Some("1"));
    // Archived once; a second archive of the same poison finds it no longer active.
    assert!(matches!(
        b.archive_poison(p2).await,
        Err(BrokerError::NotFound(_))
    ));
}

/// A message that decodes but names another queue or another ID than where it was found is
/// poison too (processing it would fail on every write); archived, it takes the queue and ID
/// where it was found and keeps everything else.
async fn case_dequeue_mismatched_msg(env: &Env) {
    let b = &env.broker;
    let mut other_queue = msg("elsewhere", "q1");
    other_queue.r#type = "email:send".into();
    other_queue.payload = bytes::Bytes::from_static(b"{}");
    let mut other_id = msg("default", "someone-else");
    other_id.retry = 7;
    for (id, m) in [("q1", &other_queue), ("i1", &other_id)] {
        let key = task_key("default", id);
        env.hset_bytes(&key, "msg", &asynq_proto::encode(m)).await;
        env.raw.cmd(&["HSET", &key, "state", "pending"]).await;
        env.raw
            .cmd(&["LPUSH", &qkey("default", "pending"), id])
            .await;
    }
    let batch = b.dequeue_many(&queues(&["default"]), 5).await.unwrap();
    assert!(batch.tasks.is_empty(), "{batch:?}");
    let reasons: Vec<(String, String)> = batch
        .poison
        .iter()
        .map(|p| (p.id.clone(), p.reason.clone()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (
                "q1".to_string(),
                "asynq: task message names queue \"elsewhere\" but was found in queue \"default\""
                    .to_string()
            ),
            (
                "i1".to_string(),
                "asynq: task message has ID \"someone-else\" but was found under ID \"i1\""
                    .to_string()
            ),
        ]
    );
    for p in &batch.poison {
        b.archive_poison(p).await.unwrap();
    }
    let q1 = env.stored_msg("default", "q1").await;
    assert_eq!((q1.queue.as_str(), q1.id.as_str()), ("default", "q1"));
    assert_eq!(q1.r#type, "email:send");
    assert_eq!(&q1.payload[..], b"{}");
    let i1 = env.stored_msg("default", "i1").await;
    assert_eq!((i1.queue.as_str(), i1.id.as_str()), ("default", "i1"));
    assert_eq!(i1.retry, 7);
    assert!(i1.error_msg.contains("someone-else"));
    assert!(env.raw.lrange(&qkey("default", "active")).await.is_empty());
    assert!(env
        .raw
        .zrange_withscores(&qkey("default", "lease"))
        .await
        .is_empty());
}

/// A queue whose keys answer with an error (a pending key of the wrong type) is skipped and
/// reported; the queues after it are still served. Connection errors are not skipped.
async fn case_dequeue_skips_failing_queue(env: &Env) {
    let b = &env.broker;
    env.raw
        .cmd(&["SET", &qkey("default", "pending"), "x"])
        .await;
    b.enqueue(&msg("low", "l1")).await.unwrap();
    let batch = b
        .dequeue_many(&queues(&["default", "low"]), 4)
        .await
        .unwrap();
    assert_eq!(batch.tasks.len(), 1, "{batch:?}");
    assert_eq!(batch.tasks[0].msg.id, "l1");
    assert_eq!(batch.failed.len(), 1, "{batch:?}");
    assert_eq!(batch.failed[0].0, "default");
    assert!(
        batch.failed[0].1.to_string().contains("WRONGTYPE"),
        "{}",
        batch.failed[0].1
    );
    // Only the broken queue: nothing taken, the failure reported; `dequeue` returns it.
    let batch = b.dequeue_many(&queues(&["default"]), 4).await.unwrap();
    assert!(batch.is_empty());
    assert_eq!(batch.failed.len(), 1);
    let r = b.dequeue(&queues(&["default", "low"])).await;
    assert!(matches!(r, Err(BrokerError::Redis(_))), "{r:?}");
}

/// An ID whose task key is not a hash (bad data) is dropped like one without a hash: it is
/// neither left in active without a lease nor fails the queue; the key is left alone.
async fn case_dequeue_drops_id_whose_task_key_is_not_a_hash(env: &Env) {
    let b = &env.broker;
    let key = task_key("default", "str");
    env.raw.cmd(&["SET", &key, "not a hash"]).await;
    env.raw
        .cmd(&["LPUSH", &qkey("default", "pending"), "str"])
        .await;
    b.enqueue(&msg("default", "ok")).await.unwrap();
    let batch = b.dequeue_many(&queues(&["default"]), 4).await.unwrap();
    assert!(batch.failed.is_empty(), "{batch:?}");
    let ids: Vec<&str> = batch.tasks.iter().map(|d| d.msg.id.as_str()).collect();
    assert_eq!(ids, ["ok"]);
    assert_eq!(env.raw.lrange(&qkey("default", "active")).await, ["ok"]);
    assert_eq!(env.llen(&qkey("default", "pending")).await, 0);
    assert_eq!(env.get(&key).await.as_deref(), Some("not a hash"));
}

/// §4.10: hash deleted, active and lease emptied, processed daily (EXPIREAT now + 90 days, set
/// on the first increment only) and total counters.
async fn case_done(env: &Env) {
    let b = &env.broker;
    let first_now = env.now_secs();
    let t1 = msg("default", "t1");
    env.make_active(&t1).await;
    b.done(&t1).await.unwrap();
    assert!(!env.raw.exists(&task_key("default", "t1")).await);
    assert_eq!(env.llen(&qkey("default", "active")).await, 0);
    assert_eq!(env.zcard(&qkey("default", "lease")).await, 0);
    let (pd, fd, pt, ft) = env.counter_keys("default");
    env.assert_daily_counter(&pd, "1", first_now + NINETY_DAYS)
        .await;
    assert_eq!(env.get(&pt).await.as_deref(), Some("1"));
    assert_eq!(env.raw.ttl(&pt).await, -1, "the total never expires");
    assert!(!env.raw.exists(&fd).await);
    assert!(!env.raw.exists(&ft).await);

    env.advance(7);
    let t2 = msg("default", "t2");
    env.make_active(&t2).await;
    b.done(&t2).await.unwrap();
    env.assert_daily_counter(&pd, "2", first_now + NINETY_DAYS)
        .await;
    assert_eq!(env.get(&pt).await.as_deref(), Some("2"));
    assert!(env.raw.keys(&qkey("default", "t:*")).await.is_empty());
}

/// §4.10 unique variant: the lock is deleted when this task owns it.
async fn case_done_unique_releases_own_lock(env: &Env) {
    let b = &env.broker;
    let lock = "asynq:{default}:unique:email:send:abc";
    let mut t1 = msg("default", "t1");
    t1.unique_key = lock.into();
    b.enqueue_unique(&t1, Duration::from_secs(600))
        .await
        .unwrap();
    let d = b.dequeue(&queues(&["default"])).await.unwrap();
    b.done(&d.msg).await.unwrap();
    assert!(!env.raw.exists(lock).await);
    assert!(!env.raw.exists(&task_key("default", "t1")).await);
    let (pd, _, pt, _) = env.counter_keys("default");
    env.assert_daily_counter(&pd, "1", env.now_secs() + NINETY_DAYS)
        .await;
    assert_eq!(env.get(&pt).await.as_deref(), Some("1"));
}

/// §4.10 unique variant (T08): a lock owned by another ID stays.
async fn case_done_unique_keeps_foreign_lock(env: &Env) {
    let b = &env.broker;
    let lock = "asynq:{default}:unique:email:send:abc";
    let mut t1 = msg("default", "t1");
    t1.unique_key = lock.into();
    b.enqueue_unique(&t1, Duration::from_secs(600))
        .await
        .unwrap();
    let d = b.dequeue(&queues(&["default"])).await.unwrap();
    // The lock expired and another task took it meanwhile.
    env.raw.cmd(&["SET", lock, "other", "EX", "500"]).await;
    b.done(&d.msg).await.unwrap();
    env.assert_lock(lock, "other", 500).await;
    assert!(!env.raw.exists(&task_key("default", "t1")).await);
}

/// §4.10: a task that is not active → NotFound. Checks run in Go's order without rollback (Q18).
async fn case_done_not_active(env: &Env) {
    let b = &env.broker;
    // Pending, never dequeued: the first check fails, nothing changes.
    let t1 = msg("default", "t1");
    b.enqueue(&t1).await.unwrap();
    let before = env.hash("default", "t1").await;
    assert_not_found(b.done(&t1).await, "done on a pending task");
    assert_eq!(env.hash("default", "t1").await, before);
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["t1"])
    );
    // Unknown task.
    assert_not_found(
        b.done(&msg("default", "nope")).await,
        "done on an unknown task",
    );
    env.assert_no_counters("default").await;

    // Active but without a lease: removed from active, then NOT FOUND; the hash stays.
    let t2 = msg("low", "t2");
    env.make_active(&t2).await;
    env.raw.cmd(&["ZREM", &qkey("low", "lease"), "t2"]).await;
    assert_not_found(b.done(&t2).await, "done on a task without lease");
    assert_eq!(env.llen(&qkey("low", "active")).await, 0);
    assert!(env.raw.exists(&task_key("low", "t2")).await);
    env.assert_no_counters("low").await;

    // Active and leased but without a hash: both index entries go, then NOT FOUND.
    let t3 = msg("mail", "t3");
    env.make_active(&t3).await;
    env.raw.cmd(&["DEL", &task_key("mail", "t3")]).await;
    assert_not_found(b.done(&t3).await, "done on a task without hash");
    assert_eq!(env.llen(&qkey("mail", "active")).await, 0);
    assert_eq!(env.zcard(&qkey("mail", "lease")).await, 0);
    env.assert_no_counters("mail").await;
}

/// §6.26: the processed total wraps from MaxInt64 to 1.
async fn case_done_counter_wraps(env: &Env) {
    let b = &env.broker;
    let (pd, _, pt, ft) = env.counter_keys("default");
    env.raw.cmd(&["SET", &pt, MAX_INT64]).await;
    let t1 = msg("default", "t1");
    env.make_active(&t1).await;
    b.done(&t1).await.unwrap();
    assert_eq!(env.get(&pt).await.as_deref(), Some("1"));
    assert_eq!(env.get(&pd).await.as_deref(), Some("1"));
    assert!(!env.raw.exists(&ft).await);
}

/// §1.2: daily counter keys carry the UTC date, whatever the offset of the clock's time.
async fn case_counters_use_the_utc_date(env: &Env) {
    let b = &env.broker;
    let utc = env.now();
    // An offset that puts the local date one day away from the UTC date.
    let offset = if utc.hour() >= 1 { 23 } else { -23 };
    let local = utc.to_offset(UtcOffset::from_hms(offset, 0, 0).unwrap());
    assert_ne!(local.date(), utc.date());
    env.clock.set(local);
    let date = common::utc_date(utc);
    let t1 = msg("default", "t1");
    env.make_active(&t1).await;
    assert_eq!(
        env.field("default", "t1", "pending_since").await,
        None,
        "removed by dequeue"
    );
    b.retry(&t1, local, "boom", true).await.unwrap();
    let t2 = msg("default", "t2");
    env.make_active(&t2).await;
    b.done(&t2).await.unwrap();
    let expire_at = utc.unix_timestamp() + NINETY_DAYS;
    env.assert_daily_counter(
        &qkey("default", &format!("processed:{date}")),
        "2",
        expire_at,
    )
    .await;
    env.assert_daily_counter(&qkey("default", &format!("failed:{date}")), "1", expire_at)
        .await;
    let daily: Vec<String> = env.raw.keys(&qkey("default", "*ed:*")).await;
    assert_eq!(daily.len(), 2, "{daily:?}");
}

/// §4.9: several brokers dequeuing the same queues at once hand out every task exactly once.
async fn case_dequeue_concurrent_consumers(env: &Env) {
    let b = &env.broker;
    for i in 0..100 {
        b.enqueue(&msg("default", &format!("d{i:03}")))
            .await
            .unwrap();
        b.enqueue(&msg("low", &format!("l{i:03}"))).await.unwrap();
    }
    let mut consumers = Vec::new();
    for _ in 0..4 {
        let broker = env.another_broker().await;
        consumers.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                match broker.dequeue(&queues(&["default", "low"])).await {
                    Ok(d) => got.push(d.msg.id),
                    Err(BrokerError::NoProcessableTask) => break,
                    Err(e) => panic!("dequeue: {e}"),
                }
            }
            let _ = broker.close().await;
            got
        }));
    }
    let mut all = Vec::new();
    for c in consumers {
        all.extend(c.await.unwrap());
    }
    assert_eq!(all.len(), 200);
    let distinct: BTreeSet<&String> = all.iter().collect();
    assert_eq!(distinct.len(), 200);
    assert_eq!(env.llen(&qkey("default", "active")).await, 100);
    assert_eq!(env.zcard(&qkey("low", "lease")).await, 100);
}

/// A message with a retention of one hour.
fn retained(q: &str, id: &str) -> TaskMessage {
    let mut m = msg(q, id);
    m.retention = 3600;
    m
}

/// §4.11: completed score = now + retention, msg.completed_at = now, state completed, result
/// kept, counters as Done.
async fn case_mark_as_complete(env: &Env) {
    let b = &env.broker;
    let t1 = retained("default", "t1");
    env.make_active(&t1).await;
    assert_eq!(
        b.write_result("default", "t1", b"the result")
            .await
            .unwrap(),
        10
    );
    env.advance(5);
    let now = env.now_secs();
    b.mark_as_complete(&t1).await.unwrap();
    assert_eq!(
        env.raw
            .zrange_withscores(&qkey("default", "completed"))
            .await,
        vec![("t1".to_string(), (now + 3600) as f64)]
    );
    assert_eq!(
        env.fields("default", "t1").await,
        set(&["msg", "result", "state"])
    );
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("completed")
    );
    assert_eq!(
        env.field("default", "t1", "result").await.as_deref(),
        Some("the result")
    );
    let stored = env.stored_msg("default", "t1").await;
    assert_eq!(stored.completed_at, now);
    assert_eq!(
        TaskMessage {
            completed_at: 0,
            ..stored
        },
        t1
    );
    assert_eq!(env.llen(&qkey("default", "active")).await, 0);
    assert_eq!(env.zcard(&qkey("default", "lease")).await, 0);
    let (pd, fd, pt, ft) = env.counter_keys("default");
    env.assert_daily_counter(&pd, "1", now + NINETY_DAYS).await;
    assert_eq!(env.get(&pt).await.as_deref(), Some("1"));
    assert!(!env.raw.exists(&fd).await);
    assert!(!env.raw.exists(&ft).await);
}

/// §4.11 unique variant: the task's own lock is released, another owner's lock stays.
async fn case_mark_as_complete_unique(env: &Env) {
    let b = &env.broker;
    let own = "asynq:{default}:unique:email:send:own";
    let foreign = "asynq:{default}:unique:email:send:foreign";
    let mut t1 = retained("default", "t1");
    t1.unique_key = own.into();
    b.enqueue_unique(&t1, Duration::from_secs(600))
        .await
        .unwrap();
    let d1 = b.dequeue(&queues(&["default"])).await.unwrap();
    b.mark_as_complete(&d1.msg).await.unwrap();
    assert!(!env.raw.exists(own).await);
    assert_eq!(
        env.field("default", "t1", "unique_key").await.as_deref(),
        Some(own),
        "the unique_key field is kept"
    );

    let mut t2 = retained("default", "t2");
    t2.unique_key = foreign.into();
    b.enqueue_unique(&t2, Duration::from_secs(600))
        .await
        .unwrap();
    let d2 = b.dequeue(&queues(&["default"])).await.unwrap();
    env.raw
        .cmd(&["SET", foreign, "someone-else", "EX", "300"])
        .await;
    b.mark_as_complete(&d2.msg).await.unwrap();
    env.assert_lock(foreign, "someone-else", 300).await;
    assert_eq!(env.zcard(&qkey("default", "completed")).await, 2);
    let (_, _, pt, _) = env.counter_keys("default");
    assert_eq!(env.get(&pt).await.as_deref(), Some("2"));
}

/// §4.11: a task that is not active → NotFound, nothing completed.
async fn case_mark_as_complete_not_active(env: &Env) {
    let b = &env.broker;
    let t1 = retained("default", "t1");
    b.enqueue(&t1).await.unwrap();
    assert_not_found(
        b.mark_as_complete(&t1).await,
        "mark_as_complete on a pending task",
    );
    assert!(!env.raw.exists(&qkey("default", "completed")).await);
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("pending")
    );
    env.assert_no_counters("default").await;

    // The ID is already in completed: INTERNAL after active and lease were left (no rollback).
    let t2 = retained("low", "t2");
    env.make_active(&t2).await;
    env.raw
        .cmd(&["ZADD", &qkey("low", "completed"), "1", "t2"])
        .await;
    let r = b.mark_as_complete(&t2).await;
    assert!(
        matches!(&r, Err(BrokerError::Redis(m)) if m.contains("INTERNAL")),
        "{r:?}"
    );
    assert_eq!(env.llen(&qkey("low", "active")).await, 0);
    assert_eq!(env.zcard(&qkey("low", "lease")).await, 0);
    // ZADD itself went through (it updated the score, replying 0).
    assert_eq!(
        env.raw.zscore(&qkey("low", "completed"), "t2").await,
        Some((env.now_secs() + 3600) as f64)
    );
    assert_eq!(
        env.field("low", "t2", "state").await.as_deref(),
        Some("active")
    );
    env.assert_no_counters("low").await;
}

/// §6.26: the processed total wraps from MaxInt64 to 1 on completion too.
async fn case_mark_as_complete_counter_wraps(env: &Env) {
    let b = &env.broker;
    let (_, _, pt, _) = env.counter_keys("default");
    env.raw.cmd(&["SET", &pt, MAX_INT64]).await;
    let t1 = retained("default", "t1");
    env.make_active(&t1).await;
    b.mark_as_complete(&t1).await.unwrap();
    assert_eq!(env.get(&pt).await.as_deref(), Some("1"));
}

/// §4.12: RPUSH to the right end (dequeued next), no pending_since, counters and retried
/// untouched.
async fn case_requeue(env: &Env) {
    let b = &env.broker;
    let mut t1 = msg("default", "t1");
    t1.retried = 2;
    b.enqueue(&t1).await.unwrap();
    b.enqueue(&msg("default", "t2")).await.unwrap();
    let d = b.dequeue(&queues(&["default"])).await.unwrap();
    assert_eq!(d.msg.id, "t1");
    b.requeue(&d.msg).await.unwrap();
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["t2", "t1"])
    );
    assert_eq!(env.fields("default", "t1").await, set(&["msg", "state"]));
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("pending")
    );
    assert_eq!(env.stored_msg("default", "t1").await, t1);
    assert_eq!(env.llen(&qkey("default", "active")).await, 0);
    assert_eq!(env.zcard(&qkey("default", "lease")).await, 0);
    env.assert_no_counters("default").await;
    // The requeued task is the next one handed out.
    assert_eq!(b.dequeue(&queues(&["default"])).await.unwrap().msg.id, "t1");

    assert_not_found(
        b.requeue(&msg("default", "t2")).await,
        "requeue of a pending task",
    );
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["t2"])
    );
}

/// §4.13 with is_failure: retried + 1, error_msg, last_failed_at = now, retry score, processed
/// and failed counters (daily and total).
async fn case_retry_failure(env: &Env) {
    let b = &env.broker;
    let mut t1 = msg("default", "t1");
    t1.retried = 2;
    env.make_active(&t1).await;
    env.advance(5);
    let now = env.now_secs();
    let retry_at = env.now() + Duration::from_millis(60_900);
    b.retry(&t1, retry_at, "boom", true).await.unwrap();
    assert_eq!(
        env.raw.zrange_withscores(&qkey("default", "retry")).await,
        vec![("t1".to_string(), (now + 60) as f64)]
    );
    assert_eq!(env.fields("default", "t1").await, set(&["msg", "state"]));
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("retry")
    );
    let stored = env.stored_msg("default", "t1").await;
    assert_eq!((stored.retried, stored.error_msg.as_str()), (3, "boom"));
    assert_eq!(stored.last_failed_at, now);
    assert_eq!(
        TaskMessage {
            retried: 2,
            error_msg: String::new(),
            last_failed_at: 0,
            ..stored
        },
        t1
    );
    assert_eq!(env.llen(&qkey("default", "active")).await, 0);
    assert_eq!(env.zcard(&qkey("default", "lease")).await, 0);
    let (pd, fd, pt, ft) = env.counter_keys("default");
    env.assert_daily_counter(&pd, "1", now + NINETY_DAYS).await;
    env.assert_daily_counter(&fd, "1", now + NINETY_DAYS).await;
    assert_eq!(env.get(&pt).await.as_deref(), Some("1"));
    assert_eq!(env.get(&ft).await.as_deref(), Some("1"));
}

/// §4.13 without is_failure: retried unchanged, no counters, last_failed_at still set.
async fn case_retry_not_failure(env: &Env) {
    let b = &env.broker;
    let mut t1 = msg("default", "t1");
    t1.retried = 2;
    env.make_active(&t1).await;
    env.advance(3);
    let now = env.now_secs();
    b.retry(
        &t1,
        env.now() + Duration::from_secs(10),
        "shutting down",
        false,
    )
    .await
    .unwrap();
    let stored = env.stored_msg("default", "t1").await;
    assert_eq!(stored.retried, 2);
    assert_eq!(stored.error_msg, "shutting down");
    assert_eq!(stored.last_failed_at, now);
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("retry")
    );
    assert_eq!(
        env.raw.zscore(&qkey("default", "retry"), "t1").await,
        Some((now + 10) as f64)
    );
    env.assert_no_counters("default").await;
}

/// §4.13: the unique lock is not released, and a result written during the attempt stays.
async fn case_retry_keeps_unique_lock_and_result(env: &Env) {
    let b = &env.broker;
    let lock = "asynq:{default}:unique:email:send:r";
    let mut t1 = msg("default", "t1");
    t1.unique_key = lock.into();
    b.enqueue_unique(&t1, Duration::from_secs(900))
        .await
        .unwrap();
    let d = b.dequeue(&queues(&["default"])).await.unwrap();
    b.write_result("default", "t1", b"partial").await.unwrap();
    b.retry(&d.msg, env.now() + Duration::from_secs(30), "boom", true)
        .await
        .unwrap();
    env.assert_lock(lock, "t1", 900).await;
    assert_eq!(
        env.fields("default", "t1").await,
        set(&["msg", "result", "state", "unique_key"])
    );
    assert_eq!(
        env.field("default", "t1", "result").await.as_deref(),
        Some("partial")
    );
}

/// §6.26: on a failure, when the processed total is MaxInt64 both totals become 1.
async fn case_retry_counters_wrap(env: &Env) {
    let b = &env.broker;
    let (pd, fd, pt, ft) = env.counter_keys("default");
    env.raw.cmd(&["SET", &pt, MAX_INT64]).await;
    env.raw.cmd(&["SET", &ft, "41"]).await;
    let t1 = msg("default", "t1");
    env.make_active(&t1).await;
    b.retry(&t1, env.now(), "boom", true).await.unwrap();
    assert_eq!(env.get(&pt).await.as_deref(), Some("1"));
    assert_eq!(env.get(&ft).await.as_deref(), Some("1"));
    assert_eq!(env.get(&pd).await.as_deref(), Some("1"));
    assert_eq!(env.get(&fd).await.as_deref(), Some("1"));
}

/// §4.13: a task that is not active → NotFound.
async fn case_retry_not_active(env: &Env) {
    let b = &env.broker;
    let t1 = msg("default", "t1");
    b.enqueue(&t1).await.unwrap();
    assert_not_found(
        b.retry(&t1, env.now(), "boom", true).await,
        "retry of a pending task",
    );
    assert!(!env.raw.exists(&qkey("default", "retry")).await);
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("pending")
    );
    env.assert_no_counters("default").await;
}

/// §4.14: archived score now, error_msg/last_failed_at set, retried unchanged, counters, lock
/// kept.
async fn case_archive(env: &Env) {
    let b = &env.broker;
    let lock = "asynq:{default}:unique:email:send:a";
    let mut t1 = msg("default", "t1");
    t1.retried = 4;
    t1.unique_key = lock.into();
    b.enqueue_unique(&t1, Duration::from_secs(900))
        .await
        .unwrap();
    b.dequeue(&queues(&["default"])).await.unwrap();
    env.advance(5);
    let now = env.now_secs();
    b.archive(&t1, "fatal").await.unwrap();
    assert_eq!(
        env.raw
            .zrange_withscores(&qkey("default", "archived"))
            .await,
        vec![("t1".to_string(), now as f64)]
    );
    assert_eq!(
        env.fields("default", "t1").await,
        set(&["msg", "state", "unique_key"])
    );
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("archived")
    );
    let stored = env.stored_msg("default", "t1").await;
    assert_eq!(
        (
            stored.retried,
            stored.error_msg.as_str(),
            stored.last_failed_at
        ),
        (4, "fatal", now)
    );
    assert_eq!(
        TaskMessage {
            error_msg: String::new(),
            last_failed_at: 0,
            ..stored
        },
        t1
    );
    assert_eq!(env.llen(&qkey("default", "active")).await, 0);
    assert_eq!(env.zcard(&qkey("default", "lease")).await, 0);
    env.assert_lock(lock, "t1", 900).await;
    let (pd, fd, pt, ft) = env.counter_keys("default");
    env.assert_daily_counter(&pd, "1", now + NINETY_DAYS).await;
    env.assert_daily_counter(&fd, "1", now + NINETY_DAYS).await;
    assert_eq!(env.get(&pt).await.as_deref(), Some("1"));
    assert_eq!(env.get(&ft).await.as_deref(), Some("1"));
}

/// §6.26: archive wraps both totals like retry.
async fn case_archive_counters_wrap(env: &Env) {
    let b = &env.broker;
    let (_, _, pt, ft) = env.counter_keys("default");
    env.raw.cmd(&["SET", &pt, MAX_INT64]).await;
    env.raw.cmd(&["SET", &ft, "7"]).await;
    let t1 = msg("default", "t1");
    env.make_active(&t1).await;
    b.archive(&t1, "fatal").await.unwrap();
    assert_eq!(env.get(&pt).await.as_deref(), Some("1"));
    assert_eq!(env.get(&ft).await.as_deref(), Some("1"));
}

/// §4.14: a task that is not active → NotFound, nothing archived.
async fn case_archive_not_active(env: &Env) {
    let b = &env.broker;
    let t1 = msg("default", "t1");
    b.enqueue(&t1).await.unwrap();
    assert_not_found(b.archive(&t1, "fatal").await, "archive of a pending task");
    assert!(!env.raw.exists(&qkey("default", "archived")).await);
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("pending")
    );
    env.assert_no_counters("default").await;
}

/// Writes `n` archived tasks `<prefix>00000`... with scores `base + step * i` and their hashes.
async fn bulk_archived(env: &Env, q: &str, prefix: &str, n: usize, base: i64, step: i64) {
    let body = asynq_proto::encode(&msg(q, "bulk"));
    let created = env
        .eval(
            BULK_ARCHIVED,
            vec![qkey(q, "archived")],
            vec![
                Value::from(n as i64),
                Value::from(base),
                Value::from(step),
                Value::from(prefix),
                Value::from(qkey(q, "t:")),
                Value::Bytes(body),
            ],
        )
        .await;
    assert_eq!(created.as_i64(), Some(n as i64));
}

/// §4.14 age trim: entries with score ≤ now − 90 days are deleted with their hashes.
async fn case_archive_age_trim(env: &Env) {
    let b = &env.broker;
    let cutoff = env.now_secs() - NINETY_DAYS;
    let archived = qkey("default", "archived");
    for (id, score) in [
        ("old1", cutoff - 1000),
        ("old2", cutoff),
        ("keep1", cutoff + 1),
        ("keep2", env.now_secs() - 10),
    ] {
        env.put_hash(&msg("default", id), &[("state", "archived")])
            .await;
        env.raw
            .cmd(&["ZADD", &archived, &score.to_string(), id])
            .await;
    }
    let t1 = msg("default", "t1");
    env.make_active(&t1).await;
    b.archive(&t1, "fatal").await.unwrap();
    assert_eq!(
        env.raw.zrange_withscores(&archived).await,
        vec![
            ("keep1".to_string(), (cutoff + 1) as f64),
            ("keep2".to_string(), (env.now_secs() - 10) as f64),
            ("t1".to_string(), env.now_secs() as f64),
        ]
    );
    assert!(!env.raw.exists(&task_key("default", "old1")).await);
    assert!(!env.raw.exists(&task_key("default", "old2")).await);
    assert!(env.raw.exists(&task_key("default", "keep1")).await);
    assert!(env.raw.exists(&task_key("default", "keep2")).await);
}

/// §4.14 size trim and quirk Q14: 9,999 existing + 1 new → 9,999 remain; the oldest goes, with
/// its hash.
async fn case_archive_size_trim(env: &Env) {
    let b = &env.broker;
    let base = env.now_secs() - 100_000;
    bulk_archived(env, "default", "a", 9_999, base, 1).await;
    let archived = qkey("default", "archived");
    assert_eq!(env.zcard(&archived).await, 9_999);
    let t1 = msg("default", "t1");
    env.make_active(&t1).await;
    b.archive(&t1, "fatal").await.unwrap();
    assert_eq!(env.zcard(&archived).await, 9_999);
    assert_eq!(env.raw.zscore(&archived, "a00000").await, None);
    assert!(!env.raw.exists(&task_key("default", "a00000")).await);
    assert_eq!(
        env.raw.zscore(&archived, "a00001").await,
        Some((base + 1) as f64)
    );
    assert!(env.raw.exists(&task_key("default", "a00001")).await);
    assert_eq!(
        env.raw.zscore(&archived, "t1").await,
        Some(env.now_secs() as f64)
    );
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("archived")
    );

    // Another one: again the oldest goes, 9,999 remain.
    let t2 = msg("default", "t2");
    env.make_active(&t2).await;
    b.archive(&t2, "fatal").await.unwrap();
    assert_eq!(env.zcard(&archived).await, 9_999);
    assert_eq!(env.raw.zscore(&archived, "a00001").await, None);
    assert!(!env.raw.exists(&task_key("default", "a00001")).await);
    assert!(env.raw.exists(&task_key("default", "a00002")).await);
    assert_eq!(env.raw.keys(&qkey("default", "t:*")).await.len(), 9_999);
}

/// Quirk Q24: more than 8,000 entries past the cutoff at once are all trimmed and the archive
/// completes.
async fn case_archive_trims_more_than_8000_expired(env: &Env) {
    let b = &env.broker;
    let cutoff = env.now_secs() - NINETY_DAYS;
    bulk_archived(env, "default", "x", 8_500, cutoff - 10_000, 1).await;
    let archived = qkey("default", "archived");
    assert_eq!(env.zcard(&archived).await, 8_500);
    let t1 = msg("default", "t1");
    env.make_active(&t1).await;
    b.archive(&t1, "fatal").await.unwrap();
    assert_eq!(
        env.raw.zrange_withscores(&archived).await,
        vec![("t1".to_string(), env.now_secs() as f64)]
    );
    assert_eq!(
        env.raw.keys(&qkey("default", "t:*")).await,
        strings(&[&task_key("default", "t1")])
    );
    assert_eq!(
        env.field("default", "t1", "state").await.as_deref(),
        Some("archived")
    );
    let (_, _, pt, ft) = env.counter_keys("default");
    assert_eq!(env.get(&pt).await.as_deref(), Some("1"));
    assert_eq!(env.get(&ft).await.as_deref(), Some("1"));
}
