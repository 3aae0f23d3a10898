//! Task options with Go's names, defaults and string forms (Go `asynq.Option`).

use std::fmt;
use std::time::Duration;

use time::OffsetDateTime;

use crate::gofmt;

/// Default max retry count: 25 (Go `defaultMaxRetry`).
pub const DEFAULT_MAX_RETRY: i32 = 25;
/// Default queue: `default` (Go `base.DefaultQueueName`).
pub const DEFAULT_QUEUE: &str = "default";
/// Timeout stored when neither a timeout nor a deadline is given: 30 min (Go `defaultTimeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Longest duration an option takes: 2^63 − 1 ns, about 292 years (Go's largest
/// `time.Duration`, `math.MaxInt64`), printed `2562047h47m16.854775807s`.
///
/// [`TaskOption::Timeout`], [`TaskOption::Unique`], [`TaskOption::ProcessIn`] and
/// [`TaskOption::Retention`] above it are refused with [`crate::ClientError::InvalidTask`]:
/// a Go process cannot represent them (it multiplies the stored seconds back into a
/// `time.Duration`), and a unique TTL above it could exceed what Redis accepts as an expire time
/// (about 9.2 × 10^15 s).
pub const MAX_DURATION: Duration = Duration::from_nanos(i64::MAX as u64);
/// Largest encoded task message (type, payload, headers, ID, ... as stored in the hash field
/// `msg`): 512 MiB = 536,870,912 bytes, Redis's default `proto-max-bulk-len`, the most one
/// value of a command may hold. A larger message is refused with
/// [`crate::ClientError::InvalidTask`] before anything is sent (Go sends it and Redis refuses
/// it). A server configured with a smaller `proto-max-bulk-len` still refuses smaller messages
/// itself.
pub const MAX_MESSAGE_SIZE: usize = 512 * 1024 * 1024;

/// One option of a task, set on the [`crate::Task`] or at enqueue; later options override
/// earlier ones, and enqueue options are applied after the task's own (Go `composeOptions`).
///
/// `Display` gives Go's `Option.String()` form (`MaxRetry(5)`, `Queue("critical")`,
/// `Timeout(1m30s)`, `Deadline(Fri Jan  2 15:04:05 UTC 2026)`, `Header(["k","v"])`, ...), the form
/// stored in scheduler entries and parsed back by Go's Inspector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOption {
    /// Max number of retries; a negative value counts as 0 (Go `MaxRetry`). Default 25.
    MaxRetry(i32),
    /// The queue (Go `Queue`). Default `default`; must not be blank and, unlike in Go, must not
    /// contain `{` or `}`: every key of a queue is `asynq:{<queue>}:...`, and a brace in the name
    /// would move its keys out of the queue's own Redis Cluster hash slot.
    Queue(String),
    /// The task ID (Go `TaskID`). Default: a new UUID v4; must not be blank.
    TaskId(String),
    /// Per-attempt timeout, whole seconds stored (Go `Timeout`). With no deadline, a zero or
    /// absent timeout stores the 30 min default; a sub-second one stores 0 (no timeout, the
    /// worker then falls back to 30 min). At most [`MAX_DURATION`].
    Timeout(Duration),
    /// Absolute deadline, stored as Unix seconds (Go `Deadline`). The Unix epoch counts as none.
    Deadline(OffsetDateTime),
    /// Unique for `ttl` (at least 1 s, at most [`MAX_DURATION`]): a second task with the same
    /// queue, type and payload is refused with [`crate::ClientError::DuplicateTask`] while the
    /// lock lives (Go `Unique`). A scheduled task's lock lives until its process-at time plus
    /// `ttl`.
    Unique(Duration),
    /// Process at this time (Go `ProcessAt`); a time after now schedules the task, a time at or
    /// before now (however far in the past) enqueues it at once.
    ProcessAt(OffsetDateTime),
    /// Process after this delay (Go `ProcessIn`); at most [`MAX_DURATION`].
    ProcessIn(Duration),
    /// Keep the task in `completed` this long after success, whole seconds (Go `Retention`); at
    /// most [`MAX_DURATION`].
    Retention(Duration),
    /// Put the task into this group for aggregation (Go `Group`); must not be blank.
    Group(String),
    /// Add a header; the option wins over a task header with the same key (Go `Header`).
    Header(String, String),
}

impl TaskOption {
    /// [`TaskOption::MaxRetry`].
    pub fn max_retry(n: i32) -> TaskOption {
        TaskOption::MaxRetry(n)
    }
    /// [`TaskOption::Queue`].
    pub fn queue(name: impl Into<String>) -> TaskOption {
        TaskOption::Queue(name.into())
    }
    /// [`TaskOption::TaskId`].
    pub fn task_id(id: impl Into<String>) -> TaskOption {
        TaskOption::TaskId(id.into())
    }
    /// [`TaskOption::Timeout`].
    pub fn timeout(d: Duration) -> TaskOption {
        TaskOption::Timeout(d)
    }
    /// [`TaskOption::Deadline`].
    pub fn deadline(t: OffsetDateTime) -> TaskOption {
        TaskOption::Deadline(t)
    }
    /// [`TaskOption::Unique`].
    pub fn unique(ttl: Duration) -> TaskOption {
        TaskOption::Unique(ttl)
    }
    /// [`TaskOption::ProcessAt`].
    pub fn process_at(t: OffsetDateTime) -> TaskOption {
        TaskOption::ProcessAt(t)
    }
    /// [`TaskOption::ProcessIn`].
    pub fn process_in(d: Duration) -> TaskOption {
        TaskOption::ProcessIn(d)
    }
    /// [`TaskOption::Retention`].
    pub fn retention(d: Duration) -> TaskOption {
        TaskOption::Retention(d)
    }
    /// [`TaskOption::Group`].
    pub fn group(name: impl Into<String>) -> TaskOption {
        TaskOption::Group(name.into())
    }
    /// [`TaskOption::Header`].
    pub fn header(key: impl Into<String>, value: impl Into<String>) -> TaskOption {
        TaskOption::Header(key.into(), value.into())
    }
}

impl fmt::Display for TaskOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskOption::MaxRetry(n) => write!(f, "MaxRetry({n})"),
            TaskOption::Queue(q) => write!(f, "Queue({})", gofmt::quote(q)),
            TaskOption::TaskId(id) => write!(f, "TaskID({})", gofmt::quote(id)),
            TaskOption::Timeout(d) => write!(f, "Timeout({})", gofmt::duration(*d)),
            TaskOption::Deadline(t) => write!(f, "Deadline({})", gofmt::unix_date(*t)),
            TaskOption::Unique(d) => write!(f, "Unique({})", gofmt::duration(*d)),
            TaskOption::ProcessAt(t) => write!(f, "ProcessAt({})", gofmt::unix_date(*t)),
            TaskOption::ProcessIn(d) => write!(f, "ProcessIn({})", gofmt::duration(*d)),
            TaskOption::Retention(d) => write!(f, "Retention({})", gofmt::duration(*d)),
            TaskOption::Group(g) => write!(f, "Group({})", gofmt::quote(g)),
            TaskOption::Header(k, v) => {
                let json = serde_json::to_string(&[k, v]).map_err(|_| fmt::Error)?;
                write!(f, "Header({json})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn string_forms_match_go() {
        let cases = [
            (TaskOption::max_retry(5), "MaxRetry(5)"),
            (TaskOption::queue("crit\"ical"), "Queue(\"crit\\\"ical\")"),
            (TaskOption::task_id("id"), "TaskID(\"id\")"),
            (
                TaskOption::timeout(Duration::from_secs(90)),
                "Timeout(1m30s)",
            ),
            (
                TaskOption::deadline(datetime!(2026-01-02 15:04:05 UTC)),
                "Deadline(Fri Jan  2 15:04:05 UTC 2026)",
            ),
            (
                TaskOption::unique(Duration::from_secs(3600)),
                "Unique(1h0m0s)",
            ),
            (
                TaskOption::process_at(datetime!(2026-01-12 15:04:05 UTC)),
                "ProcessAt(Mon Jan 12 15:04:05 UTC 2026)",
            ),
            (
                TaskOption::process_in(Duration::from_millis(1500)),
                "ProcessIn(1.5s)",
            ),
            (
                TaskOption::retention(Duration::from_secs(86400)),
                "Retention(24h0m0s)",
            ),
            (TaskOption::group("g"), "Group(\"g\")"),
            (TaskOption::header("k", "v\""), "Header([\"k\",\"v\\\"\"])"),
        ];
        for (opt, want) in cases {
            assert_eq!(opt.to_string(), want);
        }
    }
}
