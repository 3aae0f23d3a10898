//! The syncer: tries again the completion writes that failed because Redis was unreachable,
//! while the task's lease is still valid (Go `syncer.go`, spec §6.5, §6.13).
//!
//! Unlike Go, whose retries reuse an already-cancelled context and so never reach Redis, each
//! attempt here is a real one, bounded by the lease; a task whose handler succeeded is then not
//! run a second time once Redis is back within the lease.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asynq_proto::TaskMessage;
use tokio_util::sync::CancellationToken;

use crate::lease::Lease;
use crate::outcome::Outcome;
use crate::shared::{sleep_or_stop, Core};
use crate::write::apply;

/// A write to try again.
pub(crate) struct SyncRequest {
    pub(crate) msg: Arc<TaskMessage>,
    pub(crate) lease: Arc<Lease>,
    pub(crate) outcome: Outcome,
}

/// The pending requests.
#[derive(Default)]
pub(crate) struct SyncQueue {
    requests: Mutex<Vec<SyncRequest>>,
}

impl SyncQueue {
    pub(crate) fn push(&self, req: SyncRequest) {
        self.lock().push(req);
    }

    /// How many writes wait to be tried again.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn take(&self) -> Vec<SyncRequest> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<SyncRequest>> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs until `stop`, then makes one last attempt per request, all within `last_try`.
pub(crate) async fn run(core: Arc<Core>, stop: CancellationToken, last_try: Duration) {
    while sleep_or_stop(&stop, core.config.syncer_interval).await {
        sync_once(&core, None).await;
    }
    sync_once(&core, Some(Instant::now() + last_try)).await;
}

/// Tries every request once (before `until`, if given); those that fail again are kept while
/// their lease lasts.
async fn sync_once(core: &Core, until: Option<Instant>) {
    for req in core.syncer.take() {
        if !req.lease.is_valid() {
            tracing::warn!(task_id = %req.msg.id, queue = %req.msg.queue, "dropping {:?}: the lease expired; the recoverer takes over", req.outcome);
            continue;
        }
        let left = until.map(|u| u.saturating_duration_since(Instant::now()));
        let limit = left.map_or(req.lease.remaining(), |c| c.min(req.lease.remaining()));
        match tokio::time::timeout(limit, apply(&core.broker, &req.msg, &req.outcome)).await {
            Ok(Ok(())) => {
                tracing::info!(task_id = %req.msg.id, queue = %req.msg.queue, "wrote {:?} on a later try", req.outcome);
            }
            Ok(Err(e)) if !e.is_connection_error() => {
                tracing::error!(task_id = %req.msg.id, queue = %req.msg.queue, error = %e, "could not write {:?}", req.outcome);
            }
            _ => core.syncer.push(req),
        }
    }
}
