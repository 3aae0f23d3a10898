//! The dashboard on a real Redis: tasks seeded in every state through the client and the
//! broker, read through the real Inspector and drawn on `TestBackend`.

mod common;

use std::time::Duration;

use asynq_client::{Client, RedisConnOpt, Task, TaskOption};
use asynq_dash::app::{App, View};
use asynq_dash::fetch;
use asynq_inspect::{Inspector, TaskState};
use asynq_test_support::RedisNode;
use common::{ch, key, screen, HEIGHT};
use crossterm::event::KeyCode;
use time::OffsetDateTime;

fn conn(node: &RedisNode) -> RedisConnOpt {
    RedisConnOpt::parse_uri(&node.url()).expect("redis url")
}

/// Enqueues `id` to queue `work` and moves it to `active` with a dequeue.
async fn enqueue_active(
    client: &Client,
    id: &str,
    opts: &[TaskOption],
) -> asynq_proto::TaskMessage {
    let mut all = vec![TaskOption::queue("work"), TaskOption::task_id(id)];
    all.extend_from_slice(opts);
    client
        .enqueue(
            &Task::new("email:send", format!("{{\"id\":\"{id}\"}}")),
            &all,
        )
        .await
        .expect("enqueue");
    let dequeued = client
        .broker()
        .dequeue(&["work".to_string()])
        .await
        .expect("dequeue");
    assert_eq!(dequeued.msg.id, id);
    dequeued.msg
}

/// Queue `work`: one task in each state (3 pending, a group `g1`); queue `other`: 2 pending.
async fn seed(client: &Client) {
    enqueue_active(client, "t-active", &[]).await;
    let msg = enqueue_active(client, "t-retry", &[]).await;
    let later = OffsetDateTime::now_utc() + Duration::from_secs(3600);
    let broker = client.broker();
    broker
        .retry(&msg, later, "smtp down", true)
        .await
        .expect("retry");
    let retention = TaskOption::retention(Duration::from_secs(3600));
    let msg = enqueue_active(client, "t-done", &[retention]).await;
    broker.mark_as_complete(&msg).await.expect("complete");
    let msg = enqueue_active(client, "t-archived", &[]).await;
    broker.archive(&msg, "gave up").await.expect("archive");
    let plain = |id: &str, q: &str| vec![TaskOption::queue(q), TaskOption::task_id(id)];
    for (id, q, extra) in [
        ("t-pending-1", "work", None),
        ("t-pending-2", "work", None),
        ("t-pending-3", "work", None),
        (
            "t-sched",
            "work",
            Some(TaskOption::process_in(Duration::from_secs(3600))),
        ),
        ("t-grp", "work", Some(TaskOption::group("g1"))),
        ("o-1", "other", None),
        ("o-2", "other", None),
    ] {
        let mut opts = plain(id, q);
        opts.extend(extra);
        let task = Task::new("email:send", format!("{{\"id\":\"{id}\"}}"));
        client.enqueue(&task, &opts).await.expect("enqueue");
    }
}

/// Runs every read the app asks for and takes in the answers.
async fn refresh(app: &mut App, inspector: &Inspector) {
    for request in app.fetches() {
        app.apply(fetch::fetch(inspector, request).await);
    }
    assert_eq!(app.error(), None, "read failed:\n{}", screen(app));
}

fn assert_on_screen(app: &App, texts: &[&str]) {
    let screen = screen(app);
    for text in texts {
        assert!(screen.contains(text), "{text:?} missing:\n{screen}");
    }
}

#[tokio::test]
async fn every_view_from_a_real_redis() {
    let node = RedisNode::start().await;
    let client = Client::connect(conn(&node)).await.expect("client");
    seed(&client).await;
    let inspector = Inspector::connect(conn(&node)).await.expect("inspector");
    let mut app = App::new(Duration::from_secs(8), HEIGHT);
    refresh(&mut app, &inspector).await;
    let names: Vec<&str> = app.queues().iter().map(|q| q.queue.as_str()).collect();
    assert_eq!(names, ["other", "work"]);
    let lines = common::render(&app);
    let work = common::line_with(&lines, "work   RUN");
    assert_eq!(work.split_whitespace().nth(2), Some("9"), "{work}");
    let other = common::line_with(&lines, "other  RUN");
    assert_eq!(other.split_whitespace().nth(2), Some("2"), "{other}");

    app.on_key(ch('k'));
    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.view(), View::Queue);
    refresh(&mut app, &inspector).await;
    assert_on_screen(
        &app,
        &["Name      work", "Active:1", "Pending:3", "Aggregating:1"],
    );
    assert_on_screen(
        &app,
        &[
            "Scheduled:1",
            "Retry:1",
            "Archived:1",
            "Completed:1",
            "t-active",
        ],
    );

    app.on_key(ch('l'));
    refresh(&mut app, &inspector).await;
    assert_eq!(app.task_state(), TaskState::Pending);
    assert_on_screen(&app, &["t-pending-1", "t-pending-2", "t-pending-3"]);

    app.on_key(ch('l'));
    refresh(&mut app, &inspector).await;
    assert_on_screen(&app, &["<<< Select group >>>", "g1"]);
    app.on_key(ch('j'));
    app.on_key(key(KeyCode::Enter));
    refresh(&mut app, &inspector).await;
    assert_on_screen(&app, &["t-grp"]);

    let expected: [(TaskState, &[&str]); 4] = [
        (
            TaskState::Scheduled,
            &["t-sched", "Next Process Time", "  in "],
        ),
        (TaskState::Retry, &["t-retry", "smtp down", "1/25"]),
        (TaskState::Archived, &["t-archived", "gave up"]),
        (TaskState::Completed, &["t-done", "Completion Time"]),
    ];
    for (state, texts) in expected {
        app.on_key(key(KeyCode::Right));
        refresh(&mut app, &inspector).await;
        assert_eq!(app.task_state(), state);
        assert_on_screen(&app, texts);
    }

    app.on_key(ch('j'));
    app.on_key(key(KeyCode::Enter));
    refresh(&mut app, &inspector).await;
    assert_on_screen(
        &app,
        &["=== Task Info ===", "ID: t-done", "State: completed"],
    );
    assert_on_screen(&app, &["Queue: work", "Payload: {\"id\":\"t-done\"}"]);

    // The task disappears while its box is open.
    inspector
        .delete_task("work", "t-done")
        .await
        .expect("delete task");
    refresh(&mut app, &inspector).await;
    assert_on_screen(&app, &["Task \"t-done\" no longer exists"]);
}

#[tokio::test]
async fn unreachable_redis_shows_an_error_line() {
    let mut node = RedisNode::start().await;
    let inspector = Inspector::connect(conn(&node)).await.expect("inspector");
    node.kill();
    let mut app = App::new(Duration::from_secs(8), HEIGHT);
    for request in app.fetches() {
        let fetched =
            tokio::time::timeout(Duration::from_secs(60), fetch::fetch(&inspector, request))
                .await
                .expect("a read of a dead Redis ends with an error");
        assert!(fetched.result.is_err());
        app.apply(fetched);
    }
    let lines = common::render(&app);
    let footer = &lines[usize::from(HEIGHT) - 1];
    assert!(app.error().is_some());
    assert!(footer.starts_with(
        app.error()
            .unwrap_or_default()
            .get(..20)
            .unwrap_or_default()
    ));
}
