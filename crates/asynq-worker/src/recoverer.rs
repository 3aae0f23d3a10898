//! The recoverer: retries or archives tasks whose worker lost its lease, a crashed worker's
//! tasks for example (Go `recoverer.go`, spec §6.9).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::handler_error::HandlerError;
use crate::outcome::{decide_outcome, AttemptEnd, AttemptInfo};
use crate::processor::archive_poison;
use crate::shared::{sleep_or_stop, Core};
use crate::task::task_from_message;
use crate::write::apply;

/// How long past its expiry a lease is left alone, for clock skew between servers (Go: 30 s).
pub(crate) const LEASE_EXPIRY_SKEW: Duration = Duration::from_secs(30);

/// Recovers at once, then every `recoverer_interval` until `stop`.
pub(crate) async fn run(core: Arc<Core>, stop: CancellationToken) {
    loop {
        recover(&core).await;
        if !sleep_or_stop(&stop, core.config.recoverer_interval).await {
            return;
        }
    }
}

/// One run: every task of this server's queues whose lease expired at least 30 s ago is
/// archived (`retried >= retry`) or retried with `asynq: task lease expired`. The error handler
/// is not called, and a lost race with another recoverer (`NOT FOUND`) is only logged. A
/// message that cannot be processed (undecodable, or naming another queue or ID) is archived
/// with what is wrong as its error.
pub(crate) async fn recover(core: &Core) {
    let cutoff = core.now() - LEASE_EXPIRY_SKEW;
    let (msgs, undecodable) = match core.broker.list_lease_expired(cutoff, &core.queues).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "recoverer: could not list lease-expired tasks");
            return;
        }
    };
    for poison in &undecodable {
        archive_poison(core, poison).await;
    }
    let config = &core.config;
    let err = HandlerError::LeaseExpired;
    for msg in msgs {
        let outcome = decide_outcome(
            AttemptEnd::Failed(&err),
            &AttemptInfo::from_message(&msg),
            core.now(),
            |e| (config.is_failure)(e),
            |e| (config.retry_delay_func)(msg.retried, e, &task_from_message(&msg)),
        );
        match apply(&core.broker, &msg, &outcome).await {
            Ok(()) => {
                tracing::info!(task_id = %msg.id, queue = %msg.queue, "recovered a task whose lease expired: {outcome:?}")
            }
            Err(e) => {
                tracing::warn!(task_id = %msg.id, queue = %msg.queue, error = %e, "recoverer: could not write {outcome:?}")
            }
        }
    }
}
