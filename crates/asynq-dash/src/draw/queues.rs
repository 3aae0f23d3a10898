//! The queue list: a size graph per queue, its legend and the queue table.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use asynq_inspect::{QueueInfo, TaskState};

use super::{columns, table, title};
use crate::app::{state_count, App, TASK_STATES};

const TICK: &str = "▇";

/// The graph color of a task state (Go's bar graph styles).
pub fn state_color(state: TaskState) -> Color {
    match state {
        TaskState::Active => Color::Blue,
        TaskState::Pending => Color::Green,
        TaskState::Aggregating => Color::LightGreen,
        TaskState::Scheduled => Color::Yellow,
        TaskState::Retry => Color::LightRed,
        TaskState::Archived => Color::Magenta,
        TaskState::Completed => Color::Cyan,
    }
}

/// Renders the queue list in `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let queues = app.queues();
    let graph_rows = u16::try_from(queues.len()).unwrap_or(u16::MAX);
    let [head, graphs, _, legend, _, rest] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(graph_rows),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(title("=== Queues ==="), head);
    frame.render_widget(Paragraph::new(graph_lines(queues, graphs.width)), graphs);
    frame.render_widget(Paragraph::new(legend_line()), legend);
    if queues.is_empty() {
        frame.render_widget(Paragraph::new("No queues"), rest);
    } else {
        table::render(frame, rest, &columns::QUEUE, queues, app.queue_row());
    }
}

fn graph_lines(queues: &[QueueInfo], width: u16) -> Vec<Line<'static>> {
    let name_width = queues
        .iter()
        .map(|q| q.queue.chars().count())
        .max()
        .unwrap_or(0);
    let size_width = queues
        .iter()
        .map(|q| q.size.to_string().len())
        .max()
        .unwrap_or(0);
    let max_size = queues.iter().map(|q| q.size).max().unwrap_or(1).max(1);
    // <name> |<graph> <size>
    let graph_width = usize::from(width).saturating_sub(name_width + size_width + 3);
    let scale = if (graph_width as i64) < max_size {
        graph_width as f64 / max_size as f64
    } else {
        1.0
    };
    queues
        .iter()
        .map(|q| {
            let mut spans = vec![Span::raw(format!("{:<name_width$} |", q.queue))];
            for state in TASK_STATES {
                let n = (state_count(q, state).max(0) as f64 * scale).floor() as usize;
                spans.push(Span::styled(
                    TICK.repeat(n),
                    Style::new().fg(state_color(state)),
                ));
            }
            spans.push(Span::raw(format!(" {}", q.size)));
            Line::from(spans)
        })
        .collect()
}

fn legend_line() -> Line<'static> {
    let mut spans = Vec::new();
    for (i, state) in TASK_STATES.into_iter().enumerate() {
        let sep = if i == 0 { "" } else { " " };
        spans.push(Span::raw(format!("{sep}{state}=")));
        spans.push(Span::styled(TICK, Style::new().fg(state_color(state))));
    }
    Line::from(spans)
}
