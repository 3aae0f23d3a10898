//! An idle server: woken at once by Rust producers, the forwarder, the Inspector's run
//! operations and shutdown requeues
//! (`asynq:{q}:wakeup`), still finding by polling the tasks of producers that publish nothing
//! (Go's), and polling with one fetcher only.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use asynq_broker::conn::RedisClusterClientOpt;
use asynq_client::{Client, Task, TaskOption};
use asynq_test_support::{Raw, RedisCluster};
use asynq_worker::{Config, RedisConnOpt, ServeMux, Server, TaskContext};
use common::{wait_for, Env};

const QUEUES: [&str; 3] = ["critical", "default", "low"];

/// A mux recording the ID of each task it handles.
fn recording_mux() -> (ServeMux, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut mux = ServeMux::new();
    let s = seen.clone();
    mux.handle_fn("job", move |ctx: TaskContext, _task: Task| {
        let s = s.clone();
        async move {
            s.lock().unwrap().push(ctx.task_id().to_string());
            Ok(())
        }
    })
    .unwrap();
    (mux, seen)
}

/// Three queues, and a poll interval of a minute: a task found within seconds was found
/// because of a wake-up, not a poll.
fn slow_poll_config() -> Config {
    Config {
        concurrency: 8,
        queues: QUEUES.iter().map(|q| (q.to_string(), 1)).collect(),
        task_check_interval: Duration::from_secs(60),
        delayed_task_check_interval: Duration::from_millis(200),
        ..Config::default()
    }
}

/// Waits until the server's subscription is up (on whichever node of `nodes` it landed) and
/// its fetchers have gone idle.
async fn settle(nodes: &[Raw]) {
    wait_for(
        "the wake-up subscription",
        Duration::from_secs(5),
        || async {
            for raw in nodes {
                let v = raw
                    .cmd(&["PUBSUB", "NUMSUB", "asynq:{critical}:wakeup"])
                    .await;
                if format!("{v:?}").contains("Integer(1)") {
                    return true;
                }
            }
            false
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
}

async fn wakes_on(opt: RedisConnOpt, nodes: Vec<Raw>) {
    let (mux, seen) = recording_mux();
    let server = Server::connect(opt.clone(), slow_poll_config())
        .await
        .unwrap();
    server.start(mux).unwrap();
    settle(&nodes).await;
    let client = Client::connect(opt).await.unwrap();

    // An enqueue to each queue, one after the other.
    for (i, q) in QUEUES.iter().enumerate() {
        let id = format!("now-{i}");
        client
            .enqueue(
                &Task::new("job", "x"),
                &[TaskOption::queue(*q), TaskOption::task_id(id.clone())],
            )
            .await
            .unwrap();
        wait_for(&format!("{id} handled"), Duration::from_secs(5), || async {
            seen.lock().unwrap().contains(&id)
        })
        .await;
    }
    // A scheduled task, moved to pending by the forwarder.
    client
        .enqueue(
            &Task::new("job", "x"),
            &[
                TaskOption::queue("low"),
                TaskOption::task_id("later"),
                TaskOption::process_in(Duration::from_secs(1)),
            ],
        )
        .await
        .unwrap();
    wait_for(
        "the scheduled task handled",
        Duration::from_secs(6),
        || async { seen.lock().unwrap().iter().any(|id| id == "later") },
    )
    .await;
    // A unique task.
    client
        .enqueue(
            &Task::new("job", "u"),
            &[
                TaskOption::queue("default"),
                TaskOption::task_id("unique"),
                TaskOption::unique(Duration::from_secs(60)),
            ],
        )
        .await
        .unwrap();
    wait_for(
        "the unique task handled",
        Duration::from_secs(5),
        || async { seen.lock().unwrap().iter().any(|id| id == "unique") },
    )
    .await;
    // Tasks run now through the Inspector operations: one task, then all scheduled ones.
    let far = Duration::from_secs(3600);
    for id in ["run-one", "run-all-1", "run-all-2"] {
        client
            .enqueue(
                &Task::new("job", "x"),
                &[
                    TaskOption::queue("critical"),
                    TaskOption::task_id(id),
                    TaskOption::process_in(far),
                ],
            )
            .await
            .unwrap();
    }
    let broker = client.broker();
    broker.run_task("critical", "run-one").await.unwrap();
    wait_for(
        "the task run through run_task",
        Duration::from_secs(5),
        || async { seen.lock().unwrap().iter().any(|id| id == "run-one") },
    )
    .await;
    assert_eq!(broker.run_all_scheduled_tasks("critical").await.unwrap(), 2);
    wait_for("the tasks of run_all", Duration::from_secs(5), || async {
        let seen = seen.lock().unwrap();
        seen.iter().any(|id| id == "run-all-1") && seen.iter().any(|id| id == "run-all-2")
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn rust_enqueues_wake_an_idle_server() {
    let env = Env::start().await;
    wakes_on(env.opt.clone(), vec![env.node.raw().await]).await;
}

#[tokio::test]
async fn rust_enqueues_wake_an_idle_server_on_a_cluster() {
    let cluster = RedisCluster::start(3, 0).await;
    let opt: RedisConnOpt = RedisClusterClientOpt::new(cluster.addrs()).into();
    let mut nodes = Vec::new();
    for node in cluster.nodes() {
        nodes.push(node.raw().await);
    }
    wakes_on(opt, nodes).await;
}

/// A task that arrives without a wake-up (here: enqueued while its queue was paused, then the
/// queue unpaused, which publishes nothing, as Go's producers never do) is found by the poll.
#[tokio::test]
async fn tasks_that_arrive_without_a_wake_up_are_found_by_polling() {
    let env = Env::start().await;
    let (mux, seen) = recording_mux();
    let config = Config {
        task_check_interval: Duration::from_millis(200),
        ..slow_poll_config()
    };
    let server = env.server(config).await;
    server.start(mux).unwrap();
    settle(std::slice::from_ref(&env.raw)).await;
    env.raw.cmd(&["SET", "asynq:{low}:paused", "1"]).await;
    env.client
        .enqueue(
            &Task::new("job", "x"),
            &[TaskOption::queue("low"), TaskOption::task_id("silent")],
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(seen.lock().unwrap().is_empty(), "a paused queue was served");
    env.raw.cmd(&["DEL", "asynq:{low}:paused"]).await;
    wait_for(
        "the task handled after the unpause",
        Duration::from_secs(3),
        || async { seen.lock().unwrap().iter().any(|id| id == "silent") },
    )
    .await;
    server.shutdown().await;
}

/// The calls of each command Redis receives during `d`, from `INFO commandstats`.
async fn calls_during(raw: &Raw, d: Duration, commands: &[&str]) -> Vec<u64> {
    raw.cmd(&["CONFIG", "RESETSTAT"]).await;
    tokio::time::sleep(d).await;
    let info = format!("{:?}", raw.cmd(&["INFO", "commandstats"]).await);
    commands
        .iter()
        .map(|c| {
            // cmdstat_<name>:calls=N,...
            info.split(&format!("cmdstat_{c}:calls="))
                .nth(1)
                .and_then(|s| s.split(',').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        })
        .collect()
}

/// With 4 fetchers (concurrency 16) and 3 empty queues, one fetcher polls, and a poll is one
/// `LLEN` per queue, no dequeue script: about 3 commands per interval where Go's single loop
/// sends 3 scripts (each running 2 more commands), and 4 independent pollers would send 4×.
#[tokio::test]
async fn an_idle_server_polls_with_one_fetcher_and_one_llen_per_queue() {
    let env = Env::start().await;
    let (mux, seen) = recording_mux();
    let config = Config {
        concurrency: 16,
        queues: QUEUES.iter().map(|q| (q.to_string(), 1)).collect(),
        task_check_interval: Duration::from_millis(100),
        // Keep the other components quiet during the count.
        delayed_task_check_interval: Duration::from_secs(60),
        janitor_interval: Duration::from_secs(60),
        heartbeat_interval: asynq_worker::MAX_HEARTBEAT_INTERVAL,
        ..Config::default()
    };
    let server = env.server(config).await;
    server.start(mux).unwrap();
    settle(std::slice::from_ref(&env.raw)).await;
    let t = Instant::now();
    let calls = calls_during(&env.raw, Duration::from_secs(2), &["llen", "evalsha"]).await;
    let polls = t.elapsed().as_secs_f64() / 0.1;
    let per_poll = calls[0] as f64 / polls;
    assert!(
        (0.9..=4.5).contains(&per_poll),
        "{} LLEN in {:?} = {per_poll:.2} per 100 ms; want about 3 (one fetcher probing 3 queues)",
        calls[0],
        t.elapsed()
    );
    assert!(calls[1] <= 2, "{} EVALSHA while idle", calls[1]);
    // Work is still found: a task pushed now is taken by the next poll.
    env.client
        .enqueue(
            &Task::new("job", "x"),
            &[TaskOption::queue("low"), TaskOption::task_id("after-idle")],
        )
        .await
        .unwrap();
    wait_for("the task handled", Duration::from_secs(3), || async {
        seen.lock().unwrap().iter().any(|id| id == "after-idle")
    })
    .await;
    server.shutdown().await;
}

/// An ACL user allowed `asynq:cancel` but not the wake-up channels (as a deployment set up for
/// Go asynq may be): enqueues still succeed, the server still subscribes to cancellations, and
/// the idle server finds tasks by polling.
#[tokio::test]
async fn an_acl_without_the_wakeup_channels_falls_back_to_polling() {
    use asynq_broker::conn::RedisClientOpt;

    let env = Env::start().await;
    env.raw
        .cmd(&[
            "ACL",
            "SETUSER",
            "worker",
            "on",
            ">secret",
            "~*",
            "+@all",
            "resetchannels",
            "&asynq:cancel",
        ])
        .await;
    let opt: RedisConnOpt = RedisClientOpt::new(env.node.addr())
        .username("worker")
        .password("secret")
        .into();
    let (mux, seen) = recording_mux();
    let config = Config {
        task_check_interval: Duration::from_millis(200),
        ..slow_poll_config()
    };
    let server = Server::connect(opt.clone(), config).await.unwrap();
    server.start(mux).unwrap();
    wait_for(
        "the cancellation subscription",
        Duration::from_secs(5),
        || async {
            let v = env.raw.cmd(&["PUBSUB", "NUMSUB", "asynq:cancel"]).await;
            format!("{v:?}").contains("Integer(1)")
        },
    )
    .await;
    let client = Client::connect(opt).await.unwrap();
    client
        .enqueue(
            &Task::new("job", "x"),
            &[TaskOption::queue("default"), TaskOption::task_id("acl")],
        )
        .await
        .expect("the enqueue succeeds although its wake-up publish is refused");
    wait_for(
        "the task handled by polling",
        Duration::from_secs(3),
        || async { seen.lock().unwrap().iter().any(|id| id == "acl") },
    )
    .await;
    server.shutdown().await;
}
