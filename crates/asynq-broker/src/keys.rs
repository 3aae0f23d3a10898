//! Every Redis key asynq uses, byte-identical to Go's `internal/base` key builders.
//!
//! Queue names are inserted verbatim, with no escaping or normalisation (spec §0.5): a queue name
//! holding `{` or `}` changes the Redis Cluster hash tag exactly as it does for Go. Per-queue keys
//! share the hash tag `{<queue>}`, so every per-queue script is single-slot.

use md5::{Digest, Md5};
use time::OffsetDateTime;

/// `asynq:servers`: ZSET of server-info keys, score = expiry (Unix seconds). Go `AllServers`.
pub const ALL_SERVERS: &str = "asynq:servers";
/// `asynq:workers`: ZSET of workers keys, score = expiry (Unix seconds). Go `AllWorkers`.
pub const ALL_WORKERS: &str = "asynq:workers";
/// `asynq:schedulers`: ZSET of scheduler-entries keys, score = expiry. Go `AllSchedulers`.
pub const ALL_SCHEDULERS: &str = "asynq:schedulers";
/// `asynq:queues`: SET of queue names. Go `AllQueues`.
pub const ALL_QUEUES: &str = "asynq:queues";
/// `asynq:cancel`: Pub/Sub channel carrying task IDs to cancel. Go `CancelChannel`.
pub const CANCEL_CHANNEL: &str = "asynq:cancel";

/// `asynq:{<q>}:`, the prefix of every key of queue `q`. Go `QueueKeyPrefix`.
pub fn queue_key_prefix(qname: &str) -> String {
    format!("asynq:{{{qname}}}:")
}

/// `asynq:{<q>}:t:`, the prefix of task hashes. Go `TaskKeyPrefix`.
pub fn task_key_prefix(qname: &str) -> String {
    queue_key_prefix(qname) + "t:"
}

/// `asynq:{<q>}:t:<id>`: HASH with `msg`, `state`, `pending_since`, ... Go `TaskKey`.
pub fn task_key(qname: &str, id: &str) -> String {
    task_key_prefix(qname) + id
}

/// `asynq:{<q>}:pending`: LIST of task IDs (LPUSH new, pop from the right). Go `PendingKey`.
pub fn pending_key(qname: &str) -> String {
    queue_key_prefix(qname) + "pending"
}

/// `asynq:{<q>}:wakeup`: pub/sub channel (not a key) on which the Rust scripts announce that
/// the pending list of `q` went from empty to non-empty, so idle Rust workers fetch at once.
/// Go neither publishes nor subscribes to it; the scripts derive it from [`pending_key`].
pub fn wakeup_channel(qname: &str) -> String {
    queue_key_prefix(qname) + "wakeup"
}

/// The queue of a [`wakeup_channel`] name, `None` for any other channel.
pub fn queue_of_wakeup_channel(channel: &str) -> Option<&str> {
    channel.strip_prefix("asynq:{")?.strip_suffix("}:wakeup")
}

/// `asynq:{<q>}:active`: LIST of task IDs being processed. Go `ActiveKey`.
pub fn active_key(qname: &str) -> String {
    queue_key_prefix(qname) + "active"
}

/// `asynq:{<q>}:scheduled`: ZSET, score = process-at (Unix seconds). Go `ScheduledKey`.
pub fn scheduled_key(qname: &str) -> String {
    queue_key_prefix(qname) + "scheduled"
}

/// `asynq:{<q>}:retry`: ZSET, score = retry-at (Unix seconds). Go `RetryKey`.
pub fn retry_key(qname: &str) -> String {
    queue_key_prefix(qname) + "retry"
}

/// `asynq:{<q>}:archived`: ZSET, score = archived-at (Unix seconds). Go `ArchivedKey`.
pub fn archived_key(qname: &str) -> String {
    queue_key_prefix(qname) + "archived"
}

/// `asynq:{<q>}:lease`: ZSET, score = lease expiry (Unix seconds). Go `LeaseKey`.
pub fn lease_key(qname: &str) -> String {
    queue_key_prefix(qname) + "lease"
}

/// `asynq:{<q>}:completed`: ZSET, score = completed_at + retention (Unix seconds). Go
/// `CompletedKey`.
pub fn completed_key(qname: &str) -> String {
    queue_key_prefix(qname) + "completed"
}

/// `asynq:{<q>}:paused`: STRING holding the Unix seconds of pausing. Go `PausedKey`.
pub fn paused_key(qname: &str) -> String {
    queue_key_prefix(qname) + "paused"
}

/// `asynq:{<q>}:processed`: total processed counter. Go `ProcessedTotalKey`.
pub fn processed_total_key(qname: &str) -> String {
    queue_key_prefix(qname) + "processed"
}

/// `asynq:{<q>}:failed`: total failed counter. Go `FailedTotalKey`.
pub fn failed_total_key(qname: &str) -> String {
    queue_key_prefix(qname) + "failed"
}

/// `YYYY-MM-DD` of `t` in UTC (Go layout `2006-01-02` applied to `t.UTC()`).
fn utc_date(t: OffsetDateTime) -> String {
    let d = t.to_offset(time::UtcOffset::UTC).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// `asynq:{<q>}:processed:<YYYY-MM-DD>`: processed on that UTC date. Go `ProcessedKey`.
pub fn processed_key(qname: &str, t: OffsetDateTime) -> String {
    queue_key_prefix(qname) + "processed:" + &utc_date(t)
}

/// `asynq:{<q>}:failed:<YYYY-MM-DD>`: failures on that UTC date. Go `FailedKey`.
pub fn failed_key(qname: &str, t: OffsetDateTime) -> String {
    queue_key_prefix(qname) + "failed:" + &utc_date(t)
}

/// `asynq:servers:{<host>:<pid>:<server id>}`: STRING holding a `ServerInfo`. Go `ServerInfoKey`.
pub fn server_info_key(hostname: &str, pid: u32, server_id: &str) -> String {
    format!("asynq:servers:{{{hostname}:{pid}:{server_id}}}")
}

/// `asynq:workers:{<host>:<pid>:<server id>}`: HASH task ID → `WorkerInfo`. Go `WorkersKey`.
pub fn workers_key(hostname: &str, pid: u32, server_id: &str) -> String {
    format!("asynq:workers:{{{hostname}:{pid}:{server_id}}}")
}

/// `asynq:schedulers:{<scheduler id>}`: LIST of `SchedulerEntry`. Go `SchedulerEntriesKey`.
pub fn scheduler_entries_key(scheduler_id: &str) -> String {
    format!("asynq:schedulers:{{{scheduler_id}}}")
}

/// `asynq:scheduler_history:<entry id>`: ZSET of `SchedulerEnqueueEvent`. Go
/// `SchedulerHistoryKey`.
pub fn scheduler_history_key(entry_id: &str) -> String {
    format!("asynq:scheduler_history:{entry_id}")
}

/// `asynq:{<q>}:unique:<type>:<md5 hex of payload>`, or `asynq:{<q>}:unique:<type>:` when the
/// payload is `None` (Go's nil payload). An empty but present payload hashes to
/// `d41d8cd98f00b204e9800998ecf8427e`. Go `UniqueKey`.
pub fn unique_key(qname: &str, task_type: &str, payload: Option<&[u8]>) -> String {
    let mut key = queue_key_prefix(qname) + "unique:" + task_type + ":";
    if let Some(p) = payload {
        key.push_str(&hex::encode(Md5::digest(p)));
    }
    key
}

/// `asynq:{<q>}:g:`, the prefix of group keys. Go `GroupKeyPrefix`.
pub fn group_key_prefix(qname: &str) -> String {
    queue_key_prefix(qname) + "g:"
}

/// `asynq:{<q>}:g:<group>`: ZSET of aggregating task IDs. Go `GroupKey`.
pub fn group_key(qname: &str, group: &str) -> String {
    group_key_prefix(qname) + group
}

/// `asynq:{<q>}:g:<group>:<set id>`: an aggregation set. Go `AggregationSetKey`.
pub fn aggregation_set_key(qname: &str, group: &str, set_id: &str) -> String {
    group_key(qname, group) + ":" + set_id
}

/// `asynq:{<q>}:groups`: SET of group names with aggregating tasks. Go `AllGroups`.
pub fn all_groups_key(qname: &str) -> String {
    queue_key_prefix(qname) + "groups"
}

/// `asynq:{<q>}:aggregation_sets`: ZSET of aggregation-set keys, score = deadline. Go
/// `AllAggregationSets`.
pub fn all_aggregation_sets_key(qname: &str) -> String {
    queue_key_prefix(qname) + "aggregation_sets"
}

/// Checks a queue name the way Go's `ValidateQueueName` does: it must hold at least one
/// non-whitespace character. Any other string, including `{`, `}` and `:`, is accepted verbatim.
///
/// # Errors
/// [`crate::BrokerError::InvalidArgument`] for an empty or blank name.
pub fn validate_queue_name(qname: &str) -> crate::Result<()> {
    if qname.trim().is_empty() {
        return Err(crate::BrokerError::InvalidArgument(
            "queue name must contain one or more characters".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// Every key string pinned, in the manner of Go's `internal/base/base_test.go`.
    #[test]
    fn keys_are_byte_identical_to_go() {
        let t = datetime!(2026-11-22 23:59:59 UTC);
        let cases: Vec<(String, &str)> = vec![
            (queue_key_prefix("default"), "asynq:{default}:"),
            (task_key_prefix("default"), "asynq:{default}:t:"),
            (task_key("default", "abc"), "asynq:{default}:t:abc"),
            (pending_key("default"), "asynq:{default}:pending"),
            (pending_key("critical"), "asynq:{critical}:pending"),
            (active_key("default"), "asynq:{default}:active"),
            (scheduled_key("default"), "asynq:{default}:scheduled"),
            (retry_key("default"), "asynq:{default}:retry"),
            (archived_key("default"), "asynq:{default}:archived"),
            (lease_key("default"), "asynq:{default}:lease"),
            (completed_key("default"), "asynq:{default}:completed"),
            (paused_key("default"), "asynq:{default}:paused"),
            (processed_total_key("default"), "asynq:{default}:processed"),
            (failed_total_key("default"), "asynq:{default}:failed"),
            (
                processed_key("default", t),
                "asynq:{default}:processed:2026-11-22",
            ),
            (
                failed_key("default", t),
                "asynq:{default}:failed:2026-11-22",
            ),
            (
                server_info_key("localhost", 9876, "server123"),
                "asynq:servers:{localhost:9876:server123}",
            ),
            (
                workers_key("127.0.0.1", 4567, "server1"),
                "asynq:workers:{127.0.0.1:4567:server1}",
            ),
            (
                scheduler_entries_key("localhost:9876:scheduler123"),
                "asynq:schedulers:{localhost:9876:scheduler123}",
            ),
            (
                scheduler_history_key("entry876"),
                "asynq:scheduler_history:entry876",
            ),
            (group_key_prefix("default"), "asynq:{default}:g:"),
            (group_key("default", "mygroup"), "asynq:{default}:g:mygroup"),
            (
                aggregation_set_key("default", "mygroup", "12345"),
                "asynq:{default}:g:mygroup:12345",
            ),
            (all_groups_key("default"), "asynq:{default}:groups"),
            (
                all_aggregation_sets_key("default"),
                "asynq:{default}:aggregation_sets",
            ),
            (ALL_SERVERS.to_string(), "asynq:servers"),
            (ALL_WORKERS.to_string(), "asynq:workers"),
            (ALL_SCHEDULERS.to_string(), "asynq:schedulers"),
            (ALL_QUEUES.to_string(), "asynq:queues"),
            (CANCEL_CHANNEL.to_string(), "asynq:cancel"),
            (wakeup_channel("default"), "asynq:{default}:wakeup"),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn wakeup_channel_is_the_pending_key_with_wakeup_for_pending() {
        for q in ["default", "a:b", "{x}", "with space"] {
            let pending = pending_key(q);
            let derived = format!("{}wakeup", &pending[..pending.len() - "pending".len()]);
            assert_eq!(wakeup_channel(q), derived);
            assert_eq!(queue_of_wakeup_channel(&wakeup_channel(q)), Some(q));
        }
        assert_eq!(queue_of_wakeup_channel(CANCEL_CHANNEL), None);
        assert_eq!(queue_of_wakeup_channel("asynq:{q}:pending"), None);
    }

    #[test]
    fn daily_keys_use_the_utc_date() {
        let t = datetime!(2026-11-23 01:30:00 +05:00);
        assert_eq!(processed_key("q", t), "asynq:{q}:processed:2026-11-22");
        assert_eq!(failed_key("q", t), "asynq:{q}:failed:2026-11-22");
        let early = datetime!(0999-01-02 00:00:00 UTC);
        assert_eq!(processed_key("q", early), "asynq:{q}:processed:0999-01-02");
    }

    #[test]
    fn odd_queue_names_are_inserted_verbatim() {
        assert_eq!(pending_key("a{b}c"), "asynq:{a{b}c}:pending");
        assert_eq!(task_key("x:y", "id:1"), "asynq:{x:y}:t:id:1");
        assert_eq!(pending_key(" sp ace "), "asynq:{ sp ace }:pending");
        assert_eq!(pending_key("Crit"), "asynq:{Crit}:pending");
        assert_eq!(pending_key("ünï"), "asynq:{ünï}:pending");
        assert_eq!(group_key("q", "a:b"), "asynq:{q}:g:a:b");
        assert_eq!(aggregation_set_key("q", "a:b", "s"), "asynq:{q}:g:a:b:s");
    }

    #[test]
    fn unique_keys_follow_the_nil_payload_rule() {
        assert_eq!(
            unique_key("default", "report", Some(b"p")),
            "asynq:{default}:unique:report:83878c91171338902e0fe0fb97a8c47a"
        );
        assert_eq!(
            unique_key("default", "report", Some(b"1")),
            "asynq:{default}:unique:report:c4ca4238a0b923820dcc509a6f75849b"
        );
        assert_eq!(
            unique_key("default", "reindex", None),
            "asynq:{default}:unique:reindex:"
        );
        assert_eq!(
            unique_key("default", "reindex", Some(b"")),
            "asynq:{default}:unique:reindex:d41d8cd98f00b204e9800998ecf8427e"
        );
    }

    #[test]
    fn queue_names_must_not_be_blank() {
        assert!(validate_queue_name("").is_err());
        assert!(validate_queue_name("  \t").is_err());
        assert!(validate_queue_name("default").is_ok());
        assert!(validate_queue_name(" x ").is_ok());
    }
}
