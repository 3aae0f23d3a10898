//! PublishCancelation and CancelationPubSub (spec §4.28).

use fred::clients::SubscriberClient;
use fred::prelude::*;
use fred::types::{ClusterHash, CustomCommand, Message, Value};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tokio::task::JoinHandle;

use crate::broker::Broker;
use crate::conn;
use crate::error::Result;
use crate::keys;

/// A live subscription to `asynq:cancel`, yielding the task IDs whose processing should be
/// cancelled. It has its own connection and re-subscribes by itself after a reconnect.
pub struct CancellationSubscription {
    client: SubscriberClient,
    rx: Receiver<Message>,
    manager: JoinHandle<()>,
}

impl std::fmt::Debug for CancellationSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancellationSubscription")
            .finish_non_exhaustive()
    }
}

impl CancellationSubscription {
    /// The next task ID published on `asynq:cancel`, or `None` once the subscription is closed.
    /// Messages that are not valid UTF-8 are skipped; if the reader falls far behind, the
    /// messages it missed are skipped too (a cancellation is best-effort, as in Go).
    pub async fn next(&mut self) -> Option<String> {
        loop {
            match self.rx.recv().await {
                Ok(msg) => {
                    if let Some(id) = msg.value.as_string() {
                        return Some(id);
                    }
                }
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// Unsubscribes and closes the connection.
    pub async fn close(self) {
        self.manager.abort();
        let _ = self.client.unsubscribe(keys::CANCEL_CHANNEL).await;
        let _ = self.client.quit().await;
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
        let client = conn::subscriber_client(&self.opt)?;
        let rx = client.message_rx();
        client.init().await?;
        let manager = client.manage_subscriptions();
        if let Err(e) = subscribe_confirmed(&client).await {
            manager.abort();
            let _ = client.quit().await;
            return Err(e);
        }
        Ok(CancellationSubscription {
            client,
            rx,
            manager,
        })
    }
}

/// `SUBSCRIBE asynq:cancel`, returning once Redis has processed it.
///
/// fred completes a `SUBSCRIBE` as soon as it is queued, before it is even written, and drops
/// the confirmation Redis sends back; a message published in between would be lost. So a `PING`
/// follows on the same connection (fred sends legacy pub/sub commands of a clustered client to
/// the node owning the slot of the client ID, so the `PING` is routed by that slot too). Redis
/// answers commands of one connection in order, so the `PING` reply means the subscription is
/// active.
async fn subscribe_confirmed(client: &SubscriberClient) -> Result<()> {
    client.subscribe(keys::CANCEL_CHANNEL).await?;
    let slot = fred::util::redis_keyslot(client.id().as_bytes());
    let ping = CustomCommand::new_static("PING", ClusterHash::Custom(slot), false);
    let _: Value = client.custom(ping, Vec::<Value>::new()).await?;
    Ok(())
}
