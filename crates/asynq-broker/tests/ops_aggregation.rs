//! Group aggregation broker operations against real Redis, single node and Cluster:
//! list_groups, aggregation_check, read_aggregation_set, delete_aggregation_set and
//! reclaim_stale_aggregation_sets (spec §4.16 to §4.20, §6.18).

#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use asynq_broker::{BrokerError, AGGREGATION_TIMEOUT};
use asynq_proto::TaskMessage;
use common::{assert_not_found, msg, qkey, set, task_key, Env};
use time::OffsetDateTime;

broker_cases!(
    case_list_groups,
    case_check_empty_group,
    case_check_not_ready_changes_nothing,
    case_check_max_size_takes_oldest,
    case_check_max_size_equal_unregisters_group,
    case_check_max_delay,
    case_check_max_delay_with_max_size_above_size,
    case_check_grace_period,
    case_read_aggregation_set,
    case_read_aggregation_set_reports_undecodable,
    case_read_aggregation_set_without_deadline,
    case_delete_aggregation_set,
    case_reclaim_stale_aggregation_sets,
    case_reclaim_nothing_stale,
);

const GRACE: Duration = Duration::from_secs(60);

/// `asynq:{q}:g:<g>`.
fn gkey(q: &str, g: &str) -> String {
    qkey(q, &format!("g:{g}"))
}

/// `asynq:{q}:g:<g>:<set id>`.
fn setkey(q: &str, g: &str, id: &str) -> String {
    qkey(q, &format!("g:{g}:{id}"))
}

/// Adds tasks `ids` to group `g` of `q`, one per second starting at the clock's time (the clock
/// is left one second after the last one). Returns the messages and their scores.
async fn add(env: &Env, q: &str, g: &str, ids: &[&str]) -> Vec<(TaskMessage, i64)> {
    let mut out = Vec::new();
    for id in ids {
        let mut m = msg(q, id);
        m.group_key = g.to_owned();
        env.broker.add_to_group(&m, g).await.expect("add to group");
        out.push((m, env.now_secs()));
        env.advance(1);
    }
    out
}

/// The members of a sorted set with whole-second scores.
async fn zset(env: &Env, key: &str) -> Vec<(String, i64)> {
    env.raw
        .zrange_withscores(key)
        .await
        .into_iter()
        .map(|(m, s)| (m, s as i64))
        .collect()
}

/// `(id, score)` pairs of `added[range]`.
fn scored(added: &[(TaskMessage, i64)]) -> Vec<(String, i64)> {
    added.iter().map(|(m, s)| (m.id.clone(), *s)).collect()
}

/// Every key of queue `q` with its type and content, for "nothing changed" checks.
async fn snapshot(env: &Env, q: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for key in env.raw.keys(&qkey(q, "*")).await {
        let content = match env.raw.key_type(&key).await.as_str() {
            "zset" => format!("{:?}", env.raw.zrange_withscores(&key).await),
            "set" => format!("{:?}", env.raw.smembers(&key).await),
            "hash" => format!("{:?}", env.raw.hgetall(&key).await),
            "list" => format!("{:?}", env.raw.lrange(&key).await),
            "string" => format!("{:?}", env.raw.get(&key).await),
            other => other.to_owned(),
        };
        out.insert(key, content);
    }
    out
}

/// Seconds → `Duration`.
fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Asserts the set `id` of `q`/`g` holds `want` and is registered with deadline `deadline`.
async fn assert_set(env: &Env, q: &str, g: &str, id: &str, want: &[(String, i64)], deadline: i64) {
    let key = setkey(q, g, id);
    assert_eq!(zset(env, &key).await, want, "members of {key}");
    assert_eq!(
        env.raw.zscore(&qkey(q, "aggregation_sets"), &key).await,
        Some(deadline as f64),
        "aggregation_sets member is the full set key, score = now + 120"
    );
}

/// §4.16: SMEMBERS asynq:{q}:groups, per queue.
async fn case_list_groups(env: &Env) {
    let b = &env.broker;
    assert!(b.list_groups("default").await.unwrap().is_empty());
    add(env, "default", "g1", &["a", "b"]).await;
    add(env, "default", "g2", &["c"]).await;
    add(env, "default", "x:y", &["d"]).await;
    add(env, "mail", "g3", &["e"]).await;
    let mut groups = b.list_groups("default").await.unwrap();
    groups.sort();
    assert_eq!(groups, vec!["g1", "g2", "x:y"]);
    assert_eq!(b.list_groups("mail").await.unwrap(), vec!["g3"]);
    assert!(b.list_groups("other").await.unwrap().is_empty());
}

/// §4.17 step 1: an empty group (even one still registered) yields no set and changes nothing.
async fn case_check_empty_group(env: &Env) {
    let b = &env.broker;
    env.raw
        .cmd(&["SADD", &qkey("default", "groups"), "g1"])
        .await;
    let before = snapshot(env, "default").await;
    for max_size in [0, 1, 5] {
        let got = b
            .aggregation_check("default", "g1", env.now(), secs(0), secs(1), max_size)
            .await
            .unwrap();
        assert_eq!(got, None);
    }
    assert_eq!(snapshot(env, "default").await, before);
    assert!(!env.raw.exists(&qkey("default", "aggregation_sets")).await);
}

/// §4.17 step 5: no trigger → None and nothing changed (no set, no aggregation_sets entry).
async fn case_check_not_ready_changes_nothing(env: &Env) {
    let b = &env.broker;
    let added = add(env, "default", "g1", &["a", "b", "c"]).await;
    let before = snapshot(env, "default").await;
    let newest = added[2].1;
    // Newest entered at `newest`; with a 60 s grace period it is ready at newest + 60 only.
    let t = OffsetDateTime::from_unix_timestamp(newest + 59).unwrap();
    let got = b
        .aggregation_check("default", "g1", t, GRACE, secs(0), 0)
        .await
        .unwrap();
    assert_eq!(got, None);
    // Max size above the size, max delay not reached either.
    let got = b
        .aggregation_check("default", "g1", t, GRACE, secs(100), 4)
        .await
        .unwrap();
    assert_eq!(got, None);
    assert_eq!(snapshot(env, "default").await, before);
    assert_eq!(
        env.raw.keys(&qkey("default", "g:*")).await,
        vec![gkey("default", "g1")]
    );
}

/// §4.17 step 2: size > max size → the max-size oldest move with their original scores, the
/// group keeps the rest and stays registered; the set's deadline is the broker's now + 120
/// (not t + 120).
async fn case_check_max_size_takes_oldest(env: &Env) {
    let b = &env.broker;
    let added = add(env, "default", "g1", &["a", "b", "c"]).await;
    env.advance(30);
    let now = env.now_secs();
    // t far in the past: only the size trigger can fire.
    let t = OffsetDateTime::from_unix_timestamp(now - 1000).unwrap();
    let id = b
        .aggregation_check("default", "g1", t, GRACE, secs(0), 2)
        .await
        .unwrap()
        .expect("a set is created");
    assert!(uuid_v4_like(&id), "set ID {id:?} is a UUID v4");
    assert_set(env, "default", "g1", &id, &scored(&added[..2]), now + 120).await;
    assert_eq!(zset(env, &gkey("default", "g1")).await, scored(&added[2..]));
    assert_eq!(
        env.raw.smembers(&qkey("default", "groups")).await,
        set(&["g1"]),
        "the group still has a task: it stays registered"
    );
    // The task hashes are untouched (still aggregating).
    for (m, _) in &added {
        assert_eq!(
            env.field("default", &m.id, "state").await.as_deref(),
            Some("aggregating")
        );
    }
    assert_eq!(AGGREGATION_TIMEOUT, secs(120));
}

/// §4.17 step 2 with size == max size: every task moves and the group name is SREMed.
async fn case_check_max_size_equal_unregisters_group(env: &Env) {
    let b = &env.broker;
    let added = add(env, "mail", "g1", &["a", "b"]).await;
    add(env, "mail", "g2", &["c"]).await;
    let now = env.now_secs();
    let id = b
        .aggregation_check("mail", "g1", env.now(), GRACE, secs(0), 2)
        .await
        .unwrap()
        .expect("a set is created");
    assert_set(env, "mail", "g1", &id, &scored(&added), now + 120).await;
    assert!(!env.raw.exists(&gkey("mail", "g1")).await);
    assert_eq!(
        env.raw.smembers(&qkey("mail", "groups")).await,
        set(&["g2"])
    );
    // Two checks create two sets with different IDs.
    let added = add(env, "mail", "g1", &["d"]).await;
    let now = env.now_secs();
    let id2 = b
        .aggregation_check("mail", "g1", env.now(), GRACE, secs(0), 1)
        .await
        .unwrap()
        .expect("a second set");
    assert_ne!(id, id2);
    assert_set(env, "mail", "g1", &id2, &scored(&added), now + 120).await;
    assert_eq!(env.zcard(&qkey("mail", "aggregation_sets")).await, 2);
}

/// §4.17 step 3: the oldest task entered at or before t − max delay (whole seconds; 5.9 s counts
/// as 5 s) → every task moves, the name is SREMed.
async fn case_check_max_delay(env: &Env) {
    let b = &env.broker;
    let mut added = Vec::new();
    for id in ["a", "b", "c"] {
        added.extend(add(env, "default", "g1", &[id]).await);
        env.advance(1); // tasks 2 s apart
    }
    let oldest = added[0].1;
    let max_delay = Duration::from_millis(5900);
    let at = |s| OffsetDateTime::from_unix_timestamp(s).unwrap();
    assert_eq!(
        b.aggregation_check("default", "g1", at(oldest + 4), GRACE, max_delay, 0)
            .await
            .unwrap(),
        None,
        "the oldest is 4 s old"
    );
    assert!(!env.raw.exists(&qkey("default", "aggregation_sets")).await);
    let now = env.now_secs();
    let id = b
        .aggregation_check("default", "g1", at(oldest + 5), GRACE, max_delay, 0)
        .await
        .unwrap()
        .expect("5 s old = max delay (truncated to whole seconds)");
    assert_set(env, "default", "g1", &id, &scored(&added), now + 120).await;
    assert!(!env.raw.exists(&gkey("default", "g1")).await);
    assert!(env
        .raw
        .smembers(&qkey("default", "groups"))
        .await
        .is_empty());
}

/// §4.17 step 3 with max size > size: every task moves (size < max size) and the name is SREMed.
async fn case_check_max_delay_with_max_size_above_size(env: &Env) {
    let b = &env.broker;
    let added = add(env, "default", "g1", &["a", "b"]).await;
    add(env, "default", "g2", &["c"]).await;
    env.advance(10);
    let now = env.now_secs();
    let id = b
        .aggregation_check("default", "g1", env.now(), GRACE, secs(10), 10)
        .await
        .unwrap()
        .expect("the oldest is older than 10 s");
    assert_set(env, "default", "g1", &id, &scored(&added), now + 120).await;
    assert!(!env.raw.exists(&gkey("default", "g1")).await);
    assert_eq!(
        env.raw.smembers(&qkey("default", "groups")).await,
        set(&["g2"])
    );
    // A huge max size behaves as "more than the group holds".
    env.advance(10);
    let id = b
        .aggregation_check("default", "g2", env.now(), GRACE, secs(10), usize::MAX)
        .await
        .unwrap()
        .expect("g2's task is older than 10 s");
    assert_eq!(zset(env, &setkey("default", "g2", &id)).await.len(), 1);
    assert!(env
        .raw
        .smembers(&qkey("default", "groups"))
        .await
        .is_empty());
}

/// §4.17 step 4: the newest task entered at or before t − grace period (2.9 s counts as 2 s).
async fn case_check_grace_period(env: &Env) {
    let b = &env.broker;
    let added = add(env, "default", "g1", &["a", "b", "c"]).await;
    let newest = added[2].1;
    let grace = Duration::from_millis(2900);
    let at = |s| OffsetDateTime::from_unix_timestamp(s).unwrap();
    assert_eq!(
        b.aggregation_check("default", "g1", at(newest + 1), grace, secs(0), 0)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        b.aggregation_check("default", "g1", at(newest + 1), grace, secs(100), 5)
            .await
            .unwrap(),
        None,
        "max delay not reached, size below max size"
    );
    let now = env.now_secs();
    let id = b
        .aggregation_check("default", "g1", at(newest + 2), grace, secs(0), 5)
        .await
        .unwrap()
        .expect("newest is 2 s old");
    assert_set(env, "default", "g1", &id, &scored(&added), now + 120).await;
    assert!(!env.raw.exists(&gkey("default", "g1")).await);
    assert!(env
        .raw
        .smembers(&qkey("default", "groups"))
        .await
        .is_empty());
}

/// §4.18: the messages oldest first (by score, not by ID) and the deadline.
async fn case_read_aggregation_set(env: &Env) {
    let b = &env.broker;
    let added = add(env, "default", "g:1", &["z", "m", "a"]).await;
    let created = env.now_secs();
    let id = b
        .aggregation_check("default", "g:1", env.now(), secs(0), secs(0), 0)
        .await
        .unwrap()
        .expect("grace 0: ready");
    env.advance(7);
    let set = b.read_aggregation_set("default", "g:1", &id).await.unwrap();
    let want: Vec<TaskMessage> = added.iter().map(|(m, _)| m.clone()).collect();
    assert_eq!(set.messages, want);
    assert!(set.undecodable.is_empty());
    assert_eq!(set.deadline.unix_timestamp(), created + 120);
    assert_eq!(set.deadline.offset(), time::UtcOffset::UTC);
    // Reading changes nothing.
    assert_eq!(zset(env, &setkey("default", "g:1", &id)).await.len(), 3);
}

/// Divergence from Go: an undecodable member is reported apart; members without a hash or
/// without `msg` are skipped.
async fn case_read_aggregation_set_reports_undecodable(env: &Env) {
    let b = &env.broker;
    let (q, g, id) = ("mail", "g1", "set-1");
    let key = setkey(q, g, id);
    let good1 = msg(q, "good1");
    let good2 = msg(q, "good2");
    env.put_hash(&good1, &[("state", "aggregating")]).await;
    env.put_hash(&good2, &[("state", "aggregating")]).await;
    env.hset_bytes(&task_key(q, "bad"), "msg", &[0x0a, 0x02, 0xff, 0xfe])
        .await;
    env.raw
        .cmd(&["HSET", &task_key(q, "nomsg"), "state", "aggregating"])
        .await;
    for (score, member) in [
        ("100", "good2"),
        ("101", "bad"),
        ("102", "missing"),
        ("103", "nomsg"),
        ("104", "good1"),
    ] {
        env.raw.cmd(&["ZADD", &key, score, member]).await;
    }
    env.raw
        .cmd(&["ZADD", &qkey(q, "aggregation_sets"), "1795383927", &key])
        .await;
    let set = b.read_aggregation_set(q, g, id).await.unwrap();
    assert_eq!(set.messages, vec![good2, good1]);
    assert_eq!(set.undecodable.len(), 1, "{:?}", set.undecodable);
    assert_eq!(set.undecodable[0].0, "bad");
    assert!(
        set.undecodable[0]
            .1
            .starts_with("asynq: cannot decode task message: "),
        "{:?}",
        set.undecodable
    );
    assert_eq!(set.deadline.unix_timestamp(), 1_795_383_927);
}

/// A set without a deadline (deleted, reclaimed, never registered) → NotFound.
async fn case_read_aggregation_set_without_deadline(env: &Env) {
    let b = &env.broker;
    assert_not_found(
        b.read_aggregation_set("default", "g1", "nope").await,
        "read of a missing set",
    );
    let m = msg("default", "a");
    env.put_hash(&m, &[("state", "aggregating")]).await;
    env.raw
        .cmd(&["ZADD", &setkey("default", "g1", "s"), "5", "a"])
        .await;
    match b.read_aggregation_set("default", "g1", "s").await {
        Err(BrokerError::NotFound(text)) => {
            assert!(text.contains("asynq:{default}:g:g1:s"), "{text}")
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

/// §4.19: member hashes, the set and its aggregation_sets entry are deleted; unique locks stay;
/// other sets and groups are untouched.
async fn case_delete_aggregation_set(env: &Env) {
    let b = &env.broker;
    let mut u = msg("default", "u");
    u.group_key = "g1".into();
    let lock = qkey("default", "unique:email:send:somehash");
    u.unique_key = lock.clone();
    b.add_to_group_unique(&u, "g1", secs(300)).await.unwrap();
    env.advance(1);
    add(env, "default", "g1", &["a"]).await;
    let id1 = b
        .aggregation_check("default", "g1", env.now(), secs(0), secs(0), 0)
        .await
        .unwrap()
        .expect("set 1");
    add(env, "default", "g1", &["b"]).await;
    let id2 = b
        .aggregation_check("default", "g1", env.now(), secs(0), secs(0), 0)
        .await
        .unwrap()
        .expect("set 2");
    add(env, "default", "g1", &["c"]).await;

    b.delete_aggregation_set("default", "g1", &id1)
        .await
        .unwrap();
    assert!(!env.raw.exists(&task_key("default", "u")).await);
    assert!(!env.raw.exists(&task_key("default", "a")).await);
    assert!(!env.raw.exists(&setkey("default", "g1", &id1)).await);
    assert_eq!(
        env.raw
            .zscore(
                &qkey("default", "aggregation_sets"),
                &setkey("default", "g1", &id1)
            )
            .await,
        None
    );
    env.assert_lock(&lock, "u", 300).await;
    // The other set, the group and its registration are untouched.
    assert!(env.raw.exists(&task_key("default", "b")).await);
    assert_eq!(zset(env, &setkey("default", "g1", &id2)).await.len(), 1);
    assert_eq!(env.zcard(&qkey("default", "aggregation_sets")).await, 1);
    assert_eq!(
        zset(env, &gkey("default", "g1"))
            .await
            .into_iter()
            .map(|(m, _)| m)
            .collect::<Vec<_>>(),
        vec!["c"]
    );
    assert_eq!(
        env.raw.smembers(&qkey("default", "groups")).await,
        set(&["g1"])
    );
    // Deleting again (or a set that never existed) is harmless.
    b.delete_aggregation_set("default", "g1", &id1)
        .await
        .unwrap();
    b.delete_aggregation_set("default", "g1", &id2)
        .await
        .unwrap();
    assert!(!env.raw.exists(&qkey("default", "aggregation_sets")).await);
    assert!(!env.raw.exists(&task_key("default", "b")).await);
    assert!(env.raw.exists(&task_key("default", "c")).await);
}

/// §4.20 plus quirk Q5: expired sets go back into their groups with their original scores (merged
/// with tasks added meanwhile), the set keys are deleted, every expired entry is removed, the
/// group names are SADDed back; sets not yet due are left alone.
async fn case_reclaim_stale_aggregation_sets(env: &Env) {
    let b = &env.broker;
    let q = "default";
    let start = env.now_secs();
    // g1 (a, b) and "x:y" (c): sets created at `start + 3`, deadline start + 123.
    let g1 = add(env, q, "g1", &["a", "b"]).await;
    let xy = add(env, q, "x:y", &["c"]).await;
    let id1 = b
        .aggregation_check(q, "g1", env.now(), secs(0), secs(0), 0)
        .await
        .unwrap()
        .expect("g1 set");
    let id_xy = b
        .aggregation_check(q, "x:y", env.now(), secs(0), secs(0), 0)
        .await
        .unwrap()
        .expect("x:y set");
    assert_eq!(env.now_secs(), start + 3);
    assert!(env.raw.smembers(&qkey(q, "groups")).await.is_empty());
    // g1 gets a new task while its set is out.
    let late = add(env, q, "g1", &["d"]).await;
    // g2 (e): set created 60 s later, deadline start + 184.
    env.advance(60);
    add(env, q, "g2", &["e"]).await;
    let id2 = b
        .aggregation_check(q, "g2", env.now(), secs(0), secs(0), 0)
        .await
        .unwrap()
        .expect("g2 set");
    let g2_deadline = env.now_secs() + 120;
    // A stale entry whose set key no longer exists: removed, no group registered for it.
    let ghost = setkey(q, "ghost", "gone");
    env.raw
        .cmd(&[
            "ZADD",
            &qkey(q, "aggregation_sets"),
            &(start - 5).to_string(),
            &ghost,
        ])
        .await;

    // Not yet due for the g1 and x:y sets (deadline start + 123).
    env.clock
        .set(OffsetDateTime::from_unix_timestamp(start + 122).unwrap());
    b.reclaim_stale_aggregation_sets(q).await.unwrap();
    assert!(env.raw.exists(&setkey(q, "g1", &id1)).await);
    assert_eq!(
        env.zcard(&qkey(q, "aggregation_sets")).await,
        3,
        "ghost removed"
    );
    assert_eq!(env.raw.smembers(&qkey(q, "groups")).await, set(&["g1"]));

    // Due (deadline == now).
    env.clock
        .set(OffsetDateTime::from_unix_timestamp(start + 123).unwrap());
    b.reclaim_stale_aggregation_sets(q).await.unwrap();
    let mut want = scored(&g1);
    want.extend(scored(&late));
    assert_eq!(zset(env, &gkey(q, "g1")).await, want, "original scores");
    assert_eq!(zset(env, &gkey(q, "x:y")).await, scored(&xy));
    assert!(!env.raw.exists(&setkey(q, "g1", &id1)).await);
    assert!(!env.raw.exists(&setkey(q, "x:y", &id_xy)).await);
    assert_eq!(
        zset(env, &qkey(q, "aggregation_sets")).await,
        vec![(setkey(q, "g2", &id2), g2_deadline)],
        "only the set not yet due remains"
    );
    assert_eq!(
        env.raw.smembers(&qkey(q, "groups")).await,
        set(&["g1", "x:y"]),
        "reclaimed groups registered again (Q5); g2's set is still out"
    );
    assert!(!env.raw.exists(&gkey(q, "ghost")).await);
    assert_eq!(zset(env, &setkey(q, "g2", &id2)).await.len(), 1);
    for id in ["a", "b", "c", "e"] {
        assert_eq!(
            env.field(q, id, "state").await.as_deref(),
            Some("aggregating")
        );
    }
    // The reclaimed tasks are aggregated again by the next check.
    let again = b
        .aggregation_check(q, "x:y", env.now(), secs(0), secs(0), 0)
        .await
        .unwrap()
        .expect("x:y is ready again");
    let set = b.read_aggregation_set(q, "x:y", &again).await.unwrap();
    assert_eq!(set.messages, vec![xy[0].0.clone()]);
}

/// Reclaim with nothing due (or nothing at all) changes nothing.
async fn case_reclaim_nothing_stale(env: &Env) {
    let b = &env.broker;
    b.reclaim_stale_aggregation_sets("mail").await.unwrap();
    assert!(env.raw.keys(&qkey("mail", "*")).await.is_empty());
    add(env, "mail", "g1", &["a"]).await;
    b.aggregation_check("mail", "g1", env.now(), secs(0), secs(0), 0)
        .await
        .unwrap()
        .expect("set");
    let before = snapshot(env, "mail").await;
    env.advance(119);
    b.reclaim_stale_aggregation_sets("mail").await.unwrap();
    assert_eq!(snapshot(env, "mail").await, before);
}

/// Canonical lowercase hyphenated UUID with version 4.
fn uuid_v4_like(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
        && b[14] == b'4'
        && s.chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
}
