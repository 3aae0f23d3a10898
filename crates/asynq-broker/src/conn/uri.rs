//! `parse_uri`: the Redis URIs Go's `asynq.ParseRedisURI` accepts.
//!
//! Go parses the URI with `net/url.Parse` and then reads `Host`, `Path`, the password and two
//! query parameters. The WHATWG parser of the `url` crate differs from `net/url` on exactly the
//! inputs that matter here (a comma-separated sentinel host list such as `h1:26379,h2:26379` is
//! not a valid WHATWG host, percent escapes in hosts are treated differently, ...), so this module
//! carries a small parser with `net/url`'s rules for the parts asynq reads. It is total: every
//! input yields `Ok` or `Err`, never a panic.

use super::options::{Network, RedisClientOpt, RedisFailoverClientOpt};
use super::tls::TlsOptions;
use super::RedisConnOpt;
use crate::error::{BrokerError, Result};

/// Message of Go's `parseRedisURI` / `parseRedisSentinelURI` when the first path segment is not a
/// number.
const DB_NOT_FIRST_SEGMENT: &str = "database number should be the first segment of the path";

/// What a password is replaced with wherever options or URIs are shown: in [`redact_uri`], in
/// the `Debug` output of [`RedisClientOpt`], [`RedisFailoverClientOpt`] and
/// [`RedisClusterClientOpt`](super::RedisClusterClientOpt), and in error messages. The same
/// five characters as Go's `url.URL.Redacted`.
pub const REDACTED: &str = "xxxxx";

/// Message of a URI that parses once its password is redacted, so the password itself is what
/// is malformed (and must not be quoted).
const MALFORMED_PASSWORD: &str =
    "the password is malformed: percent-encode characters such as '/', '?', '#', '%' and space in it";

/// `uri` with its password replaced by [`REDACTED`], for showing a URI (or a `host:port` address
/// that may hold credentials) in messages and logs.
///
/// The password is taken generously, so that it is hidden even in a URI that does not parse:
/// after `scheme://` (or from the start when the text does not begin with one), it is
/// everything between the first `:` and the **last** `@`. So `redis://:pw@h:6379/1` becomes
/// `redis://:xxxxx@h:6379/1`, `redis://user:p/w@h` becomes `redis://user:xxxxx@h` and
/// `:pw@h:6379` becomes `:xxxxx@h:6379`. A user name (before the `:`) is kept, as Go does; text
/// without `@`, or with an empty password, is returned unchanged. In a URI with an `@` after the
/// host (in the path or query) more than the password may be hidden, never less.
///
/// ```
/// use asynq_broker::conn::redact_uri;
///
/// assert_eq!(redact_uri("redis://:s3cret@localhost:6379/2"), "redis://:xxxxx@localhost:6379/2");
/// assert_eq!(redact_uri("redis://localhost:6379"), "redis://localhost:6379");
/// ```
pub fn redact_uri(uri: &str) -> String {
    match password_range(uri) {
        Some(r) => format!("{}{REDACTED}{}", &uri[..r.start], &uri[r.end..]),
        None => uri.to_string(),
    }
}

/// The byte range [`redact_uri`] replaces, `None` when there is no (non-empty) password.
fn password_range(uri: &str) -> Option<std::ops::Range<usize>> {
    let start = match get_scheme(uri) {
        Ok((scheme, rest)) if !scheme.is_empty() && rest.starts_with("//") => scheme.len() + 3,
        _ => 0,
    };
    let at = start + uri[start..].rfind('@')?;
    let colon = start + uri[start..at].find(':')?;
    (colon + 1 < at).then_some(colon + 1..at)
}

/// Parses `uri` the way Go's `ParseRedisURI` does. See [`RedisConnOpt::parse_uri`].
///
/// An error never quotes the password: when the URI holds one and does not parse, the message is
/// the one of the URI with its password redacted, or [`MALFORMED_PASSWORD`] when that one parses
/// (the password itself was the problem).
pub(crate) fn parse_redis_uri(uri: &str) -> Result<RedisConnOpt> {
    let err = match parse_unredacted(uri) {
        Ok(opt) => return Ok(opt),
        Err(e) => e,
    };
    if password_range(uri).is_none() {
        return Err(err);
    }
    match parse_unredacted(&redact_uri(uri)) {
        Ok(_) => Err(BrokerError::InvalidUri(MALFORMED_PASSWORD.to_string())),
        Err(e) => Err(e),
    }
}

/// [`parse_redis_uri`] without the care for the password in error messages.
fn parse_unredacted(uri: &str) -> Result<RedisConnOpt> {
    let u = GoUrl::parse(uri).map_err(BrokerError::InvalidUri)?;
    match u.scheme.as_str() {
        "redis" | "rediss" => parse_tcp_uri(&u),
        "redis-socket" => parse_socket_uri(&u),
        "redis-sentinel" => parse_sentinel_uri(&u),
        other => Err(BrokerError::UnsupportedScheme(other.to_string())),
    }
}

/// `redis://[:password@]host[:port][/db]` and `rediss://...` (Go `parseRedisURI`).
fn parse_tcp_uri(u: &GoUrl) -> Result<RedisConnOpt> {
    let db = db_from_path(&u.path)?;
    let mut opt = RedisClientOpt::new(u.host.clone());
    opt.password = u.password().to_string();
    opt.db = db;
    if u.scheme == "rediss" {
        // Go: ServerName = host part of Host, or the whole Host when it has no port.
        // An empty name (`rediss://`) leaves the choice to the dialled host, as Go's TLS does.
        let server_name = split_host_port(&u.host).unwrap_or(&u.host);
        let mut tls = TlsOptions::new();
        if !server_name.is_empty() {
            tls = tls.server_name(server_name);
        }
        opt.tls = Some(tls);
    }
    Ok(opt.into())
}

/// `redis-socket://[:password@]/path/to.sock[?db=N]` (Go `parseRedisSocketURI`).
fn parse_socket_uri(u: &GoUrl) -> Result<RedisConnOpt> {
    if u.path.is_empty() {
        return Err(BrokerError::InvalidUri(
            "redis socket uri: path does not exist".into(),
        ));
    }
    let db = match query_get(&u.raw_query, "db") {
        Some(n) if !n.is_empty() => parse_db(&n).map_err(|_| {
            BrokerError::InvalidUri("redis socket uri: query param `db` should be a number".into())
        })?,
        _ => 0,
    };
    let mut opt = RedisClientOpt::new(u.path.clone());
    opt.network = Network::Unix;
    opt.password = u.password().to_string();
    opt.db = db;
    Ok(opt.into())
}

/// `redis-sentinel://[:password@]h1:p1,h2:p2[/db][?master=name]` (Go `parseRedisSentinelURI`).
fn parse_sentinel_uri(u: &GoUrl) -> Result<RedisConnOpt> {
    let sentinel_addrs: Vec<String> = u.host.split(',').map(str::to_string).collect();
    let master_name = query_get(&u.raw_query, "master").unwrap_or_default();
    let db = db_from_path(&u.path)?;
    let mut opt = RedisFailoverClientOpt::new(master_name, sentinel_addrs);
    opt.sentinel_password = u.password().to_string();
    opt.db = db;
    Ok(opt.into())
}

/// Go: when the path is not empty, trim every leading and trailing `/`, split on `/` and parse
/// the first segment with `strconv.Atoi`.
fn db_from_path(path: &str) -> Result<u32> {
    if path.is_empty() {
        return Ok(0);
    }
    let first = path.trim_matches('/').split('/').next().unwrap_or("");
    parse_db(first).map_err(BrokerError::InvalidUri)
}

/// `strconv.Atoi` (optional sign, decimal digits) followed by a range check, since a Redis
/// database index is never negative.
fn parse_db(s: &str) -> std::result::Result<u32, String> {
    let n: i64 = s.parse().map_err(|_| DB_NOT_FIRST_SEGMENT.to_string())?;
    u32::try_from(n).map_err(|_| format!("database number {n} is out of range"))
}

/// Go `net.SplitHostPort`, returning only the host; `None` where Go returns an error.
pub(crate) fn split_host_port(hostport: &str) -> Option<&str> {
    if let Some(rest) = hostport.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &rest[..end];
        let after = &rest[end + 1..];
        if !after.starts_with(':') || after[1..].contains(':') || host.contains('[') {
            return None;
        }
        return Some(host);
    }
    let i = hostport.rfind(':')?;
    let host = &hostport[..i];
    if host.contains(':') || host.contains('[') || host.contains(']') {
        return None;
    }
    if hostport[i + 1..].contains(['[', ']']) {
        return None;
    }
    Some(host)
}

/// The parts of a Go `*url.URL` that `ParseRedisURI` reads. `Debug` shows the password as
/// [`REDACTED`].
#[derive(Default, PartialEq, Eq)]
pub(crate) struct GoUrl {
    /// Lower-cased scheme, empty when there is none.
    pub scheme: String,
    /// Decoded user name, when the authority had user info.
    pub username: Option<String>,
    /// Decoded password, when the user info contained a `:`.
    pub password: Option<String>,
    /// Decoded host (with port), exactly as written apart from percent escapes.
    pub host: String,
    /// Decoded path.
    pub path: String,
    /// Raw query (after the first `?`, before `#`).
    pub raw_query: String,
}

impl std::fmt::Debug for GoUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoUrl")
            .field("scheme", &self.scheme)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .field("host", &self.host)
            .field("path", &self.path)
            .field("raw_query", &self.raw_query)
            .finish()
    }
}

impl GoUrl {
    /// `url.URL.User.Password()` or the empty string.
    fn password(&self) -> &str {
        self.password.as_deref().unwrap_or("")
    }

    /// `net/url.Parse`, restricted to what asynq reads. Returns the error text.
    pub(crate) fn parse(raw: &str) -> std::result::Result<GoUrl, String> {
        let (without_fragment, fragment) = match raw.split_once('#') {
            Some((u, f)) => (u, Some(f)),
            None => (raw, None),
        };
        let url = Self::parse_no_fragment(without_fragment)?;
        if let Some(f) = fragment {
            unescape(f, Mode::Fragment)?;
        }
        Ok(url)
    }

    fn parse_no_fragment(raw: &str) -> std::result::Result<GoUrl, String> {
        if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err("net/url: invalid control character in URL".into());
        }
        let mut url = GoUrl::default();
        if raw == "*" {
            url.path = "*".into();
            return Ok(url);
        }
        let (scheme, rest) = get_scheme(raw)?;
        url.scheme = scheme.to_ascii_lowercase();

        let mut rest = if rest.ends_with('?') && rest.matches('?').count() == 1 {
            &rest[..rest.len() - 1]
        } else if let Some((before, query)) = rest.split_once('?') {
            url.raw_query = query.to_string();
            before
        } else {
            rest
        };

        if !rest.starts_with('/') {
            if !url.scheme.is_empty() {
                // An opaque URL ("redis:foo"): no host, no path.
                return Ok(url);
            }
            let first_segment = rest.split('/').next().unwrap_or("");
            if first_segment.contains(':') {
                return Err("first path segment in URL cannot contain colon".into());
            }
        }

        if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
            let after = &rest[2..];
            let (authority, path) = match after.find('/') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            };
            url.parse_authority(authority)?;
            rest = path;
        }
        url.path = unescape(rest, Mode::Path)?;
        Ok(url)
    }

    fn parse_authority(&mut self, authority: &str) -> std::result::Result<(), String> {
        let (userinfo, host) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        self.host = parse_host(host)?;
        if let Some(userinfo) = userinfo {
            if !valid_userinfo(userinfo) {
                return Err("net/url: invalid userinfo".into());
            }
            match userinfo.split_once(':') {
                Some((user, pass)) => {
                    self.username = Some(unescape(user, Mode::UserPassword)?);
                    self.password = Some(unescape(pass, Mode::UserPassword)?);
                }
                None => self.username = Some(unescape(userinfo, Mode::UserPassword)?),
            }
        }
        Ok(())
    }
}

/// Go `getScheme`: `[A-Za-z][A-Za-z0-9+.-]*:`; anything else means "no scheme".
fn get_scheme(raw: &str) -> std::result::Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                if i == 0 {
                    return Ok(("", raw));
                }
            }
            b':' => {
                if i == 0 {
                    return Err("missing protocol scheme".into());
                }
                return Ok((&raw[..i], &raw[i + 1..]));
            }
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// Go `parseHost`: checks the optional port and unescapes the host.
fn parse_host(host: &str) -> std::result::Result<String, String> {
    if host.starts_with('[') {
        let Some(i) = host.rfind(']') else {
            return Err("missing ']' in host".into());
        };
        let colon_port = &host[i + 1..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {colon_port:?} after host"));
        }
        if let Some(zone) = host[..i].find("%25") {
            let mut out = unescape(&host[..zone], Mode::Host)?;
            out.push_str(&unescape(&host[zone..i], Mode::Zone)?);
            out.push_str(&unescape(&host[i..], Mode::Host)?);
            return Ok(out);
        }
    } else if let Some(i) = host.rfind(':') {
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {colon_port:?} after host"));
        }
    }
    unescape(host, Mode::Host)
}

/// Go `validOptionalPort`: empty, or `:` followed by digits only.
fn valid_optional_port(port: &str) -> bool {
    if port.is_empty() {
        return true;
    }
    match port.strip_prefix(':') {
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    }
}

/// Go `validUserinfo`.
fn valid_userinfo(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '-' | '.'
                    | '_'
                    | ':'
                    | '~'
                    | '!'
                    | '$'
                    | '&'
                    | '\''
                    | '('
                    | ')'
                    | '*'
                    | '+'
                    | ','
                    | ';'
                    | '='
                    | '%'
                    | '@'
            )
    })
}

/// Go's `encoding` modes that matter for unescaping.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    QueryComponent,
    Fragment,
}

/// Go `shouldEscape`, only for the host and zone modes (the only ones `unescape` consults it for).
fn should_escape_host(c: u8) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    !matches!(
        c,
        b'!' | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b':'
            | b'['
            | b']'
            | b'<'
            | b'>'
            | b'"'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
    )
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Go `unescape`: decodes `%XX` (and `+` in query components), rejecting the escapes and host
/// characters Go rejects. The decoded bytes must be UTF-8 (Go strings may hold any bytes; Rust
/// strings may not, so such input is refused rather than altered).
fn unescape(s: &str, mode: Mode) -> std::result::Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let (hi, lo) = match (
                    b.get(i + 1).copied().and_then(hex_val),
                    b.get(i + 2).copied().and_then(hex_val),
                ) {
                    (Some(hi), Some(lo)) => (hi, lo),
                    _ => {
                        let end = (i + 3).min(b.len());
                        let esc = String::from_utf8_lossy(&b[i..end]);
                        return Err(format!("invalid URL escape {esc:?}"));
                    }
                };
                let escape = &s[i..i + 3];
                if mode == Mode::Host && hi < 8 && escape != "%25" {
                    return Err(format!("invalid URL escape {escape:?}"));
                }
                let v = (hi << 4) | lo;
                if mode == Mode::Zone && escape != "%25" && v != b' ' && should_escape_host(v) {
                    return Err(format!("invalid URL escape {escape:?}"));
                }
                out.push(v);
                i += 3;
            }
            b'+' => {
                out.push(if mode == Mode::QueryComponent {
                    b' '
                } else {
                    b'+'
                });
                i += 1;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape_host(c) {
                    return Err(format!(
                        "invalid character {:?} in host name",
                        (c as char).to_string()
                    ));
                }
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "percent-decoded text is not valid UTF-8".to_string())
}

/// Go `url.Values.Get` on `url.ParseQuery(raw)`: the first value of `key`, pairs that fail to
/// decode being skipped.
fn query_get(raw_query: &str, key: &str) -> Option<String> {
    for pair in raw_query.split('&') {
        if pair.is_empty() || pair.contains(';') {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (Ok(k), Ok(v)) = (
            unescape(k, Mode::QueryComponent),
            unescape(v, Mode::QueryComponent),
        ) else {
            continue;
        };
        if k == key {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_url_basic() {
        let u = GoUrl::parse("redis://user:pa%40ss@localhost:6379/3?x=1#frag").unwrap();
        assert_eq!(u.scheme, "redis");
        assert_eq!(u.username.as_deref(), Some("user"));
        assert_eq!(u.password.as_deref(), Some("pa@ss"));
        assert_eq!(u.host, "localhost:6379");
        assert_eq!(u.path, "/3");
        assert_eq!(u.raw_query, "x=1");
    }

    #[test]
    fn go_url_sentinel_host_list_is_one_host() {
        let u = GoUrl::parse("redis-sentinel://h1:5000,h2:5001?master=m").unwrap();
        assert_eq!(u.host, "h1:5000,h2:5001");
        assert_eq!(query_get(&u.raw_query, "master").as_deref(), Some("m"));
    }

    #[test]
    fn go_url_errors() {
        assert_eq!(
            GoUrl::parse("redis://h:notaport/x").unwrap_err(),
            r#"invalid port ":notaport" after host"#
        );
        assert_eq!(
            GoUrl::parse("%zz").unwrap_err(),
            r#"invalid URL escape "%zz""#
        );
        assert_eq!(GoUrl::parse(":foo").unwrap_err(), "missing protocol scheme");
        assert_eq!(
            GoUrl::parse("redis://a b").unwrap_err(),
            r#"invalid character " " in host name"#
        );
        assert_eq!(
            GoUrl::parse("redis://[::1").unwrap_err(),
            "missing ']' in host"
        );
        assert_eq!(
            GoUrl::parse("redis://u\"@h").unwrap_err(),
            "net/url: invalid userinfo"
        );
        assert_eq!(
            GoUrl::parse("redis://h/\n").unwrap_err(),
            "net/url: invalid control character in URL"
        );
        assert_eq!(
            GoUrl::parse("redis://h/#%zz").unwrap_err(),
            r#"invalid URL escape "%zz""#
        );
        assert_eq!(
            GoUrl::parse("redis://h/%4").unwrap_err(),
            r#"invalid URL escape "%4""#
        );
        assert_eq!(
            GoUrl::parse("redis://h%41").unwrap_err(),
            r#"invalid URL escape "%41""#
        );
        assert_eq!(GoUrl::parse("a:b/c").map(|u| u.scheme).unwrap(), "a");
        assert_eq!(GoUrl::parse("ab/c:d").map(|u| u.path).unwrap(), "ab/c:d");
        assert_eq!(GoUrl::parse("ab:c/d").map(|u| u.scheme).unwrap(), "ab");
        assert_eq!(
            GoUrl::parse("1b:c/d").unwrap_err(),
            "first path segment in URL cannot contain colon"
        );
    }

    #[test]
    fn go_url_ipv6_and_non_ascii_host() {
        let u = GoUrl::parse("redis://[::1]:6379/1").unwrap();
        assert_eq!(u.host, "[::1]:6379");
        let u = GoUrl::parse("redis://[fe80::1%25eth0]:6379").unwrap();
        assert_eq!(u.host, "[fe80::1%eth0]:6379");
        let u = GoUrl::parse("redis://h%C3%A9te:1").unwrap();
        assert_eq!(u.host, "h\u{e9}te:1");
        let u = GoUrl::parse("redis://hé:1").unwrap();
        assert_eq!(u.host, "hé:1");
    }

    #[test]
    fn go_query_rules() {
        assert_eq!(query_get("db=1&db=2", "db").as_deref(), Some("1"));
        assert_eq!(query_get("db=1;x&db=2", "db").as_deref(), Some("2"));
        assert_eq!(query_get("db=%zz&db=4", "db").as_deref(), Some("4"));
        assert_eq!(
            query_get("master=a+b%21", "master").as_deref(),
            Some("a b!")
        );
        assert_eq!(query_get("db", "db").as_deref(), Some(""));
        assert_eq!(query_get("", "db"), None);
    }

    #[test]
    fn go_split_host_port() {
        assert_eq!(split_host_port("h:1"), Some("h"));
        assert_eq!(split_host_port("h:"), Some("h"));
        assert_eq!(split_host_port("h"), None);
        assert_eq!(split_host_port("[::1]:6379"), Some("::1"));
        assert_eq!(split_host_port("[::1]"), None);
        assert_eq!(split_host_port("::1"), None);
        assert_eq!(split_host_port(""), None);
    }
}
