//! Shared harness of the `ops_*` integration tests: one [`Env`] per case (a broker with a
//! [`ManualClock`] and a raw client on the same Redis), and the [`broker_cases!`] macro that runs
//! every case both against its own single node and, in sequence, against one 3-master cluster.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use asynq_broker::conn::RedisClusterClientOpt;
use asynq_broker::{Broker, BrokerError, Clock, ManualClock, RedisConnOpt};
use asynq_proto::TaskMessage;
use asynq_test_support::{Raw, RedisCluster, RedisNode};
use bytes::Bytes;
use fred::prelude::*;
use fred::types::{ClusterHash, CustomCommand};
use futures::FutureExt;
use time::OffsetDateTime;

/// 90 days in seconds: daily counters expire this long after their first increment, and
/// archived tasks older than this are trimmed.
pub const NINETY_DAYS: i64 = 7_776_000;
/// Go's `math.MaxInt64`, the value at which the total counters wrap to 1.
pub const MAX_INT64: &str = "9223372036854775807";

/// Everything one test case needs: a broker reading time from `clock`, and a raw client for
/// setting up and checking Redis state.
pub struct Env {
    /// The broker under test.
    pub broker: Broker,
    /// Raw commands on the same deployment.
    pub raw: Raw,
    /// The broker's clock, starting at the current time truncated to whole seconds.
    pub clock: ManualClock,
    /// True when running against the Redis Cluster.
    pub cluster: bool,
    /// Connection options of the broker (to open more brokers).
    pub opt: RedisConnOpt,
    _node: Option<RedisNode>,
}

/// The current wall-clock time truncated to whole seconds.
pub fn whole_second_now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp())
        .expect("valid unix time")
}

impl Env {
    /// A fresh single node with its own broker.
    pub async fn single() -> Env {
        let node = RedisNode::start().await;
        let opt = RedisConnOpt::parse_uri(&node.url()).expect("parse node url");
        let raw = node.raw().await;
        Env::with(opt, raw, false, Some(node)).await
    }

    async fn with(opt: RedisConnOpt, raw: Raw, cluster: bool, node: Option<RedisNode>) -> Env {
        let clock = ManualClock::new(whole_second_now());
        let broker = Broker::connect(opt.clone())
            .await
            .expect("connect broker")
            .with_clock(Arc::new(clock.clone()));
        Env {
            broker,
            raw,
            clock,
            cluster,
            opt,
            _node: node,
        }
    }

    /// Another broker on the same deployment sharing this clock.
    pub async fn another_broker(&self) -> Broker {
        Broker::connect(self.opt.clone())
            .await
            .expect("connect broker")
            .with_clock(Arc::new(self.clock.clone()))
    }

    /// The clock's time.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// The clock's time in Unix seconds.
    pub fn now_secs(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    /// The clock's time in Unix nanoseconds.
    pub fn now_ns(&self) -> i64 {
        i64::try_from(self.clock.now().unix_timestamp_nanos()).expect("ns fit i64")
    }

    /// Moves the clock forward by `secs` seconds.
    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    /// `SCRIPT FLUSH` on every (primary) node.
    pub async fn script_flush(&self) {
        if self.cluster {
            self.raw
                .client()
                .script_flush_cluster(false)
                .await
                .expect("SCRIPT FLUSH on the cluster");
        } else {
            self.raw
                .client()
                .script_flush(false)
                .await
                .expect("SCRIPT FLUSH");
        }
    }

    /// Runs a Lua script for bulk setup, routed by `keys[0]` (all keys it touches must share
    /// that slot).
    pub async fn eval(&self, script: &str, keys: Vec<String>, args: Vec<Value>) -> Value {
        self.raw
            .client()
            .eval::<Value, _, _, _>(script, keys, args)
            .await
            .unwrap_or_else(|e| panic!("bulk setup script failed: {e}"))
    }

    /// `HSET key field value` with a binary value.
    pub async fn hset_bytes(&self, key: &str, field: &str, value: &[u8]) {
        let _: i64 = self
            .raw
            .client()
            .hset(key, (field, Bytes::copy_from_slice(value)))
            .await
            .unwrap_or_else(|e| panic!("HSET {key} {field}: {e}"));
    }

    /// A task hash written directly: `msg` = the encoded message, plus the given fields.
    pub async fn put_hash(&self, msg: &TaskMessage, fields: &[(&str, &str)]) {
        let key = task_key(&msg.queue, &msg.id);
        self.hset_bytes(&key, "msg", &asynq_proto::encode(msg))
            .await;
        for (f, v) in fields {
            self.raw.cmd(&["HSET", &key, f, v]).await;
        }
    }

    /// The task hash of `id` in queue `q` (empty when missing).
    pub async fn hash(&self, q: &str, id: &str) -> std::collections::BTreeMap<String, Vec<u8>> {
        self.raw.hgetall(&task_key(q, id)).await
    }

    /// The field names of the task hash of `id` in queue `q`.
    pub async fn fields(&self, q: &str, id: &str) -> BTreeSet<String> {
        self.hash(q, id).await.into_keys().collect()
    }

    /// The hash field `field` of task `id` as text.
    pub async fn field(&self, q: &str, id: &str, field: &str) -> Option<String> {
        self.raw
            .hget(&task_key(q, id), field)
            .await
            .map(|v| String::from_utf8(v).expect("utf-8 field"))
    }

    /// The decoded `msg` field of task `id`.
    pub async fn stored_msg(&self, q: &str, id: &str) -> TaskMessage {
        let raw = self
            .raw
            .hget(&task_key(q, id), "msg")
            .await
            .unwrap_or_else(|| panic!("task {q}/{id} has no msg field"));
        asynq_proto::decode_task_message(&raw).expect("decodable msg")
    }

    /// `GET key` as text.
    pub async fn get(&self, key: &str) -> Option<String> {
        self.raw
            .get(key)
            .await
            .map(|v| String::from_utf8(v).expect("utf-8 value"))
    }

    /// `EXPIRETIME key`: absolute Unix expiry in seconds (-1 no expiry, -2 no key).
    pub async fn expiretime(&self, key: &str) -> i64 {
        let v = self.raw.cmd(&["EXPIRETIME", key]).await;
        v.as_i64()
            .unwrap_or_else(|| panic!("EXPIRETIME {key}: {v:?}"))
    }

    /// `ZCARD key`.
    pub async fn zcard(&self, key: &str) -> i64 {
        let v = self.raw.cmd(&["ZCARD", key]).await;
        v.as_i64().unwrap_or_else(|| panic!("ZCARD {key}: {v:?}"))
    }

    /// `LLEN key`.
    pub async fn llen(&self, key: &str) -> i64 {
        let v = self.raw.cmd(&["LLEN", key]).await;
        v.as_i64().unwrap_or_else(|| panic!("LLEN {key}: {v:?}"))
    }

    /// Asserts the daily counter `key` holds `value` and expires at `expire_at` (Unix seconds,
    /// the clock's "now" of its first increment + 90 days), with a TTL of about 90 days.
    pub async fn assert_daily_counter(&self, key: &str, value: &str, expire_at: i64) {
        assert_eq!(
            self.get(key).await.as_deref(),
            Some(value),
            "daily counter {key}"
        );
        assert_eq!(
            self.expiretime(key).await,
            expire_at,
            "EXPIREAT of {key} = first increment + 90 days"
        );
        let ttl = self.raw.ttl(key).await;
        let want = expire_at - OffsetDateTime::now_utc().unix_timestamp();
        assert!(
            (want - 2..=want + 1).contains(&ttl)
                && (NINETY_DAYS - 3600..=NINETY_DAYS + 3600).contains(&ttl),
            "TTL of {key} = {ttl}, want about {want} (90 days = {NINETY_DAYS} s)"
        );
    }

    /// The processed and failed counter keys of queue `q` for the clock's day:
    /// `(processed:<date>, failed:<date>, processed, failed)`.
    pub fn counter_keys(&self, q: &str) -> (String, String, String, String) {
        let date = utc_date(self.now());
        (
            qkey(q, &format!("processed:{date}")),
            qkey(q, &format!("failed:{date}")),
            qkey(q, "processed"),
            qkey(q, "failed"),
        )
    }

    /// Asserts that no processed/failed counter of queue `q` exists.
    pub async fn assert_no_counters(&self, q: &str) {
        let keys: Vec<String> = self
            .raw
            .keys(&qkey(q, "*"))
            .await
            .into_iter()
            .filter(|k| k.contains("}:processed") || k.contains("}:failed"))
            .collect();
        assert!(keys.is_empty(), "unexpected counters {keys:?}");
    }

    /// Asserts `key` is a unique lock held by `owner` with a TTL of `ttl` seconds.
    pub async fn assert_lock(&self, key: &str, owner: &str, ttl: i64) {
        assert_eq!(
            self.get(key).await.as_deref(),
            Some(owner),
            "owner of lock {key}"
        );
        let got = self.raw.ttl(key).await;
        assert!(
            (ttl - 2..=ttl).contains(&got),
            "TTL of lock {key} = {got}, want {ttl}"
        );
    }

    /// Puts `msg` into `active` through the broker: enqueue, then dequeue it. The queue must have
    /// no other pending task.
    pub async fn make_active(&self, msg: &TaskMessage) {
        self.broker.enqueue(msg).await.expect("enqueue");
        let d = self
            .broker
            .dequeue(std::slice::from_ref(&msg.queue))
            .await
            .expect("dequeue");
        assert_eq!(d.msg.id, msg.id, "dequeued another task than expected");
    }

    /// `PUBSUB NUMSUB channel`, summed over every primary on a cluster (the count is per node).
    pub async fn numsub(&self, channel: &str) -> i64 {
        let args = vec!["NUMSUB".to_owned(), channel.to_owned()];
        let replies: Vec<Value> = if self.cluster {
            let client = self.raw.client();
            client.sync_cluster().await.expect("sync cluster state");
            let primaries = client
                .cached_cluster_state()
                .expect("cluster state")
                .unique_primary_nodes();
            let mut out = Vec::new();
            for server in primaries {
                let cmd = CustomCommand::new_static("PUBSUB", ClusterHash::Random, false);
                out.push(
                    client
                        .with_cluster_node(&server)
                        .custom::<Value, _>(cmd, args.clone())
                        .await
                        .expect("PUBSUB NUMSUB"),
                );
            }
            out
        } else {
            vec![self.raw.cmd(&["PUBSUB", "NUMSUB", channel]).await]
        };
        replies
            .into_iter()
            .map(|v| {
                let arr = v.into_array();
                arr.get(1).and_then(Value::as_i64).expect("NUMSUB count")
            })
            .sum()
    }

    /// Closes the broker (cluster runs reuse the deployment).
    pub async fn close(self) {
        let _ = self.broker.close().await;
    }
}

/// One Redis Cluster shared by every case of a test binary.
pub struct ClusterRun {
    cluster: RedisCluster,
    failures: Vec<String>,
    started: Instant,
}

impl ClusterRun {
    /// Starts a 3-master cluster without replicas.
    pub async fn start() -> ClusterRun {
        let cluster = RedisCluster::start(3, 0).await;
        ClusterRun {
            cluster,
            failures: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Runs one case on a flushed cluster with a fresh broker and clock; a panic is recorded and
    /// the next case still runs.
    pub async fn run<F, Fut>(&mut self, name: &str, case: F)
    where
        F: FnOnce(Env) -> Fut,
        Fut: Future<Output = ()>,
    {
        let raw = self.cluster.raw().await;
        raw.flushall().await;
        let opt: RedisConnOpt = RedisClusterClientOpt::new(self.cluster.addrs()).into();
        let env = Env::with(opt, raw, true, None).await;
        let t = Instant::now();
        let outcome = AssertUnwindSafe(case(env)).catch_unwind().await;
        match outcome {
            Ok(()) => eprintln!("cluster case {name}: ok ({:?})", t.elapsed()),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                eprintln!("cluster case {name}: FAILED: {what}");
                self.failures.push(format!("{name}: {what}"));
            }
        }
    }

    /// Fails when any case failed.
    pub fn finish(self) {
        eprintln!("cluster run took {:?}", self.started.elapsed());
        assert!(
            self.failures.is_empty(),
            "{} cluster case(s) failed:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

/// Generates, for every listed `async fn case(env: &Env)`, a single-node test of the same name in
/// module `single_node` (each with its own redis-server, so they run in parallel) and one
/// `cluster::all_cases` test running all of them in sequence against one 3-master cluster.
macro_rules! broker_cases {
    ($($case:ident),* $(,)?) => {
        mod single_node {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let env = crate::common::Env::single().await;
                    super::$case(&env).await;
                }
            )*
        }

        mod cluster {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn all_cases() {
                let mut run = crate::common::ClusterRun::start().await;
                $(
                    run.run(stringify!($case), |env| async move {
                        super::$case(&env).await;
                        env.close().await;
                    })
                    .await;
                )*
                run.finish();
            }
        }
    };
}

/// `asynq:{q}:t:<id>`, written out independently of the crate's key builders.
pub fn task_key(q: &str, id: &str) -> String {
    format!("asynq:{{{q}}}:t:{id}")
}

/// `asynq:{q}:<suffix>`, e.g. `qkey("default", "pending")`.
pub fn qkey(q: &str, suffix: &str) -> String {
    format!("asynq:{{{q}}}:{suffix}")
}

/// `YYYY-MM-DD` of `t` in UTC.
pub fn utc_date(t: OffsetDateTime) -> String {
    let d = t.to_offset(time::UtcOffset::UTC).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A task message with Go client defaults (retry 25, timeout 1800 s).
pub fn msg(q: &str, id: &str) -> TaskMessage {
    TaskMessage {
        r#type: "email:send".to_owned(),
        payload: Bytes::from(format!("payload of {id}")),
        id: id.to_owned(),
        queue: q.to_owned(),
        retry: 25,
        timeout: 1800,
        ..Default::default()
    }
}

/// The set of `names`, for comparing hash field names.
pub fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// A list of owned strings.
pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The queue list `[q]`.
pub fn queues(names: &[&str]) -> Vec<String> {
    strings(names)
}

/// Asserts `r` is `Err(BrokerError::NotFound(_))`.
pub fn assert_not_found<T: std::fmt::Debug>(r: Result<T, BrokerError>, what: &str) {
    match r {
        Err(BrokerError::NotFound(_)) => {}
        other => panic!("{what}: expected BrokerError::NotFound, got {other:?}"),
    }
}

/// A TCP proxy in front of a single Redis node, for making races deterministic. Every chunk the
/// client sends is held for `delay` before it is forwarded (replies pass through at once), and,
/// once, before forwarding the first chunk that contains `flush_before`, the proxy runs
/// `SCRIPT FLUSH` on the node over a connection of its own.
pub struct Proxy {
    addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

/// What a [`Proxy`] does to client traffic.
#[derive(Clone, Default)]
pub struct ProxyBehaviour {
    /// Delay before each client chunk is forwarded.
    pub delay: Duration,
    /// Run `SCRIPT FLUSH` once, before the first client chunk containing these bytes.
    pub flush_before: Option<&'static [u8]>,
}

impl Proxy {
    /// Starts the proxy on a free loopback port, forwarding to `upstream` (`host:port`).
    pub async fn start(upstream: String, behaviour: ProxyBehaviour) -> Proxy {
        use std::sync::atomic::{AtomicBool, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let flushed = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (mut client_rd, mut client_wr) = client.into_split();
                let (mut server_rd, mut server_wr) = server.into_split();
                let (behaviour, flushed, upstream) =
                    (behaviour.clone(), flushed.clone(), upstream.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = client_rd.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        let chunk = &buf[..n];
                        if let Some(pattern) = behaviour.flush_before {
                            if chunk.windows(pattern.len()).any(|w| w == pattern)
                                && !flushed.swap(true, Ordering::SeqCst)
                            {
                                script_flush(&upstream).await;
                            }
                        }
                        if !behaviour.delay.is_zero() {
                            tokio::time::sleep(behaviour.delay).await;
                        }
                        if server_wr.write_all(chunk).await.is_err() {
                            break;
                        }
                    }
                });
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut server_rd, &mut client_wr).await;
                });
            }
        });
        Proxy { addr, task }
    }

    /// `"127.0.0.1:PORT"` of the proxy.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `SCRIPT FLUSH` on `addr` over a fresh connection, waiting for the `+OK`.
async fn script_flush(addr: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect for SCRIPT FLUSH");
    conn.write_all(b"*2\r\n$6\r\nSCRIPT\r\n$5\r\nFLUSH\r\n")
        .await
        .expect("send SCRIPT FLUSH");
    let mut reply = [0u8; 5];
    conn.read_exact(&mut reply)
        .await
        .expect("SCRIPT FLUSH reply");
    assert_eq!(&reply, b"+OK\r\n");
}

/// The `host:port` of a single-node connection option.
pub fn single_addr(opt: &RedisConnOpt) -> String {
    match opt {
        RedisConnOpt::Single(o) => o.addr.clone(),
        other => panic!("single node expected, got {other:?}"),
    }
}
