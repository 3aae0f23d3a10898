//! [`App`]: the dashboard's state, without a terminal or Redis.
//!
//! Keys go in through [`App::on_key`], which answers with an [`Action`] for the run loop; the
//! loop reads [`App::fetches`], runs those requests and hands each answer back through
//! [`App::apply`]. [`crate::draw::draw`] renders the state.

mod apply;
mod input;

use std::time::Duration;

use asynq_inspect::{GroupInfo, QueueInfo, TaskInfo, TaskState};

use crate::fetch::Request;

/// Rows the queue view uses above and below the task table (Go: screen height − 15).
const TASK_TABLE_CHROME: u16 = 15;
/// Rows the queue view uses above and below the group table (one more for its title).
const GROUP_TABLE_CHROME: u16 = 16;

/// The task state tabs, in Go's order.
pub const TASK_STATES: [TaskState; 7] = [
    TaskState::Active,
    TaskState::Pending,
    TaskState::Aggregating,
    TaskState::Scheduled,
    TaskState::Retry,
    TaskState::Archived,
    TaskState::Completed,
];

/// Which screen is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The queue list with size graphs.
    Queues,
    /// One queue: summary, state tabs and the task (or group) table.
    Queue,
    /// The help box over the previous view.
    Help,
}

/// What the run loop must do after a key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing beyond drawing the new state.
    None,
    /// Clear and repaint the whole terminal.
    Repaint,
    /// The data shown changed: run [`App::fetches`] now and restart the refresh interval.
    Fetch,
    /// Leave the dashboard.
    Quit,
}

/// The dashboard's state: the view, the selections and the last data read.
///
/// Row selections follow Go's dashboard: no row is highlighted at first; moving past either
/// end returns to "no row".
#[derive(Debug, Clone)]
pub struct App {
    refresh: Duration,
    height: u16,
    view: View,
    prev_view: View,
    queues: Vec<QueueInfo>,
    queue_row: Option<usize>,
    queue: Option<QueueInfo>,
    task_state: TaskState,
    tasks: Vec<TaskInfo>,
    task_row: Option<usize>,
    groups: Vec<GroupInfo>,
    group_row: Option<usize>,
    group: Option<GroupInfo>,
    page: usize,
    task_id: Option<String>,
    task: Option<TaskInfo>,
    error: Option<String>,
}

impl App {
    /// A dashboard on the queue list, with no data yet, for a terminal `height` rows high that
    /// refreshes every `refresh`.
    pub fn new(refresh: Duration, height: u16) -> App {
        App {
            refresh,
            height,
            view: View::Queues,
            prev_view: View::Queues,
            queues: Vec::new(),
            queue_row: None,
            queue: None,
            task_state: TaskState::Active,
            tasks: Vec::new(),
            task_row: None,
            groups: Vec::new(),
            group_row: None,
            group: None,
            page: 1,
            task_id: None,
            task: None,
            error: None,
        }
    }

    /// Records the terminal height; true when this changes the page size, so the data shown
    /// must be read again.
    pub fn set_height(&mut self, height: u16) -> bool {
        let before = (self.task_page_size(), self.group_page_size());
        self.height = height;
        before != (self.task_page_size(), self.group_page_size())
    }

    /// The reads the current view needs (Go `Fetch`).
    pub fn fetches(&self) -> Vec<Request> {
        let view = if self.view == View::Help {
            self.prev_view
        } else {
            self.view
        };
        let queue = match (view, &self.queue) {
            (View::Queue, Some(q)) => q.queue.clone(),
            _ => return vec![Request::Queues],
        };
        let mut requests = vec![Request::Queue {
            queue: queue.clone(),
        }];
        requests.push(match (&self.group, self.task_state) {
            (None, TaskState::Aggregating) => Request::Groups {
                queue: queue.clone(),
            },
            (Some(g), TaskState::Aggregating) => Request::AggregatingTasks {
                queue: queue.clone(),
                group: g.group.clone(),
                page: self.page,
                page_size: self.task_page_size(),
            },
            (_, state) => Request::Tasks {
                queue: queue.clone(),
                state,
                page: self.page,
                page_size: self.task_page_size(),
            },
        });
        if let Some(id) = &self.task_id {
            requests.push(Request::Task {
                queue,
                id: id.clone(),
            });
        }
        requests
    }

    /// The refresh interval.
    pub fn refresh(&self) -> Duration {
        self.refresh
    }

    /// The view shown.
    pub fn view(&self) -> View {
        self.view
    }

    /// The view under the help box (the current view when help is not shown).
    pub fn base_view(&self) -> View {
        match self.view {
            View::Help => self.prev_view,
            v => v,
        }
    }

    /// Every queue, sorted by name.
    pub fn queues(&self) -> &[QueueInfo] {
        &self.queues
    }

    /// Index of the highlighted queue in [`App::queues`].
    pub fn queue_row(&self) -> Option<usize> {
        self.queue_row
    }

    /// The opened queue (its latest info).
    pub fn queue(&self) -> Option<&QueueInfo> {
        self.queue.as_ref()
    }

    /// The selected state tab.
    pub fn task_state(&self) -> TaskState {
        self.task_state
    }

    /// The page of tasks shown.
    pub fn tasks(&self) -> &[TaskInfo] {
        &self.tasks
    }

    /// Index of the highlighted task in [`App::tasks`].
    pub fn task_row(&self) -> Option<usize> {
        self.task_row
    }

    /// Every group of the opened queue, sorted by name.
    pub fn groups(&self) -> &[GroupInfo] {
        &self.groups
    }

    /// The groups on the current page.
    pub fn page_groups(&self) -> &[GroupInfo] {
        let size = self.group_page_size();
        let start = (self.page - 1).saturating_mul(size).min(self.groups.len());
        let end = start.saturating_add(size).min(self.groups.len());
        &self.groups[start..end]
    }

    /// Index of the highlighted group in [`App::page_groups`].
    pub fn group_row(&self) -> Option<usize> {
        self.group_row
    }

    /// The group whose tasks are listed on the aggregating tab.
    pub fn group(&self) -> Option<&GroupInfo> {
        self.group.as_ref()
    }

    /// True when the aggregating tab lists groups (no group chosen yet).
    pub fn shows_groups(&self) -> bool {
        self.task_state == TaskState::Aggregating && self.group.is_none()
    }

    /// The 1-based page number.
    pub fn page(&self) -> usize {
        self.page
    }

    /// ID of the task whose details are open.
    pub fn task_id(&self) -> Option<&str> {
        self.task_id.as_deref()
    }

    /// The open task's latest info; `None` when it no longer exists.
    pub fn task(&self) -> Option<&TaskInfo> {
        self.task.as_ref()
    }

    /// The last read error, cleared by the next successful read.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Tasks per page for the current height.
    pub fn task_page_size(&self) -> usize {
        usize::from(self.height.saturating_sub(TASK_TABLE_CHROME)).max(1)
    }

    /// Groups per page for the current height.
    pub fn group_page_size(&self) -> usize {
        usize::from(self.height.saturating_sub(GROUP_TABLE_CHROME)).max(1)
    }

    /// How many tasks the listing of the current tab has in all: the group's size for a
    /// group's tasks, else the opened queue's count for the state.
    pub fn task_total(&self) -> usize {
        let n = match (&self.group, self.task_state) {
            (Some(g), TaskState::Aggregating) => g.size,
            (_, state) => self.queue.as_ref().map_or(0, |q| state_count(q, state)),
        };
        usize::try_from(n).unwrap_or(0)
    }
}

/// The number of tasks of `queue` in `state`.
pub fn state_count(queue: &QueueInfo, state: TaskState) -> i64 {
    match state {
        TaskState::Active => queue.active,
        TaskState::Pending => queue.pending,
        TaskState::Aggregating => queue.aggregating,
        TaskState::Scheduled => queue.scheduled,
        TaskState::Retry => queue.retry,
        TaskState::Archived => queue.archived,
        TaskState::Completed => queue.completed,
    }
}
