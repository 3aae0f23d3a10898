//! `asynq dash` driven like a user would: the real binary in a detached tmux session on a real,
//! seeded Redis, keys sent with `tmux send-keys` and the screen read with `tmux capture-pane`.
//!
//! Requires `tmux` (CI installs it).

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use asynq_client::{Client, RedisConnOpt, Task, TaskOption};
use asynq_test_support::RedisNode;

/// How long one screen change may take to show.
const WAIT: Duration = Duration::from_secs(20);

/// A tmux server of our own (its own socket), killed on drop with everything it runs.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(command: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("asynq-dash-test-{}", std::process::id()),
        };
        let out = tmux.run(&[
            "new-session",
            "-d",
            "-x",
            "160",
            "-y",
            "45",
            "-s",
            "dash",
            command,
        ]);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            let out = self.run(&["send-keys", "-t", "dash", key]);
            assert!(out.status.success(), "tmux send-keys {key}: {out:?}");
        }
    }

    fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", "dash"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen satisfies `ok`; panics with the last screen after [`WAIT`].
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until every text in `texts` is on the screen.
    fn wait_text(&self, texts: &[&str]) -> String {
        self.wait_for(&format!("{texts:?}"), |s| {
            texts.iter().all(|t| s.contains(t))
        })
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn require_tmux() {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "tmux not found: install tmux (apt-get install tmux) to run this test"
    );
}

/// The words of the queue table row of `queue`, if shown.
fn queue_row(screen: &str, queue: &str) -> Option<Vec<String>> {
    screen
        .lines()
        .find(|l| l.starts_with(queue) && l.contains("RUN"))
        .map(|l| l.split_whitespace().map(String::from).collect())
}

/// Queue `work`: `t-active` (active), `t-pending-1..3`, `t-sched` (scheduled); queue `other`:
/// two pending tasks.
async fn seed(node: &RedisNode) {
    let opt = RedisConnOpt::parse_uri(&node.url()).expect("redis url");
    let client = Client::connect(opt).await.expect("client");
    let enqueue = |id: &'static str, queue: &'static str, extra: Option<TaskOption>| {
        let client = client.clone();
        async move {
            let mut opts = vec![TaskOption::queue(queue), TaskOption::task_id(id)];
            opts.extend(extra);
            let task = Task::new("email:send", format!("{{\"id\":\"{id}\"}}"));
            client.enqueue(&task, &opts).await.expect("enqueue");
        }
    };
    enqueue("t-active", "work", None).await;
    let dequeued = client
        .broker()
        .dequeue(&["work".to_string()])
        .await
        .expect("dequeue");
    assert_eq!(dequeued.msg.id, "t-active");
    for id in ["t-pending-1", "t-pending-2", "t-pending-3"] {
        enqueue(id, "work", None).await;
    }
    let later = TaskOption::process_in(Duration::from_secs(3600));
    enqueue("t-sched", "work", Some(later)).await;
    enqueue("o-1", "other", None).await;
    enqueue("o-2", "other", None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dash_in_tmux_browses_queues_and_tasks_then_quits() {
    require_tmux();
    let node = RedisNode::start().await;
    seed(&node).await;
    let command = format!(
        "{} dash --uri {} --refresh 1s; echo \"dash exited with $?\"; sleep 60",
        env!("CARGO_BIN_EXE_asynq"),
        node.addr()
    );
    let tmux = Tmux::start(&command);

    // The queue list: both queues with their sizes.
    tmux.wait_for("the queue table", |s| {
        s.contains("=== Queues ===")
            && queue_row(s, "work").is_some_and(|w| w.get(2).map(String::as_str) == Some("5"))
            && queue_row(s, "other").is_some_and(|w| w.get(2).map(String::as_str) == Some("2"))
    });

    // Help box and back.
    tmux.keys(&["?"]);
    tmux.wait_text(&["=== Help ===", "<Esc>: GoBack"]);
    tmux.keys(&["Escape"]);
    tmux.wait_for("help closed", |s| {
        !s.contains("=== Help ===") && s.contains("<?>: Help")
    });

    // Open `work` (second row): the active tab lists the active task.
    tmux.keys(&["j", "j", "Enter"]);
    tmux.wait_text(&[
        "=== Queue Summary ===",
        "Name      work",
        "Active:1",
        "t-active",
    ]);

    // Tabs: pending, then right twice to scheduled, then back left to pending.
    tmux.keys(&["l"]);
    tmux.wait_text(&["t-pending-1", "t-pending-2", "t-pending-3"]);
    tmux.keys(&["Right", "Right"]);
    let screen = tmux.wait_text(&["t-sched", "Next Process Time"]);
    assert!(!screen.contains("t-pending-1"), "{screen}");
    tmux.keys(&["h", "Left"]);
    tmux.wait_text(&["t-pending-1"]);

    // A task's details.
    tmux.keys(&["j", "Enter"]);
    tmux.wait_text(&[
        "=== Task Info ===",
        "ID: t-pending-1",
        "State: pending",
        "Queue: work",
    ]);

    // q closes the box, leaves the queue, then quits; the process ends with status 0.
    tmux.keys(&["q"]);
    tmux.wait_for("task box closed", |s| !s.contains("=== Task Info ==="));
    tmux.keys(&["q"]);
    tmux.wait_text(&["=== Queues ==="]);
    tmux.keys(&["q"]);
    let screen = tmux.wait_text(&["dash exited with 0"]);
    assert!(
        !screen.contains("=== Queues ==="),
        "terminal restored:\n{screen}"
    );
}
