//! The `asynq` binary against a real Redis seeded with tasks in every state.

mod common;

use asynq_inspect::{InspectError, TaskState};
use common::{asynq_in, pos, row_after, Env};

#[tokio::test]
async fn stats_human_and_json() {
    let env = Env::start().await;
    env.seed().await;

    let run = env.asynq(&["stats"]);
    let out = run.ok();
    // active pending aggregating scheduled retry archived completed, over both queues.
    assert_eq!(
        row_after(out, "active"),
        ["1", "4", "2", "1", "1", "1", "1"],
        "{out}"
    );
    let lines: Vec<&str> = out.lines().collect();
    let q = lines
        .iter()
        .position(|l| *l == "Task Count by Queue")
        .expect("queue section");
    assert_eq!(
        lines[q + 1].split_whitespace().collect::<Vec<_>>(),
        ["critical", "default"]
    );
    assert_eq!(
        lines[q + 3].split_whitespace().collect::<Vec<_>>(),
        ["1", "10"]
    );
    assert_eq!(row_after(out, "processed"), ["3", "2", "66.67%"], "{out}");
    assert!(out.contains("Redis Info"), "{out}");
    let today = time::OffsetDateTime::now_utc().date().to_string();
    assert!(out.contains(&format!("Daily Stats {today} UTC")), "{out}");

    let run = env.asynq(&["stats", "--json"]);
    let v: serde_json::Value = serde_json::from_str(run.ok()).expect("json");
    let a = &v["aggregate"];
    assert_eq!(a["active"], 1);
    assert_eq!(a["pending"], 4);
    assert_eq!(a["aggregating"], 2);
    assert_eq!(a["scheduled"], 1);
    assert_eq!(a["retry"], 1);
    assert_eq!(a["archived"], 1);
    assert_eq!(a["completed"], 1);
    assert_eq!(a["processed"], 3);
    assert_eq!(a["failed"], 2);
    assert!(a["timestamp"].as_str().unwrap().starts_with(&today));
    let queues = v["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 2);
    let d = queues.iter().find(|q| q["Queue"] == "default").unwrap();
    assert_eq!(d["Size"], 10);
    assert_eq!(d["Groups"], 1);
    assert_eq!(d["Pending"], 3);
    assert_eq!(d["Paused"], false);
    assert!(d["MemoryUsage"].as_i64().unwrap() > 0);
    assert!(d["Latency"].as_i64().unwrap() >= 0);
    assert!(v["redis"]["redis_version"].is_string());
}

#[tokio::test]
async fn queue_commands() {
    let env = Env::start().await;
    env.seed().await;

    let out = env.asynq(&["queue", "ls"]).ok().to_string();
    assert_eq!(out, "critical\ndefault\n");

    let out = env.asynq(&["queue", "inspect", "default"]).ok().to_string();
    assert!(out.contains("Name:         default"), "{out}");
    assert!(out.contains("Size:         10"), "{out}");
    assert!(out.contains("Groups:       1"), "{out}");
    assert!(out.contains("Paused:       false"), "{out}");
    assert_eq!(
        row_after(&out, "active"),
        ["1", "3", "2", "1", "1", "1", "1"]
    );
    assert_eq!(row_after(&out, "processed"), ["3", "2", "66.67%"]);

    // One unknown queue among known ones: the others are still shown, the error is one line.
    let run = env.asynq(&["queue", "inspect", "default", "nope"]);
    assert!(run.stdout.contains("Size:         10"), "{run:#?}");
    assert_eq!(run.failed(), "error: queue \"nope\" does not exist");

    let out = env
        .asynq(&["queue", "history", "default", "-x", "3"])
        .ok()
        .to_string();
    let today = time::OffsetDateTime::now_utc().date().to_string();
    assert_eq!(
        row_after(&out, "date (UTC)"),
        [today.as_str(), "3", "2", "66.67%"]
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("20")).count(),
        3,
        "{out}"
    );
    env.asynq(&["queue", "history", "default", "--days", "0"])
        .failed();

    // Pause, seen by the Inspector and in stats.
    let out = env.asynq(&["queue", "pause", "critical"]).ok().to_string();
    assert_eq!(out, "Successfully paused queue \"critical\"\n");
    assert!(
        env.inspector
            .get_queue_info("critical")
            .await
            .unwrap()
            .paused
    );
    assert!(env.asynq(&["stats"]).ok().contains("critical (paused)"));
    let line = env
        .asynq(&["queue", "pause", "critical"])
        .failed()
        .to_string();
    assert!(line.contains("already paused"), "{line}");
    let out = env
        .asynq(&["queue", "unpause", "critical"])
        .ok()
        .to_string();
    assert_eq!(out, "Successfully unpaused queue \"critical\"\n");
    assert!(
        !env.inspector
            .get_queue_info("critical")
            .await
            .unwrap()
            .paused
    );

    // Remove: refused while not empty, done with --force.
    let line = env.asynq(&["queue", "rm", "critical"]).failed().to_string();
    assert!(
        line.contains("is not empty") && line.contains("--force"),
        "{line}"
    );
    let out = env
        .asynq(&["queue", "rm", "--force", "critical"])
        .ok()
        .to_string();
    assert_eq!(out, "Successfully removed queue \"critical\"\n");
    assert_eq!(env.inspector.queues().await.unwrap(), ["default"]);
}

#[tokio::test]
async fn task_lists_in_gos_order() {
    let env = Env::start().await;
    env.seed().await;

    // Pending: the next to be dequeued first (oldest first).
    let out = env
        .asynq(&["task", "ls", "--queue", "default", "--state", "pending"])
        .ok()
        .to_string();
    assert!(out.starts_with("ID"), "{out}");
    assert!(pos(&out, "p1") < pos(&out, "p2") && pos(&out, "p2") < pos(&out, "p3"));
    assert!(out.contains("payload-p1"), "{out}");

    // Pagination: page 2 of size 2 holds only p3.
    let out = env
        .asynq(&[
            "task", "ls", "-q", "default", "-s", "pending", "--page", "2", "--size", "2",
        ])
        .ok()
        .to_string();
    assert!(
        out.contains("p3") && !out.contains("p1") && !out.contains("p2"),
        "{out}"
    );

    let cases = [
        ("active", "a1", "ID  "),
        ("scheduled", "s1", "Process In"),
        ("retry", "r1", "temporary failure"),
        ("archived", "x1", "fatal error"),
        ("completed", "c1", "CompletedAt"),
    ];
    for (state, id, text) in cases {
        let out = env
            .asynq(&["task", "ls", "-q", "default", "-s", state])
            .ok()
            .to_string();
        assert!(out.contains(id) && out.contains(text), "{state}: {out}");
    }
    let out = env
        .asynq(&["task", "ls", "-q", "default", "-s", "scheduled"])
        .ok()
        .to_string();
    assert!(out.contains("in 9m") || out.contains("in 10m"), "{out}");

    let out = env
        .asynq(&[
            "task",
            "ls",
            "-q",
            "default",
            "-s",
            "aggregating",
            "-g",
            "grp",
        ])
        .ok()
        .to_string();
    assert!(pos(&out, "g1") < pos(&out, "g2"), "{out}");
    assert!(out.contains("grp"));

    let out = env
        .asynq(&["task", "ls", "-q", "critical", "-s", "retry"])
        .ok()
        .to_string();
    assert_eq!(out, "No retry tasks in \"critical\" queue\n");

    // Bad input: one line on stderr, non-zero exit.
    let r = env.asynq(&["task", "ls", "-q", "default", "-s", "bogus"]);
    assert_eq!(r.failed(), "error: state=\"bogus\" is not supported");
    let r = env.asynq(&[
        "task", "ls", "-q", "default", "-s", "pending", "--size", "0",
    ]);
    assert!(r.failed().contains("--size"), "{r:#?}");
    let r = env.asynq(&[
        "task", "ls", "-q", "default", "-s", "pending", "--size", "x",
    ]);
    assert!(r.failed().contains("--size"), "{r:#?}");
    let r = env.asynq(&["task", "ls", "-q", "default", "-s", "aggregating"]);
    assert_eq!(
        r.failed(),
        "error: flag --group is required for listing aggregating tasks"
    );
    let r = env.asynq(&["task", "ls", "-q", "nope", "-s", "pending"]);
    assert!(r.failed().contains("nope"), "{r:#?}");
    let r = env.asynq(&["task", "ls", "-s", "pending"]);
    assert!(r.failed().contains("--queue"), "{r:#?}");

    let out = env
        .asynq(&["group", "ls", "-q", "default"])
        .ok()
        .to_string();
    assert_eq!(row_after(&out, "Group"), ["grp", "2"]);
    let out = env
        .asynq(&["group", "ls", "-q", "critical"])
        .ok()
        .to_string();
    assert_eq!(out, "No groups found in queue \"critical\"\n");
}

#[tokio::test]
async fn task_inspect_and_actions() {
    let env = Env::start().await;
    env.seed().await;
    let state = |id: &'static str| {
        let i = env.inspector.clone();
        async move { i.get_task_info("default", id).await.map(|t| t.state) }
    };

    let out = env
        .asynq(&["task", "inspect", "-q", "default", "-i", "x1"])
        .ok()
        .to_string();
    assert!(out.contains("ID:      x1"), "{out}");
    assert!(out.contains("State:   archived"), "{out}");
    assert!(out.contains("Error message: fatal error"), "{out}");
    let out = env
        .asynq(&["task", "inspect", "--queue", "default", "--id", "s1"])
        .ok()
        .to_string();
    assert!(
        out.contains("State:   scheduled") && out.contains("(in "),
        "{out}"
    );
    let r = env.asynq(&["task", "inspect", "-q", "default", "-i", "missing"]);
    assert!(
        r.failed().starts_with("error: could not get task info:"),
        "{r:#?}"
    );

    assert_eq!(
        env.asynq(&["task", "run", "-q", "default", "-i", "x1"])
            .ok(),
        "task is now pending\n"
    );
    assert_eq!(state("x1").await.unwrap(), TaskState::Pending);
    assert_eq!(
        env.asynq(&["task", "archive", "-q", "default", "-i", "p1"])
            .ok(),
        "task archived\n"
    );
    assert_eq!(state("p1").await.unwrap(), TaskState::Archived);
    assert_eq!(
        env.asynq(&["task", "delete", "-q", "default", "-i", "s1"])
            .ok(),
        "task deleted\n"
    );
    assert!(matches!(
        state("s1").await,
        Err(InspectError::TaskNotFound { .. })
    ));
    let r = env.asynq(&["task", "delete", "-q", "default", "-i", "a1"]);
    assert!(r.failed().contains("active"), "{r:#?}");

    assert_eq!(
        env.asynq(&["task", "runall", "-q", "default", "-s", "retry"])
            .ok(),
        "1 tasks are now pending\n"
    );
    assert_eq!(state("r1").await.unwrap(), TaskState::Pending);
    assert_eq!(
        env.asynq(&["task", "deleteall", "-q", "default", "-s", "completed"])
            .ok(),
        "1 tasks deleted\n"
    );
    assert!(state("c1").await.is_err());
    assert_eq!(
        env.asynq(&[
            "task",
            "archiveall",
            "-q",
            "default",
            "-s",
            "aggregating",
            "-g",
            "grp"
        ])
        .ok(),
        "2 tasks archived\n"
    );
    assert_eq!(state("g1").await.unwrap(), TaskState::Archived);
    let r = env.asynq(&["task", "runall", "-q", "default", "-s", "pending"]);
    assert_eq!(r.failed(), "error: unsupported state \"pending\"");
    let r = env.asynq(&["task", "deleteall", "-q", "default", "-s", "aggregating"]);
    assert_eq!(
        r.failed(),
        "error: flag --group is required for aggregating tasks"
    );

    assert_eq!(
        env.asynq(&["task", "cancel", "a1", "a2"]).ok(),
        "Sent cancelation signal for task a1\nSent cancelation signal for task a2\n"
    );

    let info = env.inspector.get_queue_info("default").await.unwrap();
    // pending: p2, p3 + x1 (run) + r1 (runall); archived: p1, g1, g2.
    assert_eq!((info.pending, info.archived, info.completed), (4, 3, 0));
}

#[tokio::test]
async fn servers_and_cron() {
    let env = Env::start().await;
    assert_eq!(env.asynq(&["server", "ls"]).ok(), "No running servers\n");
    assert_eq!(env.asynq(&["cron", "ls"]).ok(), "No scheduler entries\n");
    let out = env.asynq(&["cron", "history", "e1"]).ok().to_string();
    assert!(
        out.contains("Entry: e1")
            && out.contains("No scheduler enqueue events found for entry: e1"),
        "{out}"
    );
    env.asynq(&["cron", "history", "e1", "--size", "-1"])
        .failed();

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
        .unwrap();
    let out = env.asynq(&["server", "ls"]).ok().to_string();
    let row = row_after(&out, "Host");
    assert_eq!(
        &row[..4],
        ["worker-host", "4242", "active", "0/10"],
        "{out}"
    );
    assert_eq!(&row[4..6], ["critical:6", "default:3"], "{out}");
    assert!(row[6].starts_with("1m3") && row[7] == "ago", "{out}");
}

#[tokio::test]
async fn connection_settings_and_errors() {
    let env = Env::start().await;
    env.enqueue("default", "t1", &[]).await;
    let home = env.home.path();

    // redis:// URI form.
    let url = env.node.url();
    let out = asynq_in(home, &[], &["queue", "ls", "--uri", &url])
        .ok()
        .to_string();
    assert_eq!(out, "default\n");

    // Environment variables, ours and Go's.
    let addr = env.node.addr();
    assert_eq!(
        asynq_in(home, &[("ASYNQ_URI", &addr)], &["queue", "ls"]).ok(),
        "default\n"
    );
    assert_eq!(
        asynq_in(home, &[("URI", &addr)], &["queue", "ls"]).ok(),
        "default\n"
    );
    // Boolean flags take a value only with `=` (Go's pflag), so a subcommand after them stays
    // a subcommand.
    let r = asynq_in(
        home,
        &[],
        &["--tls=false", "-u", &addr, "--insecure", "queue", "ls"],
    );
    assert_eq!(r.ok(), "default\n");
    // A repeated flag: the last one wins (Go's pflag).
    let r = asynq_in(
        home,
        &[],
        &["-u", "127.0.0.1:1", "-u", &addr, "queue", "ls"],
    );
    assert_eq!(r.ok(), "default\n");
    // The flag beats the environment.
    let r = asynq_in(
        home,
        &[("ASYNQ_URI", "127.0.0.1:1")],
        &["-u", &addr, "queue", "ls"],
    );
    assert_eq!(r.ok(), "default\n");

    // $HOME/.asynq.yaml, announced on stderr so stdout stays clean; a wrong db there.
    std::fs::write(home.join(".asynq.yaml"), format!("uri: {addr}\ndb: 1\n")).unwrap();
    let r = asynq_in(home, &[], &["queue", "ls"]);
    assert_eq!(r.ok(), "", "db 1 has no queues");
    assert!(r.stderr.starts_with("Using config file:"), "{r:#?}");
    assert_eq!(
        asynq_in(home, &[], &["queue", "ls", "--db", "0"]).ok(),
        "default\n"
    );
    // --config names another file.
    let other = home.join("other.yml");
    std::fs::write(&other, format!("uri: {addr}\n")).unwrap();
    let cfg = other.to_str().unwrap();
    assert_eq!(
        asynq_in(home, &[], &["--config", cfg, "queue", "ls"]).ok(),
        "default\n"
    );
    std::fs::remove_file(home.join(".asynq.yaml")).unwrap();

    // Errors: one line on stderr, non-zero exit, no panic.
    let bad = [
        vec!["--uri", "redis://127.0.0.1:abc", "queue", "ls"],
        vec!["--uri", "ftp://x", "queue", "ls"],
        vec!["--uri", "127.0.0.1:1", "stats"],
        vec!["--db", "x", "queue", "ls"],
        vec!["--config", "/nonexistent/asynq.yaml", "queue", "ls"],
        vec!["queue", "inspect"],
        vec!["nosuchcommand"],
        vec!["dash", "--refresh", "500ms"],
        vec!["dash", "--refresh", "soon"],
    ];
    for args in bad {
        let r = asynq_in(home, &[], &args);
        let line = r.failed();
        assert!(line.starts_with("error"), "{args:?}: {line}");
    }
}

/// A poison message (undecodable `msg` left by a buggy producer) that a server archived, as
/// `Broker::dequeue_many` and `Broker::archive_poison` do for it: `task ls` lists it among the
/// archived tasks, `task inspect` shows what was wrong, and `task delete` removes it.
#[tokio::test]
async fn archived_poison_message_is_listed_inspected_and_deleted() {
    let env = Env::start().await;
    let raw = env.node.raw().await;
    let garbage: &[u8] = b"\x0a\xff\xff\xff\x0fnot a task message";
    raw.cmd_bytes(
        "HSET",
        &[
            b"asynq:{default}:t:bad",
            b"msg",
            garbage,
            b"state",
            b"pending",
        ],
    )
    .await;
    raw.cmd(&["LPUSH", "asynq:{default}:pending", "bad"]).await;
    raw.cmd(&["SADD", "asynq:queues", "default"]).await;
    let batch = env
        .broker
        .dequeue_many(&["default".to_string()], 1)
        .await
        .expect("dequeue");
    assert_eq!(batch.poison.len(), 1, "{batch:?}");
    env.broker
        .archive_poison(&batch.poison[0])
        .await
        .expect("archive");

    let out = env
        .asynq(&["task", "ls", "-q", "default", "-s", "archived"])
        .ok()
        .to_string();
    assert!(out.contains("bad"), "{out}");
    assert!(out.contains("asynq: cannot decode task message"), "{out}");
    let out = env
        .asynq(&["task", "inspect", "-q", "default", "-i", "bad"])
        .ok()
        .to_string();
    assert!(out.contains("State:   archived"), "{out}");
    assert!(
        out.contains("Error message: asynq: cannot decode task message"),
        "{out}"
    );
    assert_eq!(
        env.asynq(&["task", "delete", "-q", "default", "-i", "bad"])
            .ok(),
        "task deleted\n"
    );
    assert!(!raw.exists("asynq:{default}:t:bad").await);
}
