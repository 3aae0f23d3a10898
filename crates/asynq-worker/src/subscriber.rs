//! The subscriber: cancels running tasks named on `asynq:cancel` (Go `subscriber.go`, spec
//! §6.16), and wakes idle fetchers when a queue of this server gets work (the Rust-only
//! `asynq:{q}:wakeup` channels, see [`crate::idle`]). Both arrive on one connection.

use std::sync::Arc;
use std::time::Duration;

use asynq_broker::Notice;
use tokio_util::sync::CancellationToken;

use crate::shared::{sleep_or_stop, Core};

/// How long to wait before subscribing again after a failure (Go: 5 s).
const RETRY_INTERVAL: Duration = Duration::from_secs(5);

/// Subscribes (trying again every 5 s until it works), then handles each message until `stop`:
/// a cancellation cancels the context of the running task with that ID, a wake-up wakes one
/// idle fetcher. The subscription re-subscribes by itself after a reconnect.
pub(crate) async fn run(core: Arc<Core>, stop: CancellationToken) {
    let mut wakeups = true;
    let mut sub = loop {
        let queues: &[String] = if wakeups { &core.queues } else { &[] };
        let attempt = tokio::select! {
            _ = stop.cancelled() => return,
            s = core.broker.subscribe_worker(queues) => s,
        };
        match attempt {
            Ok(sub) => break sub,
            // Refused rather than unreachable (an ACL without the wake-up channels): go on
            // with cancellations alone; idle fetchers then only poll, as Go's do.
            Err(e) if wakeups && !e.is_connection_error() => {
                tracing::warn!(error = %e, "cannot subscribe to the wake-up channels; idle workers will poll only");
                wakeups = false;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot subscribe to cancellations; trying again in {RETRY_INTERVAL:?}");
                if !sleep_or_stop(&stop, RETRY_INTERVAL).await {
                    return;
                }
            }
        }
    };
    // Anything enqueued before the subscription was confirmed is found by this fetch.
    core.idle.wake();
    loop {
        let notice = tokio::select! {
            _ = stop.cancelled() => break,
            n = sub.next() => n,
        };
        match notice {
            Some(Notice::Cancel(id)) => {
                if core.workers.cancel(&id) {
                    tracing::info!(task_id = %id, "cancelled on request");
                }
            }
            Some(Notice::Wakeup(_)) => core.idle.wake(),
            None => break,
        }
    }
    sub.close().await;
}
