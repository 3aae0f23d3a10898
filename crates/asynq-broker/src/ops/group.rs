//! AddToGroup and AddToGroupUnique (spec §4.6, §4.7).

use std::time::Duration;

use asynq_proto::TaskMessage;

use crate::broker::{bin, enqueue_reply, int, text, whole_seconds, Broker};
use crate::error::Result;
use crate::{keys, scripts};

impl Broker {
    /// Adds `msg` to group `group` of its queue (state `aggregating`, score now in Unix seconds)
    /// and the group name to `asynq:{q}:groups` (Go `RDB.AddToGroup`).
    ///
    /// # Errors
    /// [`crate::BrokerError::TaskIdConflict`] when the ID exists; invalid queue name; Redis errors.
    pub async fn add_to_group(&self, msg: &TaskMessage, group: &str) -> Result<()> {
        keys::validate_queue_name(&msg.queue)?;
        self.register_queue(&msg.queue).await?;
        let q = &msg.queue;
        let keys = vec![
            keys::task_key(q, &msg.id),
            keys::group_key(q, group),
            keys::all_groups_key(q),
        ];
        let args = vec![
            bin(asynq_proto::encode(msg)),
            text(&msg.id),
            int(self.now().unix_timestamp()),
            text(group),
        ];
        let n: i64 = self.eval(&scripts::ADD_TO_GROUP, keys, args).await?;
        enqueue_reply("add to group", n)
    }

    /// Like [`Broker::add_to_group`], holding the unique lock for `ttl` (whole seconds) first
    /// (Go `RDB.AddToGroupUnique`). The lock key is recomputed from queue, type and payload; a
    /// message with no payload bytes counts as a present, empty payload unless
    /// `msg.unique_key` says otherwise, so the lock key is taken from `msg.unique_key` when set.
    ///
    /// # Errors
    /// [`crate::BrokerError::DuplicateTask`], [`crate::BrokerError::TaskIdConflict`] (lock kept).
    pub async fn add_to_group_unique(
        &self,
        msg: &TaskMessage,
        group: &str,
        ttl: Duration,
    ) -> Result<()> {
        keys::validate_queue_name(&msg.queue)?;
        self.register_queue(&msg.queue).await?;
        let q = &msg.queue;
        let unique_key = if msg.unique_key.is_empty() {
            keys::unique_key(q, &msg.r#type, Some(&msg.payload))
        } else {
            msg.unique_key.clone()
        };
        let keys = vec![
            keys::task_key(q, &msg.id),
            keys::group_key(q, group),
            keys::all_groups_key(q),
            unique_key,
        ];
        let args = vec![
            bin(asynq_proto::encode(msg)),
            text(&msg.id),
            int(self.now().unix_timestamp()),
            text(group),
            int(whole_seconds(ttl)),
        ];
        let n: i64 = self.eval(&scripts::ADD_TO_GROUP_UNIQUE, keys, args).await?;
        enqueue_reply("add to group unique", n)
    }
}
