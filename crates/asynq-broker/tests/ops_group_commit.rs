//! Concurrent plain enqueues of one queue share script calls (group commit): what Redis holds
//! afterwards is what one call per task writes. Real Redis, single node and Cluster, plus
//! single-node cases behind a slow proxy that make the batching deterministic.

#[macro_use]
mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use asynq_broker::ops::subscription::{Notice, Subscription};
use asynq_broker::{Broker, BrokerError, ManualClock};
use bytes::Bytes;
use common::{msg, qkey, set, Env};
use time::OffsetDateTime;

broker_cases!(
    case_concurrent_enqueues_store_every_task,
    case_same_id_from_many_callers_succeeds_once,
    case_dropped_callers_do_not_wedge_the_queue,
    case_one_wakeup_per_empty_to_non_empty,
    case_enqueue_batch_uses_chunks_in_input_order,
);

const CALLERS: usize = 32;
const PER_CALLER: usize = 63;

/// 2,016 tasks from 32 concurrent callers on one broker: every task is stored exactly as a
/// single enqueue stores it, each caller's tasks are in the list in its completion order, and
/// no counter is touched.
async fn case_concurrent_enqueues_store_every_task(env: &Env) {
    let callers: Vec<_> = (0..CALLERS)
        .map(|c| {
            let b = env.broker.clone();
            tokio::spawn(async move {
                for k in 0..PER_CALLER {
                    let mut m = msg("default", &format!("c{c}-{k}"));
                    m.payload = Bytes::from(vec![b'a' + (k % 26) as u8; 100 + k]);
                    b.enqueue(&m).await.expect("enqueue");
                }
            })
        })
        .collect();
    for c in callers {
        c.await.expect("caller");
    }
    let ns = env.now_ns().to_string();
    let list = env.raw.lrange(&qkey("default", "pending")).await;
    assert_eq!(list.len(), CALLERS * PER_CALLER);
    // Oldest at the right end: per caller, k must grow from right to left.
    let mut last: HashMap<String, usize> = HashMap::new();
    for id in list.iter().rev() {
        let (c, k) = id.split_once('-').expect("id c<c>-<k>");
        let k: usize = k.parse().expect("k");
        if let Some(prev) = last.insert(c.to_string(), k) {
            assert!(prev < k, "{c}: task {k} pushed before {prev}");
        }
    }
    for c in 0..CALLERS {
        for k in 0..PER_CALLER {
            let id = format!("c{c}-{k}");
            let h = env.hash("default", &id).await;
            assert_eq!(
                h.keys().cloned().collect::<std::collections::BTreeSet<_>>(),
                set(&["msg", "pending_since", "state"]),
                "{id}"
            );
            assert_eq!(h["state"], b"pending");
            assert_eq!(h["pending_since"], ns.as_bytes());
            let mut want = msg("default", &id);
            want.payload = Bytes::from(vec![b'a' + (k % 26) as u8; 100 + k]);
            assert_eq!(env.stored_msg("default", &id).await, want);
        }
    }
    env.assert_no_counters("default").await;
    assert_eq!(env.raw.smembers("asynq:queues").await, set(&["default"]));
    if !env.cluster {
        let stats = env.raw.cmd(&["INFO", "commandstats"]).await;
        let stats = stats.as_str().map(|s| s.to_string()).unwrap_or_default();
        let calls: usize = stats
            .lines()
            .find_map(|l| l.strip_prefix("cmdstat_evalsha:calls="))
            .and_then(|l| l.split(',').next())
            .and_then(|n| n.parse().ok())
            .expect("evalsha calls");
        assert!(
            calls < CALLERS * PER_CALLER,
            "{calls} script calls for {} tasks: none shared",
            CALLERS * PER_CALLER
        );
    }
}

/// 24 concurrent callers with one task ID: exactly one succeeds, the others get
/// `TaskIdConflict`, and the list holds the ID once.
async fn case_same_id_from_many_callers_succeeds_once(env: &Env) {
    // Background traffic keeps calls in flight so that the duplicates share batches.
    let noise: Vec<_> = (0..8)
        .map(|c| {
            let b = env.broker.clone();
            tokio::spawn(async move {
                for k in 0..20 {
                    b.enqueue(&msg("default", &format!("n{c}-{k}")))
                        .await
                        .expect("enqueue");
                }
            })
        })
        .collect();
    let dups: Vec<_> = (0..24)
        .map(|i| {
            let b = env.broker.clone();
            tokio::spawn(async move {
                let mut m = msg("default", "dup");
                m.payload = Bytes::from(format!("caller {i}"));
                (m.clone(), b.enqueue(&m).await)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for d in dups {
        let (m, r) = d.await.expect("caller");
        match r {
            Ok(()) => winners.push(m),
            Err(BrokerError::TaskIdConflict) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    for n in noise {
        n.await.expect("noise");
    }
    assert_eq!(winners.len(), 1, "exactly one caller wins");
    assert_eq!(env.stored_msg("default", "dup").await, winners[0]);
    let list = env.raw.lrange(&qkey("default", "pending")).await;
    assert_eq!(list.iter().filter(|id| *id == "dup").count(), 1);
    assert_eq!(list.len(), 8 * 20 + 1);
}

/// Callers whose futures are dropped at random points (while leading, while waiting, while
/// their batch is in flight) never hold up later enqueues; every caller that got `Ok` is
/// stored, and whatever is stored is complete.
async fn case_dropped_callers_do_not_wedge_the_queue(env: &Env) {
    let callers: Vec<_> = (0..32)
        .map(|c| {
            let b = env.broker.clone();
            tokio::spawn(async move {
                let mut ok = Vec::new();
                for k in 0..40 {
                    let id = format!("c{c}-{k}");
                    // Timeouts from 0 to ~300 µs cut calls short at every stage.
                    let limit = Duration::from_micros(((c * 7 + k * 13) % 300) as u64);
                    if let Ok(r) =
                        tokio::time::timeout(limit, b.enqueue(&msg("default", &id))).await
                    {
                        r.expect("enqueue");
                        ok.push(id);
                    }
                }
                ok
            })
        })
        .collect();
    let mut ok = Vec::new();
    for c in callers {
        ok.extend(c.await.expect("caller"));
    }
    // The queue still works, for a lone caller and for a crowd.
    let after = tokio::time::timeout(
        Duration::from_secs(10),
        env.broker.enqueue(&msg("default", "after")),
    )
    .await;
    assert!(matches!(after, Ok(Ok(()))), "{after:?}");
    let crowd: Vec<_> = (0..32)
        .map(|c| {
            let b = env.broker.clone();
            tokio::spawn(async move {
                tokio::time::timeout(
                    Duration::from_secs(10),
                    b.enqueue(&msg("default", &format!("crowd{c}"))),
                )
                .await
            })
        })
        .collect();
    for c in crowd {
        let r = c.await.expect("caller");
        assert!(matches!(r, Ok(Ok(()))), "{r:?}");
    }
    let list = env.raw.lrange(&qkey("default", "pending")).await;
    for id in &ok {
        assert!(
            list.contains(id),
            "{id} was reported enqueued but is missing"
        );
    }
    for id in &list {
        assert_eq!(
            env.fields("default", id).await,
            set(&["msg", "pending_since", "state"]),
            "{id}"
        );
    }
    let hashes = env.raw.keys(&qkey("default", "t:*")).await;
    assert_eq!(hashes.len(), list.len(), "every hash is in the list");
}

/// Many concurrent callers filling an empty queue publish one wake-up; after the list was
/// emptied, the next crowd publishes one more.
async fn case_one_wakeup_per_empty_to_non_empty(env: &Env) {
    let mut sub = env
        .broker
        .subscribe_worker(&["default".to_string()])
        .await
        .expect("subscribe");
    for round in 0..2 {
        let crowd: Vec<_> = (0..24)
            .map(|c| {
                let b = env.broker.clone();
                tokio::spawn(async move {
                    for k in 0..5 {
                        b.enqueue(&msg("default", &format!("r{round}-c{c}-{k}")))
                            .await
                            .expect("enqueue");
                    }
                })
            })
            .collect();
        for c in crowd {
            c.await.expect("caller");
        }
        assert_eq!(env.llen(&qkey("default", "pending")).await, 120);
        assert_eq!(wakeups(&mut sub).await, 1, "round {round}");
        env.raw.cmd(&["DEL", &qkey("default", "pending")]).await;
    }
    sub.close().await;
}

/// Wake-ups of `default` received until nothing more arrives for 300 ms.
async fn wakeups(sub: &mut Subscription) -> usize {
    let mut n = 0;
    while let Ok(Some(notice)) = tokio::time::timeout(Duration::from_millis(300), sub.next()).await
    {
        if notice == Notice::Wakeup("default".into()) {
            n += 1;
        }
    }
    n
}

/// `enqueue_batch` with more immediate tasks than fit one script call: every queue's list
/// gets its tasks in input order, duplicates within the batch lose to the first, per-task
/// results stay in input order.
async fn case_enqueue_batch_uses_chunks_in_input_order(env: &Env) {
    use asynq_broker::BatchItem;
    let mut items = Vec::new();
    for i in 0..300 {
        let q = if i % 3 == 0 { "mail" } else { "default" };
        items.push(BatchItem {
            msg: msg(q, &format!("t{i}")),
            process_at: None,
        });
    }
    // A duplicate of t1 (same queue) late in the batch, and one scheduled item.
    let mut dup = msg("default", "t1");
    dup.payload = Bytes::from_static(b"second");
    items.push(BatchItem {
        msg: dup,
        process_at: None,
    });
    items.push(BatchItem {
        msg: msg("default", "later"),
        process_at: Some(env.now() + Duration::from_secs(30)),
    });
    let results = env.broker.enqueue_batch(&items).await.expect("batch");
    assert_eq!(results.len(), 302);
    for (i, r) in results.iter().enumerate() {
        if i == 300 {
            assert!(matches!(r, Err(BrokerError::TaskIdConflict)), "{r:?}");
        } else {
            assert!(r.is_ok(), "item {i}: {r:?}");
        }
    }
    let want = |keep: fn(&usize) -> bool| -> Vec<String> {
        (0..300)
            .filter(keep)
            .rev()
            .map(|i| format!("t{i}"))
            .collect()
    };
    assert_eq!(
        env.raw.lrange(&qkey("default", "pending")).await,
        want(|i| i % 3 != 0)
    );
    assert_eq!(
        env.raw.lrange(&qkey("mail", "pending")).await,
        want(|i| i % 3 == 0)
    );
    assert_eq!(env.stored_msg("default", "t1").await, msg("default", "t1"));
    assert_eq!(env.zcard(&qkey("default", "scheduled")).await, 1);
    let ns = env.now_ns().to_string();
    assert_eq!(
        env.field("mail", "t0", "pending_since").await.as_deref(),
        Some(ns.as_str())
    );
}

/// A broker behind a proxy that holds every client chunk for `delay`, so that calls arriving
/// while one is in flight queue up behind it.
async fn slow_broker(env: &Env, delay: Duration) -> (common::Proxy, Broker) {
    let proxy = common::Proxy::start(
        common::single_addr(&env.opt),
        common::ProxyBehaviour {
            delay,
            flush_before: None,
        },
    )
    .await;
    let opt = asynq_broker::RedisConnOpt::parse_uri(&format!("redis://{}", proxy.addr()))
        .expect("proxy uri");
    let b = Broker::connect(opt).await.expect("connect");
    // Registers the queue and loads both scripts, so the measured calls send nothing else.
    b.enqueue(&msg("default", "warm")).await.expect("warm-up");
    let r = b
        .enqueue_batch(&[asynq_broker::BatchItem {
            msg: msg("default", "warm2"),
            process_at: None,
        }])
        .await
        .expect("warm-up batch");
    assert!(r[0].is_ok());
    (proxy, b)
}

/// Gives spawned callers time to reach the queue's lane (there is no probe for it).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(30)).await;
}

/// Calls sent at once, each on its own, before callers share calls (the broker's limit).
const LEADERS: usize = 16;

/// `LEADERS` callers `lead0`.. whose calls the proxy holds, so that later callers queue.
fn spawn_leaders(b: &Broker) -> Vec<tokio::task::JoinHandle<Result<(), BrokerError>>> {
    (0..LEADERS)
        .map(|i| {
            let b = b.clone();
            tokio::spawn(async move { b.enqueue(&msg("default", &format!("lead{i}"))).await })
        })
        .collect()
}

/// The pending list is `newest` (newest first), then the leaders in any order, then the
/// warm-up tasks.
async fn assert_list_with_leaders(env: &Env, newest: &[&str]) {
    let list = env.raw.lrange(&qkey("default", "pending")).await;
    assert_eq!(list.len(), newest.len() + LEADERS + 2, "{list:?}");
    assert_eq!(&list[..newest.len()], common::strings(newest).as_slice());
    let leads: std::collections::BTreeSet<String> = list[newest.len()..newest.len() + LEADERS]
        .iter()
        .cloned()
        .collect();
    let want: std::collections::BTreeSet<String> =
        (0..LEADERS).map(|i| format!("lead{i}")).collect();
    assert_eq!(leads, want);
    assert_eq!(
        &list[newest.len() + LEADERS..],
        common::strings(&["warm2", "warm"]).as_slice()
    );
}

/// Deterministic batch: while the leaders' calls are held by the proxy, callers queue in order;
/// they go out as one call: the first of two with one ID wins, each keeps its own
/// `pending_since`, and the list gets them in arrival order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_callers_share_one_call_in_arrival_order() {
    let env = Env::single().await;
    let (_proxy, b) = slow_broker(&env, Duration::from_millis(150)).await;
    let base = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
    let at = |i: i64| {
        let clock = ManualClock::new(base + Duration::from_nanos(i as u64 * 1_000_001));
        b.clone().with_clock(Arc::new(clock))
    };
    let leads = spawn_leaders(&at(0));
    settle().await;
    let evalsha_before = evalsha_calls(&env).await;
    let mut queued = Vec::new();
    for (i, id, payload) in [
        (1, "q1", "first q1"),
        (2, "dup", "first dup"),
        (3, "q3", "q3"),
        (4, "dup", "second dup"),
        (5, "q5", "q5"),
    ] {
        let b = at(i);
        let mut m = msg("default", id);
        m.payload = Bytes::from_static(payload.as_bytes());
        queued.push(tokio::spawn(async move { b.enqueue(&m).await }));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for lead in leads {
        assert!(lead.await.unwrap().is_ok());
    }
    let results: Vec<_> = futures::future::join_all(queued)
        .await
        .into_iter()
        .map(|r| r.expect("caller"))
        .collect();
    assert!(results[0].is_ok() && results[1].is_ok() && results[2].is_ok());
    assert!(
        matches!(results[3], Err(BrokerError::TaskIdConflict)),
        "{:?}",
        results[3]
    );
    assert!(results[4].is_ok());
    assert_eq!(
        evalsha_calls(&env).await - evalsha_before,
        LEADERS + 1,
        "the leaders' calls and one shared call"
    );
    assert_list_with_leaders(&env, &["q5", "q3", "dup", "q1"]).await;
    assert_eq!(
        env.stored_msg("default", "dup").await.payload,
        Bytes::from_static(b"first dup")
    );
    let mut since = BTreeMap::new();
    for id in ["lead0", "q1", "dup", "q3", "q5"] {
        since.insert(
            id,
            env.field("default", id, "pending_since")
                .await
                .expect("pending_since"),
        );
    }
    let ns = |i: i64| (1_700_000_000_123_456_789_i128 + i as i128 * 1_000_001).to_string();
    assert_eq!(since["lead0"], ns(0));
    assert_eq!(since["q1"], ns(1));
    assert_eq!(since["dup"], ns(2));
    assert_eq!(since["q3"], ns(3));
    assert_eq!(since["q5"], ns(5));
    let _ = b.close().await;
}

/// Leaders dropped while their calls are held by the proxy pass the lane on: the callers queued
/// behind them are answered, a caller dropped while queued is not needed by anybody, and later
/// calls run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_leader_and_waiter_do_not_wedge_the_queue() {
    let env = Env::single().await;
    let (_proxy, b) = slow_broker(&env, Duration::from_millis(150)).await;
    let leads = spawn_leaders(&b);
    settle().await;
    let kept = {
        let b = b.clone();
        tokio::spawn(async move { b.enqueue(&msg("default", "kept")).await })
    };
    let gone = {
        let b = b.clone();
        tokio::spawn(async move { b.enqueue(&msg("default", "gone")).await })
    };
    settle().await;
    gone.abort();
    settle().await;
    for lead in &leads {
        lead.abort();
    }
    let kept = tokio::time::timeout(Duration::from_secs(5), kept).await;
    assert!(matches!(kept, Ok(Ok(Ok(())))), "{kept:?}");
    let later =
        tokio::time::timeout(Duration::from_secs(5), b.enqueue(&msg("default", "later"))).await;
    assert!(matches!(later, Ok(Ok(()))), "{later:?}");
    // The dropped leaders' commands had been sent: they are stored. The dropped waiter was
    // skipped.
    assert_list_with_leaders(&env, &["later", "kept"]).await;
    assert!(!env.raw.exists(&common::task_key("default", "gone")).await);
    let _ = b.close().await;
}

async fn evalsha_calls(env: &Env) -> usize {
    let stats = env.raw.cmd(&["INFO", "commandstats"]).await;
    let stats = stats.as_str().map(|s| s.to_string()).unwrap_or_default();
    stats
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|l| l.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
