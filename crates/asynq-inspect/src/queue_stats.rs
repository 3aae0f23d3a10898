//! Queue list, queue statistics, daily history, Redis INFO and single-task lookup (Go
//! `Queues`, `GetQueueInfo`, `History`, `GetTaskInfo`; the CLI's `RedisInfo` /
//! `RedisClusterInfo`; spec §5.2–5.6).

use std::collections::BTreeMap;

use asynq_broker::RedisConnOpt;
use asynq_client::TaskInfo;

use crate::error::InspectError;
use crate::info::{DailyStats, QueueInfo};
use crate::inspector::{validate_queue, Inspector};

impl Inspector {
    /// Every queue name in `asynq:queues`, sorted (Go `Inspector.Queues`, spec §5.2; Go's order
    /// is unspecified). A queue appears once something was enqueued to it and until it is
    /// deleted.
    ///
    /// # Errors
    /// [`InspectError::Broker`] when Redis fails.
    pub async fn queues(&self) -> Result<Vec<String>, InspectError> {
        Ok(self.broker.all_queues().await?)
    }

    /// The current sizes, counters, latency and memory estimate of `queue` (Go
    /// `Inspector.GetQueueInfo`, spec §5.3).
    ///
    /// `size` counts every state including completed, as Go does. `latency` is the time since
    /// the next task to be dequeued became pending (zero when `pending` is empty or that task has
    /// no `pending_since`, e.g. after a requeue). `processed`/`failed` are today's (UTC)
    /// counters. `memory_usage` is a sampled estimate in bytes; when it fails, the whole call
    /// fails.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name; [`InspectError::QueueNotFound`]
    /// when the queue is not in `asynq:queues`; [`InspectError::Broker`] otherwise.
    pub async fn get_queue_info(&self, queue: &str) -> Result<QueueInfo, InspectError> {
        validate_queue(queue)?;
        Ok(self.broker.current_stats(queue).await?)
    }

    /// The processed and failed counts of `queue` for the last `days` days, today (UTC) first
    /// (Go `Inspector.History`, spec §5.4). Entry i is dated now − i × 24 h; days without
    /// counters read 0. Counters live 90 days.
    ///
    /// # Errors
    /// [`InspectError::InvalidArgument`] for a blank queue name, and `the number of days must be
    /// positive` for `days < 1` (Go reports the latter with code `FailedPrecondition`);
    /// [`InspectError::QueueNotFound`]; [`InspectError::Broker`] otherwise.
    pub async fn history(&self, queue: &str, days: i64) -> Result<Vec<DailyStats>, InspectError> {
        validate_queue(queue)?;
        if days < 1 {
            return Err(InspectError::InvalidArgument(
                "the number of days must be positive".into(),
            ));
        }
        Ok(self.broker.historical_stats(queue, days).await?)
    }

    /// Redis server information as key → value (spec §5.5, what Go's CLI `stats` prints): `INFO`
    /// on a single node or Sentinel-managed primary; `CLUSTER INFO` when connected to a cluster,
    /// like the CLI's `RedisClusterInfo`. Lines of the reply that are not `key:value` are
    /// dropped.
    ///
    /// # Errors
    /// [`InspectError::Broker`] when Redis fails.
    pub async fn redis_info(&self) -> Result<BTreeMap<String, String>, InspectError> {
        if matches!(self.broker.conn_opt(), RedisConnOpt::Cluster(_)) {
            self.redis_cluster_info().await
        } else {
            Ok(self.broker.redis_info().await?)
        }
    }

    /// `CLUSTER INFO` as key → value (Go `RDB.RedisClusterInfo`, spec §5.5), whatever the
    /// connection kind.
    ///
    /// # Errors
    /// [`InspectError::Broker`], e.g. Redis's error reply on a node without cluster support.
    pub async fn redis_cluster_info(&self) -> Result<BTreeMap<String, String>, InspectError> {
        Ok(self.broker.redis_cluster_info().await?)
    }

    /// Task `id` of `queue` in whatever state it is (Go `Inspector.GetTaskInfo`, spec §5.6).
    /// `next_process_at` is the process-at / retry-at time for scheduled and retry tasks, now
    /// (whole seconds) for pending ones, `None` otherwise; `is_orphaned` is always false here.
    /// As in Go the queue name is not checked for blankness (a blank name is simply not found).
    ///
    /// # Errors
    /// [`InspectError::QueueNotFound`]; [`InspectError::TaskNotFound`];
    /// [`InspectError::FailedPrecondition`] for an unknown `state` in the hash;
    /// [`InspectError::Broker`] otherwise (e.g. an undecodable message).
    pub async fn get_task_info(&self, queue: &str, id: &str) -> Result<TaskInfo, InspectError> {
        let t = self.broker.get_task_info(queue, id).await?;
        Ok(TaskInfo::from_message(
            &t.msg,
            t.state,
            t.next_process_at,
            t.result,
        ))
    }
}
