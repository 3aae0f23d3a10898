//! Go's text forms used in option strings: `strconv.Quote`, `time.Duration.String` and the
//! `time.UnixDate` layout. Scheduler entries store options in these forms and Go's Inspector
//! parses them back (spec §6.24.7).

use std::fmt::Write;
use std::time::Duration;

use time::OffsetDateTime;

/// Go `strconv.Quote(s)`: double quotes, with `"` `\` and non-printable characters escaped.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go `time.Duration.String()`: `0s`, `500ms`, `1.5s`, `1m30s`, `1h0m0s`, `2.000000001s`.
pub fn duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".into();
    }
    if nanos < 1_000_000_000 {
        let (unit, div) = if nanos < 1_000 {
            ("ns", 1u128)
        } else if nanos < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{}{unit}", fraction(nanos, div));
    }
    let total_secs = nanos / 1_000_000_000;
    let frac_nanos = nanos % 1_000_000_000;
    let h = total_secs / 3600;
    let m = (total_secs % 3600) / 60;
    let s = total_secs % 60;
    let secs = fraction(s * 1_000_000_000 + frac_nanos, 1_000_000_000);
    if h > 0 {
        format!("{h}h{m}m{secs}s")
    } else if m > 0 {
        format!("{m}m{secs}s")
    } else {
        format!("{secs}s")
    }
}

/// `v / div` as a decimal with trailing zeros of the fraction dropped.
fn fraction(v: u128, div: u128) -> String {
    let whole = v / div;
    let rem = v % div;
    if rem == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let frac = format!("{rem:0width$}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

/// Seconds in 400 Gregorian years (146,097 days, a whole number of weeks): dates and weekdays
/// repeat with this period.
const GREGORIAN_CYCLE_SECS: i64 = 146_097 * 86_400;

/// `t` in Go's `time.UnixDate` layout, in UTC: `Fri Jan  2 15:04:05 UTC 2026`. The year has at
/// least 4 digits, zero-padded like Go's (`0999`, `-0005`). Never panics: a time whose UTC date
/// is just outside what [`OffsetDateTime`] holds (year ±9999 with a non-zero offset) is
/// printed with its UTC year (`10000`, `-10000`).
pub fn unix_date(t: OffsetDateTime) -> String {
    let secs = t.unix_timestamp();
    let (t, year_shift) = match OffsetDateTime::from_unix_timestamp(secs) {
        Ok(u) => (u, 0),
        // Just past the supported range: format the same date 400 years closer to the epoch.
        Err(_) if secs > 0 => (shifted(secs - GREGORIAN_CYCLE_SECS), 400),
        Err(_) => (shifted(secs + GREGORIAN_CYCLE_SECS), -400),
    };
    let weekday = &t.weekday().to_string()[..3];
    let month = &t.month().to_string()[..3];
    let year = t.year() + year_shift;
    let sign = if year < 0 { "-" } else { "" };
    format!(
        "{weekday} {month} {:>2} {:02}:{:02}:{:02} UTC {sign}{:04}",
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        year.unsigned_abs()
    )
}

/// The UTC time of `secs`, which is in range after a one-cycle shift.
fn shifted(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn quotes_like_go() {
        assert_eq!(quote("critical"), "\"critical\"");
        assert_eq!(quote("crit\"ical"), "\"crit\\\"ical\"");
        assert_eq!(quote("a\\b\n\t\u{1}"), "\"a\\\\b\\n\\t\\x01\"");
        assert_eq!(quote("ünï"), "\"ünï\"");
    }

    #[test]
    fn durations_like_go() {
        let cases = [
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(1), "1ns"),
            (Duration::from_micros(1), "1µs"),
            (Duration::from_millis(500), "500ms"),
            (Duration::from_micros(1500), "1.5ms"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_secs(1800), "30m0s"),
            (Duration::from_secs(3600), "1h0m0s"),
            (Duration::from_secs(86400), "24h0m0s"),
            (Duration::new(2, 1), "2.000000001s"),
            (Duration::new(3723, 500_000_000), "1h2m3.5s"),
        ];
        for (d, want) in cases {
            assert_eq!(duration(d), want, "{d:?}");
        }
    }

    #[test]
    fn unix_dates_like_go() {
        assert_eq!(
            unix_date(datetime!(2026-01-02 15:04:05 UTC)),
            "Fri Jan  2 15:04:05 UTC 2026"
        );
        assert_eq!(
            unix_date(datetime!(2026-01-12 15:04:05 UTC)),
            "Mon Jan 12 15:04:05 UTC 2026"
        );
        assert_eq!(
            unix_date(datetime!(2026-01-12 16:04:05 +01:00)),
            "Mon Jan 12 15:04:05 UTC 2026"
        );
    }

    #[test]
    fn unix_dates_pad_years_and_never_panic() {
        // Go pads the year to 4 digits (`2006` layout element).
        assert_eq!(
            unix_date(datetime!(0999-03-04 05:06:07 UTC)),
            "Mon Mar  4 05:06:07 UTC 0999"
        );
        assert_eq!(
            unix_date(datetime!(-0005-01-01 00:00:00 UTC)),
            "Sun Jan  1 00:00:00 UTC -0005"
        );
        // UTC dates one day past year 9999 / before year -9999 (the old code panicked).
        assert_eq!(
            unix_date(datetime!(9999-12-31 23:00:00 -05:00)),
            "Sat Jan  1 04:00:00 UTC 10000"
        );
        assert_eq!(
            unix_date(datetime!(-9999-01-01 01:00:00 +05:00)),
            "Sun Dec 31 20:00:00 UTC -10000"
        );
        // The cycle shift keeps weekdays: 10000-01-01 is a Saturday like 9600-01-01 and
        // 2000-01-01.
        assert_eq!(
            unix_date(datetime!(2000-01-01 00:00:00 UTC)),
            "Sat Jan  1 00:00:00 UTC 2000"
        );
    }
}
