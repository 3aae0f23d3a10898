//! ListGroups, AggregationCheck, ReadAggregationSet, DeleteAggregationSet and
//! ReclaimStaleAggregationSets (spec §4.16 to §4.20): the Redis side of group aggregation.

use std::time::Duration;

use asynq_proto::TaskMessage;
use bytes::Bytes;
use fred::prelude::*;
use time::OffsetDateTime;

use crate::broker::{int, text, whole_seconds, Broker};
use crate::error::{BrokerError, Result};
use crate::ops::dequeue::id_message_pairs;
use crate::ops::poison::check_message;
use crate::{keys, scripts};

/// How long the aggregator has to turn an aggregation set into a task: 2 minutes (Go
/// `aggregationTimeout`). A set still there after its deadline (creation + this) is put back into
/// its group by [`Broker::reclaim_stale_aggregation_sets`].
pub const AGGREGATION_TIMEOUT: Duration = Duration::from_secs(120);

/// The largest max size sent to the check script. A sorted set holds fewer than 2^32 members, so
/// a larger max size behaves the same, and Lua would print a larger `maxSize - 1` in exponent
/// notation, which `ZRANGE` refuses.
const MAX_SIZE_LIMIT: i64 = 1 << 32;

/// The tasks of one aggregation set, read by [`Broker::read_aggregation_set`].
#[derive(Debug, Clone, PartialEq)]
pub struct AggregationSet {
    /// The decoded messages, in ascending score order (the time each task entered the group,
    /// oldest first).
    pub messages: Vec<TaskMessage>,
    /// Members whose `msg` cannot be processed (does not decode, or names another queue or ID,
    /// as for [`crate::PoisonMessage`]): (task ID, why), e.g.
    /// `("abc", "asynq: cannot decode task message: ...")`. Not part of
    /// [`AggregationSet::messages`].
    pub undecodable: Vec<(String, String)>,
    /// The set's deadline (its score in `asynq:{q}:aggregation_sets`, whole Unix seconds, UTC):
    /// creation + [`AGGREGATION_TIMEOUT`]. After it the recoverer puts the tasks back.
    pub deadline: OffsetDateTime,
}

impl Broker {
    /// The names of the groups of `qname` that have aggregating tasks: `SMEMBERS
    /// asynq:{q}:groups`, in Redis's order (Go `RDB.ListGroups`).
    ///
    /// # Errors
    /// Redis errors.
    pub async fn list_groups(&self, qname: &str) -> Result<Vec<String>> {
        Ok(self.client.smembers(keys::all_groups_key(qname)).await?)
    }

    /// Checks whether group `group` of `qname` is ready to be aggregated at tick time `t` and, if
    /// so, moves the tasks to aggregate into a new aggregation set `asynq:{q}:g:<g>:<set id>`
    /// (each with its original group score) registered in `asynq:{q}:aggregation_sets` with the
    /// deadline now + [`AGGREGATION_TIMEOUT`] (Unix seconds) (Go `RDB.AggregationCheck`).
    ///
    /// Triggers, in this order (all times whole Unix seconds; `grace_period` and `max_delay` are
    /// truncated to whole seconds like Go's `int64(d.Seconds())`):
    /// * `max_size` ≠ 0 and the group has ≥ `max_size` tasks: the `max_size` oldest are taken;
    ///   the name leaves `asynq:{q}:groups` only when exactly `max_size` were there.
    /// * `max_delay` ≠ 0 and the oldest task entered at or before `t − max_delay`;
    /// * the newest task entered at or before `t − grace_period`.
    ///
    /// The last two take every task and remove the group name. An empty group yields `None`.
    /// The set ID is a fresh UUID v4, generated on every call as Go does.
    ///
    /// Returns the set ID when a set was created, `None` when the group is not ready (nothing
    /// changed).
    ///
    /// # Errors
    /// [`BrokerError::UnexpectedReply`] for a script reply other than 0 or 1; Redis errors.
    pub async fn aggregation_check(
        &self,
        qname: &str,
        group: &str,
        t: OffsetDateTime,
        grace_period: Duration,
        max_delay: Duration,
        max_size: usize,
    ) -> Result<Option<String>> {
        let set_id = uuid::Uuid::new_v4().to_string();
        let expire_at = self.now() + AGGREGATION_TIMEOUT;
        let max_size = i64::try_from(max_size)
            .unwrap_or(i64::MAX)
            .min(MAX_SIZE_LIMIT);
        let keys = vec![
            keys::group_key(qname, group),
            keys::aggregation_set_key(qname, group, &set_id),
            keys::all_aggregation_sets_key(qname),
            keys::all_groups_key(qname),
        ];
        let args = vec![
            int(max_size),
            int(whole_seconds(max_delay)),
            int(whole_seconds(grace_period)),
            int(expire_at.unix_timestamp()),
            int(t.unix_timestamp()),
            text(group),
        ];
        let n: i64 = self.eval(&scripts::AGGREGATION_CHECK, keys, args).await?;
        match n {
            0 => Ok(None),
            1 => Ok(Some(set_id)),
            other => Err(BrokerError::UnexpectedReply {
                op: "aggregation check",
                reply: other.to_string(),
            }),
        }
    }

    /// Reads aggregation set `set_id` of group `group` of `qname`: the messages of its members
    /// in ascending score order (oldest first) and its deadline from
    /// `asynq:{q}:aggregation_sets` (Go `RDB.ReadAggregationSet`). Members without a task hash
    /// (or without `msg`) are skipped. Messages and deadline are read in one script, atomically
    /// (Go reads the deadline with a second command).
    ///
    /// Unlike Go, which fails the whole read on the first undecodable message, such a member (or
    /// one whose message names another queue or ID) is reported in
    /// [`AggregationSet::undecodable`] and the other messages are returned.
    ///
    /// # Errors
    /// [`BrokerError::NotFound`] when the set has no deadline in `asynq:{q}:aggregation_sets`
    /// (already deleted or reclaimed); [`BrokerError::Decode`] for a deadline that is not a
    /// number; Redis errors.
    pub async fn read_aggregation_set(
        &self,
        qname: &str,
        group: &str,
        set_id: &str,
    ) -> Result<AggregationSet> {
        let set_key = keys::aggregation_set_key(qname, group, set_id);
        let keys = vec![set_key.clone(), keys::all_aggregation_sets_key(qname)];
        let args = vec![text(&keys::task_key_prefix(qname))];
        let mut reply: Vec<Bytes> = self
            .eval(&scripts::READ_AGGREGATION_SET, keys, args)
            .await?;
        let deadline = if reply.is_empty() {
            Bytes::new()
        } else {
            reply.remove(0)
        };
        if deadline.is_empty() {
            return Err(BrokerError::NotFound(format!(
                "aggregation set {set_key} is not in {}",
                keys::all_aggregation_sets_key(qname)
            )));
        }
        let deadline = parse_deadline(&deadline).ok_or_else(|| BrokerError::Decode {
            what: format!("deadline of aggregation set {set_key}"),
            reason: format!("not a Unix time: {:?}", String::from_utf8_lossy(&deadline)),
        })?;
        let mut set = AggregationSet {
            messages: Vec::new(),
            undecodable: Vec::new(),
            deadline,
        };
        for (id, raw) in id_message_pairs(reply) {
            match check_message(qname, &id, raw) {
                Ok(m) => set.messages.push(m),
                Err(p) => set.undecodable.push((p.id, p.reason)),
            }
        }
        Ok(set)
    }

    /// Deletes aggregation set `set_id` of group `group` of `qname` once its aggregated task is
    /// enqueued: the task hash of every member, the set, and its entry in
    /// `asynq:{q}:aggregation_sets` (Go `RDB.DeleteAggregationSet`). Unique locks held by the
    /// members are not released; they expire by their TTL, as with Go. Deleting a set that does
    /// not exist does nothing.
    ///
    /// # Errors
    /// Redis errors.
    pub async fn delete_aggregation_set(
        &self,
        qname: &str,
        group: &str,
        set_id: &str,
    ) -> Result<()> {
        let keys = vec![
            keys::aggregation_set_key(qname, group, set_id),
            keys::all_aggregation_sets_key(qname),
        ];
        let args = vec![text(&keys::task_key_prefix(qname))];
        let _: String = self
            .eval(&scripts::DELETE_AGGREGATION_SET, keys, args)
            .await?;
        Ok(())
    }

    /// Puts the tasks of every aggregation set of `qname` whose deadline is at or before now
    /// (Unix seconds) back into its group with their original scores, deletes those sets, and
    /// removes every entry of `asynq:{q}:aggregation_sets` with a score up to now (Go
    /// `RDB.ReclaimStaleAggregationSets`, run by the recoverer). The group key is the set key
    /// without its last `:` and what follows.
    ///
    /// Unlike Go (quirk Q5), the group name (the group key after `asynq:{q}:g:`) of every set that
    /// gave back at least one task is added to `asynq:{q}:groups` again, so a group emptied and
    /// unregistered by the check that made the set is seen by the aggregator and the Inspector.
    /// Entries that are not keys under `asynq:{q}:g:` (asynq never writes such) are only removed
    /// from `aggregation_sets`; their keys are not touched.
    ///
    /// # Errors
    /// Redis errors.
    pub async fn reclaim_stale_aggregation_sets(&self, qname: &str) -> Result<()> {
        let keys = vec![
            keys::all_aggregation_sets_key(qname),
            keys::all_groups_key(qname),
        ];
        let args = vec![
            int(self.now().unix_timestamp()),
            text(&keys::group_key_prefix(qname)),
        ];
        let _: String = self
            .eval(&scripts::RECLAIM_STALE_AGGREGATION_SETS, keys, args)
            .await?;
        Ok(())
    }
}

/// A ZSET score as Redis prints it (e.g. `1795383927`) as a time, truncated to whole seconds like
/// Go's `time.Unix(int64(score), 0)`.
fn parse_deadline(score: &[u8]) -> Option<OffsetDateTime> {
    let secs: f64 = std::str::from_utf8(score).ok()?.trim().parse().ok()?;
    if !secs.is_finite() {
        return None;
    }
    OffsetDateTime::from_unix_timestamp(secs.trunc() as i64).ok()
}
