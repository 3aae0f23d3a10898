//! Parsing of Go's option strings back into [`TaskOption`]s (Go `inspector.go, parseOption`,
//! spec §6.24.7). Scheduler entries store each option in its `String()` form; the Inspector
//! reads them back with this parser.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::option::TaskOption;

/// Why an option string could not be parsed (Go's `parseOption` error; where Go panics, on a
/// string without `(`, this is an error too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptionError {
    /// The string that was parsed.
    pub input: String,
    /// What was wrong with it.
    pub reason: String,
}

impl fmt::Display for ParseOptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot parse option string {:?}: {}",
            self.input, self.reason
        )
    }
}

impl std::error::Error for ParseOptionError {}

impl FromStr for TaskOption {
    type Err = ParseOptionError;

    /// Parses Go's `Option.String()` form, the inverse of [`TaskOption`]'s `Display`:
    /// `MaxRetry(3)`, `Queue("critical")`, `TaskID("id")`, `Timeout(1m30s)`,
    /// `Deadline(Fri Jan  2 15:04:05 UTC 2026)`, `Unique(1h0m0s)`, `ProcessAt(<UnixDate>)`,
    /// `ProcessIn(5m0s)`, `Retention(24h0m0s)`, `Group("g")`, `Header(["k","v"])`.
    ///
    /// The name is the text before the first `(`. The argument is the text between that `(` and
    /// a final `)`; when the string does not end with `)`, it is the text up to the first `)`,
    /// as in Go (so Go's strings parse the same, and a quoted argument holding `)` still
    /// round-trips). Strings are unquoted like Go `strconv.Unquote`, durations parsed like
    /// `time.ParseDuration` (negative durations are refused: a `Duration` is unsigned) and times
    /// like `time.Parse(time.UnixDate, ...)`: the weekday name is checked for syntax only, `UTC`
    /// is UTC and any other zone abbreviation is read as offset 0; unlike Go, a time whose UTC
    /// date falls outside years 0000 to 9999 (`GMT+1` on 0000-01-01, `GMT-5` on 9999-12-31) is
    /// refused, as its string form could not be parsed back.
    ///
    /// Go v0.26's Inspector drops `TaskID`, `Group` and `Header` options; this parser keeps
    /// them (Go master parses `Header` too).
    ///
    /// # Errors
    /// [`ParseOptionError`] for a string without `(`, an unknown name or a bad argument.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| ParseOptionError {
            input: s.to_string(),
            reason,
        };
        let open = s
            .find('(')
            .ok_or_else(|| err("no \"(\" in option string".into()))?;
        let name = &s[..open];
        let rest = &s[open + 1..];
        let arg = match rest.strip_suffix(')') {
            Some(a) => a,
            None => rest.find(')').map_or("", |j| &rest[..j]),
        };
        let opt = match name {
            "Queue" => TaskOption::Queue(unquote(arg).map_err(err)?),
            "TaskID" => TaskOption::TaskId(unquote(arg).map_err(err)?),
            "Group" => TaskOption::Group(unquote(arg).map_err(err)?),
            "MaxRetry" => TaskOption::MaxRetry(parse_int(arg).map_err(err)?),
            "Timeout" => TaskOption::Timeout(parse_duration(arg).map_err(err)?),
            "Unique" => TaskOption::Unique(parse_duration(arg).map_err(err)?),
            "ProcessIn" => TaskOption::ProcessIn(parse_duration(arg).map_err(err)?),
            "Retention" => TaskOption::Retention(parse_duration(arg).map_err(err)?),
            "Deadline" => TaskOption::Deadline(parse_unix_date(arg).map_err(err)?),
            "ProcessAt" => TaskOption::ProcessAt(parse_unix_date(arg).map_err(err)?),
            "Header" => {
                let kv: Vec<String> = serde_json::from_str(arg)
                    .map_err(|e| err(format!("header is not a JSON array of strings: {e}")))?;
                let [k, v] = <[String; 2]>::try_from(kv)
                    .map_err(|_| err("header must hold exactly a key and a value".into()))?;
                TaskOption::Header(k, v)
            }
            other => return Err(err(format!("unknown option {other:?}"))),
        };
        Ok(opt)
    }
}

/// Go `strconv.Atoi` into an `i32`.
fn parse_int(s: &str) -> Result<i32, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{s:?} is not an integer"));
    }
    let n: i64 = s
        .trim_start_matches('+')
        .parse()
        .map_err(|_| format!("{s:?} is out of range"))?;
    i32::try_from(n).map_err(|_| format!("{s:?} is out of range"))
}

/// Go `strconv.Unquote` for double-quoted and back-quoted strings.
fn unquote(s: &str) -> Result<String, String> {
    if let Some(raw) = s.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
        if raw.contains('`') || raw.contains('\r') {
            return Err(format!("invalid raw string {s:?}"));
        }
        return Ok(raw.to_string());
    }
    let inner = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .filter(|_| s.len() >= 2)
        .ok_or_else(|| format!("{s:?} is not a quoted string"))?;
    let bad = || format!("invalid quoted string {s:?}");
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\n' => return Err(bad()),
            '\\' => {
                let e = chars.next().ok_or_else(bad)?;
                let simple = match e {
                    'a' => Some('\u{7}'),
                    'b' => Some('\u{8}'),
                    'f' => Some('\u{c}'),
                    'n' => Some('\n'),
                    'r' => Some('\r'),
                    't' => Some('\t'),
                    'v' => Some('\u{b}'),
                    '\\' => Some('\\'),
                    '"' => Some('"'),
                    _ => None,
                };
                if let Some(c) = simple {
                    out.push(c);
                    continue;
                }
                let (radix, len) = match e {
                    'x' => (16, 2),
                    'u' => (16, 4),
                    'U' => (16, 8),
                    '0'..='7' => (8, 2),
                    _ => return Err(bad()),
                };
                let mut digits = String::new();
                if radix == 8 {
                    digits.push(e);
                }
                for _ in 0..len {
                    let d = chars.next().ok_or_else(bad)?;
                    // Digits only: `from_str_radix` would also take a leading `+`.
                    if !d.is_digit(radix) {
                        return Err(bad());
                    }
                    digits.push(d);
                }
                let v = u32::from_str_radix(&digits, radix).map_err(|_| bad())?;
                if e == 'x' || radix == 8 {
                    // A byte value; Go allows arbitrary bytes here, a Rust string only ASCII.
                    if v > 0x7f {
                        return Err(format!("non-UTF-8 byte escape in {s:?}"));
                    }
                }
                out.push(char::from_u32(v).ok_or_else(bad)?);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Go `time.ParseDuration`, refusing negative values.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {s:?}");
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &rest[..int_len];
        rest = &rest[int_len..];
        let mut frac_part = "";
        if let Some(r) = rest.strip_prefix('.') {
            let n = r.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &r[..n];
            rest = &r[n..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(bad());
        }
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(rest.len(), |(i, _)| i);
        let unit: u128 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("missing unit in duration {s:?}")),
            u => return Err(format!("unknown unit {u:?} in duration {s:?}")),
        };
        rest = &rest[unit_len..];
        let whole: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| bad())?
        };
        let mut nanos = whole.checked_mul(unit).ok_or_else(bad)?;
        if !frac_part.is_empty() {
            // Fraction × unit, truncated like Go (at most 9 digits matter for whole ns... keep
            // enough digits for the largest unit).
            let digits = &frac_part[..frac_part.len().min(24)];
            let scale = 10u128.pow(u32::try_from(digits.len()).map_err(|_| bad())?);
            let frac: u128 = digits.parse().map_err(|_| bad())?;
            nanos = nanos
                .checked_add(frac.checked_mul(unit).ok_or_else(bad)? / scale)
                .ok_or_else(bad)?;
        }
        total = total.checked_add(nanos).ok_or_else(bad)?;
    }
    if total > i64::MAX as u128 {
        return Err(format!("duration {s:?} out of range"));
    }
    if neg && total != 0 {
        return Err(format!("negative duration {s:?}"));
    }
    Ok(Duration::from_nanos(total as u64))
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A cursor over the value being parsed as a time.
struct Cursor<'a>(&'a str);

impl<'a> Cursor<'a> {
    fn literal(&mut self, lit: &str) -> Option<()> {
        self.0 = self.0.strip_prefix(lit)?;
        Some(())
    }

    fn name(&mut self, names: &[&str]) -> Option<usize> {
        let head = self.0.get(..3)?;
        let i = names.iter().position(|n| n.eq_ignore_ascii_case(head))?;
        self.0 = &self.0[3..];
        Some(i)
    }

    /// 1 or 2 digits (exactly 2 when `fixed`).
    fn num(&mut self, fixed: bool) -> Option<u8> {
        let n = self
            .0
            .bytes()
            .take(2)
            .take_while(u8::is_ascii_digit)
            .count();
        if n == 0 || (fixed && n != 2) {
            return None;
        }
        let v = self.0[..n].parse().ok()?;
        self.0 = &self.0[n..];
        Some(v)
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let n = self.0.find(|c: char| !f(c)).unwrap_or(self.0.len());
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        head
    }
}

/// Go `time.Parse(time.UnixDate, s)`: `Mon Jan _2 15:04:05 MST 2006`.
fn parse_unix_date(s: &str) -> Result<OffsetDateTime, String> {
    let bad = || format!("cannot parse {s:?} as \"Mon Jan _2 15:04:05 MST 2006\"");
    let mut c = Cursor(s);
    c.name(&WEEKDAYS).ok_or_else(bad)?;
    c.literal(" ").ok_or_else(bad)?;
    let month = c.name(&MONTHS).ok_or_else(bad)?;
    c.literal(" ").ok_or_else(bad)?;
    let _ = c.literal(" ");
    let day = c.num(false).ok_or_else(bad)?;
    c.literal(" ").ok_or_else(bad)?;
    let hour = c.num(false).ok_or_else(bad)?;
    c.literal(":").ok_or_else(bad)?;
    let minute = c.num(true).ok_or_else(bad)?;
    c.literal(":").ok_or_else(bad)?;
    let second = c.num(true).ok_or_else(bad)?;
    let mut nanos = 0u32;
    if c.literal(".").is_some() || c.literal(",").is_some() {
        let frac = c.take_while(|ch| ch.is_ascii_digit());
        if frac.is_empty() {
            return Err(bad());
        }
        let digits = &frac[..frac.len().min(9)];
        nanos = format!("{digits:0<9}").parse().map_err(|_| bad())?;
    }
    c.literal(" ").ok_or_else(bad)?;
    let zone = c.take_while(|ch| ch.is_ascii_alphanumeric() || ch == '+' || ch == '-');
    let offset = zone_offset(zone).ok_or_else(bad)?;
    c.literal(" ").ok_or_else(bad)?;
    let year = c.take_while(|ch| ch.is_ascii_digit());
    if year.len() != 4 || !c.0.is_empty() {
        return Err(bad());
    }
    let year: i32 = year.parse().map_err(|_| bad())?;
    let month = Month::try_from(u8::try_from(month + 1).map_err(|_| bad())?).map_err(|_| bad())?;
    let date = Date::from_calendar_date(year, month, day)
        .map_err(|_| format!("day out of range in {s:?}"))?;
    let time = Time::from_hms_nano(hour, minute, second, nanos)
        .map_err(|_| format!("time out of range in {s:?}"))?;
    // `checked_to_offset`: a zone offset can move the UTC date past year 9999, which
    // `to_offset` would panic on. A UTC year outside 0000..=9999 is refused too: its string form
    // (4-digit year) could not be parsed back.
    PrimitiveDateTime::new(date, time)
        .assume_offset(offset)
        .checked_to_offset(UtcOffset::UTC)
        .filter(|t| (0..=9999).contains(&t.year()))
        .ok_or_else(|| format!("time in UTC outside years 0000 to 9999 in {s:?}"))
}

/// The offset of a zone abbreviation: `UTC` and other 3–5 letter abbreviations → 0 (Go uses
/// the local zone's offset when it has that abbreviation, else 0), `GMT+h` / `GMT-h` → ±h hours.
fn zone_offset(zone: &str) -> Option<UtcOffset> {
    if zone == "UTC" {
        return Some(UtcOffset::UTC);
    }
    if let Some(rest) = zone.strip_prefix("GMT") {
        if rest.is_empty() {
            return Some(UtcOffset::UTC);
        }
        let sign: i8 = match rest.as_bytes().first() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return None,
        };
        let hours: i8 = rest[1..].parse().ok()?;
        if !(-23..=23).contains(&hours) {
            return None;
        }
        return UtcOffset::from_hms(sign * hours, 0, 0).ok();
    }
    let letters_ok = (3..=5).contains(&zone.len()) && zone.bytes().all(|b| b.is_ascii_uppercase());
    let special = zone == "ChST" || zone == "MeST";
    (letters_ok || special).then_some(UtcOffset::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn parse(s: &str) -> TaskOption {
        s.parse()
            .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    #[test]
    fn parses_go_option_strings() {
        assert_eq!(parse("MaxRetry(3)"), TaskOption::MaxRetry(3));
        assert_eq!(parse("MaxRetry(-1)"), TaskOption::MaxRetry(-1));
        assert_eq!(parse("Queue(\"critical\")"), TaskOption::queue("critical"));
        assert_eq!(
            parse("Timeout(1m30s)"),
            TaskOption::timeout(Duration::from_secs(90))
        );
        assert_eq!(
            parse("Unique(1m0s)"),
            TaskOption::unique(Duration::from_secs(60))
        );
        assert_eq!(
            parse("ProcessIn(1.5s)"),
            TaskOption::process_in(Duration::from_millis(1500))
        );
        assert_eq!(
            parse("Retention(24h0m0s)"),
            TaskOption::retention(Duration::from_secs(86400))
        );
        assert_eq!(
            parse("Deadline(Fri Jan  2 15:04:05 UTC 2026)"),
            TaskOption::deadline(datetime!(2026-01-02 15:04:05 UTC))
        );
        assert_eq!(
            parse("ProcessAt(Mon Jan 12 15:04:05 UTC 2026)"),
            TaskOption::process_at(datetime!(2026-01-12 15:04:05 UTC))
        );
        assert_eq!(parse("TaskID(\"abc\")"), TaskOption::task_id("abc"));
        assert_eq!(parse("Group(\"g\")"), TaskOption::group("g"));
        assert_eq!(parse("Header([\"k\",\"v\"])"), TaskOption::header("k", "v"));
    }

    #[test]
    fn weekday_is_not_checked() {
        assert_eq!(
            parse("Deadline(Mon Jan  2 15:04:05 UTC 2026)"),
            TaskOption::deadline(datetime!(2026-01-02 15:04:05 UTC))
        );
        // One space before a one-digit day is accepted too, as by Go.
        assert_eq!(
            parse("Deadline(Fri Jan 2 15:04:05 UTC 2026)"),
            TaskOption::deadline(datetime!(2026-01-02 15:04:05 UTC))
        );
        // Other zone abbreviations read as offset 0.
        assert_eq!(
            parse("Deadline(Fri Jan  2 15:04:05 PST 2026)"),
            TaskOption::deadline(datetime!(2026-01-02 15:04:05 UTC))
        );
    }

    #[test]
    fn durations_like_go_parse_duration() {
        let cases = [
            ("0", Duration::ZERO),
            ("0s", Duration::ZERO),
            ("-0s", Duration::ZERO),
            ("1ns", Duration::from_nanos(1)),
            ("1µs", Duration::from_micros(1)),
            ("1μs", Duration::from_micros(1)),
            ("1us", Duration::from_micros(1)),
            ("500ms", Duration::from_millis(500)),
            ("1.5ms", Duration::from_micros(1500)),
            ("1h2m3.5s", Duration::new(3723, 500_000_000)),
            ("2.000000001s", Duration::new(2, 1)),
            (".5s", Duration::from_millis(500)),
            ("1.s", Duration::from_secs(1)),
            ("1h1h", Duration::from_secs(7200)),
        ];
        for (s, want) in cases {
            assert_eq!(parse_duration(s), Ok(want), "{s}");
        }
        for s in ["", "1", "s", "1x", "-1s", "1.5", ".s", "9999999999h"] {
            assert!(parse_duration(s).is_err(), "{s:?} should fail");
        }
    }

    #[test]
    fn bad_strings_are_errors_not_panics() {
        for s in [
            "",
            "MaxRetry",
            "Queue",
            "MaxRetry(x)",
            "MaxRetry(99999999999)",
            "MaxRetry()",
            "Queue(critical)",
            "Queue(\"a)",
            "Timeout(1x)",
            "Timeout(-5s)",
            "Deadline(2026-01-02)",
            "Deadline(Fri Feb 30 15:04:05 UTC 2026)",
            "Deadline(Fri Jan  2 25:04:05 UTC 2026)",
            "Deadline(Fri Jan  2 15:04:05 UTC 26)",
            "Header([\"k\"])",
            "Header({})",
            "Unknown(1)",
            "(",
            "ü(",
        ] {
            let r = s.parse::<TaskOption>();
            assert!(r.is_err(), "{s:?} should not parse: {r:?}");
        }
        let e = "Retry".parse::<TaskOption>().unwrap_err();
        assert_eq!(e.input, "Retry");
        assert!(e.to_string().contains("\"Retry\""));
    }

    #[test]
    fn go_argument_rule_without_final_paren() {
        // Go takes the argument up to the first ")".
        assert_eq!(parse("MaxRetry(3) "), TaskOption::MaxRetry(3));
        assert_eq!(
            parse("Queue(\"q\")x"),
            TaskOption::queue("q"),
            "text after the first ) is ignored when the string does not end with )"
        );
    }

    #[test]
    fn unquotes_like_go() {
        assert_eq!(unquote(r#""a\"b\\c\n\t""#).unwrap(), "a\"b\\c\n\t");
        assert_eq!(unquote(r#""\x41\u00e9\U0001F600\101""#).unwrap(), "Aé😀A");
        assert_eq!(unquote("`raw\\n`").unwrap(), "raw\\n");
        assert!(unquote("\"a\"b\"").is_err());
        assert!(unquote("\"\\q\"").is_err());
        assert!(unquote("\"").is_err());
        // Escapes take hex digits only, as in Go (`from_str_radix` alone accepts a `+`).
        assert!(unquote(r#""\u+0e9""#).is_err());
        assert!(unquote(r#""\x+1""#).is_err());
        assert!(unquote(r#""\U+001F600""#).is_err());
    }

    #[test]
    fn zone_offsets_past_year_9999_are_errors_not_panics() {
        // 9999-12-31 23:00 at UTC-5 is in year 10000 in UTC: `to_offset` panicked.
        for s in [
            "Deadline(Fri Dec 31 23:00:00 GMT-5 9999)",
            "ProcessAt(Fri Dec 31 23:00:00 GMT-5 9999)",
            // Year -1 in UTC: its Display form ("... UTC -0001") would not parse back.
            "Deadline(Sat Jan  1 00:00:00 GMT+1 0000)",
        ] {
            let r = s.parse::<TaskOption>();
            assert!(r.is_err(), "{s:?}: {r:?}");
        }
        assert_eq!(
            parse("Deadline(Fri Dec 31 18:00:00 GMT-5 9999)"),
            TaskOption::deadline(datetime!(9999-12-31 23:00:00 UTC))
        );
    }

    #[test]
    fn display_round_trips() {
        let opts = [
            TaskOption::max_retry(0),
            TaskOption::max_retry(i32::MAX),
            TaskOption::max_retry(i32::MIN),
            TaskOption::queue("crit\"ical"),
            TaskOption::queue("a)b(c"),
            TaskOption::queue("tab\there\u{1}\u{7f}\u{85}ünï"),
            TaskOption::queue(""),
            TaskOption::task_id("id:1"),
            TaskOption::timeout(Duration::ZERO),
            TaskOption::timeout(Duration::from_secs(90)),
            TaskOption::timeout(Duration::new(3723, 500_000_000)),
            TaskOption::unique(Duration::from_nanos(1)),
            TaskOption::unique(Duration::from_micros(1500)),
            TaskOption::process_in(Duration::from_secs(1800)),
            TaskOption::retention(Duration::from_secs(86400 * 30)),
            TaskOption::deadline(datetime!(2026-01-02 15:04:05 UTC)),
            TaskOption::deadline(datetime!(2026-11-22 23:59:59 +05:00)),
            TaskOption::process_at(datetime!(1999-12-31 00:00:00 UTC)),
            // Years under 1000 print with 4 digits, as Go's, so they parse back.
            TaskOption::process_at(datetime!(0999-12-31 00:00:00 UTC)),
            TaskOption::deadline(datetime!(0000-01-01 00:00:00 UTC)),
            TaskOption::group("g)"),
            TaskOption::header("k", "v\")<&>"),
            TaskOption::header("", ""),
        ];
        for opt in opts {
            let s = opt.to_string();
            let back: TaskOption = s
                .parse()
                .unwrap_or_else(|e| panic!("{s:?} does not parse back: {e}"));
            let want = match opt {
                TaskOption::Deadline(t) => TaskOption::Deadline(t.to_offset(UtcOffset::UTC)),
                other => other,
            };
            assert_eq!(back, want, "{s}");
        }
    }
}
