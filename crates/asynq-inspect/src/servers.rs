//! Live worker servers and what they process (Go `Inspector.Servers`, spec §5.14).

use std::collections::HashMap;

use asynq_proto::Timestamp;
use time::OffsetDateTime;

use crate::error::InspectError;
use crate::info::{ServerInfo, WorkerInfo};
use crate::inspector::Inspector;

/// A `Timestamp` field as Go's `AsTime` reads it: absent → the Unix epoch; otherwise the exact
/// time (Go's zero time is 0001-01-01); out of range → the Unix epoch.
pub(crate) fn as_time(ts: Option<&Timestamp>) -> OffsetDateTime {
    ts.and_then(|t| {
        let nanos = i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanos);
        OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
    })
    .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl Inspector {
    /// Every live server with the tasks it is processing (Go `Inspector.Servers`).
    ///
    /// Reading prunes: entries of `asynq:servers` and `asynq:workers` whose expiry is more than
    /// a second past are removed, as Go does. Server and worker entries that are missing or
    /// cannot be decoded are skipped; workers of a server that is not listed are dropped.
    /// Servers are sorted by host, PID and ID, and each server's workers by start time and task
    /// ID (Go's order is unspecified). `active_workers` is empty, not absent, for an idle server.
    ///
    /// # Errors
    /// [`InspectError::Broker`] when Redis fails.
    pub async fn servers(&self) -> Result<Vec<ServerInfo>, InspectError> {
        let servers = self.broker.list_servers().await?;
        let workers = self.broker.list_workers().await?;
        let mut by_id: HashMap<String, ServerInfo> = HashMap::new();
        for s in servers {
            by_id.insert(
                s.server_id.clone(),
                ServerInfo {
                    id: s.server_id,
                    host: s.host,
                    pid: s.pid,
                    concurrency: s.concurrency,
                    queues: s.queues,
                    strict_priority: s.strict_priority,
                    started: as_time(s.start_time.as_ref()),
                    status: s.status,
                    active_workers: Vec::new(),
                },
            );
        }
        for w in workers {
            let Some(server) = by_id.get_mut(&w.server_id) else {
                continue;
            };
            server.active_workers.push(WorkerInfo {
                task_id: w.task_id,
                task_type: w.task_type,
                task_payload: w.task_payload,
                queue: w.queue,
                started: as_time(w.start_time.as_ref()),
                deadline: as_time(w.deadline.as_ref()),
            });
        }
        let mut out: Vec<ServerInfo> = by_id.into_values().collect();
        for s in &mut out {
            s.active_workers
                .sort_by(|a, b| (a.started, &a.task_id).cmp(&(b.started, &b.task_id)));
        }
        out.sort_by(|a, b| (&a.host, a.pid, &a.id).cmp(&(&b.host, b.pid, &b.id)));
        Ok(out)
    }
}
