//! The Inspector's reads of process state (spec §5.14, 5.15): live servers and their workers,
//! scheduler entries and scheduler enqueue events.

use asynq_proto::{SchedulerEnqueueEvent, SchedulerEntry, ServerInfo, WorkerInfo};
use bytes::Bytes;
use fred::prelude::*;
use fred::types::{ClusterHash, CustomCommand, Value};

use crate::broker::{int, Broker};
use crate::error::{BrokerError, Result};
use crate::{keys, scripts};

impl Broker {
    /// The members of `zset` (`asynq:servers`, `asynq:workers` or `asynq:schedulers`) whose
    /// expiry score is ≥ now, after removing those with score ≤ now − 1 (Go's list-keys
    /// scripts; the reader writes).
    async fn live_keys(&self, zset: &str) -> Result<Vec<String>> {
        let now = self.now().unix_timestamp();
        self.eval(
            &scripts::INSPECT_LIST_LIVE_KEYS,
            vec![zset.to_string()],
            vec![int(now)],
        )
        .await
    }

    /// The `ServerInfo` of every live server (Go `RDB.ListServers`, spec §5.14): the live members
    /// of `asynq:servers` (expired ones are removed), each read with `GET`. Missing or
    /// undecodable entries are skipped.
    ///
    /// # Errors
    /// Redis errors of the listing script.
    pub async fn list_servers(&self) -> Result<Vec<ServerInfo>> {
        let mut out = Vec::new();
        for key in self.live_keys(keys::ALL_SERVERS).await? {
            let Ok(Some(raw)) = self.client.get::<Option<Bytes>, _>(key).await else {
                continue;
            };
            if let Ok(info) = asynq_proto::decode::<ServerInfo>(raw) {
                out.push(info);
            }
        }
        Ok(out)
    }

    /// The `WorkerInfo` of every task being processed by a live server (Go `RDB.ListWorkers`,
    /// spec §5.14): the live members of `asynq:workers` (expired ones are removed), each read
    /// with `HVALS`. Missing or undecodable entries are skipped.
    ///
    /// # Errors
    /// Redis errors of the listing script.
    pub async fn list_workers(&self) -> Result<Vec<WorkerInfo>> {
        let mut out = Vec::new();
        for key in self.live_keys(keys::ALL_WORKERS).await? {
            let Ok(vals) = self.client.hvals::<Vec<Bytes>, _>(key).await else {
                continue;
            };
            out.extend(
                vals.into_iter()
                    .filter_map(|raw| asynq_proto::decode::<WorkerInfo>(raw).ok()),
            );
        }
        Ok(out)
    }

    /// The entries of every live scheduler (Go `RDB.ListSchedulerEntries`, spec §5.15): the live
    /// members of `asynq:schedulers` (expired ones are removed), each read with
    /// `LRANGE 0 -1`. Missing or undecodable entries are skipped.
    ///
    /// # Errors
    /// Redis errors of the listing script.
    pub async fn list_scheduler_entries(&self) -> Result<Vec<SchedulerEntry>> {
        let mut out = Vec::new();
        for key in self.live_keys(keys::ALL_SCHEDULERS).await? {
            let Ok(vals) = self.client.lrange::<Vec<Bytes>, _>(key, 0, -1).await else {
                continue;
            };
            out.extend(
                vals.into_iter()
                    .filter_map(|raw| asynq_proto::decode::<SchedulerEntry>(raw).ok()),
            );
        }
        Ok(out)
    }

    /// Page `[start, stop]` (0-based inclusive ranks) of the enqueue events of scheduler entry
    /// `entry_id`, newest first: `ZREVRANGE asynq:scheduler_history:<id> start stop WITHSCORES`
    /// (Go `RDB.ListSchedulerEnqueueEvents`). An unknown entry gives an empty list.
    ///
    /// # Errors
    /// [`BrokerError::Decode`] when an event cannot be decoded (Go fails too); Redis errors.
    pub async fn list_scheduler_enqueue_events(
        &self,
        entry_id: &str,
        start: i64,
        stop: i64,
    ) -> Result<Vec<SchedulerEnqueueEvent>> {
        if stop < start {
            return Ok(Vec::new());
        }
        let key = keys::scheduler_history_key(entry_id);
        let cmd = CustomCommand::new_static("ZREVRANGE", ClusterHash::FirstKey, false);
        let reply: Value = self
            .client
            .custom(
                cmd,
                vec![
                    Value::from(key.as_str()),
                    int(start),
                    int(stop),
                    Value::from("WITHSCORES"),
                ],
            )
            .await?;
        let items = flatten_pairs(reply);
        let mut out = Vec::with_capacity(items.len() / 2);
        for member in items.into_iter().step_by(2) {
            let raw = member.into_bytes().unwrap_or_default();
            let event = asynq_proto::decode::<SchedulerEnqueueEvent>(raw).map_err(|e| {
                BrokerError::Decode {
                    what: format!("scheduler enqueue event in {key}"),
                    reason: e.to_string(),
                }
            })?;
            out.push(event);
        }
        Ok(out)
    }
}

/// A `WITHSCORES` reply as a flat member, score, member, score... list (RESP2 gives it flat,
/// RESP3 as pairs).
fn flatten_pairs(reply: Value) -> Vec<Value> {
    let mut out = Vec::new();
    for v in reply.into_array() {
        match v {
            Value::Array(pair) => out.extend(pair),
            other => out.push(other),
        }
    }
    out
}
