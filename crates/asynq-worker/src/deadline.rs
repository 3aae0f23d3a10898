//! When an attempt must finish (Go `processor.computeDeadline`, spec §6.4).

use std::time::Duration;

use time::{OffsetDateTime, PrimitiveDateTime};

/// The timeout used when a message has neither a timeout nor a deadline: 30 min (Go
/// `defaultTimeout`). Go logs an internal error in that case; clients never produce it except
/// with a sub-second `Timeout` and no deadline.
pub const FALLBACK_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The deadline of an attempt starting at `now`, from the message's `timeout` (seconds) and
/// `deadline` (Unix seconds), 0 meaning "not set" for both:
///
/// | timeout | deadline | result |
/// |---|---|---|
/// | 0 | 0 | `now + 30 min` ([`FALLBACK_TIMEOUT`]) |
/// | T | 0 | `now + T s` (keeps `now`'s sub-second part) |
/// | 0 | D | `D` |
/// | T | D | `min(unix_seconds(now) + T, D)`, whole seconds |
///
/// A negative timeout gives a deadline in the past, so the attempt fails at once with
/// `context deadline exceeded`, as in Go. Results beyond the range of [`OffsetDateTime`] are
/// clamped to it.
///
/// ```
/// use asynq_worker::compute_deadline;
/// use time::macros::datetime;
///
/// let now = datetime!(2026-11-22 10:00:00.5 UTC);
/// assert_eq!(compute_deadline(now, 60, 0), datetime!(2026-11-22 10:01:00.5 UTC));
/// let d = datetime!(2026-11-22 10:00:30 UTC).unix_timestamp();
/// assert_eq!(compute_deadline(now, 60, d), datetime!(2026-11-22 10:00:30 UTC));
/// ```
pub fn compute_deadline(
    now: OffsetDateTime,
    timeout_secs: i64,
    deadline_unix: i64,
) -> OffsetDateTime {
    match (timeout_secs, deadline_unix) {
        (0, 0) => add_secs(now, FALLBACK_TIMEOUT.as_secs() as i64),
        (t, 0) => add_secs(now, t),
        (0, d) => from_unix(d),
        (t, d) => from_unix(now.unix_timestamp().saturating_add(t).min(d)),
    }
}

/// Whether a message has neither a timeout nor a deadline, the case [`compute_deadline`]
/// answers with [`FALLBACK_TIMEOUT`] and Go logs as an internal error.
pub fn lacks_timeout_and_deadline(timeout_secs: i64, deadline_unix: i64) -> bool {
    timeout_secs == 0 && deadline_unix == 0
}

fn add_secs(t: OffsetDateTime, secs: i64) -> OffsetDateTime {
    t.checked_add(time::Duration::seconds(secs))
        .unwrap_or(if secs < 0 { min() } else { max() })
}

fn from_unix(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(if secs < 0 { min() } else { max() })
}

fn min() -> OffsetDateTime {
    PrimitiveDateTime::MIN.assume_utc()
}

fn max() -> OffsetDateTime {
    PrimitiveDateTime::MAX.assume_utc()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-11-22 10:00:00.25 UTC);

    #[test]
    fn neither_set_falls_back_to_30_minutes() {
        assert_eq!(
            compute_deadline(NOW, 0, 0),
            datetime!(2026-11-22 10:30:00.25 UTC)
        );
        assert!(lacks_timeout_and_deadline(0, 0));
        assert!(!lacks_timeout_and_deadline(1, 0));
    }

    #[test]
    fn timeout_only_keeps_sub_seconds() {
        assert_eq!(
            compute_deadline(NOW, 1800, 0),
            datetime!(2026-11-22 10:30:00.25 UTC)
        );
        assert_eq!(
            compute_deadline(NOW, -1, 0),
            datetime!(2026-11-22 09:59:59.25 UTC)
        );
    }

    #[test]
    fn deadline_only() {
        let d = 2_000_000_000;
        assert_eq!(compute_deadline(NOW, 0, d).unix_timestamp(), d);
    }

    #[test]
    fn both_take_the_earlier_in_whole_seconds() {
        let now_s = NOW.unix_timestamp();
        // timeout earlier
        assert_eq!(
            compute_deadline(NOW, 10, now_s + 60),
            datetime!(2026-11-22 10:00:10 UTC)
        );
        // deadline earlier
        assert_eq!(
            compute_deadline(NOW, 600, now_s + 5),
            datetime!(2026-11-22 10:00:05 UTC)
        );
        // deadline already passed
        assert_eq!(
            compute_deadline(NOW, 600, now_s - 5).unix_timestamp(),
            now_s - 5
        );
    }

    #[test]
    fn out_of_range_is_clamped() {
        assert_eq!(compute_deadline(NOW, i64::MAX, 0), max());
        assert_eq!(compute_deadline(NOW, 0, i64::MAX), max());
        assert_eq!(compute_deadline(NOW, i64::MIN, 0), min());
        assert_eq!(compute_deadline(NOW, i64::MAX, i64::MAX), max());
    }
}
