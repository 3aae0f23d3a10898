//! The terminal in dashboard mode (raw mode, alternate screen, hidden cursor), put back on
//! drop and on panic.

use std::io::{self, Stdout};
use std::panic::{self, PanicHookInfo};
use std::sync::Arc;

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

type Hook = Arc<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Owns the terminal while the dashboard runs.
pub struct Tui {
    /// The ratatui terminal on stdout.
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
    previous_hook: Hook,
    restored: bool,
}

impl Tui {
    /// Switches the terminal to dashboard mode and installs a panic hook that restores it
    /// before the previous hook prints the panic.
    pub fn enter() -> io::Result<Tui> {
        // Raw mode first: when it fails (no terminal) there is nothing to undo.
        enable_raw_mode()?;
        let terminal = match Terminal::new(CrosstermBackend::new(io::stdout())) {
            Ok(t) => t,
            Err(e) => {
                let _ = disable_raw_mode();
                return Err(e);
            }
        };
        let previous_hook: Hook = Arc::from(panic::take_hook());
        let chained = previous_hook.clone();
        panic::set_hook(Box::new(move |info| {
            restore_terminal();
            chained(info);
        }));
        // From here on, dropping `tui` (on any error below) restores the terminal and the hook.
        let mut tui = Tui {
            terminal,
            previous_hook,
            restored: false,
        };
        execute!(io::stdout(), EnterAlternateScreen, Hide)?;
        tui.terminal.clear()?;
        Ok(tui)
    }

    /// Puts the terminal back and the previous panic hook in place.
    pub fn restore(&mut self) -> io::Result<()> {
        if self.restored {
            return Ok(());
        }
        self.restored = true;
        if !std::thread::panicking() {
            // The hook cannot be changed while unwinding; ours then stays, and only restores.
            let previous = self.previous_hook.clone();
            panic::set_hook(Box::new(move |info| previous(info)));
        }
        disable_raw_mode()?;
        execute!(io::stdout(), LeaveAlternateScreen, Show)
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.restore();
    }
}

/// Best-effort restore, for the panic hook.
fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, Show);
}
