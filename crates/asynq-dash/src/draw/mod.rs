//! Rendering an [`App`] into a ratatui [`Frame`]; no terminal or Redis involved, so any
//! backend (a real terminal, or `TestBackend` in tests) shows the same screen.

mod columns;
pub mod format;
mod modal;
mod queue;
mod queues;
mod table;

use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use time::OffsetDateTime;

use crate::app::{App, View};

/// Draws the whole screen: the view, the task or help box over it, and the footer line.
pub fn draw(frame: &mut Frame, app: &App) {
    let screen = frame.area();
    let [body, footer] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(screen);
    match app.base_view() {
        View::Queue => queue::render(frame, body, app),
        _ => queues::render(frame, body, app),
    }
    if app.base_view() == View::Queue {
        if let Some(id) = app.task_id() {
            let lines = modal::task_lines(id, app.task(), OffsetDateTime::now_utc());
            modal::render(frame, screen, lines);
        }
    }
    if app.view() == View::Help {
        modal::render(frame, screen, modal::help_lines());
    }
    frame.render_widget(footer_line(app), footer);
}

fn footer_line(app: &App) -> Paragraph<'static> {
    if let Some(err) = app.error() {
        let style = Style::new().bg(Color::Red).fg(Color::White);
        return Paragraph::new(err.to_string()).style(style);
    }
    let style = Style::new().bg(Color::DarkGray).fg(Color::White);
    let text = match app.view() {
        View::Help => "<Esc>: GoBack".to_string(),
        _ => format!(
            "<?>: Help    <Ctrl+C>: Exit    refresh: {}",
            format::duration(app.refresh())
        ),
    };
    Paragraph::new(text).style(style)
}

/// A bold section title followed by a blank line.
fn title(text: &'static str) -> Paragraph<'static> {
    Paragraph::new(text).style(Style::new().add_modifier(Modifier::BOLD))
}
