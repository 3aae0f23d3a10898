//! Group aggregation across Go and Rust (wire-protocol.md §6.18, §8.4): Go-enqueued groups
//! aggregated by a Rust server, Rust-enqueued groups aggregated by a Go server, a mixed fleet
//! (one Go and two Rust servers with aggregators) aggregating 10,000 tasks of 100 groups from
//! both producers, and a Rust server SIGKILLed between the check and the delete.
//!
//! Both sides aggregate the same way: one task of type `aggregated` whose payload is the JSON
//! array of the group's payloads, oldest first (the Go program's `--aggregate`). The SIGKILL
//! case re-runs this test binary as the Rust server process, see [`CHILD_ENV`].

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asynq_client::{RedisConnOpt, Task, TaskOption};
use asynq_interop::{GoOptions, GoServeOptions, GoTask};
use asynq_worker::{aggregator_fn, handler_fn, Config, Server};
use common::{wait_for, ChildProcess, Env};
use time::OffsetDateTime;

/// The Redis URL of the SIGKILLed Rust server process.
const CHILD_ENV: &str = "ASYNQ_INTEROP_AGGREGATOR_CHILD_REDIS";

/// The aggregated task, as the Go program's aggregator makes it.
fn aggregate(_group: &str, tasks: Vec<Task>) -> Option<Task> {
    let payloads: Vec<String> = tasks
        .iter()
        .map(|t| String::from_utf8_lossy(t.payload()).into_owned())
        .collect();
    Some(Task::new(
        "aggregated",
        serde_json::to_vec(&payloads).expect("JSON"),
    ))
}

/// The original payloads inside an aggregated task's payload.
fn members(payload: &[u8]) -> Vec<String> {
    serde_json::from_slice(payload).expect("aggregated payload is a JSON array of strings")
}

/// Every processed aggregated task's members, by the side that processed it.
#[derive(Default)]
struct Processed {
    rust: Vec<Vec<String>>,
}

/// A started Rust server with the aggregator above (or none) that records the aggregated
/// tasks it processes.
async fn rust_server(
    opt: &RedisConnOpt,
    config: Config,
    with_aggregator: bool,
    seen: Arc<Mutex<Processed>>,
) -> Server {
    let config = if with_aggregator {
        config.with_group_aggregator(aggregate)
    } else {
        config
    };
    let server = Server::connect(opt.clone(), config)
        .await
        .expect("Rust server");
    server
        .start(handler_fn(move |_ctx, t: Task| {
            let seen = seen.clone();
            async move {
                if t.task_type() == "aggregated" {
                    seen.lock().unwrap().rust.push(members(t.payload()));
                }
                Ok(())
            }
        }))
        .expect("Rust server starts");
    server
}

/// Short intervals; the group settings of a case.
fn config(grace: Duration, max_delay: Duration, max_size: usize) -> Config {
    Config {
        concurrency: 4,
        task_check_interval: Duration::from_millis(50),
        delayed_task_check_interval: Duration::from_millis(500),
        recoverer_interval: Duration::from_millis(500),
        shutdown_timeout: Duration::from_secs(1),
        group_grace_period: grace,
        group_max_delay: max_delay,
        group_max_size: max_size,
        ..Config::default()
    }
}

fn go_serve(log: &Path, grace: Duration, max_delay: Duration, max_size: usize) -> GoServeOptions {
    GoServeOptions {
        concurrency: 4,
        task_check_interval: Some(Duration::from_millis(50)),
        shutdown_timeout: Some(Duration::from_secs(1)),
        log: Some(log.to_path_buf()),
        aggregate: true,
        group_grace_period: Some(grace),
        group_max_delay: Some(max_delay),
        group_max_size: max_size,
        ..GoServeOptions::default()
    }
}

/// `m` sorted: tasks that entered a group in the same second come in task ID order.
fn sorted(mut m: Vec<String>) -> Vec<String> {
    m.sort();
    m
}

/// The members of the aggregated tasks a Go server logged.
fn go_processed(log: &Path) -> Vec<Vec<String>> {
    asynq_interop::read_log(log)
        .into_iter()
        .filter(|h| h.task_type == "aggregated")
        .map(|h| {
            assert!(h.is_ok(), "{h:?}");
            members(h.payload.as_bytes())
        })
        .collect()
}

/// No group, group name, aggregation set or task hash is left in `default`.
async fn assert_nothing_left(env: &Env) {
    assert!(env.raw.keys("asynq:{default}:g:*").await.is_empty());
    assert!(env.raw.smembers("asynq:{default}:groups").await.is_empty());
    assert!(env
        .raw
        .zrange_withscores("asynq:{default}:aggregation_sets")
        .await
        .is_empty());
    assert!(env.raw.keys("asynq:{default}:t:*").await.is_empty());
}

/// T34 (Rust aggregator): three Go-enqueued tasks of group g1 are aggregated by a Rust server
/// (grace period 1 s) into one task holding them oldest first, processed by a Go server
/// (which has no aggregator); then the same with the aggregated task processed by the Rust
/// server itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t34_go_groups_aggregated_by_a_rust_server() {
    let env = Env::start().await;
    let go_group = |p: &str, g: &str| {
        GoTask::new("notify", p.as_bytes().to_vec()).with_options(GoOptions {
            group: Some(g.into()),
            ..GoOptions::default()
        })
    };
    for r in env
        .go
        .enqueue(&[
            go_group("a", "g1"),
            go_group("b", "g1"),
            go_group("c", "g1"),
        ])
        .await
    {
        r.expect("Go enqueue");
    }
    // The Rust server aggregates the groups of `default`; its processing is stopped, so the
    // aggregated task, enqueued to the group's queue, is run by the Go server.
    let seen = Arc::new(Mutex::new(Processed::default()));
    let rust = rust_server(
        &env.opt,
        Config {
            queues: [("default".to_string(), 1)].into(),
            concurrency: 1,
            ..config(Duration::from_secs(1), Duration::ZERO, 0)
        },
        true,
        seen.clone(),
    )
    .await;
    // Stop its processing so only the Go server runs the aggregated task.
    rust.stop();
    let log = env.node.dir().join("t34-go.log");
    let go = env
        .go
        .serve(GoServeOptions {
            concurrency: 2,
            task_check_interval: Some(Duration::from_millis(50)),
            shutdown_timeout: Some(Duration::from_secs(1)),
            log: Some(log.clone()),
            ..GoServeOptions::default()
        })
        .await;
    wait_for(
        Duration::from_secs(15),
        "the Go server runs the aggregated task",
        || async { (!go_processed(&log).is_empty()).then_some(()) },
    )
    .await;
    go.stop().await;
    let got: Vec<Vec<String>> = go_processed(&log).into_iter().map(sorted).collect();
    assert_eq!(got, vec![vec!["a", "b", "c"]]);
    assert!(seen.lock().unwrap().rust.is_empty());
    assert_nothing_left(&env).await;
    rust.shutdown().await;

    // Again, processed by the Rust server.
    for r in env
        .go
        .enqueue(&[go_group("d", "g2"), go_group("e", "g2")])
        .await
    {
        r.expect("Go enqueue");
    }
    let rust = rust_server(
        &env.opt,
        config(Duration::from_secs(1), Duration::ZERO, 0),
        true,
        seen.clone(),
    )
    .await;
    wait_for(
        Duration::from_secs(15),
        "the Rust server runs the aggregated task",
        || async { (!seen.lock().unwrap().rust.is_empty()).then_some(()) },
    )
    .await;
    rust.shutdown().await;
    let got: Vec<Vec<String>> = seen
        .lock()
        .unwrap()
        .rust
        .iter()
        .cloned()
        .map(sorted)
        .collect();
    assert_eq!(got, vec![vec!["d", "e"]]);
    assert_nothing_left(&env).await;
}

/// Rust producer, Go aggregator: Rust-enqueued group tasks are aggregated by a Go server; the
/// aggregated task is processed by the Go server or a Rust server beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_groups_aggregated_by_a_go_server() {
    let env = Env::start().await;
    for p in ["x", "y", "z"] {
        env.client
            .enqueue(&Task::new("notify", p), &[TaskOption::group("g1")])
            .await
            .expect("Rust enqueue");
    }
    let log = env.node.dir().join("go-agg.log");
    let go = env
        .go
        .serve(go_serve(&log, Duration::from_secs(1), Duration::ZERO, 0))
        .await;
    let seen = Arc::new(Mutex::new(Processed::default()));
    let rust = rust_server(
        &env.opt,
        config(Duration::from_secs(1), Duration::ZERO, 0),
        false,
        seen.clone(),
    )
    .await;
    let all = || {
        let mut got = go_processed(&log);
        got.extend(seen.lock().unwrap().rust.clone());
        got
    };
    wait_for(
        Duration::from_secs(15),
        "the Go-aggregated task processed",
        || async { (!all().is_empty()).then_some(()) },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    go.stop().await;
    rust.shutdown().await;
    let got: Vec<Vec<String>> = all().into_iter().map(sorted).collect();
    assert_eq!(got, vec![vec!["x", "y", "z"]]);
    assert_nothing_left(&env).await;
}

/// The mixed fleet: one Go server and two Rust servers, all with aggregators (grace 2 s, max
/// delay 5 s, max size 30), share `default` while 10,000 group tasks over 100 groups arrive,
/// half from the Rust client and half from the Go client: 9,800 in a burst to 90 groups (max
/// size, then the grace period for the rest) and 200 trickling into 10 groups, one task per
/// group every 500 ms for 10 s (the grace period never passes, so the max delay triggers).
/// Every original task ends inside exactly one processed aggregated task, no aggregated task
/// is larger than 30, and nothing is left in any group or aggregation set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_fleet_aggregates_every_task_exactly_once() {
    let env = Env::start().await;
    let (grace, max_delay, max_size) = (Duration::from_secs(2), Duration::from_secs(5), 30);
    let log = env.node.dir().join("fleet-go.log");
    let go = env
        .go
        .serve(go_serve(&log, grace, max_delay, max_size))
        .await;
    let seen = Arc::new(Mutex::new(Processed::default()));
    let mut rust = Vec::new();
    for _ in 0..2 {
        rust.push(
            rust_server(
                &env.opt,
                config(grace, max_delay, max_size),
                true,
                seen.clone(),
            )
            .await,
        );
    }

    let mut want: Vec<String> = Vec::new();
    // Burst: tasks i = 0..9800 into groups g00..g89; even i from Rust, odd i from Go.
    let mut go_batch: Vec<GoTask> = Vec::new();
    let mut rust_batch: Vec<(Task, String)> = Vec::new();
    for i in 0..9_800 {
        let (p, g) = (format!("t{i}"), format!("g{:02}", i % 90));
        want.push(p.clone());
        if i % 2 == 0 {
            rust_batch.push((Task::new("notify", p), g));
        } else {
            go_batch.push(
                GoTask::new("notify", p.into_bytes()).with_options(GoOptions {
                    group: Some(g),
                    ..GoOptions::default()
                }),
            );
        }
    }
    let go_client = env.go.clone();
    let go_side = tokio::spawn(async move {
        for chunk in go_batch.chunks(1_000) {
            for r in go_client.enqueue(chunk).await {
                r.expect("Go enqueue");
            }
        }
    });
    for (task, g) in &rust_batch {
        env.client
            .enqueue(task, &[TaskOption::group(g.clone())])
            .await
            .expect("Rust enqueue");
    }
    go_side.await.expect("Go producer");
    // Trickle: 20 rounds, 500 ms apart, one task to each of g90..g99 (alternating sides).
    for round in 0..20 {
        let mut go_round = Vec::new();
        for k in 0..10 {
            let i = 9_800 + round * 10 + k;
            let (p, g) = (format!("t{i}"), format!("g{}", 90 + k));
            want.push(p.clone());
            if (round + k) % 2 == 0 {
                env.client
                    .enqueue(&Task::new("notify", p), &[TaskOption::group(g)])
                    .await
                    .expect("Rust enqueue");
            } else {
                go_round.push(
                    GoTask::new("notify", p.into_bytes()).with_options(GoOptions {
                        group: Some(g),
                        ..GoOptions::default()
                    }),
                );
            }
        }
        for r in env.go.enqueue(&go_round).await {
            r.expect("Go enqueue");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let all = || {
        let mut got: Vec<Vec<String>> = seen.lock().unwrap().rust.clone();
        got.extend(go_processed(&log));
        got
    };
    let start = Instant::now();
    while all().iter().map(Vec::len).sum::<usize>() < want.len() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "only {} of {} tasks aggregated and processed after 60 s",
            all().iter().map(Vec::len).sum::<usize>(),
            want.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A moment more, so that a duplicate would show.
    tokio::time::sleep(Duration::from_secs(3)).await;
    go.stop().await;
    for r in rust {
        r.shutdown().await;
    }
    let got = all();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for p in got.iter().flatten() {
        *count.entry(p.as_str()).or_default() += 1;
    }
    let dups: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        dups.is_empty(),
        "{} duplicated tasks: {:?}",
        dups.len(),
        &dups[..dups.len().min(10)]
    );
    let missing: Vec<&String> = want
        .iter()
        .filter(|p| !count.contains_key(p.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} missing: {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert_eq!(count.len(), want.len());
    assert!(
        got.iter().all(|m| m.len() <= max_size),
        "an aggregated task above max size"
    );
    let index = |p: &str| p[1..].parse::<usize>().expect("t<i>");
    // One aggregated task holds the tasks of one group only.
    for m in &got {
        let groups: std::collections::BTreeSet<usize> = m
            .iter()
            .map(|p| {
                let i = index(p);
                if i < 9_800 {
                    i % 90
                } else {
                    90 + (i - 9_800) % 10
                }
            })
            .collect();
        assert_eq!(groups.len(), 1, "{m:?}");
    }
    let full = got.iter().filter(|m| m.len() == max_size).count();
    let trickled: Vec<&Vec<String>> = got.iter().filter(|m| index(&m[0]) >= 9_800).collect();
    assert!(full > 0, "max size never triggered");
    assert!(
        trickled.iter().any(|m| m.len() < 20),
        "the trickle groups were not aggregated by max delay: {trickled:?}"
    );
    let by_rust = seen.lock().unwrap().rust.len();
    let by_go = go_processed(&log).len();
    println!(
        "fleet: {} aggregated tasks ({full} full), {by_rust} processed by Rust, {by_go} by Go",
        got.len()
    );
    assert!(by_rust > 0 && by_go > 0, "rust {by_rust}, go {by_go}");
    assert_nothing_left(&env).await;
}

// ---------------------------------------------------------------------------
// SIGKILL between check and delete.

/// The Rust server process of [`sigkilled_rust_aggregator_set_is_aggregated_again`]: its
/// aggregator never returns, so its set stays in Redis until the process is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by sigkilled_rust_aggregator_set_is_aggregated_again as a child process"]
async fn child_aggregator() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    let opt = RedisConnOpt::parse_uri(&url).expect("URL");
    let config = config(Duration::from_secs(1), Duration::ZERO, 0).with_group_aggregator(
        aggregator_fn(|_g, _tasks| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            None
        }),
    );
    let server = Server::connect(opt, config).await.expect("server");
    server
        .start(handler_fn(|_ctx, _t| async { Ok(()) }))
        .expect("start");
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

/// A Rust server is SIGKILLed while its aggregator runs, between the aggregation check and
/// the delete: the set and its tasks stay in Redis (Go's Inspector still counts them as
/// aggregating). Once its deadline has passed (moved to the past here rather than waiting
/// 2 minutes), a Rust server without an aggregator reclaims it into the group, registering the
/// group name again (Go's reclaim would not, quirk Q5: started first, a Go server's recoverer
/// leaves the tasks where no aggregator looks), and a Go server aggregates the tasks;
/// the aggregated task holds each of them once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_rust_aggregator_set_is_aggregated_again() {
    let env = Env::start().await;
    for p in ["k1", "k2", "k3"] {
        env.client
            .enqueue(&Task::new("notify", p), &[TaskOption::group("gk")])
            .await
            .expect("Rust enqueue");
    }
    let mut child = ChildProcess::spawn("child_aggregator", CHILD_ENV, &env.node.url());
    let set = wait_for(
        Duration::from_secs(20),
        "the child's aggregation set",
        || async {
            env.raw
                .zrange_withscores("asynq:{default}:aggregation_sets")
                .await
                .pop()
        },
    )
    .await;
    // The check removed the group and its name: all three are in the set.
    wait_for(Duration::from_secs(5), "the group emptied", || async {
        (!env.raw.exists("asynq:{default}:g:gk").await).then_some(())
    })
    .await;
    child.kill();
    assert_eq!(env.raw.zrange_withscores(&set.0).await.len(), 3);
    let info = env.go.queue_info("default").await.expect("Go GetQueueInfo");
    assert_eq!(info.active, 0, "{info:?}");
    let past = (OffsetDateTime::now_utc().unix_timestamp() - 1).to_string();
    env.raw
        .cmd(&["ZADD", "asynq:{default}:aggregation_sets", &past, &set.0])
        .await;

    let seen = Arc::new(Mutex::new(Processed::default()));
    let rust = rust_server(
        &env.opt,
        Config {
            queues: [("elsewhere".to_string(), 1), ("default".to_string(), 1)].into(),
            ..config(Duration::from_secs(1), Duration::ZERO, 0)
        },
        false,
        seen.clone(),
    )
    .await;
    // The Rust recoverer (at start) reclaims the set and registers the group again; a Go
    // recoverer would leave the name out, and no aggregator would see the group.
    wait_for(
        Duration::from_secs(10),
        "the set reclaimed by the Rust recoverer",
        || async {
            let back = env
                .raw
                .zrange_withscores("asynq:{default}:g:gk")
                .await
                .len()
                == 3;
            let named = env
                .raw
                .smembers("asynq:{default}:groups")
                .await
                .contains("gk");
            (back && named).then_some(())
        },
    )
    .await;
    assert!(!env.raw.exists(&set.0).await);
    let log = env.node.dir().join("sigkill-go.log");
    let go = env
        .go
        .serve(go_serve(&log, Duration::from_secs(1), Duration::ZERO, 0))
        .await;
    wait_for(
        Duration::from_secs(20),
        "the reclaimed tasks aggregated and processed",
        || async {
            let n = go_processed(&log).len() + seen.lock().unwrap().rust.len();
            (n > 0).then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    go.stop().await;
    rust.shutdown().await;
    let mut got = go_processed(&log);
    got.extend(seen.lock().unwrap().rust.clone());
    let got: Vec<Vec<String>> = got.into_iter().map(sorted).collect();
    assert_eq!(got, vec![vec!["k1", "k2", "k3"]]);
    assert_nothing_left(&env).await;
}
