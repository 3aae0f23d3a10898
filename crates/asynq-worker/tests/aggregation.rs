//! Group aggregation by a running server against a real Redis (spec §6.18, §4.16 to §4.20):
//! the grace period, max size and max delay triggers, and the failures of the aggregator
//! itself (no task, panic, failed enqueue, Redis down mid-check), each of which leaves the
//! tasks in a set that the recoverer returns to the group, to be aggregated again.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asynq_broker::conn::RedisClientOpt;
use asynq_client::{Client, Task, TaskOption};
use asynq_test_support::{Raw, RedisNode};
use asynq_worker::{aggregator_fn, handler_fn, Config, RedisConnOpt, Server};
use common::{fast_config, now_secs, wait_for, Env};
use tokio::sync::Notify;

/// The aggregated tasks the handler processed: (type, payload).
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// Joins the payloads of `tasks` with commas, in the order given.
fn joined(tasks: &[Task]) -> String {
    tasks
        .iter()
        .map(|t| String::from_utf8_lossy(t.payload()).into_owned())
        .collect::<Vec<_>>()
        .join(",")
}

/// The comma-separated `payload` sorted: tasks that entered a group in the same second (its
/// scores are whole seconds) come in task ID order, as in Go.
fn sorted(payload: &str) -> String {
    let mut parts: Vec<&str> = payload.split(',').collect();
    parts.sort_unstable();
    parts.join(",")
}

/// Enqueues tasks with payloads `payloads` into group `group` of `default`, one second apart
/// when `spaced` (group scores are whole seconds).
async fn add(client: &Client, group: &str, payloads: &[&str], spaced: bool) {
    for (i, p) in payloads.iter().enumerate() {
        if spaced && i > 0 {
            tokio::time::sleep(Duration::from_millis(1000)).await;
        }
        client
            .enqueue(
                &Task::new("notify", p.to_string()),
                &[TaskOption::group(group)],
            )
            .await
            .expect("enqueue to group");
    }
}

/// Starts a server on `opt` whose handler records every task it processes.
async fn recording_server(opt: RedisConnOpt, config: Config) -> (Server, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let server = Server::connect(opt, config).await.expect("server");
    server
        .start(handler_fn(move |_ctx, t: Task| {
            let s = s.clone();
            async move {
                let p = String::from_utf8_lossy(t.payload()).into_owned();
                s.lock().unwrap().push((t.task_type().to_string(), p));
                Ok(())
            }
        }))
        .expect("start");
    (server, seen)
}

/// Nothing left of the group: no members, no name, no aggregation set, no task hash but
/// those of `keep`.
async fn assert_group_gone(raw: &Raw, group: &str) {
    assert!(!raw.exists(&format!("asynq:{{default}}:g:{group}")).await);
    assert!(!raw.smembers("asynq:{default}:groups").await.contains(group));
    assert!(raw
        .zrange_withscores("asynq:{default}:aggregation_sets")
        .await
        .is_empty());
    assert!(raw.keys("asynq:{default}:g:*").await.is_empty());
}

/// T34: three tasks entered a second apart, grace period 1 s: one aggregated task with the payloads oldest first is
/// enqueued and processed; the group, its name, its set and the original hashes are gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grace_period_aggregates_the_group_oldest_first() {
    let env = Env::start().await;
    // One second apart, so the order is the entry order (scores are whole seconds).
    add(&env.client, "g1", &["a", "b", "c"], true).await;
    let config = Config {
        group_grace_period: Duration::from_secs(1),
        ..fast_config()
    }
    .with_group_aggregator(|group: &str, tasks: Vec<Task>| {
        Some(Task::new("digest", format!("{group}:{}", joined(&tasks))))
    });
    let (server, seen) = recording_server(env.opt.clone(), config).await;
    wait_for(
        "the aggregated task processed",
        Duration::from_secs(10),
        || async { !seen.lock().unwrap().is_empty() },
    )
    .await;
    server.shutdown().await;
    assert_eq!(
        *seen.lock().unwrap(),
        vec![("digest".to_string(), "g1:a,b,c".to_string())]
    );
    assert_group_gone(&env.raw, "g1").await;
    assert!(env.raw.keys("asynq:{default}:t:*").await.is_empty());
}

/// T35: max size 2 with three tasks (entered at different seconds) and a long grace period:
/// the two oldest are aggregated; the group keeps the newest and its name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_size_takes_the_oldest_and_keeps_the_rest() {
    let env = Env::start().await;
    add(&env.client, "g1", &["a", "b", "c"], true).await;
    let config = Config {
        group_grace_period: Duration::from_secs(60),
        group_max_size: 2,
        ..fast_config()
    }
    .with_group_aggregator(|_: &str, tasks: Vec<Task>| Some(Task::new("digest", joined(&tasks))));
    let (server, seen) = recording_server(env.opt.clone(), config).await;
    // Checks run every min(7 s, grace) = 7 s.
    wait_for(
        "the aggregated task processed",
        Duration::from_secs(15),
        || async { !seen.lock().unwrap().is_empty() },
    )
    .await;
    server.shutdown().await;
    assert_eq!(
        *seen.lock().unwrap(),
        vec![("digest".to_string(), "a,b".to_string())]
    );
    let left = env.raw.zrange_withscores("asynq:{default}:g:g1").await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(env
        .raw
        .smembers("asynq:{default}:groups")
        .await
        .contains("g1"));
}

/// T36: max delay 2 s with a grace period of 1 min: the group is aggregated at the first check
/// (every 7 s) after its oldest task is 2 s old, although tasks keep arriving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_delay_aggregates_a_group_that_keeps_growing() {
    let env = Env::start().await;
    let config = Config {
        group_grace_period: Duration::from_secs(60),
        group_max_delay: Duration::from_secs(2),
        ..fast_config()
    }
    .with_group_aggregator(|_: &str, tasks: Vec<Task>| Some(Task::new("digest", joined(&tasks))));
    let (server, seen) = recording_server(env.opt.clone(), config).await;
    let t0 = Instant::now();
    let mut n = 0;
    while seen.lock().unwrap().is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(15), "not aggregated");
        add(&env.client, "g1", &[&n.to_string()], false).await;
        n += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let took = t0.elapsed();
    server.shutdown().await;
    assert!(took >= Duration::from_secs(2), "{took:?}");
    // Aggregated within 15 s while the newest task was never 60 s old: the max delay did it.
    // The first digest holds the tasks that had arrived by then: 0, 1, 2, ...
    let seen = seen.lock().unwrap();
    let mut got: Vec<usize> = seen[0].1.split(',').map(|x| x.parse().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, (0..got.len()).collect::<Vec<_>>(), "{seen:?}");
    assert!(got.len() >= 4, "{} of {n}: {seen:?}", got.len());
}

/// Shortens the deadline of every aggregation set of `default` to the past, so the next
/// recoverer run reclaims them.
async fn expire_sets(raw: &Raw) -> usize {
    let sets = raw
        .zrange_withscores("asynq:{default}:aggregation_sets")
        .await;
    let past = (now_secs() - 1).to_string();
    for (key, _) in &sets {
        raw.cmd(&["ZADD", "asynq:{default}:aggregation_sets", &past, key])
            .await;
    }
    sets.len()
}

/// The aggregator panics, then returns `None`, then a task whose enqueue fails (its ID is
/// taken), then a good task. After each failure the tasks wait in their set with a 2-minute
/// deadline; once that deadline has passed (shortened here) the recoverer puts them back into
/// the group with their original scores and the group name back into `groups`, and they are
/// aggregated again. In the end exactly one aggregated task, holding every original task, is
/// processed, and nothing is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregator_failures_leave_the_tasks_for_the_recoverer() {
    let env = Env::start().await;
    env.client
        .enqueue(
            &Task::new("taken", "x"),
            &[
                TaskOption::task_id("taken-id"),
                TaskOption::process_in(Duration::from_secs(3600)),
            ],
        )
        .await
        .unwrap();
    add(&env.client, "g1", &["a", "b"], false).await;
    let scores = env.raw.zrange_withscores("asynq:{default}:g:g1").await;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let config = Config {
        group_grace_period: Duration::from_secs(1),
        recoverer_interval: Duration::from_millis(300),
        ..fast_config()
    }
    .with_group_aggregator(aggregator_fn(move |_group, tasks| {
        let n = c.fetch_add(1, Ordering::SeqCst);
        async move {
            match n {
                0 => panic!("aggregator bug"),
                1 => None,
                2 => {
                    Some(Task::new("digest", "dup").with_options([TaskOption::task_id("taken-id")]))
                }
                _ => Some(Task::new("digest", joined(&tasks))),
            }
        }
    }));
    let (server, seen) = recording_server(env.opt.clone(), config).await;
    for round in 1..=3 {
        wait_for("the aggregator called", Duration::from_secs(10), || async {
            calls.load(Ordering::SeqCst) >= round
        })
        .await;
        // The tasks wait in their set, visible, with a deadline 2 min ahead.
        wait_for("one aggregation set", Duration::from_secs(5), || async {
            env.raw
                .zrange_withscores("asynq:{default}:aggregation_sets")
                .await
                .len()
                == 1
        })
        .await;
        let (key, deadline) = env
            .raw
            .zrange_withscores("asynq:{default}:aggregation_sets")
            .await
            .remove(0);
        assert!(
            (deadline - (now_secs() + 120) as f64).abs() <= 3.0,
            "deadline {deadline}"
        );
        assert_eq!(
            env.raw.zrange_withscores(&key).await,
            scores,
            "round {round}"
        );
        assert!(!env.raw.exists("asynq:{default}:g:g1").await);
        assert_eq!(expire_sets(&env.raw).await, 1);
        wait_for(
            "the set reclaimed into the group",
            Duration::from_secs(5),
            || async {
                env.raw.zrange_withscores("asynq:{default}:g:g1").await == scores
                    && env
                        .raw
                        .smembers("asynq:{default}:groups")
                        .await
                        .contains("g1")
            },
        )
        .await;
        assert!(!env.raw.exists(&key).await);
    }
    wait_for(
        "the aggregated task processed",
        Duration::from_secs(10),
        || async { seen.lock().unwrap().iter().any(|(t, _)| t == "digest") },
    )
    .await;
    server.shutdown().await;
    let digests: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| t == "digest")
        .map(|(_, p)| sorted(p))
        .collect();
    assert_eq!(digests, ["a,b"]);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_group_gone(&env.raw, "g1").await;
}

/// Redis goes down while the aggregator runs (after the check moved the tasks into a set):
/// the enqueue fails, the set survives in Redis (append-only file), and after Redis is back
/// and the set's deadline has passed, the recoverer returns the tasks to the group and they
/// are aggregated and processed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_mid_check_loses_no_task() {
    let mut node =
        RedisNode::start_with_args(&["--appendonly", "yes", "--appendfsync", "always"]).await;
    let opt: RedisConnOpt = RedisClientOpt::new(node.addr())
        .read_timeout(Duration::from_millis(300))
        .into();
    let client = Client::connect(opt.clone()).await.unwrap();
    add(&client, "g1", &["a", "b", "c"], false).await;
    let entered = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let calls = Arc::new(AtomicUsize::new(0));
    let (e, r, c) = (entered.clone(), release.clone(), calls.clone());
    let config = Config {
        group_grace_period: Duration::from_secs(1),
        recoverer_interval: Duration::from_millis(300),
        ..fast_config()
    }
    .with_group_aggregator(aggregator_fn(move |_group, tasks| {
        let (e, r) = (e.clone(), r.clone());
        let first = c.fetch_add(1, Ordering::SeqCst) == 0;
        async move {
            if first {
                e.notify_one();
                r.notified().await;
            }
            Some(Task::new("digest", joined(&tasks)))
        }
    }));
    let (server, seen) = recording_server(opt, config).await;
    tokio::time::timeout(Duration::from_secs(10), entered.notified())
        .await
        .expect("the aggregator is called");
    node.kill();
    release.notify_one();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(seen.lock().unwrap().is_empty());
    node.restart().await;
    let raw = node.raw().await;
    let sets = raw
        .zrange_withscores("asynq:{default}:aggregation_sets")
        .await;
    assert_eq!(sets.len(), 1, "the set survived: {sets:?}");
    assert_eq!(raw.zrange_withscores(&sets[0].0).await.len(), 3);
    assert_eq!(expire_sets(&raw).await, 1);
    wait_for(
        "the aggregated task processed",
        Duration::from_secs(20),
        || async { !seen.lock().unwrap().is_empty() },
    )
    .await;
    server.shutdown().await;
    let seen: Vec<(String, String)> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(t, p)| (t.clone(), sorted(p)))
        .collect();
    assert_eq!(seen, vec![("digest".to_string(), "a,b,c".to_string())]);
    assert_group_gone(&raw, "g1").await;
    let ids: BTreeSet<String> = raw.keys("asynq:{default}:t:*").await.into_iter().collect();
    assert!(ids.is_empty(), "{ids:?}");
}

/// A server without an aggregator leaves groups alone (Go: the same).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_aggregator_no_aggregation() {
    let env = Env::start().await;
    add(&env.client, "g1", &["a"], false).await;
    let config = Config {
        group_grace_period: Duration::from_secs(1),
        ..fast_config()
    };
    let (server, seen) = recording_server(env.opt.clone(), config).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    server.shutdown().await;
    assert!(seen.lock().unwrap().is_empty());
    assert_eq!(
        env.raw
            .zrange_withscores("asynq:{default}:g:g1")
            .await
            .len(),
        1
    );
}
