//! The one Redis write that ends an attempt, under the lease guard (Go `processor.markAsDone`,
//! `markAsComplete`, `retry`, `archive`, `requeue`; spec §6.5).

use std::sync::Arc;
use std::time::Duration;

use asynq_broker::{Broker, BrokerError};
use asynq_proto::TaskMessage;
use tokio_util::sync::CancellationToken;

use crate::lease::Lease;
use crate::outcome::Outcome;
use crate::shared::Core;
use crate::syncer::SyncRequest;

/// Performs `outcome` for `msg`.
pub(crate) async fn apply(
    broker: &Broker,
    msg: &TaskMessage,
    outcome: &Outcome,
) -> Result<(), BrokerError> {
    match outcome {
        Outcome::Done | Outcome::Revoke => broker.done(msg).await,
        Outcome::MarkAsComplete => broker.mark_as_complete(msg).await,
        Outcome::Retry {
            retry_at,
            is_failure,
            error_message,
        } => {
            broker
                .retry(msg, *retry_at, error_message, *is_failure)
                .await
        }
        Outcome::Archive { error_message } => broker.archive(msg, error_message).await,
        Outcome::Requeue => broker.requeue(msg).await,
    }
}

/// Performs `outcome` while the lease is valid, within the lease's remaining time (and within
/// `cap` if given). With an expired lease nothing is written: the task stays active and the
/// recoverer retries or archives it. A failed write, other than a requeue, is handed to the
/// syncer when it failed for want of Redis.
pub(crate) async fn guarded(
    core: &Arc<Core>,
    msg: &Arc<TaskMessage>,
    lease: &Arc<Lease>,
    outcome: Outcome,
    cap: Option<Duration>,
    abort: &CancellationToken,
) {
    if !lease.is_valid() {
        tracing::warn!(
            task_id = %msg.id,
            queue = %msg.queue,
            lease_deadline = %lease.deadline(),
            "lease expired; leaving the task to the recoverer ({outcome:?} not written)"
        );
        return;
    }
    let limit = cap.map_or(lease.remaining(), |c| c.min(lease.remaining()));
    // At the shutdown abort a write still waiting on Redis goes to the syncer, whose last try
    // is bounded.
    let write = tokio::time::timeout(limit, apply(&core.broker, msg, &outcome));
    let err = tokio::select! {
        res = write => match res {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e,
            Err(_) => BrokerError::Connection(format!("no reply from Redis within {limit:?}")),
        },
        _ = abort.cancelled(), if !matches!(outcome, Outcome::Requeue) => {
            BrokerError::Connection("no reply from Redis before the shutdown abort".into())
        }
    };
    if matches!(outcome, Outcome::Requeue) || !err.is_connection_error() {
        tracing::error!(task_id = %msg.id, queue = %msg.queue, error = %err, "could not write {outcome:?}");
        return;
    }
    tracing::warn!(task_id = %msg.id, queue = %msg.queue, error = %err, "could not write {outcome:?}; the syncer will try again while the lease lasts");
    core.syncer.push(SyncRequest {
        msg: msg.clone(),
        lease: lease.clone(),
        outcome,
    });
}
