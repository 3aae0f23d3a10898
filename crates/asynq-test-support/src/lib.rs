//! Test-only helpers for the asynq workspace: start real Redis deployments as child processes.
//!
//! Integration tests use this crate to run against a genuine `redis-server` instead of a mock:
//!
//! - [`RedisNode`]: one server, with [`kill`](RedisNode::kill) / [`restart`](RedisNode::restart)
//!   on the same port to simulate outages;
//! - [`TlsRedisNode`]: a TLS-only server with a freshly generated CA, server and client
//!   certificate (client certificates required);
//! - [`RedisCluster`]: a Redis Cluster built with `redis-cli --cluster create`, optionally with
//!   replicas;
//! - [`RedisSentinelGroup`]: a primary, a replica and three sentinels monitoring `"mymaster"`;
//! - [`Raw`]: a raw-command client for asserting on Redis state;
//! - [`fuzz`]: the case counts and report line of the fuzz targets run by `cargo xtask fuzz`.
//!
//! Every process listens on a free port on 127.0.0.1 only, runs without persistence in its own
//! temporary directory (holding its log, shown in panic messages when it fails to start), and is
//! SIGKILLed and reaped when its owner is dropped. Only the processes started by a value are ever
//! killed, so tests may run in parallel threads and parallel test binaries.
//!
//! Requires `redis-server`, `redis-cli` and `redis-sentinel` (Redis 7) on `PATH` or in
//! `/usr/bin`:
//! `apt-get install -y redis-server redis-tools redis-sentinel`.
//!
//! ```no_run
//! # async fn demo() {
//! use asynq_test_support::RedisNode;
//!
//! let node = RedisNode::start().await;
//! let raw = node.raw().await;
//! raw.cmd(&["SET", "greeting", "hello"]).await;
//! assert_eq!(raw.get("greeting").await.as_deref(), Some(&b"hello"[..]));
//! # }
//! ```

mod cluster;
pub mod fuzz;
mod node;
mod process;
mod raw;
mod sentinel;
mod tls;

pub use cluster::{RedisCluster, CLUSTER_NODE_TIMEOUT_MS};
pub use node::RedisNode;
pub use raw::Raw;
pub use sentinel::{RedisSentinelGroup, SENTINEL_DOWN_AFTER_MS, SENTINEL_FAILOVER_TIMEOUT_MS};
pub use tls::TlsRedisNode;
