//! Starts every kind of deployment and checks it with `redis-cli` and [`Raw`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use asynq_test_support::{Raw, RedisCluster, RedisNode, RedisSentinelGroup, TlsRedisNode};
use fred::types::Value;

/// Runs `redis-cli ARGS...` and returns (success, trimmed stdout + stderr).
async fn redis_cli(args: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new("redis-cli")
        .args(args)
        .output()
        .await
        .expect("run redis-cli");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text.trim().to_owned())
}

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

fn as_text(value: &Value) -> String {
    value.as_str().map(|s| s.into_owned()).unwrap_or_default()
}

#[tokio::test]
async fn node_answers_and_raw_helpers_work() {
    let node = RedisNode::start().await;
    assert_eq!(node.addr(), format!("127.0.0.1:{}", node.port()));
    assert_eq!(node.url(), format!("redis://127.0.0.1:{}", node.port()));
    let (ok, pong) = redis_cli(&["-p", &node.port().to_string(), "PING"]).await;
    assert!(ok && pong == "PONG", "{pong}");

    let raw = node.raw().await;
    assert_eq!(as_text(&raw.cmd(&["PING"]).await), "PONG");

    // Persistence is off.
    let save = raw.cmd(&["CONFIG", "GET", "save"]).await.into_array();
    assert_eq!(as_text(&save[1]), "");
    let aof = raw.cmd(&["CONFIG", "GET", "appendonly"]).await.into_array();
    assert_eq!(as_text(&aof[1]), "no");

    raw.cmd(&["HSET", "h", "a", "1", "b", "\u{1}bin"]).await;
    let all = raw.hgetall("h").await;
    let expected: BTreeMap<String, Vec<u8>> = [
        ("a".to_owned(), b"1".to_vec()),
        ("b".to_owned(), b"\x01bin".to_vec()),
    ]
    .into();
    assert_eq!(all, expected);
    assert_eq!(raw.hget("h", "a").await, Some(b"1".to_vec()));
    assert_eq!(raw.hget("h", "zz").await, None);
    assert!(raw.hgetall("missing").await.is_empty());

    raw.cmd(&["RPUSH", "l", "x", "y", "z"]).await;
    assert_eq!(raw.lrange("l").await, ["x", "y", "z"]);
    assert!(raw.lrange("missing").await.is_empty());

    raw.cmd(&["ZADD", "z", "2.5", "b", "1", "a", "+inf", "c"])
        .await;
    assert_eq!(
        raw.zrange_withscores("z").await,
        [
            ("a".to_owned(), 1.0),
            ("b".to_owned(), 2.5),
            ("c".to_owned(), f64::INFINITY)
        ]
    );
    assert_eq!(raw.zscore("z", "b").await, Some(2.5));
    assert_eq!(raw.zscore("z", "nope").await, None);

    raw.cmd(&["SADD", "s", "m2", "m1"]).await;
    assert_eq!(
        raw.smembers("s").await,
        BTreeSet::from(["m1".to_owned(), "m2".to_owned()])
    );

    raw.cmd(&["SET", "k", "v", "EX", "100"]).await;
    assert_eq!(raw.get("k").await, Some(b"v".to_vec()));
    assert_eq!(raw.get("missing").await, None);
    let ttl = raw.ttl("k").await;
    assert!((1..=100).contains(&ttl), "{ttl}");
    assert_eq!(raw.ttl("h").await, -1);
    assert_eq!(raw.ttl("missing").await, -2);
    assert!(raw.exists("k").await);
    assert!(!raw.exists("missing").await);
    assert_eq!(raw.key_type("h").await, "hash");
    assert_eq!(raw.key_type("z").await, "zset");
    assert_eq!(raw.key_type("missing").await, "none");

    assert_eq!(raw.keys("*").await, ["h", "k", "l", "s", "z"]);
    assert!(raw.try_cmd(&["NOSUCHCOMMAND"]).await.is_err());
    raw.flushall().await;
    assert!(raw.keys("*").await.is_empty());
}

#[tokio::test]
async fn extra_args_are_applied() {
    let node = RedisNode::start_with_args(&["--maxmemory", "12345678", "--databases", "4"]).await;
    let raw = node.raw().await;
    let maxmemory = raw.cmd(&["CONFIG", "GET", "maxmemory"]).await.into_array();
    assert_eq!(as_text(&maxmemory[1]), "12345678");
    assert!(raw.try_cmd(&["SELECT", "5"]).await.is_err());
}

#[tokio::test]
async fn node_restarts_on_same_port_after_kill() {
    let mut node = RedisNode::start_with_args(&["--maxmemory", "7654321"]).await;
    let port = node.port();
    let raw = node.raw().await;
    raw.cmd(&["SET", "before", "1"]).await;
    let pid = node.pid().expect("running");

    node.kill();
    assert!(!node.is_running());
    assert!(!pid_alive(pid), "killed process {pid} still exists");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    node.kill(); // idempotent

    node.restart().await;
    assert!(node.is_running());
    assert_eq!(node.port(), port);
    assert_ne!(node.pid(), Some(pid));
    // The client made before the outage reconnects by itself; the data is gone (no persistence)
    // and the extra arguments are applied again.
    assert_eq!(raw.get("before").await, None);
    let maxmemory = raw.cmd(&["CONFIG", "GET", "maxmemory"]).await.into_array();
    assert_eq!(as_text(&maxmemory[1]), "7654321");
    raw.cmd(&["SET", "after", "2"]).await;
    assert_eq!(node.raw().await.get("after").await, Some(b"2".to_vec()));

    // Restarting a running node replaces the process.
    let pid = node.pid().expect("running");
    node.restart().await;
    assert!(!pid_alive(pid));
    assert_eq!(as_text(&raw.cmd(&["PING"]).await), "PONG");
}

#[tokio::test]
async fn drop_kills_exactly_the_started_process() {
    let first = RedisNode::start().await;
    let second = RedisNode::start().await;
    let first_pid = first.pid().unwrap();
    let dir = first.dir().to_path_buf();
    assert!(dir.join("redis.log").exists());
    drop(first);
    assert!(!pid_alive(first_pid));
    assert!(!dir.exists(), "temp dir should be removed");
    let (ok, pong) = redis_cli(&["-p", &second.port().to_string(), "PING"]).await;
    assert!(ok && pong == "PONG", "{pong}");
}

#[tokio::test]
async fn many_nodes_start_concurrently_on_distinct_ports() {
    let starts = (0..8).map(|_| tokio::spawn(RedisNode::start()));
    let mut nodes = Vec::new();
    for start in starts {
        nodes.push(start.await.expect("start task"));
    }
    let ports: BTreeSet<u16> = nodes.iter().map(RedisNode::port).collect();
    assert_eq!(ports.len(), nodes.len());
    for node in &nodes {
        let raw = node.raw().await;
        raw.cmd(&["SET", "port", &node.port().to_string()]).await;
        assert_eq!(
            raw.get("port").await,
            Some(node.port().to_string().into_bytes())
        );
    }
}

#[tokio::test]
async fn tls_node_requires_client_certificate() {
    let node = TlsRedisNode::start().await;
    assert_eq!(node.server_name(), "localhost");
    assert_eq!(node.addr(), format!("127.0.0.1:{}", node.port()));
    let port = node.port().to_string();
    let ca = node.ca_cert_path().to_str().unwrap();
    let cert = node.client_cert_path().to_str().unwrap();
    let key = node.client_key_path().to_str().unwrap();
    let key_pem = std::fs::read_to_string(key).unwrap();
    assert!(
        key_pem.starts_with("-----BEGIN PRIVATE KEY-----"),
        "{key_pem}"
    );

    let (ok, pong) = redis_cli(&[
        "--tls", "--cacert", ca, "--cert", cert, "--key", key, "-p", &port, "PING",
    ])
    .await;
    assert!(ok && pong == "PONG", "{pong}");

    // Without a client certificate the handshake is refused.
    let (_, reply) = redis_cli(&["--tls", "--cacert", ca, "-p", &port, "PING"]).await;
    assert_ne!(reply, "PONG");
    // Plain text is not served.
    let (_, reply) = redis_cli(&["-p", &port, "PING"]).await;
    assert_ne!(reply, "PONG");

    let raw = node.raw().await;
    raw.cmd(&["SET", "secure", "yes"]).await;
    assert_eq!(raw.get("secure").await, Some(b"yes".to_vec()));
}

async fn check_cluster(cluster: &RedisCluster, nodes: usize) {
    let addrs = cluster.addrs();
    assert_eq!(addrs.len(), nodes);
    for addr in &addrs {
        let port = addr.strip_prefix("127.0.0.1:").unwrap();
        assert!(port.parse::<u16>().unwrap() <= 55000);
        let (ok, info) = redis_cli(&["-p", port, "CLUSTER", "INFO"]).await;
        assert!(ok && info.contains("cluster_state:ok"), "{addr}: {info}");
        assert!(
            info.contains(&format!("cluster_known_nodes:{nodes}")),
            "{info}"
        );
    }

    let raw = cluster.raw().await;
    let keys: Vec<String> = (0..20).map(|i| format!("key:{i}")).collect();
    for key in &keys {
        raw.cmd(&["SET", key, key]).await;
    }
    for key in &keys {
        assert_eq!(raw.get(key).await, Some(key.clone().into_bytes()));
    }
    raw.cmd(&["HSET", "{asynq:q}:t:1", "state", "pending"])
        .await;
    assert_eq!(
        raw.hget("{asynq:q}:t:1", "state").await,
        Some(b"pending".to_vec())
    );
    let mut all = keys.clone();
    all.push("{asynq:q}:t:1".to_owned());
    all.sort();
    assert_eq!(raw.keys("*").await, all);
    raw.flushall().await;
    assert!(raw.keys("*").await.is_empty());
}

#[tokio::test]
async fn cluster_of_three_masters() {
    let cluster = RedisCluster::start(3, 0).await;
    check_cluster(&cluster, 3).await;
}

#[tokio::test]
async fn cluster_with_replicas_survives_node_restart() {
    let mut cluster = RedisCluster::start(3, 1).await;
    check_cluster(&cluster, 6).await;
    for node in cluster.nodes() {
        let raw = node.raw().await;
        let role = as_text(&raw.cmd(&["ROLE"]).await.into_array()[0]);
        assert!(role == "master" || role == "slave", "{role}");
    }

    // Restart a replica: it rejoins with its nodes.conf.
    let last = cluster.nodes_mut().last_mut().unwrap();
    last.kill();
    last.restart().await;
    cluster.wait_until_ready().await;
    let raw = cluster.raw().await;
    raw.cmd(&["SET", "after-restart", "1"]).await;
    assert_eq!(raw.get("after-restart").await, Some(b"1".to_vec()));
}

#[tokio::test]
async fn sentinel_group_reports_master_and_fails_over() {
    let mut group = RedisSentinelGroup::start().await;
    assert_eq!(group.master_name(), "mymaster");
    let primary_addr = group.primary_mut().addr();
    let replica_addr = group.replica_mut().addr();
    let sentinels = group.sentinel_addrs();
    assert_eq!(sentinels.len(), 3);
    for addr in &sentinels {
        let port = addr.strip_prefix("127.0.0.1:").unwrap();
        let (ok, reply) = redis_cli(&[
            "-p",
            port,
            "SENTINEL",
            "GET-MASTER-ADDR-BY-NAME",
            "mymaster",
        ])
        .await;
        assert!(ok, "{reply}");
        let reply: Vec<&str> = reply.lines().collect();
        assert_eq!(reply.join(":"), primary_addr);
    }
    let replica_port = group.replica_mut().port().to_string();
    let (_, info) = redis_cli(&["-p", &replica_port, "INFO", "replication"]).await;
    assert!(info.contains("master_link_status:up"), "{info}");

    let primary = group.raw_primary().await;
    primary.cmd(&["SET", "replicated", "1"]).await;
    primary.cmd(&["WAIT", "1", "5000"]).await;
    let replica: Raw = group.replica().raw().await;
    assert_eq!(replica.get("replicated").await, Some(b"1".to_vec()));

    // Kill the primary: the sentinels promote the replica.
    group.primary_mut().kill();
    group.wait_for_master(&replica_addr).await;
    assert_eq!(group.master_addr().await, Some(replica_addr.clone()));
    replica.cmd(&["SET", "after-failover", "1"]).await;
}
