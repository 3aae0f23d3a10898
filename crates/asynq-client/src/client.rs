//! [`Client`]: enqueue tasks (Go `asynq.Client`).

use asynq_broker::{BatchItem, Broker, RedisConnOpt, TaskState};
use time::OffsetDateTime;

use crate::compose::{compose, Composed};
use crate::error::ClientError;
use crate::info::TaskInfo;
use crate::option::TaskOption;
use crate::task::Task;

/// Enqueues tasks into Redis, wire-compatible with Go asynq's `Client` (Go and Rust workers
/// process them alike). Cheap to clone; clones share one multiplexed connection.
///
/// ```no_run
/// # async fn run() -> Result<(), asynq_client::ClientError> {
/// use std::time::Duration;
/// use asynq_client::{Client, RedisConnOpt, Task, TaskOption};
///
/// let client = Client::connect(RedisConnOpt::parse_uri("redis://127.0.0.1:6379")?).await?;
/// let task = Task::from_json("email:deliver", &serde_json::json!({"user_id": 42}))?;
/// let info = client
///     .enqueue(&task, &[TaskOption::queue("critical"), TaskOption::process_in(Duration::from_secs(60))])
///     .await?;
/// println!("enqueued {} into {} ({})", info.id, info.queue, info.state);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    broker: Broker,
    shared: bool,
}

impl Client {
    /// Connects to Redis (Go `NewClient`).
    ///
    /// # Errors
    /// [`ClientError::Broker`] when the options are unusable or Redis cannot be reached.
    pub async fn connect(opt: RedisConnOpt) -> Result<Client, ClientError> {
        Ok(Client {
            broker: Broker::connect(opt).await?,
            shared: false,
        })
    }

    /// A client on an existing broker connection (Go `NewClientFromRedisClient`);
    /// [`Client::close`] then refuses to close it.
    pub fn from_broker(broker: Broker) -> Client {
        Client {
            broker,
            shared: true,
        }
    }

    /// The broker this client uses.
    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// Sends `PING` (Go `Client.Ping`).
    ///
    /// # Errors
    /// [`ClientError::Broker`] when Redis does not answer.
    pub async fn ping(&self) -> Result<(), ClientError> {
        Ok(self.broker.ping().await?)
    }

    /// Closes the connection (Go `Client.Close`).
    ///
    /// # Errors
    /// [`ClientError::SharedConnection`] for a client made with [`Client::from_broker`].
    pub async fn close(&self) -> Result<(), ClientError> {
        if self.shared {
            return Err(ClientError::SharedConnection);
        }
        Ok(self.broker.close().await?)
    }

    /// Enqueues `task` with its own options and then `opts` (later options win) (Go
    /// `Client.Enqueue`). A process-at time after now schedules the task; otherwise a group
    /// option puts it into its group (state aggregating; the aggregator is part of the worker);
    /// otherwise it goes to pending. Unique tasks take their lock first. Many concurrent
    /// plain enqueues to one queue (on this client or its clones) share Redis script calls;
    /// each call still gets its own result ([`Broker::enqueue`]). The task and its options are
    /// checked first, as [`crate::compose`] does, and nothing is sent when they are invalid.
    ///
    /// # Errors
    /// * [`ClientError::InvalidTask`] for an empty type or an invalid option (a duration over
    ///   [`crate::MAX_DURATION`], a queue name with `{` or `}`, ...) or a message over
    ///   [`crate::MAX_MESSAGE_SIZE`]; nothing was sent.
    /// * [`ClientError::DuplicateTask`] when the unique lock is held.
    /// * [`ClientError::TaskIdConflict`] when the ID exists in the queue.
    /// * [`ClientError::OutcomeUnknown`] when the connection failed or timed out (after the
    ///   command timeout, `read_timeout + write_timeout`, 6 s by default) while the enqueue was
    ///   on its way or in flight: **the task may have been stored**, and a plain retry can store
    ///   it twice.
    /// * [`ClientError::Broker`] for Redis error replies.
    ///
    /// # Retrying without duplicates
    ///
    /// Give the task an ID, or take the one [`ClientError::OutcomeUnknown`] carries, and retry
    /// with it: [`ClientError::TaskIdConflict`] on the retry means the first attempt stored the
    /// task (the ID stays taken while the task is in its queue, so retry within that time).
    ///
    /// ```no_run
    /// # async fn run(client: asynq_client::Client) -> Result<(), asynq_client::ClientError> {
    /// use asynq_client::{ClientError, Task, TaskOption};
    ///
    /// let task = Task::new("email:deliver", r#"{"user_id":42}"#);
    /// let id = [TaskOption::task_id("welcome-email-42")];
    /// let mut attempts = 0;
    /// loop {
    ///     attempts += 1;
    ///     match client.enqueue(&task, &id).await {
    ///         // Stored by this attempt.
    ///         Ok(_) => break,
    ///         // Stored by an earlier attempt whose outcome was unknown.
    ///         Err(ClientError::TaskIdConflict) if attempts > 1 => break,
    ///         // Maybe stored: try again, with the same ID.
    ///         Err(ClientError::OutcomeUnknown { .. }) if attempts < 5 => {
    ///             tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    ///         }
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn enqueue(&self, task: &Task, opts: &[TaskOption]) -> Result<TaskInfo, ClientError> {
        let now = self.broker.now();
        let c = compose(task, opts, now)?;
        let b = &self.broker;
        let sent = |e| ClientError::after_send(e, &c.msg);
        if c.process_at > now {
            match c.unique_lock_ttl {
                Some(lock_ttl) => b.schedule_unique(&c.msg, c.process_at, lock_ttl).await,
                None => b.schedule(&c.msg, c.process_at).await,
            }
            .map_err(sent)?;
            return Ok(info(&c, TaskState::Scheduled, Some(c.process_at)));
        }
        if !c.group.is_empty() {
            match c.unique_lock_ttl {
                Some(ttl) => b.add_to_group_unique(&c.msg, &c.group, ttl).await,
                None => b.add_to_group(&c.msg, &c.group).await,
            }
            .map_err(sent)?;
            return Ok(info(&c, TaskState::Aggregating, None));
        }
        match c.unique_lock_ttl {
            Some(ttl) => b.enqueue_unique(&c.msg, ttl).await,
            None => b.enqueue(&c.msg).await,
        }
        .map_err(sent)?;
        Ok(info(&c, TaskState::Pending, Some(now)))
    }

    /// Enqueues many tasks in one pipeline and returns one result per task, in order (Go
    /// `Client.BatchEnqueueContext`, master). Each task is checked on its own: group and unique
    /// tasks are refused with [`ClientError::InvalidTask`] (as in Go) and take no part. Unlike
    /// Go, a task whose ID already exists is reported as [`ClientError::TaskIdConflict`] rather
    /// than as success, and `Header` options are applied (Go ignores them in a batch). Tasks
    /// are not enqueued atomically: a failure of one leaves the others in place.
    ///
    /// A task's result is [`ClientError::OutcomeUnknown`] when the connection failed after the
    /// script call carrying it may have been sent (it may be stored; retry it with its ID as
    /// shown on [`Client::enqueue`]), and [`ClientError::Broker`] with a connection error when
    /// the batch failed before anything was written (queue registration or script loading).
    pub async fn enqueue_batch(
        &self,
        tasks: &[Task],
        opts: &[TaskOption],
    ) -> Vec<Result<TaskInfo, ClientError>> {
        let now = self.broker.now();
        let mut results: Vec<Option<Result<TaskInfo, ClientError>>> =
            Vec::with_capacity(tasks.len());
        let mut valid: Vec<(usize, Composed)> = Vec::new();
        for (i, task) in tasks.iter().enumerate() {
            match compose(task, opts, now).and_then(batchable) {
                Ok(c) => {
                    valid.push((i, c));
                    results.push(None);
                }
                Err(e) => results.push(Some(Err(e))),
            }
        }
        let items: Vec<BatchItem> = valid
            .iter()
            .map(|(_, c)| BatchItem {
                msg: c.msg.clone(),
                process_at: (c.process_at > now).then_some(c.process_at),
            })
            .collect();
        match self.broker.enqueue_batch(&items).await {
            Ok(outcomes) => {
                for ((i, c), outcome) in valid.iter().zip(outcomes) {
                    let outcome = outcome.map_err(|e| ClientError::after_send(e, &c.msg));
                    results[*i] = Some(outcome.map(|()| {
                        if c.process_at > now {
                            info(c, TaskState::Scheduled, Some(c.process_at))
                        } else {
                            info(c, TaskState::Pending, Some(now))
                        }
                    }));
                }
            }
            Err(e) => {
                let e = ClientError::from(e);
                for (i, _) in &valid {
                    results[*i] = Some(Err(e.duplicate()));
                }
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| Err(ClientError::InvalidTask("task was not processed".into())))
            })
            .collect()
    }
}

fn batchable(c: Composed) -> Result<Composed, ClientError> {
    if !c.group.is_empty() {
        return Err(ClientError::InvalidTask(
            "batch enqueue does not support group tasks".into(),
        ));
    }
    if c.unique_ttl.is_some() {
        return Err(ClientError::InvalidTask(
            "batch enqueue does not support unique tasks".into(),
        ));
    }
    Ok(c)
}

fn info(c: &Composed, state: TaskState, next: Option<OffsetDateTime>) -> TaskInfo {
    TaskInfo::from_message(&c.msg, state, next, None)
}
