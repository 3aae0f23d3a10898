//! A Redis Cluster of `redis-server` processes.

use std::fmt::Write as _;
use std::process::Stdio;
use std::time::Duration;

use crate::node::RedisNode;
use crate::process::{self, info_field, info_text};
use crate::raw::Raw;

/// How long the cluster may take to report `cluster_state:ok` everywhere after creation.
const CLUSTER_READY_TIMEOUT: Duration = Duration::from_secs(30);

/// `cluster-node-timeout` of every node, in milliseconds: failure detection and replica failover
/// take roughly this long (plus an election, well under a second).
pub const CLUSTER_NODE_TIMEOUT_MS: u64 = 2000;

/// A Redis Cluster: `masters * (1 + replicas_per_master)` `redis-server` processes on free
/// loopback ports (each port <= 55000 so its bus port `port + 10000` is valid), joined with
/// `redis-cli --cluster create ... --cluster-replicas R --cluster-yes`.
///
/// Nodes run with `cluster-node-timeout` [`CLUSTER_NODE_TIMEOUT_MS`] and without persistence
/// (a restarted node comes back empty but keeps its cluster identity from `nodes.conf`). Every
/// process is SIGKILLed and reaped on drop. A 3-master cluster, with or without replicas,
/// typically is ready within 2-3 seconds.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisNode>,
    masters: usize,
    replicas_per_master: usize,
}

impl RedisCluster {
    /// Starts `masters` primaries (at least 3, as `redis-cli --cluster create` requires) with
    /// `replicas_per_master` replicas each, and waits until every node reports
    /// `cluster_state:ok`, knows every other node, and every replica's link to its primary is up.
    pub async fn start(masters: usize, replicas_per_master: usize) -> RedisCluster {
        RedisCluster::start_with_args(masters, replicas_per_master, &[]).await
    }

    /// Like [`start`](Self::start), with extra `redis-server` arguments for every node (they come
    /// after the cluster settings, so e.g. `&["--cluster-node-timeout", "5000"]` overrides the
    /// default).
    pub async fn start_with_args(
        masters: usize,
        replicas_per_master: usize,
        extra: &[&str],
    ) -> RedisCluster {
        assert!(
            masters >= 3,
            "a Redis Cluster needs at least 3 masters, got {masters}"
        );
        let total = masters * (1 + replicas_per_master);
        let mut args: Vec<String> = [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            &CLUSTER_NODE_TIMEOUT_MS.to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));

        let mut nodes = Vec::with_capacity(total);
        for _ in 0..total {
            nodes.push(RedisNode::spawn(args.clone(), true).await);
        }
        let cluster = RedisCluster {
            nodes,
            masters,
            replicas_per_master,
        };
        cluster.create().await;
        cluster.wait_until_ready().await;
        cluster
    }

    /// Runs `redis-cli --cluster create`.
    async fn create(&self) {
        let output = tokio::process::Command::new(process::redis_cli_bin())
            .arg("--cluster")
            .arg("create")
            .args(self.addrs())
            .arg("--cluster-replicas")
            .arg(self.replicas_per_master.to_string())
            .arg("--cluster-yes")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(CLUSTER_READY_TIMEOUT, output)
            .await
            .unwrap_or_else(|_| panic!("redis-cli --cluster create timed out"))
            .unwrap_or_else(|e| panic!("run redis-cli --cluster create: {e}"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() || !stdout.contains("[OK] All 16384 slots covered") {
            panic!(
                "redis-cli --cluster create {} failed ({}):\n{stdout}\n{}",
                self.addrs().join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }

    /// Whether every running node reports `cluster_state:ok` and knows all nodes, and every
    /// replica's link to its primary is up.
    async fn is_ready(&self) -> bool {
        for node in &self.nodes {
            let Some(info) = info_text(node.port(), &["CLUSTER", "INFO"]).await else {
                return false;
            };
            let known = self.nodes.len().to_string();
            if info_field(&info, "cluster_state") != Some("ok")
                || info_field(&info, "cluster_known_nodes") != Some(known.as_str())
            {
                return false;
            }
            let Some(replication) = info_text(node.port(), &["INFO", "replication"]).await else {
                return false;
            };
            if info_field(&replication, "role") == Some("slave")
                && info_field(&replication, "master_link_status") != Some("up")
            {
                return false;
            }
        }
        true
    }

    /// Waits until the cluster is healthy again: every node answers, reports `cluster_state:ok`
    /// and knows every other node, and every replica's link is up. Useful after restarting a
    /// node. Panics after 30 s with each node's state.
    pub async fn wait_until_ready(&self) {
        process::poll_until(
            CLUSTER_READY_TIMEOUT,
            || self.is_ready(),
            || self.describe(),
        )
        .await;
    }

    async fn describe(&self) -> String {
        let mut out = format!(
            "cluster of {} masters x {} replicas not ready",
            self.masters, self.replicas_per_master
        );
        for node in &self.nodes {
            let info = info_text(node.port(), &["CLUSTER", "INFO"]).await;
            let nodes = info_text(node.port(), &["CLUSTER", "NODES"]).await;
            let _ = write!(
                out,
                "\n=== node {} ===\n{}\n{}\n{}",
                node.addr(),
                info.as_deref().unwrap_or("(no answer)"),
                nodes.as_deref().unwrap_or(""),
                node.log()
            );
        }
        out
    }

    /// Every node's address, `"127.0.0.1:PORT"`, primaries first as created.
    pub fn addrs(&self) -> Vec<String> {
        self.nodes.iter().map(RedisNode::addr).collect()
    }

    /// Every node's port, in the same order as [`addrs`](Self::addrs).
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(RedisNode::port).collect()
    }

    /// The nodes, in the same order as [`addrs`](Self::addrs). `redis-cli` makes the first
    /// `masters` nodes primaries and the rest replicas; roles change after a failover.
    pub fn nodes(&self) -> &[RedisNode] {
        &self.nodes
    }

    /// The nodes, mutably, to kill or restart one of them.
    pub fn nodes_mut(&mut self) -> &mut [RedisNode] {
        &mut self.nodes
    }

    /// A cluster-aware raw-command client (seeded with every node's address).
    pub async fn raw(&self) -> Raw {
        Raw::connect_cluster(&self.ports()).await
    }
}
