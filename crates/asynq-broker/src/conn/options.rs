//! The three connection option structs, mirroring Go's `RedisClientOpt`,
//! `RedisFailoverClientOpt` and `RedisClusterClientOpt` (`asynq.go`).

use std::fmt;
use std::time::Duration;

use super::tls::TlsOptions;
use super::uri::{redact_uri, REDACTED};

/// Default time allowed to establish a connection, TLS handshake included: 5 s (go-redis
/// `DialTimeout` default).
pub const DEFAULT_DIAL_TIMEOUT: Duration = Duration::from_secs(5);
/// Default socket read timeout: 3 s (go-redis `ReadTimeout` default).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(3);
/// Default number of `MOVED`/`ASK` redirections a cluster command follows: 8 (Go
/// `RedisClusterClientOpt.MaxRedirects`).
pub const DEFAULT_MAX_REDIRECTS: u32 = 8;
/// Default address of a single node when [`RedisClientOpt::addr`] is empty (go-redis default).
pub const DEFAULT_ADDR: &str = "localhost:6379";
/// Port assumed for a Redis node address without one.
pub const DEFAULT_REDIS_PORT: u16 = 6379;
/// Port assumed for a Sentinel address without one.
pub const DEFAULT_SENTINEL_PORT: u16 = 26379;

/// How a single node is reached (Go `RedisClientOpt.Network`: `"tcp"` or `"unix"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Network {
    /// TCP; the address is `host:port` (Go `"tcp"`, the default).
    #[default]
    Tcp,
    /// A Unix domain socket; the address is the socket's file path (Go `"unix"`).
    Unix,
}

/// Connection to one Redis server. Mirrors Go's `RedisClientOpt`.
///
/// Build it with [`RedisClientOpt::new`] (TCP) or [`RedisClientOpt::unix`] and the builder-style
/// setters, or with a struct literal and `..Default::default()`:
///
/// ```
/// use std::time::Duration;
/// use asynq_broker::conn::RedisClientOpt;
///
/// let opt = RedisClientOpt::new("localhost:6379")
///     .password("secret")
///     .db(2)
///     .read_timeout(Duration::from_secs(1));
/// assert_eq!(opt.db, 2);
/// ```
///
/// Timeouts: fred (the client underneath) applies one deadline to a whole command rather than
/// separate socket read and write deadlines. That deadline is `read_timeout + write_timeout`
/// (6 s with the defaults) and covers the time a command waits to be written, including while the
/// client reconnects, plus the time to read the reply. With `read_timeout = None` commands have
/// no deadline.
///
/// `Debug` shows a set password as [`REDACTED`] and the address through [`redact_uri`].
#[derive(Clone, PartialEq, Eq)]
pub struct RedisClientOpt {
    /// TCP or Unix socket (Go `Network`). Default [`Network::Tcp`].
    pub network: Network,
    /// For TCP, `host:port` exactly as given (an IPv6 host in brackets, `[::1]:6379`); a missing
    /// port means 6379 and an empty address means `localhost:6379`, as in go-redis. For
    /// [`Network::Unix`], the socket path (Go `Addr`).
    pub addr: String,
    /// ACL user name for `AUTH` (Go `Username`); empty = none (the `default` user).
    pub username: String,
    /// Password for `AUTH` (Go `Password`); empty = no authentication unless `username` is set.
    pub password: String,
    /// Database selected after connecting (Go `DB`). Default 0. Redis' own limit applies
    /// (16 databases unless configured otherwise); values above 255 are refused on connect.
    pub db: u32,
    /// Time allowed to establish a connection, TCP connect and TLS handshake included (Go
    /// `DialTimeout`). Default 5 s; zero means the default.
    pub dial_timeout: Duration,
    /// Time allowed to read a reply (Go `ReadTimeout`). Default `Some(3 s)`; `None` means no
    /// timeout (Go `-1`).
    pub read_timeout: Option<Duration>,
    /// Time allowed to write a command (Go `WriteTimeout`). `None` (the default) means the same as
    /// `read_timeout`.
    pub write_timeout: Option<Duration>,
    /// TLS; `None` (the default) means plain TCP (Go `TLSConfig`, TLS only if set).
    pub tls: Option<TlsOptions>,
}

impl Default for RedisClientOpt {
    fn default() -> Self {
        RedisClientOpt {
            network: Network::Tcp,
            addr: String::new(),
            username: String::new(),
            password: String::new(),
            db: 0,
            dial_timeout: DEFAULT_DIAL_TIMEOUT,
            read_timeout: Some(DEFAULT_READ_TIMEOUT),
            write_timeout: None,
            tls: None,
        }
    }
}

impl RedisClientOpt {
    /// Options for the TCP server at `addr` (`host:port`), everything else at its default.
    pub fn new(addr: impl Into<String>) -> Self {
        RedisClientOpt {
            addr: addr.into(),
            ..Default::default()
        }
    }

    /// Options for the server listening on the Unix socket at `path`.
    pub fn unix(path: impl Into<String>) -> Self {
        RedisClientOpt {
            network: Network::Unix,
            addr: path.into(),
            ..Default::default()
        }
    }

    /// Sets [`network`](Self::network).
    pub fn network(mut self, network: Network) -> Self {
        self.network = network;
        self
    }

    /// Sets [`username`](Self::username) (Redis 6 ACL user).
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = username.into();
        self
    }

    /// Sets [`password`](Self::password).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = password.into();
        self
    }

    /// Sets [`db`](Self::db).
    pub fn db(mut self, db: u32) -> Self {
        self.db = db;
        self
    }

    /// Sets [`dial_timeout`](Self::dial_timeout).
    pub fn dial_timeout(mut self, timeout: Duration) -> Self {
        self.dial_timeout = timeout;
        self
    }

    /// Sets [`read_timeout`](Self::read_timeout); pass `None` for no timeout.
    pub fn read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.read_timeout = timeout.into();
        self
    }

    /// Sets [`write_timeout`](Self::write_timeout); `None` means "same as the read timeout".
    pub fn write_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.write_timeout = timeout.into();
        self
    }

    /// Enables TLS with `tls`.
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.tls = Some(tls);
        self
    }
}

/// A master found through Redis Sentinel, with automatic failover. Mirrors Go's
/// `RedisFailoverClientOpt`.
///
/// `sentinel_username`/`sentinel_password` authenticate to the sentinels, `username`/`password`
/// to the master. `tls` applies to both the sentinels and the master (as go-redis does). Timeouts
/// as in [`RedisClientOpt`].
///
/// `Debug` shows both passwords, when set, as [`REDACTED`].
#[derive(Clone, PartialEq, Eq)]
pub struct RedisFailoverClientOpt {
    /// Name of the master the sentinels monitor (Go `MasterName`). Required to connect.
    pub master_name: String,
    /// Sentinel addresses, `host:port` each (Go `SentinelAddrs`); a missing port means 26379.
    /// Use at least three sentinels.
    pub sentinel_addrs: Vec<String>,
    /// ACL user name for the sentinels (Go `SentinelUsername`); empty = none.
    pub sentinel_username: String,
    /// Password for the sentinels (Go `SentinelPassword`); empty = none.
    pub sentinel_password: String,
    /// ACL user name for the master (Go `Username`); empty = none.
    pub username: String,
    /// Password for the master (Go `Password`); empty = none.
    pub password: String,
    /// Database selected on the master (Go `DB`). Default 0; at most 255.
    pub db: u32,
    /// See [`RedisClientOpt::dial_timeout`]. Default 5 s.
    pub dial_timeout: Duration,
    /// See [`RedisClientOpt::read_timeout`]. Default `Some(3 s)`.
    pub read_timeout: Option<Duration>,
    /// See [`RedisClientOpt::write_timeout`]. Default `None` (= read timeout).
    pub write_timeout: Option<Duration>,
    /// TLS for sentinels and master; `None` = plain TCP (Go `TLSConfig`).
    pub tls: Option<TlsOptions>,
}

impl Default for RedisFailoverClientOpt {
    fn default() -> Self {
        RedisFailoverClientOpt {
            master_name: String::new(),
            sentinel_addrs: Vec::new(),
            sentinel_username: String::new(),
            sentinel_password: String::new(),
            username: String::new(),
            password: String::new(),
            db: 0,
            dial_timeout: DEFAULT_DIAL_TIMEOUT,
            read_timeout: Some(DEFAULT_READ_TIMEOUT),
            write_timeout: None,
            tls: None,
        }
    }
}

impl RedisFailoverClientOpt {
    /// Options for master `master_name` monitored by the sentinels at `sentinel_addrs`.
    pub fn new<I, S>(master_name: impl Into<String>, sentinel_addrs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RedisFailoverClientOpt {
            master_name: master_name.into(),
            sentinel_addrs: sentinel_addrs.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }

    /// Sets [`sentinel_username`](Self::sentinel_username).
    pub fn sentinel_username(mut self, username: impl Into<String>) -> Self {
        self.sentinel_username = username.into();
        self
    }

    /// Sets [`sentinel_password`](Self::sentinel_password).
    pub fn sentinel_password(mut self, password: impl Into<String>) -> Self {
        self.sentinel_password = password.into();
        self
    }

    /// Sets [`username`](Self::username) (master ACL user).
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = username.into();
        self
    }

    /// Sets [`password`](Self::password) (master password).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = password.into();
        self
    }

    /// Sets [`db`](Self::db).
    pub fn db(mut self, db: u32) -> Self {
        self.db = db;
        self
    }

    /// Sets [`dial_timeout`](Self::dial_timeout).
    pub fn dial_timeout(mut self, timeout: Duration) -> Self {
        self.dial_timeout = timeout;
        self
    }

    /// Sets [`read_timeout`](Self::read_timeout); pass `None` for no timeout.
    pub fn read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.read_timeout = timeout.into();
        self
    }

    /// Sets [`write_timeout`](Self::write_timeout); `None` means "same as the read timeout".
    pub fn write_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.write_timeout = timeout.into();
        self
    }

    /// Enables TLS with `tls`.
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.tls = Some(tls);
        self
    }
}

/// A Redis Cluster. Mirrors Go's `RedisClusterClientOpt`.
///
/// There is no database number: Redis Cluster only has database 0. Timeouts as in
/// [`RedisClientOpt`].
///
/// `Debug` shows a set password as [`REDACTED`].
#[derive(Clone, PartialEq, Eq)]
pub struct RedisClusterClientOpt {
    /// Seed list of node addresses, `host:port` each (Go `Addrs`); the rest of the cluster is
    /// discovered with `CLUSTER SLOTS`.
    pub addrs: Vec<String>,
    /// Maximum `MOVED`/`ASK` redirections one command follows (Go `MaxRedirects`). Default 8;
    /// zero means the default.
    pub max_redirects: u32,
    /// ACL user name (Go `Username`); empty = none.
    pub username: String,
    /// Password (Go `Password`); empty = none.
    pub password: String,
    /// See [`RedisClientOpt::dial_timeout`]. Default 5 s.
    pub dial_timeout: Duration,
    /// See [`RedisClientOpt::read_timeout`]. Default `Some(3 s)`.
    pub read_timeout: Option<Duration>,
    /// See [`RedisClientOpt::write_timeout`]. Default `None` (= read timeout).
    pub write_timeout: Option<Duration>,
    /// TLS for every node; `None` = plain TCP (Go `TLSConfig`). With
    /// [`TlsOptions::server_name`] set, that name is verified for every node, including the ones
    /// discovered by IP address.
    pub tls: Option<TlsOptions>,
}

impl Default for RedisClusterClientOpt {
    fn default() -> Self {
        RedisClusterClientOpt {
            addrs: Vec::new(),
            max_redirects: DEFAULT_MAX_REDIRECTS,
            username: String::new(),
            password: String::new(),
            dial_timeout: DEFAULT_DIAL_TIMEOUT,
            read_timeout: Some(DEFAULT_READ_TIMEOUT),
            write_timeout: None,
            tls: None,
        }
    }
}

impl RedisClusterClientOpt {
    /// Options for the cluster reachable through the seed nodes `addrs`.
    pub fn new<I, S>(addrs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RedisClusterClientOpt {
            addrs: addrs.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }

    /// Sets [`max_redirects`](Self::max_redirects).
    pub fn max_redirects(mut self, max_redirects: u32) -> Self {
        self.max_redirects = max_redirects;
        self
    }

    /// Sets [`username`](Self::username).
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = username.into();
        self
    }

    /// Sets [`password`](Self::password).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = password.into();
        self
    }

    /// Sets [`dial_timeout`](Self::dial_timeout).
    pub fn dial_timeout(mut self, timeout: Duration) -> Self {
        self.dial_timeout = timeout;
        self
    }

    /// Sets [`read_timeout`](Self::read_timeout); pass `None` for no timeout.
    pub fn read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.read_timeout = timeout.into();
        self
    }

    /// Sets [`write_timeout`](Self::write_timeout); `None` means "same as the read timeout".
    pub fn write_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.write_timeout = timeout.into();
        self
    }

    /// Enables TLS with `tls`.
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.tls = Some(tls);
        self
    }
}

/// A password as `Debug` shows it: [`REDACTED`] when set, `""` when empty (so that "no
/// password" stays visible).
fn secret(password: &str) -> &'static str {
    if password.is_empty() {
        ""
    } else {
        REDACTED
    }
}

/// Addresses as `Debug` shows them: through [`redact_uri`], in case one holds credentials.
fn addrs(list: &[String]) -> Vec<String> {
    list.iter().map(|a| redact_uri(a)).collect()
}

impl fmt::Debug for RedisClientOpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisClientOpt")
            .field("network", &self.network)
            .field("addr", &redact_uri(&self.addr))
            .field("username", &self.username)
            .field("password", &secret(&self.password))
            .field("db", &self.db)
            .field("dial_timeout", &self.dial_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("tls", &self.tls)
            .finish()
    }
}

impl fmt::Debug for RedisFailoverClientOpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisFailoverClientOpt")
            .field("master_name", &self.master_name)
            .field("sentinel_addrs", &addrs(&self.sentinel_addrs))
            .field("sentinel_username", &self.sentinel_username)
            .field("sentinel_password", &secret(&self.sentinel_password))
            .field("username", &self.username)
            .field("password", &secret(&self.password))
            .field("db", &self.db)
            .field("dial_timeout", &self.dial_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("tls", &self.tls)
            .finish()
    }
}

impl fmt::Debug for RedisClusterClientOpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisClusterClientOpt")
            .field("addrs", &addrs(&self.addrs))
            .field("max_redirects", &self.max_redirects)
            .field("username", &self.username)
            .field("password", &secret(&self.password))
            .field("dial_timeout", &self.dial_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("tls", &self.tls)
            .finish()
    }
}
