//! A Sentinel-monitored primary/replica pair.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use tempfile::TempDir;

use crate::node::RedisNode;
use crate::process::{self, info_field, info_text, resp_command, OwnedChild, Probe};
use crate::raw::Raw;

/// Name under which the sentinels monitor the primary.
const MASTER_NAME: &str = "mymaster";
/// Number of sentinel processes.
const SENTINELS: usize = 3;
/// How long the group may take to become fully linked.
const GROUP_READY_TIMEOUT: Duration = Duration::from_secs(30);

/// `sentinel down-after-milliseconds` for the monitored master.
pub const SENTINEL_DOWN_AFTER_MS: u64 = 1000;
/// `sentinel failover-timeout` for the monitored master.
pub const SENTINEL_FAILOVER_TIMEOUT_MS: u64 = 5000;

/// One `redis-sentinel` process.
#[derive(Debug)]
struct Sentinel {
    port: u16,
    _child: OwnedChild,
    // Declared last so the process is killed before its directory is removed.
    dir: TempDir,
}

/// A Sentinel deployment: one primary, one replica (`--replicaof` the primary) and 3
/// `redis-sentinel` processes monitoring it as `"mymaster"` with quorum 2,
/// `down-after-milliseconds` [`SENTINEL_DOWN_AFTER_MS`] and `failover-timeout`
/// [`SENTINEL_FAILOVER_TIMEOUT_MS`]. After the primary is killed, a failover to the replica
/// typically completes within 2-4 seconds.
///
/// All processes run on free loopback ports and are SIGKILLed and reaped on drop.
#[derive(Debug)]
pub struct RedisSentinelGroup {
    primary: RedisNode,
    replica: RedisNode,
    sentinels: Vec<Sentinel>,
}

fn sentinel_conf(port: u16, dir: &Path, primary_port: u16) -> String {
    let dir = dir.display();
    format!(
        "port {port}\n\
         bind 127.0.0.1\n\
         daemonize no\n\
         dir \"{dir}\"\n\
         logfile \"{dir}/redis.log\"\n\
         sentinel resolve-hostnames no\n\
         sentinel monitor {MASTER_NAME} 127.0.0.1 {primary_port} 2\n\
         sentinel down-after-milliseconds {MASTER_NAME} {SENTINEL_DOWN_AFTER_MS}\n\
         sentinel failover-timeout {MASTER_NAME} {SENTINEL_FAILOVER_TIMEOUT_MS}\n\
         sentinel parallel-syncs {MASTER_NAME} 1\n"
    )
}

impl Sentinel {
    async fn start(primary_port: u16) -> Sentinel {
        let dir = tempfile::Builder::new()
            .prefix("asynq-sentinel-")
            .tempdir()
            .expect("create temp dir for redis-sentinel");
        let conf = dir.path().join("sentinel.conf");
        let (child, port) = process::spawn_on_free_port(
            dir.path(),
            false,
            "redis-sentinel",
            &Probe::Plain,
            |port| {
                std::fs::write(&conf, sentinel_conf(port, dir.path(), primary_port))
                    .unwrap_or_else(|e| panic!("write {}: {e}", conf.display()));
                process::redis_sentinel_command(&conf)
            },
        )
        .await;
        Sentinel {
            port,
            _child: child,
            dir,
        }
    }

    /// `SENTINEL MASTER mymaster` as field/value pairs; empty if the sentinel does not answer.
    async fn master_state(&self) -> Vec<(String, String)> {
        match resp_command(self.port, &["SENTINEL", "MASTER", MASTER_NAME]).await {
            Ok(reply) => reply
                .items()
                .chunks(2)
                .filter_map(|pair| Some((pair.first()?.text()?, pair.get(1)?.text()?)))
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// Asks the sentinel on `port` for the master address of `mymaster`.
async fn master_addr_from(port: u16) -> Option<String> {
    let reply = resp_command(port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME])
        .await
        .ok()?;
    match reply.items() {
        [host, port] => Some(format!("{}:{}", host.text()?, port.text()?)),
        _ => None,
    }
}

impl RedisSentinelGroup {
    /// Starts the primary, the replica (waiting for `master_link_status:up`), then the 3
    /// sentinels, and waits until every sentinel reports the primary for `mymaster`
    /// (`SENTINEL GET-MASTER-ADDR-BY-NAME`), sees the replica, and knows the 2 other sentinels,
    /// so a failover can start right away.
    pub async fn start() -> RedisSentinelGroup {
        let primary = RedisNode::start().await;
        let primary_port = primary.port().to_string();
        let replica =
            RedisNode::start_with_args(&["--replicaof", "127.0.0.1", &primary_port]).await;
        process::poll_until(
            GROUP_READY_TIMEOUT,
            || async {
                info_text(replica.port(), &["INFO", "replication"])
                    .await
                    .is_some_and(|info| info_field(&info, "master_link_status") == Some("up"))
            },
            || async {
                format!(
                    "replica {} never linked to primary {}:{}{}",
                    replica.addr(),
                    primary.addr(),
                    replica.log(),
                    primary.log()
                )
            },
        )
        .await;

        let mut sentinels = Vec::with_capacity(SENTINELS);
        for _ in 0..SENTINELS {
            sentinels.push(Sentinel::start(primary.port()).await);
        }
        let group = RedisSentinelGroup {
            primary,
            replica,
            sentinels,
        };
        group.wait_until_ready().await;
        group
    }

    async fn is_ready(&self) -> bool {
        let expected = self.primary.addr();
        let others = (SENTINELS - 1).to_string();
        for sentinel in &self.sentinels {
            if master_addr_from(sentinel.port).await.as_deref() != Some(expected.as_str()) {
                return false;
            }
            let state = sentinel.master_state().await;
            let field = |name: &str| {
                state
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
            };
            if field("flags") != Some("master")
                || field("num-slaves") != Some("1")
                || field("num-other-sentinels") != Some(others.as_str())
            {
                return false;
            }
        }
        true
    }

    async fn wait_until_ready(&self) {
        process::poll_until(
            GROUP_READY_TIMEOUT,
            || self.is_ready(),
            || async {
                let mut out = String::from("sentinel group not ready");
                for sentinel in &self.sentinels {
                    let state = sentinel.master_state().await;
                    let _ = write!(
                        out,
                        "\n=== sentinel 127.0.0.1:{} ===\n{state:?}{}",
                        sentinel.port,
                        process::read_logs(sentinel.dir.path())
                    );
                }
                out
            },
        )
        .await;
    }

    /// The monitored master name: `"mymaster"`.
    pub fn master_name(&self) -> &str {
        MASTER_NAME
    }

    /// Every sentinel's address, `"127.0.0.1:PORT"`.
    pub fn sentinel_addrs(&self) -> Vec<String> {
        self.sentinels
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port))
            .collect()
    }

    /// The node started as primary (after a failover it may be a replica, or dead).
    pub fn primary_mut(&mut self) -> &mut RedisNode {
        &mut self.primary
    }

    /// The node started as replica (after a failover it may be the primary).
    pub fn replica_mut(&mut self) -> &mut RedisNode {
        &mut self.replica
    }

    /// The node started as primary.
    pub fn primary(&self) -> &RedisNode {
        &self.primary
    }

    /// The node started as replica.
    pub fn replica(&self) -> &RedisNode {
        &self.replica
    }

    /// The current master address (`"127.0.0.1:PORT"`) according to the first sentinel that
    /// answers `SENTINEL GET-MASTER-ADDR-BY-NAME`; changes after a failover.
    pub async fn master_addr(&self) -> Option<String> {
        for sentinel in &self.sentinels {
            if let Some(addr) = master_addr_from(sentinel.port).await {
                return Some(addr);
            }
        }
        None
    }

    /// Waits until every sentinel reports `addr` as the master (e.g. the replica's address after
    /// killing the primary). Panics after 30 s.
    pub async fn wait_for_master(&self, addr: &str) {
        process::poll_until(
            GROUP_READY_TIMEOUT,
            || async {
                for sentinel in &self.sentinels {
                    if master_addr_from(sentinel.port).await.as_deref() != Some(addr) {
                        return false;
                    }
                }
                true
            },
            || async {
                let mut out = format!("sentinels never agreed on master {addr}:");
                for sentinel in &self.sentinels {
                    let seen = master_addr_from(sentinel.port).await;
                    let _ = write!(out, "\n  127.0.0.1:{} says {seen:?}", sentinel.port);
                }
                out
            },
        )
        .await;
    }

    /// A raw-command client connected directly to the node started as primary.
    pub async fn raw_primary(&self) -> Raw {
        self.primary.raw().await
    }

    /// A raw-command client connected directly to the node started as replica.
    pub async fn raw_replica(&self) -> Raw {
        self.replica.raw().await
    }
}
