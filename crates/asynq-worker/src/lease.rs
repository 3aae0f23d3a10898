//! [`Lease`]: the worker's local copy of its lease on an active task (Go `base.Lease`, spec
//! §6.5).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynq_broker::Clock;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

/// The lease a worker holds on one active task: valid until its expiry, which the heartbeat
/// pushes forward. Once the heartbeat finds it expired it notifies the attempt, which then fails
/// with `asynq: task lease expired` and writes nothing (the recoverer takes over).
pub(crate) struct Lease {
    expiry: Mutex<OffsetDateTime>,
    clock: Arc<dyn Clock>,
    expired: CancellationToken,
}

impl Lease {
    /// A lease expiring at `expiry` (the time returned by the dequeue).
    pub(crate) fn new(expiry: OffsetDateTime, clock: Arc<dyn Clock>) -> Lease {
        Lease {
            expiry: Mutex::new(expiry),
            clock,
            expired: CancellationToken::new(),
        }
    }

    /// When the lease expires.
    pub(crate) fn deadline(&self) -> OffsetDateTime {
        *self.expiry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the lease is still ours: its expiry is now or later (Go `IsValid`).
    pub(crate) fn is_valid(&self) -> bool {
        self.deadline() >= self.clock.now()
    }

    /// How long the lease lasts from now; zero once expired. Bounds every write made under it.
    pub(crate) fn remaining(&self) -> Duration {
        Duration::try_from(self.deadline() - self.clock.now()).unwrap_or(Duration::ZERO)
    }

    /// Moves the expiry to `expiry`; refused (false) once the lease has expired (Go `Reset`).
    pub(crate) fn reset(&self, expiry: OffsetDateTime) -> bool {
        let mut current = self.expiry.lock().unwrap_or_else(|e| e.into_inner());
        if *current < self.clock.now() {
            return false;
        }
        *current = expiry;
        true
    }

    /// Tells the attempt the lease is lost, if it has expired (Go `NotifyExpiration`).
    pub(crate) fn notify_expiration(&self) -> bool {
        if self.is_valid() {
            return false;
        }
        self.expired.cancel();
        true
    }

    /// Resolves once [`Lease::notify_expiration`] succeeded (Go `Done()`).
    pub(crate) async fn expired(&self) {
        self.expired.cancelled().await;
    }
}

#[cfg(test)]
mod tests {
    use asynq_broker::ManualClock;

    use super::*;

    #[tokio::test]
    async fn lease_lifecycle() {
        let clock = ManualClock::new(OffsetDateTime::UNIX_EPOCH);
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let lease = Lease::new(t0 + Duration::from_secs(30), Arc::new(clock.clone()));
        assert!(lease.is_valid());
        assert_eq!(lease.remaining(), Duration::from_secs(30));
        assert!(!lease.notify_expiration());
        clock.advance(Duration::from_secs(30));
        assert!(lease.is_valid(), "valid at the expiry itself, like Go");
        assert!(lease.reset(t0 + Duration::from_secs(60)));
        clock.advance(Duration::from_secs(31));
        assert!(!lease.is_valid());
        assert_eq!(lease.remaining(), Duration::ZERO);
        assert!(!lease.reset(t0 + Duration::from_secs(120)));
        assert_eq!(lease.deadline(), t0 + Duration::from_secs(60));
        assert!(lease.notify_expiration());
        lease.expired().await;
    }
}
