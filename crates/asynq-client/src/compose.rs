//! Go's `composeOptions` and message construction (spec §6.23).

use std::collections::HashMap;
use std::time::Duration;

use asynq_proto::TaskMessage;
use time::OffsetDateTime;

use crate::error::ClientError;
use crate::option::{TaskOption, DEFAULT_MAX_RETRY, DEFAULT_QUEUE, DEFAULT_TIMEOUT};
use crate::task::Task;

/// The options of one enqueue after composing the task's and the call's.
#[derive(Debug, Clone)]
pub(crate) struct Composed {
    pub msg: TaskMessage,
    pub unique_ttl: Option<Duration>,
    pub process_at: OffsetDateTime,
    pub group: String,
}

/// Applies the task's options, then `opts`, and builds the message; `now` is the enqueue time.
pub(crate) fn compose(
    task: &Task,
    opts: &[TaskOption],
    now: OffsetDateTime,
) -> Result<Composed, ClientError> {
    if task.task_type().trim().is_empty() {
        return Err(ClientError::InvalidTask(
            "task typename cannot be empty".into(),
        ));
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
                    return Err(ClientError::InvalidTask(
                        "queue name must contain one or more characters".into(),
                    ));
                }
                queue = q.clone();
            }
            TaskOption::TaskId(id) => {
                if id.trim().is_empty() {
                    return Err(ClientError::InvalidTask("task ID cannot be empty".into()));
                }
                task_id = Some(id.clone());
            }
            TaskOption::Timeout(d) => timeout = *d,
            TaskOption::Deadline(t) => {
                deadline = (t.unix_timestamp() != 0 || t.nanosecond() != 0).then_some(*t)
            }
            TaskOption::Unique(ttl) => {
                if *ttl < Duration::from_secs(1) {
                    return Err(ClientError::InvalidTask(
                        "Unique TTL cannot be less than 1s".into(),
                    ));
                }
                unique_ttl = Some(*ttl);
            }
            TaskOption::ProcessAt(t) => process_at = *t,
            TaskOption::ProcessIn(d) => process_at = now + *d,
            TaskOption::Retention(d) => retention = *d,
            TaskOption::Group(g) => {
                if g.trim().is_empty() {
                    return Err(ClientError::InvalidTask("group key cannot be empty".into()));
                }
                group = g.clone();
            }
            TaskOption::Header(k, v) => header_opts.push((k.clone(), v.clone())),
        }
    }
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
        timeout: i64::try_from(timeout_secs).unwrap_or(i64::MAX),
        deadline: deadline.map(|t| t.unix_timestamp()).unwrap_or(0),
        unique_key,
        group_key: group.clone(),
        retention: i64::try_from(retention.as_secs()).unwrap_or(i64::MAX),
        completed_at: 0,
    };
    Ok(Composed {
        msg,
        unique_ttl,
        process_at,
        group,
    })
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
}
