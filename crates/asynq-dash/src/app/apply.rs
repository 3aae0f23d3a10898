//! [`App::apply`]: taking in the answer to a read.

use crate::fetch::{Data, Fetched, Request};

use super::App;

impl App {
    /// Takes in the answer to a read. Answers to requests the current view no longer makes
    /// (the user moved on while Redis answered) are dropped. A failed read sets the error line;
    /// a task that no longer exists empties the task box instead.
    pub fn apply(&mut self, fetched: Fetched) {
        if !self.fetches().contains(&fetched.request) {
            return;
        }
        let data = match fetched.result {
            Ok(data) => data,
            Err(e) if e.is_task_not_found() && matches!(fetched.request, Request::Task { .. }) => {
                self.task = None;
                return;
            }
            Err(e) => {
                self.error = Some(e.to_string());
                return;
            }
        };
        self.error = None;
        match data {
            Data::Queues(queues) => {
                self.queues = queues;
                self.queue_row = clamp(self.queue_row, self.queues.len());
            }
            Data::Queue(queue) => self.queue = Some(queue),
            Data::Groups(groups) => {
                self.groups = groups;
                let pages = self.groups.len().div_ceil(self.group_page_size()).max(1);
                self.page = self.page.min(pages);
                self.group_row = clamp(self.group_row, self.page_groups().len());
            }
            Data::Tasks(tasks) => {
                self.tasks = tasks;
                self.task_row = clamp(self.task_row, self.tasks.len());
            }
            Data::Task(task) => self.task = Some(*task),
        }
    }
}

/// Keeps a highlighted row inside a list that may have shrunk.
fn clamp(row: Option<usize>, len: usize) -> Option<usize> {
    match row {
        Some(_) if len == 0 => None,
        Some(r) => Some(r.min(len - 1)),
        None => None,
    }
}
