//! [`ResultWriter`]: stores a task's result in its hash while the task is running.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use crate::context::{Shared, Sink};
use crate::error::WorkerError;

/// Writes the result of the running task to field `result` of its hash
/// `asynq:{<queue>}:t:<id>`, where the Inspector, the Go CLI and asynqmon show it (Go
/// `asynq.ResultWriter`, spec §6.19, §4.27).
///
/// Obtained from [`TaskContext::result_writer`](crate::TaskContext::result_writer). It may be
/// called any number of times; the last write wins. After a successful attempt the result stays
/// visible only if the task has a retention period (it then moves to `completed`).
#[derive(Clone)]
pub struct ResultWriter {
    shared: Arc<Shared>,
}

impl ResultWriter {
    pub(crate) fn new(shared: Arc<Shared>) -> ResultWriter {
        ResultWriter { shared }
    }

    /// The ID of the task this writer belongs to (Go `TaskID()`).
    pub fn task_id(&self) -> &str {
        &self.shared.meta.id
    }

    /// Stores `data` as the task's result and returns its length (Go `Write`).
    ///
    /// # Errors
    /// [`WorkerError::TaskContextDone`] once the task's context is cancelled or its deadline has
    /// passed (nothing is written); [`WorkerError::Broker`] when Redis fails.
    pub async fn write(&self, data: &[u8]) -> Result<usize, WorkerError> {
        if let Some(reason) = self.shared.err() {
            return Err(WorkerError::TaskContextDone { reason });
        }
        match &self.shared.sink {
            Sink::Broker(broker) => Ok(broker
                .write_result(&self.shared.meta.queue, &self.shared.meta.id, data)
                .await?),
            Sink::Memory(slot) => {
                *slot.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(Bytes::copy_from_slice(data));
                Ok(data.len())
            }
        }
    }

    /// The last result written, for a context made with
    /// [`TaskContext::without_broker`](crate::TaskContext::without_broker); always `None` for a
    /// context connected to Redis (read results there with the Inspector).
    pub fn stored(&self) -> Option<Bytes> {
        match &self.shared.sink {
            Sink::Memory(slot) => slot.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            Sink::Broker(_) => None,
        }
    }
}

impl fmt::Debug for ResultWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultWriter")
            .field("task_id", &self.shared.meta.id)
            .field("queue", &self.shared.meta.queue)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use crate::context::{CancelReason, TaskContext, TaskMetadata};
    use crate::error::WorkerError;

    fn ctx(deadline_in_secs: i64) -> TaskContext {
        TaskContext::without_broker(
            TaskMetadata {
                id: "t1".into(),
                queue: "default".into(),
                retry_count: 0,
                max_retry: 25,
            },
            OffsetDateTime::now_utc() + time::Duration::seconds(deadline_in_secs),
        )
    }

    #[tokio::test]
    async fn writes_until_the_context_is_done() {
        let ctx = ctx(60);
        let w = ctx.result_writer();
        assert_eq!(w.task_id(), "t1");
        assert_eq!(w.write(b"first").await.unwrap(), 5);
        assert_eq!(w.write(b"second!").await.unwrap(), 7);
        assert_eq!(w.stored().as_deref(), Some(&b"second!"[..]));

        ctx.cancel(CancelReason::Canceled);
        let err = w.write(b"late").await.unwrap_err();
        assert!(matches!(
            err,
            WorkerError::TaskContextDone {
                reason: CancelReason::Canceled
            }
        ));
        assert_eq!(
            err.to_string(),
            "failed to write task result: context canceled"
        );
        assert_eq!(w.stored().as_deref(), Some(&b"second!"[..]));
    }

    #[tokio::test]
    async fn refuses_after_the_deadline() {
        let w = ctx(-1).result_writer();
        let err = w.write(b"x").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "failed to write task result: context deadline exceeded"
        );
        assert!(w.stored().is_none());
    }
}
