//! The Rust `asynq` binary next to Go's `asynq` CLI (github.com/hibiken/asynq/tools/asynq) on
//! the same Redis: both print the same facts, and an action taken through one is seen by the
//! other.
//!
//! Go's CLI is a module of its own that the Go module proxy does not serve, so it cannot be
//! built on a fresh machine. These tests run when `ASYNQ_GO_CLI` names a built Go CLI binary
//! (`go build -o asynq-go ./asynq` in a checkout of the asynq repository's `tools/`):
//!
//! ```text
//! ASYNQ_GO_CLI=/path/to/asynq-go cargo test -p asynq-cli --test go_cli -- --ignored
//! ```

mod common;

use std::process::Command;

use asynq_inspect::TaskState;
use common::{Env, Run};

/// Runs Go's CLI with `--uri <node> args...`.
fn go(env: &Env, args: &[&str]) -> Run {
    let bin = std::env::var("ASYNQ_GO_CLI")
        .expect("ASYNQ_GO_CLI must name a built Go asynq CLI binary to run these tests");
    let addr = env.node.addr();
    let out = Command::new(bin)
        .env("HOME", env.home.path())
        .arg("--uri")
        .arg(&addr)
        .args(args)
        .output()
        .expect("run the Go asynq CLI");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The table under the line `title`: each row's whitespace-separated fields, the header first,
/// without the dashes line. Stops at the first blank line.
#[track_caller]
fn table(out: &str, title: &str) -> Vec<Vec<String>> {
    let lines: Vec<&str> = out.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim_end().starts_with(title))
        .unwrap_or_else(|| panic!("no {title:?} in:\n{out}"));
    lines[start + 1..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| !l.trim_start().starts_with('-'))
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// The `Key: value` lines of a text block, value trimmed.
fn fields(out: &str) -> Vec<(String, String)> {
    out.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn field<'a>(f: &'a [(String, String)], key: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no field {key:?} in {f:?}"))
}

#[tokio::test]
#[ignore = "needs ASYNQ_GO_CLI: Go's CLI module is not on the Go module proxy"]
async fn stats_and_queue_inspect_print_the_same_facts() {
    let env = Env::start().await;
    env.seed().await;

    let rust = env.asynq(&["stats"]);
    let gocli = go(&env, &["stats"]);
    println!(
        "--- Rust asynq stats\n{}--- Go asynq stats\n{}",
        rust.stdout, gocli.stdout
    );
    let (r, g) = (rust.ok(), gocli.ok());
    assert_eq!(
        table(r, "Task Count by State"),
        table(g, "Task Count by State")
    );
    // Go prints the queues in SMEMBERS order, Rust by name: compare (queue, size) pairs.
    let by_queue = |out: &str| {
        let t = table(out, "Task Count by Queue");
        let mut pairs: Vec<(String, String)> = t[0].iter().cloned().zip(t[1].clone()).collect();
        pairs.sort();
        pairs
    };
    assert_eq!(by_queue(r), by_queue(g));
    let daily = |s: &str| {
        let t = table(s, "Daily Stats");
        (
            s.lines()
                .find(|l| l.starts_with("Daily Stats"))
                .map(str::to_string),
            t,
        )
    };
    assert_eq!(daily(r), daily(g));
    // Redis info: version and uptime agree; connections and memory move between the two runs.
    let (ri, gi) = (table(r, "Redis Info"), table(g, "Redis Info"));
    assert_eq!(ri[0], gi[0], "Redis info header");
    assert_eq!(ri[1][..3], gi[1][..3], "version, uptime");

    let rust = env.asynq(&["queue", "inspect", "default"]);
    let gocli = go(&env, &["queue", "inspect", "default"]);
    println!(
        "--- Rust asynq queue inspect default\n{}--- Go asynq queue inspect default\n{}",
        rust.stdout, gocli.stdout
    );
    let (r, g) = (rust.ok(), gocli.ok());
    let (rf, gf) = (fields(r), fields(g));
    for key in ["Name", "Size", "Groups", "Paused"] {
        assert_eq!(field(&rf, key), field(&gf, key), "{key}");
    }
    assert_eq!(
        table(r, "Task Count by State"),
        table(g, "Task Count by State")
    );
    assert_eq!(daily(r), daily(g));
}

#[tokio::test]
#[ignore = "needs ASYNQ_GO_CLI: Go's CLI module is not on the Go module proxy"]
async fn task_listings_and_inspect_agree() {
    let env = Env::start().await;
    env.seed().await;

    for state in [
        "active",
        "pending",
        "scheduled",
        "retry",
        "archived",
        "completed",
    ] {
        let args = ["task", "ls", "--queue", "default", "--state", state];
        let (rust, gocli) = (env.asynq(&args), go(&env, &args));
        let ids = |out: &str| -> Vec<String> {
            table(out, "ID")
                .into_iter()
                .map(|row| row[0].clone())
                .collect()
        };
        let (r, g) = (rust.ok(), gocli.ok());
        assert_eq!(ids(r), ids(g), "task ls {state}:\n{r}\n{g}");
        assert!(!ids(r).is_empty(), "{state}");
    }
    let args = [
        "task",
        "ls",
        "--queue",
        "default",
        "--state",
        "aggregating",
        "--group",
        "grp",
    ];
    let (rust, gocli) = (env.asynq(&args), go(&env, &args));
    let first = |out: &str| -> Vec<String> {
        table(out, "ID")
            .into_iter()
            .map(|row| row[0].clone())
            .collect()
    };
    assert_eq!(first(rust.ok()), first(gocli.ok()));

    let args = ["group", "ls", "--queue", "default"];
    let (rust, gocli) = (env.asynq(&args), go(&env, &args));
    assert!(rust.ok().contains("grp") && gocli.ok().contains("grp"));

    for id in ["r1", "x1", "c1", "s1", "p1"] {
        let args = ["task", "inspect", "--queue", "default", "--id", id];
        let (rust, gocli) = (env.asynq(&args), go(&env, &args));
        let (rf, gf) = (fields(rust.ok()), fields(gocli.ok()));
        for key in ["ID", "Type", "State", "Queue"] {
            assert_eq!(field(&rf, key), field(&gf, key), "{id} {key}");
        }
    }
}

#[tokio::test]
#[ignore = "needs ASYNQ_GO_CLI: Go's CLI module is not on the Go module proxy"]
async fn actions_through_one_cli_are_seen_by_the_other() {
    let env = Env::start().await;
    env.seed().await;
    let inspect = |id: &str| {
        let inspector = env.inspector.clone();
        let id = id.to_string();
        async move {
            inspector
                .get_task_info("default", &id)
                .await
                .expect("info")
                .state
        }
    };

    // Go pauses, Rust sees it; Rust unpauses, Go sees it.
    go(&env, &["queue", "pause", "default"]).ok();
    let r = env.asynq(&["queue", "inspect", "default"]);
    assert_eq!(field(&fields(r.ok()), "Paused"), "true");
    env.asynq(&["queue", "unpause", "default"]).ok();
    let g = go(&env, &["queue", "inspect", "default"]);
    assert_eq!(field(&fields(g.ok()), "Paused"), "false");

    // Go archives, Rust runs it again; Rust archives, Go deletes it.
    go(
        &env,
        &["task", "archive", "--queue", "default", "--id", "s1"],
    )
    .ok();
    assert_eq!(inspect("s1").await, TaskState::Archived);
    env.asynq(&["task", "run", "--queue", "default", "--id", "s1"])
        .ok();
    assert_eq!(inspect("s1").await, TaskState::Pending);
    env.asynq(&["task", "archive", "--queue", "default", "--id", "p1"])
        .ok();
    let g = go(
        &env,
        &["task", "inspect", "--queue", "default", "--id", "p1"],
    );
    assert_eq!(field(&fields(g.ok()), "State"), "archived");
    go(
        &env,
        &["task", "delete", "--queue", "default", "--id", "p1"],
    )
    .ok();
    let r = env.asynq(&["task", "inspect", "--queue", "default", "--id", "p1"]);
    assert_ne!(r.code, 0, "{r:?}");

    // Rust runs every retry task, Go lists none.
    env.asynq(&["task", "runall", "--queue", "default", "--state", "retry"])
        .ok();
    let g = go(
        &env,
        &["task", "ls", "--queue", "default", "--state", "retry"],
    );
    assert!(!g.ok().contains("r1"), "{}", g.stdout);
    assert_eq!(inspect("r1").await, TaskState::Pending);
}

#[tokio::test]
#[ignore = "needs ASYNQ_GO_CLI: Go's CLI module is not on the Go module proxy"]
async fn server_ls_agree_on_a_rust_written_server() {
    let env = Env::start().await;
    let started = time::OffsetDateTime::now_utc() - std::time::Duration::from_secs(90);
    let info = asynq_proto::ServerInfo {
        host: "worker-host".into(),
        pid: 4242,
        server_id: "sid-1".into(),
        concurrency: 10,
        queues: [("default".to_string(), 3), ("critical".to_string(), 6)].into(),
        strict_priority: false,
        status: "active".into(),
        start_time: Some(asynq_proto::timestamp_from_datetime(started)),
        active_worker_count: 0,
    };
    env.broker
        .write_server_state(&info, &[], std::time::Duration::from_secs(30))
        .await
        .expect("write server state");
    let (rust, gocli) = (env.asynq(&["server", "ls"]), go(&env, &["server", "ls"]));
    println!(
        "--- Rust asynq server ls\n{}--- Go asynq server ls\n{}",
        rust.stdout, gocli.stdout
    );
    // The rows under the `Host ...` header: everything but the uptime, which may tick between
    // the two runs, is the same.
    let (r, g) = (table(rust.ok(), "Host"), table(gocli.ok(), "Host"));
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(r[0][..6], g[0][..6]);
    assert!(r[0][6].starts_with("1m3") && r[0][7] == "ago", "{r:?}");
}
