//! The `asynq` binary against a 3-master Redis Cluster (`--cluster --cluster_addrs`).

mod common;

use asynq_broker::conn::RedisClusterClientOpt;
use asynq_broker::RedisConnOpt;
use asynq_client::{Client, Task, TaskOption};
use asynq_test_support::RedisCluster;
use common::{asynq_in, row_after};

#[tokio::test]
async fn stats_and_queue_ls_on_a_cluster() {
    let cluster = RedisCluster::start(3, 0).await;
    let addrs = cluster.addrs();
    let opt = RedisConnOpt::Cluster(RedisClusterClientOpt::new(addrs.clone()));
    let client = Client::connect(opt).await.expect("client");
    for (q, n) in [("default", 2), ("critical", 1)] {
        for i in 0..n {
            client
                .enqueue(&Task::new("t", format!("{i}")), &[TaskOption::queue(q)])
                .await
                .expect("enqueue");
        }
    }
    let home = tempfile::tempdir().unwrap();
    let seeds = addrs.join(",");
    let base = ["--cluster", "--cluster_addrs", seeds.as_str()];
    let run = |args: &[&str]| {
        let mut all = base.to_vec();
        all.extend_from_slice(args);
        asynq_in(home.path(), &[], &all)
    };

    let out = run(&["stats"]).ok().to_string();
    assert_eq!(
        row_after(&out, "active"),
        ["0", "3", "0", "0", "0", "0", "0"],
        "{out}"
    );
    assert!(out.contains("Redis Cluster Info"), "{out}");
    assert_eq!(row_after(&out, "State"), ["OK", "3", "3"], "{out}");

    let v: serde_json::Value = serde_json::from_str(run(&["stats", "--json"]).ok()).unwrap();
    assert_eq!(v["aggregate"]["pending"], 3);
    assert_eq!(v["redis"]["cluster_state"], "ok");

    let out = run(&["queue", "ls"]).ok().to_string();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("Queue"), "{out}");
    let rows: Vec<Vec<&str>> = lines[2..]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert_eq!(rows[0][0], "critical");
    assert_eq!(rows[1][0], "default");
    for r in &rows {
        let slot: i64 = r[1].parse().expect("key slot");
        assert!((0..16384).contains(&slot), "{out}");
        let node_addr = r[2].split('@').nth(1).expect("id@addr");
        assert!(addrs.iter().any(|a| a == node_addr), "{out}");
    }

    let out = run(&["queue", "inspect", "default"]).ok().to_string();
    assert!(out.contains("Size:         2"), "{out}");
}
