//! One queue: its summary, the state tabs and the task (or group) table with pagination.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use asynq_inspect::QueueInfo;

use super::{columns, format, table, title};
use crate::app::{state_count, App, TASK_STATES};

/// Renders the opened queue in `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let Some(queue) = app.queue() else {
        frame.render_widget(Paragraph::new("ERROR: Press q to go back"), area);
        return;
    };
    // Rows: title, blank, 4 summary lines, 2 blanks, title, blank, tabs, blank = 12, then the
    // table and one line of pagination (the footer is drawn below `area`).
    let [head, summary, _, tasks_head, tabs, _, body, pages] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(4),
        Constraint::Length(2),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(title("=== Queue Summary ==="), head);
    frame.render_widget(Paragraph::new(summary_lines(queue)), summary);
    frame.render_widget(title("=== Tasks ==="), tasks_head);
    frame.render_widget(Paragraph::new(tab_line(app, queue)), tabs);
    if app.shows_groups() {
        render_groups(frame, body, pages, app);
    } else {
        render_tasks(frame, body, pages, app);
    }
}

fn summary_lines(q: &QueueInfo) -> Vec<Line<'static>> {
    let label = |s: &'static str| Span::styled(s, Style::new().fg(Color::Gray));
    let name = if q.paused {
        format!("{} (paused)", q.queue)
    } else {
        q.queue.clone()
    };
    vec![
        Line::from(vec![label("Name      "), Span::raw(name)]),
        Line::from(vec![label("Size      "), Span::raw(q.size.to_string())]),
        Line::from(vec![
            label("Latency   "),
            Span::raw(format::duration(q.latency)),
        ]),
        Line::from(vec![
            label("MemUsage  "),
            Span::raw(format::byte_count(q.memory_usage)),
        ]),
    ]
}

/// `Active:1    Pending:3    ...` with the selected state bold and underlined.
fn tab_line(app: &App, q: &QueueInfo) -> Line<'static> {
    let mut spans = Vec::new();
    for state in TASK_STATES {
        let name = state.as_str();
        let mut title = name[..1].to_uppercase();
        title.push_str(&name[1..]);
        let text = format!("{title}:{}", state_count(q, state));
        let style = if state == app.task_state() {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED | Modifier::REVERSED)
        } else {
            Style::new()
        };
        spans.push(Span::styled(text, style));
        spans.push(Span::raw("    "));
    }
    Line::from(spans)
}

fn render_tasks(frame: &mut Frame, body: Rect, pages: Rect, app: &App) {
    let tasks = app.tasks();
    if tasks.is_empty() {
        let text = format!("No {} tasks", app.task_state());
        frame.render_widget(Paragraph::new(text).style(dim()), body);
        return;
    }
    let cols = columns::tasks(app.task_state());
    table::render(frame, body, &cols, tasks, app.task_row());
    let total = app.task_total();
    if app.task_page_size() < total || app.page() > 1 {
        let start = (app.page() - 1) * app.task_page_size() + 1;
        let end = start + tasks.len() - 1;
        let mut text = format!("Showing {start}-{end} out of {total}");
        if end < total {
            text.push_str("  n=NextPage");
        }
        if app.page() > 1 {
            text.push_str("  p=PrevPage");
        }
        frame.render_widget(Paragraph::new(text).style(dim()), pages);
    }
}

fn render_groups(frame: &mut Frame, body: Rect, pages: Rect, app: &App) {
    let groups = app.page_groups();
    if groups.is_empty() {
        frame.render_widget(Paragraph::new("No groups").style(dim()), body);
        return;
    }
    let [head, rows] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(body);
    frame.render_widget(Paragraph::new("<<< Select group >>>"), head);
    table::render(frame, rows, &columns::GROUP, groups, app.group_row());
    let total = app.groups().len();
    if app.group_page_size() < total {
        let start = (app.page() - 1) * app.group_page_size() + 1;
        let end = start + groups.len() - 1;
        let mut text = format!("Showing {start}-{end} out of {total}");
        if end < total {
            text.push_str("  n=NextPage");
        }
        if start > 1 {
            text.push_str("  p=PrevPage");
        }
        frame.render_widget(Paragraph::new(text).style(dim()), pages);
    }
}

fn dim() -> Style {
    Style::new().fg(Color::Gray)
}
