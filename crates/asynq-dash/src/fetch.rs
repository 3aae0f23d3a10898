//! Reading the dashboard's data through the [`Inspector`]: one [`Request`] in, one [`Fetched`]
//! out, so the run loop can run requests concurrently and the [`crate::app::App`] can drop
//! answers to requests it no longer needs.

use asynq_inspect::{
    GroupInfo, InspectError, Inspector, ListOptions, QueueInfo, TaskInfo, TaskState,
};

/// One read the dashboard needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Every queue with its info, sorted by name.
    Queues,
    /// One queue's info.
    Queue {
        /// Queue name.
        queue: String,
    },
    /// A queue's groups, sorted by name.
    Groups {
        /// Queue name.
        queue: String,
    },
    /// One page of a queue's tasks in `state` (not [`TaskState::Aggregating`]).
    Tasks {
        /// Queue name.
        queue: String,
        /// Task state listed.
        state: TaskState,
        /// 1-based page number.
        page: usize,
        /// Tasks per page.
        page_size: usize,
    },
    /// One page of the tasks waiting in a group.
    AggregatingTasks {
        /// Queue name.
        queue: String,
        /// Group name.
        group: String,
        /// 1-based page number.
        page: usize,
        /// Tasks per page.
        page_size: usize,
    },
    /// One task's info.
    Task {
        /// Queue name.
        queue: String,
        /// Task ID.
        id: String,
    },
}

/// The data a [`Request`] returned.
#[derive(Debug, Clone)]
pub enum Data {
    /// Answer to [`Request::Queues`].
    Queues(Vec<QueueInfo>),
    /// Answer to [`Request::Queue`].
    Queue(QueueInfo),
    /// Answer to [`Request::Groups`].
    Groups(Vec<GroupInfo>),
    /// Answer to [`Request::Tasks`] and [`Request::AggregatingTasks`].
    Tasks(Vec<TaskInfo>),
    /// Answer to [`Request::Task`].
    Task(Box<TaskInfo>),
}

/// A request and its outcome.
#[derive(Debug)]
pub struct Fetched {
    /// What was asked.
    pub request: Request,
    /// What Redis answered.
    pub result: Result<Data, InspectError>,
}

/// Runs `request` against Redis.
pub async fn fetch(inspector: &Inspector, request: Request) -> Fetched {
    let result = read(inspector, &request).await;
    Fetched { request, result }
}

async fn read(inspector: &Inspector, request: &Request) -> Result<Data, InspectError> {
    match request {
        Request::Queues => queues(inspector).await.map(Data::Queues),
        Request::Queue { queue } => inspector.get_queue_info(queue).await.map(Data::Queue),
        Request::Groups { queue } => {
            let mut groups = inspector.groups(queue).await?;
            groups.sort_by(|a, b| a.group.cmp(&b.group));
            Ok(Data::Groups(groups))
        }
        Request::Tasks {
            queue,
            state,
            page,
            page_size,
        } => {
            let opts = list_options(*page, *page_size);
            let tasks = match state {
                TaskState::Active => inspector.list_active_tasks(queue, opts).await?,
                TaskState::Pending => inspector.list_pending_tasks(queue, opts).await?,
                TaskState::Scheduled => inspector.list_scheduled_tasks(queue, opts).await?,
                TaskState::Retry => inspector.list_retry_tasks(queue, opts).await?,
                TaskState::Archived => inspector.list_archived_tasks(queue, opts).await?,
                TaskState::Completed => inspector.list_completed_tasks(queue, opts).await?,
                // Aggregating tasks are listed per group (Request::AggregatingTasks).
                TaskState::Aggregating => Vec::new(),
            };
            Ok(Data::Tasks(tasks))
        }
        Request::AggregatingTasks {
            queue,
            group,
            page,
            page_size,
        } => {
            let opts = list_options(*page, *page_size);
            let tasks = inspector.list_aggregating_tasks(queue, group, opts).await?;
            Ok(Data::Tasks(tasks))
        }
        Request::Task { queue, id } => inspector
            .get_task_info(queue, id)
            .await
            .map(|t| Data::Task(Box::new(t))),
    }
}

/// Every queue's info, sorted by name; a queue removed between the two reads is left out.
async fn queues(inspector: &Inspector) -> Result<Vec<QueueInfo>, InspectError> {
    let mut names = inspector.queues().await?;
    names.sort();
    let reads = names.iter().map(|q| inspector.get_queue_info(q));
    let mut infos = Vec::with_capacity(names.len());
    for result in futures::future::join_all(reads).await {
        match result {
            Ok(info) => infos.push(info),
            Err(e) if e.is_queue_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(infos)
}

fn list_options(page: usize, page_size: usize) -> ListOptions {
    let to_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    ListOptions::default()
        .page_size(to_i64(page_size))
        .page(to_i64(page))
}
