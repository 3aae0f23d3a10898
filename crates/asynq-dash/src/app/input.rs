//! [`App::on_key`]: what each key does in each view (Go's `keyEventHandler`).

use crossterm::event::KeyEvent;

use crate::keys::{self, Command};

use super::{Action, App, View, TASK_STATES};

impl App {
    /// Handles one key press and tells the run loop what to do next.
    pub fn on_key(&mut self, key: KeyEvent) -> Action {
        match keys::command(key) {
            Some(cmd) => self.on_command(cmd),
            None => Action::None,
        }
    }

    /// Handles one [`Command`].
    pub fn on_command(&mut self, cmd: Command) -> Action {
        match cmd {
            Command::Quit => Action::Quit,
            Command::Repaint => Action::Repaint,
            Command::Back => self.back(),
            Command::Up => self.move_row(false),
            Command::Down => self.move_row(true),
            Command::Left => self.switch_tab(false),
            Command::Right => self.switch_tab(true),
            Command::Enter => self.enter(),
            Command::Help => {
                if self.view != View::Help {
                    self.prev_view = self.view;
                    self.view = View::Help;
                }
                Action::None
            }
            Command::NextPage => self.turn_page(true),
            Command::PrevPage => self.turn_page(false),
        }
    }

    fn back(&mut self) -> Action {
        match self.view {
            View::Help => {
                self.view = self.prev_view;
                Action::Fetch
            }
            View::Queue if self.task_id.is_some() => {
                self.task_id = None;
                self.task = None;
                Action::None
            }
            View::Queue if self.group.is_some() => {
                self.group = None;
                self.reset_listing();
                Action::Fetch
            }
            View::Queue => {
                self.view = View::Queues;
                self.queue = None;
                self.groups.clear();
                self.reset_listing();
                Action::Fetch
            }
            View::Queues => Action::Quit,
        }
    }

    fn move_row(&mut self, down: bool) -> Action {
        match self.view {
            View::Queues => self.queue_row = step(self.queue_row, self.queues.len(), down),
            View::Queue if self.shows_groups() => {
                self.group_row = step(self.group_row, self.page_groups().len(), down);
            }
            View::Queue if self.task_id.is_none() => {
                self.task_row = step(self.task_row, self.tasks.len(), down);
            }
            _ => {}
        }
        Action::None
    }

    fn enter(&mut self) -> Action {
        match self.view {
            View::Queues => {
                let Some(queue) = self.queue_row.and_then(|i| self.queues.get(i)) else {
                    return Action::None;
                };
                self.queue = Some(queue.clone());
                self.view = View::Queue;
                self.task_state = TASK_STATES[0];
                self.group = None;
                self.task_id = None;
                self.task = None;
                self.groups.clear();
                self.reset_listing();
                Action::Fetch
            }
            View::Queue if self.shows_groups() => {
                let Some(group) = self.group_row.and_then(|i| self.page_groups().get(i)) else {
                    return Action::None;
                };
                self.group = Some(group.clone());
                self.reset_listing();
                Action::Fetch
            }
            View::Queue if self.task_id.is_none() => {
                let Some(task) = self.task_row.and_then(|i| self.tasks.get(i)) else {
                    return Action::None;
                };
                self.task_id = Some(task.id.clone());
                self.task = Some(task.clone());
                Action::Fetch
            }
            _ => Action::None,
        }
    }

    fn switch_tab(&mut self, right: bool) -> Action {
        if self.view != View::Queue || self.task_id.is_some() {
            return Action::None;
        }
        let i = TASK_STATES
            .iter()
            .position(|s| *s == self.task_state)
            .unwrap_or(0);
        let n = TASK_STATES.len();
        let next = if right { (i + 1) % n } else { (i + n - 1) % n };
        self.task_state = TASK_STATES[next];
        self.group = None;
        self.group_row = None;
        self.reset_listing();
        Action::Fetch
    }

    fn turn_page(&mut self, forward: bool) -> Action {
        if self.view != View::Queue || self.task_id.is_some() {
            return Action::None;
        }
        if self.shows_groups() {
            let end = self.page.saturating_mul(self.group_page_size());
            if forward && end < self.groups.len() {
                self.page += 1;
            } else if !forward && self.page > 1 {
                self.page -= 1;
            } else {
                return Action::None;
            }
            self.group_row = None;
            return Action::None;
        }
        let shown = (self.page - 1)
            .saturating_mul(self.task_page_size())
            .saturating_add(self.tasks.len());
        if forward && shown < self.task_total() {
            self.page += 1;
        } else if !forward && self.page > 1 {
            self.page -= 1;
        } else {
            return Action::None;
        }
        self.task_row = None;
        Action::Fetch
    }

    /// Back to page 1 of an empty, unselected listing.
    fn reset_listing(&mut self) {
        self.page = 1;
        self.tasks.clear();
        self.task_row = None;
    }
}

/// Moves a highlighted row one step, Go's way: from "none" to the first (down) or last (up)
/// row, and past either end back to "none".
fn step(row: Option<usize>, len: usize, down: bool) -> Option<usize> {
    if len == 0 {
        return None;
    }
    match (row, down) {
        (None, true) => Some(0),
        (None, false) => Some(len - 1),
        (Some(r), true) if r + 1 < len => Some(r + 1),
        (Some(r), false) if r > 0 => Some(r - 1),
        _ => None,
    }
}
