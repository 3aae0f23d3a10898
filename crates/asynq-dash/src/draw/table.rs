//! A table whose columns are as wide as their widest cell (Go's `drawTable`).

use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table, TableState};
use ratatui::Frame;

/// One column: its title, its alignment and how a row of `T` reads in it.
pub struct Column<T> {
    /// Column title.
    pub title: &'static str,
    /// Right-aligned (numbers) or left-aligned.
    pub right: bool,
    /// The cell text of a row.
    pub cell: fn(&T) -> String,
}

impl<T> Column<T> {
    /// A left-aligned column.
    pub const fn left(title: &'static str, cell: fn(&T) -> String) -> Self {
        Column {
            title,
            right: false,
            cell,
        }
    }

    /// A right-aligned column.
    pub const fn right(title: &'static str, cell: fn(&T) -> String) -> Self {
        Column {
            title,
            right: true,
            cell,
        }
    }
}

/// Renders `rows` in `area` with a bold header, highlighting row `selected`.
pub fn render<T>(
    frame: &mut Frame,
    area: Rect,
    columns: &[Column<T>],
    rows: &[T],
    selected: Option<usize>,
) {
    let texts: Vec<Vec<String>> = rows
        .iter()
        .map(|r| columns.iter().map(|c| (c.cell)(r)).collect())
        .collect();
    let widths: Vec<Constraint> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let widest = texts
                .iter()
                .map(|r| Line::from(r[i].as_str()).width())
                .chain([c.title.len()])
                .max()
                .unwrap_or(0);
            Constraint::Length(u16::try_from(widest).unwrap_or(u16::MAX))
        })
        .collect();
    let align = |c: &Column<T>| {
        if c.right {
            Alignment::Right
        } else {
            Alignment::Left
        }
    };
    let header = Row::new(
        columns
            .iter()
            .map(|c| Cell::from(Line::from(c.title).alignment(align(c)))),
    )
    .style(Style::new().add_modifier(Modifier::BOLD));
    let body = texts.into_iter().map(|r| {
        Row::new(
            r.into_iter()
                .zip(columns)
                .map(|(text, c)| Cell::from(Line::from(text).alignment(align(c)))),
        )
    });
    let table = Table::new(body, widths)
        .header(header)
        .column_spacing(2)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
}
