//! The processor: takes tasks from Redis and runs at most `concurrency` of them at once (Go
//! `processor.go`, spec §6.2, §6.3, §6.15).

use std::sync::Arc;
use std::time::Duration;

use asynq_broker::BrokerError;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::exec;
use crate::handler::Handler;
use crate::idle::Waited;
use crate::shared::{sleep_or_stop, Core, LogLimiter};

/// The running processor.
pub(crate) struct Processor {
    /// Stops fetching (Go `stop`).
    stop: CancellationToken,
    /// Aborts the running attempts, which are then requeued (Go `abort`).
    abort: CancellationToken,
    sema: Arc<Semaphore>,
    concurrency: u32,
    fetch: Vec<JoinHandle<()>>,
}

/// How many dequeues may be under way at once. Go dequeues one task at a time, so a server
/// takes at most one task per Redis round trip; a few concurrent dequeues (each still holding
/// a permit first, so at most `concurrency` tasks are ever taken) keep the connection busy.
/// While every queue is empty only one of them polls (see [`crate::idle`]).
const MAX_FETCHERS: usize = 4;

/// The most tasks one dequeue takes: a fetcher takes as many free slots as there are, up to
/// this, and fetches a task for each in one script call (each task gets exactly the effects of a
/// single dequeue, so Go readers see no difference).
const MAX_BATCH: usize = 16;

impl Processor {
    pub(crate) fn start(core: Arc<Core>, handler: Arc<dyn Handler>) -> Processor {
        let concurrency = u32::try_from(core.config.concurrency.max(1)).unwrap_or(u32::MAX);
        let sema = Arc::new(Semaphore::new(concurrency as usize));
        let stop = CancellationToken::new();
        let abort = CancellationToken::new();
        let fetchers = core.config.concurrency.clamp(1, MAX_FETCHERS);
        let errors = Arc::new(LogLimiter::new(Duration::from_secs(3)));
        let fetch = (0..fetchers)
            .map(|_| {
                tokio::spawn(fetch_loop(
                    core.clone(),
                    handler.clone(),
                    sema.clone(),
                    stop.clone(),
                    abort.clone(),
                    errors.clone(),
                ))
            })
            .collect();
        Processor {
            stop,
            abort,
            sema,
            concurrency,
            fetch,
        }
    }

    /// Stops taking new tasks; running ones go on (Go `processor.stop`).
    pub(crate) fn stop(&self) {
        self.stop.cancel();
    }

    /// Stops fetching, waits up to `timeout` for the running attempts, then aborts the rest
    /// (each is requeued) and waits until every attempt has ended (Go `processor.shutdown`).
    pub(crate) async fn shutdown(self, timeout: Duration) {
        self.stop.cancel();
        // Every permit back means every attempt and every dequeue under way has ended.
        let all = self.sema.acquire_many(self.concurrency);
        tokio::pin!(all);
        tokio::select! {
            _ = &mut all => {}
            _ = tokio::time::sleep(timeout) => {
                tracing::warn!(
                    running = self.concurrency as usize - self.sema.available_permits(),
                    "shutdown timeout {timeout:?} reached; requeuing the tasks still running"
                );
                self.abort.cancel();
                let _ = all.await;
            }
        }
        for f in self.fetch {
            let _ = f.await;
        }
    }
}

async fn fetch_loop(
    core: Arc<Core>,
    handler: Arc<dyn Handler>,
    sema: Arc<Semaphore>,
    stop: CancellationToken,
    abort: CancellationToken,
    errors: Arc<LogLimiter>,
) {
    let check = core.config.task_check_interval;
    loop {
        let permit = tokio::select! {
            biased;
            _ = stop.cancelled() => return,
            p = sema.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
        };
        if stop.is_cancelled() {
            return;
        }
        // Take the other free slots too (up to MAX_BATCH in all) without waiting: one script
        // call then fetches a task for each of them.
        let mut permit = permit;
        let extra = sema.available_permits().min(MAX_BATCH - 1);
        if extra > 0 {
            if let Ok(more) = sema.clone().try_acquire_many_owned(extra as u32) {
                permit.merge(more);
            }
        }
        let want = permit.num_permits();
        let order = core.selector.order();
        // A dequeue still waiting on Redis at the abort is given up: if its script did run, the
        // tasks sit in `active` under a lease nobody extends and the recoverer retries them.
        let dequeued = tokio::select! {
            biased;
            _ = abort.cancelled() => return,
            d = core.broker.dequeue_many(&order, want) => d,
        };
        let batch = match dequeued {
            Ok(batch) => {
                report_failed_queues(&batch.failed, &errors);
                for poison in &batch.poison {
                    archive_poison(&core, poison).await;
                }
                if batch.is_empty() {
                    Err(BrokerError::NoProcessableTask)
                } else {
                    Ok(batch)
                }
            }
            Err(e) => Err(e),
        };
        match batch {
            Ok(batch) => {
                // A full batch means more may be waiting: let one more idle fetcher look.
                if batch.taken() == want {
                    core.idle.wake();
                }
                // Poison took a slot in the script but needs none here.
                for dequeued in batch.tasks {
                    // The script returns at most `want` tasks, one permit each.
                    let Some(one) = permit.split(1) else {
                        tracing::error!(task_id = %dequeued.msg.id, queue = %dequeued.msg.queue, "no free slot for a dequeued task; the recoverer will retry it");
                        continue;
                    };
                    tokio::spawn(exec::run(
                        core.clone(),
                        handler.clone(),
                        dequeued,
                        abort.clone(),
                        one,
                    ));
                }
                // Slots left over go back to the semaphore here.
                drop(permit);
            }
            Err(BrokerError::NoProcessableTask) => {
                // Like Go, wait holding the permit; unlike Go, only one fetcher polls, with a
                // cheap probe, and any is woken as soon as work arrives (crate::idle).
                loop {
                    match core.idle.wait(&stop, check).await {
                        Waited::Stopped => return,
                        Waited::Woken => break,
                        Waited::PollDue => {
                            // An error means "maybe": the dequeue then reports it.
                            let probe = tokio::select! {
                                _ = stop.cancelled() => return,
                                p = core.broker.any_pending(&core.queues) => p,
                            };
                            if probe.unwrap_or(true) {
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => {
                if errors.allow() {
                    tracing::error!(error = %e, "dequeue error");
                }
                // Go loops without pausing here; waiting keeps a Redis outage from becoming a
                // busy loop.
                if !sleep_or_stop(&stop, check).await {
                    return;
                }
            }
        }
    }
}

/// Logs each queue whose dequeue failed with an error reply (at most once per 3 s and queue),
/// naming its pending key; the other queues were still served.
fn report_failed_queues(failed: &[(String, BrokerError)], errors: &LogLimiter) {
    for (queue, e) in failed {
        if errors.allow_for(queue) {
            tracing::error!(
                queue = %queue,
                key = %asynq_broker::keys::pending_key(queue),
                error = %e,
                "dequeue from this queue failed; skipping it, the other queues are still served"
            );
        }
    }
}

/// Archives a task message that cannot be processed (undecodable, or naming another queue or
/// ID), so it does not sit in `active`; the recoverer tries again if this write fails.
pub(crate) async fn archive_poison(core: &Core, poison: &asynq_broker::PoisonMessage) {
    match core.broker.archive_poison(poison).await {
        Ok(()) => tracing::error!(
            task_id = %poison.id,
            queue = %poison.queue,
            reason = %poison.reason,
            "archived a task message that cannot be processed"
        ),
        Err(e) => tracing::warn!(
            task_id = %poison.id,
            queue = %poison.queue,
            reason = %poison.reason,
            error = %e,
            "could not archive a task message that cannot be processed; the recoverer will once its lease expires"
        ),
    }
}
