//! Connection settings: command-line flags, environment variables and the config file, turned
//! into a [`RedisConnOpt`].
//!
//! Every setting has a key (`uri`, `db`, `password`, `username`, `cluster`, `cluster_addrs`,
//! `tls`, `tls_server`, `insecure`). For each key the first of these that is present wins, as
//! with Go's viper set-up:
//!
//! 1. the command-line flag (`--uri`, `--db`, ...), when given;
//! 2. the environment variable `ASYNQ_<KEY>` (`ASYNQ_URI`, `ASYNQ_DB`, ...);
//! 3. the environment variable `<KEY>` (`URI`, `DB`, `PASSWORD`, ...): the names Go's CLI reads
//!    (viper `AutomaticEnv` without a prefix);
//! 4. the config file: `--config FILE` (or `ASYNQ_CONFIG`), else the first of
//!    `$HOME/.asynq.json`, `$HOME/.asynq.yaml`, `$HOME/.asynq.yml` that exists; YAML (JSON is
//!    read as YAML) with the keys above at the top level;
//! 5. the default (Go's: `127.0.0.1:6379`, db 0, cluster addresses `127.0.0.1:7000` to `:7005`).
//!
//! Passwords are never shown: error messages quote the URI with its password replaced by
//! [`REDACTED`] (`xxxxx`, see [`redact_uri`]), and the `Debug` output of [`ConnFlags`] and
//! [`Settings`] does the same for the `password` setting and the URI.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use asynq_broker::conn::{redact_uri, RedisClientOpt, RedisClusterClientOpt, TlsOptions, REDACTED};
use asynq_inspect::RedisConnOpt;
use clap::Args;

use crate::error::CliError;

/// Go's default for `--uri`.
pub const DEFAULT_URI: &str = "127.0.0.1:6379";
/// Go's default for `--cluster_addrs`.
pub const DEFAULT_CLUSTER_ADDRS: &str =
    "127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003,127.0.0.1:7004,127.0.0.1:7005";

/// The global connection flags, accepted before or after the subcommand (Go's persistent
/// flags). A flag left out falls back to the environment, the config file, then the default.
///
/// `Debug` shows `password` as [`REDACTED`] and `uri` through [`redact_uri`].
#[derive(Clone, Default, Args)]
#[command(next_help_heading = "Connection options")]
pub struct ConnFlags {
    /// Config file to set flag default values (default is $HOME/.asynq.yaml)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Redis server URI: host:port (Go's form), or redis://, rediss://, redis-socket://,
    /// redis-sentinel:// [default: 127.0.0.1:6379]
    #[arg(short = 'u', long, global = true)]
    pub uri: Option<String>,
    /// Redis database number (default is 0)
    #[arg(short = 'n', long, global = true)]
    pub db: Option<String>,
    /// Password to use when connecting to redis server
    #[arg(short = 'p', long, global = true)]
    pub password: Option<String>,
    /// Username to use when connecting to Redis (ACL username)
    #[arg(short = 'U', long, global = true)]
    pub username: Option<String>,
    /// Connect to redis cluster
    #[arg(long, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub cluster: Option<String>,
    /// List of comma-separated redis server addresses
    #[arg(long = "cluster_addrs", global = true, value_name = "ADDRS")]
    pub cluster_addrs: Option<String>,
    /// Enable TLS connection
    #[arg(long, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub tls: Option<String>,
    /// Server name for TLS validation
    #[arg(long = "tls_server", global = true, value_name = "NAME")]
    pub tls_server: Option<String>,
    /// Allow insecure TLS connection by skipping cert validation
    #[arg(long, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub insecure: Option<String>,
}

/// The keys of the settings, in the order of the flags.
pub const KEYS: [&str; 9] = [
    "uri",
    "db",
    "password",
    "username",
    "cluster",
    "cluster_addrs",
    "tls",
    "tls_server",
    "insecure",
];

/// Where a setting's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Env,
    /// The config file.
    File,
    /// The built-in default.
    Default,
}

impl std::fmt::Debug for ConnFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnFlags")
            .field("config", &self.config)
            .field("uri", &self.uri.as_deref().map(redact_uri))
            .field("db", &self.db)
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .field("username", &self.username)
            .field("cluster", &self.cluster)
            .field(
                "cluster_addrs",
                &self.cluster_addrs.as_deref().map(redact_uri),
            )
            .field("tls", &self.tls)
            .field("tls_server", &self.tls_server)
            .field("insecure", &self.insecure)
            .finish()
    }
}

/// A setting's value as messages and `Debug` may show it: the password as [`REDACTED`], any
/// other value through [`redact_uri`] (a URI with a password may have been written into the
/// wrong setting).
pub fn shown_value(key: &str, value: &str) -> String {
    match key {
        "password" => REDACTED.to_string(),
        _ => redact_uri(value),
    }
}

/// The settings after flags, environment and config file are merged.
///
/// `Debug` shows the values through [`shown_value`], so no password.
#[derive(Clone)]
pub struct Settings {
    values: BTreeMap<&'static str, (String, Source)>,
    /// The config file that was read, if any.
    pub config_file: Option<PathBuf>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let values: BTreeMap<&str, (String, Source)> = self
            .values
            .iter()
            .map(|(k, (v, src))| (*k, (shown_value(k, v), *src)))
            .collect();
        f.debug_struct("Settings")
            .field("values", &values)
            .field("config_file", &self.config_file)
            .finish()
    }
}

impl Settings {
    /// The value of `key` (one of [`KEYS`]) and where it came from.
    pub fn get(&self, key: &str) -> Option<(&str, Source)> {
        self.values.get(key).map(|(v, s)| (v.as_str(), *s))
    }

    fn string(&self, key: &str) -> String {
        self.get(key)
            .map(|(v, _)| v.to_string())
            .unwrap_or_default()
    }

    fn explicit(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some((v, s)) if s != Source::Default => Some(v),
            _ => None,
        }
    }

    fn bool(&self, key: &str) -> Result<bool, CliError> {
        match self.get(key) {
            Some((v, _)) => parse_bool(v).ok_or_else(|| {
                CliError::Config(format!(
                    "invalid value {:?} for {key}: not a boolean",
                    shown_value(key, v)
                ))
            }),
            None => Ok(false),
        }
    }

    /// True when `--cluster` (or its environment/config equivalent) is on.
    pub fn cluster(&self) -> Result<bool, CliError> {
        self.bool("cluster")
    }

    /// Builds the connection options (Go `getRedisConnOpt`, plus URI forms).
    ///
    /// * `cluster`: a cluster with the addresses of `cluster_addrs`, `password`, `username` and
    ///   the TLS settings;
    /// * otherwise a `uri` with `://` is parsed as Go's `ParseRedisURI` does, and `db`,
    ///   `password`, `username` and the TLS settings given explicitly override it;
    /// * otherwise `uri` is the `host:port` of one server (Go's CLI form).
    ///
    /// TLS is on when `tls_server` is set (server name to verify) or `tls` is true; `insecure`
    /// skips certificate verification (Go `getTLSConfig`).
    ///
    /// # Errors
    /// [`CliError::Config`] for a malformed URI, database number or boolean, or a `host:port`
    /// URI holding an `@` (credentials belong in a `redis://` URI or `--password`). A message
    /// quotes the URI with its password redacted and never shows the password.
    pub fn conn_opt(&self) -> Result<RedisConnOpt, CliError> {
        let insecure = self.bool("insecure")?;
        let tls_server = self.string("tls_server");
        let tls = if !tls_server.is_empty() {
            Some(
                TlsOptions::new()
                    .server_name(tls_server.clone())
                    .insecure_skip_verify(insecure),
            )
        } else if self.bool("tls")? {
            Some(TlsOptions::new().insecure_skip_verify(insecure))
        } else {
            None
        };
        let password = self.explicit("password").map(str::to_string);
        let username = self.explicit("username").map(str::to_string);
        let db = match self.explicit("db") {
            Some(v) => Some(parse_db(v)?),
            None => None,
        };

        if self.cluster()? {
            let addrs: Vec<String> = self
                .string("cluster_addrs")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            if addrs.is_empty() {
                return Err(CliError::Config("--cluster_addrs is empty".into()));
            }
            let mut opt = RedisClusterClientOpt::new(addrs);
            opt.password = password.unwrap_or_default();
            opt.username = username.unwrap_or_default();
            opt.tls = tls;
            return Ok(RedisConnOpt::Cluster(opt));
        }

        let uri = self.string("uri");
        let bad_uri = |why: &dyn std::fmt::Display| {
            let from = match self.get("uri").map(|(_, src)| src) {
                Some(Source::Env) => " (from the environment)",
                Some(Source::File) => " (from the config file)",
                _ => "",
            };
            CliError::Config(format!("invalid --uri {:?}{from}: {why}", redact_uri(&uri)))
        };
        if uri.contains("://") {
            let mut opt = RedisConnOpt::parse_uri(&uri).map_err(|e| bad_uri(&e))?;
            match &mut opt {
                RedisConnOpt::Single(o) => {
                    if let Some(db) = db {
                        o.db = db;
                    }
                    if let Some(p) = password {
                        o.password = p;
                    }
                    if let Some(u) = username {
                        o.username = u;
                    }
                    o.tls = merge_tls(o.tls.take(), tls, &tls_server, insecure);
                }
                RedisConnOpt::Sentinel(o) => {
                    if let Some(db) = db {
                        o.db = db;
                    }
                    if let Some(p) = password {
                        o.password = p;
                    }
                    if let Some(u) = username {
                        o.username = u;
                    }
                    o.tls = merge_tls(o.tls.take(), tls, &tls_server, insecure);
                }
                RedisConnOpt::Cluster(_) => {}
            }
            return Ok(opt);
        }
        if uri.trim().is_empty() {
            return Err(CliError::Config("--uri is empty".into()));
        }
        if uri.contains('@') {
            return Err(bad_uri(
                &"a host:port address cannot hold credentials; use redis://:PASSWORD@host:port \
                  or --password",
            ));
        }
        let mut opt = RedisClientOpt::new(uri);
        opt.db = db.unwrap_or(0);
        opt.password = password.unwrap_or_default();
        opt.username = username.unwrap_or_default();
        opt.tls = tls;
        Ok(RedisConnOpt::Single(opt))
    }
}

/// TLS from a `rediss://` URI combined with the TLS flags: the flags' server name and
/// skip-verify apply to the URI's TLS settings.
fn merge_tls(
    from_uri: Option<TlsOptions>,
    from_flags: Option<TlsOptions>,
    tls_server: &str,
    insecure: bool,
) -> Option<TlsOptions> {
    match (from_uri, from_flags) {
        (Some(mut t), _) => {
            if !tls_server.is_empty() {
                t.server_name = Some(tls_server.to_string());
            }
            if insecure {
                t.insecure_skip_verify = true;
            }
            Some(t)
        }
        (None, flags) => flags,
    }
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

fn parse_db(s: &str) -> Result<u32, CliError> {
    s.trim().parse::<u32>().map_err(|_| {
        CliError::Config(format!(
            "invalid database number {:?}: must be a number from 0",
            shown_value("db", s)
        ))
    })
}

impl ConnFlags {
    fn flag(&self, key: &str) -> Option<String> {
        match key {
            "uri" => self.uri.clone(),
            "db" => self.db.clone(),
            "password" => self.password.clone(),
            "username" => self.username.clone(),
            "cluster" => self.cluster.clone(),
            "cluster_addrs" => self.cluster_addrs.clone(),
            "tls" => self.tls.clone(),
            "tls_server" => self.tls_server.clone(),
            "insecure" => self.insecure.clone(),
            _ => None,
        }
    }

    /// Merges the flags with the process environment and the config file in the home
    /// directory.
    ///
    /// # Errors
    /// See [`ConnFlags::resolve_with`].
    pub fn resolve(&self) -> Result<Settings, CliError> {
        self.resolve_with(&|k| std::env::var(k).ok(), dirs::home_dir().as_deref())
    }

    /// Merges the flags with the environment `env` and the config file found as described in
    /// the [module docs](self), `home` being the home directory.
    ///
    /// # Errors
    /// [`CliError::Config`] when the config file named by `--config` is missing, or any config
    /// file cannot be read or is not a YAML mapping of scalars.
    pub fn resolve_with(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
        home: Option<&Path>,
    ) -> Result<Settings, CliError> {
        let explicit_file = self.config.clone().or_else(|| {
            env("ASYNQ_CONFIG")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
        });
        let config_file = match explicit_file {
            Some(p) => {
                if !p.is_file() {
                    return Err(CliError::Config(format!(
                        "config file {} not found",
                        p.display()
                    )));
                }
                Some(p)
            }
            None => home.and_then(|h| {
                [".asynq.json", ".asynq.yaml", ".asynq.yml"]
                    .iter()
                    .map(|n| h.join(n))
                    .find(|p| p.is_file())
            }),
        };
        let file_values = match &config_file {
            Some(p) => read_config_file(p)?,
            None => BTreeMap::new(),
        };
        Ok(self.resolve_values(env, &file_values, config_file))
    }

    /// The merge step of [`ConnFlags::resolve_with`]: the flags, then the environment `env`,
    /// then `file_values` (the settings of a config file, as [`parse_config`] returns them),
    /// then the defaults. `config_file` is only recorded in [`Settings::config_file`].
    pub fn resolve_values(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
        file_values: &BTreeMap<String, String>,
        config_file: Option<PathBuf>,
    ) -> Settings {
        let mut values = BTreeMap::new();
        for key in KEYS {
            let upper = key.to_ascii_uppercase();
            let value = if let Some(v) = self.flag(key) {
                Some((v, Source::Flag))
            } else if let Some(v) = env(&format!("ASYNQ_{upper}")) {
                Some((v, Source::Env))
            } else if let Some(v) = env(&upper) {
                Some((v, Source::Env))
            } else if let Some(v) = file_values.get(key) {
                Some((v.clone(), Source::File))
            } else {
                match key {
                    "uri" => Some((DEFAULT_URI.to_string(), Source::Default)),
                    "cluster_addrs" => Some((DEFAULT_CLUSTER_ADDRS.to_string(), Source::Default)),
                    _ => None,
                }
            };
            if let Some(v) = value {
                values.insert(key, v);
            }
        }
        Settings {
            values,
            config_file,
        }
    }
}

/// Reads a config file and parses it with [`parse_config`].
fn read_config_file(path: &Path) -> Result<BTreeMap<String, String>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::Config(format!("cannot read config file {}: {e}", path.display()))
    })?;
    parse_config(&text)
        .map_err(|why| CliError::Config(format!("config file {}: {why}", path.display())))
}

/// Parses the text of a config file: a YAML mapping (JSON is YAML too) whose keys, in any case
/// as with viper, are [`KEYS`] and whose values are scalars (strings, numbers, booleans; a null
/// value counts as absent). Unknown keys are ignored. An empty document means no settings.
///
/// Returns the settings by lower-case key, each value as text (`true`, `2`, ...). Total: any
/// text gives `Ok` or `Err`, never a panic.
///
/// # Errors
/// One line saying why (not YAML, not a mapping, a setting with a list or mapping as value);
/// it never quotes a value of the file.
pub fn parse_config(text: &str) -> Result<BTreeMap<String, String>, String> {
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|e| crate::output::one_line(&e.to_string()))?;
    let mut out = BTreeMap::new();
    let map = match doc {
        serde_yaml_ng::Value::Null => return Ok(out),
        serde_yaml_ng::Value::Mapping(m) => m,
        _ => return Err("expected a mapping of settings".into()),
    };
    for (k, v) in map {
        let Some(k) = k.as_str().map(str::to_ascii_lowercase) else {
            continue;
        };
        if !KEYS.contains(&k.as_str()) {
            continue;
        }
        let v = match v {
            serde_yaml_ng::Value::String(s) => s,
            serde_yaml_ng::Value::Bool(b) => b.to_string(),
            serde_yaml_ng::Value::Number(n) => n.to_string(),
            serde_yaml_ng::Value::Null => continue,
            _ => return Err(format!("{k} must be a single value")),
        };
        out.insert(k, v);
    }
    Ok(out)
}

/// Parses a Go duration (`time.ParseDuration`): a sequence of decimal numbers with units `ns`,
/// `us`, `µs`, `ms`, `s`, `m`, `h`, such as `8s`, `1m30s`, `1.5h`, `300ms`. Negative durations
/// are refused.
///
/// # Errors
/// A message naming the text when it is not a duration.
pub fn parse_go_duration(s: &str) -> Result<Duration, String> {
    let err = || format!("time: invalid duration {s:?}");
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() || rest.starts_with('-') {
        return Err(err());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(err)?;
        if num_len == 0 {
            return Err(err());
        }
        let n: f64 = rest[..num_len].parse().map_err(|_| err())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(err()),
        };
        total += n * nanos_per;
        rest = &rest[unit_len..];
    }
    if !total.is_finite() || total > u64::MAX as f64 {
        return Err(err());
    }
    Ok(Duration::from_nanos(total as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn single(opt: RedisConnOpt) -> RedisClientOpt {
        match opt {
            RedisConnOpt::Single(o) => o,
            other => panic!("not single: {other:?}"),
        }
    }

    #[test]
    fn defaults_are_gos() {
        let s = ConnFlags::default()
            .resolve_with(&env_of(&[]), None)
            .unwrap();
        let o = single(s.conn_opt().unwrap());
        assert_eq!(o.addr, "127.0.0.1:6379");
        assert_eq!(o.db, 0);
        assert!(o.tls.is_none());
        assert!(!s.cluster().unwrap());
    }

    #[test]
    fn flag_beats_env_beats_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".asynq.yaml"),
            "uri: 10.0.0.1:6000\ndb: 3\nPassword: filepw\nusername: fileuser\n",
        )
        .unwrap();
        let env = env_of(&[
            ("ASYNQ_DB", "4"),
            ("PASSWORD", "gopw"),
            ("ASYNQ_PASSWORD", "envpw"),
        ]);
        let flags = ConnFlags {
            username: Some("flaguser".into()),
            ..Default::default()
        };
        let s = flags.resolve_with(&env, Some(dir.path())).unwrap();
        assert_eq!(s.config_file, Some(dir.path().join(".asynq.yaml")));
        let o = single(s.conn_opt().unwrap());
        assert_eq!(o.addr, "10.0.0.1:6000");
        assert_eq!(o.db, 4);
        assert_eq!(o.password, "envpw");
        assert_eq!(o.username, "flaguser");
    }

    #[test]
    fn uri_forms() {
        let flags = ConnFlags {
            uri: Some("rediss://:pw@example.com:6380/2".into()),
            insecure: Some("true".into()),
            ..Default::default()
        };
        let o = single(
            flags
                .resolve_with(&env_of(&[]), None)
                .unwrap()
                .conn_opt()
                .unwrap(),
        );
        assert_eq!(o.addr, "example.com:6380");
        assert_eq!(o.db, 2);
        assert_eq!(o.password, "pw");
        let tls = o.tls.unwrap();
        assert!(tls.insecure_skip_verify);
        assert_eq!(tls.server_name.as_deref(), Some("example.com"));

        let flags = ConnFlags {
            uri: Some("redis://h:6379/abc".into()),
            ..Default::default()
        };
        let e = flags
            .resolve_with(&env_of(&[]), None)
            .unwrap()
            .conn_opt()
            .unwrap_err();
        assert!(e.to_string().contains("invalid --uri"), "{e}");
    }

    #[test]
    fn tls_and_cluster() {
        let flags = ConnFlags {
            tls_server: Some("redis.local".into()),
            cluster: Some("true".into()),
            cluster_addrs: Some("a:1, b:2".into()),
            password: Some("pw".into()),
            ..Default::default()
        };
        match flags
            .resolve_with(&env_of(&[]), None)
            .unwrap()
            .conn_opt()
            .unwrap()
        {
            RedisConnOpt::Cluster(c) => {
                assert_eq!(c.addrs, vec!["a:1", "b:2"]);
                assert_eq!(c.password, "pw");
                assert_eq!(c.tls.unwrap().server_name.as_deref(), Some("redis.local"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_values_are_errors() {
        let flags = ConnFlags {
            db: Some("x".into()),
            ..Default::default()
        };
        assert!(flags
            .resolve_with(&env_of(&[]), None)
            .unwrap()
            .conn_opt()
            .is_err());
        let env = env_of(&[("ASYNQ_TLS", "yes")]);
        assert!(ConnFlags::default()
            .resolve_with(&env, None)
            .unwrap()
            .conn_opt()
            .is_err());
        let flags = ConnFlags {
            config: Some("/nonexistent/asynq.yaml".into()),
            ..Default::default()
        };
        assert!(flags.resolve_with(&env_of(&[]), None).is_err());
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".asynq.yml"), "- a\n- b\n").unwrap();
        assert!(ConnFlags::default()
            .resolve_with(&env_of(&[]), Some(dir.path()))
            .is_err());
    }

    #[test]
    fn passwords_are_never_shown() {
        let pw = "s3cretPW";
        let flags = ConnFlags {
            uri: Some(format!("redis://:{pw}@127.0.0.1:6379")),
            password: Some(pw.into()),
            cluster_addrs: Some(format!("u:{pw}@a:1")),
            ..Default::default()
        };
        let settings = flags.resolve_with(&env_of(&[]), None).unwrap();
        let opt = settings.conn_opt().unwrap();
        for debug in [
            format!("{flags:?}"),
            format!("{settings:?}"),
            format!("{opt:?}"),
            format!(
                "{:?}",
                <crate::Cli as clap::Parser>::parse_from(["asynq", "-p", pw, "stats"])
            ),
        ] {
            assert!(!debug.contains(pw), "{debug}");
            assert!(debug.contains("xxxxx"), "{debug}");
        }

        // Bad URIs from each source: the message quotes the URI with the password redacted.
        let bad = format!("redis://:{pw}@127.0.0.1:abc");
        let from_flag = ConnFlags {
            uri: Some(bad.clone()),
            ..Default::default()
        };
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".asynq.yaml"), format!("uri: {bad}\n")).unwrap();
        let cases = [
            (from_flag.resolve_with(&env_of(&[]), None), ""),
            (
                ConnFlags::default().resolve_with(&env_of(&[("ASYNQ_URI", &bad)]), None),
                " (from the environment)",
            ),
            (
                ConnFlags::default().resolve_with(&env_of(&[]), Some(dir.path())),
                " (from the config file)",
            ),
        ];
        for (settings, from) in cases {
            let e = settings.unwrap().conn_opt().unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "invalid --uri \"redis://:xxxxx@127.0.0.1:abc\"{from}: asynq: could not \
                     parse redis uri: invalid port \":abc\" after host"
                )
            );
        }
        // Credentials in Go's host:port form are refused, not shown.
        let flags = ConnFlags {
            uri: Some(format!(":{pw}@127.0.0.1:abc")),
            ..Default::default()
        };
        let e = flags
            .resolve_with(&env_of(&[]), None)
            .unwrap()
            .conn_opt()
            .unwrap_err()
            .to_string();
        assert!(
            !e.contains(pw) && e.contains("cannot hold credentials"),
            "{e}"
        );
        assert_eq!(shown_value("password", pw), "xxxxx");
        assert_eq!(shown_value("db", "2"), "2");
    }

    #[test]
    fn config_text_parsing() {
        let m = parse_config("URI: h:1\ndb: 2\ntls: true\nunknown: [1]\npassword: ~\n").unwrap();
        assert_eq!(m.get("uri").map(String::as_str), Some("h:1"));
        assert_eq!(m.get("db").map(String::as_str), Some("2"));
        assert_eq!(m.get("tls").map(String::as_str), Some("true"));
        assert!(!m.contains_key("password") && !m.contains_key("unknown"));
        assert!(parse_config("").unwrap().is_empty());
        assert!(parse_config("{\"uri\": \"h:2\"}")
            .unwrap()
            .contains_key("uri"));
        assert!(parse_config("- a").is_err());
        assert!(parse_config("db: [1]").is_err());
        assert!(parse_config("uri: [").is_err());
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("8s").unwrap(), Duration::from_secs(8));
        assert_eq!(parse_go_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_go_duration("1.5h").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(
            parse_go_duration("300ms").unwrap(),
            Duration::from_millis(300)
        );
        assert_eq!(parse_go_duration("0").unwrap(), Duration::ZERO);
        for bad in ["", "8", "s", "-1s", "1x", "abc"] {
            assert!(parse_go_duration(bad).is_err(), "{bad}");
        }
    }
}
