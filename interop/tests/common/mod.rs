//! Shared set-up of the interop tests: one Redis with a raw connection, the Go driver and a
//! Rust client, and bounded polling. Each test file adds its own `impl Env` helpers.

#![allow(dead_code)]

use std::future::Future;
use std::sync::Once;
use std::time::{Duration, Instant};

use asynq_client::{Client, RedisConnOpt};
use asynq_interop::{GoAsynq, GoBehaviour};
use asynq_test_support::{Raw, RedisNode};
use asynq_worker::{CancelReason, Config, HandlerError, Server, TaskContext};

/// One Redis, a raw connection to it, the Go driver and a Rust client.
pub struct Env {
    pub node: RedisNode,
    pub raw: Raw,
    pub go: GoAsynq,
    pub opt: RedisConnOpt,
    pub client: Client,
}

impl Env {
    pub async fn start() -> Env {
        let node = RedisNode::start().await;
        let raw = node.raw().await;
        let go = GoAsynq::new(node.addr());
        let opt = RedisConnOpt::parse_uri(&node.url()).expect("redis URI");
        let client = Client::connect(opt.clone()).await.expect("Rust client");
        Env {
            node,
            raw,
            go,
            opt,
            client,
        }
    }

    /// A Rust server on this Redis (not started).
    pub async fn server(&self, config: Config) -> Server {
        Server::connect(self.opt.clone(), config)
            .await
            .expect("Rust server connects")
    }
}

/// Polls `cond` every 20 ms until it yields a value; fails the test with `what` after `limit`.
pub async fn wait_for<T, F, Fut>(limit: Duration, what: &str, mut cond: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = cond().await {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out after {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Does not print the panics the tests ask for (their message contains `mark`); every other
/// panic goes to the previous hook. Installed once per test binary.
pub fn quiet_expected_panics(mark: &'static str) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.to_string().contains(mark) {
                previous(info);
            }
        }));
    });
}

/// The steps of `b` other than the panic, as the Go serve handler performs them (Go `perform`
/// in `goasynq/serve.go`): sleep (ending early with the context's error), write the result,
/// then return the revoke, skip-retry or plain error.
pub async fn perform(ctx: &TaskContext, b: &GoBehaviour) -> Result<(), HandlerError> {
    if let Some(ms) = b.sleep_ms.filter(|&ms| ms > 0) {
        tokio::select! {
            _ = ctx.cancelled() => {
                let reason = ctx.err().unwrap_or(CancelReason::Canceled);
                return Err(reason.to_handler_error());
            }
            _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
        }
    }
    if let Some(result) = &b.result {
        ctx.result_writer().write(result.as_bytes()).await?;
    }
    let text = b.error.clone().unwrap_or_default();
    if b.revoke {
        return Err(if text.is_empty() {
            HandlerError::RevokeTask(None)
        } else {
            HandlerError::revoke_task(text)
        });
    }
    if b.skip_retry {
        return Err(if text.is_empty() {
            HandlerError::SkipRetry(None)
        } else {
            HandlerError::skip_retry(text)
        });
    }
    if !text.is_empty() {
        return Err(HandlerError::new(text));
    }
    Ok(())
}
