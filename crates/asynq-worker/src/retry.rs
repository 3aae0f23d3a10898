//! The default retry delay (Go `DefaultRetryDelayFunc`, spec §6.8).

use std::time::Duration;

use asynq_client::Task;

use crate::handler_error::HandlerError;

/// The random term `R` of the default retry delay is uniform in `0..RETRY_JITTER_STEPS` (30,
/// Go `rand.IntN(30)`).
pub const RETRY_JITTER_STEPS: u32 = 30;

/// The default retry delay (Go `DefaultRetryDelayFunc`, Sidekiq's formula):
/// `n⁴ + 15 + R × (n + 1)` seconds, where `n` is the task's `retried` count before this failure
/// and `R` is uniform in `0..30`. So `n = 0` waits 15 to 44 s, `n = 1` 16 to 74 s, `n = 10`
/// 10,015 to 10,334 s. The error and the task are not used.
///
/// ```
/// use std::time::Duration;
/// use asynq_worker::{default_retry_delay, HandlerError, Task};
///
/// let d = default_retry_delay(1, &HandlerError::new("boom"), &Task::new("t", "p"));
/// assert!(d >= Duration::from_secs(16) && d <= Duration::from_secs(74));
/// ```
pub fn default_retry_delay(n: i32, _err: &HandlerError, _task: &Task) -> Duration {
    default_retry_delay_with(n, &mut |bound| fastrand::usize(..bound))
}

/// [`default_retry_delay`] drawing `R` from `below`, which must return a uniform value in
/// `0..bound` for the `bound` it is given (here 30). Pass a seeded generator for reproducible
/// delays.
pub fn default_retry_delay_with(n: i32, below: &mut dyn FnMut(usize) -> usize) -> Duration {
    let r = below(RETRY_JITTER_STEPS as usize) as u32;
    retry_delay_for(n, r.min(RETRY_JITTER_STEPS - 1))
}

/// The default retry delay for a given random term `r` (in `0..30`): exactly
/// `n⁴ + 15 + r × (n + 1)` seconds, clamped to zero for a negative result (only possible for a
/// negative `n`, which a real task never has).
pub fn retry_delay_for(n: i32, r: u32) -> Duration {
    let n = i128::from(n);
    let secs = n.pow(4) + 15 + i128::from(r) * (n + 1);
    Duration::from_secs(u64::try_from(secs.max(0)).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: i32, r: u32) -> u64 {
        retry_delay_for(n, r).as_secs()
    }

    #[test]
    fn formula_is_exact() {
        assert_eq!(secs(0, 0), 15);
        assert_eq!(secs(0, 29), 44);
        assert_eq!(secs(1, 0), 16);
        assert_eq!(secs(1, 29), 74);
        assert_eq!(secs(2, 7), 16 + 15 + 7 * 3);
        assert_eq!(secs(10, 0), 10_015);
        assert_eq!(secs(10, 29), 10_334);
        assert_eq!(secs(25, 3), 390_625 + 15 + 3 * 26);
        assert_eq!(secs(-3, 29), 81 + 15 - 29 * 2);
        assert_eq!(secs(-5, 29), 625 + 15 - 29 * 4);
        assert!(secs(i32::MAX, 29) > 0);
    }

    #[test]
    fn seeded_draws_cover_the_range() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut seen = [false; 30];
        for _ in 0..2_000 {
            let d = default_retry_delay_with(0, &mut |b| rng.usize(..b)).as_secs();
            assert!((15..=44).contains(&d));
            seen[(d - 15) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s), "every R in 0..30 drawn");

        let a: Vec<_> = {
            let mut rng = fastrand::Rng::with_seed(42);
            (0..20)
                .map(|n| default_retry_delay_with(n, &mut |b| rng.usize(..b)))
                .collect()
        };
        let b: Vec<_> = {
            let mut rng = fastrand::Rng::with_seed(42);
            (0..20)
                .map(|n| default_retry_delay_with(n, &mut |b| rng.usize(..b)))
                .collect()
        };
        assert_eq!(a, b, "a seed reproduces the delays");
    }

    #[test]
    fn default_uses_retried_count() {
        let e = HandlerError::new("boom");
        let t = Task::new("t", "p");
        for _ in 0..200 {
            let d = default_retry_delay(10, &e, &t).as_secs();
            assert!((10_015..=10_334).contains(&d));
        }
    }
}
