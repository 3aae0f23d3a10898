//! Queue administration (Go `DeleteQueue`, `PauseQueue`, `UnpauseQueue`; spec §5.13, 5.16).

use crate::error::InspectError;
use crate::inspector::{validate_queue, Inspector};

impl Inspector {
    /// Removes `queue` (Go `Inspector.DeleteQueue`, spec §5.13). Without `force` the queue must
    /// have no pending, active, scheduled, retry or archived task; with `force` it must have no
    /// active task, and the others are deleted. The queue leaves the queue list. As in Go, the
    /// completed tasks, groups, the paused flag and the counters stay in Redis, and the queue
    /// name is not checked for blankness (a blank name is simply not found).
    ///
    /// # Errors
    /// [`InspectError::QueueNotFound`]; [`InspectError::QueueNotEmpty`] (not forced);
    /// [`InspectError::FailedPrecondition`] `cannot remove queue with active tasks` (forced);
    /// [`InspectError::Broker`] otherwise.
    pub async fn delete_queue(&self, queue: &str, force: bool) -> Result<(), InspectError> {
        Ok(self.broker.remove_queue(queue, force).await?)
    }

    /// Pauses `queue`: servers stop dequeuing from it until it is unpaused (Go
    /// `Inspector.PauseQueue`, spec §5.16). The queue need not exist.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name;
    /// [`InspectError::FailedPrecondition`] `queue "<q>" is already paused`;
    /// [`InspectError::Broker`] otherwise.
    pub async fn pause_queue(&self, queue: &str) -> Result<(), InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.pause_queue(queue).await?)
    }

    /// Resumes processing of `queue` (Go `Inspector.UnpauseQueue`, spec §5.16).
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name;
    /// [`InspectError::FailedPrecondition`] `queue "<q>" is not paused`;
    /// [`InspectError::Broker`] otherwise.
    pub async fn unpause_queue(&self, queue: &str) -> Result<(), InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.unpause_queue(queue).await?)
    }
}
