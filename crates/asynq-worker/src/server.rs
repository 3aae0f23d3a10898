//! [`Server`]: runs handlers on the tasks of a set of queues, with Go asynq's background
//! components (Go `server.go`, spec §6.1, §6.15).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynq_broker::{Broker, RedisConnOpt};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::error::WorkerError;
use crate::handler::Handler;
use crate::idle::IdleGate;
use crate::processor::Processor;
use crate::queues::QueueSelector;
use crate::shared::{Core, Identity, ServerState};
use crate::signals::{Signal, Signals};
use crate::syncer::SyncQueue;
use crate::workers::Workers;
use crate::{
    aggregator, forwarder, healthcheck, heartbeat, janitor, recoverer, subscriber, syncer,
};

/// The longest each shutdown write (requeue of an aborted task, the syncer's last try, clearing
/// the server state) may take, so that shutdown ends soon after `shutdown_timeout` even when
/// Redis is unreachable.
pub(crate) const SHUTDOWN_WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// A background component: its stop signal and its task.
struct Component {
    stop: CancellationToken,
    handle: JoinHandle<()>,
}

impl Component {
    fn spawn<F, Fut>(f: F) -> Component
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let stop = CancellationToken::new();
        let handle = tokio::spawn(f(stop.clone()));
        Component { stop, handle }
    }

    /// Signals the component to stop and waits for it, at most `limit` (it may be waiting on
    /// an unreachable Redis); then its task is aborted. Every Redis write is one atomic script
    /// or command, so an abort never leaves a task half-moved.
    async fn shutdown(self, limit: Duration) {
        self.stop.cancel();
        let mut handle = self.handle;
        match tokio::time::timeout(limit, &mut handle).await {
            Ok(Err(e)) if e.is_panic() => tracing::error!("a server component panicked: {e}"),
            Ok(_) => {}
            Err(_) => {
                tracing::warn!("a server component did not stop within {limit:?}; aborting it");
                handle.abort();
            }
        }
    }
}

/// The components of a started server, stopped in Go's order by [`Server::shutdown`].
struct Running {
    forwarder: Component,
    processor: Processor,
    recoverer: Component,
    syncer: Component,
    subscriber: Component,
    janitor: Component,
    healthcheck: Option<Component>,
    /// Only with a group aggregator (Go: the same).
    aggregator: Option<Component>,
    heartbeat: Component,
}

/// A task-processing server (Go `asynq.Server`): takes tasks from its queues in Redis and runs
/// a [`Handler`] on each, with at most `concurrency` at once, exactly as a Go asynq server
/// does, so Go and Rust servers can share queues.
///
/// Besides the processor it runs, as Go does: the heartbeat (server entry for `asynq server
/// ls` and `Inspector.Servers()`, lease extension every 5 s), the recoverer (tasks whose worker
/// died), the forwarder (due scheduled and retry tasks), the janitor (expired completed tasks),
/// the syncer (completion writes that failed while Redis was unreachable), the cancellation
/// subscriber (`asynq:cancel`) and, when configured, the health checker.
///
/// ```no_run
/// use asynq_worker::{Config, RedisConnOpt, ServeMux, Server, Task, TaskContext};
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut mux = ServeMux::new();
/// mux.handle_fn("email:deliver", |_ctx: TaskContext, task: Task| async move {
///     println!("sending {}", String::from_utf8_lossy(task.payload()));
///     Ok(())
/// })?;
/// let opt = RedisConnOpt::parse_uri("redis://127.0.0.1:6379")?;
/// let server = Server::connect(opt, Config { concurrency: 10, ..Config::default() }).await?;
/// server.run(mux).await?; // until SIGTERM or SIGINT
/// # Ok(()) }
/// ```
pub struct Server {
    core: Arc<Core>,
    running: Mutex<Option<Running>>,
    owns_connection: bool,
}

impl Server {
    /// Connects to Redis and creates a server (Go `NewServer`). The connection is closed by
    /// [`Server::shutdown`].
    ///
    /// # Errors
    /// [`WorkerError::Config`] for an invalid `config` (see [`Config::validate`]);
    /// [`WorkerError::Broker`] when Redis cannot be reached.
    pub async fn connect(opt: RedisConnOpt, config: Config) -> Result<Server, WorkerError> {
        config.validate()?;
        let broker = Broker::connect(opt).await?;
        let mut server = Server::from_broker(broker, config)?;
        server.owns_connection = true;
        Ok(server)
    }

    /// A server using an existing broker connection (Go `NewServerFromRedisClient`); the
    /// connection stays open after shutdown. Times written to Redis come from the broker's
    /// clock.
    ///
    /// # Errors
    /// [`WorkerError::Config`] for an invalid `config` (see [`Config::validate`] and
    /// [`Config::normalize`]).
    pub fn from_broker(broker: Broker, config: Config) -> Result<Server, WorkerError> {
        config.validate()?;
        let config = config.normalize()?;
        let selector = QueueSelector::new(&config.queues, config.strict_priority);
        let mut queues: Vec<String> = config.queues.keys().cloned().collect();
        queues.sort();
        let identity = Identity {
            host: hostname::get()
                .map(|h| h.to_string_lossy().into_owned())
                .unwrap_or_else(|_| "unknown-host".to_string()),
            pid: std::process::id(),
            server_id: uuid::Uuid::new_v4().to_string(),
        };
        Ok(Server {
            core: Arc::new(Core {
                broker,
                config,
                selector,
                queues,
                identity,
                state: Mutex::new(ServerState::New),
                started: Mutex::new(None),
                workers: Workers::default(),
                syncer: SyncQueue::default(),
                idle: IdleGate::default(),
            }),
            running: Mutex::new(None),
            owns_connection: false,
        })
    }

    /// Starts processing with `handler` and returns at once; the server runs on the current
    /// Tokio runtime until [`Server::shutdown`] (Go `Start`).
    ///
    /// # Errors
    /// [`WorkerError::ServerRunning`] when already started, [`WorkerError::ServerStopped`]
    /// after [`Server::stop`], [`WorkerError::ServerClosed`] after [`Server::shutdown`],
    /// [`WorkerError::NoRuntime`] outside a Tokio runtime.
    pub fn start(&self, handler: impl Handler) -> Result<(), WorkerError> {
        self.start_arc(Arc::new(handler))
    }

    fn start_arc(&self, handler: Arc<dyn Handler>) -> Result<(), WorkerError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(WorkerError::NoRuntime);
        }
        {
            let mut state = self.core.state.lock().unwrap_or_else(|e| e.into_inner());
            match *state {
                ServerState::Active => return Err(WorkerError::ServerRunning),
                ServerState::Stopped => return Err(WorkerError::ServerStopped),
                ServerState::Closed => return Err(WorkerError::ServerClosed),
                ServerState::New => *state = ServerState::Active,
            }
        }
        *self.core.started.lock().unwrap_or_else(|e| e.into_inner()) = Some(self.core.now());
        let core = &self.core;
        tracing::info!(server_id = %core.identity.server_id, queues = ?core.queues, concurrency = core.config.concurrency, "starting processing");
        let heartbeat =
            Component::spawn(|s| heartbeat::run(core.clone(), s, SHUTDOWN_WRITE_TIMEOUT));
        let healthcheck = core
            .config
            .health_check_func
            .clone()
            .map(|f| Component::spawn(|s| healthcheck::run(core.clone(), f, s)));
        let subscriber = Component::spawn(|s| subscriber::run(core.clone(), s));
        let syncer = Component::spawn(|s| syncer::run(core.clone(), s, SHUTDOWN_WRITE_TIMEOUT));
        let recoverer = Component::spawn(|s| recoverer::run(core.clone(), s));
        let forwarder = Component::spawn(|s| forwarder::run(core.clone(), s));
        let processor = Processor::start(core.clone(), handler);
        let janitor = Component::spawn(|s| janitor::run(core.clone(), s));
        let aggregator = core
            .config
            .group_aggregator
            .clone()
            .map(|a| Component::spawn(|s| aggregator::run(core.clone(), a, s)));
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(Running {
            forwarder,
            processor,
            recoverer,
            syncer,
            subscriber,
            janitor,
            healthcheck,
            aggregator,
            heartbeat,
        });
        Ok(())
    }

    /// Stops taking new tasks; running tasks go on, and the heartbeat reports the status
    /// `stopped` (Go `Stop`, also done on SIGTSTP by [`Server::run`]). Only an active server
    /// stops; otherwise this does nothing. Call [`Server::shutdown`] afterwards.
    pub fn stop(&self) {
        {
            let mut state = self.core.state.lock().unwrap_or_else(|e| e.into_inner());
            if *state != ServerState::Active {
                return;
            }
            *state = ServerState::Stopped;
        }
        tracing::info!("stopped taking new tasks");
        if let Some(r) = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            r.processor.stop();
        }
    }

    /// Shuts the server down gracefully (Go `Shutdown`): stops taking tasks, waits up to
    /// `shutdown_timeout` for the running ones, puts those still running back at the front of
    /// their queue (state pending, retry count unchanged), then stops the other components and
    /// removes the server's entry from Redis. Takes `shutdown_timeout` at most plus a few
    /// milliseconds while Redis answers, and at most about 4 s more when Redis is unreachable
    /// (each shutdown step waits at most 1 s for it). Does nothing if the server was never
    /// started or is already closed.
    pub async fn shutdown(&self) {
        {
            let mut state = self.core.state.lock().unwrap_or_else(|e| e.into_inner());
            if matches!(*state, ServerState::New | ServerState::Closed) {
                return;
            }
            *state = ServerState::Closed;
        }
        let Some(r) = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        else {
            return;
        };
        tracing::info!("starting graceful shutdown");
        let limit = SHUTDOWN_WRITE_TIMEOUT;
        r.forwarder.shutdown(limit).await;
        r.processor
            .shutdown(self.core.config.shutdown_timeout)
            .await;
        // Go stops these one after the other; they share nothing, so here they stop together
        // (the syncer's last try included), which bounds the time an unreachable Redis adds.
        let health = async {
            if let Some(h) = r.healthcheck {
                h.shutdown(limit).await;
            }
        };
        // A check cut short leaves its set for the recoverer (every step is one script).
        let aggregator = async {
            if let Some(a) = r.aggregator {
                a.shutdown(limit).await;
            }
        };
        tokio::join!(
            r.recoverer.shutdown(limit),
            r.syncer.shutdown(limit + Duration::from_millis(100)),
            r.subscriber.shutdown(limit),
            r.janitor.shutdown(limit),
            health,
            aggregator,
        );
        r.heartbeat
            .shutdown(limit + Duration::from_millis(100))
            .await;
        if self.owns_connection {
            let _ = self.core.broker.close().await;
        }
        tracing::info!("exiting");
    }

    /// Starts the server, waits for SIGTERM or SIGINT, then shuts down (Go `Run`). SIGTSTP
    /// stops taking new tasks (see [`Server::stop`]) and keeps waiting.
    ///
    /// # Errors
    /// Those of [`Server::start`]; [`WorkerError::Signal`] when the signal handlers cannot be
    /// installed.
    pub async fn run(&self, handler: impl Handler) -> Result<(), WorkerError> {
        let mut signals = Signals::install().map_err(WorkerError::Signal)?;
        self.start(handler)?;
        while signals.next().await == Signal::Stop {
            self.stop();
        }
        self.shutdown().await;
        Ok(())
    }

    /// Sends `PING` to Redis (Go `Ping`).
    ///
    /// # Errors
    /// [`WorkerError::ServerClosed`] after shutdown; [`WorkerError::Broker`] when Redis does
    /// not answer.
    pub async fn ping(&self) -> Result<(), WorkerError> {
        if self.state() == ServerState::Closed {
            return Err(WorkerError::ServerClosed);
        }
        Ok(self.core.broker.ping().await?)
    }

    /// Where the server is in its life.
    pub fn state(&self) -> ServerState {
        self.core.state()
    }

    /// The server's ID (a UUID v4), as shown by `asynq server ls` and `Inspector.Servers()`.
    pub fn server_id(&self) -> &str {
        &self.core.identity.server_id
    }

    /// The host name the server reports.
    pub fn host(&self) -> &str {
        &self.core.identity.host
    }

    /// The normalised configuration in use.
    pub fn config(&self) -> &Config {
        &self.core.config
    }

    /// How many tasks are running now.
    pub fn running_tasks(&self) -> usize {
        self.core.workers.len()
    }

    /// How many completion writes wait for Redis to be reachable again (see the syncer).
    pub fn pending_writes(&self) -> usize {
        self.core.syncer.len()
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("server_id", &self.core.identity.server_id)
            .field("state", &self.state())
            .field("queues", &self.core.queues)
            .finish_non_exhaustive()
    }
}
