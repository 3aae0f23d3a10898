//! Shared helpers of the worker's integration tests: one Redis node per test, a client, a raw
//! connection for reading Redis state, fast server intervals, and bounded polling.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::{Duration, Instant};

use asynq_client::Client;
use asynq_proto::TaskMessage;
use asynq_test_support::{Raw, RedisNode};
use asynq_worker::{Config, RedisConnOpt, Server};
use time::OffsetDateTime;

/// Seconds in 90 days: the expiry of the daily counters (spec §4.10).
pub const NINETY_DAYS: i64 = 90 * 24 * 3600;

/// One Redis node with a client and a raw connection.
pub struct Env {
    pub node: RedisNode,
    pub raw: Raw,
    pub opt: RedisConnOpt,
    pub client: Client,
}

impl Env {
    pub async fn start() -> Env {
        let node = RedisNode::start().await;
        let raw = node.raw().await;
        let opt = RedisConnOpt::parse_uri(&node.url()).expect("node url");
        let client = Client::connect(opt.clone()).await.expect("client connect");
        Env {
            node,
            raw,
            opt,
            client,
        }
    }

    /// A server on this node with `config`.
    pub async fn server(&self, config: Config) -> Server {
        Server::connect(self.opt.clone(), config)
            .await
            .expect("server connect")
    }

    /// The fields of `asynq:{q}:t:<id>` (empty when the hash is missing).
    pub async fn hash(&self, q: &str, id: &str) -> BTreeMap<String, Vec<u8>> {
        self.raw.hgetall(&task_key(q, id)).await
    }

    /// The `state` field of the task hash, `None` when the field or hash is missing.
    pub async fn state(&self, q: &str, id: &str) -> Option<String> {
        self.raw
            .hget(&task_key(q, id), "state")
            .await
            .map(|b| String::from_utf8(b).expect("utf-8 state"))
    }

    /// The decoded `msg` field of the task hash.
    pub async fn msg(&self, q: &str, id: &str) -> TaskMessage {
        let b = self
            .raw
            .hget(&task_key(q, id), "msg")
            .await
            .unwrap_or_else(|| panic!("task {q}/{id} has no msg field"));
        asynq_proto::decode_task_message(&b).expect("decode msg")
    }

    /// Whether the task hash exists.
    pub async fn task_exists(&self, q: &str, id: &str) -> bool {
        self.raw.exists(&task_key(q, id)).await
    }

    /// Waits until the task's `state` field equals `want` (panics after `limit`).
    pub async fn wait_state(&self, q: &str, id: &str, want: &str, limit: Duration) {
        let mut last = None;
        let t = Instant::now();
        while t.elapsed() < limit {
            last = self.state(q, id).await;
            if last.as_deref() == Some(want) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("task {q}/{id}: state {last:?} after {limit:?}, want {want:?}");
    }

    /// Waits until the task hash is gone (panics after `limit`).
    pub async fn wait_gone(&self, q: &str, id: &str, limit: Duration) {
        let t = Instant::now();
        while t.elapsed() < limit {
            if !self.task_exists(q, id).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let state = self.state(q, id).await;
        panic!("task {q}/{id} still exists after {limit:?} (state {state:?})");
    }

    /// An integer string key, 0 when missing.
    pub async fn int(&self, key: &str) -> i64 {
        match self.raw.get(key).await {
            None => 0,
            Some(b) => String::from_utf8(b)
                .expect("utf-8 counter")
                .parse()
                .unwrap_or_else(|e| panic!("{key} is not an integer: {e}")),
        }
    }

    /// The daily counter `asynq:{q}:<kind>:<date>` summed over the UTC dates of `since` and
    /// now (a test running over midnight may have written either), with the TTL of the first
    /// one found.
    pub async fn daily(&self, q: &str, kind: &str, since: OffsetDateTime) -> (i64, Option<i64>) {
        let dates: BTreeSet<String> = [since, OffsetDateTime::now_utc()]
            .into_iter()
            .map(utc_date)
            .collect();
        let mut total = 0;
        let mut ttl = None;
        for d in dates {
            let key = format!("asynq:{{{q}}}:{kind}:{d}");
            let n = self.int(&key).await;
            if n > 0 && ttl.is_none() {
                ttl = Some(self.raw.ttl(&key).await);
            }
            total += n;
        }
        (total, ttl)
    }

    /// `LRANGE` of `asynq:{q}:<list>`.
    pub async fn list(&self, q: &str, list: &str) -> Vec<String> {
        self.raw.lrange(&format!("asynq:{{{q}}}:{list}")).await
    }

    /// `ZRANGE ... WITHSCORES` of `asynq:{q}:<zset>`.
    pub async fn zset(&self, q: &str, zset: &str) -> Vec<(String, f64)> {
        self.raw
            .zrange_withscores(&format!("asynq:{{{q}}}:{zset}"))
            .await
    }

    /// `ZSCORE asynq:{q}:<zset> <id>`.
    pub async fn zscore(&self, q: &str, zset: &str, id: &str) -> Option<f64> {
        self.raw.zscore(&format!("asynq:{{{q}}}:{zset}"), id).await
    }

    /// Asserts that no index of queue `q` lists a task any more (active, lease, pending,
    /// scheduled, retry, archived, completed).
    pub async fn assert_indexes_empty_except(&self, q: &str, except: &[&str]) {
        for list in ["active", "pending"] {
            if !except.contains(&list) {
                assert!(
                    self.list(q, list).await.is_empty(),
                    "asynq:{{{q}}}:{list} not empty"
                );
            }
        }
        for zset in ["lease", "scheduled", "retry", "archived", "completed"] {
            if !except.contains(&zset) {
                assert!(
                    self.zset(q, zset).await.is_empty(),
                    "asynq:{{{q}}}:{zset} not empty: {:?}",
                    self.zset(q, zset).await
                );
            }
        }
    }
}

/// `asynq:{q}:t:<id>`.
pub fn task_key(q: &str, id: &str) -> String {
    format!("asynq:{{{q}}}:t:{id}")
}

/// `YYYY-MM-DD` of `t` in UTC.
pub fn utc_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// The current Unix time in seconds.
pub fn now_secs() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// A config with short intervals for tests: concurrency 2, task check 100 ms, forwarder and
/// janitor 200 ms, heartbeat 1 s, shutdown timeout 2 s.
pub fn fast_config() -> Config {
    Config {
        concurrency: 2,
        task_check_interval: Duration::from_millis(100),
        delayed_task_check_interval: Duration::from_millis(200),
        janitor_interval: Duration::from_millis(200),
        heartbeat_interval: Duration::from_secs(1),
        shutdown_timeout: Duration::from_secs(2),
        ..Config::default()
    }
}

/// Polls `f` every 20 ms until it returns true; panics with `what` after `limit`.
pub async fn wait_for<F, Fut>(what: &str, limit: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let t = Instant::now();
    while t.elapsed() < limit {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out after {limit:?} waiting for {what}");
}

/// Asserts that `x` lies in `lo..=hi`, naming `what`.
#[track_caller]
pub fn assert_within(what: &str, x: f64, lo: f64, hi: f64) {
    assert!(lo <= x && x <= hi, "{what} = {x}, want within [{lo}, {hi}]");
}
