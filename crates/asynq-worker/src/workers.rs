//! The attempts running in this server: what the heartbeat reports and extends, and what a
//! cancel message can reach (Go: the heartbeater's `workers` map and the processor's
//! `cancelations`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use asynq_proto::TaskMessage;
use time::OffsetDateTime;

use crate::context::{CancelReason, TaskContext};
use crate::lease::Lease;

/// One running attempt.
#[derive(Clone)]
pub(crate) struct ActiveWorker {
    pub(crate) msg: Arc<TaskMessage>,
    pub(crate) started: OffsetDateTime,
    pub(crate) deadline: OffsetDateTime,
    pub(crate) lease: Arc<Lease>,
    pub(crate) ctx: TaskContext,
}

/// The running attempts, each under a slot number of its own (a task ID could run twice in one
/// process if its lease was lost and it was dequeued again).
#[derive(Default)]
pub(crate) struct Workers {
    next: AtomicU64,
    map: Mutex<HashMap<u64, ActiveWorker>>,
}

impl Workers {
    pub(crate) fn insert(&self, worker: ActiveWorker) -> u64 {
        let slot = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(slot, worker);
        slot
    }

    pub(crate) fn remove(&self, slot: u64) {
        self.lock().remove(&slot);
    }

    /// Cancels the attempts of task `id` (a message on `asynq:cancel`); false if none runs here.
    pub(crate) fn cancel(&self, id: &str) -> bool {
        let map = self.lock();
        let mut found = false;
        for w in map.values().filter(|w| w.msg.id == id) {
            w.ctx.cancel(CancelReason::Canceled);
            found = true;
        }
        found
    }

    pub(crate) fn snapshot(&self) -> Vec<ActiveWorker> {
        self.lock().values().cloned().collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, ActiveWorker>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}
