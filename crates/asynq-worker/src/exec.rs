//! One attempt at one task (Go `processor.exec`'s worker goroutine, spec §6.4, §6.6).

use std::sync::Arc;

use asynq_broker::Dequeued;
use asynq_proto::TaskMessage;
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;

use crate::context::{CancelReason, TaskContext, TaskMetadata};
use crate::deadline::{compute_deadline, lacks_timeout_and_deadline};
use crate::handler::Handler;
use crate::handler_error::HandlerError;
use crate::lease::Lease;
use crate::outcome::{decide_outcome, AttemptEnd, AttemptInfo};
use crate::panic::PanicError;
use crate::shared::Core;
use crate::task::task_from_message;
use crate::workers::ActiveWorker;
use crate::write;

/// How an attempt ended, owning its error.
enum End {
    Succeeded,
    Failed(HandlerError),
    Aborted,
}

/// Runs the handler on `dequeued`, writes the outcome, and releases `permit`.
pub(crate) async fn run(
    core: Arc<Core>,
    handler: Arc<dyn Handler>,
    dequeued: Dequeued,
    abort: CancellationToken,
    permit: OwnedSemaphorePermit,
) {
    let msg = Arc::new(dequeued.msg);
    let clock = core.broker.clock().clone();
    let lease = Arc::new(Lease::new(dequeued.lease_expiry, clock));
    let started = core.now();
    if lacks_timeout_and_deadline(msg.timeout, msg.deadline) {
        tracing::error!(task_id = %msg.id, "internal error: task has neither timeout nor deadline; using 30 min");
    }
    let deadline = compute_deadline(started, msg.timeout, msg.deadline);
    let ctx = TaskContext::new(
        TaskMetadata::from_message(&msg),
        deadline,
        core.broker.clone(),
    );
    let slot = core.workers.insert(ActiveWorker {
        msg: msg.clone(),
        started,
        deadline,
        lease: lease.clone(),
        ctx: ctx.clone(),
    });

    let end = attempt(&core, handler, &msg, &lease, &ctx, &abort).await;
    finish(&core, &msg, &lease, &ctx, end, &abort).await;

    ctx.cancel(CancelReason::Canceled);
    core.workers.remove(slot);
    drop(permit);
}

async fn attempt(
    core: &Core,
    handler: Arc<dyn Handler>,
    msg: &TaskMessage,
    lease: &Lease,
    ctx: &TaskContext,
    abort: &CancellationToken,
) -> End {
    if let Some(reason) = ctx.err() {
        ctx.cancel(reason);
        return End::Failed(reason.to_handler_error());
    }
    let until_deadline = std::time::Duration::try_from(ctx.deadline() - core.now())
        .unwrap_or(std::time::Duration::ZERO);
    let task = task_from_message(msg);
    let handler_ctx = ctx.clone();
    let mut run = tokio::spawn(async move { handler.process_task(handler_ctx, task).await });
    // The handler keeps running detached if the attempt ends another way, with its context
    // cancelled, as in Go.
    // A cancellation (a message on `asynq:cancel`) wins over a result returned in answer to it:
    // cancel never deletes the task (spec §6.6).
    tokio::select! {
        biased;
        _ = ctx.cancelled() => End::Failed(ctx.err().unwrap_or(CancelReason::Canceled).to_handler_error()),
        res = &mut run => match res {
            Ok(Ok(())) => End::Succeeded,
            Ok(Err(e)) => End::Failed(e),
            Err(e) if e.is_panic() => {
                let err = PanicError::from_payload(e.into_panic().as_ref());
                tracing::error!(task_id = %msg.id, "recovered from a handler panic: {err}");
                End::Failed(HandlerError::Panic(err))
            }
            Err(_) => End::Failed(HandlerError::Canceled),
        },
        _ = abort.cancelled() => {
            tracing::warn!(task_id = %msg.id, "quitting worker at shutdown; the task is requeued");
            End::Aborted
        }
        _ = lease.expired() => {
            ctx.cancel(CancelReason::Canceled);
            End::Failed(HandlerError::LeaseExpired)
        }
        _ = tokio::time::sleep(until_deadline) => {
            ctx.cancel(CancelReason::DeadlineExceeded);
            End::Failed(HandlerError::DeadlineExceeded)
        }
    }
}

/// The error handler, then the outcome's write (Go `handleSucceededMessage`,
/// `handleFailedMessage`, `requeue`).
async fn finish(
    core: &Arc<Core>,
    msg: &Arc<TaskMessage>,
    lease: &Arc<Lease>,
    ctx: &TaskContext,
    end: End,
    abort: &CancellationToken,
) {
    let config = &core.config;
    let end = match &end {
        End::Succeeded => AttemptEnd::Succeeded,
        End::Aborted => AttemptEnd::Aborted,
        End::Failed(err) => {
            if let Some(h) = &config.error_handler {
                h.handle_error(ctx, &task_from_message(msg), err);
            }
            AttemptEnd::Failed(err)
        }
    };
    let outcome = decide_outcome(
        end,
        &AttemptInfo::from_message(msg),
        core.now(),
        |e| (config.is_failure)(e),
        |e| (config.retry_delay_func)(msg.retried, e, &task_from_message(msg)),
    );
    let cap = matches!(end, AttemptEnd::Aborted).then_some(crate::server::SHUTDOWN_WRITE_TIMEOUT);
    write::guarded(core, msg, lease, outcome, cap, abort).await;
}
