//! Key bindings: which [`Command`] a key press means (Go's `asynq dash` keys).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What the user asked for with one key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `Esc` or `q`: close the task box or help, leave a queue, or quit from the queue list.
    Back,
    /// `Ctrl+C`: quit from any view.
    Quit,
    /// `Ctrl+L`: repaint the whole screen.
    Repaint,
    /// `Up` or `k`: highlight the row above.
    Up,
    /// `Down` or `j`: highlight the row below.
    Down,
    /// `Left` or `h`: previous task state tab.
    Left,
    /// `Right` or `l`: next task state tab.
    Right,
    /// `Enter`: open the highlighted queue, group or task.
    Enter,
    /// `?`: show the help box.
    Help,
    /// `n`: next page.
    NextPage,
    /// `p`: previous page.
    PrevPage,
}

/// The command bound to `key`, or `None` for an unbound key or a key release.
pub fn command(key: KeyEvent) -> Option<Command> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            KeyCode::Char('c') => Some(Command::Quit),
            KeyCode::Char('l') => Some(Command::Repaint),
            _ => None,
        };
    }
    let cmd = match key.code {
        KeyCode::Esc | KeyCode::Char('q') => Command::Back,
        KeyCode::Up | KeyCode::Char('k') => Command::Up,
        KeyCode::Down | KeyCode::Char('j') => Command::Down,
        KeyCode::Left | KeyCode::Char('h') => Command::Left,
        KeyCode::Right | KeyCode::Char('l') => Command::Right,
        KeyCode::Enter => Command::Enter,
        KeyCode::Char('?') => Command::Help,
        KeyCode::Char('n') => Command::NextPage,
        KeyCode::Char('p') => Command::PrevPage,
        _ => return None,
    };
    Some(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn go_bindings() {
        assert_eq!(command(key(KeyCode::Char('j'))), Some(Command::Down));
        assert_eq!(command(key(KeyCode::Down)), Some(Command::Down));
        assert_eq!(command(key(KeyCode::Char('k'))), Some(Command::Up));
        assert_eq!(command(key(KeyCode::Char('h'))), Some(Command::Left));
        assert_eq!(command(key(KeyCode::Char('l'))), Some(Command::Right));
        assert_eq!(command(key(KeyCode::Char('q'))), Some(Command::Back));
        assert_eq!(command(key(KeyCode::Esc)), Some(Command::Back));
        assert_eq!(command(key(KeyCode::Char('?'))), Some(Command::Help));
        assert_eq!(command(key(KeyCode::Char('x'))), None);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(command(ctrl_c), Some(Command::Quit));
        let ctrl_l = KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL);
        assert_eq!(command(ctrl_l), Some(Command::Repaint));
    }

    #[test]
    fn releases_are_ignored() {
        let mut release = key(KeyCode::Char('j'));
        release.kind = KeyEventKind::Release;
        assert_eq!(command(release), None);
    }
}
