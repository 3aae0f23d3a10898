//! BatchEnqueue (spec §4.8): many enqueue/schedule scripts in one pipeline.

use std::collections::BTreeSet;

use asynq_proto::TaskMessage;
use fred::prelude::*;
use fred::types::scripts::Script;
use fred::types::{ClusterHash, CustomCommand, Value};
use time::OffsetDateTime;

use crate::broker::{bin, enqueue_reply, int, text, Broker};
use crate::clock::unix_nanos;
use crate::error::{BrokerError, Result};
use crate::{keys, scripts};

/// One task of a [`Broker::enqueue_batch`] call.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchItem {
    /// The message to store.
    pub msg: TaskMessage,
    /// `None` (or a time not after now) enqueues to `pending`; a later time schedules it.
    pub process_at: Option<OffsetDateTime>,
}

impl Broker {
    /// Enqueues or schedules every item with one pipeline (no MULTI/EXEC), running the same
    /// scripts as [`Broker::enqueue`] and [`Broker::schedule`]; all immediate items share one
    /// `pending_since` (Go `RDB.BatchEnqueue`, master). Returns one result per item, in input
    /// order: `Ok(())` when inserted, `Err(BrokerError::TaskIdConflict)` when the ID existed and
    /// the item was skipped (Go reports those as success, quirk Q9/Q22), or that item's own
    /// error.
    ///
    /// Queue registration (`SADD asynq:queues`) is sent first; the scripts are loaded on every
    /// master before the pipeline, and an item that still meets `NOSCRIPT` (a `SCRIPT FLUSH` in
    /// between) is retried once after reloading.
    ///
    /// # Errors
    /// The outer error means nothing was enqueued: an invalid queue name, or the registration or
    /// script load failed.
    pub async fn enqueue_batch(&self, items: &[BatchItem]) -> Result<Vec<Result<()>>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        for item in items {
            keys::validate_queue_name(&item.msg.queue)?;
        }
        let now = self.now();
        let queues: BTreeSet<&str> = items
            .iter()
            .map(|i| i.msg.queue.as_str())
            .filter(|q| !self.queue_recently_registered(q))
            .collect();
        if !queues.is_empty() {
            let _: i64 = self
                .client
                .sadd(keys::ALL_QUEUES, queues.iter().copied().collect::<Vec<_>>())
                .await?;
            for q in &queues {
                self.mark_queue_registered(q);
            }
        }
        let scheduled = |i: &BatchItem| i.process_at.is_some_and(|t| t > now);
        if items.iter().any(|i| !scheduled(i)) {
            scripts::ENQUEUE.load(&self.client).await?;
        }
        if items.iter().any(scheduled) {
            scripts::SCHEDULE.load(&self.client).await?;
        }
        let calls: Vec<(&Script, Vec<String>, Vec<Value>)> = items
            .iter()
            .map(|item| {
                let m = &item.msg;
                match item.process_at.filter(|t| *t > now) {
                    None => (
                        &*scripts::ENQUEUE,
                        vec![keys::task_key(&m.queue, &m.id), keys::pending_key(&m.queue)],
                        vec![
                            bin(asynq_proto::encode(m)),
                            text(&m.id),
                            int(unix_nanos(now)),
                        ],
                    ),
                    Some(at) => (
                        &*scripts::SCHEDULE,
                        vec![
                            keys::task_key(&m.queue, &m.id),
                            keys::scheduled_key(&m.queue),
                        ],
                        vec![
                            bin(asynq_proto::encode(m)),
                            int(at.unix_timestamp()),
                            text(&m.id),
                        ],
                    ),
                }
            })
            .collect();
        let mut results = self.run_pipeline(&calls).await;
        let noscript: Vec<usize> = results
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r, Err(BrokerError::Redis(m)) if m.contains("NOSCRIPT")))
            .map(|(i, _)| i)
            .collect();
        if !noscript.is_empty() {
            scripts::ENQUEUE.load(&self.client).await?;
            scripts::SCHEDULE.load(&self.client).await?;
            let again: Vec<_> = noscript.iter().map(|&i| calls[i].clone()).collect();
            for (i, r) in noscript.into_iter().zip(self.run_pipeline(&again).await) {
                results[i] = r;
            }
        }
        Ok(results)
    }

    async fn run_pipeline(&self, calls: &[(&Script, Vec<String>, Vec<Value>)]) -> Vec<Result<()>> {
        let pipe = self.client.pipeline();
        for (script, keys, args) in calls {
            // EVALSHA sha numkeys key.. arg..; routed by the first key (argument offset 2).
            let mut cmd_args: Vec<Value> = Vec::with_capacity(2 + keys.len() + args.len());
            cmd_args.push(Value::String(script.sha1().clone()));
            cmd_args.push(Value::Integer(keys.len() as i64));
            cmd_args.extend(keys.iter().map(|k| text(k)));
            cmd_args.extend(args.iter().cloned());
            let evalsha = CustomCommand::new("EVALSHA", ClusterHash::Offset(2), false);
            let queued: std::result::Result<(), _> = pipe.custom(evalsha, cmd_args).await;
            if let Err(e) = queued {
                return calls
                    .iter()
                    .map(|_| Err(BrokerError::from(e.clone())))
                    .collect();
            }
        }
        pipe.try_all::<i64>()
            .await
            .into_iter()
            .map(|r| {
                r.map_err(BrokerError::from)
                    .and_then(|n| enqueue_reply("batch enqueue", n))
            })
            .collect()
    }
}
