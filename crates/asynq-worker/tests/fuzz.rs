//! Fuzz target of the dequeue path through a real Redis (`cargo xtask fuzz`): a running server
//! is fed task hashes with arbitrary contents (a `msg` of random bytes, a mutated valid message,
//! one naming another queue or ID, none at all; random `state` and extra fields) pushed onto
//! `pending`, each followed by a good task. The server survives every case, the good task is
//! processed, and the fuzzed ID ends in a defined state: archived (with an error) or processed
//! like any task, never left in `pending`, `active` or `lease`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asynq_client::Task;
use asynq_proto::{decode_task_message, TaskMessage};
use asynq_test_support::fuzz;
use asynq_worker::handler_fn;
use common::{fast_config, task_key, Env};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

/// What the fuzzed hash's `msg` field holds.
#[derive(Debug, Clone)]
enum Msg {
    /// No `msg` field.
    Missing,
    /// Random bytes.
    Bytes(Vec<u8>),
    /// A valid message, possibly naming another queue or ID, with some bytes overwritten.
    Valid {
        other_queue: bool,
        other_id: bool,
        retry: i32,
        edits: Vec<(usize, u8)>,
    },
}

#[derive(Debug, Clone)]
struct Case {
    msg: Msg,
    state: String,
    extra: Vec<(String, Vec<u8>)>,
}

fn case() -> impl Strategy<Value = Case> {
    let msg = prop_oneof![
        1 => Just(Msg::Missing),
        3 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Msg::Bytes),
        4 => (
            any::<bool>(),
            any::<bool>(),
            0i32..3,
            proptest::collection::vec((any::<usize>(), any::<u8>()), 0..3)
        )
            .prop_map(|(other_queue, other_id, retry, edits)| Msg::Valid {
                other_queue,
                other_id,
                retry,
                edits,
            }),
    ];
    let state = prop_oneof![
        Just("pending".to_string()),
        Just("active".to_string()),
        "[a-z]{0,8}",
    ];
    let extra = proptest::collection::vec(
        (
            prop_oneof![
                Just("pending_since".to_string()),
                Just("group".to_string()),
                Just("unique_key".to_string()),
                Just("result".to_string()),
                "[a-z_]{1,8}",
            ],
            proptest::collection::vec(any::<u8>(), 0..16),
        ),
        0..3,
    );
    (msg, state, extra).prop_map(|(msg, state, extra)| Case { msg, state, extra })
}

impl Case {
    /// The `msg` bytes for task `id` of `default`, if any.
    fn msg_bytes(&self, id: &str) -> Option<Vec<u8>> {
        match &self.msg {
            Msg::Missing => None,
            Msg::Bytes(b) => Some(b.clone()),
            Msg::Valid {
                other_queue,
                other_id,
                retry,
                edits,
            } => {
                let msg = TaskMessage {
                    r#type: "fuzz:valid".into(),
                    payload: b"p".to_vec().into(),
                    id: if *other_id {
                        "elsewhere".into()
                    } else {
                        id.into()
                    },
                    queue: if *other_queue {
                        "other".into()
                    } else {
                        "default".into()
                    },
                    retry: *retry,
                    timeout: 60,
                    ..TaskMessage::default()
                };
                let mut b = asynq_proto::encode(&msg).to_vec();
                for &(at, byte) in edits {
                    let i = at % b.len();
                    b[i] = byte;
                }
                Some(b)
            }
        }
    }
}

/// Where task `id` of `default` is listed.
async fn indexes_of(env: &Env, id: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    for list in ["pending", "active"] {
        if env.list("default", list).await.iter().any(|x| x == id) {
            found.push(list);
        }
    }
    for zset in ["lease", "scheduled", "retry", "archived", "completed"] {
        if env.zscore("default", zset, id).await.is_some() {
            found.push(zset);
        }
    }
    found
}

/// Runs one case; returns a description of what is wrong, if anything.
async fn run_case(env: &Env, n: usize, case: &Case, processed: &AtomicUsize) -> Result<(), String> {
    let id = format!("fz{n}");
    let key = task_key("default", &id);
    let mut args: Vec<Vec<u8>> = vec![key.clone().into_bytes()];
    if let Some(m) = case.msg_bytes(&id) {
        args.extend([b"msg".to_vec(), m]);
    }
    args.extend([b"state".to_vec(), case.state.clone().into_bytes()]);
    for (f, v) in &case.extra {
        if f != "msg" && f != "state" {
            args.extend([f.clone().into_bytes(), v.clone()]);
        }
    }
    let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
    env.raw.cmd_bytes("HSET", &refs).await;
    env.raw
        .cmd(&["LPUSH", "asynq:{default}:pending", &id])
        .await;
    let before = processed.load(Ordering::SeqCst);
    let good = env
        .client
        .enqueue(&Task::new("fuzz:good", "g"), &[])
        .await
        .map_err(|e| format!("enqueue of the good task: {e}"))?;

    let t = Instant::now();
    loop {
        let good_done = !env.task_exists("default", &good.id).await;
        let idx = indexes_of(env, &id).await;
        let settled = !idx
            .iter()
            .any(|i| ["pending", "active", "lease"].contains(i));
        if good_done && settled {
            break;
        }
        if t.elapsed() > Duration::from_secs(10) {
            return Err(format!(
                "after 10 s: good task done {good_done}, fuzzed ID listed in {idx:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if processed.load(Ordering::SeqCst) <= before {
        return Err("the good task was not processed by the handler".into());
    }
    // The fuzzed ID: gone (processed), archived or retried with a decodable message in its
    // place, or (no `msg` field) dropped from every index.
    let idx = indexes_of(env, &id).await;
    let hash = env.raw.hgetall(&key).await;
    match (hash.get("msg"), idx.as_slice()) {
        (None, []) => Ok(()),
        (Some(raw), ["archived"] | ["retry"]) => {
            let msg = decode_task_message(raw).map_err(|e| format!("archived msg: {e}"))?;
            let state = hash
                .get("state")
                .map(|s| String::from_utf8_lossy(s).into_owned());
            if msg.id != id || msg.queue != "default" || msg.error_msg.is_empty() {
                return Err(format!("{idx:?} with msg {msg:?}"));
            }
            if state.as_deref() != Some(idx[0]) {
                return Err(format!("listed in {idx:?} with state {state:?}"));
            }
            Ok(())
        }
        (m, idx) => Err(format!(
            "fuzzed ID listed in {idx:?}, msg field present: {}",
            m.is_some()
        )),
    }
}

#[test]
fn fuzz_dequeue_path() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let processed = Arc::new(AtomicUsize::new(0));
    let (env, server) = rt.block_on(async {
        let env = Env::start().await;
        let server = env
            .server(fast_config().with_retry_delay_func(|_, _, _| Duration::from_secs(3600)))
            .await;
        let p = processed.clone();
        server
            .start(handler_fn(move |_ctx, _t| {
                let p = p.clone();
                async move {
                    p.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            }))
            .expect("server starts");
        (env, server)
    });
    let execs = fuzz::Executions::new("dequeue_path");
    let n = AtomicUsize::new(0);
    let mut runner = TestRunner::new(fuzz::config(fuzz::redis_cases()));
    runner
        .run(&case(), |case| {
            execs.hit();
            let i = n.fetch_add(1, Ordering::SeqCst);
            let r = rt.block_on(run_case(&env, i, &case, &processed));
            prop_assert!(r.is_ok(), "{}", r.unwrap_err());
            Ok(())
        })
        .unwrap_or_else(|e| panic!("fuzz target dequeue_path: {e}"));
    rt.block_on(async {
        // The server is still running and serving.
        let t = env
            .client
            .enqueue(&Task::new("fuzz:last", "l"), &[])
            .await
            .expect("enqueue");
        env.wait_gone("default", &t.id, Duration::from_secs(10))
            .await;
        server.shutdown().await;
    });
    execs.report();
}
