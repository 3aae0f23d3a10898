//! The Inspector's read operations on queues (spec §5.1–5.7, 5.17): queue list and existence,
//! current and historical stats, Redis INFO, one task, groups, cluster slot and nodes.
//!
//! Listing lives in [`super::inspect_list`], servers and scheduler entries in
//! [`super::inspect_servers`].

use std::collections::BTreeMap;
use std::time::Duration;

use asynq_proto::TaskMessage;
use bytes::Bytes;
use fred::prelude::*;
use fred::types::{ClusterHash, CustomCommand, Value};
use time::OffsetDateTime;

use crate::broker::{int, text, Broker};
use crate::error::{BrokerError, Result};
use crate::state::TaskState;
use crate::{keys, scripts};

/// Tasks sampled per state index by the memory-usage estimate (Go `taskSampleSize`).
pub const MEMORY_SAMPLE_SIZE: i64 = 20;
/// Groups sampled by the memory-usage estimate (Go `groupSampleSize`).
pub const MEMORY_GROUP_SAMPLE_SIZE: i64 = 5;

/// A queue's sizes and counters at one moment (Go `rdb.Stats`, and `asynq.QueueInfo`, which
/// asynq-inspect returns as is; spec §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueInfo {
    /// Queue name.
    pub queue: String,
    /// Sampled memory estimate of the queue's keys and task hashes, in bytes.
    pub memory_usage: i64,
    /// Now − `pending_since` of the next task to be dequeued; zero when `pending` is empty, when
    /// that task has no `pending_since` (requeued or run by the Inspector) or when it lies in the
    /// future.
    pub latency: Duration,
    /// pending + active + scheduled + retry + archived + completed + aggregating (Go includes
    /// completed, quirk Q13).
    pub size: i64,
    /// Number of names in `asynq:{q}:groups`.
    pub groups: i64,
    /// `LLEN pending`.
    pub pending: i64,
    /// `LLEN active`.
    pub active: i64,
    /// `ZCARD scheduled`.
    pub scheduled: i64,
    /// `ZCARD retry`.
    pub retry: i64,
    /// `ZCARD archived`.
    pub archived: i64,
    /// `ZCARD completed`.
    pub completed: i64,
    /// Sum of `ZCARD` over the groups.
    pub aggregating: i64,
    /// Processed today (UTC date of `timestamp`), successes and failures; 0 when unset.
    pub processed: i64,
    /// Failed today (UTC); 0 when unset.
    pub failed: i64,
    /// All-time processed counter; 0 when unset.
    pub processed_total: i64,
    /// All-time failed counter; 0 when unset.
    pub failed_total: i64,
    /// True when `asynq:{q}:paused` exists.
    pub paused: bool,
    /// The broker clock's "now" used for the day keys and the latency.
    pub timestamp: OffsetDateTime,
}

/// One day of a queue's counters (Go `rdb.DailyStats` and `asynq.DailyStats`, which
/// asynq-inspect returns as is; spec §5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyStats {
    /// Queue name.
    pub queue: String,
    /// `processed:<date>`, 0 when missing.
    pub processed: i64,
    /// `failed:<date>`, 0 when missing.
    pub failed: i64,
    /// now (UTC) − n × 24 h; its UTC date names the keys.
    pub date: OffsetDateTime,
}

/// A task as the Inspector reads it: message, state, index score and result (Go
/// `base.TaskInfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct InspectedTask {
    /// The decoded `msg` field.
    pub msg: TaskMessage,
    /// The state (from the hash for [`Broker::get_task_info`], from the index for listings).
    pub state: TaskState,
    /// When the task is processed next: the score (Unix seconds) for `scheduled` and `retry`,
    /// "now" for `pending` (whole seconds in [`Broker::get_task_info`], the clock's full precision
    /// in listings, as in Go), `None` otherwise.
    pub next_process_at: Option<OffsetDateTime>,
    /// The index score in Unix seconds: the ZSET score for ZSET states (process-at, retry-at,
    /// archived-at, completion expiry, time added to the group), the lease expiry for `active`
    /// listings (`None` without a lease), `None` for `pending` and [`Broker::get_task_info`].
    pub score: Option<i64>,
    /// The hash field `result`; `None` when absent or empty.
    pub result: Option<Bytes>,
}

/// A group and its size (Go `rdb.GroupStat`, spec §5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupStat {
    /// Group name.
    pub group: String,
    /// `ZCARD asynq:{q}:g:<group>`.
    pub size: i64,
}

/// A node serving a slot range (Go `redis.ClusterNode`, spec §5.17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNodeAddr {
    /// Node ID (40 hex characters), empty when Redis did not report it.
    pub id: String,
    /// `host:port` (`[v6]:port` for IPv6 addresses, like Go `net.JoinHostPort`).
    pub addr: String,
}

impl Broker {
    /// `SMEMBERS asynq:queues`, sorted (Go `RDB.AllQueues` is unordered).
    ///
    /// # Errors
    /// Redis errors.
    pub async fn all_queues(&self) -> Result<Vec<String>> {
        let mut qs: Vec<String> = self.client.smembers(keys::ALL_QUEUES).await?;
        qs.sort();
        Ok(qs)
    }

    /// `SISMEMBER asynq:queues q` (Go `queueExists`).
    ///
    /// # Errors
    /// Redis errors.
    pub async fn queue_exists(&self, qname: &str) -> Result<bool> {
        Ok(self.client.sismember(keys::ALL_QUEUES, qname).await?)
    }

    /// [`BrokerError::QueueNotFound`] unless `qname` is in `asynq:queues` (spec §5.1).
    pub(crate) async fn require_queue(&self, qname: &str) -> Result<()> {
        if self.queue_exists(qname).await? {
            Ok(())
        } else {
            Err(BrokerError::QueueNotFound(qname.to_string()))
        }
    }

    /// The current state of queue `qname` (Go `RDB.CurrentStats`, spec §5.3): one script for the
    /// counts and counters, then the sampled memory estimate ([`Broker::memory_usage`]).
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; [`BrokerError::Decode`] for a counter or `pending_since`
    /// that is not a number; a failing memory estimate fails the call; Redis errors.
    pub async fn current_stats(&self, qname: &str) -> Result<QueueInfo> {
        self.require_queue(qname).await?;
        let now = self.now();
        let keys = vec![
            keys::pending_key(qname),
            keys::active_key(qname),
            keys::scheduled_key(qname),
            keys::retry_key(qname),
            keys::archived_key(qname),
            keys::completed_key(qname),
            keys::processed_key(qname, now),
            keys::failed_key(qname, now),
            keys::processed_total_key(qname),
            keys::failed_total_key(qname),
            keys::paused_key(qname),
            keys::all_groups_key(qname),
        ];
        let args = vec![
            text(&keys::task_key_prefix(qname)),
            text(&keys::group_key_prefix(qname)),
        ];
        let reply: Vec<Value> = self
            .eval(&scripts::INSPECT_CURRENT_STATS, keys.clone(), args)
            .await?;
        if reply.len() % 2 != 0 {
            return Err(unexpected("current stats", &reply));
        }
        let mut stats = QueueInfo {
            queue: qname.to_string(),
            memory_usage: 0,
            latency: Duration::ZERO,
            size: 0,
            groups: 0,
            pending: 0,
            active: 0,
            scheduled: 0,
            retry: 0,
            archived: 0,
            completed: 0,
            aggregating: 0,
            processed: 0,
            failed: 0,
            processed_total: 0,
            failed_total: 0,
            paused: false,
            timestamp: now,
        };
        for pair in reply.chunks_exact(2) {
            let label = pair[0].as_str().unwrap_or_default().into_owned();
            let n = number(&pair[1], &label)?;
            match label.as_str() {
                "oldest_pending_since" => stats.latency = latency(now, n),
                "group_size" => stats.groups = n,
                "aggregating_count" => stats.aggregating = n,
                l if l == keys[0] => stats.pending = n,
                l if l == keys[1] => stats.active = n,
                l if l == keys[2] => stats.scheduled = n,
                l if l == keys[3] => stats.retry = n,
                l if l == keys[4] => stats.archived = n,
                l if l == keys[5] => stats.completed = n,
                l if l == keys[6] => stats.processed = n,
                l if l == keys[7] => stats.failed = n,
                l if l == keys[8] => stats.processed_total = n,
                l if l == keys[9] => stats.failed_total = n,
                l if l == keys[10] => stats.paused = n != 0,
                _ => {}
            }
        }
        stats.size = stats.pending
            + stats.active
            + stats.scheduled
            + stats.retry
            + stats.archived
            + stats.completed
            + stats.aggregating;
        stats.memory_usage = self.memory_usage(qname).await?;
        Ok(stats)
    }

    /// Approximate bytes used by queue `qname` (Go `RDB.memoryUsage`, spec §5.3): per state
    /// index, `MEMORY USAGE` of the first [`MEMORY_SAMPLE_SIZE`] task hashes, averaged and
    /// multiplied by the index length, plus the index key itself; groups likewise over the first
    /// [`MEMORY_GROUP_SAMPLE_SIZE`] groups. Unlike Go v0.26 (like Go master) an ID without a hash
    /// counts 0 bytes instead of failing, and groups with no sampled task add nothing instead of
    /// NaN.
    ///
    /// # Errors
    /// Redis errors (there is no queue existence check).
    pub async fn memory_usage(&self, qname: &str) -> Result<i64> {
        let keys = vec![
            keys::active_key(qname),
            keys::pending_key(qname),
            keys::scheduled_key(qname),
            keys::retry_key(qname),
            keys::archived_key(qname),
            keys::completed_key(qname),
            keys::all_groups_key(qname),
        ];
        let args = vec![
            text(&keys::task_key_prefix(qname)),
            int(MEMORY_SAMPLE_SIZE),
            int(MEMORY_GROUP_SAMPLE_SIZE),
            text(&keys::group_key_prefix(qname)),
        ];
        let v: Value = self
            .eval(&scripts::INSPECT_MEMORY_USAGE, keys, args)
            .await?;
        number(&v, "memory usage")
    }

    /// The processed and failed counters of queue `qname` for the last `days` days, today (UTC)
    /// first (Go `RDB.HistoricalStats`, spec §5.4). Day i is now − i × 24 h.
    ///
    /// # Errors
    /// [`BrokerError::FailedPrecondition`] `the number of days must be positive` for `days < 1`
    /// (checked before the queue); [`BrokerError::QueueNotFound`]; [`BrokerError::Decode`] for a
    /// counter that is not a number; Redis errors.
    pub async fn historical_stats(&self, qname: &str, days: i64) -> Result<Vec<DailyStats>> {
        if days < 1 {
            return Err(BrokerError::FailedPrecondition(
                "the number of days must be positive".into(),
            ));
        }
        self.require_queue(qname).await?;
        let now = self.now().to_offset(time::UtcOffset::UTC);
        let mut dates = Vec::new();
        let mut keys = Vec::new();
        for i in 0..days {
            let Some(ts) = i
                .checked_mul(86_400)
                .and_then(|s| now.checked_sub(time::Duration::seconds(s)))
            else {
                break;
            };
            dates.push(ts);
            keys.push(keys::processed_key(qname, ts));
            keys.push(keys::failed_key(qname, ts));
        }
        let reply: Vec<Value> = self
            .eval(&scripts::INSPECT_HISTORICAL_STATS, keys, vec![])
            .await?;
        if reply.len() != dates.len() * 2 {
            return Err(unexpected("historical stats", &reply));
        }
        let mut out = Vec::with_capacity(dates.len());
        for (pair, date) in reply.chunks_exact(2).zip(dates) {
            out.push(DailyStats {
                queue: qname.to_string(),
                processed: number(&pair[0], "processed counter")?,
                failed: number(&pair[1], "failed counter")?,
                date,
            });
        }
        Ok(out)
    }

    /// `INFO` parsed into key → value (Go `RDB.RedisInfo`, spec §5.5): the reply is split on
    /// `\r\n`, and lines that split on `:` into exactly two parts are kept. On a cluster the
    /// command goes to one node.
    ///
    /// # Errors
    /// Redis errors.
    pub async fn redis_info(&self) -> Result<BTreeMap<String, String>> {
        let s: String = self.client.info(None).await?;
        Ok(parse_info(&s))
    }

    /// `CLUSTER INFO` parsed like [`Broker::redis_info`] (Go `RDB.RedisClusterInfo`).
    ///
    /// # Errors
    /// Redis errors; on a node without cluster support, Redis's error reply.
    pub async fn redis_cluster_info(&self) -> Result<BTreeMap<String, String>> {
        let s: String = self.client.cluster_info().await?;
        Ok(parse_info(&s))
    }

    /// Task `id` of queue `qname` with its state, next process time and result (Go
    /// `RDB.GetTaskInfo`, spec §5.6). `next_process_at` is the score for scheduled and retry,
    /// now in whole seconds for pending, `None` otherwise; `score` is `None`.
    ///
    /// # Errors
    /// [`BrokerError::QueueNotFound`]; [`BrokerError::TaskNotFound`] when the hash does not
    /// exist; [`BrokerError::FailedPrecondition`] `"<s>" is not supported task state`;
    /// [`BrokerError::Decode`] for an undecodable message; Redis errors.
    pub async fn get_task_info(&self, qname: &str, id: &str) -> Result<InspectedTask> {
        self.require_queue(qname).await?;
        let now = self.now().unix_timestamp();
        let keys = vec![keys::task_key(qname, id)];
        let args = vec![text(id), int(now), text(&keys::queue_key_prefix(qname))];
        let reply: Vec<Value> = match self.eval(&scripts::INSPECT_GET_TASK_INFO, keys, args).await {
            Ok(r) => r,
            Err(BrokerError::NotFound(_)) => {
                return Err(BrokerError::TaskNotFound {
                    queue: qname.to_string(),
                    id: id.to_string(),
                })
            }
            Err(e) => return Err(e),
        };
        let [msg, state, at, result] =
            <[Value; 4]>::try_from(reply).map_err(|r| unexpected("get task info", &r))?;
        let what = || format!("task message {}", keys::task_key(qname, id));
        let msg = decode_msg(msg, &what)?;
        let state = parse_state(&state)?;
        let at = number(&at, "next process time")?;
        Ok(InspectedTask {
            msg,
            state,
            next_process_at: unix_or_none(at),
            score: None,
            result: non_empty(result),
        })
    }

    /// The groups of queue `qname` and their sizes, in `SMEMBERS` order (Go `RDB.GroupStats`,
    /// spec §5.7). No queue existence check, as in Go.
    ///
    /// # Errors
    /// Redis errors; [`BrokerError::UnexpectedReply`] for a malformed reply.
    pub async fn group_stats(&self, qname: &str) -> Result<Vec<GroupStat>> {
        let keys = vec![keys::all_groups_key(qname)];
        let args = vec![text(&keys::group_key_prefix(qname))];
        let reply: Vec<Value> = self.eval(&scripts::INSPECT_GROUP_STATS, keys, args).await?;
        if reply.len() % 2 != 0 {
            return Err(unexpected("group stats", &reply));
        }
        reply
            .chunks_exact(2)
            .map(|pair| {
                Ok(GroupStat {
                    group: pair[0]
                        .as_string()
                        .ok_or_else(|| unexpected("group stats", &pair[0]))?,
                    size: number(&pair[1], "group size")?,
                })
            })
            .collect()
    }

    /// `CLUSTER KEYSLOT asynq:{q}:pending`: the hash slot of queue `qname` (Go
    /// `RDB.ClusterKeySlot`, spec §5.17). No queue existence check.
    ///
    /// # Errors
    /// Redis errors; on a node without cluster support, Redis's error reply.
    pub async fn cluster_key_slot(&self, qname: &str) -> Result<i64> {
        Ok(self
            .client
            .cluster_keyslot(keys::pending_key(qname))
            .await?)
    }

    /// The nodes (primary first, then replicas, as `CLUSTER SLOTS` lists them) serving the slot
    /// of queue `qname` (Go `RDB.ClusterNodes`, spec §5.17).
    ///
    /// # Errors
    /// [`BrokerError::Redis`] `nodes not found` when no slot range holds the slot; Redis errors,
    /// e.g. on a node without cluster support.
    pub async fn cluster_nodes(&self, qname: &str) -> Result<Vec<ClusterNodeAddr>> {
        let slot = self.cluster_key_slot(qname).await?;
        let cmd = CustomCommand::new_static("CLUSTER", ClusterHash::Random, false);
        let ranges: Value = self.client.custom(cmd, vec!["SLOTS"]).await?;
        for range in ranges.into_array() {
            let mut parts = range.into_array().into_iter();
            let (Some(start), Some(end)) = (parts.next(), parts.next()) else {
                continue;
            };
            let (Some(start), Some(end)) = (start.as_i64(), end.as_i64()) else {
                continue;
            };
            if start <= slot && slot <= end {
                return Ok(parts.map(cluster_node).collect());
            }
        }
        Err(BrokerError::Redis("nodes not found".into()))
    }
}

/// One node entry of a `CLUSTER SLOTS` range: `[ip, port, id, ...]`.
fn cluster_node(v: Value) -> ClusterNodeAddr {
    let fields = v.into_array();
    let ip = fields
        .first()
        .and_then(Value::as_string)
        .unwrap_or_default();
    let port = fields.get(1).and_then(Value::as_i64).unwrap_or_default();
    let id = fields.get(2).and_then(Value::as_string).unwrap_or_default();
    let addr = if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    };
    ClusterNodeAddr { id, addr }
}

/// Go `parseInfo`: `key:value` lines split on `\r\n`; other lines are ignored.
pub(crate) fn parse_info(s: &str) -> BTreeMap<String, String> {
    s.split("\r\n")
        .filter_map(|line| {
            let mut parts = line.split(':');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(k), Some(v), None) => Some((k.to_string(), v.to_string())),
                _ => None,
            }
        })
        .collect()
}

/// Latency from a `pending_since` in Unix nanoseconds; zero for 0 or a future time.
fn latency(now: OffsetDateTime, since_ns: i64) -> Duration {
    if since_ns == 0 {
        return Duration::ZERO;
    }
    let diff = now.unix_timestamp_nanos() - i128::from(since_ns);
    u64::try_from(diff).map_or(Duration::ZERO, Duration::from_nanos)
}

/// An integer from a script reply element: an integer, or a string holding an integer or a
/// number (truncated), or nil (0).
pub(crate) fn number(v: &Value, what: &str) -> Result<i64> {
    match v {
        Value::Integer(i) => Ok(*i),
        Value::Null => Ok(0),
        Value::Double(f) => Ok(*f as i64),
        other => {
            let s = other.as_str().unwrap_or_default();
            s.parse::<i64>()
                .ok()
                .or_else(|| {
                    s.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .map(|f| f as i64)
                })
                .ok_or_else(|| BrokerError::Decode {
                    what: what.to_string(),
                    reason: format!("{s:?} is not a number"),
                })
        }
    }
}

/// Decodes a `msg` reply element.
pub(crate) fn decode_msg(v: Value, what: &dyn Fn() -> String) -> Result<TaskMessage> {
    let raw = v.into_bytes().ok_or_else(|| BrokerError::Decode {
        what: what(),
        reason: "missing msg field".into(),
    })?;
    asynq_proto::decode::<TaskMessage>(raw).map_err(|e| BrokerError::Decode {
        what: what(),
        reason: e.to_string(),
    })
}

/// Parses a `state` reply element like Go `TaskStateFromString` (unknown → FailedPrecondition).
fn parse_state(v: &Value) -> Result<TaskState> {
    let s = v.as_str().unwrap_or_default();
    s.parse::<TaskState>()
        .map_err(|_| BrokerError::FailedPrecondition(format!("{s:?} is not supported task state")))
}

/// A `result` reply element: `None` when nil or empty.
pub(crate) fn non_empty(v: Value) -> Option<Bytes> {
    v.into_bytes().filter(|b| !b.is_empty())
}

/// Unix seconds → time; 0 (Go's zero time) and out-of-range values → `None`.
pub(crate) fn unix_or_none(secs: i64) -> Option<OffsetDateTime> {
    if secs == 0 {
        return None;
    }
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

/// [`BrokerError::UnexpectedReply`] showing `reply`.
pub(crate) fn unexpected(op: &'static str, reply: &impl std::fmt::Debug) -> BrokerError {
    BrokerError::UnexpectedReply {
        op,
        reply: format!("{reply:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_lines_split_like_go() {
        let m = parse_info("# Server\r\nredis_version:7.2.4\r\nbad\r\na:b:c\r\nk:\r\n");
        assert_eq!(m.get("redis_version").map(String::as_str), Some("7.2.4"));
        assert_eq!(m.get("k").map(String::as_str), Some(""));
        assert!(!m.contains_key("a"));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn latency_is_zero_without_or_with_future_pending_since() {
        let now = OffsetDateTime::from_unix_timestamp(1_000).unwrap();
        assert_eq!(latency(now, 0), Duration::ZERO);
        assert_eq!(latency(now, 2_000_000_000_000), Duration::ZERO);
        assert_eq!(latency(now, 999_500_000_000), Duration::from_millis(500));
    }

    #[test]
    fn numbers_from_replies() {
        assert_eq!(number(&Value::Integer(3), "x").unwrap(), 3);
        assert_eq!(number(&Value::from("42"), "x").unwrap(), 42);
        assert_eq!(number(&Value::from("1.5e3"), "x").unwrap(), 1500);
        assert_eq!(number(&Value::Null, "x").unwrap(), 0);
        assert!(number(&Value::from("abc"), "x").is_err());
    }
}
