//! [`ListOptions`]: pagination of the `list_*` methods (Go `PageSize`, `Page`, spec §5.8), and
//! the task listings by state (Go `ListPendingTasks` ... `ListAggregatingTasks`).

use asynq_broker::ops::inspect_read::InspectedTask;
use asynq_client::TaskInfo;

use crate::error::InspectError;
use crate::inspector::{validate_queue, Inspector};

/// Which page of a listing to read. Pages are 1-based; the default is page 1 of 30.
///
/// Go's `PageSize(n)` turns a negative size into 0 and `Page(n)` a page below 1 into 1; these
/// setters do the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListOptions {
    /// Entries per page (Go `PageSize`, default 30).
    pub page_size: i64,
    /// 1-based page number (Go `Page`, default 1).
    pub page: i64,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            page_size: 30,
            page: 1,
        }
    }
}

impl ListOptions {
    /// `size` entries per page; negative → 0 (Go `PageSize`).
    pub fn page_size(mut self, size: i64) -> Self {
        self.page_size = size.max(0);
        self
    }

    /// Page `page`, 1-based; below 1 → 1 (Go `Page`).
    pub fn page(mut self, page: i64) -> Self {
        self.page = page.max(1);
        self
    }

    /// The inclusive index range `(start, stop)` of this page: start = size × (page − 1),
    /// stop = start + size − 1 (Go `Pagination.start`, `stop`), saturating at `i64::MAX`. A page
    /// size of 0 gives `stop < start`, an empty page.
    pub fn range(&self) -> (i64, i64) {
        let start = self.page_size.saturating_mul(self.page.max(1) - 1);
        (start, start.saturating_add(self.page_size) - 1)
    }
}

/// Task infos of broker listing entries.
fn infos(tasks: Vec<InspectedTask>) -> Vec<TaskInfo> {
    tasks
        .into_iter()
        .map(|t| TaskInfo::from_message(&t.msg, t.state, t.next_process_at, t.result))
        .collect()
}

impl Inspector {
    /// A page of the pending tasks of `queue`, the next to be processed first (Go
    /// `Inspector.ListPendingTasks`; page 1 of 30 by default). `next_process_at` is now.
    ///
    /// Every `list_*` method: entries whose message cannot be decoded are skipped, as in Go; a
    /// page size of 0 gives an empty page (Go's `PageSize(0)` returns every entry, an edge case
    /// not copied).
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn list_pending_tasks(
        &self,
        queue: &str,
        opts: ListOptions,
    ) -> Result<Vec<TaskInfo>, InspectError> {
        validate_queue(queue)?;
        let (start, stop) = opts.range();
        Ok(infos(self.broker.list_pending(queue, start, stop).await?))
    }

    /// A page of the active tasks of `queue`, the longest-running first (Go
    /// `Inspector.ListActiveTasks`). `is_orphaned` is true for a task whose lease expired at or
    /// before now (its server stopped extending it; the recoverer will retry it), spec §5.8.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn list_active_tasks(
        &self,
        queue: &str,
        opts: ListOptions,
    ) -> Result<Vec<TaskInfo>, InspectError> {
        validate_queue(queue)?;
        let (start, stop) = opts.range();
        let tasks = self.broker.list_active(queue, start, stop).await?;
        let now = self.broker.now().unix_timestamp();
        Ok(tasks
            .into_iter()
            .map(|t| {
                let mut info = TaskInfo::from_message(&t.msg, t.state, None, t.result);
                info.is_orphaned = t.score.is_some_and(|expiry| expiry <= now);
                info
            })
            .collect())
    }

    /// A page of the scheduled tasks of `queue`, earliest process-at first (Go
    /// `Inspector.ListScheduledTasks`). `next_process_at` is the process-at time.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn list_scheduled_tasks(
        &self,
        queue: &str,
        opts: ListOptions,
    ) -> Result<Vec<TaskInfo>, InspectError> {
        validate_queue(queue)?;
        let (start, stop) = opts.range();
        Ok(infos(self.broker.list_scheduled(queue, start, stop).await?))
    }

    /// A page of the retry tasks of `queue`, earliest retry first (Go
    /// `Inspector.ListRetryTasks`). `next_process_at` is the retry time.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn list_retry_tasks(
        &self,
        queue: &str,
        opts: ListOptions,
    ) -> Result<Vec<TaskInfo>, InspectError> {
        validate_queue(queue)?;
        let (start, stop) = opts.range();
        Ok(infos(self.broker.list_retry(queue, start, stop).await?))
    }

    /// A page of the archived tasks of `queue`, the **oldest** archived first (ascending
    /// archive time, as Go actually does although its documentation says descending; Go
    /// `Inspector.ListArchivedTasks`).
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn list_archived_tasks(
        &self,
        queue: &str,
        opts: ListOptions,
    ) -> Result<Vec<TaskInfo>, InspectError> {
        validate_queue(queue)?;
        let (start, stop) = opts.range();
        Ok(infos(self.broker.list_archived(queue, start, stop).await?))
    }

    /// A page of the completed tasks of `queue`, the earliest to expire (completed_at +
    /// retention) first (Go `Inspector.ListCompletedTasks`).
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn list_completed_tasks(
        &self,
        queue: &str,
        opts: ListOptions,
    ) -> Result<Vec<TaskInfo>, InspectError> {
        validate_queue(queue)?;
        let (start, stop) = opts.range();
        Ok(infos(self.broker.list_completed(queue, start, stop).await?))
    }

    /// A page of the tasks waiting in `group` of `queue`, the first added first (Go
    /// `Inspector.ListAggregatingTasks`). An unknown group gives an empty list.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn list_aggregating_tasks(
        &self,
        queue: &str,
        group: &str,
        opts: ListOptions,
    ) -> Result<Vec<TaskInfo>, InspectError> {
        validate_queue(queue)?;
        let (start, stop) = opts.range();
        Ok(infos(
            self.broker
                .list_aggregating(queue, group, start, stop)
                .await?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_like_go_pagination() {
        assert_eq!(ListOptions::default().range(), (0, 29));
        assert_eq!(
            ListOptions::default().page_size(10).page(3).range(),
            (20, 29)
        );
        assert_eq!(ListOptions::default().page(0).range(), (0, 29));
        assert_eq!(ListOptions::default().page_size(-5).range(), (0, -1));
        let huge = ListOptions {
            page_size: i64::MAX,
            page: i64::MAX,
        };
        assert_eq!(huge.range(), (i64::MAX, i64::MAX - 1));
    }
}
