//! [`Broker`]: one multiplexed Redis connection and the shared plumbing of every operation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fred::prelude::*;
use fred::types::scripts::Script;
use fred::types::{FromValue, MultipleKeys, Value};
use time::OffsetDateTime;

use crate::clock::{Clock, SystemClock};
use crate::conn::{self, RedisConnOpt};
use crate::error::{BrokerError, Result};
use crate::keys;

/// How long a dequeued task is leased before the recoverer may take it back: 30 s (Go
/// `LeaseDuration`).
pub const LEASE_DURATION: Duration = Duration::from_secs(30);
/// How long daily counters live after their first increment: 90 days (Go `statsTTL`).
pub const STATS_TTL: Duration = Duration::from_secs(90 * 24 * 60 * 60);
/// Archived tasks older than this are trimmed on each worker-side archive: 90 days (Go
/// `archivedExpirationInDays`).
pub const ARCHIVED_EXPIRATION: Duration = Duration::from_secs(90 * 24 * 60 * 60);
/// The archive keeps fewer than this many tasks: 10,000 (Go `maxArchiveSize`; 9,999 remain).
pub const MAX_ARCHIVE_SIZE: i64 = 10_000;
/// How long an `SADD asynq:queues <q>` is trusted before the next enqueue to `q` repeats it.
///
/// Go caches the registration for the life of the client (quirk Q11), so a queue removed by the
/// Inspector never reappears; here it reappears within this time.
pub const QUEUE_REGISTRATION_TTL: Duration = Duration::from_secs(5);

/// Go's `math.MaxInt64`, passed to the counter scripts for the wrap-around check.
pub(crate) const MAX_INT64: i64 = i64::MAX;

/// The Redis side of asynq: a cheaply cloneable handle on one multiplexed connection (fred
/// pipelines concurrent commands on it) plus the clock used for every "now".
///
/// Mirrors Go's `internal/rdb.RDB`. Each operation is one async method in the `ops` modules,
/// next to its Lua script.
#[derive(Clone)]
pub struct Broker {
    pub(crate) client: Client,
    pub(crate) opt: Arc<RedisConnOpt>,
    pub(crate) clock: Arc<dyn Clock>,
    registered_queues: Arc<Mutex<HashMap<String, Instant>>>,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("opt", &self.opt)
            .field("clock", &self.clock)
            .finish()
    }
}

impl Broker {
    /// Connects to Redis as `opt` says and waits until the connection is up.
    ///
    /// # Errors
    /// [`BrokerError::InvalidConnOpt`] for unusable options, [`BrokerError::Connection`] when Redis
    /// cannot be reached within the dial timeout.
    pub async fn connect(opt: RedisConnOpt) -> Result<Broker> {
        let client = conn::connect(&opt).await?;
        Ok(Broker {
            client,
            opt: Arc::new(opt),
            clock: Arc::new(SystemClock),
            registered_queues: Arc::default(),
        })
    }

    /// The same broker reading "now" from `clock` (for tests that move time).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Broker {
        self.clock = clock;
        self
    }

    /// The clock this broker reads "now" from.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The connection options this broker was made with.
    pub fn conn_opt(&self) -> &RedisConnOpt {
        &self.opt
    }

    /// The current time of [`Broker::clock`].
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Sends `PING` (Go `RDB.Ping`).
    ///
    /// # Errors
    /// [`BrokerError::Connection`] or [`BrokerError::Redis`].
    pub async fn ping(&self) -> Result<()> {
        let _: Value = self.client.ping(None).await?;
        Ok(())
    }

    /// Closes the connection. Clones of this broker stop working.
    ///
    /// # Errors
    /// [`BrokerError::Connection`] when the close could not be sent.
    pub async fn close(&self) -> Result<()> {
        self.client.quit().await?;
        Ok(())
    }

    /// `SADD asynq:queues <q>`, skipped when this broker did it less than
    /// [`QUEUE_REGISTRATION_TTL`] ago (spec §4.1).
    pub(crate) async fn register_queue(&self, qname: &str) -> Result<()> {
        if self.queue_recently_registered(qname) {
            return Ok(());
        }
        let _: i64 = self.client.sadd(keys::ALL_QUEUES, qname).await?;
        self.registered_queues
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(qname.to_string(), Instant::now());
        Ok(())
    }

    pub(crate) fn queue_recently_registered(&self, qname: &str) -> bool {
        let cache = self
            .registered_queues
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        cache
            .get(qname)
            .is_some_and(|at| at.elapsed() < QUEUE_REGISTRATION_TTL)
    }

    pub(crate) fn forget_queue_registration(&self, qname: &str) {
        let mut cache = self
            .registered_queues
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        cache.remove(qname);
    }

    pub(crate) fn mark_queue_registered(&self, qname: &str) {
        self.registered_queues
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(qname.to_string(), Instant::now());
    }

    /// Runs `script` with EVALSHA, loading it (on every master in a cluster) on `NOSCRIPT`.
    pub(crate) async fn eval<R: FromValue>(
        &self,
        script: &Script,
        keys: Vec<String>,
        args: Vec<Value>,
    ) -> Result<R> {
        let keys: MultipleKeys = keys.into();
        Ok(script
            .evalsha_with_reload::<R, _, _>(&self.client, keys, args)
            .await?)
    }

    /// Daily-stats expiry: now + 90 days, in Unix seconds.
    pub(crate) fn stats_expiry(&self, now: OffsetDateTime) -> i64 {
        (now + STATS_TTL).unix_timestamp()
    }
}

/// Shorthand for an integer script argument (ASCII decimal on the wire).
pub(crate) fn int(v: i64) -> Value {
    Value::Integer(v)
}

/// Shorthand for a string script argument.
pub(crate) fn text(s: &str) -> Value {
    Value::String(s.into())
}

/// Shorthand for a binary script argument.
pub(crate) fn bin(b: bytes::Bytes) -> Value {
    Value::Bytes(b)
}

/// Whole seconds of `d`, truncated toward zero like Go's `int64(d.Seconds())`.
pub(crate) fn whole_seconds(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// Checks the integer reply of an enqueue-family script: `1` ok, `0` ID conflict, `-1` duplicate.
pub(crate) fn enqueue_reply(op: &'static str, n: i64) -> Result<()> {
    match n {
        1 => Ok(()),
        0 => Err(BrokerError::TaskIdConflict),
        -1 => Err(BrokerError::DuplicateTask),
        other => Err(BrokerError::UnexpectedReply {
            op,
            reply: other.to_string(),
        }),
    }
}
