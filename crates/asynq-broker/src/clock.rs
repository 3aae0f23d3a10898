//! The source of every "now" the broker writes to Redis.
//!
//! All times on the wire come from the clock of the process that calls Redis, never from Redis
//! `TIME` (spec §0.3). Tests use [`ManualClock`] to move time.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;

/// A source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current wall-clock time.
    fn now(&self) -> OffsetDateTime;
}

/// The system wall clock (`OffsetDateTime::now_utc`). The default.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until told to move; for tests. Clones share one time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<OffsetDateTime>>,
}

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: OffsetDateTime) -> ManualClock {
        ManualClock {
            now: Arc::new(Mutex::new(now)),
        }
    }

    /// Sets the time.
    pub fn set(&self, now: OffsetDateTime) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }

    /// Moves the time forward by `d`.
    pub fn advance(&self, d: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The system clock shifted by a fixed offset: a process whose clock runs ahead of (or behind)
/// the others. For tests of clock skew, such as a recoverer that must not take over a lease
/// another worker still holds.
#[derive(Debug, Clone, Copy)]
pub struct OffsetClock {
    offset: time::Duration,
}

impl OffsetClock {
    /// A clock showing the system time plus `offset` (negative: behind).
    pub fn new(offset: time::Duration) -> OffsetClock {
        OffsetClock { offset }
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.offset
    }
}

/// Unix seconds of `t` (whole seconds, truncated toward negative infinity like Go's `Unix()`).
pub fn unix_seconds(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

/// Unix nanoseconds of `t` (Go `UnixNano()`), as written to the `pending_since` hash field.
pub fn unix_nanos(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}
