//! Bulk actions on every task of one state of a queue, or of one group (Go `RunAll*`,
//! `ArchiveAll*`, `DeleteAll*`; spec §5.9–5.11). Each returns the number of tasks it moved or
//! deleted.
//!
//! Unlike Go, whose bulk methods return the internal error for a missing queue, these return
//! [`InspectError::QueueNotFound`], the variant the single-task methods use.

use crate::error::InspectError;
use crate::inspector::{validate_queue, Inspector};

impl Inspector {
    /// Moves every scheduled task of `queue` to `pending`, earliest process-at first, and returns
    /// how many were moved (spec §5.9).
    /// Go `Inspector.RunAllScheduledTasks`.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn run_all_scheduled_tasks(&self, queue: &str) -> Result<i64, InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.run_all_scheduled_tasks(queue).await?)
    }

    /// Moves every retry task of `queue` to `pending`, earliest retry time first, and returns how
    /// many were moved (spec §5.9).
    /// Go `Inspector.RunAllRetryTasks`.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn run_all_retry_tasks(&self, queue: &str) -> Result<i64, InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.run_all_retry_tasks(queue).await?)
    }

    /// Moves every archived task of `queue` to `pending`, oldest first, and returns how many were
    /// moved (spec §5.9). The messages keep their retried count and last error.
    /// Go `Inspector.RunAllArchivedTasks`.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn run_all_archived_tasks(&self, queue: &str) -> Result<i64, InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.run_all_archived_tasks(queue).await?)
    }

    /// Moves every task of group `group` of `queue` to `pending` and removes the group; returns
    /// how many were moved, 0 for an unknown group (spec §5.9).
    /// Go `Inspector.RunAllAggregatingTasks`.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn run_all_aggregating_tasks(
        &self,
        queue: &str,
        group: &str,
    ) -> Result<i64, InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.run_all_aggregating_tasks(queue, group).await?)
    }

    /// Archives every pending task of `queue` (score now, message unchanged, no counter change,
    /// unique locks kept) and returns how many were archived (spec §5.10). Archived tasks past
    /// 90 days and beyond 9,999 are trimmed.
    /// Go `Inspector.ArchiveAllPendingTasks`.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn archive_all_pending_tasks(&self, queue: &str) -> Result<i64, InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.archive_all_pending_tasks(queue).await?)
    }

    /// Archives every scheduled task of `queue`, as [`Inspector::archive_all_pending_tasks`]
    /// does, and returns how many were archived (spec §5.10).
    /// Go `Inspector.ArchiveAllScheduledTasks`.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn archive_all_scheduled_tasks(&self, queue: &str) -> Result<i64, InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.archive_all_scheduled_tasks(queue).await?)
    }

    /// Archives every retry task of `queue`, as [`Inspector::archive_all_pending_tasks`] does,
    /// and returns how many were archived (spec §5.10).
    /// Go `Inspector.ArchiveAllRetryTasks`.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn archive_all_retry_tasks(&self, queue: &str) -> Result<i64, InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.archive_all_retry_tasks(queue).await?)
    }

    /// Archives every task of group `group` of `queue` and removes the group; returns how many
    /// were archived, 0 for an unknown group (spec §5.10).
    /// Go `Inspector.ArchiveAllAggregatingTasks`.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn archive_all_aggregating_tasks(
        &self,
        queue: &str,
        group: &str,
    ) -> Result<i64, InspectError> {
        validate_queue(queue)?;
        Ok(self
            .broker
            .archive_all_aggregating_tasks(queue, group)
            .await?)
    }

    /// Deletes every pending task of `queue` and returns how many were deleted (spec §5.11). As in
    /// Go, the unique locks of the deleted tasks are **not** released; they expire with their
    /// TTL.
    /// Go `Inspector.DeleteAllPendingTasks`.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn delete_all_pending_tasks(&self, queue: &str) -> Result<i64, InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.delete_all_pending_tasks(queue).await?)
    }

    /// Deletes every scheduled task of `queue`, releasing each unique lock the task still owns,
    /// and returns how many were deleted (spec §5.11).
    /// Go `Inspector.DeleteAllScheduledTasks`.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn delete_all_scheduled_tasks(&self, queue: &str) -> Result<i64, InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.delete_all_scheduled_tasks(queue).await?)
    }

    /// Deletes every retry task of `queue`, releasing each unique lock the task still owns, and
    /// returns how many were deleted (spec §5.11).
    /// Go `Inspector.DeleteAllRetryTasks`.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn delete_all_retry_tasks(&self, queue: &str) -> Result<i64, InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.delete_all_retry_tasks(queue).await?)
    }

    /// Deletes every archived task of `queue`, releasing each unique lock the task still owns,
    /// and returns how many were deleted (spec §5.11).
    /// Go `Inspector.DeleteAllArchivedTasks`.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn delete_all_archived_tasks(&self, queue: &str) -> Result<i64, InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.delete_all_archived_tasks(queue).await?)
    }

    /// Deletes every completed task of `queue`, releasing each unique lock the task still owns,
    /// and returns how many were deleted (spec §5.11).
    /// Go `Inspector.DeleteAllCompletedTasks`.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn delete_all_completed_tasks(&self, queue: &str) -> Result<i64, InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.delete_all_completed_tasks(queue).await?)
    }

    /// Deletes every task of group `group` of `queue` and removes the group; returns how many were
    /// deleted, 0 for an unknown group (spec §5.11). As in Go, unique locks are **not**
    /// released.
    /// Go `Inspector.DeleteAllAggregatingTasks`.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::Broker`] otherwise.
    pub async fn delete_all_aggregating_tasks(
        &self,
        queue: &str,
        group: &str,
    ) -> Result<i64, InspectError> {
        validate_queue(queue)?;
        Ok(self
            .broker
            .delete_all_aggregating_tasks(queue, group)
            .await?)
    }
}
