//! Key handling: view transitions, row moves, tabs, pages and the reads each state asks for.

mod common;

use asynq_dash::app::{Action, View, TASK_STATES};
use asynq_dash::fetch::{Data, Fetched, Request};
use asynq_inspect::TaskState;
use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Opens queue `default` (the second row).
fn open_default() -> asynq_dash::app::App {
    let mut app = app();
    app.on_key(ch('j'));
    app.on_key(key(KeyCode::Down));
    assert_eq!(app.on_key(key(KeyCode::Enter)), Action::Fetch);
    app
}

fn tasks_request(state: TaskState, page: usize) -> Request {
    Request::Tasks {
        queue: "default".to_string(),
        state,
        page,
        page_size: 25,
    }
}

#[test]
fn starts_on_the_queue_list() {
    let app = asynq_dash::app::App::new(std::time::Duration::from_secs(8), HEIGHT);
    assert_eq!(app.view(), View::Queues);
    assert_eq!(app.fetches(), [Request::Queues]);
    assert_eq!(app.queue_row(), None);
}

#[test]
fn rows_move_and_wrap_like_go() {
    let mut app = app();
    assert_eq!(app.on_key(ch('k')), Action::None);
    assert_eq!(
        app.queue_row(),
        Some(2),
        "up from none goes to the last row"
    );
    app.on_key(key(KeyCode::Up));
    assert_eq!(app.queue_row(), Some(1));
    app.on_key(ch('j'));
    app.on_key(ch('j'));
    assert_eq!(app.queue_row(), None, "down past the end goes back to none");
    app.on_key(ch('j'));
    assert_eq!(app.queue_row(), Some(0));
}

#[test]
fn enter_without_a_row_does_nothing() {
    let mut app = app();
    assert_eq!(app.on_key(key(KeyCode::Enter)), Action::None);
    assert_eq!(app.view(), View::Queues);
}

#[test]
fn enter_opens_the_queue_on_the_active_tab() {
    let app = open_default();
    assert_eq!(app.view(), View::Queue);
    assert_eq!(app.queue().map(|q| q.queue.as_str()), Some("default"));
    assert_eq!(app.task_state(), TaskState::Active);
    assert_eq!(
        app.fetches(),
        [
            Request::Queue {
                queue: "default".to_string()
            },
            tasks_request(TaskState::Active, 1),
        ]
    );
}

#[test]
fn tabs_switch_both_ways_and_wrap() {
    let mut app = open_default();
    for (i, expected) in TASK_STATES.iter().enumerate().skip(1) {
        let k = if i % 2 == 0 {
            ch('l')
        } else {
            key(KeyCode::Right)
        };
        assert_eq!(app.on_key(k), Action::Fetch);
        assert_eq!(app.task_state(), *expected);
    }
    app.on_key(ch('l'));
    assert_eq!(
        app.task_state(),
        TaskState::Active,
        "right wraps to the first tab"
    );
    app.on_key(key(KeyCode::Left));
    assert_eq!(
        app.task_state(),
        TaskState::Completed,
        "left wraps to the last tab"
    );
    app.on_key(ch('h'));
    assert_eq!(app.task_state(), TaskState::Archived);
    assert!(app
        .fetches()
        .contains(&tasks_request(TaskState::Archived, 1)));
}

#[test]
fn tab_switch_resets_page_and_row() {
    let mut app = open_default();
    app.on_key(ch('l'));
    answer(&mut app, &tasks("p", 25, TaskState::Pending));
    app.on_key(ch('j'));
    assert_eq!(app.on_key(ch('n')), Action::Fetch);
    assert_eq!(app.page(), 2);
    app.on_key(ch('l'));
    app.on_key(ch('h'));
    assert_eq!((app.page(), app.task_row()), (1, None));
    assert!(app.tasks().is_empty());
}

#[test]
fn pages_turn_within_the_count() {
    let mut app = open_default();
    app.on_key(ch('l')); // pending: 60 tasks, 25 a page
    answer(&mut app, &tasks("p", 25, TaskState::Pending));
    assert_eq!(
        app.on_key(ch('p')),
        Action::None,
        "no page before the first"
    );
    assert_eq!(app.on_key(ch('n')), Action::Fetch);
    assert!(app
        .fetches()
        .contains(&tasks_request(TaskState::Pending, 2)));
    answer(&mut app, &tasks("p", 25, TaskState::Pending));
    app.on_key(ch('n'));
    answer(&mut app, &tasks("p", 10, TaskState::Pending));
    assert_eq!(app.page(), 3);
    assert_eq!(
        app.on_key(ch('n')),
        Action::None,
        "60 tasks: no fourth page"
    );
    assert_eq!(app.on_key(ch('p')), Action::Fetch);
    assert_eq!(app.page(), 2);
}

#[test]
fn aggregating_tab_goes_through_groups() {
    let mut app = open_default();
    app.on_key(ch('l'));
    app.on_key(ch('l'));
    assert!(app.shows_groups());
    assert!(app.fetches().contains(&Request::Groups {
        queue: "default".to_string()
    }));
    answer(&mut app, &[]);
    assert_eq!(app.groups().len(), 2);
    app.on_key(ch('j'));
    app.on_key(ch('j'));
    assert_eq!(app.group_row(), Some(1));
    assert_eq!(app.on_key(key(KeyCode::Enter)), Action::Fetch);
    assert_eq!(app.group().map(|g| g.group.as_str()), Some("g2"));
    assert!(app.fetches().contains(&Request::AggregatingTasks {
        queue: "default".to_string(),
        group: "g2".to_string(),
        page: 1,
        page_size: 25,
    }));
    assert_eq!(app.on_key(key(KeyCode::Esc)), Action::Fetch);
    assert!(app.shows_groups(), "esc returns to the group list");
    assert_eq!(app.view(), View::Queue);
}

#[test]
fn task_box_opens_refreshes_and_closes() {
    let mut app = open_default();
    answer(&mut app, &tasks("a", 1, TaskState::Active));
    app.on_key(ch('j'));
    assert_eq!(app.on_key(key(KeyCode::Enter)), Action::Fetch);
    assert_eq!(app.task_id(), Some("a-1"));
    assert_eq!(app.task().map(|t| t.id.as_str()), Some("a-1"));
    assert!(app.fetches().contains(&Request::Task {
        queue: "default".to_string(),
        id: "a-1".to_string()
    }));
    assert_eq!(
        app.on_key(ch('l')),
        Action::None,
        "tabs are locked while the box is open"
    );
    assert_eq!(app.on_key(ch('n')), Action::None);
    assert_eq!(app.on_key(ch('q')), Action::None);
    assert_eq!(app.task_id(), None);
    assert_eq!(app.view(), View::Queue, "q closes the box first");
}

#[test]
fn back_leaves_the_queue_then_quits() {
    let mut app = open_default();
    assert_eq!(app.on_key(key(KeyCode::Esc)), Action::Fetch);
    assert_eq!(app.view(), View::Queues);
    assert_eq!(app.fetches(), [Request::Queues]);
    assert_eq!(app.on_key(ch('q')), Action::Quit);
}

#[test]
fn ctrl_c_quits_anywhere_and_ctrl_l_repaints() {
    let mut app = open_default();
    let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    assert_eq!(app.on_key(ctrl('l')), Action::Repaint);
    assert_eq!(app.on_key(ctrl('c')), Action::Quit);
}

#[test]
fn help_overlays_and_returns() {
    let mut app = open_default();
    assert_eq!(app.on_key(ch('?')), Action::None);
    assert_eq!(app.view(), View::Help);
    assert_eq!(app.base_view(), View::Queue);
    assert_eq!(app.on_key(ch('j')), Action::None);
    assert_eq!(app.on_key(ch('l')), Action::None);
    assert_eq!(app.task_state(), TaskState::Active);
    assert_eq!(app.on_key(key(KeyCode::Esc)), Action::Fetch);
    assert_eq!(app.view(), View::Queue);
}

#[test]
fn answers_to_old_requests_are_dropped() {
    let mut app = open_default();
    app.on_key(ch('l')); // pending now; an active listing is stale
    app.apply(Fetched {
        request: tasks_request(TaskState::Active, 1),
        result: Ok(Data::Tasks(tasks("old", 3, TaskState::Active))),
    });
    assert!(app.tasks().is_empty());
    app.apply(Fetched {
        request: tasks_request(TaskState::Pending, 1),
        result: Ok(Data::Tasks(tasks("new", 3, TaskState::Pending))),
    });
    assert_eq!(app.tasks().len(), 3);
}

#[test]
fn shrinking_lists_keep_the_row_inside() {
    let mut app = open_default();
    answer(&mut app, &tasks("a", 5, TaskState::Active));
    app.on_key(ch('k'));
    assert_eq!(app.task_row(), Some(4));
    answer(&mut app, &tasks("a", 2, TaskState::Active));
    assert_eq!(app.task_row(), Some(1));
}

#[test]
fn height_sets_the_page_size() {
    let mut app = open_default();
    assert_eq!(app.task_page_size(), 25);
    assert!(!app.set_height(HEIGHT));
    assert!(app.set_height(30));
    assert!(app.fetches().contains(&Request::Tasks {
        queue: "default".to_string(),
        state: TaskState::Active,
        page: 1,
        page_size: 15,
    }));
    app.set_height(3);
    assert_eq!(app.task_page_size(), 1, "never below one row");
}
