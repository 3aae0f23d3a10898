//! Boxes drawn over a view: the task details and the help.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;
use time::OffsetDateTime;

use asynq_inspect::TaskInfo;

use super::format;

/// The box area: 60% of the screen, 20% from the top left (Go's `withModal`).
pub fn area(screen: Rect) -> Rect {
    let w = screen.width * 3 / 5;
    let h = screen.height * 3 / 5;
    Rect::new(
        screen.x + screen.width / 5,
        screen.y + screen.height / 5,
        w,
        h,
    )
}

/// Draws `lines` in a bordered box over `screen`.
pub fn render(frame: &mut Frame, screen: Rect, lines: Vec<Line<'static>>) {
    let area = area(screen);
    if area.height < 3 {
        return;
    }
    frame.render_widget(Clear, area);
    let block = Block::bordered().padding(ratatui::widgets::Padding::horizontal(1));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn bold(s: &'static str) -> Line<'static> {
    Line::from(Span::styled(s, Style::new().add_modifier(Modifier::BOLD)))
}

fn field(label: &'static str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(label, Style::new().fg(Color::Gray)),
        Span::raw(value),
    ])
}

/// The task box lines: the task's fields, or a note that task `id` is gone.
pub fn task_lines(id: &str, task: Option<&TaskInfo>, now: OffsetDateTime) -> Vec<Line<'static>> {
    let mut lines = vec![bold("=== Task Info ==="), Line::raw("")];
    let Some(t) = task else {
        lines.push(Line::raw(format!("Task {id:?} no longer exists")));
        return lines;
    };
    let at = |t: OffsetDateTime, rel: String| format!("{} ({rel})", format::timestamp(t));
    lines.push(field("ID: ", t.id.clone()));
    lines.push(field("Type: ", t.task_type.clone()));
    lines.push(field("State: ", t.state.to_string()));
    lines.push(field("Queue: ", t.queue.clone()));
    lines.push(field("Retry: ", format!("{}/{}", t.retried, t.max_retry)));
    if !t.last_err.is_empty() {
        lines.push(field("Last Failure: ", t.last_err.clone()));
        if let Some(f) = t.last_failed_at {
            let text = at(f, format::past_time(f, now));
            lines.push(field("Last Failure Time: ", text));
        }
    }
    if let Some(n) = t.next_process_at {
        let text = at(n, format::next_process_time(n, now));
        lines.push(field("Next Process Time: ", text));
    }
    if let Some(c) = t.completed_at {
        lines.push(field("Completion Time: ", at(c, format::past_time(c, now))));
    }
    lines.push(field("Payload: ", format::bytes(&t.payload)));
    if let Some(r) = &t.result {
        lines.push(field("Result: ", format::bytes(r)));
    }
    lines
}

/// The help box lines.
pub fn help_lines() -> Vec<Line<'static>> {
    let key = |k: &'static str, what: &'static str| {
        Line::from(vec![
            Span::styled(k, Style::new().fg(Color::Gray).add_modifier(Modifier::BOLD)),
            Span::raw(what),
        ])
    };
    vec![
        bold("=== Help ==="),
        Line::raw(""),
        key("<Enter>              ", "to select"),
        key(
            "<Esc> or <q>         ",
            "to go back (quit from the queue list)",
        ),
        key("<UpArrow> or <k>     ", "to move up"),
        key("<DownArrow> or <j>   ", "to move down"),
        key("<LeftArrow> or <h>   ", "to move left"),
        key("<RightArrow> or <l>  ", "to move right"),
        key("<n> / <p>            ", "for the next / previous page"),
        key("<Ctrl+L>             ", "to redraw the screen"),
        key("<Ctrl+C>             ", "to quit"),
    ]
}
