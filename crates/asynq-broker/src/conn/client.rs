//! Turning a [`RedisConnOpt`] into a fred client.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fred::clients::{Client, SubscriberClient};
use fred::interfaces::ClientLike;
use fred::types::config::{
    ClusterDiscoveryPolicy, Config, ConnectionConfig, HostMapping, PerformanceConfig,
    ReconnectPolicy, Server, ServerConfig, TcpConfig, TlsConfig, TlsConnector, TlsHostMapping,
    UnresponsiveConfig,
};
use fred::types::Builder;

use super::options::{
    Network, DEFAULT_ADDR, DEFAULT_DIAL_TIMEOUT, DEFAULT_MAX_REDIRECTS, DEFAULT_REDIS_PORT,
    DEFAULT_SENTINEL_PORT,
};
use super::tls::TlsOptions;
use super::uri::redact_uri;
use super::RedisConnOpt;
use crate::error::{BrokerError, Result};

/// First delay before reconnecting after a connection is lost (then doubled per attempt).
pub const RECONNECT_MIN_DELAY: Duration = Duration::from_millis(100);
/// Longest delay between two reconnection attempts. Attempts never stop.
pub const RECONNECT_MAX_DELAY: Duration = Duration::from_secs(2);
/// How many times one command is sent at most when connections close while it is in flight.
pub const CONNECT_MAX_COMMAND_ATTEMPTS: u32 = 3;
/// Jitter added to every reconnect delay, in milliseconds.
const RECONNECT_JITTER_MS: u32 = 100;

/// The settings shared by the three deployment kinds.
struct Common<'a> {
    dial_timeout: Duration,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    tls: Option<&'a TlsOptions>,
    /// Number of addresses tried one after the other when connecting.
    hosts: usize,
}

impl Common<'_> {
    fn dial_timeout(&self) -> Duration {
        if self.dial_timeout.is_zero() {
            DEFAULT_DIAL_TIMEOUT
        } else {
            self.dial_timeout
        }
    }

    /// Deadline of one command: the read timeout plus the write timeout (which defaults to the
    /// read timeout); `None` when there is no read timeout.
    fn command_timeout(&self) -> Option<Duration> {
        let read = self.read_timeout?;
        Some(read.saturating_add(self.write_timeout.unwrap_or(read)))
    }
}

fn common(opt: &RedisConnOpt) -> Common<'_> {
    match opt {
        RedisConnOpt::Single(o) => Common {
            dial_timeout: o.dial_timeout,
            read_timeout: o.read_timeout,
            write_timeout: o.write_timeout,
            tls: o.tls.as_ref(),
            hosts: 1,
        },
        RedisConnOpt::Sentinel(o) => Common {
            dial_timeout: o.dial_timeout,
            read_timeout: o.read_timeout,
            write_timeout: o.write_timeout,
            tls: o.tls.as_ref(),
            hosts: o.sentinel_addrs.len() + 1,
        },
        RedisConnOpt::Cluster(o) => Common {
            dial_timeout: o.dial_timeout,
            read_timeout: o.read_timeout,
            write_timeout: o.write_timeout,
            tls: o.tls.as_ref(),
            hosts: o.addrs.len().max(1),
        },
    }
}

fn invalid(msg: impl Into<String>) -> BrokerError {
    BrokerError::InvalidConnOpt(msg.into())
}

/// Splits `host:port` (`[v6]:port` for IPv6). A missing or empty port is `default_port`.
/// Errors show the address through [`redact_uri`], in case it holds credentials.
fn host_port(addr: &str, default_port: u16) -> Result<(String, u16)> {
    if addr.is_empty() {
        return Err(invalid("empty address"));
    }
    if addr.contains('@') {
        return Err(invalid(format!(
            "address {:?}: an address is host:port and cannot hold credentials (set the \
             password option instead)",
            redact_uri(addr)
        )));
    }
    let parse_port = |p: &str| -> Result<u16> {
        if p.is_empty() {
            return Ok(default_port);
        }
        p.parse::<u16>()
            .map_err(|_| invalid(format!("invalid port {p:?} in address {addr:?}")))
    };
    if let Some(rest) = addr.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| invalid(format!("missing ']' in address {addr:?}")))?;
        let port = match after {
            "" => default_port,
            _ => parse_port(after.strip_prefix(':').ok_or_else(|| {
                invalid(format!("unexpected text after ']' in address {addr:?}"))
            })?)?,
        };
        return Ok((host.to_string(), port));
    }
    match addr.rsplit_once(':') {
        None => Ok((addr.to_string(), default_port)),
        Some((host, _)) if host.contains(':') => Err(invalid(format!(
            "address {addr:?}: an IPv6 host must be written in brackets, [host]:port"
        ))),
        Some((host, port)) if !host.is_empty() => Ok((host.to_string(), parse_port(port)?)),
        Some(_) => Err(invalid(format!("address {addr:?} has no host"))),
    }
}

/// `Server` with the TLS server name, if any, for SNI.
fn server(addr: &str, default_port: u16, tls: Option<&TlsOptions>) -> Result<Server> {
    let (host, port) = host_port(addr, default_port)?;
    let name = tls.and_then(|t| t.server_name.clone());
    Ok(Server::new_with_tls(host, port, name))
}

/// (username, password) for AUTH. A user name without a password still authenticates (with an
/// empty password), as go-redis does.
fn credentials(username: &str, password: &str) -> (Option<String>, Option<String>) {
    match (username.is_empty(), password.is_empty()) {
        (true, true) => (None, None),
        (true, false) => (None, Some(password.to_string())),
        (false, _) => (Some(username.to_string()), Some(password.to_string())),
    }
}

fn database(db: u32) -> Result<Option<u8>> {
    match db {
        0 => Ok(None),
        n => u8::try_from(n)
            .map(Some)
            .map_err(|_| invalid(format!("database number {n} is out of range (0-255)"))),
    }
}

/// Maps every cluster node announced by IP address to the configured TLS server name.
#[derive(Debug)]
struct FixedTlsName(String);

impl HostMapping for FixedTlsName {
    fn map(&self, _ip: &IpAddr, _default_host: &str) -> Option<String> {
        Some(self.0.clone())
    }
}

/// The message of the warning logged when a client is set up without certificate verification.
pub(crate) const INSECURE_TLS_WARNING: &str =
    "TLS certificate verification is disabled (insecure_skip_verify): any server certificate is \
     accepted, so the Redis server's identity is not checked";

/// The fred TLS settings of `tls`. Logs one warning ([`INSECURE_TLS_WARNING`]) when
/// certificate verification is skipped: this runs once per client set-up (fred reuses the
/// configuration when it reconnects), never per command.
fn tls_config(tls: &TlsOptions, opt: &RedisConnOpt) -> Result<TlsConfig> {
    let cluster = opt.is_cluster();
    let client_config = tls.build_client_config()?;
    if tls.insecure_skip_verify && tls.client_config.is_none() {
        tracing::warn!(redis = %opt.target(), "{INSECURE_TLS_WARNING}");
    }
    let connector = TlsConnector::from((*client_config).clone());
    let hostnames = match (&tls.server_name, cluster) {
        (Some(name), true) => TlsHostMapping::Custom(Arc::new(FixedTlsName(name.clone()))),
        _ => TlsHostMapping::None,
    };
    Ok(TlsConfig {
        connector,
        hostnames,
    })
}

/// The fred configuration of `opt`, with the reconnect policy, connection and performance
/// settings (see [`connect`]).
pub(crate) fn builder(opt: &RedisConnOpt) -> Result<Builder> {
    let c = common(opt);
    let mut config = Config {
        fail_fast: true,
        ..Config::default()
    };
    let mut max_redirections = DEFAULT_MAX_REDIRECTS;

    match opt {
        RedisConnOpt::Single(o) => {
            config.server = match o.network {
                Network::Tcp => {
                    let addr = if o.addr.is_empty() {
                        DEFAULT_ADDR
                    } else {
                        o.addr.as_str()
                    };
                    ServerConfig::Centralized {
                        server: server(addr, DEFAULT_REDIS_PORT, o.tls.as_ref())?,
                    }
                }
                Network::Unix => {
                    if o.addr.is_empty() {
                        return Err(invalid("empty unix socket path"));
                    }
                    if o.tls.is_some() {
                        return Err(invalid("TLS over a unix socket is not supported"));
                    }
                    ServerConfig::Unix {
                        path: PathBuf::from(&o.addr),
                    }
                }
            };
            (config.username, config.password) = credentials(&o.username, &o.password);
            config.database = database(o.db)?;
        }
        RedisConnOpt::Sentinel(o) => {
            if o.master_name.is_empty() {
                return Err(invalid("sentinel master_name is empty"));
            }
            if o.sentinel_addrs.is_empty() {
                return Err(invalid("no sentinel addresses"));
            }
            let hosts = o
                .sentinel_addrs
                .iter()
                .map(|a| server(a, DEFAULT_SENTINEL_PORT, o.tls.as_ref()))
                .collect::<Result<Vec<_>>>()?;
            let (username, password) = credentials(&o.sentinel_username, &o.sentinel_password);
            config.server = ServerConfig::Sentinel {
                hosts,
                service_name: o.master_name.clone(),
                username,
                password,
            };
            (config.username, config.password) = credentials(&o.username, &o.password);
            config.database = database(o.db)?;
        }
        RedisConnOpt::Cluster(o) => {
            if o.addrs.is_empty() {
                return Err(invalid("no cluster node addresses"));
            }
            let hosts = o
                .addrs
                .iter()
                .map(|a| server(a, DEFAULT_REDIS_PORT, o.tls.as_ref()))
                .collect::<Result<Vec<_>>>()?;
            config.server = ServerConfig::Clustered {
                hosts,
                policy: ClusterDiscoveryPolicy::UseCache,
            };
            (config.username, config.password) = credentials(&o.username, &o.password);
            if o.max_redirects > 0 {
                max_redirections = o.max_redirects;
            }
        }
    }
    if let Some(tls) = c.tls {
        config.tls = Some(tls_config(tls, opt)?);
    }

    let dial_timeout = c.dial_timeout();
    let command_timeout = c.command_timeout();
    let connection = ConnectionConfig {
        connection_timeout: dial_timeout,
        internal_command_timeout: dial_timeout,
        max_command_attempts: CONNECT_MAX_COMMAND_ATTEMPTS,
        max_redirections,
        tcp: TcpConfig {
            nodelay: Some(true),
            ..TcpConfig::default()
        },
        unresponsive: UnresponsiveConfig {
            // A connection on which a reply is overdue by twice the command deadline is taken
            // as dead (a half-open TCP connection, a vanished host) and replaced.
            max_timeout: command_timeout.map(|t| t.saturating_mul(2)),
            interval: Duration::from_secs(1),
        },
        ..ConnectionConfig::default()
    };
    let performance = PerformanceConfig {
        default_command_timeout: command_timeout.unwrap_or(Duration::ZERO),
        ..PerformanceConfig::default()
    };
    let mut policy = ReconnectPolicy::new_exponential(
        0,
        millis(RECONNECT_MIN_DELAY),
        millis(RECONNECT_MAX_DELAY),
        2,
    );
    policy.set_jitter(RECONNECT_JITTER_MS);

    let mut builder = Builder::from_config(config);
    builder
        .set_connection_config(connection)
        .set_performance_config(performance)
        .set_policy(policy);
    Ok(builder)
}

fn millis(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

/// Upper bound for `init()`: every address may take the dial timeout, plus the handshake
/// commands. fred bounds each step itself; this is a second line of defence.
fn connect_deadline(c: &Common<'_>) -> Duration {
    let per_host = c.dial_timeout().saturating_mul(2);
    per_host
        .saturating_mul(u32::try_from(c.hosts).unwrap_or(u32::MAX))
        .saturating_add(Duration::from_secs(1))
}

/// Opens a connected client for `opt`.
///
/// fred settings:
/// * reconnect policy: exponential backoff from [`RECONNECT_MIN_DELAY`] (100 ms) doubling up to
///   [`RECONNECT_MAX_DELAY`] (2 s), plus up to 100 ms jitter, unlimited attempts;
/// * `fail_fast`: the first connection must succeed, so an unreachable server is reported
///   here (a refused connection at once, an unanswered one after `dial_timeout`);
/// * connection timeout and internal command timeout (AUTH, SELECT, CLUSTER SLOTS, sentinel
///   queries) = `dial_timeout`;
/// * command timeout = `read_timeout + write_timeout` (6 s by default; none without a read
///   timeout). Commands issued while the client reconnects wait in fred's queue and are sent
///   once connected, within that deadline; a command in flight when a connection drops is
///   retried up to [`CONNECT_MAX_COMMAND_ATTEMPTS`] times in total;
/// * a connection whose reply is overdue by twice the command timeout is closed and
///   re-established;
/// * `TCP_NODELAY`, RESP2, cluster redirections = `max_redirects` (8).
///
/// # Errors
/// [`BrokerError::InvalidConnOpt`] for unusable options; [`BrokerError::Connection`] when the
/// first connection cannot be established (refused, timed out, TLS handshake failed);
/// [`BrokerError::Redis`] when the server refuses the handshake (wrong password, unknown
/// database, ...).
pub(crate) async fn connect(opt: &RedisConnOpt) -> Result<Client> {
    let deadline = connect_deadline(&common(opt));
    let client = builder(opt)?.build()?;
    match tokio::time::timeout(deadline, client.init()).await {
        Ok(Ok(_connection_task)) => Ok(client),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => {
            // Make sure a connection that completes late does not live on unused.
            let late = client.clone();
            tokio::spawn(async move {
                let _ = late.quit().await;
            });
            Err(BrokerError::Connection(format!(
                "could not connect to redis within {deadline:?}"
            )))
        }
    }
}

/// A Pub/Sub client for `opt` with the same settings as [`connect`], built but not connected
/// (call `init()`; used for the `asynq:cancel` channel).
///
/// # Errors
/// [`BrokerError::InvalidConnOpt`] for unusable options.
pub(crate) fn subscriber_client(opt: &RedisConnOpt) -> Result<SubscriberClient> {
    Ok(builder(opt)?.build_subscriber_client()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::{RedisClientOpt, RedisClusterClientOpt, RedisFailoverClientOpt};

    #[test]
    fn host_port_forms() {
        assert_eq!(host_port("h:1", 9).unwrap(), ("h".into(), 1));
        assert_eq!(host_port("h", 9).unwrap(), ("h".into(), 9));
        assert_eq!(host_port("h:", 9).unwrap(), ("h".into(), 9));
        assert_eq!(host_port("[::1]:7", 9).unwrap(), ("::1".into(), 7));
        assert_eq!(host_port("[::1]", 9).unwrap(), ("::1".into(), 9));
        for bad in [
            "", "::1", ":6379", "h:x", "h:70000", "[::1", "[::1]x", "[::1]:x",
        ] {
            assert!(
                matches!(host_port(bad, 9), Err(BrokerError::InvalidConnOpt(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn address_with_credentials_is_refused_without_showing_them() {
        for addr in [
            ":s3cretPW@h:1",
            "u:s3cretPW@h",
            ":s3cretPW@127.0.0.1:abc",
            ":s3c@retPW@h",
        ] {
            let e = host_port(addr, 9).unwrap_err();
            let (shown, debug) = (e.to_string(), format!("{e:?}"));
            assert!(matches!(e, BrokerError::InvalidConnOpt(_)), "{addr}: {e:?}");
            assert!(shown.contains("cannot hold credentials"), "{shown}");
            for text in [&shown, &debug] {
                assert!(!text.contains("s3c") && !text.contains("retPW"), "{text}");
            }
        }
        let opt: RedisConnOpt = RedisClientOpt::new(":s3cretPW@127.0.0.1:6379").into();
        let e = builder(&opt).expect_err("refused");
        assert!(!e.to_string().contains("s3cretPW"), "{e}");
    }

    #[test]
    fn insecure_tls_logs_one_warning_per_client_set_up() {
        let log = crate::conn::test_log::Captured::default();
        let _guard = log.install();
        let insecure = TlsOptions::new().insecure_skip_verify(true);
        let opt: RedisConnOpt = RedisClientOpt::new("10.0.0.1:6380")
            .password("s3cretPW")
            .tls(insecure.clone())
            .into();
        builder(&opt).unwrap();
        assert_eq!(log.warnings(INSECURE_TLS_WARNING), 1, "{}", log.text());
        assert!(log.text().contains("redis=10.0.0.1:6380"), "{}", log.text());
        // One more client set-up, one more warning; the cluster and sentinel forms warn too.
        builder(&opt).unwrap();
        builder(
            &RedisClusterClientOpt::new(["a:1", "b:2"])
                .tls(insecure.clone())
                .into(),
        )
        .unwrap();
        builder(
            &RedisFailoverClientOpt::new("m", ["s:1"])
                .tls(insecure.clone())
                .into(),
        )
        .unwrap();
        assert_eq!(log.warnings(INSECURE_TLS_WARNING), 4, "{}", log.text());
        assert!(!log.text().contains("s3cretPW"), "{}", log.text());

        // Verified TLS, a ready rustls configuration (which the flag does not affect) and plain
        // TCP log no warning.
        let log = crate::conn::test_log::Captured::default();
        let _guard = log.install();
        let ready = insecure.build_client_config().unwrap();
        let quiet: Vec<RedisConnOpt> = vec![
            RedisClientOpt::new("h:1").into(),
            RedisClientOpt::new("h:1")
                .tls(
                    TlsOptions::new()
                        .insecure_skip_verify(true)
                        .client_config(ready),
                )
                .into(),
        ];
        for opt in &quiet {
            builder(opt).unwrap();
        }
        if let Ok(b) = builder(&RedisClientOpt::new("h:1").tls(TlsOptions::new()).into()) {
            // Only where the machine has system roots to trust.
            drop(b);
        }
        assert_eq!(
            log.warnings("TLS certificate verification"),
            0,
            "{}",
            log.text()
        );
    }

    #[test]
    fn credentials_like_go_redis() {
        assert_eq!(credentials("", ""), (None, None));
        assert_eq!(credentials("", "p"), (None, Some("p".into())));
        assert_eq!(
            credentials("u", ""),
            (Some("u".into()), Some(String::new()))
        );
        assert_eq!(credentials("u", "p"), (Some("u".into()), Some("p".into())));
    }

    #[test]
    fn builder_single_settings() {
        let opt: RedisConnOpt = RedisClientOpt::new("example.com:7000")
            .password("pw")
            .db(3)
            .into();
        let b = builder(&opt).unwrap();
        let config = b.get_config().unwrap();
        assert_eq!(
            config.server,
            ServerConfig::Centralized {
                server: Server::new("example.com", 7000)
            }
        );
        assert_eq!(config.password.as_deref(), Some("pw"));
        assert_eq!(config.username, None);
        assert_eq!(config.database, Some(3));
        assert!(config.fail_fast);
        assert!(config.tls.is_none());
        let conn = b.get_connection_config();
        assert_eq!(conn.connection_timeout, Duration::from_secs(5));
        assert_eq!(conn.max_command_attempts, 3);
        assert_eq!(conn.unresponsive.max_timeout, Some(Duration::from_secs(12)));
        assert_eq!(
            b.get_performance_config().default_command_timeout,
            Duration::from_secs(6)
        );
        let policy = b.get_policy().unwrap();
        assert_eq!(policy.max_attempts(), 0, "reconnect forever");
        assert!(matches!(
            policy,
            ReconnectPolicy::Exponential {
                max_delay: 2000,
                min_delay: 100,
                base: 2,
                ..
            }
        ));
    }

    #[test]
    fn builder_timeouts() {
        let opt: RedisConnOpt = RedisClientOpt::new("h:1")
            .dial_timeout(Duration::ZERO)
            .read_timeout(Duration::from_secs(1))
            .write_timeout(Duration::from_millis(500))
            .into();
        let b = builder(&opt).unwrap();
        assert_eq!(
            b.get_connection_config().connection_timeout,
            DEFAULT_DIAL_TIMEOUT
        );
        assert_eq!(
            b.get_performance_config().default_command_timeout,
            Duration::from_millis(1500)
        );
        let opt: RedisConnOpt = RedisClientOpt::new("h:1").read_timeout(None).into();
        let b = builder(&opt).unwrap();
        assert_eq!(
            b.get_performance_config().default_command_timeout,
            Duration::ZERO
        );
        assert_eq!(b.get_connection_config().unresponsive.max_timeout, None);
    }

    #[test]
    fn builder_empty_addr_is_localhost() {
        let b = builder(&RedisClientOpt::default().into()).unwrap();
        assert_eq!(
            b.get_config().unwrap().server,
            ServerConfig::new_centralized("localhost", 6379)
        );
    }

    #[test]
    fn builder_unix_sentinel_cluster() {
        let b = builder(&RedisClientOpt::unix("/tmp/r.sock").db(1).into()).unwrap();
        assert_eq!(
            b.get_config().unwrap().server,
            ServerConfig::Unix {
                path: "/tmp/r.sock".into()
            }
        );
        assert_eq!(b.get_config().unwrap().database, Some(1));

        let opt = RedisFailoverClientOpt::new("mymaster", ["a:1", "b"])
            .sentinel_password("sp")
            .password("mp")
            .db(2);
        let b = builder(&opt.into()).unwrap();
        let config = b.get_config().unwrap();
        assert_eq!(
            config.server,
            ServerConfig::Sentinel {
                hosts: vec![Server::new("a", 1), Server::new("b", 26379)],
                service_name: "mymaster".into(),
                username: None,
                password: Some("sp".into()),
            }
        );
        assert_eq!(config.password.as_deref(), Some("mp"));
        assert_eq!(config.database, Some(2));

        let opt = RedisClusterClientOpt::new(["a:1", "b:2"])
            .max_redirects(0)
            .username("u")
            .password("p");
        let b = builder(&opt.into()).unwrap();
        let config = b.get_config().unwrap();
        assert!(config.server.is_clustered());
        assert_eq!(
            config.server.hosts(),
            vec![Server::new("a", 1), Server::new("b", 2)]
        );
        assert_eq!(config.database, None);
        assert_eq!(config.username.as_deref(), Some("u"));
        assert_eq!(b.get_connection_config().max_redirections, 8);
        let b = builder(&RedisClusterClientOpt::new(["a:1"]).max_redirects(2).into()).unwrap();
        assert_eq!(b.get_connection_config().max_redirections, 2);
    }

    #[test]
    fn builder_refuses_unusable_options() {
        let cases: Vec<RedisConnOpt> = vec![
            RedisClientOpt::new("h:1").db(256).into(),
            RedisClientOpt::new("h:nope").into(),
            RedisClientOpt::unix("").into(),
            RedisClientOpt::unix("/x.sock")
                .tls(TlsOptions::new().insecure_skip_verify(true))
                .into(),
            RedisFailoverClientOpt::new("", ["a:1"]).into(),
            RedisFailoverClientOpt::new("m", Vec::<String>::new()).into(),
            RedisFailoverClientOpt::new("m", [""]).into(),
            RedisClusterClientOpt::new(Vec::<String>::new()).into(),
            RedisClientOpt::new("h:1")
                .tls(TlsOptions::new().ca_file("/nonexistent/ca.pem"))
                .into(),
        ];
        for opt in cases {
            assert!(
                matches!(builder(&opt), Err(BrokerError::InvalidConnOpt(_))),
                "{opt:?}"
            );
        }
    }

    #[test]
    fn builder_tls() {
        let tls = TlsOptions::new()
            .insecure_skip_verify(true)
            .server_name("redis.example");
        let b = builder(&RedisClientOpt::new("10.0.0.1:6380").tls(tls.clone()).into()).unwrap();
        let config = b.get_config().unwrap();
        assert!(config.uses_rustls());
        assert_eq!(
            config.server,
            ServerConfig::Centralized {
                server: Server::new_with_tls("10.0.0.1", 6380, Some("redis.example".into()))
            }
        );
        let b = builder(
            &RedisClusterClientOpt::new(["10.0.0.1:7000"])
                .tls(tls)
                .into(),
        )
        .unwrap();
        let mapping = &b.get_config().unwrap().tls.as_ref().unwrap().hostnames;
        assert!(matches!(mapping, TlsHostMapping::Custom(_)));
        let name = FixedTlsName("redis.example".into()).map(&"10.0.0.2".parse().unwrap(), "x");
        assert_eq!(name.as_deref(), Some("redis.example"));
    }
}
