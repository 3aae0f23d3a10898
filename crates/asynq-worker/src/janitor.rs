//! The janitor: deletes completed tasks whose retention has passed (Go `janitor.go`, spec
//! §6.11).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::shared::{sleep_or_stop, Core};

/// Every `janitor_interval` (the first run after one interval) until `stop`, at most
/// `janitor_batch_size` tasks per queue and run.
pub(crate) async fn run(core: Arc<Core>, stop: CancellationToken) {
    while sleep_or_stop(&stop, core.config.janitor_interval).await {
        for qname in &core.queues {
            let batch = core.config.janitor_batch_size;
            if let Err(e) = core
                .broker
                .delete_expired_completed_tasks(qname, batch)
                .await
            {
                tracing::error!(queue = %qname, error = %e, "janitor: could not delete expired completed tasks");
            }
        }
    }
}
