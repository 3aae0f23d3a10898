//! Background and bookkeeping broker operations against real Redis, single node and Cluster:
//! forward_if_ready, delete_expired_completed_tasks, list_lease_expired, extend_lease,
//! write_server_state / clear_server_state, write_result, publish_cancellation /
//! subscribe_cancellations and ping (spec §4.15, §4.21 to §4.29).

#[macro_use]
mod common;

use std::collections::HashMap;
use std::time::Duration;

use asynq_proto::{ServerInfo, TaskMessage, WorkerInfo};
use bytes::Bytes;
use common::{msg, qkey, queues, set, strings, task_key, Env};
use fred::types::Value;

/// Lua that writes `ARGV[1]` tasks into the sorted set KEYS[1] in one call: IDs `ARGV[4]` +
/// 5-digit index, scores `ARGV[2]` + `ARGV[3]` * index, each with a task hash (`msg` = `ARGV[6]`,
/// `state` = `ARGV[7]`) under the task key prefix `ARGV[5]` (same slot as KEYS[1]).
const BULK_ZSET: &str = r#"
local n, base, step = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 0, n - 1 do
    local id = ARGV[4] .. string.format("%05d", i)
    redis.call("ZADD", KEYS[1], base + step * i, id)
    redis.call("HSET", ARGV[5] .. id, "msg", ARGV[6], "state", ARGV[7])
end
return n
"#;

broker_cases!(
    case_forward_if_ready,
    case_forward_if_ready_grouped_tasks,
    case_forward_if_ready_more_than_100,
    case_delete_expired_completed_tasks,
    case_delete_expired_completed_tasks_in_batches,
    case_list_lease_expired,
    case_list_lease_expired_undecodable_msg,
    case_extend_lease,
    case_write_server_state,
    case_write_server_state_without_workers,
    case_clear_server_state,
    case_write_result,
    case_publish_and_subscribe_cancellations,
    case_ping,
    case_total_counts,
);

/// Writes `n` tasks `<prefix>00000`... into `asynq:{q}:<index>` with scores `base + step * i`
/// and hashes in state `state`.
async fn bulk(env: &Env, q: &str, index: &str, state: &str, prefix: &str, n: usize, base: i64) {
    let created = env
        .eval(
            BULK_ZSET,
            vec![qkey(q, index)],
            vec![
                Value::from(n as i64),
                Value::from(base),
                Value::from(1),
                Value::from(prefix),
                Value::from(qkey(q, "t:")),
                Value::Bytes(asynq_proto::encode(&msg(q, "bulk"))),
                Value::from(state),
            ],
        )
        .await;
    assert_eq!(created.as_i64(), Some(n as i64));
}

/// §4.15: due scheduled and retry tasks → pending (state pending, pending_since = now in ns),
/// scheduled first; tasks not yet due stay.
async fn case_forward_if_ready(env: &Env) {
    let b = &env.broker;
    let t0 = env.now_secs();
    let start = env.now();
    b.schedule(&msg("default", "s1"), start + Duration::from_secs(10))
        .await
        .unwrap();
    b.schedule(&msg("default", "s2"), start + Duration::from_secs(100))
        .await
        .unwrap();
    b.schedule(&msg("mail", "m1"), start + Duration::from_secs(5))
        .await
        .unwrap();
    let r1 = msg("default", "r1");
    env.make_active(&r1).await;
    b.retry(&r1, start + Duration::from_secs(10), "boom", true)
        .await
        .unwrap();
    let r2 = msg("default", "r2");
    env.make_active(&r2).await;
    b.retry(&r2, start + Duration::from_secs(11), "boom", true)
        .await
        .unwrap();

    // Nothing is due yet.
    assert_eq!(
        b.forward_if_ready(&queues(&["default", "mail"]))
            .await
            .unwrap(),
        0
    );
    assert!(!env.raw.exists(&qkey("default", "pending")).await);

    // now = t0 + 10.25 s: s1 and r1 (score t0 + 10) and m1 are due, s2 and r2 are not.
    env.clock
        .set(start + Duration::from_secs(10) + Duration::from_millis(250));
    let ns = env.now_ns().to_string();
    assert_eq!(ns.len(), 19);
    let moved = b
        .forward_if_ready(&queues(&["default", "mail"]))
        .await
        .unwrap();
    assert_eq!(moved, 3);
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        strings(&["r1", "s1"]),
        "scheduled first, then retry, each LPUSHed"
    );
    assert_eq!(
        env.raw.lrange(&qkey("mail", "pending")).await,
        strings(&["m1"])
    );
    for (q, id) in [("default", "s1"), ("default", "r1"), ("mail", "m1")] {
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
    // The message is not rewritten.
    assert_eq!(env.stored_msg("default", "r1").await.error_msg, "boom");
    assert_eq!(
        env.raw
            .zrange_withscores(&qkey("default", "scheduled"))
            .await,
        vec![("s2".to_string(), (t0 + 100) as f64)]
    );
    assert_eq!(
        env.field("default", "s2", "state").await.as_deref(),
        Some("scheduled")
    );
    assert_eq!(
        env.raw.zrange_withscores(&qkey("default", "retry")).await,
        vec![("r2".to_string(), (t0 + 11) as f64)]
    );
    assert_eq!(
        env.field("default", "r2", "state").await.as_deref(),
        Some("retry")
    );
    assert_eq!(env.zcard(&qkey("mail", "scheduled")).await, 0);
    assert_eq!(
        b.forward_if_ready(&queues(&["default", "mail"]))
            .await
            .unwrap(),
        0
    );
}

/// §4.15: a task whose hash has a non-empty `group` field goes back to `asynq:{q}:g:<group>`
/// with score now and state aggregating, and its name is registered in `asynq:{q}:groups`
/// (Go omits that, quirk Q4: a group emptied and unregistered meanwhile would be invisible to
/// Go's GetQueueInfo and aggregator); an empty `group` field or a message group_key alone
/// (quirk Q3) means pending.
async fn case_forward_if_ready_grouped_tasks(env: &Env) {
    let b = &env.broker;
    let t0 = env.now_secs();
    let scheduled = qkey("default", "scheduled");
    let retry = qkey("default", "retry");
    let mut gs = msg("default", "gs");
    gs.group_key = "g1".into();
    env.put_hash(&gs, &[("state", "scheduled"), ("group", "g1")])
        .await;
    env.raw
        .cmd(&["ZADD", &scheduled, &(t0 - 5).to_string(), "gs"])
        .await;
    env.put_hash(
        &msg("default", "gr"),
        &[("state", "retry"), ("group", "g:2")],
    )
    .await;
    env.raw
        .cmd(&["ZADD", &retry, &(t0 - 1).to_string(), "gr"])
        .await;
    env.put_hash(
        &msg("default", "empty"),
        &[("state", "scheduled"), ("group", "")],
    )
    .await;
    env.raw
        .cmd(&["ZADD", &scheduled, &(t0 - 3).to_string(), "empty"])
        .await;
    // Scheduled with a Group option: no `group` field in the hash (Q3).
    let mut q3 = msg("default", "q3");
    q3.group_key = "g1".into();
    b.schedule(&q3, env.now() - Duration::from_secs(2))
        .await
        .unwrap();

    env.advance(20);
    let now = env.now_secs();
    assert_eq!(b.forward_if_ready(&queues(&["default"])).await.unwrap(), 4);
    assert_eq!(
        env.raw.zrange_withscores(&qkey("default", "g:g1")).await,
        vec![("gs".to_string(), now as f64)]
    );
    assert_eq!(
        env.raw.zrange_withscores(&qkey("default", "g:g:2")).await,
        vec![("gr".to_string(), now as f64)]
    );
    for id in ["gs", "gr"] {
        assert_eq!(
            env.fields("default", id).await,
            set(&["group", "msg", "state"]),
            "{id}"
        );
        assert_eq!(
            env.field("default", id, "state").await.as_deref(),
            Some("aggregating")
        );
    }
    let mut pending = env.raw.lrange(&qkey("default", "pending")).await;
    pending.sort();
    assert_eq!(pending, strings(&["empty", "q3"]));
    assert_eq!(
        env.raw.smembers(&qkey("default", "groups")).await,
        ["g1", "g:2"].iter().map(|g| (*g).to_owned()).collect()
    );
    for id in ["empty", "q3"] {
        assert_eq!(
            env.field("default", id, "state").await.as_deref(),
            Some("pending")
        );
    }
    assert_eq!(env.zcard(&scheduled).await, 0);
    assert_eq!(env.zcard(&retry).await, 0);
}

/// §4.15: more than 100 due tasks (one script call's limit) are all moved.
async fn case_forward_if_ready_more_than_100(env: &Env) {
    let b = &env.broker;
    let t0 = env.now_secs();
    bulk(
        env,
        "default",
        "scheduled",
        "scheduled",
        "s",
        250,
        t0 - 1000,
    )
    .await;
    bulk(env, "default", "retry", "retry", "r", 130, t0 - 500).await;
    bulk(env, "low", "scheduled", "scheduled", "l", 101, t0 - 200).await;
    // Three more not due yet.
    bulk(
        env,
        "default",
        "scheduled",
        "scheduled",
        "later",
        3,
        t0 + 60,
    )
    .await;
    let moved = b
        .forward_if_ready(&queues(&["default", "low"]))
        .await
        .unwrap();
    assert_eq!(moved, 250 + 130 + 101);
    assert_eq!(env.llen(&qkey("default", "pending")).await, 380);
    assert_eq!(env.llen(&qkey("low", "pending")).await, 101);
    assert_eq!(env.zcard(&qkey("default", "scheduled")).await, 3);
    assert_eq!(env.zcard(&qkey("default", "retry")).await, 0);
    assert_eq!(env.zcard(&qkey("low", "scheduled")).await, 0);
    let ns = env.now_ns().to_string();
    for (q, id) in [
        ("default", "s00249"),
        ("default", "r00129"),
        ("low", "l00100"),
    ] {
        assert_eq!(env.field(q, id, "state").await.as_deref(), Some("pending"));
        assert_eq!(
            env.field(q, id, "pending_since").await.as_deref(),
            Some(ns.as_str())
        );
    }
    assert_eq!(
        env.field("default", "later00000", "state").await.as_deref(),
        Some("scheduled")
    );
}

/// §4.21: only completed tasks with score ≤ now are deleted, hash and member.
async fn case_delete_expired_completed_tasks(env: &Env) {
    let b = &env.broker;
    let t0 = env.now_secs();
    let completed = qkey("default", "completed");
    for (id, score) in [("c1", t0 - 10), ("c2", t0), ("c3", t0 + 10)] {
        env.put_hash(&msg("default", id), &[("state", "completed")])
            .await;
        env.raw
            .cmd(&["ZADD", &completed, &score.to_string(), id])
            .await;
    }
    // One completed through the broker, retention 5 s.
    let mut t1 = msg("default", "t1");
    t1.retention = 5;
    env.make_active(&t1).await;
    b.mark_as_complete(&t1).await.unwrap();
    assert_eq!(
        b.delete_expired_completed_tasks("default", 100)
            .await
            .unwrap(),
        2
    );
    assert!(!env.raw.exists(&task_key("default", "c1")).await);
    assert!(!env.raw.exists(&task_key("default", "c2")).await);
    assert!(env.raw.exists(&task_key("default", "c3")).await);
    assert!(env.raw.exists(&task_key("default", "t1")).await);
    assert_eq!(
        env.raw.zrange_withscores(&completed).await,
        vec![
            ("t1".to_string(), (t0 + 5) as f64),
            ("c3".to_string(), (t0 + 10) as f64)
        ]
    );

    env.advance(5);
    assert_eq!(
        b.delete_expired_completed_tasks("default", 100)
            .await
            .unwrap(),
        1
    );
    assert!(!env.raw.exists(&task_key("default", "t1")).await);
    assert_eq!(
        env.raw.zrange_withscores(&completed).await,
        vec![("c3".to_string(), (t0 + 10) as f64)]
    );
    assert_eq!(
        b.delete_expired_completed_tasks("other", 100)
            .await
            .unwrap(),
        0
    );
}

/// §4.21: with a batch size of N, all expired tasks are drained, however many batches it takes.
async fn case_delete_expired_completed_tasks_in_batches(env: &Env) {
    let b = &env.broker;
    let t0 = env.now_secs();
    bulk(
        env,
        "default",
        "completed",
        "completed",
        "c",
        250,
        t0 - 1000,
    )
    .await;
    bulk(env, "default", "completed", "completed", "keep", 3, t0 + 1).await;
    assert_eq!(
        b.delete_expired_completed_tasks("default", 7)
            .await
            .unwrap(),
        250
    );
    assert_eq!(env.zcard(&qkey("default", "completed")).await, 3);
    let mut left = env.raw.keys(&qkey("default", "t:*")).await;
    left.sort();
    assert_eq!(
        left,
        strings(&[
            &task_key("default", "keep00000"),
            &task_key("default", "keep00001"),
            &task_key("default", "keep00002"),
        ])
    );
}

/// Writes a task hash and a lease entry for it.
async fn leased(env: &Env, m: &TaskMessage, score: i64) {
    env.put_hash(m, &[("state", "active")]).await;
    env.raw
        .cmd(&["LPUSH", &qkey(&m.queue, "active"), &m.id])
        .await;
    env.raw
        .cmd(&["ZADD", &qkey(&m.queue, "lease"), &score.to_string(), &m.id])
        .await;
}

/// §4.22: only leases ≤ cutoff are returned, IDs without a hash are skipped.
async fn case_list_lease_expired(env: &Env) {
    let b = &env.broker;
    let t0 = env.now_secs();
    let (a, bb, c, d) = (
        msg("default", "a"),
        msg("default", "b"),
        msg("default", "c"),
        msg("low", "d"),
    );
    leased(env, &a, t0 - 40).await;
    leased(env, &bb, t0 - 30).await;
    leased(env, &c, t0 - 10).await;
    leased(env, &d, t0 - 35).await;
    env.raw
        .cmd(&[
            "ZADD",
            &qkey("default", "lease"),
            &(t0 - 50).to_string(),
            "ghost",
        ])
        .await;
    let cutoff = env.now() - Duration::from_secs(30);
    let (msgs, bad) = b
        .list_lease_expired(cutoff, &queues(&["default", "low", "mail"]))
        .await
        .unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(msgs, vec![a.clone(), bb.clone(), d.clone()]);
    // Nothing is changed by listing.
    assert_eq!(env.zcard(&qkey("default", "lease")).await, 4);

    let (msgs, bad) = b
        .list_lease_expired(env.now(), &queues(&["low", "default"]))
        .await
        .unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(msgs, vec![d, a, bb, c]);
    let (msgs, _) = b
        .list_lease_expired(cutoff - Duration::from_secs(100), &queues(&["default"]))
        .await
        .unwrap();
    assert!(msgs.is_empty());
}

/// §4.22 and §0.6: an undecodable or mismatched message is reported as poison in the second list and the other tasks
/// are still returned.
async fn case_list_lease_expired_undecodable_msg(env: &Env) {
    let b = &env.broker;
    let t0 = env.now_secs();
    let a = msg("default", "a");
    let e = msg("mail", "e");
    leased(env, &a, t0 - 60).await;
    leased(env, &e, t0 - 60).await;
    let bad_key = task_key("low", "bad");
    env.hset_bytes(&bad_key, "msg", &[0x0a, 0x02, 0xff, 0xfe])
        .await;
    env.raw
        .cmd(&[
            "ZADD",
            &qkey("low", "lease"),
            &(t0 - 100).to_string(),
            "bad",
        ])
        .await;
    let (msgs, bad) = b
        .list_lease_expired(env.now(), &queues(&["default", "low", "mail"]))
        .await
        .unwrap();
    assert_eq!(msgs, vec![a, e]);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!((bad[0].queue.as_str(), bad[0].id.as_str()), ("low", "bad"));
    assert!(
        bad[0]
            .reason
            .starts_with("asynq: cannot decode task message: "),
        "{:?}",
        bad[0]
    );
    // A message naming another queue is reported too (its writes would all fail).
    let mut stray = msg("default", "stray");
    stray.queue = "mail".into();
    env.hset_bytes(
        &task_key("default", "stray"),
        "msg",
        &asynq_proto::encode(&stray),
    )
    .await;
    env.raw
        .cmd(&[
            "ZADD",
            &qkey("default", "lease"),
            &(t0 - 100).to_string(),
            "stray",
        ])
        .await;
    let (_, bad) = b
        .list_lease_expired(env.now(), &queues(&["default"]))
        .await
        .unwrap();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].id, "stray");
    assert!(bad[0].reason.contains("\"mail\""), "{:?}", bad[0]);
}

/// §4.23: ZADD XX: leased IDs get now + 30 s, an ID not in the lease set is not added.
async fn case_extend_lease(env: &Env) {
    let b = &env.broker;
    let t0 = env.now_secs();
    b.enqueue(&msg("default", "t1")).await.unwrap();
    b.enqueue(&msg("default", "t2")).await.unwrap();
    b.enqueue(&msg("default", "t3")).await.unwrap();
    for _ in 0..3 {
        b.dequeue(&queues(&["default"])).await.unwrap();
    }
    let lease = qkey("default", "lease");
    env.clock.set(env.now() + Duration::from_millis(10_700));
    let expiry = b
        .extend_lease("default", &strings(&["t1", "t2", "ghost"]))
        .await
        .unwrap();
    assert_eq!(expiry.unix_timestamp(), t0 + 40);
    assert_eq!(
        env.raw.zrange_withscores(&lease).await,
        vec![
            ("t3".to_string(), (t0 + 30) as f64),
            ("t1".to_string(), (t0 + 40) as f64),
            ("t2".to_string(), (t0 + 40) as f64),
        ]
    );
    assert_eq!(env.raw.zscore(&lease, "ghost").await, None);
    // An ID leased in another queue only is not added here either.
    let r = b.extend_lease("low", &strings(&["t3"])).await.unwrap();
    assert_eq!(r.unix_timestamp(), t0 + 40);
    assert!(!env.raw.exists(&qkey("low", "lease")).await);
    // No IDs: nothing to do.
    let r = b.extend_lease("default", &[]).await.unwrap();
    assert_eq!(r.unix_timestamp(), t0 + 40);
    assert_eq!(env.zcard(&lease).await, 3);
}

fn server_info(env: &Env, server_id: &str, workers: i32) -> ServerInfo {
    ServerInfo {
        host: "host1".into(),
        pid: 4242,
        server_id: server_id.into(),
        concurrency: 10,
        queues: HashMap::from([("default".to_string(), 6), ("critical".to_string(), 3)]),
        strict_priority: false,
        status: "active".into(),
        start_time: Some(asynq_proto::timestamp_from_datetime(
            env.now() - Duration::from_secs(100),
        )),
        active_worker_count: workers,
    }
}

fn worker_info(env: &Env, server_id: &str, task_id: &str) -> WorkerInfo {
    WorkerInfo {
        host: "host1".into(),
        pid: 4242,
        server_id: server_id.into(),
        task_id: task_id.into(),
        task_type: "email:send".into(),
        task_payload: Bytes::from(format!("payload of {task_id}")),
        queue: "default".into(),
        start_time: Some(asynq_proto::timestamp_from_datetime(
            env.now() - Duration::from_secs(3),
        )),
        deadline: Some(asynq_proto::timestamp_from_datetime(
            env.now() + Duration::from_secs(1797),
        )),
    }
}

/// §4.24: asynq:servers / asynq:workers scores now + ttl, server key with TTL 10 holding the
/// ServerInfo, workers hash (field = task ID, value = WorkerInfo) with TTL 10.
async fn case_write_server_state(env: &Env) {
    let b = &env.broker;
    let now = env.now_secs();
    let info = server_info(env, "sid-1", 2);
    let workers = vec![
        worker_info(env, "sid-1", "t1"),
        worker_info(env, "sid-1", "t2"),
    ];
    b.write_server_state(&info, &workers, Duration::from_secs(10))
        .await
        .unwrap();
    let server_key = "asynq:servers:{host1:4242:sid-1}";
    let workers_key = "asynq:workers:{host1:4242:sid-1}";
    assert_eq!(
        env.raw.zrange_withscores("asynq:servers").await,
        vec![(server_key.to_string(), (now + 10) as f64)]
    );
    assert_eq!(
        env.raw.zrange_withscores("asynq:workers").await,
        vec![(workers_key.to_string(), (now + 10) as f64)]
    );
    let stored = env.raw.get(server_key).await.expect("server info key");
    assert_eq!(asynq_proto::decode_server_info(&stored).unwrap(), info);
    assert!((8..=10).contains(&env.raw.ttl(server_key).await));
    let hash = env.raw.hgetall(workers_key).await;
    assert_eq!(
        hash.keys().cloned().collect::<Vec<_>>(),
        strings(&["t1", "t2"])
    );
    assert_eq!(
        asynq_proto::decode_worker_info(&hash["t1"]).unwrap(),
        workers[0]
    );
    assert_eq!(
        asynq_proto::decode_worker_info(&hash["t2"]).unwrap(),
        workers[1]
    );
    assert!((8..=10).contains(&env.raw.ttl(workers_key).await));

    // The next heartbeat replaces the workers and moves the expiry.
    env.advance(5);
    let info = server_info(env, "sid-1", 1);
    let workers = vec![worker_info(env, "sid-1", "t3")];
    b.write_server_state(&info, &workers, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        env.raw.zscore("asynq:servers", server_key).await,
        Some((now + 15) as f64)
    );
    assert_eq!(
        env.raw.zscore("asynq:workers", workers_key).await,
        Some((now + 15) as f64)
    );
    let hash = env.raw.hgetall(workers_key).await;
    assert_eq!(hash.keys().cloned().collect::<Vec<_>>(), strings(&["t3"]));
    assert_eq!(
        asynq_proto::decode_server_info(&env.raw.get(server_key).await.unwrap()).unwrap(),
        info
    );

    // No workers any more: the hash is gone.
    b.write_server_state(&server_info(env, "sid-1", 0), &[], Duration::from_secs(10))
        .await
        .unwrap();
    assert!(!env.raw.exists(workers_key).await);
    assert!(env.raw.exists(server_key).await);
}

/// §4.24: with no workers the workers hash does not exist.
async fn case_write_server_state_without_workers(env: &Env) {
    let b = &env.broker;
    let now = env.now_secs();
    let info = server_info(env, "sid-2", 0);
    b.write_server_state(&info, &[], Duration::from_secs(10))
        .await
        .unwrap();
    let server_key = "asynq:servers:{host1:4242:sid-2}";
    let workers_key = "asynq:workers:{host1:4242:sid-2}";
    assert!(!env.raw.exists(workers_key).await);
    assert_eq!(
        env.raw.zscore("asynq:servers", server_key).await,
        Some((now + 10) as f64)
    );
    assert_eq!(
        env.raw.zscore("asynq:workers", workers_key).await,
        Some((now + 10) as f64)
    );
    assert_eq!(
        asynq_proto::decode_server_info(&env.raw.get(server_key).await.unwrap()).unwrap(),
        info
    );
    assert!((8..=10).contains(&env.raw.ttl(server_key).await));
}

/// §4.24: clear removes both ZSET members and both keys of that server only.
async fn case_clear_server_state(env: &Env) {
    let b = &env.broker;
    for sid in ["sid-1", "sid-2"] {
        b.write_server_state(
            &server_info(env, sid, 1),
            &[worker_info(env, sid, "t1")],
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    }
    b.clear_server_state("host1", 4242, "sid-1").await.unwrap();
    let servers: Vec<String> = env
        .raw
        .zrange_withscores("asynq:servers")
        .await
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    let workers: Vec<String> = env
        .raw
        .zrange_withscores("asynq:workers")
        .await
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    assert_eq!(servers, strings(&["asynq:servers:{host1:4242:sid-2}"]));
    assert_eq!(workers, strings(&["asynq:workers:{host1:4242:sid-2}"]));
    assert!(!env.raw.exists("asynq:servers:{host1:4242:sid-1}").await);
    assert!(!env.raw.exists("asynq:workers:{host1:4242:sid-1}").await);
    assert!(env.raw.exists("asynq:servers:{host1:4242:sid-2}").await);
    assert!(env.raw.exists("asynq:workers:{host1:4242:sid-2}").await);

    b.clear_server_state("host1", 4242, "sid-2").await.unwrap();
    assert!(env.raw.keys("asynq:*").await.is_empty());
    // Clearing again is harmless.
    b.clear_server_state("host1", 4242, "sid-2").await.unwrap();
}

/// §4.27: HSET result, returns the length; other fields untouched.
async fn case_write_result(env: &Env) {
    let b = &env.broker;
    let t1 = msg("default", "t1");
    env.make_active(&t1).await;
    let before = env.hash("default", "t1").await;
    let data = [0u8, 1, 2, 0xff, b'x'];
    assert_eq!(b.write_result("default", "t1", &data).await.unwrap(), 5);
    let after = env.hash("default", "t1").await;
    assert_eq!(after["result"], data.to_vec());
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after["msg"], before["msg"]);
    assert_eq!(after["state"], before["state"]);
    // Overwritten by the next write; empty data is a valid result.
    assert_eq!(b.write_result("default", "t1", b"").await.unwrap(), 0);
    assert_eq!(
        env.raw.hget(&task_key("default", "t1"), "result").await,
        Some(Vec::new())
    );
}

/// §4.28: a subscriber receives the published task IDs, from this broker and from others.
async fn case_publish_and_subscribe_cancellations(env: &Env) {
    let b = &env.broker;
    let mut sub = b.subscribe_cancellations().await.unwrap();
    // Subscribed means confirmed by Redis (Go waits for the confirmation too).
    assert_eq!(env.numsub("asynq:cancel").await, 1);
    b.publish_cancellation("t1").await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("cancellation t1 within 10 s");
    assert_eq!(got.as_deref(), Some("t1"));

    let other = env.another_broker().await;
    other.publish_cancellation("t-2").await.unwrap();
    env.raw.cmd(&["PUBLISH", "asynq:cancel", "t-3"]).await;
    // Published on two connections (two nodes on a cluster): no order between them.
    let mut got = Vec::new();
    for _ in 0..2 {
        let id = tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .unwrap_or_else(|_| panic!("cancellations t-2 and t-3 within 10 s, got {got:?}"));
        got.push(id.expect("subscription open"));
    }
    got.sort();
    assert_eq!(got, strings(&["t-2", "t-3"]));
    sub.close().await;
    let _ = other.close().await;
}

/// §4.29: PING.
async fn case_ping(env: &Env) {
    env.broker.ping().await.unwrap();
}

/// The all-time counters read back: 0 while absent, then the stored values.
async fn case_total_counts(env: &Env) {
    assert_eq!(env.broker.total_counts("stats").await.unwrap(), (0, 0));
    env.raw.cmd(&["SET", "asynq:{stats}:processed", "12"]).await;
    env.raw.cmd(&["SET", "asynq:{stats}:failed", "3"]).await;
    assert_eq!(env.broker.total_counts("stats").await.unwrap(), (12, 3));
}

/// §4.28, single node only (a proxy cannot stand in front of a cluster): subscribe_cancellations
/// returns only once Redis has confirmed the subscription, even when the SUBSCRIBE takes a while
/// to reach the server, so a cancellation published right after it is not lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_cancellations_waits_for_the_confirmation() {
    let env = Env::single().await;
    let proxy = common::Proxy::start(
        common::single_addr(&env.opt),
        common::ProxyBehaviour {
            delay: Duration::from_millis(150),
            flush_before: None,
        },
    )
    .await;
    let slow = asynq_broker::Broker::connect(
        asynq_broker::RedisConnOpt::parse_uri(&format!("redis://{}", proxy.addr())).unwrap(),
    )
    .await
    .unwrap();
    let mut sub = slow.subscribe_cancellations().await.unwrap();
    assert_eq!(
        env.numsub("asynq:cancel").await,
        1,
        "the subscription is active when subscribe_cancellations returns"
    );
    env.broker.publish_cancellation("t-early").await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("cancellation t-early within 10 s");
    assert_eq!(got.as_deref(), Some("t-early"));
    sub.close().await;
    let _ = slow.close().await;
}
