//! Fuzz target `config_file` (`cargo xtask fuzz`; see `asynq_test_support::fuzz`).
//!
//! The config file (`$HOME/.asynq.yaml`, `--config FILE`) is text the CLI reads from disk. Fed
//! arbitrary text and near-valid config files (YAML and JSON, every setting in any case, scalar,
//! quoted, null, list, mapping, tagged and aliased values, several documents, comments),
//! `asynq_cli::config::parse_config` and the settings built from its result
//! (`ConnFlags::resolve_values`, `Settings::conn_opt`) must never panic. `parse_config` only
//! returns known settings, by lower-case key.
//!
//! The near-valid files carry a password, as the `password` setting and inside the `uri`, made
//! of the letters `QZJKX`, which nothing else in a generated file, no type or field name and no
//! message contains: no error and no `Debug` output may show any of these letters.

use std::collections::BTreeMap;

use asynq_cli::config::{parse_config, ConnFlags, KEYS};
use asynq_test_support::fuzz;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

/// The letters passwords are made of (see the module docs).
const MARKS: &[char] = &['Q', 'Z', 'J', 'K', 'X'];

#[derive(Debug, Clone)]
enum Case {
    /// Any text; only "no panic" and the shape of the result are checked.
    Arbitrary(String),
    /// A near-valid file whose only marked text is its password.
    Near(String),
}

fn key() -> impl Strategy<Value = String> {
    let known = prop::sample::select(&KEYS[..]).prop_flat_map(|k| {
        prop_oneof![
            4 => Just(k.to_string()),
            1 => Just(k.to_ascii_uppercase()),
            1 => Just(format!("\"{k}\"")),
            1 => Just(format!("{k} ")),
        ]
    });
    prop_oneof![
        8 => known,
        1 => "[a-z_]{0,8}",
        1 => prop::sample::select(&["1", "true", "~", "? a", "[a]", "{a: 1}", "''", "- x"][..])
            .prop_map(str::to_string),
    ]
}

fn password() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(MARKS), 6..14)
        .prop_map(|cs| cs.into_iter().collect())
}

/// A value for `key` that may carry the password `pw`: bare for the `password` setting, inside a
/// URI for the others, except `username` and `tls_server`, which are shown as they are (a user
/// name or server name is no secret, so any text there is not one either).
fn value(key: &str, pw: String) -> impl Strategy<Value = String> {
    let key = key.trim_matches(['"', ' ']).to_ascii_lowercase();
    let is_password = key == "password";
    let pw = if key == "username" || key == "tls_server" {
        "none".to_string()
    } else {
        pw
    };
    /// Escapes as whole tokens, so that a string never ends in `\"` and swallows the next
    /// lines (which would move a password into another setting).
    const QUOTED: &str = "\"([a-z :#]|\\\\n|\\\\t|\\\\x41|\\\\q){0,8}\"";
    const WORDS: &[&str] = &[
        "true", "false", "yes", "no", "on", "~", "null", "", "0x1f", "1e3", ".inf", "True",
    ];
    let scalar = prop_oneof![
        "[a-z0-9.:/-]{0,12}",
        "-?[0-9]{1,4}(\\.[0-9]{1,2})?",
        prop::sample::select(WORDS).prop_map(str::to_string),
        "'[a-z :#\\-]{0,8}'",
        QUOTED,
        "127\\.0\\.0\\.1:[0-9]{1,5}",
    ];
    let pw_uri = pw.clone();
    let bare = if is_password {
        vec![pw.clone(), format!("\"{pw}\"")]
    } else {
        vec![format!("redis://:{pw}@h")]
    };
    let schemes = &["redis", "rediss", "redis-sentinel", "redis-socket", "x"][..];
    let with_password = prop_oneof![
        prop::sample::select(bare),
        ("[a-z0-9.:/-]{0,8}", prop::sample::select(schemes))
            .prop_map(move |(rest, scheme)| format!("{scheme}://:{pw_uri}@{rest}")),
    ];
    prop_oneof![
        6 => scalar.clone(),
        2 => with_password,
        1 => prop::collection::vec(scalar.clone(), 0..3).prop_map(|v| format!("[{}]", v.join(", "))),
        1 => scalar.clone().prop_map(|v| format!("{{a: {v}}}")),
        1 => scalar.clone().prop_map(|v| format!("!!str {v}")),
        1 => scalar.clone().prop_map(|v| format!("!custom {v}")),
        1 => scalar.clone().prop_map(|v| format!("&anchor {v}")),
        1 => Just("*anchor".to_string()),
        1 => scalar.prop_map(|v| format!("\n  - {v}\n  - x")),
        1 => Just("|\n  block text\n  more".to_string()),
    ]
}

fn near() -> impl Strategy<Value = String> {
    let line = (key(), password())
        .prop_flat_map(|(k, pw)| (Just(k.clone()), value(&k, pw)))
        .prop_map(|(k, v)| format!("{k}: {v}"));
    let noise = prop::sample::select(
        &[
            "# a comment",
            "---",
            "...",
            "",
            "  ",
            "%YAML 1.2",
            "\t",
            "- item",
            "key",
            ":",
        ][..],
    )
    .prop_map(str::to_string);
    let yaml = prop::collection::vec(prop_oneof![6 => line, 1 => noise], 0..12)
        .prop_map(|lines| lines.join("\n"));
    let json = prop::collection::vec(
        (key(), password()).prop_flat_map(|(k, pw)| (Just(k.clone()), value(&k, pw))),
        0..6,
    )
    .prop_map(|pairs| {
        let body: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("\"{}\": {v}", k.trim_matches('"')))
            .collect();
        format!("{{{}}}", body.join(", "))
    });
    prop_oneof![4 => yaml, 1 => json]
}

fn arbitrary() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        2 => "[ -~\n\t]{0,120}",
        2 => prop::collection::vec(
            prop::sample::select(
                &[
                    "uri", "db", "password", "tls", ":", ": ", "\n", "  ", "- ", "[", "]", "{",
                    "}", ",", "\"", "'", "#", "&a", "*a", "!!", "!t", "---", "...", "? ", "|",
                    ">", "%", "@", "\\", "\t", "\u{feff}", "\u{0}", "1", "true", "~",
                ][..],
            ),
            0..30,
        )
        .prop_map(|p| p.concat()),
    ]
}

fn has_mark(s: &str) -> bool {
    s.contains(MARKS)
}

fn check(text: &str, marked: bool) -> Result<(), TestCaseError> {
    let values = match parse_config(text) {
        Ok(values) => values,
        Err(why) => {
            prop_assert!(
                !why.contains('\n'),
                "{:?}: error not one line: {:?}",
                text,
                why
            );
            prop_assert!(
                !marked || !has_mark(&why),
                "{:?}: password in {:?}",
                text,
                why
            );
            return Ok(());
        }
    };
    for k in values.keys() {
        prop_assert!(
            KEYS.contains(&k.as_str()),
            "{:?}: unknown key {:?}",
            text,
            k
        );
    }
    let no_env = |_: &str| None;
    let settings = ConnFlags::default().resolve_values(&no_env, &values, None);
    let shown = match settings.conn_opt() {
        Ok(opt) => format!("{opt:?} {settings:?}"),
        Err(e) => format!("{e} {e:?} {settings:?}"),
    };
    prop_assert!(
        !marked || !has_mark(&shown),
        "{:?}: password in {}",
        text,
        shown
    );
    Ok(())
}

#[test]
fn fuzz_config_file() {
    let mut runner = TestRunner::new(fuzz::config(fuzz::cases()));
    let execs = fuzz::Executions::new("config_file");
    let strategy = prop_oneof![
        arbitrary().prop_map(Case::Arbitrary),
        near().prop_map(Case::Near),
    ];
    runner
        .run(&strategy, |case| {
            execs.hit();
            match &case {
                Case::Arbitrary(text) => check(text, false),
                Case::Near(text) => check(text, true),
            }
        })
        .unwrap();
    execs.report();
    // A parse of an empty file gives no settings (checked once, outside the random cases).
    assert_eq!(parse_config(""), Ok(BTreeMap::new()));
}
