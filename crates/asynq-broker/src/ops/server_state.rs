//! WriteServerState and ClearServerState (spec §4.24).

use std::time::Duration;

use asynq_proto::{ServerInfo, WorkerInfo};
use fred::prelude::*;
use fred::types::Value;

use crate::broker::{bin, int, text, whole_seconds, Broker};
use crate::error::Result;
use crate::{keys, scripts};

impl Broker {
    /// Publishes a server's state for `ttl` (whole seconds; the heartbeat uses 10 s): `ZADD
    /// asynq:servers` and `ZADD asynq:workers` with score now + ttl, then the server-info string
    /// and the workers hash (task ID → `WorkerInfo`) with that TTL (Go `RDB.WriteServerState`).
    /// With no workers the workers hash does not exist.
    ///
    /// # Errors
    /// Redis errors.
    pub async fn write_server_state(
        &self,
        info: &ServerInfo,
        workers: &[WorkerInfo],
        ttl: Duration,
    ) -> Result<()> {
        let pid = u32::try_from(info.pid).unwrap_or_default();
        let server_key = keys::server_info_key(&info.host, pid, &info.server_id);
        let workers_key = keys::workers_key(&info.host, pid, &info.server_id);
        let expiry = (self.now() + ttl).unix_timestamp() as f64;
        let _: Value = self
            .client
            .zadd(
                keys::ALL_SERVERS,
                None,
                None,
                false,
                false,
                (expiry, server_key.as_str()),
            )
            .await?;
        let _: Value = self
            .client
            .zadd(
                keys::ALL_WORKERS,
                None,
                None,
                false,
                false,
                (expiry, workers_key.as_str()),
            )
            .await?;
        let mut args = Vec::with_capacity(2 + 2 * workers.len());
        args.push(int(whole_seconds(ttl).max(1)));
        args.push(bin(asynq_proto::encode(info)));
        for w in workers {
            args.push(text(&w.task_id));
            args.push(bin(asynq_proto::encode(w)));
        }
        let _: String = self
            .eval(
                &scripts::WRITE_SERVER_STATE,
                vec![server_key, workers_key],
                args,
            )
            .await?;
        Ok(())
    }

    /// Removes a server's state: `ZREM` from both global sets, then deletes the server-info and
    /// workers keys (Go `RDB.ClearServerState`).
    ///
    /// # Errors
    /// Redis errors.
    pub async fn clear_server_state(&self, host: &str, pid: u32, server_id: &str) -> Result<()> {
        let server_key = keys::server_info_key(host, pid, server_id);
        let workers_key = keys::workers_key(host, pid, server_id);
        let _: Value = self
            .client
            .zrem(keys::ALL_SERVERS, server_key.as_str())
            .await?;
        let _: Value = self
            .client
            .zrem(keys::ALL_WORKERS, workers_key.as_str())
            .await?;
        let _: String = self
            .eval(
                &scripts::CLEAR_SERVER_STATE,
                vec![server_key, workers_key],
                vec![],
            )
            .await?;
        Ok(())
    }
}
