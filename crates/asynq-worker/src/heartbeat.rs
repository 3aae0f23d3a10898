//! The heartbeat: publishes the server and its running tasks, and extends their leases (Go
//! `heartbeat.go`, spec §6.5, §6.12).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use asynq_proto::{timestamp_from_datetime, ServerInfo, WorkerInfo};
use tokio_util::sync::CancellationToken;

use crate::shared::{sleep_or_stop, Core};

/// Beats at once, then every `heartbeat_interval` until `stop`; then removes the server's state
/// from Redis (within `last_write`).
pub(crate) async fn run(core: Arc<Core>, stop: CancellationToken, last_write: Duration) {
    loop {
        tokio::select! {
            _ = beat(&core) => {}
            _ = stop.cancelled() => break,
        }
        if !sleep_or_stop(&stop, core.config.heartbeat_interval).await {
            break;
        }
    }
    let id = &core.identity;
    let clear = core
        .broker
        .clear_server_state(&id.host, id.pid, &id.server_id);
    match tokio::time::timeout(last_write, clear).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "could not clear the server state"),
        Err(_) => tracing::error!("could not clear the server state: no reply from Redis"),
    }
}

/// One beat: writes `ServerInfo` and one `WorkerInfo` per running task with a TTL of twice the
/// interval, then extends the valid leases per queue and notifies the attempts whose lease
/// expired.
pub(crate) async fn beat(core: &Core) {
    let id = &core.identity;
    let workers = core.workers.snapshot();
    let started = core
        .started
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or_else(|| core.now());
    let info = ServerInfo {
        host: id.host.clone(),
        pid: i32::try_from(id.pid).unwrap_or(i32::MAX),
        server_id: id.server_id.clone(),
        concurrency: i32::try_from(core.config.concurrency).unwrap_or(i32::MAX),
        queues: core.config.queues.clone(),
        strict_priority: core.config.strict_priority,
        status: core.state().as_str().to_string(),
        start_time: Some(timestamp_from_datetime(started)),
        active_worker_count: i32::try_from(workers.len()).unwrap_or(i32::MAX),
    };
    let mut infos = Vec::with_capacity(workers.len());
    let mut by_queue: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for w in &workers {
        infos.push(WorkerInfo {
            host: id.host.clone(),
            pid: info.pid,
            server_id: id.server_id.clone(),
            task_id: w.msg.id.clone(),
            task_type: w.msg.r#type.clone(),
            task_payload: w.msg.payload.clone(),
            queue: w.msg.queue.clone(),
            start_time: Some(timestamp_from_datetime(w.started)),
            deadline: Some(timestamp_from_datetime(w.deadline)),
        });
        if w.lease.is_valid() {
            by_queue
                .entry(&w.msg.queue)
                .or_default()
                .push(w.msg.id.clone());
        } else {
            w.lease.notify_expiration();
        }
    }
    let ttl = core.config.heartbeat_interval * 2;
    if let Err(e) = core.broker.write_server_state(&info, &infos, ttl).await {
        tracing::error!(error = %e, "could not write the server state");
    }
    for (qname, ids) in by_queue {
        let expiry = match core.broker.extend_lease(qname, &ids).await {
            Ok(expiry) => expiry,
            Err(e) => {
                tracing::error!(queue = qname, error = %e, "could not extend the leases of {} tasks", ids.len());
                continue;
            }
        };
        for w in workers.iter().filter(|w| w.msg.queue == qname) {
            if ids.contains(&w.msg.id) && !w.lease.reset(expiry) {
                tracing::warn!(task_id = %w.msg.id, lease_deadline = %w.lease.deadline(), "lease reset failed: it had already expired");
            }
        }
    }
}
