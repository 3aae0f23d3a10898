//! Redis connection options and the fred client built from them.
//!
//! [`RedisConnOpt`] says where Redis is: one server ([`RedisClientOpt`]), a master behind
//! Sentinel ([`RedisFailoverClientOpt`]) or a Cluster ([`RedisClusterClientOpt`]). These mirror
//! Go's `RedisClientOpt`, `RedisFailoverClientOpt` and `RedisClusterClientOpt`, and
//! [`RedisConnOpt::parse_uri`] accepts the URIs of Go's `ParseRedisURI`.
//!
//! Every client built from these options has a reconnect policy: exponential backoff from
//! [`RECONNECT_MIN_DELAY`] (100 ms) up to [`RECONNECT_MAX_DELAY`] (2 s) plus jitter, with no
//! limit on attempts, so a Redis restart or failover is ridden out instead of failing the
//! process. The first connection must succeed (an unreachable server is an error after at most
//! the dial timeout); commands issued while reconnecting wait for the connection within the
//! command deadline (`read_timeout + write_timeout`, 6 s by default), and a command in flight
//! when a connection drops is sent at most [`CONNECT_MAX_COMMAND_ATTEMPTS`] times.
//!
//! Secrets: the `Debug` output of the option types shows every password as [`REDACTED`]
//! (`"xxxxx"`; an empty password stays `""`), addresses are shown through [`redact_uri`], and
//! no error of [`RedisConnOpt::parse_uri`] or of connecting quotes a password. Use
//! [`redact_uri`] to show a URI yourself. A client built with
//! [`TlsOptions::insecure_skip_verify`] logs one `tracing` warning when it is set up (see
//! there).

mod client;
mod options;
mod tls;
mod uri;

#[cfg(test)]
mod deployment_tests;

/// Captures the `tracing` events of the current thread, for tests of what is logged.
#[cfg(test)]
pub(crate) mod test_log {
    use std::sync::{Arc, Mutex};

    /// The text of the events logged while the guard of [`Captured::install`] lives.
    #[derive(Clone, Default)]
    pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        /// Makes this the current thread's subscriber (level DEBUG and above) until the guard
        /// is dropped. A `#[tokio::test]` runs on one thread, so the tasks it spawns are seen.
        pub(crate) fn install(&self) -> tracing::subscriber::DefaultGuard {
            let writer = self.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .with_max_level(tracing::Level::DEBUG)
                .finish();
            tracing::subscriber::set_default(subscriber)
        }

        /// Everything logged so far.
        pub(crate) fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
        }

        /// The logged lines at WARN level containing `needle`.
        pub(crate) fn warnings(&self, needle: &str) -> usize {
            self.text()
                .lines()
                .filter(|l| l.contains(" WARN ") && l.contains(needle))
                .count()
        }
    }
}

use std::str::FromStr;

pub(crate) use client::{connect, subscriber_client};
pub use client::{CONNECT_MAX_COMMAND_ATTEMPTS, RECONNECT_MAX_DELAY, RECONNECT_MIN_DELAY};
pub use options::{
    Network, RedisClientOpt, RedisClusterClientOpt, RedisFailoverClientOpt, DEFAULT_ADDR,
    DEFAULT_DIAL_TIMEOUT, DEFAULT_MAX_REDIRECTS, DEFAULT_READ_TIMEOUT, DEFAULT_REDIS_PORT,
    DEFAULT_SENTINEL_PORT,
};
pub use tls::TlsOptions;
pub use uri::{redact_uri, REDACTED};

use crate::error::{BrokerError, Result};

/// Where and how to connect to Redis. Mirrors Go's `RedisConnOpt` interface, whose three
/// implementations are the three variants.
///
/// Build one from an options struct (`RedisClientOpt::new("localhost:6379").into()`) or parse a
/// URI with [`RedisConnOpt::parse_uri`] / [`str::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisConnOpt {
    /// One Redis server over TCP, TLS or a Unix socket (Go `RedisClientOpt`).
    Single(RedisClientOpt),
    /// A master discovered through Redis Sentinel, with failover (Go `RedisFailoverClientOpt`).
    Sentinel(RedisFailoverClientOpt),
    /// A Redis Cluster (Go `RedisClusterClientOpt`).
    Cluster(RedisClusterClientOpt),
}

impl From<RedisClientOpt> for RedisConnOpt {
    fn from(opt: RedisClientOpt) -> Self {
        RedisConnOpt::Single(opt)
    }
}

impl From<RedisFailoverClientOpt> for RedisConnOpt {
    fn from(opt: RedisFailoverClientOpt) -> Self {
        RedisConnOpt::Sentinel(opt)
    }
}

impl From<RedisClusterClientOpt> for RedisConnOpt {
    fn from(opt: RedisClusterClientOpt) -> Self {
        RedisConnOpt::Cluster(opt)
    }
}

impl RedisConnOpt {
    /// Where these options point, for logs and error messages: the address (or socket path),
    /// `master "name" via sentinels a,b`, or `cluster a,b`, each through [`redact_uri`] so
    /// that credentials written into an address are not shown. Never includes a password.
    pub fn target(&self) -> String {
        match self {
            RedisConnOpt::Single(o) => redact_uri(&o.addr),
            RedisConnOpt::Sentinel(o) => format!(
                "master {:?} via sentinels {}",
                o.master_name,
                redact_uri(&o.sentinel_addrs.join(","))
            ),
            RedisConnOpt::Cluster(o) => format!("cluster {}", redact_uri(&o.addrs.join(","))),
        }
    }

    /// Parses a Redis URI exactly as Go's `ParseRedisURI` does.
    ///
    /// | form | result |
    /// |---|---|
    /// | `redis://[:password@]host[:port][/db]` | [`RedisClientOpt`] with `addr` = `host[:port]` exactly as written |
    /// | `rediss://[:password@]host[:port][/db]` | the same with TLS, [`TlsOptions::server_name`] = host without port |
    /// | `redis-socket://[:password@]/path/to.sock[?db=N]` | [`RedisClientOpt`] with [`Network::Unix`], `addr` = path |
    /// | `redis-sentinel://[:password@]h1:p1,h2:p2[/db][?master=name]` | [`RedisFailoverClientOpt`]; the password becomes `sentinel_password` |
    ///
    /// As in Go:
    /// * the database is the first path segment after trimming `/` on both sides, so
    ///   `redis://h:6379/2/x` selects 2 while `redis://h:6379/` (a bare trailing slash) and
    ///   `redis://h:6379/abc` are errors ("database number should be the first segment of the
    ///   path");
    /// * a user name in the URI (`redis://alice:pw@h`) is **ignored**, only the password is
    ///   used; set [`RedisClientOpt::username`] in code for Redis ACL users;
    /// * an empty host is accepted (`redis://` means `localhost:6379` when connecting);
    /// * percent escapes are decoded in the password, host and path.
    ///
    /// Differences from Go: a negative or too large database number is refused here rather than
    /// by Redis later, and text that decodes to bytes which are not UTF-8 is refused.
    /// Cluster has no URI form (neither has Go).
    ///
    /// # Errors
    /// * [`BrokerError::UnsupportedScheme`] for any other scheme (also for a URI without one);
    /// * [`BrokerError::InvalidUri`] when the URI is malformed (bad percent escape, non-numeric
    ///   port, control character, ...), the database is not a number, or a socket URI has no
    ///   path.
    ///
    /// No error quotes the password: the message is the one of the URI with its password
    /// redacted (see [`redact_uri`]), or "the password is malformed: ..." when only the password
    /// is at fault (an unescaped `/`, `?`, `#`, space or a bad `%` escape in it).
    pub fn parse_uri(uri: &str) -> Result<RedisConnOpt> {
        uri::parse_redis_uri(uri)
    }

    /// True for a Redis Cluster deployment, where multi-key commands must stay in one slot.
    pub fn is_cluster(&self) -> bool {
        matches!(self, RedisConnOpt::Cluster(_))
    }

    /// The TLS options, when TLS is enabled.
    pub fn tls(&self) -> Option<&TlsOptions> {
        match self {
            RedisConnOpt::Single(o) => o.tls.as_ref(),
            RedisConnOpt::Sentinel(o) => o.tls.as_ref(),
            RedisConnOpt::Cluster(o) => o.tls.as_ref(),
        }
    }
}

impl FromStr for RedisConnOpt {
    type Err = BrokerError;

    /// Same as [`RedisConnOpt::parse_uri`].
    fn from_str(s: &str) -> Result<Self> {
        RedisConnOpt::parse_uri(s)
    }
}
