//! The server's background components and life cycle against a real Redis: heartbeat (server
//! and worker entries, lease extension), stop, forwarder, janitor, recoverer, health check,
//! shutdown requeue, start/stop/shutdown errors and configuration errors.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asynq_client::{Task, TaskOption};
use asynq_proto::{datetime_from_timestamp, ServerInfo, WorkerInfo};
use asynq_worker::{
    handler_fn, Broker, ConfigError, HandlerError, ServeMux, Server, ServerState, TaskContext,
    WorkerError,
};
use common::{assert_within, fast_config, now_secs, wait_for, Env};
use tokio::sync::Semaphore;

const Q: &str = "default";
const LIMIT: Duration = Duration::from_secs(10);

fn server_key(server: &Server) -> String {
    format!(
        "asynq:servers:{{{}:{}:{}}}",
        server.host(),
        std::process::id(),
        server.server_id()
    )
}

fn workers_key(server: &Server) -> String {
    format!(
        "asynq:workers:{{{}:{}:{}}}",
        server.host(),
        std::process::id(),
        server.server_id()
    )
}

async fn server_info(env: &Env, server: &Server) -> Option<ServerInfo> {
    let b = env.raw.get(&server_key(server)).await?;
    Some(asynq_proto::decode::<ServerInfo>(&b[..]).expect("decode ServerInfo"))
}

/// A handler for `block` that holds each task until `gate` gets a permit, and one for `ok`;
/// `started` counts the attempts begun.
fn gated_mux(gate: Arc<Semaphore>, started: Arc<Mutex<Vec<String>>>) -> ServeMux {
    let mut mux = ServeMux::new();
    let s = started.clone();
    mux.handle_fn("block", move |ctx: TaskContext, _t| {
        let (gate, s) = (gate.clone(), s.clone());
        async move {
            s.lock().unwrap().push(ctx.task_id().to_string());
            gate.acquire().await.unwrap().forget();
            Ok(())
        }
    })
    .unwrap();
    mux.handle_fn("ok", move |ctx: TaskContext, _t| {
        let s = started.clone();
        async move {
            s.lock().unwrap().push(ctx.task_id().to_string());
            Ok(())
        }
    })
    .unwrap();
    mux
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_publishes_server_and_workers_and_extends_leases_then_stop() {
    let env = Env::start().await;
    let info = env
        .client
        .enqueue(
            &Task::new("block", "payload"),
            &[TaskOption::Timeout(Duration::from_secs(60))],
        )
        .await
        .unwrap();
    let gate = Arc::new(Semaphore::new(0));
    let started: Arc<Mutex<Vec<String>>> = Arc::default();
    let queues = HashMap::from([("default".to_string(), 2), ("other".to_string(), 1)]);
    let config = asynq_worker::Config {
        concurrency: 3,
        queues: queues.clone(),
        ..fast_config()
    };
    let server = env.server(config).await;
    let t0 = now_secs();
    server
        .start(gated_mux(gate.clone(), started.clone()))
        .unwrap();
    wait_for("the task to start", LIMIT, || async {
        started.lock().unwrap().len() == 1
    })
    .await;
    let lease0 = env.zscore(Q, "lease", &info.id).await.unwrap();
    assert_within(
        "first lease",
        lease0,
        (t0 + 30) as f64,
        (now_secs() + 30) as f64,
    );

    // Server entry: ZSET members with expiry now + 2 × interval, and the ServerInfo.
    wait_for("a beat listing the running task", LIMIT, || async {
        server_info(&env, &server)
            .await
            .is_some_and(|i| i.active_worker_count == 1)
    })
    .await;
    let si = server_info(&env, &server).await.unwrap();
    assert_eq!(si.host, server.host());
    assert_eq!(si.pid, std::process::id() as i32);
    assert_eq!(si.server_id, server.server_id());
    assert_eq!(si.concurrency, 3);
    assert_eq!(si.queues, queues);
    assert!(!si.strict_priority);
    assert_eq!(si.status, "active");
    let start = datetime_from_timestamp(si.start_time.as_ref()).expect("start_time");
    assert_within(
        "start_time",
        start.unix_timestamp() as f64,
        t0 as f64,
        now_secs() as f64,
    );
    let servers = env.raw.zrange_withscores("asynq:servers").await;
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0].0, server_key(&server));
    assert_within(
        "asynq:servers score",
        servers[0].1,
        now_secs() as f64,
        (now_secs() + 2) as f64,
    );
    let workers = env.raw.zrange_withscores("asynq:workers").await;
    assert_eq!(workers.len(), 1);
    assert_eq!(workers[0].0, workers_key(&server));
    let ttl = env.raw.ttl(&server_key(&server)).await;
    assert!((1..=2).contains(&ttl), "server key TTL {ttl}");

    // WorkerInfo of the running task.
    let winfos = env.raw.hgetall(&workers_key(&server)).await;
    assert_eq!(winfos.keys().collect::<Vec<_>>(), vec![&info.id]);
    let wi: WorkerInfo = asynq_proto::decode(&winfos[&info.id][..]).unwrap();
    assert_eq!(wi.host, server.host());
    assert_eq!(wi.pid, std::process::id() as i32);
    assert_eq!(wi.server_id, server.server_id());
    assert_eq!(wi.task_id, info.id);
    assert_eq!(wi.task_type, "block");
    assert_eq!(&wi.task_payload[..], b"payload");
    assert_eq!(wi.queue, "default");
    let wstart = datetime_from_timestamp(wi.start_time.as_ref()).expect("worker start_time");
    let wdeadline = datetime_from_timestamp(wi.deadline.as_ref()).expect("worker deadline");
    assert_eq!(wdeadline - wstart, time::Duration::seconds(60));
    assert_within(
        "worker start",
        wstart.unix_timestamp() as f64,
        t0 as f64,
        now_secs() as f64,
    );

    // The heartbeat pushes the lease forward.
    wait_for("the lease to be extended", LIMIT, || async {
        env.zscore(Q, "lease", &info.id)
            .await
            .is_some_and(|s| s > lease0)
    })
    .await;

    // Stop: status stopped, no more dequeues, the running task still finishes.
    server.stop();
    assert_eq!(server.state(), ServerState::Stopped);
    wait_for("status stopped", LIMIT, || async {
        server_info(&env, &server)
            .await
            .is_some_and(|i| i.status == "stopped")
    })
    .await;
    let late = env
        .client
        .enqueue(&Task::new("ok", "late"), &[])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(env.state(Q, &late.id).await.as_deref(), Some("pending"));
    assert_eq!(env.list(Q, "pending").await, vec![late.id.clone()]);
    gate.add_permits(1);
    env.wait_gone(Q, &info.id, LIMIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(started.lock().unwrap().clone(), vec![info.id.clone()]);
    assert_eq!(env.state(Q, &late.id).await.as_deref(), Some("pending"));

    // Shutdown removes the server's entries.
    server.shutdown().await;
    assert!(env.raw.zrange_withscores("asynq:servers").await.is_empty());
    assert!(env.raw.zrange_withscores("asynq:workers").await.is_empty());
    assert!(!env.raw.exists(&server_key(&server)).await);
    assert!(!env.raw.exists(&workers_key(&server)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarder_moves_a_scheduled_task_to_pending_and_it_runs() {
    let env = Env::start().await;
    let info = env
        .client
        .enqueue(
            &Task::new("ok", "later"),
            &[TaskOption::ProcessIn(Duration::from_secs(1))],
        )
        .await
        .unwrap();
    assert_eq!(env.state(Q, &info.id).await.as_deref(), Some("scheduled"));
    let score = env.zscore(Q, "scheduled", &info.id).await.unwrap();
    let started: Arc<Mutex<Vec<String>>> = Arc::default();
    let server = env.server(fast_config()).await;
    server
        .start(gated_mux(Arc::new(Semaphore::new(0)), started.clone()))
        .unwrap();
    env.wait_gone(Q, &info.id, LIMIT).await;
    // Not before its (whole-second) process-at time.
    assert!(now_secs() as f64 >= score);
    assert_eq!(started.lock().unwrap().clone(), vec![info.id.clone()]);
    assert_eq!(env.int("asynq:{default}:processed").await, 1);
    env.assert_indexes_empty_except(Q, &[]).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_task_is_forwarded_from_retry_and_processed_again() {
    let env = Env::start().await;
    let info = env
        .client
        .enqueue(&Task::new("flaky", "p"), &[])
        .await
        .unwrap();
    let counts: Arc<Mutex<Vec<(i32, i32)>>> = Arc::default();
    let c = counts.clone();
    let config = fast_config().with_retry_delay_func(|_, _, _| Duration::from_secs(1));
    let server = env.server(config).await;
    server
        .start(handler_fn(move |ctx, _t| {
            let c = c.clone();
            async move {
                c.lock().unwrap().push((ctx.retry_count(), ctx.max_retry()));
                if ctx.retry_count() == 0 {
                    return Err(HandlerError::new("first attempt fails"));
                }
                Ok(())
            }
        }))
        .unwrap();
    env.wait_gone(Q, &info.id, LIMIT).await;
    assert_eq!(counts.lock().unwrap().clone(), vec![(0, 25), (1, 25)]);
    assert_eq!(env.int("asynq:{default}:processed").await, 2);
    assert_eq!(env.int("asynq:{default}:failed").await, 1);
    env.assert_indexes_empty_except(Q, &[]).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn janitor_deletes_completed_tasks_after_their_retention() {
    let env = Env::start().await;
    let info = env
        .client
        .enqueue(
            &Task::new("ok", "p"),
            &[TaskOption::Retention(Duration::from_secs(2))],
        )
        .await
        .unwrap();
    let server = env.server(fast_config()).await;
    server
        .start(gated_mux(Arc::new(Semaphore::new(0)), Arc::default()))
        .unwrap();
    env.wait_state(Q, &info.id, "completed", LIMIT).await;
    let msg = env.msg(Q, &info.id).await;
    assert_eq!(
        env.zscore(Q, "completed", &info.id).await,
        Some((msg.completed_at + 2) as f64)
    );
    env.wait_gone(Q, &info.id, LIMIT).await;
    // Deleted once the score (completed_at + 2) was reached, not before.
    assert!(now_secs() >= msg.completed_at + 2);
    assert!(env.zset(Q, "completed").await.is_empty());
    assert_eq!(env.int("asynq:{default}:processed").await, 1);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recoverer_retries_or_archives_tasks_whose_lease_expired() {
    let env = Env::start().await;
    let retry = env
        .client
        .enqueue(&Task::new("lost", "a"), &[])
        .await
        .unwrap();
    let archive = env
        .client
        .enqueue(&Task::new("lost", "b"), &[TaskOption::MaxRetry(0)])
        .await
        .unwrap();
    // A worker that took both tasks and died: active, with leases that expired a minute ago.
    let broker = Broker::connect(env.opt.clone()).await.unwrap();
    let queues = vec![Q.to_string()];
    broker.dequeue(&queues).await.unwrap();
    broker.dequeue(&queues).await.unwrap();
    let expired = (now_secs() - 60).to_string();
    for id in [&retry.id, &archive.id] {
        env.raw
            .cmd(&["ZADD", "asynq:{default}:lease", "XX", &expired, id])
            .await;
        assert_eq!(env.state(Q, id).await.as_deref(), Some("active"));
    }
    let errors = Arc::new(AtomicUsize::new(0));
    let e = errors.clone();
    let config = fast_config().with_error_handler(move |_, _, _| {
        e.fetch_add(1, Ordering::SeqCst);
    });
    let t0 = now_secs();
    let server = env.server(config).await;
    server
        .start(handler_fn(|_ctx, _t| async { Ok(()) }))
        .unwrap();
    env.wait_state(Q, &retry.id, "retry", LIMIT).await;
    env.wait_state(Q, &archive.id, "archived", LIMIT).await;

    let msg = env.msg(Q, &retry.id).await;
    assert_eq!(msg.error_msg, "asynq: task lease expired");
    assert_eq!(msg.retried, 1);
    let score = env.zscore(Q, "retry", &retry.id).await.unwrap();
    assert_within(
        "retry score",
        score,
        (t0 + 15) as f64,
        (now_secs() + 45) as f64,
    );
    let msg = env.msg(Q, &archive.id).await;
    assert_eq!(msg.error_msg, "asynq: task lease expired");
    assert_eq!(msg.retried, 0);
    assert!(env.list(Q, "active").await.is_empty());
    assert!(env.zset(Q, "lease").await.is_empty());
    assert_eq!(env.int("asynq:{default}:processed").await, 2);
    assert_eq!(env.int("asynq:{default}:failed").await, 2);
    assert_eq!(errors.load(Ordering::SeqCst), 0, "error handler called");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_requeues_tasks_still_running_after_the_timeout() {
    let env = Env::start().await;
    let info = env
        .client
        .enqueue(&Task::new("stuck", "p"), &[])
        .await
        .unwrap();
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    let config = asynq_worker::Config {
        shutdown_timeout: Duration::from_millis(500),
        ..fast_config()
    };
    let server = env.server(config).await;
    server
        .start(handler_fn(move |_ctx, _t| {
            let s = s.clone();
            async move {
                s.fetch_add(1, Ordering::SeqCst);
                // Ignores cancellation.
                tokio::time::sleep(Duration::from_secs(20)).await;
                Ok(())
            }
        }))
        .unwrap();
    wait_for("the task to start", LIMIT, || async {
        started.load(Ordering::SeqCst) == 1
    })
    .await;
    let t = Instant::now();
    server.shutdown().await;
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(3),
        "shutdown took {took:?}"
    );
    assert_eq!(env.state(Q, &info.id).await.as_deref(), Some("pending"));
    assert_eq!(env.list(Q, "pending").await, vec![info.id.clone()]);
    let hash = env.hash(Q, &info.id).await;
    assert!(!hash.contains_key("pending_since"));
    let msg = env.msg(Q, &info.id).await;
    assert_eq!(msg.retried, 0);
    assert!(msg.error_msg.is_empty());
    assert!(env.list(Q, "active").await.is_empty());
    assert!(env.zset(Q, "lease").await.is_empty());
    assert!(!env.raw.exists("asynq:{default}:processed").await);
    assert!(!env.raw.exists("asynq:{default}:failed").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_check_reports_a_reachable_redis() {
    let env = Env::start().await;
    let calls: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let c = calls.clone();
    let config = asynq_worker::Config {
        health_check_interval: Duration::from_millis(100),
        ..fast_config()
    }
    .with_health_check_func(move |err| {
        c.lock().unwrap().push(err.map(|e| e.to_string()));
    });
    let server = env.server(config).await;
    server
        .start(handler_fn(|_ctx, _t| async { Ok(()) }))
        .unwrap();
    wait_for("three health checks", LIMIT, || async {
        calls.lock().unwrap().len() >= 3
    })
    .await;
    let got = calls.lock().unwrap().clone();
    assert!(got.iter().all(Option::is_none), "{got:?}");
    server.shutdown().await;
    let n = calls.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        calls.lock().unwrap().len(),
        n,
        "health check after shutdown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_stop_shutdown_state_errors() {
    let env = Env::start().await;
    let server = env.server(fast_config()).await;
    assert_eq!(server.state(), ServerState::New);
    // Shutdown before start does nothing.
    server.shutdown().await;
    assert_eq!(server.state(), ServerState::New);
    server
        .start(handler_fn(|_ctx, _t| async { Ok(()) }))
        .unwrap();
    assert_eq!(server.state(), ServerState::Active);
    let err = server
        .start(handler_fn(|_ctx, _t| async { Ok(()) }))
        .unwrap_err();
    assert!(matches!(err, WorkerError::ServerRunning), "{err:?}");
    server.ping().await.unwrap();
    server.stop();
    let err = server
        .start(handler_fn(|_ctx, _t| async { Ok(()) }))
        .unwrap_err();
    assert!(matches!(err, WorkerError::ServerStopped), "{err:?}");
    server.shutdown().await;
    assert_eq!(server.state(), ServerState::Closed);
    let err = server
        .start(handler_fn(|_ctx, _t| async { Ok(()) }))
        .unwrap_err();
    assert!(matches!(err, WorkerError::ServerClosed), "{err:?}");
    assert_eq!(err.to_string(), "asynq: Server closed");
    assert!(matches!(
        server.ping().await.unwrap_err(),
        WorkerError::ServerClosed
    ));
    // A second shutdown returns at once.
    server.shutdown().await;

    // Start, then shutdown without stop, then start again.
    let server = env.server(fast_config()).await;
    server
        .start(handler_fn(|_ctx, _t| async { Ok(()) }))
        .unwrap();
    server.shutdown().await;
    let err = server
        .start(handler_fn(|_ctx, _t| async { Ok(()) }))
        .unwrap_err();
    assert!(matches!(err, WorkerError::ServerClosed), "{err:?}");
}

#[test]
fn start_outside_a_runtime_is_an_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (env, server) = rt.block_on(async {
        let env = Env::start().await;
        let server = env.server(fast_config()).await;
        (env, server)
    });
    let err = server
        .start(handler_fn(|_ctx, _t| async { Ok(()) }))
        .unwrap_err();
    assert!(matches!(err, WorkerError::NoRuntime), "{err:?}");
    assert_eq!(server.state(), ServerState::New);
    rt.block_on(async move {
        drop(server);
        drop(env);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_configs_are_refused() {
    let env = Env::start().await;
    let with_queues = |pairs: &[(&str, i32)]| asynq_worker::Config {
        queues: pairs.iter().map(|&(q, p)| (q.to_string(), p)).collect(),
        ..fast_config()
    };
    let cases: Vec<(asynq_worker::Config, ConfigError)> = vec![
        (
            with_queues(&[("default", 1), ("  ", 1)]),
            ConfigError::BlankQueueName { name: "  ".into() },
        ),
        (
            with_queues(&[("", 1)]),
            ConfigError::BlankQueueName { name: "".into() },
        ),
        (
            with_queues(&[("default", 0)]),
            ConfigError::NonPositivePriority {
                queue: "default".into(),
                priority: 0,
            },
        ),
        (
            with_queues(&[("default", 1), ("low", -3)]),
            ConfigError::NonPositivePriority {
                queue: "low".into(),
                priority: -3,
            },
        ),
        (
            asynq_worker::Config {
                group_grace_period: Duration::from_millis(500),
                ..fast_config()
            },
            ConfigError::GroupGracePeriodTooShort {
                period: Duration::from_millis(500),
            },
        ),
    ];
    let broker = Broker::connect(env.opt.clone()).await.unwrap();
    for (config, want) in cases {
        match Server::connect(env.opt.clone(), config.clone()).await {
            Err(WorkerError::Config(got)) => assert_eq!(got, want),
            other => panic!("connect with {config:?}: {other:?}, want {want:?}"),
        }
        match Server::from_broker(broker.clone(), config.clone()) {
            Err(WorkerError::Config(got)) => assert_eq!(got, want),
            other => panic!("from_broker with {config:?}: {other:?}, want {want:?}"),
        }
    }
    // Nothing was registered in Redis.
    assert!(env.raw.zrange_withscores("asynq:servers").await.is_empty());
}
