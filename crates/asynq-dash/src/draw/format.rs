//! Text forms of sizes, durations, times and payloads, as Go's dashboard prints them.

use std::time::Duration;

use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// A byte count in SI units: `999 B`, `1.5 kB`, `2.0 MB` (Go `byteCount`).
pub fn byte_count(b: i64) -> String {
    const UNIT: i64 = 1000;
    if b < UNIT {
        return format!("{b} B");
    }
    let (mut div, mut exp) = (UNIT, 0usize);
    let mut n = b / UNIT;
    while n >= UNIT {
        div *= UNIT;
        exp += 1;
        n /= UNIT;
    }
    let prefix = "kMGTPE".chars().nth(exp).unwrap_or('E');
    format!("{:.1} {prefix}B", b as f64 / div as f64)
}

/// Failed / processed with two decimals, `-` when nothing was processed (Go `formatErrorRate`).
pub fn error_rate(processed: i64, failed: i64) -> String {
    if processed == 0 {
        return "-".to_string();
    }
    format!("{:.2}", failed as f64 / processed as f64)
}

/// A duration rounded to whole seconds in Go's `Duration.String` form: `0s`, `42s`, `3m5s`,
/// `2h0m1s`.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs() + u64::from(d.subsec_millis() >= 500);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// `now` for a time already passed, else `in 5s` (Go `formatNextProcessTime`).
pub fn next_process_time(t: OffsetDateTime, now: OffsetDateTime) -> String {
    if t < now {
        return "now".to_string();
    }
    format!("in {}", duration((t - now).unsigned_abs()))
}

/// `just now` for a time not yet passed, else `5s ago` (Go `formatPastTime`).
pub fn past_time(t: OffsetDateTime, now: OffsetDateTime) -> String {
    if t >= now {
        return "just now".to_string();
    }
    format!("{} ago", duration((now - t).unsigned_abs()))
}

/// `2024-05-01 12:00:00 UTC`.
pub fn timestamp(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    t.to_offset(UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_else(|_| t.to_string())
}

/// A payload or result as text: `<nil>` when empty, `<non-printable>` when not readable text,
/// newlines shown as two spaces (Go `formatByteSlice`).
pub fn bytes(data: &[u8]) -> String {
    if data.is_empty() {
        return "<nil>".to_string();
    }
    match std::str::from_utf8(data) {
        Ok(s) if is_printable(s) => s.replace('\n', "  "),
        _ => "<non-printable>".to_string(),
    }
}

fn is_printable(s: &str) -> bool {
    let graphic = s.chars().all(|c| !c.is_control() || c == '\n' || c == '\t');
    graphic && !s.chars().all(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn byte_counts() {
        assert_eq!(byte_count(999), "999 B");
        assert_eq!(byte_count(1500), "1.5 kB");
        assert_eq!(byte_count(2_000_000), "2.0 MB");
    }

    #[test]
    fn rates_and_durations() {
        assert_eq!(error_rate(0, 0), "-");
        assert_eq!(error_rate(4, 1), "0.25");
        assert_eq!(duration(Duration::ZERO), "0s");
        assert_eq!(duration(Duration::from_millis(1600)), "2s");
        assert_eq!(duration(Duration::from_secs(185)), "3m5s");
        assert_eq!(duration(Duration::from_secs(7201)), "2h0m1s");
    }

    #[test]
    fn relative_times() {
        let now = datetime!(2024-05-01 12:00:00 UTC);
        assert_eq!(next_process_time(now - Duration::from_secs(1), now), "now");
        assert_eq!(
            next_process_time(now + Duration::from_secs(90), now),
            "in 1m30s"
        );
        assert_eq!(past_time(now, now), "just now");
        assert_eq!(past_time(now - Duration::from_secs(5), now), "5s ago");
        assert_eq!(timestamp(now), "2024-05-01 12:00:00 UTC");
    }

    #[test]
    fn payloads() {
        assert_eq!(bytes(b""), "<nil>");
        assert_eq!(bytes(b"{\"a\":1}\n"), "{\"a\":1}  ");
        assert_eq!(bytes(&[0xff, 0x00]), "<non-printable>");
        assert_eq!(bytes(b"  "), "<non-printable>");
    }
}
