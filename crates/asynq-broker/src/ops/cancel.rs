//! PublishCancelation and CancelationPubSub (spec §4.28).

use fred::prelude::*;

use crate::broker::Broker;
use crate::error::Result;
use crate::keys;
use crate::ops::subscription::{Notice, Subscription};

/// A live subscription to `asynq:cancel` alone, yielding the task IDs whose processing should
/// be cancelled. It has its own connection and re-subscribes by itself after a reconnect.
/// Workers use [`Broker::subscribe_worker`], which adds their queues' wake-up channels.
#[derive(Debug)]
pub struct CancellationSubscription {
    inner: Subscription,
}

impl CancellationSubscription {
    /// The next task ID published on `asynq:cancel`, or `None` once the subscription is closed.
    /// Messages that are not valid UTF-8 are skipped; if the reader falls far behind, the
    /// messages it missed are skipped too (a cancellation is best-effort, as in Go).
    pub async fn next(&mut self) -> Option<String> {
        loop {
            match self.inner.next().await? {
                Notice::Cancel(id) => return Some(id),
                Notice::Wakeup(_) => continue,
            }
        }
    }

    /// Unsubscribes and closes the connection.
    pub async fn close(self) {
        self.inner.close().await;
    }
}

impl Broker {
    /// `PUBLISH asynq:cancel <id>`: asks every server processing task `id` to cancel it (Go
    /// `RDB.PublishCancelation`).
    ///
    /// # Errors
    /// Redis errors.
    pub async fn publish_cancellation(&self, id: &str) -> Result<()> {
        let _: i64 = self.client.publish(keys::CANCEL_CHANNEL, id).await?;
        Ok(())
    }

    /// Opens a subscription to `asynq:cancel` on a connection of its own and waits for the
    /// subscription to be confirmed (Go `RDB.CancelationPubSub`).
    ///
    /// # Errors
    /// Connection errors.
    pub async fn subscribe_cancellations(&self) -> Result<CancellationSubscription> {
        let inner = Subscription::open(self, vec![keys::CANCEL_CHANNEL.to_string()]).await?;
        Ok(CancellationSubscription { inner })
    }
}
