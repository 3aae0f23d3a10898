//! The cancellation subscriber: cancels running tasks named on `asynq:cancel` (Go
//! `subscriber.go`, spec §6.16).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::shared::{sleep_or_stop, Core};

/// How long to wait before subscribing again after a failure (Go: 5 s).
const RETRY_INTERVAL: Duration = Duration::from_secs(5);

/// Subscribes (trying again every 5 s until it works) and cancels the context of each running
/// task whose ID arrives, until `stop`. The subscription re-subscribes by itself after a
/// reconnect.
pub(crate) async fn run(core: Arc<Core>, stop: CancellationToken) {
    let mut sub = loop {
        let attempt = tokio::select! {
            _ = stop.cancelled() => return,
            s = core.broker.subscribe_cancellations() => s,
        };
        match attempt {
            Ok(sub) => break sub,
            Err(e) => {
                tracing::error!(error = %e, "cannot subscribe to cancellations; trying again in {RETRY_INTERVAL:?}");
                if !sleep_or_stop(&stop, RETRY_INTERVAL).await {
                    return;
                }
            }
        }
    };
    loop {
        let id = tokio::select! {
            _ = stop.cancelled() => break,
            id = sub.next() => id,
        };
        match id {
            Some(id) => {
                if core.workers.cancel(&id) {
                    tracing::info!(task_id = %id, "cancelled on request");
                }
            }
            None => break,
        }
    }
    sub.close().await;
}
