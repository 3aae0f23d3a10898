//! BatchEnqueue (spec §4.8): the immediate tasks of each queue in chunks of one multi-task
//! enqueue script call each, the scheduled ones one schedule script each, all in one pipeline.

use std::collections::{BTreeSet, HashMap};

use asynq_proto::TaskMessage;
use fred::prelude::*;
use fred::types::scripts::Script;
use fred::types::{ClusterHash, CustomCommand, Value};
use time::OffsetDateTime;

use crate::broker::{bin, enqueue_reply, int, text, Broker};
use crate::clock::unix_nanos;
use crate::error::{BrokerError, Result};
use crate::ops::enqueue::group_commit::{copy_error, many_reply, Prepared, MAX_BYTES, MAX_TASKS};
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
    /// Enqueues or schedules every item with one pipeline (no MULTI/EXEC); all immediate items
    /// share one `pending_since` (Go `RDB.BatchEnqueue`, master). Each scheduled item runs the
    /// script of [`Broker::schedule`]; the immediate items of each queue go in chunks (at most
    /// 128 tasks or about 1 MB each), one multi-task enqueue script call per chunk, which writes
    /// per task exactly what [`Broker::enqueue`] writes, in input order. Returns one result per
    /// item, in input order: `Ok(())` when inserted, `Err(BrokerError::TaskIdConflict)` when the
    /// ID existed (or came earlier in the batch) and the item was skipped (Go reports those as
    /// success, quirk Q9/Q22), or the error of the script call that carried the item (shared by
    /// the items of its chunk).
    ///
    /// Queue registration (`SADD asynq:queues`) is sent first; the scripts are loaded on every
    /// master before the pipeline, and a call that still meets `NOSCRIPT` (a `SCRIPT FLUSH` in
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
            scripts::ENQUEUE_MANY.load(&self.client).await?;
        }
        if items.iter().any(scheduled) {
            scripts::SCHEDULE.load(&self.client).await?;
        }
        let calls = plan(items, now);
        let mut replies = self.run_pipeline(&calls).await;
        let noscript: Vec<usize> = replies
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r, Err(BrokerError::Redis(m)) if m.contains("NOSCRIPT")))
            .map(|(i, _)| i)
            .collect();
        if !noscript.is_empty() {
            scripts::ENQUEUE_MANY.load(&self.client).await?;
            scripts::SCHEDULE.load(&self.client).await?;
            let again: Vec<Call> = noscript.iter().map(|&i| calls[i].clone()).collect();
            for (i, r) in noscript.into_iter().zip(self.run_pipeline(&again).await) {
                replies[i] = r;
            }
        }
        let mut results: Vec<Option<Result<()>>> = items.iter().map(|_| None).collect();
        for (call, reply) in calls.iter().zip(replies) {
            let outcomes: Vec<Result<()>> = match (call.script, reply) {
                (_, Err(e)) => call.items.iter().map(|_| Err(copy_error(&e))).collect(),
                (Which::Schedule, Ok(v)) => vec![match v.as_i64() {
                    Some(n) => enqueue_reply("batch enqueue", n),
                    None => Err(BrokerError::UnexpectedReply {
                        op: "batch enqueue",
                        reply: format!("{v:?}"),
                    }),
                }],
                (Which::EnqueueMany, Ok(v)) => many_reply("batch enqueue", v, call.items.len()),
            };
            for (&i, outcome) in call.items.iter().zip(outcomes) {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(outcome);
                }
            }
        }
        Ok(results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(BrokerError::UnexpectedReply {
                        op: "batch enqueue",
                        reply: "no reply for the task".into(),
                    })
                })
            })
            .collect())
    }

    /// Sends `calls` as one pipeline; one reply (or error) per call, in order.
    async fn run_pipeline(&self, calls: &[Call]) -> Vec<Result<Value>> {
        let pipe = self.client.pipeline();
        for call in calls {
            let script: &Script = match call.script {
                Which::EnqueueMany => &scripts::ENQUEUE_MANY,
                Which::Schedule => &scripts::SCHEDULE,
            };
            // EVALSHA sha numkeys key.. arg..; routed by the first key (argument offset 2).
            let mut cmd_args: Vec<Value> =
                Vec::with_capacity(2 + call.keys.len() + call.args.len());
            cmd_args.push(Value::String(script.sha1().clone()));
            cmd_args.push(Value::Integer(call.keys.len() as i64));
            cmd_args.extend(call.keys.iter().map(|k| text(k)));
            cmd_args.extend(call.args.iter().cloned());
            let evalsha = CustomCommand::new("EVALSHA", ClusterHash::Offset(2), false);
            let queued: std::result::Result<(), _> = pipe.custom(evalsha, cmd_args).await;
            if let Err(e) = queued {
                return calls
                    .iter()
                    .map(|_| Err(BrokerError::from(e.clone())))
                    .collect();
            }
        }
        pipe.try_all::<Value>()
            .await
            .into_iter()
            .map(|r| r.map_err(BrokerError::from))
            .collect()
    }
}

/// Which script a pipelined [`Call`] runs.
#[derive(Debug, Clone, Copy)]
enum Which {
    /// `enqueue_many.lua`: immediate items of one queue.
    EnqueueMany,
    /// `schedule.lua`: one scheduled item.
    Schedule,
}

/// One script call of a batch and the indexes of the items it carries.
#[derive(Debug, Clone)]
struct Call {
    script: Which,
    keys: Vec<String>,
    args: Vec<Value>,
    items: Vec<usize>,
}

/// The script calls of a batch: each scheduled item on its own, the immediate items of each
/// queue in chunks of at most [`MAX_TASKS`] tasks and [`MAX_BYTES`] bytes, in input order (so
/// each pending list gets its items in input order). Every immediate item gets `now` as
/// `pending_since`.
fn plan(items: &[BatchItem], now: OffsetDateTime) -> Vec<Call> {
    let now_ns = unix_nanos(now);
    // Per queue, the chunk being filled: (index into `calls`, its tasks, their bytes).
    let mut open: HashMap<&str, (usize, Vec<Prepared>, usize)> = HashMap::new();
    let mut calls: Vec<Call> = Vec::new();
    let close =
        |calls: &mut Vec<Call>, queue: &str, (at, tasks, _): (usize, Vec<Prepared>, usize)| {
            let (keys, args) = Prepared::many_call(keys::pending_key(queue), tasks.iter());
            if let Some(call) = calls.get_mut(at) {
                call.keys = keys;
                call.args = args;
            }
        };
    for (i, item) in items.iter().enumerate() {
        let m = &item.msg;
        if let Some(at) = item.process_at.filter(|t| *t > now) {
            calls.push(Call {
                script: Which::Schedule,
                keys: vec![
                    keys::task_key(&m.queue, &m.id),
                    keys::scheduled_key(&m.queue),
                ],
                args: vec![
                    bin(asynq_proto::encode(m)),
                    int(at.unix_timestamp()),
                    text(&m.id),
                ],
                items: vec![i],
            });
            continue;
        }
        let task = Prepared {
            task_key: keys::task_key(&m.queue, &m.id),
            msg: asynq_proto::encode(m),
            id: m.id.clone(),
            now_ns,
        };
        let size = task.size();
        let full = open
            .get(m.queue.as_str())
            .is_some_and(|(_, tasks, bytes)| tasks.len() == MAX_TASKS || bytes + size > MAX_BYTES);
        if full {
            if let Some(chunk) = open.remove(m.queue.as_str()) {
                close(&mut calls, &m.queue, chunk);
            }
        }
        let chunk = open.entry(m.queue.as_str()).or_insert_with(|| {
            calls.push(Call {
                script: Which::EnqueueMany,
                keys: Vec::new(),
                args: Vec::new(),
                items: Vec::new(),
            });
            (calls.len() - 1, Vec::new(), 0)
        });
        chunk.1.push(task);
        chunk.2 += size;
        if let Some(call) = calls.get_mut(chunk.0) {
            call.items.push(i);
        }
    }
    for (queue, chunk) in open {
        close(&mut calls, queue, chunk);
    }
    calls
}
