//! Actions on one task (Go `RunTask`, `ArchiveTask`, `DeleteTask`, `UpdateTaskPayload`,
//! `CancelProcessing`; spec §5.9–5.12, 5.18).

use crate::error::InspectError;
use crate::inspector::{validate_queue, Inspector};

impl Inspector {
    /// Moves task `id` of `queue` to `pending` so it runs as soon as a worker is free (Go
    /// `Inspector.RunTask`, spec §5.9). Works on scheduled, retry, archived, completed and
    /// aggregating tasks; the message (retried count, last error) is kept, and a group left
    /// empty disappears.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::TaskNotFound`]; [`InspectError::FailedPrecondition`] `task is already
    /// running` or `task is already in pending state`; [`InspectError::Broker`] otherwise.
    pub async fn run_task(&self, queue: &str, id: &str) -> Result<(), InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.run_task(queue, id).await?)
    }

    /// Archives task `id` of `queue` (Go `Inspector.ArchiveTask`, spec §5.10): a pending,
    /// scheduled, retry, completed or aggregating task moves to `archived` with score now; its
    /// message is not changed, no counter moves and its unique lock is kept. Archived tasks past
    /// 90 days and beyond 9,999 are trimmed.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::TaskNotFound`]; [`InspectError::TaskAlreadyArchived`];
    /// [`InspectError::FailedPrecondition`] `cannot archive task in active state. use
    /// CancelProcessing instead.`; [`InspectError::Broker`] otherwise.
    pub async fn archive_task(&self, queue: &str, id: &str) -> Result<(), InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.archive_task(queue, id).await?)
    }

    /// Deletes task `id` of `queue` in any state but active (Go `Inspector.DeleteTask`, spec
    /// §5.11). Its unique lock is released when the task still owns it.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::TaskNotFound`]; [`InspectError::FailedPrecondition`] `cannot delete task
    /// in active state. use CancelProcessing instead.`; [`InspectError::Broker`] otherwise.
    pub async fn delete_task(&self, queue: &str, id: &str) -> Result<(), InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.delete_task(queue, id).await?)
    }

    /// Replaces the payload of the scheduled task `id` of `queue` (Go
    /// `Inspector.UpdateTaskPayload`, v0.26, spec §5.12). Headers, options and the unique key
    /// are kept; the unique lock is not recomputed from the new payload.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`];
    /// [`InspectError::TaskNotFound`]; [`InspectError::FailedPrecondition`] `cannot update task
    /// that is not in scheduled state.`; [`InspectError::Broker`] otherwise (e.g. a stored
    /// message that cannot be decoded).
    pub async fn update_task_payload(
        &self,
        queue: &str,
        id: &str,
        payload: impl Into<bytes::Bytes>,
    ) -> Result<(), InspectError> {
        validate_queue(queue)?;
        Ok(self
            .broker
            .update_task_payload(queue, id, payload.into())
            .await?)
    }

    /// Asks the servers to cancel the processing of task `id` (Go `Inspector.CancelProcessing`,
    /// spec §5.18): `PUBLISH asynq:cancel <id>`. Best effort: success means the message was
    /// sent, not that a server was running the task. No queue or task check.
    ///
    /// # Errors
    /// [`InspectError::Broker`] when Redis cannot be reached.
    pub async fn cancel_processing(&self, id: &str) -> Result<(), InspectError> {
        Ok(self.broker.publish_cancellation(id).await?)
    }
}
