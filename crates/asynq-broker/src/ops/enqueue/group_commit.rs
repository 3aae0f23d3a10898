//! Group commit of plain enqueues ([`Broker::enqueue`]).
//!
//! Per connection and queue (so per Cluster slot), a call sends its own `enqueue.lua` at once
//! while fewer than [`LEADERS`] such calls are in flight and nobody waits: a lone producer, or
//! a few, pay nothing extra. Calls arriving beyond that wait in the queue's lane, in arrival
//! order. When a call in flight returns, a spawned driver task sends them together as one
//! `enqueue_many.lua` call and keeps draining the lane until it is empty (meanwhile every new
//! call joins the lane). The driver keeps at most two batches in flight: a batch goes out when
//! the oldest one returns, or as soon as all the callers it answered last are waiting again (so
//! Redis has the next batch while it runs the current one). A batch holds at most
//! [`MAX_TASKS`] tasks and [`MAX_BYTES`] bytes of arguments (one larger task goes
//! alone). All calls of a queue share one connection, so they reach Redis in the order sent.
//!
//! Redis sees per task exactly what `enqueue.lua` does: the same EXISTS check in order, the same
//! hash fields with the caller's own `pending_since`, LPUSH in arrival order and the wake-up
//! publish when the list goes from empty to non-empty.
//!
//! Cancellation: a caller dropped while its task waits in the lane is skipped when its batch is
//! formed (not enqueued); one dropped after that is enqueued and nobody waits for the reply. A
//! leader dropped while its own call is in flight hands the lane to a driver task at once, so
//! the lane never stays closed. A driver task that is itself dropped (runtime shutdown) removes
//! its lane; the callers still waiting get a connection error. A failed call (connection or
//! Redis error) fails every task of its batch with that error.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use bytes::Bytes;
use fred::types::scripts::Script;
use fred::types::{MultipleKeys, Value};
use futures::future::MaybeDone;
use tokio::sync::{oneshot, Notify};

use crate::broker::{bin, enqueue_reply, int, text, Broker};
use crate::error::{BrokerError, Result};
use crate::scripts;

/// Most tasks sent in one `enqueue_many.lua` call.
pub(crate) const MAX_TASKS: usize = 128;
/// Most argument bytes (keys, encoded messages, IDs) in one `enqueue_many.lua` call; a single
/// larger task is sent alone.
pub(crate) const MAX_BYTES: usize = 1 << 20;

/// One pending-list task, encoded and ready to be sent.
pub(crate) struct Prepared {
    /// `asynq:{q}:t:<id>`.
    pub(crate) task_key: String,
    /// The encoded `TaskMessage`.
    pub(crate) msg: Bytes,
    /// The task ID.
    pub(crate) id: String,
    /// `pending_since`: the caller's now in Unix nanoseconds.
    pub(crate) now_ns: i64,
}

impl Prepared {
    /// The bytes this task adds to a script call's arguments (for the [`MAX_BYTES`] cap).
    pub(crate) fn size(&self) -> usize {
        self.task_key.len() + self.msg.len() + self.id.len() + 20
    }

    /// The KEYS and ARGV of `enqueue_many.lua` for `tasks` of the queue whose pending list is
    /// `pending_key`.
    pub(crate) fn many_call<'a>(
        pending_key: String,
        tasks: impl ExactSizeIterator<Item = &'a Prepared>,
    ) -> (Vec<String>, Vec<Value>) {
        let mut keys = Vec::with_capacity(1 + tasks.len());
        let mut args = Vec::with_capacity(3 * tasks.len());
        keys.push(pending_key);
        for t in tasks {
            keys.push(t.task_key.clone());
            args.push(bin(t.msg.clone()));
            args.push(text(&t.id));
            args.push(int(t.now_ns));
        }
        (keys, args)
    }
}

/// Reads the reply of `enqueue_many.lua` for `n` tasks: one result per task.
pub(crate) fn many_reply(op: &'static str, reply: Value, n: usize) -> Vec<Result<()>> {
    let codes: Option<Vec<i64>> = match reply {
        Value::Array(items) if items.len() == n => items.iter().map(Value::as_i64).collect(),
        _ => None,
    };
    match codes {
        Some(codes) => codes.into_iter().map(|c| enqueue_reply(op, c)).collect(),
        None => (0..n)
            .map(|_| {
                Err(BrokerError::UnexpectedReply {
                    op,
                    reply: format!("not {n} integers"),
                })
            })
            .collect(),
    }
}

/// A caller waiting in a lane.
struct Job {
    task: Prepared,
    reply: oneshot::Sender<Result<()>>,
}

/// The callers of one queue waiting while a call is in flight. A lane exists exactly while
/// someone owns it: the leader (a caller whose own call is in flight) or a driver task.
#[derive(Default)]
struct Lane {
    /// Callers whose own call is in flight (each sent at once).
    leaders: usize,
    waiting: VecDeque<Job>,
    /// The driver task's wake-up, while a driver owns the lane.
    driver: Option<Arc<Notify>>,
    /// When this many callers wait, the driver is woken to send them at once (0: never). It is
    /// the number of callers the driver just answered: once they are all back, their batch
    /// goes out while the previous one is still in flight.
    expect: usize,
}

/// Lanes by connection (the address of the broker's shared connection options, alive as long
/// as a lane's owner holds the broker) and queue name.
type Lanes = HashMap<usize, HashMap<String, Lane>>;

static LANES: LazyLock<Mutex<Lanes>> = LazyLock::new(Mutex::default);

fn lanes() -> MutexGuard<'static, Lanes> {
    LANES.lock().unwrap_or_else(|e| e.into_inner())
}

fn connection_id(broker: &Broker) -> usize {
    Arc::as_ptr(&broker.opt) as usize
}

/// Enqueues `task` into `queue` (pending list `pending_key`) through the queue's lane.
pub(crate) async fn enqueue(
    broker: &Broker,
    queue: &str,
    pending_key: String,
    task: Prepared,
) -> Result<()> {
    let conn = connection_id(broker);
    let waiting = {
        let mut lanes = lanes();
        let by_queue = lanes.entry(conn).or_default();
        match by_queue.get_mut(queue) {
            Some(lane)
                if lane.driver.is_none() && lane.waiting.is_empty() && lane.leaders < LEADERS =>
            {
                lane.leaders += 1;
                Err(task)
            }
            Some(lane) => {
                let (reply, rx) = oneshot::channel();
                lane.waiting.push_back(Job { task, reply });
                if lane.expect > 0 && lane.waiting.len() >= lane.expect {
                    lane.expect = 0;
                    if let Some(driver) = &lane.driver {
                        driver.notify_one();
                    }
                }
                Ok(rx)
            }
            None => {
                by_queue.insert(
                    queue.to_owned(),
                    Lane {
                        leaders: 1,
                        ..Lane::default()
                    },
                );
                Err(task)
            }
        }
    };
    match waiting {
        Ok(rx) => rx.await.unwrap_or_else(|_| {
            Err(BrokerError::Connection(
                "enqueue abandoned: the task sending its batch was cancelled".into(),
            ))
        }),
        Err(task) => {
            // This call leads: it sends its own task now; when it returns (or is dropped), the
            // guard hands whatever queued up meanwhile to a driver task.
            let _lead = Leader {
                broker,
                conn,
                queue,
                pending_key: &pending_key,
            };
            let keys = vec![task.task_key, pending_key.clone()];
            let args = vec![bin(task.msg), text(&task.id), int(task.now_ns)];
            let n: i64 = broker.eval(&scripts::ENQUEUE, keys, args).await?;
            enqueue_reply("enqueue", n)
        }
    }
}

/// The leader's ownership of its lane: dropped (after its call or when the caller's future is
/// dropped), it passes the lane on.
struct Leader<'a> {
    broker: &'a Broker,
    conn: usize,
    queue: &'a str,
    pending_key: &'a str,
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        let wake = Arc::new(Notify::new());
        let Some(batch) = leader_done(self.conn, self.queue, &wake) else {
            return;
        };
        let owner = Driver {
            conn: self.conn,
            queue: self.queue.to_owned(),
            released: false,
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(drive(
                    self.broker.clone(),
                    owner,
                    wake,
                    self.pending_key.to_owned(),
                    batch,
                ));
            }
            // No runtime to drive the batch: `owner` and `batch` are dropped, which removes
            // the lane and fails the waiting callers.
            Err(_) => drop((owner, batch)),
        }
    }
}

/// A driver task's ownership of its lane. Dropped before the lane was released (the task was
/// cancelled), it removes the lane so that later calls are not stuck behind it; the callers
/// still waiting get an error.
struct Driver {
    conn: usize,
    queue: String,
    released: bool,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        let lane = {
            let mut lanes = lanes();
            let Some(by_queue) = lanes.get_mut(&self.conn) else {
                return;
            };
            let lane = by_queue.remove(&self.queue);
            if by_queue.is_empty() {
                lanes.remove(&self.conn);
            }
            lane
        };
        drop(lane);
    }
}

/// A leader's call returned: when callers wait and no driver sends them yet, takes their first
/// batch for a new driver woken by `wake`; removes the lane once nobody owns it.
fn leader_done(conn: usize, queue: &str, wake: &Arc<Notify>) -> Option<Vec<Job>> {
    let mut lanes = lanes();
    let by_queue = lanes.get_mut(&conn)?;
    let lane = by_queue.get_mut(queue)?;
    lane.leaders = lane.leaders.saturating_sub(1);
    if lane.driver.is_some() {
        return None;
    }
    if lane.waiting.is_empty() {
        if lane.leaders == 0 {
            by_queue.remove(queue);
            if by_queue.is_empty() {
                lanes.remove(&conn);
            }
        }
        return None;
    }
    let batch = take(lane);
    lane.driver = Some(wake.clone());
    lane.expect = 0;
    Some(batch)
}

/// Takes the next batch of `queue`'s lane, or removes the lane (releasing it) when nobody
/// waits. `driver` (when given) becomes the lane's driver wake-up; `expect` is the number of
/// waiting callers at which it is woken next (0: not before its next call returns).
fn next_batch(
    conn: usize,
    queue: &str,
    driver: Option<&Arc<Notify>>,
    expect: usize,
) -> Option<Vec<Job>> {
    let mut lanes = lanes();
    let by_queue = lanes.get_mut(&conn)?;
    let lane = by_queue.get_mut(queue)?;
    if lane.waiting.is_empty() {
        lane.driver = None;
        if lane.leaders == 0 {
            by_queue.remove(queue);
            if by_queue.is_empty() {
                lanes.remove(&conn);
            }
        }
        return None;
    }
    let batch = take(lane);
    if let Some(driver) = driver {
        lane.driver = Some(driver.clone());
    }
    lane.expect = expect;
    Some(batch)
}

/// Takes the next batch of `queue`'s lane when anybody waits, leaving the lane in place.
fn more(conn: usize, queue: &str, expect: usize) -> Option<Vec<Job>> {
    let mut lanes = lanes();
    let lane = lanes.get_mut(&conn)?.get_mut(queue)?;
    if lane.waiting.is_empty() {
        lane.expect = expect;
        return None;
    }
    let batch = take(lane);
    lane.expect = expect;
    Some(batch)
}

/// The first waiting callers of `lane`, up to [`MAX_TASKS`] and [`MAX_BYTES`].
fn take(lane: &mut Lane) -> Vec<Job> {
    let mut batch = Vec::with_capacity(lane.waiting.len().min(MAX_TASKS));
    let mut bytes = 0;
    while let Some(job) = lane.waiting.front() {
        let size = job.task.size();
        if batch.len() == MAX_TASKS || (!batch.is_empty() && bytes + size > MAX_BYTES) {
            break;
        }
        bytes += size;
        if let Some(job) = lane.waiting.pop_front() {
            batch.push(job);
        }
    }
    batch
}

/// Most batches a driver keeps in flight: while one runs, the next can already wait in Redis.
const MAX_FLIGHTS: usize = 2;

/// Calls of one lane sent at once, each on its own, before callers start to share calls. Below
/// this, separate calls pipelined on the connection keep Redis busy and answer sooner than a
/// shared call would; beyond it, sharing saves more than it delays.
pub(crate) const LEADERS: usize = 16;

/// Sends batches of the lane until it is empty, then releases it. A batch goes out when the
/// oldest one in flight returns, or earlier (up to [`MAX_FLIGHTS`] in flight) once all the
/// callers answered last are waiting again.
async fn drive(
    broker: Broker,
    mut owner: Driver,
    wake: Arc<Notify>,
    pending_key: String,
    batch: Vec<Job>,
) {
    let mut flights: VecDeque<Flight> = VecDeque::with_capacity(MAX_FLIGHTS);
    flights.extend(launch(&broker, &pending_key, batch).await);
    loop {
        let Some(oldest) = flights.front_mut() else {
            match next_batch(owner.conn, &owner.queue, None, 0) {
                Some(batch) => {
                    flights.extend(launch(&broker, &pending_key, batch).await);
                    continue;
                }
                None => {
                    owner.released = true;
                    return;
                }
            }
        };
        let woken = tokio::select! {
            biased;
            () = &mut oldest.results => false,
            () = wake.notified() => true,
        };
        if woken {
            if flights.len() < MAX_FLIGHTS {
                if let Some(batch) = more(owner.conn, &owner.queue, 0) {
                    flights.extend(launch(&broker, &pending_key, batch).await);
                }
            }
            continue;
        }
        let Some(mut done) = flights.pop_front() else {
            continue;
        };
        let answered = done.replies.len();
        // The next batch goes out before the callers of this one are woken, so that Redis
        // works on it meanwhile.
        if let Some(batch) = more(owner.conn, &owner.queue, answered) {
            flights.extend(launch(&broker, &pending_key, batch).await);
        }
        let results = Pin::new(&mut done.results)
            .take_output()
            .unwrap_or_default();
        for (reply, result) in done.replies.into_iter().zip(results) {
            // A caller gone by now: its task was sent, nobody waits for the result.
            let _ = reply.send(result);
        }
    }
}

/// Starts the script call of `batch` and polls it once, which hands the command to the
/// connection.
async fn launch(broker: &Broker, pending_key: &str, batch: Vec<Job>) -> Option<Flight> {
    let mut flight = start(broker, pending_key, batch)?;
    let _ = futures::poll!(&mut flight.results);
    Some(flight)
}

/// The script call of a batch, yielding one result per task.
type BatchCall = Pin<Box<dyn Future<Output = Vec<Result<()>>> + Send>>;

/// A batch sent (or about to be sent) and the callers waiting for its results.
struct Flight {
    replies: Vec<oneshot::Sender<Result<()>>>,
    results: MaybeDone<BatchCall>,
}

/// The script call of one batch, skipping callers that are gone (`None` when none is left).
fn start(broker: &Broker, pending_key: &str, batch: Vec<Job>) -> Option<Flight> {
    let (tasks, replies): (Vec<Prepared>, Vec<_>) = batch
        .into_iter()
        .filter(|job| !job.reply.is_closed())
        .map(|job| (job.task, job.reply))
        .unzip();
    let broker = broker.clone();
    let results: BatchCall = match tasks.as_slice() {
        [] => return None,
        [task] => {
            let keys = vec![task.task_key.clone(), pending_key.to_owned()];
            let args = vec![bin(task.msg.clone()), text(&task.id), int(task.now_ns)];
            Box::pin(async move {
                let reply = call(&broker, &scripts::ENQUEUE, keys, args).await;
                vec![reply.and_then(|v| match v.as_i64() {
                    Some(n) => enqueue_reply("enqueue", n),
                    None => Err(BrokerError::UnexpectedReply {
                        op: "enqueue",
                        reply: format!("{v:?}"),
                    }),
                })]
            })
        }
        _ => {
            let n = tasks.len();
            let (keys, args) = Prepared::many_call(pending_key.to_owned(), tasks.iter());
            Box::pin(async move {
                match call(&broker, &scripts::ENQUEUE_MANY, keys, args).await {
                    Ok(v) => many_reply("enqueue", v, n),
                    Err(e) => (0..n).map(|_| Err(copy_error(&e))).collect(),
                }
            })
        }
    };
    Some(Flight {
        replies,
        results: MaybeDone::Future(results),
    })
}

/// Runs `script` with EVALSHA (reloading it on `NOSCRIPT`).
async fn call(
    broker: &Broker,
    script: &Script,
    keys: Vec<String>,
    args: Vec<Value>,
) -> Result<Value> {
    let keys: MultipleKeys = keys.into();
    Ok(script
        .evalsha_with_reload::<Value, _, _>(&broker.client, keys, args)
        .await?)
}

/// The same error for another task of a failed batch.
pub(crate) fn copy_error(e: &BrokerError) -> BrokerError {
    match e {
        BrokerError::Connection(m) => BrokerError::Connection(m.clone()),
        BrokerError::NotFound(m) => BrokerError::NotFound(m.clone()),
        BrokerError::UnexpectedReply { op, reply } => BrokerError::UnexpectedReply {
            op,
            reply: reply.clone(),
        },
        BrokerError::Redis(m) => BrokerError::Redis(m.clone()),
        other => BrokerError::Redis(other.to_string()),
    }
}
