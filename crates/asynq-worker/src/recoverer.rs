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

/// One run: the lease-expired tasks, then the stale aggregation sets (Go `recover`).
pub(crate) async fn recover(core: &Core) {
    recover_lease_expired(core).await;
    reclaim_stale_aggregation_sets(core).await;
}

/// Returns the tasks of every aggregation set of this server's queues whose 2-minute deadline
/// has passed (its aggregator failed, returned no task, or its server died) to their group,
/// with their original scores, and registers the group name again (Go
/// `ReclaimStaleAggregationSets`, which does not: quirk Q5). Runs on every server, with an
/// aggregator or not, as in Go.
async fn reclaim_stale_aggregation_sets(core: &Core) {
    for qname in &core.queues {
        if let Err(e) = core.broker.reclaim_stale_aggregation_sets(qname).await {
            tracing::warn!(queue = %qname, error = %e, "recoverer: could not reclaim stale aggregation sets");
        }
    }
}

/// Every task of this server's queues whose lease expired at least 30 s ago is
/// archived (`retried >= retry`) or retried with `asynq: task lease expired`. The error handler
/// is not called, and a lost race with another recoverer (`NOT FOUND`) is only logged. A
/// message that cannot be processed (undecodable, or naming another queue or ID) is archived
/// with what is wrong as its error.
async fn recover_lease_expired(core: &Core) {
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
