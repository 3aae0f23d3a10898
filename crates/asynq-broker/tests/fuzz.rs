//! Fuzz target `parse_uri` (`cargo xtask fuzz`; see `asynq_test_support::fuzz`).
//!
//! `RedisConnOpt::parse_uri` reads text from users (flags, environment, config files). Fed
//! arbitrary strings and near-valid URIs (every scheme, random user, password, hosts, ports,
//! database, query and fragment), it must never panic, must only fail with `InvalidUri` or
//! `UnsupportedScheme`, and must never show a password: neither the error (`Display` and
//! `Debug`) nor the `Debug` of the parsed options may contain it.
//!
//! Passwords of the near-valid URIs are made of the letters `QZJKVWXY` (plus escaped and raw
//! special characters). No other part of a generated URI, no type or field name and no error
//! message contains these letters, so "no such letter in the output" proves that not even a piece
//! of the password leaked.

use asynq_broker::conn::{redact_uri, RedisConnOpt};
use asynq_broker::BrokerError;
use asynq_test_support::fuzz;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

/// The letters passwords are made of (see the module docs).
const MARKS: &[char] = &['Q', 'Z', 'J', 'K', 'V', 'W', 'X', 'Y'];

/// A near-valid URI and what its password is.
#[derive(Debug, Clone)]
struct Near {
    uri: String,
    /// The decoded password parse_uri must find, when the URI is unambiguous: `://` form, a
    /// supported scheme, no unescaped `/`, `?` or `#` in the password.
    expect_password: Option<String>,
    /// The password contains a raw character that may make it parse as something else (a host,
    /// a path, a query), or that is not allowed in a URI at all.
    ambiguous: bool,
}

#[derive(Debug, Clone)]
enum Case {
    Arbitrary(String),
    Near(Near),
}

/// One piece of a password: (as written in the URI, decoded, ambiguous).
fn password_piece() -> impl Strategy<Value = (String, String, bool)> {
    let plain = |s: &'static [&'static str], ambiguous: bool| {
        prop::sample::select(s).prop_map(move |c| (c.to_string(), c.to_string(), ambiguous))
    };
    prop_oneof![
        16 => prop::sample::select(MARKS).prop_map(|c| (c.to_string(), c.to_string(), false)),
        2 => prop::sample::select(&[
            ("%2F", "/"),
            ("%3F", "?"),
            ("%23", "#"),
            ("%40", "@"),
            ("%25", "%"),
            ("%20", " "),
            ("%3A", ":"),
            ("%2b", "+"),
            ("%C3%A9", "\u{e9}"),
            ("%FF", "\u{fffd}"),
        ][..])
        .prop_map(|(raw, dec)| (raw.to_string(), dec.to_string(), false)),
        1 => plain(&["@", ":", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", "~", "-", ".", "_"], false),
        1 => plain(&["/", "?", "#", " ", "%", "\"", "[", "]", "\u{e9}", "\t"], true),
    ]
}

fn password() -> impl Strategy<Value = (String, String, bool)> {
    prop::collection::vec(password_piece(), 6..16).prop_map(|pieces| {
        let mut out = (String::new(), String::new(), false);
        for (raw, dec, ambiguous) in pieces {
            out.0.push_str(&raw);
            out.1.push_str(&dec);
            out.2 |= ambiguous;
        }
        out
    })
}

fn host_port() -> impl Strategy<Value = String> {
    let host = prop_oneof![
        12 => "[a-z0-9.-]{0,10}",
        1 => Just("[::1]".to_string()),
        1 => Just("[fe80::1%25eth0]".to_string()),
        1 => "[a-z%0-9]{0,6}",
    ];
    let port = prop_oneof![
        3 => Just(String::new()),
        8 => "[0-9]{1,5}".prop_map(|p| format!(":{p}")),
        1 => "[a-z:]{0,3}".prop_map(|p| format!(":{p}")),
    ];
    (host, port).prop_map(|(h, p)| format!("{h}{p}"))
}

fn near() -> impl Strategy<Value = Near> {
    let scheme = prop::sample::select(
        &[
            "redis",
            "redis",
            "rediss",
            "redis-socket",
            "redis-sentinel",
            "redis-sentinel",
            "REDIS",
            "Redis-Sentinel",
            "http",
            "",
        ][..],
    );
    let sep = prop_oneof![
        12 => Just("://"),
        1 => prop::sample::select(&[":/", ":", "//", ":///"][..]),
    ];
    let user = prop::option::weighted(0.3, "[a-z]{0,6}");
    let pw = prop::option::weighted(0.9, password());
    let hosts = prop::collection::vec(host_port(), 1..4);
    let path = prop_oneof![
        3 => Just(String::new()),
        4 => "[0-9]{1,2}".prop_map(|db| format!("/{db}")),
        2 => prop::sample::select(&["-1", "abc", "", "99999999999", "2/x", "/3/"][..])
            .prop_map(|db| format!("/{db}")),
        2 => "(/[a-z0-9]{1,8}){1,3}(\\.sock)?",
    ];
    let query = prop_oneof![
        3 => Just(String::new()),
        3 => prop::collection::vec(
            prop_oneof![
                "db=[0-9]{0,2}",
                "db=[0-9a-z%]{0,3}",
                "master=[a-z+%]{0,6}",
                "[a-z=%;]{0,5}",
            ],
            1..4
        )
        .prop_map(|pairs| format!("?{}", pairs.join("&"))),
    ];
    let fragment = prop::option::weighted(0.1, "#[a-z%]{0,4}");
    (scheme, sep, user, pw, hosts, path, query, fragment).prop_map(
        |(scheme, sep, user, pw, hosts, path, query, fragment)| {
            let host = if scheme.eq_ignore_ascii_case("redis-sentinel") {
                hosts.join(",")
            } else {
                hosts[0].clone()
            };
            let mut uri = format!("{scheme}{sep}");
            let mut expect_password = None;
            let mut ambiguous = false;
            match (&user, &pw) {
                (None, None) => {}
                (Some(u), None) => uri.push_str(&format!("{u}@")),
                (u, Some((raw, decoded, amb))) => {
                    uri.push_str(&format!("{}:{raw}@", u.as_deref().unwrap_or("")));
                    ambiguous = *amb;
                    let supported = ["redis", "rediss", "redis-socket", "redis-sentinel"]
                        .contains(&scheme.to_ascii_lowercase().as_str());
                    if sep == "://" && supported && !ambiguous {
                        expect_password = Some(decoded.clone());
                    }
                }
            }
            uri.push_str(&host);
            uri.push_str(&path);
            uri.push_str(&query);
            if let Some(f) = fragment {
                uri.push_str(&f);
            }
            Near {
                uri,
                expect_password,
                ambiguous,
            }
        },
    )
}

fn arbitrary() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "redis",
        "rediss",
        "redis-socket",
        "redis-sentinel",
        "://",
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
        "\u{fc}",
        "\u{1F600}",
        "\u{0}",
        "\t",
        "0",
        ";",
        "%25",
        "pa55word",
        "s3cret",
    ];
    prop_oneof![
        2 => any::<String>(),
        2 => "[ -~]{0,64}",
        3 => prop::collection::vec(prop::sample::select(PIECES), 0..14).prop_map(|p| p.concat()),
    ]
}

/// The option fields that hold a password, in parse order.
fn passwords(opt: &RedisConnOpt) -> Vec<String> {
    match opt {
        RedisConnOpt::Single(o) => vec![o.password.clone()],
        RedisConnOpt::Sentinel(o) => vec![o.sentinel_password.clone(), o.password.clone()],
        RedisConnOpt::Cluster(o) => vec![o.password.clone()],
    }
}

/// True when the password `pw` that parse_uri found in `uri` is long (6 characters or more) and
/// written only once in `uri`: then no other part of the options can hold it, and finding it in
/// their `Debug` output means it leaked. (A password with an unescaped `@` may be split by the
/// parser into a password and a host, which then shows part of what was meant as password.)
fn distinctive_in(uri: &str, pw: &str) -> bool {
    pw.chars().count() >= 6 && uri.matches(pw).count() == 1
}

fn has_mark(s: &str) -> bool {
    s.contains(MARKS)
}

fn check_error_kind(uri: &str, e: &BrokerError) -> Result<(), TestCaseError> {
    prop_assert!(
        matches!(
            e,
            BrokerError::InvalidUri(_) | BrokerError::UnsupportedScheme(_)
        ),
        "{:?}: unexpected error kind {:?}",
        uri,
        e
    );
    Ok(())
}

fn check_near(n: &Near) -> Result<(), TestCaseError> {
    match RedisConnOpt::parse_uri(&n.uri) {
        Err(e) => {
            check_error_kind(&n.uri, &e)?;
            let shown = format!("{e} {e:?}");
            prop_assert!(
                !has_mark(&shown),
                "{:?}: password in error {}",
                n.uri,
                shown
            );
        }
        Ok(opt) => {
            let debug = format!("{opt:?}");
            if !n.ambiguous {
                prop_assert!(!has_mark(&debug), "{:?}: password in {}", n.uri, debug);
            }
            for pw in passwords(&opt) {
                if distinctive_in(&n.uri, &pw) {
                    prop_assert!(
                        !debug.contains(&pw),
                        "{:?}: password {:?} in {}",
                        n.uri,
                        pw,
                        debug
                    );
                }
            }
            if let Some(want) = &n.expect_password {
                prop_assert_eq!(&passwords(&opt)[0], want, "{:?}", n.uri);
            }
        }
    }
    Ok(())
}

/// The text [`redact_uri`] hides in `uri` (empty when nothing).
fn hidden_part(uri: &str) -> String {
    let redacted = redact_uri(uri);
    if redacted == uri {
        return String::new();
    }
    let prefix = uri
        .bytes()
        .zip(redacted.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let suffix = uri
        .bytes()
        .rev()
        .zip(redacted.bytes().rev())
        .take_while(|(a, b)| a == b)
        .count()
        .min(uri.len() - prefix);
    String::from_utf8_lossy(&uri.as_bytes()[prefix..uri.len() - suffix]).into_owned()
}

fn check_arbitrary(uri: &str) -> Result<(), TestCaseError> {
    let result = RedisConnOpt::parse_uri(uri);
    let redacted = redact_uri(uri);
    let decoded = percent_encoding::percent_decode_str(&redacted)
        .decode_utf8_lossy()
        .into_owned();
    // A secret is only looked for when it is long and appears nowhere else in the input, so
    // that finding it in the output means it leaked.
    let distinctive =
        |s: &str| s.chars().count() >= 6 && !redacted.contains(s) && !decoded.contains(s);
    match &result {
        Err(e) => {
            check_error_kind(uri, e)?;
            let hidden = hidden_part(uri);
            // Text the messages hold anyway (e.g. "redis uri") is no leak: it is what the
            // redacted URI's error shows as well.
            let fixed_text = RedisConnOpt::parse_uri(&redacted)
                .err()
                .is_some_and(|e| format!("{e} {e:?}").contains(&hidden));
            if distinctive(&hidden) && !fixed_text {
                let shown = format!("{e} {e:?}");
                prop_assert!(
                    !shown.contains(&hidden),
                    "{:?}: {:?} in {}",
                    uri,
                    hidden,
                    shown
                );
            }
        }
        Ok(opt) => {
            let debug = format!("{opt:?}");
            for pw in passwords(opt) {
                if distinctive_in(uri, &pw) {
                    prop_assert!(!debug.contains(&pw), "{:?}: {:?} in {}", uri, pw, debug);
                }
            }
        }
    }
    Ok(())
}

#[test]
fn fuzz_parse_uri() {
    let mut runner = TestRunner::new(fuzz::config(fuzz::cases()));
    let execs = fuzz::Executions::new("parse_uri");
    let strategy = prop_oneof![
        arbitrary().prop_map(Case::Arbitrary),
        near().prop_map(Case::Near),
    ];
    runner
        .run(&strategy, |case| {
            execs.hit();
            match &case {
                Case::Arbitrary(s) => check_arbitrary(s),
                Case::Near(n) => check_near(n),
            }
        })
        .unwrap();
    execs.report();
}
