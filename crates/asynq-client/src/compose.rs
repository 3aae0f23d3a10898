//! Go's `composeOptions` and message construction (spec §6.23), with every value checked.

use std::collections::HashMap;
use std::time::Duration;

use asynq_proto::{Message, TaskMessage};
use time::OffsetDateTime;

use crate::error::ClientError;
use crate::option::{
    TaskOption, DEFAULT_MAX_RETRY, DEFAULT_QUEUE, DEFAULT_TIMEOUT, MAX_DURATION, MAX_MESSAGE_SIZE,
};
use crate::task::Task;

/// Longest unique-lock TTL sent to Redis, in seconds: half of the `i64::MAX / 1000` Redis accepts
/// for `SET ... EX` (it adds the current time in milliseconds and refuses an overflow). Locks of
/// valid options stay far below it (at most the distance to year 9999 plus [`MAX_DURATION`],
/// about 2.6 × 10^11 s); the check keeps a raw `ERR invalid expire time` from ever coming back.
const MAX_LOCK_TTL_SECS: u64 = i64::MAX as u64 / 1000 / 2;

/// What [`crate::Client::enqueue`] stores for a task and its options, computed without Redis by
/// [`compose`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Composed {
    /// The message as stored in the task hash's `msg` field; `id` is a new UUID v4 unless a
    /// [`TaskOption::TaskId`] is given, `timeout`, `deadline` and `retention` are whole (Unix)
    /// seconds.
    pub msg: TaskMessage,
    /// The [`TaskOption::Unique`] TTL; `None` for a task that is not unique.
    pub unique_ttl: Option<Duration>,
    /// How long the unique lock is held (sent in whole seconds, truncated): the unique TTL for a
    /// task processed at once, the time from `now` to `process_at` plus the unique TTL for a
    /// scheduled one (Go `Client.schedule`). `None` for a task that is not unique.
    pub unique_lock_ttl: Option<Duration>,
    /// When the task is to be processed: `now` unless [`TaskOption::ProcessAt`] or
    /// [`TaskOption::ProcessIn`] says otherwise; a time after `now` schedules the task.
    pub process_at: OffsetDateTime,
    /// The [`TaskOption::Group`], empty when none.
    pub group: String,
}

fn invalid(msg: String) -> ClientError {
    ClientError::InvalidTask(msg)
}

/// Refuses a duration option over [`MAX_DURATION`]; the message names the option (Go form).
fn bounded(opt: &TaskOption, d: Duration) -> Result<Duration, ClientError> {
    if d > MAX_DURATION {
        return Err(invalid(format!(
            "{opt} is longer than the maximum {} (Go's largest time.Duration, about 292 years)",
            crate::gofmt::duration(MAX_DURATION)
        )));
    }
    Ok(d)
}

/// Applies the task's options, then `opts` (later options win), and builds the message
/// [`crate::Client::enqueue`] would store at time `now` (Go `composeOptions` followed by
/// `newTaskMessage`). Pure: no Redis, no clock; only the generated task ID is random. Useful to
/// check a task and its options before enqueueing them, or to see what a Go worker will read.
///
/// Every option value is checked as it is applied, even when a later option overrides it.
///
/// # Errors
/// [`ClientError::InvalidTask`], with a message naming the option, for:
/// an empty type name; a blank [`TaskOption::Queue`] or one containing `{` or `}`; a blank
/// [`TaskOption::TaskId`] or [`TaskOption::Group`]; a [`TaskOption::Unique`] TTL under 1 s; a
/// [`TaskOption::Timeout`], [`TaskOption::Unique`], [`TaskOption::ProcessIn`] or
/// [`TaskOption::Retention`] over [`crate::MAX_DURATION`]; a `ProcessIn` whose time is past what
/// [`OffsetDateTime`] holds (year 9999); a payload or encoded message over
/// [`crate::MAX_MESSAGE_SIZE`] (the message gives both sizes and the limit).
pub fn compose(
    task: &Task,
    opts: &[TaskOption],
    now: OffsetDateTime,
) -> Result<Composed, ClientError> {
    if task.task_type().trim().is_empty() {
        return Err(invalid("task typename cannot be empty".into()));
    }
    let mut retry = DEFAULT_MAX_RETRY;
    let mut queue = DEFAULT_QUEUE.to_string();
    let mut task_id: Option<String> = None;
    let mut timeout = Duration::ZERO;
    let mut deadline: Option<OffsetDateTime> = None;
    let mut unique_ttl = None;
    let mut process_at = now;
    let mut retention = Duration::ZERO;
    let mut group = String::new();
    let mut header_opts: Vec<(String, String)> = Vec::new();
    for opt in task.options().iter().chain(opts) {
        match opt {
            TaskOption::MaxRetry(n) => retry = (*n).max(0),
            TaskOption::Queue(q) => {
                if q.trim().is_empty() {
                    return Err(invalid(
                        "queue name must contain one or more characters".into(),
                    ));
                }
                if q.contains(['{', '}']) {
                    return Err(invalid(format!(
                        "queue name {q:?} must not contain '{{' or '}}': its keys \
                         asynq:{{<queue>}}:... would leave the queue's Redis Cluster hash slot"
                    )));
                }
                queue = q.clone();
            }
            TaskOption::TaskId(id) => {
                if id.trim().is_empty() {
                    return Err(invalid("task ID cannot be empty".into()));
                }
                task_id = Some(id.clone());
            }
            TaskOption::Timeout(d) => timeout = bounded(opt, *d)?,
            TaskOption::Deadline(t) => {
                deadline = (t.unix_timestamp() != 0 || t.nanosecond() != 0).then_some(*t)
            }
            TaskOption::Unique(ttl) => {
                if *ttl < Duration::from_secs(1) {
                    return Err(invalid("Unique TTL cannot be less than 1s".into()));
                }
                unique_ttl = Some(bounded(opt, *ttl)?);
            }
            TaskOption::ProcessAt(t) => process_at = *t,
            TaskOption::ProcessIn(d) => {
                let d = bounded(opt, *d)?;
                process_at = time::Duration::try_from(d)
                    .ok()
                    .and_then(|d| now.checked_add(d))
                    .ok_or_else(|| {
                        invalid(format!(
                            "{opt}: now ({now}) plus the delay is past the latest time supported \
                             (year 9999)"
                        ))
                    })?;
            }
            TaskOption::Retention(d) => retention = bounded(opt, *d)?,
            TaskOption::Group(g) => {
                if g.trim().is_empty() {
                    return Err(invalid("group key cannot be empty".into()));
                }
                group = g.clone();
            }
            TaskOption::Header(k, v) => header_opts.push((k.clone(), v.clone())),
        }
    }
    if task.payload().len() > MAX_MESSAGE_SIZE {
        return Err(too_large("payload", task.payload().len()));
    }
    let unique_lock_ttl = match unique_ttl {
        None => None,
        Some(ttl) => Some(lock_ttl(ttl, process_at, now)?),
    };
    let timeout_secs = if deadline.is_none() && timeout.is_zero() {
        DEFAULT_TIMEOUT.as_secs()
    } else {
        timeout.as_secs()
    };
    let unique_key = match unique_ttl {
        Some(_) => asynq_broker::keys::unique_key(
            &queue,
            task.task_type(),
            task.payload_bytes().map(|b| &b[..]),
        ),
        None => String::new(),
    };
    let mut headers: HashMap<String, String> = task.headers().clone();
    headers.extend(header_opts);
    let msg = TaskMessage {
        r#type: task.task_type().to_string(),
        payload: task.payload_bytes().cloned().unwrap_or_default(),
        headers,
        id: task_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        queue,
        retry,
        retried: 0,
        error_msg: String::new(),
        last_failed_at: 0,
        // Both at most MAX_DURATION: under 9.3e9 s, no saturation happens.
        timeout: i64::try_from(timeout_secs).unwrap_or(i64::MAX),
        deadline: deadline.map(|t| t.unix_timestamp()).unwrap_or(0),
        unique_key,
        group_key: group.clone(),
        retention: i64::try_from(retention.as_secs()).unwrap_or(i64::MAX),
        completed_at: 0,
    };
    let size = msg.encoded_len();
    if size > MAX_MESSAGE_SIZE {
        return Err(too_large("encoded task message", size));
    }
    Ok(Composed {
        msg,
        unique_ttl,
        unique_lock_ttl,
        process_at,
        group,
    })
}

/// The unique lock's TTL: `ttl` for a task processed at once, (`process_at` − `now`) + `ttl` for
/// a scheduled one (Go `Client.schedule`: `t.Add(uniqueTTL).Sub(time.Now())`), checked against
/// [`MAX_LOCK_TTL_SECS`].
fn lock_ttl(
    ttl: Duration,
    process_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<Duration, ClientError> {
    let lock = if process_at > now {
        Duration::try_from(process_at - now)
            .ok()
            .and_then(|until| until.checked_add(ttl))
    } else {
        Some(ttl)
    };
    match lock {
        Some(lock) if lock.as_secs() <= MAX_LOCK_TTL_SECS => Ok(lock),
        _ => Err(invalid(format!(
            "Unique({}) with the process time {process_at}: the lock would need more than \
             {MAX_LOCK_TTL_SECS} s, more than Redis accepts as an expire time",
            crate::gofmt::duration(ttl)
        ))),
    }
}

fn too_large(what: &str, size: usize) -> ClientError {
    invalid(format!(
        "{what} is {size} bytes, over the limit of {MAX_MESSAGE_SIZE} bytes (512 MiB, Redis's \
         proto-max-bulk-len) for one stored task message"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-22 12:00:00 UTC);

    #[test]
    fn defaults_match_go() {
        let c = compose(&Task::new("email:send", "x"), &[], NOW).unwrap();
        assert_eq!(c.msg.queue, "default");
        assert_eq!(c.msg.retry, 25);
        assert_eq!(c.msg.timeout, 1800);
        assert_eq!(c.msg.deadline, 0);
        assert_eq!(c.msg.id.len(), 36);
        assert!(uuid::Uuid::parse_str(&c.msg.id).is_ok());
        assert_eq!(c.process_at, NOW);
        assert!(c.msg.unique_key.is_empty());
    }

    #[test]
    fn enqueue_options_override_task_options() {
        let t =
            Task::new("t", "p").with_options([TaskOption::queue("a"), TaskOption::max_retry(3)]);
        let c = compose(&t, &[TaskOption::queue("b")], NOW).unwrap();
        assert_eq!(c.msg.queue, "b");
        assert_eq!(c.msg.retry, 3);
        let c = compose(&t, &[TaskOption::max_retry(-4)], NOW).unwrap();
        assert_eq!(c.msg.retry, 0);
    }

    #[test]
    fn timeout_and_deadline_rules() {
        let t = Task::new("t", "p");
        let d = datetime!(2033-05-18 03:33:20 UTC);
        let c = compose(&t, &[TaskOption::deadline(d)], NOW).unwrap();
        assert_eq!((c.msg.timeout, c.msg.deadline), (0, 2_000_000_000));
        let c = compose(&t, &[TaskOption::timeout(Duration::ZERO)], NOW).unwrap();
        assert_eq!(c.msg.timeout, 1800);
        let c = compose(&t, &[TaskOption::timeout(Duration::from_millis(500))], NOW).unwrap();
        assert_eq!((c.msg.timeout, c.msg.deadline), (0, 0));
        let c = compose(
            &t,
            &[TaskOption::timeout(Duration::from_millis(90_900))],
            NOW,
        )
        .unwrap();
        assert_eq!(c.msg.timeout, 90);
        let c = compose(&t, &[TaskOption::deadline(OffsetDateTime::UNIX_EPOCH)], NOW).unwrap();
        assert_eq!((c.msg.timeout, c.msg.deadline), (1800, 0));
    }

    #[test]
    fn invalid_options_are_refused() {
        let t = Task::new("t", "p");
        for opt in [
            TaskOption::queue(" "),
            TaskOption::task_id(""),
            TaskOption::unique(Duration::from_millis(999)),
            TaskOption::group(""),
        ] {
            assert!(matches!(
                compose(&t, &[opt], NOW),
                Err(ClientError::InvalidTask(_))
            ));
        }
        assert!(matches!(
            compose(&Task::new(" ", "p"), &[], NOW),
            Err(ClientError::InvalidTask(_))
        ));
    }

    #[test]
    fn unique_key_and_headers() {
        let t = Task::without_payload("reindex").with_headers([("a", "1"), ("b", "1")]);
        let c = compose(
            &t,
            &[
                TaskOption::unique(Duration::from_secs(600)),
                TaskOption::header("b", "2"),
            ],
            NOW,
        )
        .unwrap();
        assert_eq!(c.msg.unique_key, "asynq:{default}:unique:reindex:");
        assert_eq!(c.msg.headers.get("a").map(String::as_str), Some("1"));
        assert_eq!(c.msg.headers.get("b").map(String::as_str), Some("2"));
        let c = compose(
            &Task::new("reindex", ""),
            &[TaskOption::unique(Duration::from_secs(600))],
            NOW,
        )
        .unwrap();
        assert_eq!(
            c.msg.unique_key,
            "asynq:{default}:unique:reindex:d41d8cd98f00b204e9800998ecf8427e"
        );
    }

    #[test]
    fn last_process_time_wins() {
        let t = Task::new("t", "p");
        let at = datetime!(2026-11-22 13:00:00 UTC);
        let c = compose(
            &t,
            &[
                TaskOption::process_at(at),
                TaskOption::process_in(Duration::from_secs(5)),
            ],
            NOW,
        )
        .unwrap();
        assert_eq!(c.process_at, NOW + Duration::from_secs(5));
        let c = compose(
            &t,
            &[
                TaskOption::process_in(Duration::from_secs(5)),
                TaskOption::process_at(at),
            ],
            NOW,
        )
        .unwrap();
        assert_eq!(c.process_at, at);
    }
    fn invalid_message(r: Result<Composed, ClientError>) -> String {
        match r {
            Err(ClientError::InvalidTask(m)) => m,
            other => panic!("want InvalidTask, got {other:?}"),
        }
    }

    #[test]
    fn durations_over_go_maximum_are_refused_naming_the_option() {
        let t = Task::new("t", "p");
        let huge = [
            Duration::from_secs(u64::MAX / 4),
            Duration::from_secs(u64::MAX / 2),
            Duration::MAX,
            MAX_DURATION + Duration::from_nanos(1),
        ];
        for d in huge {
            for (opt, name) in [
                (TaskOption::timeout(d), "Timeout("),
                (TaskOption::unique(d), "Unique("),
                (TaskOption::process_in(d), "ProcessIn("),
                (TaskOption::retention(d), "Retention("),
            ] {
                let m = invalid_message(compose(&t, std::slice::from_ref(&opt), NOW));
                assert!(m.contains(name), "{opt:?}: {m}");
                assert!(m.contains("2562047h47m16.854775807s"), "{m}");
            }
        }
        // The maximum itself is accepted and stored without saturation.
        let c = compose(
            &t,
            &[
                TaskOption::timeout(MAX_DURATION),
                TaskOption::retention(MAX_DURATION),
                TaskOption::unique(MAX_DURATION),
                TaskOption::process_in(MAX_DURATION),
            ],
            NOW,
        )
        .unwrap();
        assert_eq!(
            (c.msg.timeout, c.msg.retention),
            (9_223_372_036, 9_223_372_036)
        );
        assert_eq!(c.process_at, NOW + MAX_DURATION);
        assert_eq!(c.unique_lock_ttl, Some(MAX_DURATION * 2));
    }

    #[test]
    fn process_in_past_the_last_supported_time_is_refused() {
        let late = datetime!(9999-12-31 00:00:00 UTC);
        let r = compose(
            &Task::new("t", "p"),
            &[TaskOption::process_in(Duration::from_secs(2 * 86_400))],
            late,
        );
        assert!(invalid_message(r).contains("ProcessIn(48h0m0s)"));
    }

    #[test]
    fn unique_lock_ttl_is_checked_arithmetic() {
        let t = Task::new("t", "p");
        // The combination that panicked in client.rs ("overflow adding duration to date").
        let m = invalid_message(compose(
            &t,
            &[
                TaskOption::process_in(Duration::from_secs(1)),
                TaskOption::unique(Duration::from_secs(u64::MAX / 2)),
            ],
            NOW,
        ));
        assert!(m.contains("Unique("), "{m}");
        let lock = |opts: &[TaskOption]| compose(&t, opts, NOW).unwrap().unique_lock_ttl;
        let hour = Duration::from_secs(3600);
        assert_eq!(lock(&[TaskOption::unique(hour)]), Some(hour));
        assert_eq!(
            lock(&[
                TaskOption::unique(hour),
                TaskOption::process_in(Duration::from_secs(5))
            ]),
            Some(hour + Duration::from_secs(5))
        );
        // In the past: processed at once, the lock is the TTL.
        assert_eq!(
            lock(&[
                TaskOption::unique(hour),
                TaskOption::process_at(datetime!(-9999-01-01 00:00:00 UTC))
            ]),
            Some(hour)
        );
        // The farthest process time and the longest TTL stay under Redis's expire limit.
        let far = lock(&[
            TaskOption::unique(MAX_DURATION),
            TaskOption::process_at(datetime!(9999-12-31 23:59:59 UTC)),
        ])
        .unwrap();
        assert!(far.as_secs() < MAX_LOCK_TTL_SECS);
        assert_eq!(lock(&[]), None);
    }

    #[test]
    fn queue_names_with_braces_are_refused() {
        let t = Task::new("t", "p");
        for q in ["{", "}", "a{b", "a}b", "{x}", "}x"] {
            let m = invalid_message(compose(&t, &[TaskOption::queue(q)], NOW));
            assert!(m.contains("queue name") && m.contains(q), "{m}");
        }
        let c = compose(&t, &[TaskOption::queue("a:b-c.d")], NOW).unwrap();
        assert_eq!(c.msg.queue, "a:b-c.d");
    }

    #[test]
    fn messages_over_512_mib_are_refused_with_size_and_limit() {
        // Zeroed and never written: the pages are not touched, nor by compose (which only
        // counts the encoded size).
        let big = bytes::Bytes::from(vec![0u8; MAX_MESSAGE_SIZE + 1]);
        let m = invalid_message(compose(&Task::new("t", big.clone()), &[], NOW));
        assert!(m.contains("payload is 536870913 bytes"), "{m}");
        assert!(m.contains("536870912"), "{m}");
        // A payload under the limit whose encoded message is over it.
        let opts = [TaskOption::task_id("id")];
        let probe = compose(&Task::new("t", big.slice(..1000)), &opts, NOW).unwrap();
        let overhead = probe.msg.encoded_len() - 1000;
        // (The payload length varint is 5 bytes both here and at 512 MiB: same overhead + 3.)
        let fits = MAX_MESSAGE_SIZE - overhead - 3;
        let c = compose(&Task::new("t", big.slice(..fits)), &opts, NOW).unwrap();
        assert_eq!(c.msg.encoded_len(), MAX_MESSAGE_SIZE);
        let m = invalid_message(compose(&Task::new("t", big.slice(..fits + 1)), &opts, NOW));
        assert!(m.contains("encoded task message is 536870913 bytes"), "{m}");
    }
}
