//! The `asynq` binary never prints a password: not in the error about a malformed URI (given
//! by flag, `ASYNQ_URI`, Go's `URI` or the config file), not in the error about a refused
//! password against a real password-protected Redis.

mod common;

use asynq_test_support::RedisNode;
use common::{asynq_in, Run};

const PW: &str = "s3cretPW";

/// Asserts a one-line error on stderr that shows neither the password nor a piece of it.
#[track_caller]
fn failed_without_password(run: &Run) -> String {
    let line = run.failed().to_string();
    for text in [&run.stdout, &run.stderr] {
        assert!(
            !text.contains(PW) && !text.contains("s3c") && !text.contains("retPW"),
            "password shown: {run:#?}"
        );
    }
    assert!(line.starts_with("error: "), "{line}");
    line
}

#[test]
fn malformed_uri_errors_hide_the_password() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let uri = format!("redis://:{PW}@127.0.0.1:abc");
    let want = r#"error: invalid --uri "redis://:xxxxx@127.0.0.1:abc": asynq: could not parse redis uri: invalid port ":abc" after host"#;

    // The command line of issue 11.
    let line = failed_without_password(&asynq_in(home, &[], &["--uri", &uri, "stats"]));
    assert_eq!(line, want);

    // The same URI from the environment, ours and Go's name.
    for var in ["ASYNQ_URI", "URI"] {
        let line = failed_without_password(&asynq_in(home, &[(var, &uri)], &["stats"]));
        assert_eq!(
            line,
            want.replace(": asynq:", " (from the environment): asynq:"),
            "{var}"
        );
    }

    // The same URI from the config file, found in $HOME and named with --config; the file's
    // password setting is not shown either.
    let yaml = format!("uri: \"{uri}\"\npassword: {PW}\n");
    std::fs::write(home.join(".asynq.yaml"), &yaml).unwrap();
    let run = asynq_in(home, &[], &["stats"]);
    assert!(run.stderr.starts_with("Using config file:"), "{run:#?}");
    assert_eq!(run.stderr.lines().count(), 2, "{run:#?}");
    let line = run.stderr.lines().nth(1).unwrap();
    assert_eq!(
        line,
        want.replace(": asynq:", " (from the config file): asynq:")
    );
    assert!(
        !run.stderr.contains(PW) && !run.stdout.contains(PW),
        "{run:#?}"
    );
    std::fs::remove_file(home.join(".asynq.yaml")).unwrap();
    let other = home.join("other.yml");
    std::fs::write(&other, &yaml).unwrap();
    let run = asynq_in(home, &[], &["--config", other.to_str().unwrap(), "stats"]);
    assert_ne!(run.code, 0);
    assert!(
        !run.stderr.contains(PW) && !run.stdout.contains(PW),
        "{run:#?}"
    );
    assert!(
        run.stderr.contains("redis://:xxxxx@127.0.0.1:abc"),
        "{run:#?}"
    );
}

#[test]
fn other_malformed_forms_hide_the_password() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let cases = [
        // An unescaped '/' splits the password: its first piece would be read as a host.
        (
            format!("redis://:s3c/{}@127.0.0.1:6379", &PW[3..]),
            "the password is malformed",
        ),
        (format!("rediss://alice:{PW}@h:1/notadb"), "database number"),
        (
            format!("redis-sentinel://:{PW}@a:1,b:x?master=m"),
            "invalid port",
        ),
        // Go's host:port form with credentials written into it.
        (format!(":{PW}@127.0.0.1:abc"), "cannot hold credentials"),
        (
            format!("user:{PW}@127.0.0.1:6379"),
            "cannot hold credentials",
        ),
    ];
    for (uri, why) in cases {
        let line = failed_without_password(&asynq_in(home, &[], &["-u", &uri, "queue", "ls"]));
        assert!(line.contains(why), "{uri}: {line}");
        assert!(line.contains("xxxxx"), "{uri}: {line}");
    }
}

#[tokio::test]
async fn wrong_password_against_a_real_redis_is_not_shown() {
    let node = RedisNode::start().await;
    node.raw()
        .await
        .cmd(&["CONFIG", "SET", "requirepass", "rightPW1"])
        .await;
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let addr = node.addr();

    let uri = format!("redis://:{PW}@{addr}");
    let runs = [
        asynq_in(home, &[], &["--uri", &uri, "stats"]),
        asynq_in(home, &[("ASYNQ_URI", &uri)], &["queue", "ls"]),
        asynq_in(home, &[], &["--uri", &addr, "--password", PW, "stats"]),
        asynq_in(home, &[("ASYNQ_PASSWORD", PW)], &["--uri", &addr, "stats"]),
    ];
    for run in &runs {
        let line = failed_without_password(run);
        assert!(line.contains("could not connect to Redis"), "{line}");
        assert!(line.contains("WRONGPASS"), "{line}");
    }

    // The right password works, so the failures above are about the password alone.
    let uri = format!("redis://:rightPW1@{addr}");
    let run = asynq_in(home, &[], &["--uri", &uri, "queue", "ls"]);
    assert_eq!(run.ok(), "");
}
