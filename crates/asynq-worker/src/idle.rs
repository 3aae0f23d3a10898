//! [`IdleGate`]: how the fetchers of an idle server wait for work.
//!
//! Go's single fetch loop sleeps `task_check_interval/2 + uniform[0, task_check_interval)`
//! after each empty dequeue, so a task enqueued to an idle Go server waits about half a second.
//! Here, while every queue is empty, one fetcher polls, every `task_check_interval ×
//! uniform[0.7, 1.2)` (0.95 × the interval on average: a task from a Go producer waits about as
//! long as with Go's loop, whose median wait is half the interval; the poller's spread is
//! narrower, so its long waits are shorter), and the others wait without polling. The poll is
//! one `LLEN` per queue ([`asynq_broker::Broker::any_pending`]); only when a queue has tasks
//! does a dequeue script run. An idle server so sends Redis one command per queue per poll where
//! Go's sends a script per queue (which itself runs two commands). Any fetcher is woken at once when
//! * a Rust producer, forwarder or shutdown requeue makes a pending list of this server go from
//!   empty to non-empty: the scripts publish on `asynq:{q}:wakeup` and the subscriber calls
//!   [`IdleGate::wake`];
//! * a fetcher got a task: it wakes one more, so a burst spreads over the fetchers.
//!
//! Tasks from Go producers publish nothing; the polling fetcher finds them, as Go's loop would.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How a wait in the [`IdleGate`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waited {
    /// Woken: work may have arrived; dequeue.
    Woken,
    /// The poller's interval passed: probe the queues (a cheap `LLEN` each) before dequeuing.
    PollDue,
    /// The server is stopping.
    Stopped,
}

/// The waiting room of idle fetchers (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct IdleGate {
    notify: Notify,
    /// True while one fetcher is the poller.
    polling: AtomicBool,
}

/// Gives up the poller role when the poller stops waiting, however it stops.
struct PollerRole<'a>(&'a AtomicBool);

impl Drop for PollerRole<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl IdleGate {
    /// Wakes one waiting fetcher; if none waits, the next one to wait returns at once (one
    /// wake-up is kept, never more).
    pub(crate) fn wake(&self) {
        self.notify.notify_one();
    }

    /// Called by a fetcher whose dequeue found every queue empty. The first such fetcher
    /// becomes the poller: it waits `interval × uniform[0.7, 1.2)` (mean 0.95 × `interval`) or
    /// until woken. The others wait until woken.
    pub(crate) async fn wait(&self, stop: &CancellationToken, interval: Duration) -> Waited {
        let notified = self.notify.notified();
        let role = self
            .polling
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
            .then(|| PollerRole(&self.polling));
        match role {
            Some(_role) => {
                let poll = interval.mul_f64(0.7 + 0.5 * fastrand::f64());
                tokio::select! {
                    _ = stop.cancelled() => Waited::Stopped,
                    _ = notified => Waited::Woken,
                    _ = tokio::time::sleep(poll) => Waited::PollDue,
                }
            }
            None => tokio::select! {
                _ = stop.cancelled() => Waited::Stopped,
                _ = notified => Waited::Woken,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn one_poller_and_the_rest_wait_for_a_wake_up() {
        let gate = Arc::new(IdleGate::default());
        let stop = CancellationToken::new();
        let interval = Duration::from_secs(1);
        let poller = tokio::spawn({
            let (gate, stop) = (gate.clone(), stop.clone());
            async move {
                let t = Instant::now();
                let waited = gate.wait(&stop, interval).await;
                (waited, t.elapsed())
            }
        });
        tokio::task::yield_now().await;
        let waiter = tokio::spawn({
            let (gate, stop) = (gate.clone(), stop.clone());
            async move {
                let t = Instant::now();
                let waited = gate.wait(&stop, interval).await;
                (waited, t.elapsed())
            }
        });
        let (waited, polled) = poller.await.unwrap();
        assert_eq!(waited, Waited::PollDue);
        assert!(
            polled >= interval.mul_f64(0.7) && polled < interval.mul_f64(1.2),
            "{polled:?}"
        );
        // The waiter does not poll: it still waits long after the poll interval.
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(!waiter.is_finished());
        gate.wake();
        let (waited, elapsed) = waiter.await.unwrap();
        assert_eq!(waited, Waited::Woken);
        assert!(elapsed >= Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wake_up_before_the_wait_is_kept() {
        let gate = IdleGate::default();
        let stop = CancellationToken::new();
        gate.wake();
        let t = Instant::now();
        assert_eq!(
            gate.wait(&stop, Duration::from_secs(1)).await,
            Waited::Woken
        );
        assert_eq!(t.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn stop_ends_every_wait_and_frees_the_poller_role() {
        let gate = Arc::new(IdleGate::default());
        let stop = CancellationToken::new();
        let a = tokio::spawn({
            let (gate, stop) = (gate.clone(), stop.clone());
            async move { gate.wait(&stop, Duration::from_secs(1)).await }
        });
        let b = tokio::spawn({
            let (gate, stop) = (gate.clone(), stop.clone());
            async move { gate.wait(&stop, Duration::from_secs(1)).await }
        });
        tokio::task::yield_now().await;
        stop.cancel();
        assert_eq!(a.await.unwrap(), Waited::Stopped);
        assert_eq!(b.await.unwrap(), Waited::Stopped);
        assert!(!gate.polling.load(Ordering::Acquire));
    }
}
