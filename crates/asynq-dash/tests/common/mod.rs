//! Fixed data and a `TestBackend` renderer shared by the dashboard tests.

#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use asynq_dash::app::App;
use asynq_dash::fetch::{Data, Fetched, Request};
use asynq_inspect::{GroupInfo, QueueInfo, TaskInfo, TaskState};
use bytes::Bytes;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use time::macros::datetime;
use time::OffsetDateTime;

/// Screen size used by the render tests.
pub const WIDTH: u16 = 140;
/// Screen height: 40 rows, so 25 tasks per page.
pub const HEIGHT: u16 = 40;

/// A queue with these counts (active, pending, aggregating, scheduled, retry, archived,
/// completed).
pub fn queue(name: &str, counts: [i64; 7]) -> QueueInfo {
    let [active, pending, aggregating, scheduled, retry, archived, completed] = counts;
    QueueInfo {
        queue: name.to_string(),
        memory_usage: 1500,
        latency: Duration::from_secs(3),
        size: counts.iter().sum(),
        groups: 0,
        pending,
        active,
        scheduled,
        retry,
        archived,
        completed,
        aggregating,
        processed: 8,
        failed: 2,
        processed_total: 100,
        failed_total: 10,
        paused: false,
        timestamp: datetime!(2024-05-01 12:00:00 UTC),
    }
}

/// Queues `critical` (paused), `default` and `low`.
pub fn queues() -> Vec<QueueInfo> {
    let mut critical = queue("critical", [1, 2, 0, 0, 0, 0, 0]);
    critical.paused = true;
    vec![
        critical,
        queue("default", [1, 60, 3, 2, 1, 1, 1]),
        queue("low", [0, 0, 0, 0, 0, 0, 0]),
    ]
}

/// A task of queue `default` in `state`.
pub fn task(id: &str, state: TaskState) -> TaskInfo {
    TaskInfo {
        id: id.to_string(),
        queue: "default".to_string(),
        task_type: "email:send".to_string(),
        payload: Bytes::from_static(b"{\"user\":42}"),
        headers: HashMap::new(),
        state,
        max_retry: 25,
        retried: 2,
        last_err: String::new(),
        last_failed_at: None,
        timeout: Duration::from_secs(1800),
        deadline: None,
        group: String::new(),
        next_process_at: None,
        is_orphaned: false,
        retention: Duration::ZERO,
        completed_at: None,
        result: None,
    }
}

/// `n` tasks `<prefix>-1` ... in `state`.
pub fn tasks(prefix: &str, n: usize, state: TaskState) -> Vec<TaskInfo> {
    (1..=n)
        .map(|i| task(&format!("{prefix}-{i}"), state))
        .collect()
}

/// Groups `g1` (2 tasks) and `g2` (1 task).
pub fn groups() -> Vec<GroupInfo> {
    vec![
        GroupInfo {
            group: "g1".to_string(),
            size: 2,
        },
        GroupInfo {
            group: "g2".to_string(),
            size: 1,
        },
    ]
}

/// Answers every read the app asks for with the fixed data: the queues, `tasks` for a task
/// listing, the groups, and the listed task itself for a task read.
pub fn answer(app: &mut App, tasks: &[TaskInfo]) {
    for request in app.fetches() {
        let data = match &request {
            Request::Queues => Data::Queues(queues()),
            Request::Queue { queue } => {
                let q = queues().into_iter().find(|q| q.queue == *queue);
                Data::Queue(q.expect("known queue"))
            }
            Request::Groups { .. } => Data::Groups(groups()),
            Request::Tasks { .. } | Request::AggregatingTasks { .. } => Data::Tasks(tasks.to_vec()),
            Request::Task { id, .. } => {
                let t = tasks.iter().find(|t| t.id == *id).expect("listed task");
                Data::Task(Box::new(t.clone()))
            }
        };
        app.apply(Fetched {
            request,
            result: Ok(data),
        });
    }
}

/// A fresh app of [`HEIGHT`] rows, fed with the queue list.
pub fn app() -> App {
    let mut app = App::new(Duration::from_secs(8), HEIGHT);
    answer(&mut app, &[]);
    app
}

/// A key press without modifiers.
pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// A character key press.
pub fn ch(c: char) -> KeyEvent {
    key(KeyCode::Char(c))
}

/// The screen lines of `app` drawn on a [`WIDTH`] × [`HEIGHT`] test terminal.
pub fn render(app: &App) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal");
    terminal
        .draw(|frame| asynq_dash::draw::draw(frame, app))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

/// The rendered screen as one string, for `contains` checks.
pub fn screen(app: &App) -> String {
    render(app).join("\n")
}

/// The first line holding `needle`; panics with the screen when none does.
pub fn line_with(lines: &[String], needle: &str) -> String {
    lines
        .iter()
        .find(|l| l.contains(needle))
        .cloned()
        .unwrap_or_else(|| panic!("no line with {needle:?} on screen:\n{}", lines.join("\n")))
}

/// A time far in the future, so relative times read "in ...".
pub fn future() -> OffsetDateTime {
    datetime!(2099-01-01 00:00:00 UTC)
}

/// A time in the past.
pub fn past() -> OffsetDateTime {
    datetime!(2020-01-01 00:00:00 UTC)
}
