//! Each view drawn from fixed data on ratatui's `TestBackend`.

mod common;

use asynq_dash::fetch::{Fetched, Request};
use asynq_inspect::{InspectError, TaskState};
use bytes::Bytes;
use common::*;
use crossterm::event::KeyCode;

#[test]
fn queue_list_shows_graphs_and_table() {
    let app = app();
    let lines = render(&app);
    assert_eq!(lines[0].trim_end(), "=== Queues ===");
    // Size graph: name, bar, size.
    let bar = line_with(&lines, "default  |");
    assert!(
        bar.contains('▇') && bar.trim_end().ends_with(" 69"),
        "{bar}"
    );
    let legend = line_with(&lines, "active=");
    for state in [
        "pending=",
        "aggregating=",
        "scheduled=",
        "retry=",
        "archived=",
        "completed=",
    ] {
        assert!(legend.contains(state), "{legend}");
    }
    let header = line_with(&lines, "MemoryUsage");
    let titles = [
        "Queue",
        "State",
        "Size",
        "Latency",
        "MemoryUsage",
        "Processed",
        "Failed",
        "ErrorRate",
    ];
    let words: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(words, titles);
    let critical = line_with(&lines, "critical  ");
    let words: Vec<&str> = critical.split_whitespace().collect();
    assert_eq!(
        words,
        ["critical", "PAUSED", "3", "3s", "1.5", "kB", "8", "2", "0.25"]
    );
    let default = line_with(&lines, "default   RUN");
    assert!(
        default.contains("RUN") && default.contains("69"),
        "{default}"
    );
    assert!(lines[39].contains("<?>: Help") && lines[39].contains("<Ctrl+C>: Exit"));
    assert!(lines[39].contains("refresh: 8s"));
}

#[test]
fn highlighted_queue_row_is_reversed() {
    let mut app = app();
    app.on_key(ch('j'));
    app.on_key(ch('j'));
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(WIDTH, HEIGHT)).expect("term");
    terminal
        .draw(|f| asynq_dash::draw::draw(f, &app))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    let lines = render(&app);
    let y = lines
        .iter()
        .position(|l| l.starts_with("default") && l.contains("RUN"))
        .expect("default row");
    let style = buffer[(0, u16::try_from(y).expect("row"))].modifier;
    assert!(style.contains(ratatui::style::Modifier::REVERSED));
}

#[test]
fn queue_detail_shows_summary_tabs_and_tasks() {
    let mut app = app();
    app.on_key(ch('j'));
    app.on_key(ch('j'));
    app.on_key(key(KeyCode::Enter));
    app.on_key(ch('l')); // pending
    answer(&mut app, &tasks("p", 25, TaskState::Pending));
    let lines = render(&app);
    assert_eq!(lines[0].trim_end(), "=== Queue Summary ===");
    assert!(line_with(&lines, "Name").contains("default"));
    assert!(line_with(&lines, "Size ").contains("69"));
    assert!(line_with(&lines, "Latency").contains("3s"));
    assert!(line_with(&lines, "MemUsage").contains("1.5 kB"));
    line_with(&lines, "=== Tasks ===");
    let tabs = line_with(&lines, "Active:1");
    for tab in [
        "Pending:60",
        "Aggregating:3",
        "Scheduled:2",
        "Retry:1",
        "Archived:1",
        "Completed:1",
    ] {
        assert!(tabs.contains(tab), "{tabs}");
    }
    let header = line_with(&lines, "Max Retry");
    assert!(header.contains("ID") && header.contains("Payload"));
    let row = line_with(&lines, "p-1 ");
    let words: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(words, ["p-1", "email:send", "2", "25", "{\"user\":42}"]);
    line_with(&lines, "p-25 ");
    let pages = line_with(&lines, "Showing");
    assert_eq!(pages.trim_end(), "Showing 1-25 out of 60  n=NextPage");
}

#[test]
fn second_page_offers_both_directions() {
    let mut app = app();
    for k in [ch('j'), ch('j'), key(KeyCode::Enter), ch('l')] {
        app.on_key(k);
    }
    answer(&mut app, &tasks("p", 25, TaskState::Pending));
    app.on_key(ch('n'));
    answer(&mut app, &tasks("q", 25, TaskState::Pending));
    let lines = render(&app);
    let pages = line_with(&lines, "Showing");
    assert_eq!(
        pages.trim_end(),
        "Showing 26-50 out of 60  n=NextPage  p=PrevPage"
    );
}

#[test]
fn each_state_tab_has_its_columns() {
    let mut app = app();
    for k in [ch('j'), ch('j'), key(KeyCode::Enter)] {
        app.on_key(k);
    }
    let mut retry = task("r-1", TaskState::Retry);
    retry.last_err = "smtp down".to_string();
    retry.last_failed_at = Some(past());
    retry.next_process_at = Some(future());
    let mut done = task("c-1", TaskState::Completed);
    done.completed_at = Some(past());
    done.result = Some(Bytes::from_static(b"sent"));
    let cases: [(char, usize, Vec<asynq_inspect::TaskInfo>, &[&str]); 4] = [
        ('l', 3, vec![retry.clone()], &["Next Process Time", "in "]), // scheduled
        (
            'l',
            4,
            vec![retry.clone()],
            &["Last Failure", "smtp down", "ago", "2/25"],
        ), // retry
        ('l', 5, vec![retry], &["Last Failure Time", "smtp down"]),   // archived
        ('l', 6, vec![done], &["Completion Time", "Result", "sent"]), // completed
    ];
    app.on_key(ch('l')); // pending
    app.on_key(ch('l')); // aggregating
    for (k, tab, listed, texts) in cases {
        app.on_key(ch(k));
        assert_eq!(app.task_state(), asynq_dash::app::TASK_STATES[tab]);
        answer(&mut app, &listed);
        let screen = screen(&app);
        for text in texts {
            assert!(
                screen.contains(text),
                "{text:?} missing on tab {tab}:\n{screen}"
            );
        }
    }
}

#[test]
fn aggregating_tab_lists_groups_then_group_tasks() {
    let mut app = app();
    for k in [ch('j'), ch('j'), key(KeyCode::Enter), ch('l'), ch('l')] {
        app.on_key(k);
    }
    answer(&mut app, &[]);
    let lines = render(&app);
    line_with(&lines, "<<< Select group >>>");
    let g1: Vec<String> = line_with(&lines, "g1 ")
        .split_whitespace()
        .map(String::from)
        .collect();
    assert_eq!(g1, ["g1", "2"]);
    line_with(&lines, "g2 ");
    app.on_key(ch('j'));
    app.on_key(key(KeyCode::Enter));
    let mut t = task("a-1", TaskState::Aggregating);
    t.group = "g1".to_string();
    answer(&mut app, &[t]);
    let lines = render(&app);
    let row = line_with(&lines, "a-1 ");
    assert!(row.trim_end().ends_with("g1"), "{row}");
    assert!(!lines.iter().any(|l| l.contains("Select group")));
}

#[test]
fn task_box_shows_every_field() {
    let mut app = app();
    for k in [
        ch('j'),
        ch('j'),
        key(KeyCode::Enter),
        ch('h'),
        ch('h'),
        ch('h'),
    ] {
        app.on_key(k);
    }
    assert_eq!(app.task_state(), TaskState::Retry);
    let mut t = task("r-1", TaskState::Retry);
    t.last_err = "smtp down".to_string();
    t.last_failed_at = Some(past());
    t.next_process_at = Some(future());
    t.result = Some(Bytes::from_static(b"partial"));
    answer(&mut app, std::slice::from_ref(&t));
    app.on_key(ch('j'));
    app.on_key(key(KeyCode::Enter));
    answer(&mut app, &[t]);
    let screen = screen(&app);
    for text in [
        "=== Task Info ===",
        "ID: r-1",
        "Type: email:send",
        "State: retry",
        "Queue: default",
        "Retry: 2/25",
        "Last Failure: smtp down",
        "Last Failure Time: 2020-01-01 00:00:00 UTC (",
        "Next Process Time: 2099-01-01 00:00:00 UTC (in ",
        "Payload: {\"user\":42}",
        "Result: partial",
    ] {
        assert!(screen.contains(text), "{text:?} missing:\n{screen}");
    }
}

#[test]
fn task_box_says_when_the_task_is_gone() {
    let mut app = app();
    for k in [ch('j'), ch('j'), key(KeyCode::Enter)] {
        app.on_key(k);
    }
    answer(&mut app, &tasks("x", 1, TaskState::Active));
    app.on_key(ch('j'));
    app.on_key(key(KeyCode::Enter));
    let request = Request::Task {
        queue: "default".to_string(),
        id: "x-1".to_string(),
    };
    let gone = InspectError::TaskNotFound {
        queue: "default".to_string(),
        id: "x-1".to_string(),
    };
    app.apply(Fetched {
        request,
        result: Err(gone),
    });
    assert!(screen(&app).contains("Task \"x-1\" no longer exists"));
    assert_eq!(app.error(), None);
}

#[test]
fn help_box_lists_the_keys() {
    let mut app = app();
    app.on_key(ch('?'));
    let lines = render(&app);
    let screen = lines.join("\n");
    for text in [
        "=== Help ===",
        "<Enter>",
        "to select",
        "to go back",
        "<UpArrow> or <k>",
        "<DownArrow> or <j>",
        "<LeftArrow> or <h>",
        "<RightArrow> or <l>",
        "next / previous page",
        "<Ctrl+C>",
        "to quit",
    ] {
        assert!(screen.contains(text), "{text:?} missing:\n{screen}");
    }
    assert!(lines[39].starts_with("<Esc>: GoBack"));
}

#[test]
fn failed_read_shows_the_error_line_until_a_read_succeeds() {
    let mut app = app();
    app.apply(Fetched {
        request: Request::Queues,
        result: Err(InspectError::FailedPrecondition(
            "connection refused".to_string(),
        )),
    });
    let lines = render(&app);
    assert!(lines[39].starts_with("connection refused"), "{}", lines[39]);
    assert!(
        lines.iter().any(|l| l.starts_with("critical ")),
        "old data stays"
    );
    answer(&mut app, &[]);
    assert!(render(&app)[39].contains("<?>: Help"));
}

#[test]
fn empty_states_say_so() {
    let mut app = asynq_dash::app::App::new(std::time::Duration::from_secs(8), HEIGHT);
    assert!(screen(&app).contains("No queues"));
    answer(&mut app, &[]);
    for k in [ch('j'), key(KeyCode::Enter)] {
        app.on_key(k);
    }
    answer(&mut app, &[]);
    assert!(screen(&app).contains("No active tasks"));
}
