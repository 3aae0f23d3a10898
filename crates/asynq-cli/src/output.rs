//! Formatting helpers shared by the commands: tables, Go-style durations and times, payloads,
//! error rates and byte sizes.
//!
//! Every helper that prints relative to "now" takes `now` as an argument, so the output of a
//! command is a pure function of what it read and can be tested.

use std::io::Write;
use std::time::Duration;

use comfy_table::{CellAlignment, ColumnConstraint, Table, TableComponent};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

/// A table in the style of Go's `tabwriter` output: a header row, a line of dashes under each
/// header, then the rows; columns separated by two spaces, no borders.
pub fn table<I, S>(headers: I) -> Table
where
    I: IntoIterator<Item = S>,
    S: Into<comfy_table::Cell>,
{
    let mut t = Table::new();
    t.load_preset(comfy_table::presets::NOTHING);
    t.set_style(TableComponent::HeaderLines, '-');
    t.set_style(TableComponent::MiddleHeaderIntersections, ' ');
    t.set_style(TableComponent::VerticalLines, ' ');
    t.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
    t.set_header(headers);
    for col in t.column_iter_mut() {
        col.set_padding((0, 1));
        col.set_cell_alignment(CellAlignment::Left);
        col.set_constraint(ColumnConstraint::ContentWidth);
    }
    t
}

/// Writes `table` followed by a newline, with the trailing spaces of each line removed.
pub fn write_table(out: &mut dyn Write, table: &mut Table) -> std::io::Result<()> {
    // Padding is applied to columns that exist when the rows are added; re-apply it so columns
    // created by rows wider than the header get it too.
    for col in table.column_iter_mut() {
        col.set_padding((0, 1));
    }
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Go's `time.Duration.String()` for a duration rounded to whole seconds: `0s`, `45s`,
/// `3m0s`, `1h2m3s`, `26h0m0s`. Negative durations get a leading `-`.
pub fn go_duration(d: Duration) -> String {
    let secs = if d.subsec_millis() >= 500 {
        d.as_secs() + 1
    } else {
        d.as_secs()
    };
    go_secs(secs as i128)
}

/// [`go_duration`] for a signed number of whole seconds.
pub fn go_secs(secs: i128) -> String {
    if secs < 0 {
        return format!("-{}", go_secs(-secs));
    }
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// Seconds from `from` to `to`, rounded to the nearest whole second (Go `Round(time.Second)`;
/// halves away from zero).
pub fn rounded_secs(from: OffsetDateTime, to: OffsetDateTime) -> i128 {
    let nanos = (to - from).whole_nanoseconds();
    let q = nanos / 1_000_000_000;
    let r = nanos % 1_000_000_000;
    if r >= 500_000_000 {
        q + 1
    } else if r <= -500_000_000 {
        q - 1
    } else {
        q
    }
}

const UNIX_DATE: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short] [month repr:short] [day padding:space] [hour]:[minute]:[second] UTC [year]"
);
const DAY: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");
const GO_TIME: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second] +0000 UTC");

/// Go's `time.UnixDate` layout (`Mon Jan _2 15:04:05 MST 2006`), always in UTC.
pub fn unix_date(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(UNIX_DATE)
        .unwrap_or_else(|_| t.to_string())
}

/// The UTC calendar day, `2006-01-02`.
pub fn day(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(DAY)
        .unwrap_or_else(|_| t.to_string())
}

/// Go's `time.Time.String()` to the second, in UTC: `2006-01-02 15:04:05 +0000 UTC`.
pub fn go_time(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(GO_TIME)
        .unwrap_or_else(|_| t.to_string())
}

/// RFC 3339 with nanoseconds, UTC (Go's JSON encoding of a `time.Time`).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// Go's `formatProcessAt` (task lists): `right now` when due, else `in 1m30s`.
pub fn process_at(t: Option<OffsetDateTime>, now: OffsetDateTime) -> String {
    let Some(t) = t else {
        return "right now".into();
    };
    let secs = rounded_secs(now, t);
    if t < now {
        "right now".into()
    } else {
        format!("in {}", go_secs(secs))
    }
}

/// Go's `formatNextProcessAt` (task inspect): `n/a`, `now`, or the time and `(in 1m30s)`.
pub fn next_process_at(t: Option<OffsetDateTime>, now: OffsetDateTime) -> String {
    match t {
        None => "n/a".into(),
        Some(t) if t.unix_timestamp() == 0 => "n/a".into(),
        Some(t) if t < now => "now".into(),
        Some(t) => format!("{} (in {})", unix_date(t), go_secs(rounded_secs(now, t))),
    }
}

/// Go's `formatPastTime`: the time in `UnixDate` layout, empty when there is none.
pub fn past_time(t: Option<OffsetDateTime>) -> String {
    match t {
        Some(t) if t.unix_timestamp() != 0 => unix_date(t),
        _ => String::new(),
    }
}

/// Go's `timeAgo`: `1h2m3s ago`.
pub fn time_ago(t: OffsetDateTime, now: OffsetDateTime) -> String {
    format!("{} ago", go_secs(rounded_secs(t, now)))
}

/// Go's `sprintBytes`: the payload as text when it is printable UTF-8 with at least one
/// non-space character, else `non-printable bytes`.
pub fn printable_bytes(data: &[u8]) -> String {
    match std::str::from_utf8(data) {
        Ok(s) if is_printable(s) => s.to_string(),
        _ => "non-printable bytes".into(),
    }
}

fn is_printable(s: &str) -> bool {
    let mut all_space = true;
    for c in s.chars() {
        // Go's unicode.IsPrint: graphic characters and the ASCII space; no other spaces and no
        // control characters.
        if c.is_control() || (c.is_whitespace() && c != ' ') {
            return false;
        }
        if !c.is_whitespace() {
            all_space = false;
        }
    }
    !all_space
}

/// Go's error rate column: `N/A` when nothing was processed, else `12.50%`.
pub fn error_rate(processed: i64, failed: i64) -> String {
    if processed == 0 {
        "N/A".into()
    } else {
        format!("{:.2}%", failed as f64 / processed as f64 * 100.0)
    }
}

/// A byte count in binary units like Redis' `used_memory_human` (`512B`, `1.50K`, `2.25M`,
/// `1.00G`).
pub fn byte_size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];
    if bytes < 1024 {
        return format!("{bytes}B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.2}{}", UNITS[unit])
}

/// Makes a message fit on one line: line breaks become spaces.
pub fn one_line(msg: &str) -> String {
    msg.split(['\r', '\n'])
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn durations_like_go() {
        assert_eq!(go_secs(0), "0s");
        assert_eq!(go_secs(45), "45s");
        assert_eq!(go_secs(180), "3m0s");
        assert_eq!(go_secs(3723), "1h2m3s");
        assert_eq!(go_secs(26 * 3600), "26h0m0s");
        assert_eq!(go_secs(-5), "-5s");
        assert_eq!(go_duration(Duration::from_millis(1500)), "2s");
        assert_eq!(go_duration(Duration::from_millis(1499)), "1s");
    }

    #[test]
    fn times_like_go() {
        let t = datetime!(2024-03-05 07:08:09 UTC);
        assert_eq!(unix_date(t), "Tue Mar  5 07:08:09 UTC 2024");
        assert_eq!(day(t), "2024-03-05");
        assert_eq!(go_time(t), "2024-03-05 07:08:09 +0000 UTC");
        assert_eq!(rfc3339(t), "2024-03-05T07:08:09Z");
        let now = datetime!(2024-03-05 07:00:00 UTC);
        assert_eq!(process_at(Some(t), now), "in 8m9s");
        assert_eq!(process_at(Some(now), t), "right now");
        assert_eq!(next_process_at(None, now), "n/a");
        assert_eq!(next_process_at(Some(now), t), "now");
        assert_eq!(
            next_process_at(Some(t), now),
            "Tue Mar  5 07:08:09 UTC 2024 (in 8m9s)"
        );
        assert_eq!(past_time(None), "");
        assert_eq!(time_ago(now, t), "8m9s ago");
    }

    #[test]
    fn payloads_like_go() {
        assert_eq!(printable_bytes(b"{\"a\":1}"), "{\"a\":1}");
        assert_eq!(printable_bytes(b"   "), "non-printable bytes");
        assert_eq!(printable_bytes(b""), "non-printable bytes");
        assert_eq!(printable_bytes(&[0xff, 0x00]), "non-printable bytes");
        assert_eq!(printable_bytes(b"a\nb"), "non-printable bytes");
    }

    #[test]
    fn rates_sizes_lines() {
        assert_eq!(error_rate(0, 0), "N/A");
        assert_eq!(error_rate(8, 1), "12.50%");
        assert_eq!(byte_size(512), "512B");
        assert_eq!(byte_size(1536), "1.50K");
        assert_eq!(byte_size(3 * 1024 * 1024), "3.00M");
        assert_eq!(one_line("a\r\nb\n"), "a b");
    }

    #[test]
    fn table_is_borderless_with_dashes() {
        let mut t = table(["active", "pending"]);
        t.add_row(["1", "22"]);
        let mut buf = Vec::new();
        write_table(&mut buf, &mut t).unwrap();
        let s = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "active  pending");
        assert_eq!(lines[1], "------- --------");
        assert_eq!(lines[2], "1       22");
    }
}
