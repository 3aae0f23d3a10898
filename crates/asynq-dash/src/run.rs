//! [`run`]: the event loop that owns the terminal, reads keys, runs reads in the background and
//! redraws.

use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::task::JoinSet;
use tokio::time::{interval_at, Instant, MissedTickBehavior};

use asynq_inspect::Inspector;

use crate::app::{Action, App};
use crate::error::DashError;
use crate::fetch::{self, Fetched};
use crate::terminal::Tui;

/// Settings of the dashboard (Go `dash.Options`).
#[derive(Debug, Clone)]
pub struct DashOptions {
    /// Time between two reads of the data shown (Go `--refresh`, default 8 s, at least 1 s).
    pub refresh: Duration,
}

impl Default for DashOptions {
    fn default() -> Self {
        DashOptions {
            refresh: Duration::from_secs(8),
        }
    }
}

/// Runs the dashboard on this process's terminal until the user quits (`q` or `Esc` on the
/// queue list, `Ctrl+C` anywhere).
///
/// Data is read in background tasks, so a slow or unreachable Redis never blocks the keys; a
/// failed read shows on the error line until the next read succeeds. The terminal is restored
/// on return, on error and on panic.
///
/// # Errors
/// [`DashError::RefreshTooShort`] for a refresh below 1 s; [`DashError::Terminal`] when the
/// terminal cannot be set up, read or drawn on.
pub async fn run(inspector: Inspector, opts: DashOptions) -> Result<(), DashError> {
    if opts.refresh < Duration::from_secs(1) {
        return Err(DashError::RefreshTooShort);
    }
    let mut tui = Tui::enter()?;
    let result = event_loop(&mut tui, inspector, &opts).await;
    let restored = tui.restore();
    result?;
    Ok(restored?)
}

async fn event_loop(
    tui: &mut Tui,
    inspector: Inspector,
    opts: &DashOptions,
) -> Result<(), DashError> {
    let mut app = App::new(opts.refresh, tui.terminal.size()?.height);
    let mut events = EventStream::new();
    let mut ticker = interval_at(Instant::now() + opts.refresh, opts.refresh);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut reads: JoinSet<Fetched> = JoinSet::new();
    start_reads(&mut reads, &inspector, &app);
    loop {
        tui.terminal.draw(|frame| crate::draw::draw(frame, &app))?;
        tokio::select! {
            event = events.next() => {
                let Some(event) = event else { return Ok(()) };
                match event? {
                    Event::Key(key) if key.kind != KeyEventKind::Release => match app.on_key(key) {
                        Action::Quit => return Ok(()),
                        Action::Repaint => tui.terminal.clear()?,
                        Action::Fetch => {
                            reads.abort_all();
                            start_reads(&mut reads, &inspector, &app);
                            ticker.reset();
                        }
                        Action::None => {}
                    },
                    Event::Resize(_, height) => {
                        tui.terminal.autoresize()?;
                        if app.set_height(height) {
                            reads.abort_all();
                            start_reads(&mut reads, &inspector, &app);
                        }
                    }
                    _ => {}
                }
            }
            _ = ticker.tick() => {
                // A read still under way (Redis slow or unreachable) is not started again.
                if reads.is_empty() {
                    start_reads(&mut reads, &inspector, &app);
                }
            }
            Some(done) = reads.join_next() => {
                // An aborted read has nothing to show.
                if let Ok(fetched) = done {
                    app.apply(fetched);
                }
            }
        }
    }
}

fn start_reads(reads: &mut JoinSet<Fetched>, inspector: &Inspector, app: &App) {
    for request in app.fetches() {
        let inspector = inspector.clone();
        reads.spawn(async move { fetch::fetch(&inspector, request).await });
    }
}
