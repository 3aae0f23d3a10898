//! Shared set-up of the interop tests: one Redis with a raw connection, the Go driver and a
//! Rust client, and bounded polling. Each test file adds its own `impl Env` helpers.

#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

use asynq_client::{Client, RedisConnOpt};
use asynq_interop::GoAsynq;
use asynq_test_support::{Raw, RedisNode};
use asynq_worker::{Config, Server};

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
