//! Shared set-up of the interop tests: one Redis with a raw connection, the Go driver and a
//! Rust client, and bounded polling. Each test file adds its own `impl Env` helpers.

#![allow(dead_code)]

use std::future::Future;
use std::process::{Child, Command, Stdio};
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

/// A Rust server in a process of its own, for tests that SIGKILL it: this test binary run again
/// with only the ignored test `test` (which reads the Redis URL from `env_var`). Killed and
/// reaped on drop if the test ends early.
pub struct ChildProcess(Option<Child>);

impl ChildProcess {
    /// Runs `<this test binary> --ignored --exact <test>` with `env_var` = `url`, its output
    /// discarded.
    pub fn spawn(test: &str, env_var: &str, url: &str) -> ChildProcess {
        let child = Command::new(std::env::current_exe().expect("test executable"))
            .args(["--ignored", "--exact", test, "--nocapture"])
            .env(env_var, url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the child process");
        ChildProcess(Some(child))
    }

    /// The process ID (0 once killed).
    pub fn pid(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }

    /// SIGKILLs the process and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.0.take() {
            c.kill().expect("SIGKILL the child process");
            c.wait().expect("reap the child process");
        }
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
