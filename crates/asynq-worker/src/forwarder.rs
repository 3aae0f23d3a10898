//! The forwarder: moves due scheduled and retry tasks to pending (Go `forwarder.go`, spec
//! §6.10).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::shared::{sleep_or_stop, Core};

/// Every `delayed_task_check_interval` (the first run after one interval) until `stop`.
pub(crate) async fn run(core: Arc<Core>, stop: CancellationToken) {
    while sleep_or_stop(&stop, core.config.delayed_task_check_interval).await {
        if let Err(e) = core.broker.forward_if_ready(&core.queues).await {
            tracing::error!(error = %e, "forwarder: could not move due tasks to pending");
        }
    }
}
