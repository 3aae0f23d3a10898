//! `RedisConnOpt::parse_uri`: every URI form of Go's `ParseRedisURI`, its errors, and a
//! property-style check that no input makes it panic.

// Inside a module so that `cargo test conn` selects these tests too.
mod conn_uri {
    use asynq_broker::conn::{
        Network, RedisClientOpt, RedisClusterClientOpt, RedisConnOpt, RedisFailoverClientOpt,
        TlsOptions,
    };
    use asynq_broker::BrokerError;

    fn parse(uri: &str) -> RedisConnOpt {
        RedisConnOpt::parse_uri(uri).unwrap_or_else(|e| panic!("parse_uri({uri:?}) failed: {e}"))
    }

    fn single(uri: &str) -> RedisClientOpt {
        match parse(uri) {
            RedisConnOpt::Single(o) => o,
            other => panic!("{uri}: expected Single, got {other:?}"),
        }
    }

    fn sentinel(uri: &str) -> RedisFailoverClientOpt {
        match parse(uri) {
            RedisConnOpt::Sentinel(o) => o,
            other => panic!("{uri}: expected Sentinel, got {other:?}"),
        }
    }

    fn invalid_uri(uri: &str) -> String {
        match RedisConnOpt::parse_uri(uri) {
            Err(e @ BrokerError::InvalidUri(_)) => e.to_string(),
            other => panic!("parse_uri({uri:?}): expected InvalidUri, got {other:?}"),
        }
    }

    // The table of Go's TestParseRedisURI.
    #[test]
    fn go_test_table() {
        let cases: Vec<(&str, RedisConnOpt)> = vec![
            ("redis://localhost:6379", RedisClientOpt::new("localhost:6379").into()),
            (
                "rediss://localhost:6379",
                RedisClientOpt::new("localhost:6379").tls(TlsOptions::new().server_name("localhost")).into(),
            ),
            ("redis://localhost:6379/3", RedisClientOpt::new("localhost:6379").db(3).into()),
            ("redis://:mypassword@localhost:6379", RedisClientOpt::new("localhost:6379").password("mypassword").into()),
            (
                "redis://:mypassword@127.0.0.1:6379/11",
                RedisClientOpt::new("127.0.0.1:6379").password("mypassword").db(11).into(),
            ),
            ("redis-socket:///var/run/redis/redis.sock", RedisClientOpt::unix("/var/run/redis/redis.sock").into()),
            (
                "redis-socket://:mypassword@/var/run/redis/redis.sock",
                RedisClientOpt::unix("/var/run/redis/redis.sock").password("mypassword").into(),
            ),
            ("redis-socket:///var/run/redis/redis.sock?db=7", RedisClientOpt::unix("/var/run/redis/redis.sock").db(7).into()),
            (
                "redis-socket://:mypassword@/var/run/redis/redis.sock?db=12",
                RedisClientOpt::unix("/var/run/redis/redis.sock").password("mypassword").db(12).into(),
            ),
            (
                "redis-sentinel://localhost:5000,localhost:5001,localhost:5002?master=mymaster",
                RedisFailoverClientOpt::new("mymaster", ["localhost:5000", "localhost:5001", "localhost:5002"]).into(),
            ),
            (
                "redis-sentinel://:mypassword@localhost:5000,localhost:5001,localhost:5002?master=mymaster",
                RedisFailoverClientOpt::new("mymaster", ["localhost:5000", "localhost:5001", "localhost:5002"])
                    .sentinel_password("mypassword")
                    .into(),
            ),
            (
                "redis-sentinel://localhost:5000,localhost:5001,localhost:5002/3?master=mymaster",
                RedisFailoverClientOpt::new("mymaster", ["localhost:5000", "localhost:5001", "localhost:5002"]).db(3).into(),
            ),
            (
                "redis-sentinel://:mypassword@localhost:5000,localhost:5001,localhost:5002/7?master=mymaster",
                RedisFailoverClientOpt::new("mymaster", ["localhost:5000", "localhost:5001", "localhost:5002"])
                    .sentinel_password("mypassword")
                    .db(7)
                    .into(),
            ),
        ];
        for (uri, want) in cases {
            assert_eq!(parse(uri), want, "{uri}");
            assert_eq!(uri.parse::<RedisConnOpt>().unwrap(), want, "FromStr {uri}");
        }
    }

    // The table of Go's TestParseRedisURIErrors.
    #[test]
    fn go_error_table() {
        assert!(matches!(
            RedisConnOpt::parse_uri("rdb://localhost:6379"),
            Err(BrokerError::UnsupportedScheme(s)) if s == "rdb"
        ));
        assert!(matches!(
            RedisConnOpt::parse_uri("localhost:6379"),
            Err(BrokerError::UnsupportedScheme(s)) if s == "localhost"
        ));
        invalid_uri("redis://localhost:6379/1,2,3");
        invalid_uri("redis-socket://?db=one");
        invalid_uri("redis-socket:///some/path/to/redis?db=one");
        invalid_uri("redis-sentinel://localhost:5000/abc?master=mymaster");
    }

    #[test]
    fn error_messages_match_go() {
        assert_eq!(
            invalid_uri("redis://localhost:6379/abc"),
            "asynq: could not parse redis uri: database number should be the first segment of the path"
        );
        assert_eq!(
            invalid_uri("redis-sentinel://localhost:5000/abc?master=m"),
            "asynq: could not parse redis uri: database number should be the first segment of the path"
        );
        assert_eq!(
            RedisConnOpt::parse_uri("http://localhost")
                .unwrap_err()
                .to_string(),
            r#"asynq: unsupported uri scheme: "http""#
        );
        assert!(invalid_uri("redis-socket://").contains("path does not exist"));
        assert!(invalid_uri("redis-socket:///x.sock?db=one").contains("`db` should be a number"));
        assert!(
            invalid_uri("redis://h:notaport/x").contains(r#"invalid port ":notaport" after host"#)
        );
    }

    #[test]
    fn db_is_the_first_path_segment() {
        assert_eq!(single("redis://h:6379/2/extra").db, 2);
        assert_eq!(single("redis://h:6379//5//").db, 5);
        assert_eq!(
            single("redis://h:6379/+4").db,
            4,
            "strconv.Atoi accepts a sign"
        );
        assert_eq!(
            single("redis://h:6379/%33").db,
            3,
            "the path is percent-decoded first"
        );
        assert_eq!(single("redis://h:6379").db, 0);
        // A bare trailing slash is an empty first segment, which is not a number (as in Go).
        invalid_uri("redis://h:6379/");
        invalid_uri("redis://h:6379//");
        invalid_uri("redis://h:6379/1a");
        invalid_uri("redis://h:6379/ 1");
        // Not representable as a Redis database index.
        invalid_uri("redis://h:6379/-1");
        invalid_uri("redis://h:6379/4294967296");
        invalid_uri("redis://h:6379/99999999999999999999999");
        assert_eq!(single("redis://h/4294967295").db, u32::MAX);
    }

    #[test]
    fn addr_is_kept_exactly_as_given() {
        assert_eq!(single("redis://localhost").addr, "localhost");
        assert_eq!(single("redis://LocalHost:6379").addr, "LocalHost:6379");
        assert_eq!(single("redis://h:").addr, "h:");
        assert_eq!(single("redis://[::1]:6379/1").addr, "[::1]:6379");
        assert_eq!(single("redis://").addr, "");
        assert_eq!(
            single("redis:opaque").addr,
            "",
            "an opaque URI has no host, like Go"
        );
        assert_eq!(
            single("REDIS://h:1").addr,
            "h:1",
            "the scheme is case-insensitive"
        );
    }

    #[test]
    fn uri_username_is_ignored_like_go() {
        let o = single("redis://alice:secret@h:6379/1");
        assert_eq!(o.username, "");
        assert_eq!(o.password, "secret");
        let o = single("redis://alice@h:6379");
        assert_eq!((o.username.as_str(), o.password.as_str()), ("", ""));
        let o = single("redis://:@h:6379");
        assert_eq!(o.password, "");
        assert_eq!(single("redis://:p%40ss%3Aw@h").password, "p@ss:w");
        assert_eq!(
            single("redis://:a:b@h").password,
            "a:b",
            "the password is everything after the first colon"
        );
        assert_eq!(
            single("redis://:a@b@h").password,
            "a@b",
            "the host starts after the last @"
        );
        assert_eq!(single("redis://:a@b@h").addr, "h");
    }

    #[test]
    fn rediss_sets_tls_server_name_to_the_host() {
        let tls = |uri: &str| single(uri).tls.expect("tls");
        assert_eq!(
            tls("rediss://redis.example.com:6380")
                .server_name
                .as_deref(),
            Some("redis.example.com")
        );
        assert_eq!(
            tls("rediss://redis.example.com").server_name.as_deref(),
            Some("redis.example.com")
        );
        assert_eq!(
            tls("rediss://[::1]:6380").server_name.as_deref(),
            Some("::1")
        );
        assert_eq!(
            tls("rediss://:pw@10.1.2.3:6380/4").server_name.as_deref(),
            Some("10.1.2.3")
        );
        assert_eq!(tls("rediss://").server_name, None);
        assert_eq!(tls("rediss://:6379").server_name, None);
        let t = tls("rediss://h:1");
        assert_eq!(
            (t.ca_file, t.cert_file, t.insecure_skip_verify),
            (None, None, false)
        );
        assert!(single("redis://h:1").tls.is_none());
    }

    #[test]
    fn socket_uri_forms() {
        let o = single("redis-socket:///tmp/redis.sock");
        assert_eq!(
            (o.network, o.addr.as_str(), o.db),
            (Network::Unix, "/tmp/redis.sock", 0)
        );
        // Like Go, a host is ignored: only the path counts.
        assert_eq!(
            single("redis-socket://ignored/tmp/r.sock").addr,
            "/tmp/r.sock"
        );
        assert_eq!(
            single("redis-socket:///tmp/r.sock?db=").db,
            0,
            "an empty db parameter means 0"
        );
        assert_eq!(
            single("redis-socket:///tmp/r.sock?x=1&db=3&db=4").db,
            3,
            "the first db wins"
        );
        assert_eq!(
            single("redis-socket:///tmp/my%20r.sock").addr,
            "/tmp/my r.sock"
        );
        invalid_uri("redis-socket://");
        invalid_uri("redis-socket://host");
        invalid_uri("redis-socket:///x.sock?db=-1");
    }

    #[test]
    fn sentinel_uri_forms() {
        let o = sentinel("redis-sentinel://h1:26379");
        assert_eq!(o.sentinel_addrs, vec!["h1:26379"]);
        assert_eq!(
            o.master_name, "",
            "no master parameter: empty, refused only when connecting"
        );
        let o = sentinel("redis-sentinel://:pw@a:1,b:2/2?master=my+master");
        assert_eq!(o.sentinel_addrs, vec!["a:1", "b:2"]);
        assert_eq!(o.master_name, "my master");
        assert_eq!(o.sentinel_password, "pw");
        assert_eq!(
            o.password, "",
            "the URI password is the sentinels' password"
        );
        assert_eq!(o.db, 2);
        assert_eq!(sentinel("redis-sentinel://").sentinel_addrs, vec![""]);
        // net/url checks only the port after the last colon.
        invalid_uri("redis-sentinel://a:1,b:x?master=m");
    }

    #[test]
    fn conn_opt_helpers() {
        assert!(!parse("redis://h:1").is_cluster());
        assert!(!parse("redis-sentinel://h:1?master=m").is_cluster());
        assert!(RedisConnOpt::from(RedisClusterClientOpt::new(["a:1"])).is_cluster());
        assert!(parse("rediss://h:1").tls().is_some());
        assert!(parse("redis://h:1").tls().is_none());
    }

    #[test]
    fn defaults_match_go() {
        let o = RedisClientOpt::new("h:1");
        assert_eq!(o.network, Network::Tcp);
        assert_eq!(o.dial_timeout, std::time::Duration::from_secs(5));
        assert_eq!(o.read_timeout, Some(std::time::Duration::from_secs(3)));
        assert_eq!(o.write_timeout, None);
        assert_eq!(RedisClusterClientOpt::default().max_redirects, 8);
        assert_eq!(
            RedisFailoverClientOpt::default().read_timeout,
            Some(std::time::Duration::from_secs(3))
        );
    }

    #[test]
    fn malformed_inputs_error_without_panicking() {
        let long_host = format!("redis://{}:6379", "h".repeat(100_000));
        let long_path = format!("redis://h:6379/{}", "9".repeat(100_000));
        let long_pw = format!("redis://:{}@h:6379", "%41".repeat(50_000));
        let fixed: Vec<String> = [
            "",
            " ",
            "redis",
            "redis:",
            "redis:/",
            "redis://",
            "redis:///",
            "redis://:@",
            "redis://@",
            "redis://:",
            "redis://h:notaport/x",
            "redis://h:6379:6379",
            "redis://[",
            "redis://[]",
            "redis://[::1",
            "redis://]",
            "redis://h/%",
            "redis://h/%z",
            "redis://h/%zz",
            "%zz",
            "%",
            ":",
            "://",
            "//",
            "///",
            "?",
            "#",
            "redis://h#%",
            "redis://h?%",
            "redis-socket://",
            "redis-socket:",
            "redis-socket://?db=1",
            "redis-socket:///?db=%",
            "redis-sentinel://",
            "redis-sentinel://,,,",
            "redis-sentinel://?master=",
            "redis-sentinel://h:1/%",
            "rediss://",
            "rediss://[::1]",
            "rediss://:6379",
            "redis://ünïcødé:6379/1",
            "redis://:pässwörd@h",
            "redis://h/ü",
            "rédis://h",
            "redis://h/\u{0}",
            "redis://h\t",
            "redis://h/\u{7f}",
            "redis://%ff",
            "redis://h/%ff%fe",
            "redis://:%ff@h",
            "redis://h%2",
            "redis://h%25",
            "redis://[fe80::1%25]",
            "redis://[fe80::1%25%]",
            "redis://[fe80::1%zz]",
            "1redis://h",
            "+://h",
            "redis://h/0/0/0/0",
            "redis://h/-0",
            "redis://h/+",
            "redis://h/-",
            "\u{feff}redis://h",
            "redis://h?db=1#frag",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([long_host, long_path, long_pw])
        .collect();
        for input in &fixed {
            let _ = RedisConnOpt::parse_uri(input);
        }

        // Random concatenations of URI fragments and odd bytes (deterministic xorshift).
        let pieces = [
            "redis",
            "rediss",
            "redis-socket",
            "redis-sentinel",
            "http",
            ":",
            "//",
            "/",
            "@",
            ":@",
            "%",
            "%2",
            "%zz",
            "%41",
            "%ff",
            "?",
            "#",
            "&",
            "=",
            "db=",
            "master=",
            ",",
            "[",
            "]",
            "::1",
            "h",
            "localhost",
            "6379",
            "-1",
            "+",
            " ",
            "ü",
            "\u{1F600}",
            "\u{0}",
            "\t",
            "0",
            "99999999999",
            ";",
            "%25",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..50_000 {
            let len = (next() % 12) as usize;
            let mut s = String::new();
            for _ in 0..len {
                s.push_str(pieces[(next() % pieces.len() as u64) as usize]);
            }
            match RedisConnOpt::parse_uri(&s) {
                Ok(_)
                | Err(BrokerError::InvalidUri(_))
                | Err(BrokerError::UnsupportedScheme(_)) => {}
                Err(other) => panic!("{s:?}: unexpected error kind {other:?}"),
            }
        }
    }

    /// The password of the secrecy tests: distinctive, so that a substring check means something.
    const PW: &str = "s3cretPW";

    #[track_caller]
    fn assert_hidden(text: &str, secret: &str) {
        assert!(!text.contains(secret), "{secret:?} shown in: {text}");
    }

    #[test]
    fn debug_of_options_never_shows_passwords() {
        let tls = TlsOptions::new()
            .ca_file("/etc/ca.pem")
            .client_cert("/etc/client.pem", "/etc/client-key.pem");
        let single = RedisClientOpt::new("h:6379")
            .username("alice")
            .password(PW)
            .tls(tls.clone());
        let failover = RedisFailoverClientOpt::new("m", ["s1:26379", "s2:26379"])
            .sentinel_username("watcher")
            .sentinel_password("sentinelPW")
            .username("bob")
            .password(PW)
            .tls(tls.clone());
        let cluster = RedisClusterClientOpt::new(["a:7000"])
            .username("carol")
            .password(PW)
            .tls(tls);
        let debugs = [
            format!("{single:?}"),
            format!("{single:#?}"),
            format!("{:?}", RedisConnOpt::from(single.clone())),
            format!("{failover:?}"),
            format!("{:#?}", RedisConnOpt::from(failover.clone())),
            format!("{cluster:?}"),
            format!("{:?}", RedisConnOpt::from(cluster.clone())),
        ];
        for d in &debugs {
            assert_hidden(d, PW);
            assert_hidden(d, "sentinelPW");
            assert!(d.contains(r#"password: "xxxxx""#), "{d}");
        }
        // What is not secret is still shown, and an unset password stays visibly empty.
        assert!(
            debugs[0].contains("alice") && debugs[0].contains("h:6379"),
            "{}",
            debugs[0]
        );
        assert!(debugs[0].contains("/etc/client-key.pem"), "{}", debugs[0]);
        assert!(
            debugs[3].contains(r#"sentinel_password: "xxxxx""#),
            "{}",
            debugs[3]
        );
        let none = format!("{:?}", RedisClientOpt::new("h:1"));
        assert!(none.contains(r#"password: """#), "{none}");
        // Credentials put in an address by mistake are hidden too.
        let d = format!("{:?}", RedisClientOpt::new(format!(":{PW}@h:1")));
        assert_hidden(&d, PW);
        let d = format!("{:?}", RedisClusterClientOpt::new([format!("u:{PW}@a:1")]));
        assert_hidden(&d, PW);
        let d = format!(
            "{:?}",
            parse(&format!("redis-sentinel://:{PW}@s1,s2?master=m"))
        );
        assert_hidden(&d, PW);
    }

    #[test]
    fn redact_uri_hides_the_password_only() {
        use asynq_broker::conn::{redact_uri, REDACTED};
        assert_eq!(REDACTED, "xxxxx");
        let cases = [
            (
                "redis://:s3cretPW@127.0.0.1:6379/2",
                "redis://:xxxxx@127.0.0.1:6379/2",
            ),
            ("rediss://alice:s3cretPW@h:1", "rediss://alice:xxxxx@h:1"),
            ("redis://:s3c/ret?P#W@h:1", "redis://:xxxxx@h:1"),
            ("redis://:s3c@retPW@h", "redis://:xxxxx@h"),
            (
                "redis-socket://:s3cretPW@/run/redis.sock?db=1",
                "redis-socket://:xxxxx@/run/redis.sock?db=1",
            ),
            (
                "redis-sentinel://:s3cretPW@a:1,b:2?master=m",
                "redis-sentinel://:xxxxx@a:1,b:2?master=m",
            ),
            (":s3cretPW@127.0.0.1:abc", ":xxxxx@127.0.0.1:abc"),
            ("u:s3cretPW@h:1", "u:xxxxx@h:1"),
            ("redis:s3cretPW@h", "redis:xxxxx@h"),
            // Nothing to hide.
            ("redis://127.0.0.1:6379/2", "redis://127.0.0.1:6379/2"),
            ("redis://alice@h:1", "redis://alice@h:1"),
            ("redis://:@h:1", "redis://:@h:1"),
            ("127.0.0.1:6379", "127.0.0.1:6379"),
            ("", ""),
        ];
        for (uri, want) in cases {
            assert_eq!(redact_uri(uri), want, "{uri}");
        }
    }

    #[test]
    fn parse_errors_never_show_the_password() {
        // Each is malformed; the password (or a piece of it, when an unescaped delimiter splits
        // it) would be quoted by a message that echoes the offending text.
        let cases = [
            // The CLI example of issue 11: a bad port, password intact.
            "redis://:s3cretPW@127.0.0.1:abc",
            "rediss://alice:s3cretPW@h:notaport/1",
            "redis://:s3cretPW@h%zz:1",
            "redis://:s3cretPW@h:1/notadb",
            "redis-sentinel://:s3cretPW@a:1/x?master=m",
            "redis-socket://:s3cretPW@",
            // Unescaped delimiters inside the password: the piece before them would be taken
            // for the host and quoted as a bad port.
            "redis://:s3cretPW/x@h:1",
            "redis://:s3cretPW?x@h:1",
            "redis://:s3cretPW#x@h:1",
            "redis://:s3cretPW%zz@h:1",
            "redis://:s3cretPW%4@h:1",
            "redis://:s3cretPW %41@h:1",
            "redis://:123/4567890123/s3cretPW@h",
            "redis-sentinel://:s3cretPW/0@a:1?master=m",
        ];
        for uri in cases {
            let err = RedisConnOpt::parse_uri(uri).expect_err(uri);
            let (shown, debug) = (err.to_string(), format!("{err:?}"));
            for text in [&shown, &debug] {
                assert_hidden(text, PW);
                assert_hidden(text, "s3c");
                assert_hidden(text, "4567890123");
            }
            assert!(
                shown.starts_with("asynq: could not parse redis uri: "),
                "{uri}: {shown}"
            );
        }
        // The message still says what is wrong.
        assert!(invalid_uri("redis://:s3cretPW@127.0.0.1:abc")
            .ends_with(r#"invalid port ":abc" after host"#));
        assert!(invalid_uri("redis://:s3cretPW/x@h:1").contains("the password is malformed"));
        assert!(invalid_uri("redis://:s3cretPW@h:1/notadb").contains("database number"));
        // Errors without a password in the URI are Go's, unchanged.
        assert_eq!(
            invalid_uri("redis://h:notaport/x"),
            r#"asynq: could not parse redis uri: invalid port ":notaport" after host"#
        );
    }
}
