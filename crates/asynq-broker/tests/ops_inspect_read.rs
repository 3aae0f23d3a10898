//! The Inspector's read operations against real Redis, single node and Cluster (spec §5.1–5.8,
//! 5.14, 5.15, 5.17): queues, current and historical stats, memory usage, INFO, task info,
//! groups, listings with pagination, servers, scheduler entries and events, cluster layout.

#[macro_use]
mod common;

use std::time::Duration;

use asynq_broker::ops::inspect_read::InspectedTask;
use asynq_broker::{BrokerError, TaskState};
use asynq_proto::{SchedulerEnqueueEvent, SchedulerEntry, ServerInfo, TaskMessage, WorkerInfo};
use bytes::Bytes;
use common::{msg, qkey, task_key, utc_date, Env};
use fred::types::Value;
use time::OffsetDateTime;

broker_cases!(
    case_queues_and_existence,
    case_current_stats_all_states,
    case_current_stats_latency,
    case_current_stats_unknown_queue,
    case_memory_usage_tolerates_dangling_ids,
    case_historical_stats,
    case_get_task_info,
    case_group_stats,
    case_list_pending_pagination,
    case_list_zsets_pagination,
    case_list_states_and_scores,
    case_list_unknown_queue,
    case_servers_and_workers_pruned,
    case_scheduler_entries_and_events,
    case_redis_info,
    case_cluster_slot_and_nodes,
);

/// Lua writing `ARGV[1]` tasks into ZSET KEYS[1] in one call: IDs `ARGV[4]` + 2-digit index,
/// scores `ARGV[2]` + index, hashes under the task key prefix `ARGV[5]` (same slot) in state
/// `ARGV[3]`, the hash of task i getting `msg` = `ARGV[6 + i]`.
const BULK_ZSET: &str = r#"
local n, base = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 0, n - 1 do
    local id = ARGV[4] .. string.format("%02d", i)
    redis.call("ZADD", KEYS[1], base + i, id)
    redis.call("HSET", ARGV[5] .. id, "msg", ARGV[6 + i], "state", ARGV[3])
end
return n
"#;

/// Writes `n` tasks `<prefix>00`... into `asynq:{q}:<index>` with scores `base + i`, each with
/// its own message (ID = member) in state `state`.
async fn bulk_zset(
    env: &Env,
    q: &str,
    index: &str,
    state: &str,
    prefix: &str,
    n: usize,
    base: i64,
) {
    let mut args = vec![
        Value::from(n as i64),
        Value::from(base),
        Value::from(state),
        Value::from(prefix),
        Value::from(qkey(q, "t:")),
    ];
    for i in 0..n {
        args.push(Value::Bytes(asynq_proto::encode(&msg(
            q,
            &format!("{prefix}{i:02}"),
        ))));
    }
    let created = env.eval(BULK_ZSET, vec![qkey(q, index)], args).await;
    assert_eq!(created.as_i64(), Some(n as i64));
}

fn ids(tasks: &[InspectedTask]) -> Vec<String> {
    tasks.iter().map(|t| t.msg.id.clone()).collect()
}

fn expect_queue_not_found<T: std::fmt::Debug>(r: Result<T, BrokerError>, q: &str) {
    match r {
        Err(BrokerError::QueueNotFound(name)) => assert_eq!(name, q),
        other => panic!("expected QueueNotFound({q:?}), got {other:?}"),
    }
}

/// A message with retention (for the completed state).
fn kept(q: &str, id: &str, retention: i64) -> TaskMessage {
    TaskMessage {
        retention,
        ..msg(q, id)
    }
}

/// Enqueues `m`, dequeues it and returns it (its queue must have no other pending task).
async fn activate(env: &Env, m: &TaskMessage) -> TaskMessage {
    env.make_active(m).await;
    m.clone()
}

/// §5.2, §5.1: SMEMBERS sorted; SISMEMBER.
async fn case_queues_and_existence(env: &Env) {
    let b = &env.broker;
    assert!(b.all_queues().await.unwrap().is_empty());
    b.enqueue(&msg("zeta", "z1")).await.unwrap();
    b.enqueue(&msg("alpha", "a1")).await.unwrap();
    b.enqueue(&msg("Mid", "m1")).await.unwrap();
    assert_eq!(
        b.all_queues().await.unwrap(),
        vec!["Mid".to_string(), "alpha".into(), "zeta".into()]
    );
    assert!(b.queue_exists("alpha").await.unwrap());
    assert!(!b.queue_exists("nope").await.unwrap());
}

/// §5.3: every count, size including completed, groups, aggregating, today's and total
/// counters, paused, memory usage > 0.
async fn case_current_stats_all_states(env: &Env) {
    let b = &env.broker;
    let q = "stats";
    // active (processed before the rest is enqueued, so the dequeue takes it)
    let a = activate(env, &msg(q, "act")).await;
    // completed: active then mark as complete (+1 processed)
    let c = activate(env, &kept(q, "done", 3600)).await;
    b.mark_as_complete(&c).await.unwrap();
    // retry (+1 processed, +1 failed)
    let r = activate(env, &msg(q, "ret")).await;
    b.retry(&r, env.now() + Duration::from_secs(60), "boom", true)
        .await
        .unwrap();
    // archived (+1 processed, +1 failed)
    let ar = activate(env, &msg(q, "arc")).await;
    b.archive(&ar, "dead").await.unwrap();
    // pending, scheduled, aggregating
    for id in ["p1", "p2", "p3"] {
        b.enqueue(&msg(q, id)).await.unwrap();
    }
    b.schedule(&msg(q, "sch"), env.now() + Duration::from_secs(600))
        .await
        .unwrap();
    b.add_to_group(&msg(q, "g1a"), "g1").await.unwrap();
    b.add_to_group(&msg(q, "g1b"), "g1").await.unwrap();
    b.add_to_group(&msg(q, "g2a"), "g2").await.unwrap();
    env.raw.cmd(&["SET", &qkey(q, "paused"), "1"]).await;
    let _ = a;

    let s = b.current_stats(q).await.unwrap();
    assert_eq!(s.queue, q);
    assert_eq!(
        (
            s.pending,
            s.active,
            s.scheduled,
            s.retry,
            s.archived,
            s.completed
        ),
        (3, 1, 1, 1, 1, 1)
    );
    assert_eq!((s.groups, s.aggregating), (2, 3));
    assert_eq!(s.size, 3 + 1 + 1 + 1 + 1 + 1 + 3, "size includes completed");
    assert_eq!((s.processed, s.failed), (3, 2));
    assert_eq!((s.processed_total, s.failed_total), (3, 2));
    assert!(s.paused);
    assert_eq!(s.timestamp, env.now());
    assert!(s.memory_usage > 0, "memory usage {}", s.memory_usage);
    assert_eq!(b.memory_usage(q).await.unwrap(), s.memory_usage);

    // Counters near Go's MaxInt64 are read exactly (no Lua float rounding).
    let (_, _, processed_total, _) = env.counter_keys(q);
    env.raw
        .cmd(&["SET", &processed_total, "9223372036854775806"])
        .await;
    env.raw.cmd(&["DEL", &qkey(q, "paused")]).await;
    let s = b.current_stats(q).await.unwrap();
    assert_eq!(s.processed_total, 9_223_372_036_854_775_806);
    assert!(!s.paused);
}

/// §5.3: latency = now − pending_since of the next task to be dequeued (the oldest); zero when
/// that task has no pending_since or the queue is empty.
async fn case_current_stats_latency(env: &Env) {
    let b = &env.broker;
    let q = "lat";
    b.enqueue(&msg(q, "old")).await.unwrap();
    env.advance(5);
    b.enqueue(&msg(q, "new")).await.unwrap();
    env.advance(2);
    let s = b.current_stats(q).await.unwrap();
    assert_eq!(
        s.latency,
        Duration::from_secs(7),
        "measured from the oldest"
    );
    assert_eq!(s.pending, 2);

    // A requeued/run task at the head has no pending_since: latency 0.
    env.raw
        .cmd(&["HDEL", &task_key(q, "old"), "pending_since"])
        .await;
    assert_eq!(b.current_stats(q).await.unwrap().latency, Duration::ZERO);

    // Empty pending: 0.
    b.dequeue(&[q.to_string()]).await.unwrap();
    b.dequeue(&[q.to_string()]).await.unwrap();
    let s = b.current_stats(q).await.unwrap();
    assert_eq!((s.pending, s.active, s.latency), (0, 2, Duration::ZERO));
}

/// §5.1: a queue not in asynq:queues → QueueNotFound, even when it has keys.
async fn case_current_stats_unknown_queue(env: &Env) {
    let b = &env.broker;
    env.raw
        .cmd(&["LPUSH", &qkey("ghost", "pending"), "x"])
        .await;
    expect_queue_not_found(b.current_stats("ghost").await, "ghost");
    expect_queue_not_found(b.historical_stats("ghost", 3).await, "ghost");
    expect_queue_not_found(b.get_task_info("ghost", "x").await, "ghost");
}

/// §1.4: Go v0.26 fails on a dangling ID; this estimate counts it as 0 bytes. Empty groups and
/// group names without tasks add nothing (no NaN).
async fn case_memory_usage_tolerates_dangling_ids(env: &Env) {
    let b = &env.broker;
    let q = "mem";
    b.enqueue(&msg(q, "real")).await.unwrap();
    env.raw
        .cmd(&["LPUSH", &qkey(q, "pending"), "dangling"])
        .await;
    env.raw
        .cmd(&["ZADD", &qkey(q, "archived"), "1", "gone"])
        .await;
    env.raw.cmd(&["SADD", &qkey(q, "groups"), "empty"]).await;
    let n = b.memory_usage(q).await.unwrap();
    assert!(n > 0, "memory usage {n}");
    let s = b.current_stats(q).await.unwrap();
    assert_eq!(
        (s.pending, s.archived, s.groups, s.aggregating),
        (2, 1, 1, 0)
    );
    // An empty queue only counts its (absent) keys: 0.
    b.enqueue(&msg("empty", "e")).await.unwrap();
    b.dequeue(&["empty".to_string()]).await.unwrap();
    env.raw
        .cmd(&[
            "DEL",
            &qkey("empty", "active"),
            &qkey("empty", "lease"),
            &task_key("empty", "e"),
        ])
        .await;
    assert_eq!(b.memory_usage("empty").await.unwrap(), 0);
}

/// §5.4: n days, today (UTC) first, dates now − i × 24 h, zeros for missing counters.
async fn case_historical_stats(env: &Env) {
    let b = &env.broker;
    let q = "hist";
    b.enqueue(&msg(q, "x")).await.unwrap();
    let now = env.now();
    let day = Duration::from_secs(86_400);
    for (i, (p, f)) in [(10, 1), (20, 2), (30, 3)].into_iter().enumerate() {
        let date = utc_date(now - day * i as u32);
        env.raw
            .cmd(&[
                "SET",
                &qkey(q, &format!("processed:{date}")),
                &p.to_string(),
            ])
            .await;
        env.raw
            .cmd(&["SET", &qkey(q, &format!("failed:{date}")), &f.to_string()])
            .await;
    }
    let h = b.historical_stats(q, 7).await.unwrap();
    assert_eq!(h.len(), 7);
    let got: Vec<(i64, i64)> = h.iter().map(|d| (d.processed, d.failed)).collect();
    assert_eq!(
        got,
        vec![(10, 1), (20, 2), (30, 3), (0, 0), (0, 0), (0, 0), (0, 0)]
    );
    for (i, d) in h.iter().enumerate() {
        assert_eq!(d.queue, q);
        assert_eq!(d.date, now - day * i as u32);
        assert_eq!(d.date.offset(), time::UtcOffset::UTC);
    }
    assert_eq!(b.historical_stats(q, 1).await.unwrap().len(), 1);
    for n in [0, -1] {
        match b.historical_stats(q, n).await {
            Err(BrokerError::FailedPrecondition(m)) => {
                assert_eq!(m, "the number of days must be positive")
            }
            other => panic!("days {n}: {other:?}"),
        }
    }
}

/// §5.6: state, next process time per state, result, errors.
async fn case_get_task_info(env: &Env) {
    let b = &env.broker;
    let q = "info";
    let now = env.now_secs();
    let at = |s: i64| OffsetDateTime::from_unix_timestamp(s).unwrap();

    let act = activate(env, &msg(q, "act")).await;
    b.write_result(q, "act", b"partial").await.unwrap();
    b.enqueue(&msg(q, "pen")).await.unwrap();
    b.schedule(&msg(q, "sch"), at(now + 100)).await.unwrap();
    b.add_to_group(&msg(q, "agg"), "grp").await.unwrap();

    let t = b.get_task_info(q, "act").await.unwrap();
    assert_eq!((t.state, t.next_process_at), (TaskState::Active, None));
    assert_eq!(t.msg, act);
    assert_eq!(t.result.as_deref(), Some(&b"partial"[..]));
    assert_eq!(t.score, None);

    let t = b.get_task_info(q, "pen").await.unwrap();
    assert_eq!(
        (t.state, t.next_process_at),
        (TaskState::Pending, Some(at(now)))
    );
    assert_eq!(t.result, None);

    let t = b.get_task_info(q, "sch").await.unwrap();
    assert_eq!(
        (t.state, t.next_process_at),
        (TaskState::Scheduled, Some(at(now + 100)))
    );

    let t = b.get_task_info(q, "agg").await.unwrap();
    assert_eq!((t.state, t.next_process_at), (TaskState::Aggregating, None));
    assert_eq!(t.msg.id, "agg");

    // retry: the retry-at score.
    let d = b.dequeue(&[q.to_string()]).await.unwrap();
    assert_eq!(d.msg.id, "pen");
    b.retry(&d.msg, at(now + 42), "oops", true).await.unwrap();
    let t = b.get_task_info(q, "pen").await.unwrap();
    assert_eq!(
        (t.state, t.next_process_at),
        (TaskState::Retry, Some(at(now + 42)))
    );
    assert_eq!((t.msg.retried, t.msg.error_msg.as_str()), (1, "oops"));

    match b.get_task_info(q, "missing").await {
        Err(BrokerError::TaskNotFound { queue, id }) => {
            assert_eq!((queue.as_str(), id.as_str()), (q, "missing"))
        }
        other => panic!("expected TaskNotFound, got {other:?}"),
    }
    env.raw
        .cmd(&["HSET", &task_key(q, "sch"), "state", "weird"])
        .await;
    match b.get_task_info(q, "sch").await {
        Err(BrokerError::FailedPrecondition(m)) => {
            assert_eq!(m, "\"weird\" is not supported task state")
        }
        other => panic!("expected FailedPrecondition, got {other:?}"),
    }
}

/// §5.7: (name, size) per group, no existence check.
async fn case_group_stats(env: &Env) {
    let b = &env.broker;
    let q = "grp";
    assert!(b.group_stats("unknown").await.unwrap().is_empty());
    for (id, g) in [("a", "x"), ("b", "x"), ("c", "y:z")] {
        b.add_to_group(&msg(q, id), g).await.unwrap();
    }
    let mut got: Vec<(String, i64)> = b
        .group_stats(q)
        .await
        .unwrap()
        .into_iter()
        .map(|g| (g.group, g.size))
        .collect();
    got.sort();
    assert_eq!(got, vec![("x".to_string(), 2), ("y:z".to_string(), 1)]);
}

/// The pages of `total` entries of size `size`, for pages 1..=4, as rank ranges.
fn pages(total: usize, size: usize) -> Vec<(i64, i64, std::ops::Range<usize>)> {
    (1..=4)
        .map(|page| {
            let start = size * (page - 1);
            let stop = start + size - 1;
            let lo = start.min(total);
            let hi = (stop + 1).min(total);
            (start as i64, stop as i64, lo..hi)
        })
        .collect()
}

/// §5.8: 75 pending tasks, pages of 10/30/100: oldest (next to be dequeued) first.
async fn case_list_pending_pagination(env: &Env) {
    let b = &env.broker;
    let q = "page";
    let all: Vec<String> = (0..75).map(|i| format!("t{i:02}")).collect();
    for id in &all {
        b.enqueue(&msg(q, id)).await.unwrap();
    }
    for size in [10, 30, 100] {
        for (start, stop, want) in pages(75, size) {
            let got = b.list_pending(q, start, stop).await.unwrap();
            assert_eq!(
                ids(&got),
                all[want].to_vec(),
                "size {size} ranks {start}..={stop}"
            );
            for t in &got {
                assert_eq!(t.state, TaskState::Pending);
                assert_eq!(t.next_process_at, Some(env.now()));
                assert_eq!(t.score, None);
            }
        }
    }
    assert!(b.list_pending(q, 0, -1).await.unwrap().is_empty(), "size 0");
    // The first listed is the one dequeued next.
    let d = b.dequeue(&[q.to_string()]).await.unwrap();
    assert_eq!(d.msg.id, "t00");
    let active = b.list_active(q, 0, 9).await.unwrap();
    assert_eq!(ids(&active), vec!["t00".to_string()]);
}

/// §5.8: 75 scheduled and 75 archived tasks: ascending score, pages of 10/30/100.
async fn case_list_zsets_pagination(env: &Env) {
    let b = &env.broker;
    let q = "zpage";
    b.enqueue(&msg(q, "reg")).await.unwrap();
    let base = env.now_secs() + 1000;
    bulk_zset(env, q, "scheduled", "scheduled", "s", 75, base).await;
    bulk_zset(env, q, "archived", "archived", "a", 75, base - 5000).await;
    let sched: Vec<String> = (0..75).map(|i| format!("s{i:02}")).collect();
    let arch: Vec<String> = (0..75).map(|i| format!("a{i:02}")).collect();
    for size in [10, 30, 100] {
        for (start, stop, want) in pages(75, size) {
            let got = b.list_scheduled(q, start, stop).await.unwrap();
            assert_eq!(
                ids(&got),
                sched[want.clone()].to_vec(),
                "scheduled size {size}"
            );
            for t in &got {
                let i: i64 = t.msg.id[1..].parse().unwrap();
                assert_eq!(t.score, Some(base + i));
                assert_eq!(
                    t.next_process_at,
                    Some(OffsetDateTime::from_unix_timestamp(base + i).unwrap())
                );
            }
            let got = b.list_archived(q, start, stop).await.unwrap();
            assert_eq!(ids(&got), arch[want].to_vec(), "archived size {size}");
            assert!(got
                .iter()
                .all(|t| t.next_process_at.is_none() && t.state == TaskState::Archived));
        }
    }
}

/// §5.8: retry (next = score), completed (earliest expiry first, no next), aggregating (order
/// added), active with lease scores, results, undecodable messages skipped.
async fn case_list_states_and_scores(env: &Env) {
    let b = &env.broker;
    let q = "states";
    let now = env.now_secs();
    let at = |s: i64| OffsetDateTime::from_unix_timestamp(s).unwrap();

    // two completed with different retention: the earlier expiry first.
    let c1 = activate(env, &kept(q, "c-long", 500)).await;
    b.mark_as_complete(&c1).await.unwrap();
    let c2 = activate(env, &kept(q, "c-short", 100)).await;
    b.mark_as_complete(&c2).await.unwrap();
    let got = b.list_completed(q, 0, 29).await.unwrap();
    assert_eq!(ids(&got), vec!["c-short".to_string(), "c-long".into()]);
    assert_eq!(got[0].score, Some(now + 100));
    assert!(got.iter().all(|t| t.next_process_at.is_none()));
    assert!(got[0].msg.completed_at > 0);

    // retry: next = retry-at.
    let r1 = activate(env, &msg(q, "r-late")).await;
    b.retry(&r1, at(now + 90), "e1", true).await.unwrap();
    let r2 = activate(env, &msg(q, "r-soon")).await;
    b.write_result(q, "r-soon", b"out").await.unwrap();
    b.retry(&r2, at(now + 30), "e2", false).await.unwrap();
    let got = b.list_retry(q, 0, 29).await.unwrap();
    assert_eq!(ids(&got), vec!["r-soon".to_string(), "r-late".into()]);
    assert_eq!(got[0].next_process_at, Some(at(now + 30)));
    assert_eq!(got[0].result.as_deref(), Some(&b"out"[..]));
    assert_eq!(got[1].result, None);

    // aggregating in the order added.
    b.add_to_group(&msg(q, "g-first"), "grp").await.unwrap();
    env.advance(3);
    b.add_to_group(&msg(q, "g-second"), "grp").await.unwrap();
    let got = b.list_aggregating(q, "grp", 0, 29).await.unwrap();
    assert_eq!(ids(&got), vec!["g-first".to_string(), "g-second".into()]);
    assert_eq!(got[0].score, Some(now));
    assert_eq!(got[1].score, Some(now + 3));
    assert!(got
        .iter()
        .all(|t| t.state == TaskState::Aggregating && t.next_process_at.is_none()));
    assert!(b
        .list_aggregating(q, "nope", 0, 29)
        .await
        .unwrap()
        .is_empty());

    // active: longest-running first, lease expiry as score (None without a lease).
    let a1 = activate(env, &msg(q, "a-first")).await;
    env.advance(1);
    let a2 = activate(env, &msg(q, "a-second")).await;
    let got = b.list_active(q, 0, 29).await.unwrap();
    assert_eq!(ids(&got), vec![a1.id.clone(), a2.id.clone()]);
    assert_eq!(got[0].score, Some(now + 3 + 30));
    assert_eq!(got[1].score, Some(now + 4 + 30));
    assert!(got
        .iter()
        .all(|t| t.state == TaskState::Active && t.next_process_at.is_none()));
    env.raw.cmd(&["ZREM", &qkey(q, "lease"), "a-second"]).await;
    let got = b.list_active(q, 0, 29).await.unwrap();
    assert_eq!(got[1].score, None);

    // an undecodable message is skipped, the rest listed.
    env.hset_bytes(&task_key(q, "r-late"), "msg", b"\xff\xff\xff")
        .await;
    let got = b.list_retry(q, 0, 29).await.unwrap();
    assert_eq!(ids(&got), vec!["r-soon".to_string()]);
}

/// §5.1: every listing checks the queue.
async fn case_list_unknown_queue(env: &Env) {
    let b = &env.broker;
    expect_queue_not_found(b.list_pending("nq", 0, 9).await, "nq");
    expect_queue_not_found(b.list_active("nq", 0, 9).await, "nq");
    expect_queue_not_found(b.list_scheduled("nq", 0, 9).await, "nq");
    expect_queue_not_found(b.list_retry("nq", 0, 9).await, "nq");
    expect_queue_not_found(b.list_archived("nq", 0, 9).await, "nq");
    expect_queue_not_found(b.list_completed("nq", 0, 9).await, "nq");
    expect_queue_not_found(b.list_aggregating("nq", "g", 0, 9).await, "nq");
}

fn server(host: &str, id: &str) -> ServerInfo {
    ServerInfo {
        host: host.into(),
        pid: 42,
        server_id: id.into(),
        concurrency: 10,
        queues: [("default".to_string(), 1)].into(),
        strict_priority: false,
        status: "active".into(),
        start_time: Some(asynq_proto::Timestamp {
            seconds: 1_700_000_000,
            nanos: 0,
        }),
        active_worker_count: 1,
    }
}

fn worker(s: &ServerInfo, task: &str) -> WorkerInfo {
    WorkerInfo {
        host: s.host.clone(),
        pid: s.pid,
        server_id: s.server_id.clone(),
        task_id: task.into(),
        task_type: "t".into(),
        task_payload: Bytes::from_static(b"p"),
        queue: "default".into(),
        start_time: Some(asynq_proto::Timestamp {
            seconds: 1_700_000_001,
            nanos: 0,
        }),
        deadline: Some(asynq_proto::Timestamp {
            seconds: 1_700_000_100,
            nanos: 0,
        }),
    }
}

/// §5.14: live servers and workers listed; entries past their expiry pruned by the reader.
async fn case_servers_and_workers_pruned(env: &Env) {
    let b = &env.broker;
    let s1 = server("h1", "srv-1");
    let s2 = server("h2", "srv-2");
    b.write_server_state(
        &s1,
        &[worker(&s1, "w1"), worker(&s1, "w2")],
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    b.write_server_state(&s2, &[], Duration::from_secs(60))
        .await
        .unwrap();
    // A member without its key is skipped.
    env.raw
        .cmd(&[
            "ZADD",
            "asynq:servers",
            &(env.now_secs() + 100).to_string(),
            "asynq:servers:{gone}",
        ])
        .await;
    let mut servers = b.list_servers().await.unwrap();
    servers.sort_by(|a, b| a.server_id.cmp(&b.server_id));
    assert_eq!(servers, vec![s1.clone(), s2.clone()]);
    let mut workers: Vec<String> = b
        .list_workers()
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.task_id)
        .collect();
    workers.sort();
    assert_eq!(workers, vec!["w1".to_string(), "w2".into()]);
    assert_eq!(env.zcard("asynq:servers").await, 3);

    // 10 s later the first server's score equals now: still listed, not pruned.
    env.advance(10);
    assert_eq!(b.list_servers().await.unwrap().len(), 2);
    // One more second: listed no more, and removed from both sets.
    env.advance(1);
    assert_eq!(b.list_servers().await.unwrap(), vec![s2.clone()]);
    assert!(b.list_workers().await.unwrap().is_empty());
    assert_eq!(env.zcard("asynq:servers").await, 2);
    assert_eq!(env.zcard("asynq:workers").await, 1);
}

/// §5.15: entries decoded with Go-format option strings and Go's zero time; enqueue events
/// newest first, paginated; a bad event fails the call.
async fn case_scheduler_entries_and_events(env: &Env) {
    let b = &env.broker;
    let zero = asynq_proto::go_zero_timestamp();
    let e1 = SchedulerEntry {
        id: "entry-1".into(),
        spec: "@every 30s".into(),
        task_type: "report".into(),
        task_payload: Bytes::from_static(b"{}"),
        enqueue_options: vec![
            "Queue(\"critical\")".into(),
            "MaxRetry(3)".into(),
            "Timeout(1m30s)".into(),
            "Deadline(Mon Jan  2 15:04:05 UTC 2026)".into(),
        ],
        next_enqueue_time: Some(asynq_proto::Timestamp {
            seconds: env.now_secs() + 30,
            nanos: 0,
        }),
        prev_enqueue_time: Some(zero),
    };
    let e2 = SchedulerEntry {
        id: "entry-2".into(),
        spec: "0 * * * *".into(),
        task_type: "hourly".into(),
        enqueue_options: vec!["Unique(1m0s)".into(), "garbage".into()],
        ..e1.clone()
    };
    let key_live = asynq_broker::keys::scheduler_entries_key("host:1:live");
    let key_dead = asynq_broker::keys::scheduler_entries_key("host:2:dead");
    for (key, entries) in [(&key_live, vec![&e1, &e2]), (&key_dead, vec![&e1])] {
        for e in entries {
            let _: i64 = fred::interfaces::ListInterface::rpush(
                env.raw.client(),
                key.as_str(),
                asynq_proto::encode(e),
            )
            .await
            .unwrap();
        }
    }
    env.raw
        .cmd(&["RPUSH", &key_live, "not a protobuf \u{ff}"])
        .await;
    let now = env.now_secs();
    env.raw
        .cmd(&[
            "ZADD",
            "asynq:schedulers",
            &(now + 20).to_string(),
            &key_live,
        ])
        .await;
    env.raw
        .cmd(&[
            "ZADD",
            "asynq:schedulers",
            &(now - 5).to_string(),
            &key_dead,
        ])
        .await;
    let got = b.list_scheduler_entries().await.unwrap();
    assert_eq!(got, vec![e1.clone(), e2.clone()]);
    assert_eq!(
        env.zcard("asynq:schedulers").await,
        1,
        "expired scheduler pruned"
    );

    // Events: newest first.
    let hist = asynq_broker::keys::scheduler_history_key("entry-1");
    for i in 0..35i64 {
        let ev = SchedulerEnqueueEvent {
            task_id: format!("task-{i:02}"),
            enqueue_time: Some(asynq_proto::Timestamp {
                seconds: now - 100 + i,
                nanos: 0,
            }),
        };
        let _: i64 = fred::interfaces::SortedSetsInterface::zadd(
            env.raw.client(),
            hist.as_str(),
            None,
            None,
            false,
            false,
            ((now - 100 + i) as f64, asynq_proto::encode(&ev)),
        )
        .await
        .unwrap();
    }
    let page1 = b
        .list_scheduler_enqueue_events("entry-1", 0, 29)
        .await
        .unwrap();
    assert_eq!(page1.len(), 30);
    assert_eq!(page1[0].task_id, "task-34");
    assert_eq!(page1[29].task_id, "task-05");
    let page2 = b
        .list_scheduler_enqueue_events("entry-1", 30, 59)
        .await
        .unwrap();
    let ids: Vec<&str> = page2.iter().map(|e| e.task_id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["task-04", "task-03", "task-02", "task-01", "task-00"]
    );
    assert!(b
        .list_scheduler_enqueue_events("unknown", 0, 29)
        .await
        .unwrap()
        .is_empty());
    env.raw
        .cmd(&["ZADD", &hist, &(now + 1).to_string(), "\u{ff}\u{ff}"])
        .await;
    assert!(matches!(
        b.list_scheduler_enqueue_events("entry-1", 0, 29).await,
        Err(BrokerError::Decode { .. })
    ));
}

/// §5.5: INFO parsed; CLUSTER INFO on the cluster, an error on a single node.
async fn case_redis_info(env: &Env) {
    let b = &env.broker;
    let info = b.redis_info().await.unwrap();
    assert!(info.contains_key("redis_version"), "{info:?}");
    assert!(info.keys().all(|k| !k.starts_with('#')));
    let ci = b.redis_cluster_info().await;
    if env.cluster {
        let ci = ci.unwrap();
        assert_eq!(ci.get("cluster_state").map(String::as_str), Some("ok"));
        assert_eq!(ci.get("cluster_size").map(String::as_str), Some("3"));
    } else {
        assert!(ci.is_err(), "CLUSTER INFO without cluster support: {ci:?}");
    }
}

/// §5.17: CLUSTER KEYSLOT of the pending key; the nodes of the range holding it.
async fn case_cluster_slot_and_nodes(env: &Env) {
    let b = &env.broker;
    if !env.cluster {
        assert!(b.cluster_key_slot("default").await.is_err());
        assert!(b.cluster_nodes("default").await.is_err());
        return;
    }
    for q in ["default", "critical", "a{b}c"] {
        let slot = b.cluster_key_slot(q).await.unwrap();
        let pending = format!("asynq:{{{q}}}:pending");
        assert_eq!(
            slot,
            i64::from(fred::util::redis_keyslot(pending.as_bytes())),
            "{q}"
        );
        let nodes = b.cluster_nodes(q).await.unwrap();
        assert_eq!(nodes.len(), 1, "3 masters without replicas: {nodes:?}");
        assert_eq!(nodes[0].id.len(), 40, "{nodes:?}");
        let addrs = match &env.opt {
            asynq_broker::RedisConnOpt::Cluster(o) => o.addrs.clone(),
            other => panic!("cluster option expected: {other:?}"),
        };
        let port = nodes[0].addr.rsplit(':').next().unwrap().to_string();
        assert!(
            addrs.iter().any(|a| a.ends_with(&format!(":{port}"))),
            "{nodes:?} not among {addrs:?}"
        );
        // The node really owns the slot: a command for the key sent to it is not redirected.
        let owner = fred::util::redis_keyslot(pending.as_bytes());
        assert_eq!(i64::from(owner), slot);
    }
}
