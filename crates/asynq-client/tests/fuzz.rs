//! Fuzz targets of the client's input handling (`cargo xtask fuzz`):
//!
//! - `fuzz_compose`: arbitrary tasks and option combinations (durations from zero to
//!   `Duration::MAX`, times from year -9999 to 9999 in any offset, blank and braced names) at
//!   the pure [`asynq_client::compose`], at arbitrary "now" times; it never panics, refuses
//!   exactly the inputs an independent oracle calls invalid with an `InvalidTask` naming the
//!   first invalid option, and builds a consistent message otherwise.
//! - `fuzz_enqueue`: the same inputs at [`Client::enqueue`] against a real Redis: no panic, an
//!   invalid input is the same `InvalidTask` and writes nothing, a valid one is stored in the
//!   state it reports (or refused as a duplicate or an ID conflict, when a unique lock or a task
//!   ID from the small pool is taken), never a Redis or connection error.
//! - `fuzz_task_option_from_str`: arbitrary strings, near-valid option strings and the `Display`
//!   forms of arbitrary options (mutated or not) at `TaskOption::from_str`: no panic; what
//!   parses prints to a string that parses back to the same option (times to the second).

use std::collections::HashSet;
use std::time::Duration;

use asynq_client::{
    compose, Client, ClientError, RedisConnOpt, Task, TaskOption, TaskState, DEFAULT_MAX_RETRY,
    DEFAULT_QUEUE, MAX_DURATION, MAX_MESSAGE_SIZE,
};
use asynq_proto::Message;
use asynq_test_support::{fuzz, RedisNode};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use time::{OffsetDateTime, UtcOffset};

/// Unix seconds of -9999-01-01 00:00:00 UTC and of 9999-12-31 23:59:59 UTC, the range of
/// `OffsetDateTime` without the `large-dates` feature.
const MIN_UNIX: i64 = -377_705_116_800;
const MAX_UNIX: i64 = 253_402_300_799;
/// Unix seconds of 0000-01-01 00:00:00 UTC.
const YEAR_0_UNIX: i64 = -62_167_219_200;

fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::MAX),
        Just(MAX_DURATION),
        Just(MAX_DURATION + Duration::from_nanos(1)),
        Just(Duration::from_secs(u64::MAX / 4)),
        Just(Duration::from_secs(u64::MAX / 2)),
        // Around the 1 s minimum of Unique.
        (999_999_990u64..1_000_000_010).prop_map(Duration::from_nanos),
        (0u64..100_000).prop_map(Duration::from_millis),
        (0u64..100_000_000, 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        (0u64..=i64::MAX as u64).prop_map(Duration::from_nanos),
    ]
}

fn offset() -> impl Strategy<Value = UtcOffset> {
    prop_oneof![
        Just(UtcOffset::UTC),
        (-93_599i32..=93_599).prop_map(|s| UtcOffset::from_whole_seconds(s).unwrap()),
    ]
}

/// A time anywhere in `OffsetDateTime`'s range, in any offset (kept in UTC when the offset
/// would move the local date out of range).
fn time_at(unix: i64, nanos: u32, off: UtcOffset) -> OffsetDateTime {
    let utc = OffsetDateTime::from_unix_timestamp(unix)
        .unwrap()
        .replace_nanosecond(nanos)
        .unwrap();
    utc.checked_to_offset(off).unwrap_or(utc)
}

fn datetime() -> impl Strategy<Value = OffsetDateTime> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    prop_oneof![
        Just(OffsetDateTime::UNIX_EPOCH),
        Just(time_at(MIN_UNIX, 0, UtcOffset::UTC)),
        Just(time_at(MAX_UNIX, 999_999_999, UtcOffset::UTC)),
        (-1i64..=1, 0u32..1_000_000_000, offset()).prop_map(|(s, n, o)| time_at(s, n, o)),
        (now - 100_000..now + 100_000, 0u32..1_000_000_000, offset())
            .prop_map(|(s, n, o)| time_at(s, n, o)),
        (MIN_UNIX..=MAX_UNIX, 0u32..1_000_000_000, offset()).prop_map(|(s, n, o)| time_at(s, n, o)),
    ]
}

/// Names for queues, groups and IDs: ordinary, blank, with braces, arbitrary.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(DEFAULT_QUEUE.to_string()),
        3 => "[a-c]{1,2}",
        1 => Just(String::new()),
        1 => "[ \t]{1,2}",
        2 => "[a-c{}:]{1,4}",
        1 => any::<String>(),
    ]
}

fn option() -> impl Strategy<Value = TaskOption> {
    prop_oneof![
        any::<i32>().prop_map(TaskOption::MaxRetry),
        name().prop_map(TaskOption::Queue),
        // A small pool, so that ID conflicts happen against Redis.
        prop_oneof![4 => "id-[0-9]", 1 => name()].prop_map(TaskOption::TaskId),
        duration().prop_map(TaskOption::Timeout),
        datetime().prop_map(TaskOption::Deadline),
        duration().prop_map(TaskOption::Unique),
        datetime().prop_map(TaskOption::ProcessAt),
        duration().prop_map(TaskOption::ProcessIn),
        duration().prop_map(TaskOption::Retention),
        name().prop_map(TaskOption::Group),
        ("[a-c]{0,2}", "[a-c]{0,2}").prop_map(|(k, v)| TaskOption::Header(k, v)),
    ]
}

#[derive(Debug, Clone)]
struct Input {
    task_type: String,
    payload: Option<Vec<u8>>,
    headers: Vec<(String, String)>,
    task_options: Vec<TaskOption>,
    options: Vec<TaskOption>,
}

impl Input {
    fn task(&self) -> Task {
        let t = match &self.payload {
            Some(p) => Task::new(self.task_type.clone(), p.clone()),
            None => Task::without_payload(self.task_type.clone()),
        };
        t.with_headers(self.headers.clone())
            .with_options(self.task_options.clone())
    }

    fn all_options(&self) -> impl Iterator<Item = &TaskOption> {
        self.task_options.iter().chain(&self.options)
    }
}

fn input() -> impl Strategy<Value = Input> {
    (
        prop_oneof![38 => "[a-c:]{1,6}", 1 => Just(String::new()), 1 => Just(" ".to_string())],
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16)),
        proptest::collection::vec(("[a-c]{0,2}", "[a-c]{0,2}"), 0..3),
        proptest::collection::vec(option(), 0..3),
        proptest::collection::vec(option(), 0..5),
    )
        .prop_map(
            |(task_type, payload, headers, task_options, options)| Input {
                task_type,
                payload,
                headers,
                task_options,
                options,
            },
        )
}

/// The text an `InvalidTask` message must contain for the first invalid part of `input` at
/// `now`, computed independently of the client; `None` when the input is valid.
fn first_invalid(input: &Input, now: OffsetDateTime) -> Option<&'static str> {
    if input.task_type.trim().is_empty() {
        return Some("typename");
    }
    for opt in input.all_options() {
        let bad = match opt {
            TaskOption::Queue(q) if q.trim().is_empty() || q.contains(['{', '}']) => {
                Some("queue name")
            }
            TaskOption::TaskId(id) if id.trim().is_empty() => Some("task ID"),
            TaskOption::Group(g) if g.trim().is_empty() => Some("group key"),
            TaskOption::Unique(d) if *d < Duration::from_secs(1) => Some("Unique TTL"),
            TaskOption::Unique(d) if *d > MAX_DURATION => Some("Unique("),
            TaskOption::Timeout(d) if *d > MAX_DURATION => Some("Timeout("),
            TaskOption::Retention(d) if *d > MAX_DURATION => Some("Retention("),
            TaskOption::ProcessIn(d)
                if *d > MAX_DURATION
                    || now
                        .checked_add(time::Duration::try_from(*d).unwrap())
                        .is_none() =>
            {
                Some("ProcessIn(")
            }
            _ => None,
        };
        if bad.is_some() {
            return bad;
        }
    }
    None
}

/// The last option `pick` accepts, in application order.
fn last<T>(input: &Input, pick: impl Fn(&TaskOption) -> Option<T>) -> Option<T> {
    input.all_options().filter_map(pick).last()
}

/// The values a valid `input` composes to at `now`, recomputed from the options.
struct Expected {
    queue: String,
    retry: i32,
    process_at: OffsetDateTime,
    unique_ttl: Option<Duration>,
    group: String,
}

fn expected(input: &Input, now: OffsetDateTime) -> Expected {
    let process_at = last(input, |o| match o {
        TaskOption::ProcessAt(t) => Some(*t),
        TaskOption::ProcessIn(d) => Some(now + *d),
        _ => None,
    })
    .unwrap_or(now);
    Expected {
        queue: last(input, |o| match o {
            TaskOption::Queue(q) => Some(q.clone()),
            _ => None,
        })
        .unwrap_or_else(|| DEFAULT_QUEUE.to_string()),
        retry: last(input, |o| match o {
            TaskOption::MaxRetry(n) => Some((*n).max(0)),
            _ => None,
        })
        .unwrap_or(DEFAULT_MAX_RETRY),
        process_at,
        unique_ttl: last(input, |o| match o {
            TaskOption::Unique(d) => Some(*d),
            _ => None,
        }),
        group: last(input, |o| match o {
            TaskOption::Group(g) => Some(g.clone()),
            _ => None,
        })
        .unwrap_or_default(),
    }
}

fn now_strategy() -> impl Strategy<Value = OffsetDateTime> {
    let now = OffsetDateTime::now_utc();
    prop_oneof![
        4 => Just(now),
        1 => datetime(),
        // Near the end of the range, where ProcessIn overflows.
        1 => (MAX_UNIX - 10_000_000_000..=MAX_UNIX).prop_map(|s| time_at(s, 0, UtcOffset::UTC)),
    ]
}

#[test]
fn fuzz_compose() {
    let execs = fuzz::Executions::new("compose");
    let mut runner = TestRunner::new(fuzz::config(fuzz::cases()));
    runner
        .run(&(input(), now_strategy()), |(input, now)| {
            execs.hit();
            let task = input.task();
            let result = compose(&task, &input.options, now);
            match (first_invalid(&input, now), result) {
                (Some(want), Err(ClientError::InvalidTask(m))) => {
                    prop_assert!(m.contains(want), "want {:?} in {:?}", want, m);
                }
                (None, Ok(c)) => {
                    let e = expected(&input, now);
                    prop_assert_eq!(&c.msg.queue, &e.queue);
                    prop_assert_eq!(c.msg.retry, e.retry);
                    prop_assert_eq!(c.process_at, e.process_at);
                    prop_assert_eq!(c.unique_ttl, e.unique_ttl);
                    prop_assert_eq!(&c.group, &e.group);
                    prop_assert_eq!(&c.msg.group_key, &e.group);
                    prop_assert_eq!(c.msg.unique_key.is_empty(), e.unique_ttl.is_none());
                    prop_assert!(c.msg.timeout >= 0 && c.msg.timeout <= 9_223_372_036);
                    prop_assert!(c.msg.retention >= 0 && c.msg.retention <= 9_223_372_036);
                    prop_assert!(c.msg.encoded_len() <= MAX_MESSAGE_SIZE);
                    match (c.unique_ttl, c.unique_lock_ttl) {
                        (None, None) => {}
                        (Some(ttl), Some(lock)) if c.process_at > now => {
                            prop_assert_eq!(lock, ttl + Duration::try_from(c.process_at - now)?);
                        }
                        (Some(ttl), Some(lock)) => prop_assert_eq!(lock, ttl),
                        (ttl, lock) => prop_assert!(false, "unique {:?}, lock {:?}", ttl, lock),
                    }
                }
                (want, got) => prop_assert!(false, "oracle {:?}, compose {:?}", want, got),
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("fuzz target compose: {e}"));
    execs.report();
}

#[test]
fn fuzz_enqueue() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (node, client, raw) = rt.block_on(async {
        let node = RedisNode::start().await;
        let client = Client::connect(RedisConnOpt::parse_uri(&node.url()).unwrap())
            .await
            .unwrap();
        let raw = node.raw().await;
        (node, client, raw)
    });
    let execs = fuzz::Executions::new("enqueue");
    let mut runner = TestRunner::new(fuzz::config(fuzz::redis_cases()));
    runner
        .run(&input(), |input| {
            execs.hit();
            let task = input.task();
            rt.block_on(async {
                let keys_before: HashSet<String> = raw.keys("*").await.into_iter().collect();
                let want = first_invalid(&input, OffsetDateTime::now_utc());
                let result = client.enqueue(&task, &input.options).await;
                match (want, result) {
                    (Some(want), Err(ClientError::InvalidTask(m))) => {
                        prop_assert!(m.contains(want), "want {:?} in {:?}", want, m);
                        let keys_after: HashSet<String> = raw.keys("*").await.into_iter().collect();
                        // Keys may go (unique locks expire), none may come.
                        let added: Vec<&String> = keys_after.difference(&keys_before).collect();
                        prop_assert!(added.is_empty(), "an invalid task wrote {:?}", added);
                    }
                    (None, Ok(info)) => {
                        let e = expected(&input, OffsetDateTime::now_utc());
                        prop_assert_eq!(&info.queue, &e.queue);
                        let hash = raw
                            .hgetall(&format!("asynq:{{{}}}:t:{}", info.queue, info.id))
                            .await;
                        let state = match info.state {
                            TaskState::Scheduled => "scheduled",
                            TaskState::Aggregating => "aggregating",
                            TaskState::Pending => "pending",
                            other => return Err(TestCaseError::fail(format!("state {other}"))),
                        };
                        prop_assert_eq!(
                            hash.get("state").map(Vec::as_slice),
                            Some(state.as_bytes())
                        );
                        let stored = asynq_proto::decode_task_message(&hash["msg"][..])
                            .map_err(|e| TestCaseError::fail(e.to_string()))?;
                        prop_assert_eq!(stored.retry, e.retry);
                        prop_assert_eq!(&stored.r#type, &input.task_type);
                    }
                    (None, Err(ClientError::DuplicateTask)) => {
                        prop_assert!(expected(&input, OffsetDateTime::now_utc())
                            .unique_ttl
                            .is_some());
                    }
                    (None, Err(ClientError::TaskIdConflict)) => {
                        prop_assert!(input
                            .all_options()
                            .any(|o| matches!(o, TaskOption::TaskId(_))));
                    }
                    (want, got) => prop_assert!(false, "oracle {:?}, enqueue {:?}", want, got),
                }
                Ok(())
            })
        })
        .unwrap_or_else(|e| panic!("fuzz target enqueue: {e}"));
    execs.report();
    rt.block_on(async move {
        drop(raw);
        drop(client);
        drop(node);
    });
}

/// Near-valid option strings: a known (or nearly known) name and an argument of mostly the
/// right shape for it (or any shape), with or without the closing parenthesis.
fn near_valid_option_string() -> impl Strategy<Value = String> {
    let quoted = "\"([a-z(){}\"]|\\\\[abfnrtv\\\\\"xuU0-7+q]|[0-9a-fA-F+]){0,10}\"?";
    let duration = "[-+]?([0-9]{0,20}(\\.[0-9]{0,12})?(ns|us|µs|μs|ms|s|m|h|x|)){1,4}";
    let good_duration = "([0-9]{1,4}(\\.[0-9]{1,3})?(ns|us|µs|ms|s|m|h)){1,3}";
    let date = "(Mon|Fri|Xyz|mon) (Jan|Dec|Feb|jan) ( [0-9]|[0-9]{1,3}) [0-9]{1,3}:[0-9]{1,3}:\
                [0-9]{1,3}([.,][0-9]{0,12})? (UTC|GMT|GMT[+-][0-9]{1,3}|PST|ChST|[A-Za-z]{0,6}) \
                [0-9]{3,5}";
    let good_date = "(Mon|Fri) (Jan|Feb|Dec) ( [1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):\
                     [0-5][0-9]:[0-5][0-9](\\.[0-9]{1,10})? (UTC|GMT[+-](1?[0-9]|2[0-3])|PST) \
                     [0-9]{4}";
    // The edges of the range: a zone offset moves 9999-12-31 past year 9999 in UTC (or
    // 0000-01-01 before year 0).
    let edge_date = "(Fri Dec 31 2[0-3]|Sat Jan  1 0[0-3]):[0-5][0-9]:[0-5][0-9] \
                     (GMT[+-](1?[0-9]|2[0-3])|UTC) (9999|0000)";
    // Escapes with and without the right number of hex digits, or with a sign.
    let escapes = "\"([a-z]|\\\\(x|u|U|[0-7])[+-]?[0-9a-fA-F]{0,9}){1,3}\"";
    let header = "\\[\"([a-z]|\\\\[\"nu]){0,3}\"(,\"[a-z]{0,3}\"){0,2},?\\]";
    let name_and_arg = prop_oneof![
        ("(MaxRetry|maxRetry)", "[-+]?[0-9]{0,12}"),
        ("(Queue|TaskID|Group|Queue )", quoted),
        ("(Queue|TaskID|Group)", "`[a-z`\\\\\r]{0,6}`?"),
        ("(Timeout|Unique|ProcessIn|Retention)", duration),
        ("(Timeout|Unique|ProcessIn|Retention)", good_duration),
        ("(Deadline|ProcessAt)", date),
        ("(Deadline|ProcessAt)", good_date),
        ("(Deadline|ProcessAt)", edge_date),
        ("(Queue|TaskID|Group)", escapes),
        ("(Header|Header )", header),
        ("[A-Za-z]{0,9}", "[ -~]{0,12}"),
    ];
    let close = prop_oneof![8 => Just(")"), 1 => Just(""), 1 => Just(") "), 1 => Just("))")];
    (name_and_arg, any::<String>(), 0u8..10, close).prop_map(|((n, a), junk, k, c)| {
        // Now and then an arbitrary argument instead of the one of the name's shape.
        let a = if k == 0 { junk } else { a };
        format!("{n}({a}{c}")
    })
}

/// A duration Go can represent (up to `MAX_DURATION`).
fn go_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u64..=i64::MAX as u64).prop_map(Duration::from_nanos),
        (0u64..100_000).prop_map(Duration::from_millis),
    ]
}

/// A time with whole seconds, from year 0 (the 4-digit year of Go's layout cannot hold a
/// negative one) to 9999, in any offset.
fn whole_second_time() -> impl Strategy<Value = OffsetDateTime> {
    (YEAR_0_UNIX..=MAX_UNIX, offset()).prop_map(|(s, o)| time_at(s, 0, o))
}

/// Any option whose `Display` form Go could print and parse.
fn printable_option() -> impl Strategy<Value = TaskOption> {
    prop_oneof![
        any::<i32>().prop_map(TaskOption::MaxRetry),
        any::<String>().prop_map(TaskOption::Queue),
        any::<String>().prop_map(TaskOption::TaskId),
        go_duration().prop_map(TaskOption::Timeout),
        whole_second_time().prop_map(TaskOption::Deadline),
        go_duration().prop_map(TaskOption::Unique),
        whole_second_time().prop_map(TaskOption::ProcessAt),
        go_duration().prop_map(TaskOption::ProcessIn),
        go_duration().prop_map(TaskOption::Retention),
        any::<String>().prop_map(TaskOption::Group),
        (any::<String>(), any::<String>()).prop_map(|(k, v)| TaskOption::Header(k, v)),
    ]
}

#[derive(Debug, Clone)]
enum OptionInput {
    Text(String),
    /// The `Display` form of an option, which must parse back to it.
    Printed(TaskOption),
    /// A `Display` form with text inserted at a byte offset (on a char boundary), the rest
    /// cut off or kept.
    Mutated(TaskOption, usize, String),
}

/// `opt` with its times in UTC and cut to whole seconds, as its `Display` form keeps them.
fn as_printed(opt: &TaskOption) -> TaskOption {
    let second =
        |t: &OffsetDateTime| OffsetDateTime::from_unix_timestamp(t.unix_timestamp()).unwrap_or(*t);
    match opt {
        TaskOption::Deadline(t) => TaskOption::Deadline(second(t)),
        TaskOption::ProcessAt(t) => TaskOption::ProcessAt(second(t)),
        other => other.clone(),
    }
}

#[test]
fn fuzz_task_option_from_str() {
    let input = prop_oneof![
        2 => any::<String>().prop_map(OptionInput::Text),
        4 => near_valid_option_string().prop_map(OptionInput::Text),
        2 => printable_option().prop_map(OptionInput::Printed),
        2 => (printable_option(), any::<usize>(), "[()\"\\\\ a0-9.:]{0,3}")
            .prop_map(|(o, at, ins)| OptionInput::Mutated(o, at, ins)),
    ];
    let execs = fuzz::Executions::new("task_option_from_str");
    let mut runner = TestRunner::new(fuzz::config(fuzz::cases()));
    runner
        .run(&input, |input| {
            execs.hit();
            let text = match &input {
                OptionInput::Text(s) => s.clone(),
                OptionInput::Printed(o) => o.to_string(),
                OptionInput::Mutated(o, at, ins) => {
                    let mut s = o.to_string();
                    let mut i = (at / 2) % (s.len() + 1);
                    while !s.is_char_boundary(i) {
                        i -= 1;
                    }
                    if at % 2 == 0 {
                        s.truncate(i);
                    }
                    s.insert_str(i, ins);
                    s
                }
            };
            let parsed = text.parse::<TaskOption>();
            if let OptionInput::Printed(o) = &input {
                let back = parsed
                    .as_ref()
                    .map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
                prop_assert_eq!(back, &as_printed(o), "{:?}", text);
            }
            if let Ok(opt) = parsed {
                // What parses prints to a string that parses back to the same option.
                let printed = opt.to_string();
                let again = printed
                    .parse::<TaskOption>()
                    .map_err(|e| TestCaseError::fail(format!("{text:?} -> {printed:?}: {e}")))?;
                prop_assert_eq!(&again, &as_printed(&opt), "{:?} -> {:?}", text, printed);
                prop_assert_eq!(again.to_string(), printed);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("fuzz target task_option_from_str: {e}"));
    execs.report();
}
