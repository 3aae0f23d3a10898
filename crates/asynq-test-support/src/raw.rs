//! A raw-command client for checking Redis state in tests.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use fred::clients::Client;
use fred::prelude::*;
use fred::types::config::{Config, ReconnectPolicy, Server, ServerConfig, TlsConnector};
use fred::types::{ClusterHash, CustomCommand, Value};

/// Commands sent with fred's blocking flag, so the client waits for them without timing out the
/// connection.
const BLOCKING_COMMANDS: &[&str] = &[
    "BLPOP",
    "BRPOP",
    "BRPOPLPUSH",
    "BLMOVE",
    "BLMPOP",
    "BZPOPMIN",
    "BZPOPMAX",
    "BZMPOP",
    "XREAD",
    "XREADGROUP",
    "WAIT",
];

/// A thin wrapper over a connected fred [`Client`] with helpers that panic (naming the command) on
/// any error, so assertions on Redis state stay one-liners.
///
/// The client reconnects every 50 ms while its server is down (e.g. between
/// [`RedisNode::kill`](crate::RedisNode::kill) and [`RedisNode::restart`](crate::RedisNode::restart));
/// commands sent meanwhile wait, up to a 10 s command timeout. A client for a cluster routes each
/// command by its first argument after the command name (the key, for key commands) and follows
/// redirections. The connection is closed when the value is dropped inside a tokio runtime.
#[derive(Debug)]
pub struct Raw {
    client: Client,
}

impl Raw {
    /// Connects a client with the given fred configuration (reconnect policy and timeouts as
    /// described on [`Raw`]); panics if the first connection fails.
    pub async fn connect(config: Config) -> Raw {
        let description = format!("{:?}", config.server);
        let client = Builder::from_config(config)
            .with_connection_config(|c| {
                c.connection_timeout = Duration::from_secs(5);
                c.internal_command_timeout = Duration::from_secs(5);
            })
            .with_performance_config(|p| {
                p.default_command_timeout = Duration::from_secs(10);
            })
            .set_policy(ReconnectPolicy::new_constant(0, 50))
            .build()
            .unwrap_or_else(|e| panic!("build redis client for {description}: {e}"));
        client
            .init()
            .await
            .unwrap_or_else(|e| panic!("connect redis client to {description}: {e}"));
        Raw { client }
    }

    pub(crate) async fn connect_node(port: u16) -> Raw {
        Raw::connect(Config {
            server: ServerConfig::new_centralized("127.0.0.1", port),
            ..Config::default()
        })
        .await
    }

    pub(crate) async fn connect_cluster(ports: &[u16]) -> Raw {
        Raw::connect(Config {
            server: ServerConfig::new_clustered(ports.iter().map(|p| ("127.0.0.1", *p)).collect()),
            ..Config::default()
        })
        .await
    }

    pub(crate) async fn connect_tls(
        port: u16,
        server_name: &str,
        tls: rustls::ClientConfig,
    ) -> Raw {
        Raw::connect(Config {
            server: ServerConfig::Centralized {
                server: Server::new_with_tls("127.0.0.1", port, Some(server_name.to_owned())),
            },
            tls: Some(TlsConnector::from(tls).into()),
            ..Config::default()
        })
        .await
    }

    /// The underlying fred client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs an arbitrary command (`args[0]` is the command name), returning the error instead of
    /// panicking, for tests that expect a command to fail.
    pub async fn try_cmd(&self, args: &[&str]) -> Result<Value, fred::error::Error> {
        let (name, rest) = args.split_first().expect("Raw::cmd needs a command name");
        let blocking = BLOCKING_COMMANDS
            .iter()
            .any(|b| b.eq_ignore_ascii_case(name));
        let command = CustomCommand::new(name.to_string(), ClusterHash::FirstKey, blocking);
        let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
        self.client.custom::<Value, _>(command, rest).await
    }

    /// Runs an arbitrary command whose arguments are raw bytes (for values that are not UTF-8,
    /// such as a malformed task message). Panics on error.
    pub async fn cmd_bytes(&self, name: &str, args: &[&[u8]]) -> Value {
        let command = CustomCommand::new(name.to_string(), ClusterHash::FirstKey, false);
        let rest: Vec<Value> = args
            .iter()
            .map(|a| Value::Bytes(a.to_vec().into()))
            .collect();
        self.client
            .custom::<Value, _>(command, rest)
            .await
            .unwrap_or_else(|e| panic!("redis command `{name}` failed: {e}"))
    }

    /// Runs an arbitrary command (`args[0]` is the command name, e.g. `&["SET", "k", "v"]`).
    /// Panics with the command text on error.
    pub async fn cmd(&self, args: &[&str]) -> Value {
        self.try_cmd(args)
            .await
            .unwrap_or_else(|e| panic!("redis command `{}` failed: {e}", args.join(" ")))
    }

    /// `HGETALL key`: every field with its raw value (empty when the key is missing).
    pub async fn hgetall(&self, key: &str) -> BTreeMap<String, Vec<u8>> {
        let value = self.cmd(&["HGETALL", key]).await;
        pairs(value)
            .into_iter()
            .map(|(field, value)| (text(field), bytes(value).unwrap_or_default()))
            .collect()
    }

    /// `HGET key field`.
    pub async fn hget(&self, key: &str, field: &str) -> Option<Vec<u8>> {
        bytes(self.cmd(&["HGET", key, field]).await)
    }

    /// `LRANGE key 0 -1`: the whole list, head first.
    pub async fn lrange(&self, key: &str) -> Vec<String> {
        self.cmd(&["LRANGE", key, "0", "-1"])
            .await
            .into_array()
            .into_iter()
            .map(text)
            .collect()
    }

    /// `ZRANGE key 0 -1 WITHSCORES`: the whole sorted set, lowest score first.
    pub async fn zrange_withscores(&self, key: &str) -> Vec<(String, f64)> {
        let value = self.cmd(&["ZRANGE", key, "0", "-1", "WITHSCORES"]).await;
        let mut flat = Vec::new();
        for item in value.into_array() {
            match item {
                // RESP3 answers with [member, score] pairs.
                Value::Array(pair) => flat.extend(pair),
                other => flat.push(other),
            }
        }
        flat.chunks(2)
            .map(|pair| {
                let member = text(pair[0].clone());
                let score = pair.get(1).and_then(score).unwrap_or_else(|| {
                    panic!("ZRANGE {key}: bad score for member {member:?}: {pair:?}")
                });
                (member, score)
            })
            .collect()
    }

    /// `ZSCORE key member`.
    pub async fn zscore(&self, key: &str, member: &str) -> Option<f64> {
        let value = self.cmd(&["ZSCORE", key, member]).await;
        if value.is_null() {
            return None;
        }
        Some(score(&value).unwrap_or_else(|| panic!("ZSCORE {key} {member}: bad reply {value:?}")))
    }

    /// `SMEMBERS key`.
    pub async fn smembers(&self, key: &str) -> BTreeSet<String> {
        self.cmd(&["SMEMBERS", key])
            .await
            .into_array()
            .into_iter()
            .map(text)
            .collect()
    }

    /// `GET key`.
    pub async fn get(&self, key: &str) -> Option<Vec<u8>> {
        bytes(self.cmd(&["GET", key]).await)
    }

    /// `TTL key` in seconds: -1 when the key has no expiry, -2 when it does not exist.
    pub async fn ttl(&self, key: &str) -> i64 {
        let value = self.cmd(&["TTL", key]).await;
        value
            .as_i64()
            .unwrap_or_else(|| panic!("TTL {key}: bad reply {value:?}"))
    }

    /// `EXISTS key`.
    pub async fn exists(&self, key: &str) -> bool {
        let value = self.cmd(&["EXISTS", key]).await;
        value
            .as_i64()
            .unwrap_or_else(|| panic!("EXISTS {key}: bad reply {value:?}"))
            > 0
    }

    /// `TYPE key`: `"string"`, `"list"`, `"set"`, `"zset"`, `"hash"`, `"stream"` or `"none"`.
    pub async fn key_type(&self, key: &str) -> String {
        text(self.cmd(&["TYPE", key]).await)
    }

    /// `KEYS pattern`, sorted. On a cluster, the union over every primary node.
    pub async fn keys(&self, pattern: &str) -> Vec<String> {
        let mut keys = if self.client.is_clustered() {
            self.client
                .sync_cluster()
                .await
                .unwrap_or_else(|e| panic!("sync cluster state: {e}"));
            let primaries = self
                .client
                .cached_cluster_state()
                .expect("cluster state after sync")
                .unique_primary_nodes();
            let mut keys = Vec::new();
            for server in primaries {
                let value: Value = self
                    .client
                    .with_cluster_node(&server)
                    .custom(
                        CustomCommand::new_static("KEYS", ClusterHash::Random, false),
                        vec![pattern.to_owned()],
                    )
                    .await
                    .unwrap_or_else(|e| panic!("redis command `KEYS {pattern}` on {server}: {e}"));
                keys.extend(value.into_array().into_iter().map(text));
            }
            keys
        } else {
            self.cmd(&["KEYS", pattern])
                .await
                .into_array()
                .into_iter()
                .map(text)
                .collect()
        };
        keys.sort();
        keys.dedup();
        keys
    }

    /// `FLUSHALL`; on a cluster, on every primary node.
    pub async fn flushall(&self) {
        if self.client.is_clustered() {
            self.client
                .sync_cluster()
                .await
                .unwrap_or_else(|e| panic!("sync cluster state: {e}"));
            self.client
                .flushall_cluster()
                .await
                .unwrap_or_else(|e| panic!("redis command `FLUSHALL` on the cluster: {e}"));
        } else {
            self.cmd(&["FLUSHALL"]).await;
        }
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let client = self.client.clone();
            handle.spawn(async move {
                let _ = client.quit().await;
            });
        }
    }
}

/// A reply as text (lossy for binary data, empty for nil).
fn text(value: Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
        other => other
            .as_str_lossy()
            .map(|s| s.into_owned())
            .unwrap_or_else(|| format!("{other:?}")),
    }
}

/// A reply as raw bytes; `None` for nil.
fn bytes(value: Value) -> Option<Vec<u8>> {
    match value {
        Value::Null => None,
        Value::Double(d) => Some(d.to_string().into_bytes()),
        other => other.into_owned_bytes(),
    }
}

/// A score reply (bulk string in RESP2, double in RESP3).
fn score(value: &Value) -> Option<f64> {
    match value {
        Value::Double(d) => Some(*d),
        Value::Integer(i) => Some(*i as f64),
        other => other.as_str().and_then(|s| match s.as_ref() {
            "inf" | "+inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            s => s.parse().ok(),
        }),
    }
}

/// Field/value pairs of a map reply (RESP3 map or RESP2 flat array).
fn pairs(value: Value) -> Vec<(Value, Value)> {
    match value {
        Value::Map(map) => map
            .inner()
            .into_iter()
            .map(|(k, v)| (Value::from(k.as_str_lossy().into_owned()), v))
            .collect(),
        other => {
            let flat = other.into_array();
            let mut out = Vec::with_capacity(flat.len() / 2);
            let mut items = flat.into_iter();
            while let (Some(k), Some(v)) = (items.next(), items.next()) {
                out.push((k, v));
            }
            out
        }
    }
}
