//! [`Config`]: how a server processes tasks, with Go's fields, defaults and normalisation
//! (Go `asynq.Config`, `NewServerFromRedisClient`; spec §6.1).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use asynq_broker::{BrokerError, DEFAULT_JANITOR_BATCH_SIZE};
use asynq_client::{Task, DEFAULT_QUEUE};

use crate::context::TaskContext;
use crate::error::ConfigError;
use crate::handler_error::HandlerError;
use crate::hooks::{ErrorHandler, GroupAggregator, HealthCheckFn, IsFailureFn, RetryDelayFn};
use crate::retry::default_retry_delay;

/// Default `task_check_interval`: 1 s (Go `defaultTaskCheckInterval`).
pub const DEFAULT_TASK_CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// Default `shutdown_timeout`: 8 s (Go `defaultShutdownTimeout`).
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(8);
/// Default `health_check_interval`: 15 s (Go `defaultHealthCheckInterval`).
pub const DEFAULT_HEALTH_CHECK_INTERVAL: Duration = Duration::from_secs(15);
/// Default `delayed_task_check_interval`: 5 s (Go `defaultDelayedTaskCheckInterval`).
pub const DEFAULT_DELAYED_TASK_CHECK_INTERVAL: Duration = Duration::from_secs(5);
/// Default `group_grace_period`: 1 min (Go `defaultGroupGracePeriod`).
pub const DEFAULT_GROUP_GRACE_PERIOD: Duration = Duration::from_secs(60);
/// Smallest allowed `group_grace_period`: 1 s (Go panics below it).
pub const MIN_GROUP_GRACE_PERIOD: Duration = Duration::from_secs(1);
/// Default `janitor_interval`: 8 s (Go `defaultJanitorInterval`).
pub const DEFAULT_JANITOR_INTERVAL: Duration = Duration::from_secs(8);
/// Default `heartbeat_interval`: 5 s (fixed in Go: `heartbeater.interval`).
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
/// Default `recoverer_interval`: 1 min (fixed in Go: `recoverer.interval`).
pub const DEFAULT_RECOVERER_INTERVAL: Duration = Duration::from_secs(60);
/// Default `syncer_interval`: 5 s (fixed in Go: `syncer.interval`).
pub const DEFAULT_SYNCER_INTERVAL: Duration = Duration::from_secs(5);

/// How a server processes tasks (Go `asynq.Config`).
///
/// [`Config::default`] holds Go's defaults. Like Go, zero values mean "use the default" and
/// invalid queue entries are ignored: [`Config::normalize`] applies those rules and is what
/// the server uses. [`Config::validate`] reports the entries Go would silently ignore as
/// typed errors, for callers who prefer to fail fast.
///
/// Go's `BaseContext`, `Logger` and `LogLevel` have no counterpart: handlers capture shared
/// state themselves, and logging goes through `tracing`.
///
/// ```
/// use std::collections::HashMap;
/// use std::time::Duration;
/// use asynq_worker::Config;
///
/// let config = Config {
///     concurrency: 20,
///     queues: HashMap::from([
///         ("critical".to_string(), 6),
///         ("default".to_string(), 3),
///         ("low".to_string(), 1),
///     ]),
///     shutdown_timeout: Duration::from_secs(30),
///     ..Config::default()
/// }
/// .with_is_failure(|err| !err.to_string().contains("rate limited"));
/// config.validate()?;
/// let config = config.normalize()?;
/// assert_eq!(config.queues.len(), 3);
/// # Ok::<(), asynq_worker::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Config {
    /// How many tasks run at once (Go `Concurrency`). Default and 0: the number of CPUs
    /// ([`std::thread::available_parallelism`], 1 if unknown).
    pub concurrency: usize,
    /// How long to wait before asking Redis again when every queue was empty (Go
    /// `TaskCheckInterval`). Default and zero: 1 s. One fetcher polls every
    /// interval × uniform[0.7, 1.2); tasks from Rust producers wake the server at once
    /// through `asynq:{q}:wakeup` instead.
    pub task_check_interval: Duration,
    /// The delay before a failed task is retried (Go `RetryDelayFunc`). Default:
    /// [`default_retry_delay`].
    pub retry_delay_func: RetryDelayFn,
    /// Whether an error counts as a failure (Go `IsFailure`, spec §6.7). Default: every error.
    pub is_failure: IsFailureFn,
    /// The queues to process, name → priority (Go `Queues`). Default: `{"default": 1}`.
    /// Entries with a blank name or a priority ≤ 0 are ignored (reported by
    /// [`Config::validate`]); if none is left, `{"default": 1}` is used. With weighted
    /// priorities `{critical: 6, default: 3, low: 1}` the three are tried first 60/30/10 % of
    /// the time (see [`QueueSelector`](crate::QueueSelector)).
    pub queues: HashMap<String, i32>,
    /// Try queues strictly by priority, so lower ones run only when higher ones are empty (Go
    /// `StrictPriority`). Default: false (weighted).
    pub strict_priority: bool,
    /// Called for every failed attempt before it is written to Redis (Go `ErrorHandler`).
    /// Default: none.
    pub error_handler: Option<Arc<dyn ErrorHandler>>,
    /// How long shutdown waits for running tasks before putting them back in their queues (Go
    /// `ShutdownTimeout`). Default and zero: 8 s.
    pub shutdown_timeout: Duration,
    /// Receives the result of a Redis `PING` every `health_check_interval` (Go
    /// `HealthCheckFunc`). Default: none, and then no health check runs.
    pub health_check_func: Option<HealthCheckFn>,
    /// Interval of the health check (Go `HealthCheckInterval`). Default and zero: 15 s.
    pub health_check_interval: Duration,
    /// Interval at which due scheduled and retry tasks are moved to pending (the forwarder, Go
    /// `DelayedTaskCheckInterval`). Default and zero: 5 s.
    pub delayed_task_check_interval: Duration,
    /// How long a group waits for another task before it is aggregated (Go
    /// `GroupGracePeriod`). Default and zero: 1 min; a value below 1 s is an error (Go
    /// panics). The aggregator checks every group every min(7 s, grace period); whole seconds
    /// count.
    pub group_grace_period: Duration,
    /// The longest a group waits before it is aggregated (Go `GroupMaxDelay`). Default and
    /// zero: no limit. Whole seconds count.
    pub group_max_delay: Duration,
    /// Aggregate a group as soon as it holds this many tasks (Go `GroupMaxSize`). Default and
    /// zero: no limit. The aggregated set then holds this many tasks, the oldest.
    pub group_max_size: usize,
    /// Turns a group's tasks into one task (Go `GroupAggregator`). Default: none, and then
    /// groups are not aggregated by this server (other servers may), as in Go.
    pub group_aggregator: Option<Arc<dyn GroupAggregator>>,
    /// Interval at which expired completed tasks are deleted (the janitor, Go
    /// `JanitorInterval`). Default and zero: 8 s.
    pub janitor_interval: Duration,
    /// How many expired completed tasks the janitor deletes per queue and run (Go
    /// `JanitorBatchSize`). Default and zero: 100; larger values make each Redis script run
    /// longer (Go logs a warning above 100).
    pub janitor_batch_size: usize,
    /// Interval at which the server publishes its state and extends the leases of its running
    /// tasks (the heartbeat). Default and zero: 5 s, fixed in Go. The server entry lives for
    /// twice this interval, and leases last 30 s, so values above 10 s
    /// ([`MAX_HEARTBEAT_INTERVAL`]) would let leases lapse and are refused with
    /// [`ConfigError::HeartbeatIntervalTooLong`].
    pub heartbeat_interval: Duration,
    /// Interval at which tasks whose lease expired more than 30 s ago are retried or archived
    /// (the recoverer). Default and zero: 1 min, fixed in Go.
    pub recoverer_interval: Duration,
    /// Interval at which completion writes that failed (Redis unreachable) are tried again while
    /// the task's lease lasts (the syncer). Default and zero: 5 s, fixed in Go.
    pub syncer_interval: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            concurrency: cpu_count().unwrap_or(1),
            task_check_interval: DEFAULT_TASK_CHECK_INTERVAL,
            retry_delay_func: Arc::new(default_retry_delay),
            is_failure: Arc::new(|_| true),
            queues: default_queues(),
            strict_priority: false,
            error_handler: None,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            health_check_func: None,
            health_check_interval: DEFAULT_HEALTH_CHECK_INTERVAL,
            delayed_task_check_interval: DEFAULT_DELAYED_TASK_CHECK_INTERVAL,
            group_grace_period: DEFAULT_GROUP_GRACE_PERIOD,
            group_max_delay: Duration::ZERO,
            group_max_size: 0,
            group_aggregator: None,
            janitor_interval: DEFAULT_JANITOR_INTERVAL,
            janitor_batch_size: DEFAULT_JANITOR_BATCH_SIZE,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            recoverer_interval: DEFAULT_RECOVERER_INTERVAL,
            syncer_interval: DEFAULT_SYNCER_INTERVAL,
        }
    }
}

impl Config {
    /// Applies Go's normalisation (spec §6.1): zero durations and counts become their
    /// defaults, queues with a blank name or a priority ≤ 0 are dropped, and an empty queue
    /// set becomes `{"default": 1}`.
    ///
    /// # Errors
    /// [`ConfigError::GroupGracePeriodTooShort`] when `group_grace_period` is non-zero and
    /// below 1 s, the one case where Go panics; [`ConfigError::HeartbeatIntervalTooLong`] when
    /// `heartbeat_interval` exceeds [`MAX_HEARTBEAT_INTERVAL`];
    /// [`ConfigError::QueueNameWithBrace`] for a queue name with `{` or `}` (Go accepts both).
    pub fn normalize(mut self) -> Result<Config, ConfigError> {
        if self.concurrency == 0 {
            self.concurrency = cpu_count().unwrap_or(1);
        }
        default_if_zero(&mut self.task_check_interval, DEFAULT_TASK_CHECK_INTERVAL);
        default_if_zero(&mut self.shutdown_timeout, DEFAULT_SHUTDOWN_TIMEOUT);
        default_if_zero(
            &mut self.health_check_interval,
            DEFAULT_HEALTH_CHECK_INTERVAL,
        );
        default_if_zero(
            &mut self.delayed_task_check_interval,
            DEFAULT_DELAYED_TASK_CHECK_INTERVAL,
        );
        default_if_zero(&mut self.group_grace_period, DEFAULT_GROUP_GRACE_PERIOD);
        if self.group_grace_period < MIN_GROUP_GRACE_PERIOD {
            return Err(ConfigError::GroupGracePeriodTooShort {
                period: self.group_grace_period,
            });
        }
        default_if_zero(&mut self.janitor_interval, DEFAULT_JANITOR_INTERVAL);
        if self.janitor_batch_size == 0 {
            self.janitor_batch_size = DEFAULT_JANITOR_BATCH_SIZE;
        }
        default_if_zero(&mut self.heartbeat_interval, DEFAULT_HEARTBEAT_INTERVAL);
        check_heartbeat(self.heartbeat_interval)?;
        if let Some(name) = self.queues.keys().find(|q| has_brace(q)) {
            return Err(ConfigError::QueueNameWithBrace { name: name.clone() });
        }
        default_if_zero(&mut self.recoverer_interval, DEFAULT_RECOVERER_INTERVAL);
        default_if_zero(&mut self.syncer_interval, DEFAULT_SYNCER_INTERVAL);
        self.queues.retain(|q, p| !is_blank(q) && *p > 0);
        if self.queues.is_empty() {
            self.queues = default_queues();
        }
        Ok(self)
    }

    /// Checks the configuration strictly, reporting as errors what Go silently ignores.
    ///
    /// # Errors
    /// In this order: [`ConfigError::NoConcurrency`] when `concurrency` is 0 and the number of
    /// CPUs cannot be determined; [`ConfigError::BlankQueueName`] for a queue name that is
    /// empty or only whitespace; [`ConfigError::NonPositivePriority`] for a priority ≤ 0
    /// (queues are checked in name order), [`ConfigError::QueueNameWithBrace`] for a name with
    /// `{` or `}`; [`ConfigError::GroupGracePeriodTooShort`] for a non-zero grace period under
    /// 1 s; [`ConfigError::HeartbeatIntervalTooLong`] above [`MAX_HEARTBEAT_INTERVAL`]. An empty `queues` map is valid (it means `default`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.concurrency == 0 && cpu_count().is_none() {
            return Err(ConfigError::NoConcurrency);
        }
        let mut queues: Vec<(&String, &i32)> = self.queues.iter().collect();
        queues.sort();
        for (q, &p) in queues {
            if is_blank(q) {
                return Err(ConfigError::BlankQueueName { name: q.clone() });
            }
            if has_brace(q) {
                return Err(ConfigError::QueueNameWithBrace { name: q.clone() });
            }
            if p <= 0 {
                return Err(ConfigError::NonPositivePriority {
                    queue: q.clone(),
                    priority: p,
                });
            }
        }
        if !self.group_grace_period.is_zero() && self.group_grace_period < MIN_GROUP_GRACE_PERIOD {
            return Err(ConfigError::GroupGracePeriodTooShort {
                period: self.group_grace_period,
            });
        }
        check_heartbeat(self.heartbeat_interval)
    }

    /// The same config with `f` as [`Config::retry_delay_func`].
    pub fn with_retry_delay_func(
        mut self,
        f: impl Fn(i32, &HandlerError, &Task) -> Duration + Send + Sync + 'static,
    ) -> Config {
        self.retry_delay_func = Arc::new(f);
        self
    }

    /// The same config with `f` as [`Config::is_failure`].
    pub fn with_is_failure(
        mut self,
        f: impl Fn(&HandlerError) -> bool + Send + Sync + 'static,
    ) -> Config {
        self.is_failure = Arc::new(f);
        self
    }

    /// The same config with `f` as [`Config::error_handler`].
    pub fn with_error_handler(
        mut self,
        f: impl Fn(&TaskContext, &Task, &HandlerError) + Send + Sync + 'static,
    ) -> Config {
        self.error_handler = Some(Arc::new(f));
        self
    }

    /// The same config with `f` as [`Config::health_check_func`].
    pub fn with_health_check_func(
        mut self,
        f: impl Fn(Option<&BrokerError>) + Send + Sync + 'static,
    ) -> Config {
        self.health_check_func = Some(Arc::new(f));
        self
    }

    /// The same config with `aggregator` as [`Config::group_aggregator`].
    pub fn with_group_aggregator(mut self, aggregator: impl GroupAggregator + 'static) -> Config {
        self.group_aggregator = Some(Arc::new(aggregator));
        self
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("concurrency", &self.concurrency)
            .field("task_check_interval", &self.task_check_interval)
            .field("queues", &self.queues)
            .field("strict_priority", &self.strict_priority)
            .field("error_handler", &self.error_handler.is_some())
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("health_check_func", &self.health_check_func.is_some())
            .field("health_check_interval", &self.health_check_interval)
            .field(
                "delayed_task_check_interval",
                &self.delayed_task_check_interval,
            )
            .field("group_grace_period", &self.group_grace_period)
            .field("group_max_delay", &self.group_max_delay)
            .field("group_max_size", &self.group_max_size)
            .field("group_aggregator", &self.group_aggregator.is_some())
            .field("janitor_interval", &self.janitor_interval)
            .field("janitor_batch_size", &self.janitor_batch_size)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("recoverer_interval", &self.recoverer_interval)
            .field("syncer_interval", &self.syncer_interval)
            .finish_non_exhaustive()
    }
}

fn cpu_count() -> Option<usize> {
    std::thread::available_parallelism().ok().map(|n| n.get())
}

fn default_queues() -> HashMap<String, i32> {
    HashMap::from([(DEFAULT_QUEUE.to_string(), 1)])
}

/// Go `base.ValidateQueueName`: a name that is empty after trimming whitespace is invalid.
/// `heartbeat_interval` may be at most this long: a third of the 30 s lease, so that a lease
/// is extended at least twice before it would lapse.
pub const MAX_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(10);

fn check_heartbeat(interval: Duration) -> Result<(), ConfigError> {
    if interval > MAX_HEARTBEAT_INTERVAL {
        return Err(ConfigError::HeartbeatIntervalTooLong {
            interval,
            max: MAX_HEARTBEAT_INTERVAL,
        });
    }
    Ok(())
}

/// Whether a queue name holds `{` or `}` (refused: they break the Cluster hash tag).
fn has_brace(name: &str) -> bool {
    name.contains(['{', '}'])
}

fn is_blank(name: &str) -> bool {
    name.trim().is_empty()
}

fn default_if_zero(d: &mut Duration, default: Duration) {
    if d.is_zero() {
        *d = default;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queues(pairs: &[(&str, i32)]) -> HashMap<String, i32> {
        pairs.iter().map(|&(q, p)| (q.to_string(), p)).collect()
    }

    fn zeroed() -> Config {
        Config {
            concurrency: 0,
            task_check_interval: Duration::ZERO,
            queues: HashMap::new(),
            shutdown_timeout: Duration::ZERO,
            health_check_interval: Duration::ZERO,
            delayed_task_check_interval: Duration::ZERO,
            group_grace_period: Duration::ZERO,
            janitor_interval: Duration::ZERO,
            janitor_batch_size: 0,
            heartbeat_interval: Duration::ZERO,
            recoverer_interval: Duration::ZERO,
            syncer_interval: Duration::ZERO,
            ..Config::default()
        }
    }

    #[test]
    fn defaults_are_go_defaults() {
        let c = Config::default();
        assert_eq!(c.concurrency, cpu_count().unwrap());
        assert_eq!(c.task_check_interval, Duration::from_secs(1));
        assert_eq!(c.queues, queues(&[("default", 1)]));
        assert!(!c.strict_priority);
        assert_eq!(c.shutdown_timeout, Duration::from_secs(8));
        assert_eq!(c.health_check_interval, Duration::from_secs(15));
        assert_eq!(c.delayed_task_check_interval, Duration::from_secs(5));
        assert_eq!(c.group_grace_period, Duration::from_secs(60));
        assert_eq!(c.group_max_delay, Duration::ZERO);
        assert_eq!(c.group_max_size, 0);
        assert_eq!(c.janitor_interval, Duration::from_secs(8));
        assert_eq!(c.janitor_batch_size, 100);
        assert_eq!(c.heartbeat_interval, Duration::from_secs(5));
        assert_eq!(c.recoverer_interval, Duration::from_secs(60));
        assert_eq!(c.syncer_interval, Duration::from_secs(5));
        assert!(c.error_handler.is_none() && c.health_check_func.is_none());
        assert!(c.group_aggregator.is_none());
        assert!((c.is_failure)(&HandlerError::new("x")));
        let d = (c.retry_delay_func)(0, &HandlerError::new("x"), &Task::new("t", "p"));
        assert!((15..=44).contains(&d.as_secs()));
        c.validate().unwrap();
    }

    #[test]
    fn normalize_fills_zero_values() {
        let c = zeroed().normalize().unwrap();
        let d = Config::default();
        assert_eq!(c.concurrency, d.concurrency);
        assert_eq!(c.task_check_interval, d.task_check_interval);
        assert_eq!(c.queues, d.queues);
        assert_eq!(c.shutdown_timeout, d.shutdown_timeout);
        assert_eq!(c.health_check_interval, d.health_check_interval);
        assert_eq!(c.delayed_task_check_interval, d.delayed_task_check_interval);
        assert_eq!(c.group_grace_period, d.group_grace_period);
        assert_eq!(c.janitor_interval, d.janitor_interval);
        assert_eq!(c.janitor_batch_size, d.janitor_batch_size);
        assert_eq!(c.heartbeat_interval, d.heartbeat_interval);
        assert_eq!(c.recoverer_interval, d.recoverer_interval);
        assert_eq!(c.syncer_interval, d.syncer_interval);
    }

    #[test]
    fn normalize_keeps_set_values() {
        let c = Config {
            concurrency: 3,
            janitor_batch_size: 500,
            group_grace_period: Duration::from_secs(1),
            group_max_size: 10,
            ..Config::default()
        }
        .normalize()
        .unwrap();
        assert_eq!(
            (c.concurrency, c.janitor_batch_size, c.group_max_size),
            (3, 500, 10)
        );
        assert_eq!(c.group_grace_period, Duration::from_secs(1));
    }

    #[test]
    fn normalize_drops_invalid_queues_like_go() {
        let c = Config {
            queues: queues(&[
                ("critical", 6),
                ("", 3),
                ("  ", 2),
                ("zero", 0),
                ("neg", -1),
                (" low ", 1),
            ]),
            ..Config::default()
        }
        .normalize()
        .unwrap();
        assert_eq!(c.queues, queues(&[("critical", 6), (" low ", 1)]));

        let c = Config {
            queues: queues(&[("", 1), ("x", 0)]),
            ..Config::default()
        }
        .normalize()
        .unwrap();
        assert_eq!(c.queues, queues(&[("default", 1)]));
    }

    #[test]
    fn short_grace_period_is_an_error() {
        let c = Config {
            group_grace_period: Duration::from_millis(999),
            ..Config::default()
        };
        let want = ConfigError::GroupGracePeriodTooShort {
            period: Duration::from_millis(999),
        };
        assert_eq!(c.validate().unwrap_err(), want);
        assert_eq!(c.normalize().err().unwrap(), want);
    }

    #[test]
    fn heartbeat_interval_that_lets_leases_lapse_is_an_error() {
        let ok = Config {
            heartbeat_interval: MAX_HEARTBEAT_INTERVAL,
            ..Config::default()
        };
        assert_eq!(ok.validate(), Ok(()));
        assert!(ok.normalize().is_ok());
        let c = Config {
            heartbeat_interval: Duration::from_millis(10_001),
            ..Config::default()
        };
        let want = ConfigError::HeartbeatIntervalTooLong {
            interval: Duration::from_millis(10_001),
            max: Duration::from_secs(10),
        };
        assert_eq!(c.validate().unwrap_err(), want);
        assert_eq!(c.normalize().err().unwrap(), want);
        assert!(want.to_string().contains("leases would lapse"), "{want}");
    }

    #[test]
    fn queue_name_with_a_brace_is_an_error() {
        for name in ["a{b", "}", "{default}"] {
            let c = Config {
                queues: queues(&[("ok", 1), (name, 1)]),
                ..Config::default()
            };
            let want = ConfigError::QueueNameWithBrace { name: name.into() };
            assert_eq!(c.validate().unwrap_err(), want);
            assert_eq!(c.normalize().err().unwrap(), want);
        }
    }

    #[test]
    fn validate_reports_what_go_ignores() {
        let blank = Config {
            queues: queues(&[("a", 1), (" ", 1)]),
            ..Config::default()
        };
        assert_eq!(
            blank.validate().unwrap_err(),
            ConfigError::BlankQueueName { name: " ".into() }
        );
        let neg = Config {
            queues: queues(&[("a", 1), ("b", -2)]),
            ..Config::default()
        };
        assert_eq!(
            neg.validate().unwrap_err(),
            ConfigError::NonPositivePriority {
                queue: "b".into(),
                priority: -2
            }
        );
        let zero = Config {
            queues: queues(&[("a", 0)]),
            ..Config::default()
        };
        assert!(matches!(
            zero.validate().unwrap_err(),
            ConfigError::NonPositivePriority { priority: 0, .. }
        ));
        // Zero values and an empty queue map are valid: they mean "default".
        zeroed().validate().unwrap();
    }

    #[test]
    fn hook_setters() {
        let c = Config::default()
            .with_is_failure(|e| !e.is_skip_retry())
            .with_retry_delay_func(|n, _, _| Duration::from_secs(n as u64))
            .with_error_handler(|_, _, _| {})
            .with_health_check_func(|_| {})
            .with_group_aggregator(|_: &str, tasks: Vec<Task>| tasks.into_iter().next());
        assert!(!(c.is_failure)(&HandlerError::skip_retry("x")));
        assert_eq!(
            (c.retry_delay_func)(7, &HandlerError::Canceled, &Task::new("t", "")),
            Duration::from_secs(7)
        );
        assert!(c.error_handler.is_some() && c.health_check_func.is_some());
        let agg = c.group_aggregator.as_ref().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let t = rt.block_on(agg.aggregate("g", vec![Task::new("a", "1"), Task::new("b", "2")]));
        assert_eq!(t.unwrap().task_type(), "a");
        assert!(format!("{c:?}").contains("concurrency"));
    }
}
