//! [`Core`]: what the server's components share.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use asynq_broker::Broker;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::idle::IdleGate;
use crate::queues::QueueSelector;
use crate::syncer::SyncQueue;
use crate::workers::Workers;

/// Where a server is in its life (Go `serverState`); the heartbeat publishes it as the server's
/// `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerState {
    /// Created, not started yet (Go `new`).
    New,
    /// Processing tasks (Go `active`).
    Active,
    /// No longer taking new tasks; running ones continue (Go `stopped`, after `Stop` or
    /// SIGTSTP).
    Stopped,
    /// Shut down (Go `closed`); it cannot be started again.
    Closed,
}

impl ServerState {
    /// The status text Go writes to `ServerInfo.status`: `new`, `active`, `stopped`, `closed`.
    pub fn as_str(self) -> &'static str {
        match self {
            ServerState::New => "new",
            ServerState::Active => "active",
            ServerState::Stopped => "stopped",
            ServerState::Closed => "closed",
        }
    }
}

impl fmt::Display for ServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a server names itself in `asynq:servers` (`asynq:servers:{<host>:<pid>:<server_id>}`).
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub(crate) host: String,
    pub(crate) pid: u32,
    pub(crate) server_id: String,
}

/// The state the components of one server share.
pub(crate) struct Core {
    pub(crate) broker: Broker,
    /// The normalised configuration.
    pub(crate) config: Config,
    pub(crate) selector: QueueSelector,
    /// The queue names this server serves, sorted.
    pub(crate) queues: Vec<String>,
    pub(crate) identity: Identity,
    pub(crate) state: Mutex<ServerState>,
    pub(crate) started: Mutex<Option<OffsetDateTime>>,
    pub(crate) workers: Workers,
    pub(crate) syncer: SyncQueue,
    /// Where idle fetchers wait; woken by the subscriber and by fetchers that got a task.
    pub(crate) idle: IdleGate,
}

impl Core {
    pub(crate) fn state(&self) -> ServerState {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.broker.now()
    }
}

/// Sleeps for `d` unless `stop` fires first; true when the full time passed. Every loop of the
/// server waits through this, so shutdown never waits for a sleeping component.
pub(crate) async fn sleep_or_stop(stop: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        _ = stop.cancelled() => false,
        _ = tokio::time::sleep(d) => true,
    }
}

/// Limits an error log to one line per `every` (Go's `rate.Limiter` for dequeue errors), or to
/// one line per `every` for each key (a queue name, say) with [`LogLimiter::allow_for`].
pub(crate) struct LogLimiter {
    every: Duration,
    last: Mutex<std::collections::HashMap<String, std::time::Instant>>,
}

impl LogLimiter {
    pub(crate) fn new(every: Duration) -> LogLimiter {
        LogLimiter {
            every,
            last: Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Whether a line may be logged now.
    pub(crate) fn allow(&self) -> bool {
        self.allow_for("")
    }

    /// Whether a line about `key` may be logged now (each key has its own limit).
    pub(crate) fn allow_for(&self, key: &str) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        if last
            .get(key)
            .is_some_and(|t| now.duration_since(*t) < self.every)
        {
            return false;
        }
        last.insert(key.to_string(), now);
        true
    }
}
