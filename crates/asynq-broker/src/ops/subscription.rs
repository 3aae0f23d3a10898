//! Pub/sub subscriptions of a worker: `asynq:cancel` (Go `CancelationPubSub`, spec §4.28) and
//! the Rust-only wake-up channels `asynq:{q}:wakeup` ([`crate::keys::wakeup_channel`]).

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

/// One message received on a [`Subscription`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A task ID published on `asynq:cancel`: cancel its processing (Go `PublishCancelation`).
    Cancel(String),
    /// The pending list of this queue went from empty to non-empty: idle workers should fetch.
    Wakeup(String),
}

/// A live subscription on a connection of its own. It re-subscribes by itself after a
/// reconnect. Messages on channels it does not know are skipped.
pub struct Subscription {
    client: SubscriberClient,
    rx: Receiver<Message>,
    manager: JoinHandle<()>,
    channels: Vec<String>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// Opens a subscriber connection, subscribes to `channels` and waits until Redis has
    /// confirmed the subscription.
    pub(crate) async fn open(broker: &Broker, channels: Vec<String>) -> Result<Subscription> {
        let client = conn::subscriber_client(&broker.opt)?;
        let rx = client.message_rx();
        client.init().await?;
        let manager = client.manage_subscriptions();
        if let Err(e) = subscribe_confirmed(&client, &channels).await {
            manager.abort();
            let _ = client.quit().await;
            return Err(e);
        }
        Ok(Subscription {
            client,
            rx,
            manager,
            channels,
        })
    }

    /// The next message, or `None` once the subscription is closed. Cancellation messages that
    /// are not valid UTF-8 are skipped; if the reader falls far behind, the messages it missed
    /// are skipped too (both kinds are best-effort, as cancellation is in Go).
    pub async fn next(&mut self) -> Option<Notice> {
        loop {
            match self.rx.recv().await {
                Ok(msg) => {
                    let channel = msg.channel.to_string();
                    if channel == keys::CANCEL_CHANNEL {
                        if let Some(id) = msg.value.as_string() {
                            return Some(Notice::Cancel(id));
                        }
                    } else if let Some(q) = keys::queue_of_wakeup_channel(&channel) {
                        return Some(Notice::Wakeup(q.to_string()));
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
        let _ = self.client.unsubscribe(self.channels.clone()).await;
        let _ = self.client.quit().await;
    }
}

impl Broker {
    /// Opens a worker's subscription: `asynq:cancel` plus the wake-up channel of each queue in
    /// `queues`, on a connection of its own, and waits until Redis has confirmed it.
    ///
    /// # Errors
    /// Connection errors.
    pub async fn subscribe_worker(&self, queues: &[String]) -> Result<Subscription> {
        let mut channels = vec![keys::CANCEL_CHANNEL.to_string()];
        channels.extend(queues.iter().map(|q| keys::wakeup_channel(q)));
        Subscription::open(self, channels).await
    }
}

/// `SUBSCRIBE <channels>`, returning once Redis has processed it.
///
/// fred completes a `SUBSCRIBE` as soon as it is queued, before it is even written, and drops
/// the confirmation Redis sends back; a message published in between would be lost. So a `PING`
/// follows on the same connection (fred sends legacy pub/sub commands of a clustered client to
/// the node owning the slot of the client ID, so the `PING` is routed by that slot too). Redis
/// answers commands of one connection in order, so the `PING` reply means the subscription is
/// active.
async fn subscribe_confirmed(client: &SubscriberClient, channels: &[String]) -> Result<()> {
    client.subscribe(channels.to_vec()).await?;
    let slot = fred::util::redis_keyslot(client.id().as_bytes());
    let ping = CustomCommand::new_static("PING", ClusterHash::Custom(slot), false);
    let _: Value = client.custom(ping, Vec::<Value>::new()).await?;
    Ok(())
}
