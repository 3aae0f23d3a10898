//! Which queues a dequeue tries, in which order (Go `processor.go`: `queues`,
//! `normalizeQueues`, `sortByPriority`, `uniq`; spec §6.2).

use std::borrow::Cow;
use std::collections::HashMap;

/// The order in which a server tries its queues on each dequeue.
///
/// Built once from the (normalised) queue configuration, whose priorities are first divided by
/// their greatest common divisor (Go `normalizeQueues`):
///
/// * one queue: always that queue;
/// * strict priority: highest priority first, computed once (Go `sortByPriority`); ties, which
///   Go leaves in random map order, are ordered by name here;
/// * weighted (the default): on every call, a list holding each queue as many times as its
///   priority is shuffled uniformly (Fisher–Yates) and reduced to the first appearance of each
///   name (Go `uniq`). A queue comes first with probability `priority / sum of priorities`, so
///   `{critical: 6, default: 3, low: 1}` leads with `critical` 60 % of the time. The work per
///   call grows with the sum of the normalised priorities, as in Go.
///
/// ```
/// use std::collections::HashMap;
/// use asynq_worker::QueueSelector;
///
/// let queues = HashMap::from([("critical".to_string(), 6), ("default".to_string(), 3), ("low".to_string(), 1)]);
/// let strict = QueueSelector::new(&queues, true);
/// assert_eq!(&*strict.order(), ["critical", "default", "low"]);
///
/// let weighted = QueueSelector::new(&queues, false);
/// let order = weighted.order(); // e.g. ["default", "critical", "low"]
/// assert_eq!(order.len(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct QueueSelector {
    /// Queue names, sorted by name.
    names: Vec<String>,
    /// Normalised priority of `names[i]`.
    priorities: Vec<usize>,
    /// The fixed order in strict-priority mode.
    strict: Option<Vec<String>>,
}

impl QueueSelector {
    /// A selector for `queues` (name → priority), strict or weighted. Entries with a priority
    /// of 0 or less are ignored, as Go's server does (normally [`Config::normalize`] has dropped
    /// them already); with no queue left every order is empty.
    ///
    /// [`Config::normalize`]: crate::Config::normalize
    pub fn new(queues: &HashMap<String, i32>, strict_priority: bool) -> QueueSelector {
        let valid: HashMap<String, i32> = queues
            .iter()
            .filter(|(_, &p)| p > 0)
            .map(|(q, &p)| (q.clone(), p))
            .collect();
        let normalized = normalize_priorities(&valid);
        let mut pairs: Vec<(String, usize)> = normalized
            .into_iter()
            .map(|(q, p)| (q, usize::try_from(p).unwrap_or(1)))
            .collect();
        pairs.sort();
        let strict = strict_priority.then(|| sort_by_priority(&valid));
        let (names, priorities) = pairs.into_iter().unzip();
        QueueSelector {
            names,
            priorities,
            strict,
        }
    }

    /// The queue names, sorted by name.
    pub fn queue_names(&self) -> &[String] {
        &self.names
    }

    /// Whether the order is fixed by priority (Go `StrictPriority`).
    pub fn is_strict(&self) -> bool {
        self.strict.is_some()
    }

    /// The order for the next dequeue (Go `processor.queues()`), using a thread-local random
    /// generator in weighted mode.
    pub fn order(&self) -> Cow<'_, [String]> {
        self.order_with(&mut |bound| fastrand::usize(..bound))
    }

    /// [`QueueSelector::order`] drawing randomness from `below`, which must return a uniform
    /// value in `0..bound` for the `bound` it is given. Pass a seeded generator for a
    /// reproducible order.
    pub fn order_with(&self, below: &mut dyn FnMut(usize) -> usize) -> Cow<'_, [String]> {
        if self.names.len() <= 1 {
            return Cow::Borrowed(&self.names);
        }
        if let Some(strict) = &self.strict {
            return Cow::Borrowed(strict);
        }
        let mut expanded: Vec<usize> = Vec::with_capacity(self.priorities.iter().sum());
        for (i, &p) in self.priorities.iter().enumerate() {
            expanded.extend(std::iter::repeat_n(i, p));
        }
        shuffle(&mut expanded, below);
        Cow::Owned(
            uniq(&expanded, self.names.len())
                .into_iter()
                .map(|i| self.names[i].clone())
                .collect(),
        )
    }
}

/// Fisher–Yates, as Go's `rand.Shuffle`: for `i` from the end down to 1, swap `i` with a
/// uniform `j` in `0..=i`.
fn shuffle(xs: &mut [usize], below: &mut dyn FnMut(usize) -> usize) {
    for i in (1..xs.len()).rev() {
        let j = below(i + 1).min(i);
        xs.swap(i, j);
    }
}

/// The first `l` distinct values of `xs`, in order of first appearance (Go `uniq`).
fn uniq(xs: &[usize], l: usize) -> Vec<usize> {
    let mut res = Vec::with_capacity(l);
    for &x in xs {
        if !res.contains(&x) {
            res.push(x);
        }
        if res.len() == l {
            break;
        }
    }
    res
}

/// Divides every priority by the greatest common divisor of all of them (Go
/// `normalizeQueues`): `{a: 6, b: 3}` becomes `{a: 2, b: 1}`. Priorities must be positive.
pub fn normalize_priorities(queues: &HashMap<String, i32>) -> HashMap<String, i32> {
    let d = gcd(queues.values().copied());
    queues.iter().map(|(q, &p)| (q.clone(), p / d)).collect()
}

/// Queue names by priority, highest first (Go `sortByPriority`); equal priorities by name.
pub fn sort_by_priority(queues: &HashMap<String, i32>) -> Vec<String> {
    let mut pairs: Vec<(&String, i32)> = queues.iter().map(|(q, &p)| (q, p)).collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    pairs.into_iter().map(|(q, _)| q.clone()).collect()
}

/// Greatest common divisor of positive numbers; 1 for none.
fn gcd(xs: impl IntoIterator<Item = i32>) -> i32 {
    let mut res = 0;
    for x in xs {
        let (mut a, mut b) = (x, res);
        while b > 0 {
            (a, b) = (b, a % b);
        }
        res = a;
        if res == 1 {
            return 1;
        }
    }
    res.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, i32)]) -> HashMap<String, i32> {
        pairs.iter().map(|&(q, p)| (q.to_string(), p)).collect()
    }

    #[test]
    fn gcd_and_normalize() {
        assert_eq!(gcd([6, 3, 9]), 3);
        assert_eq!(gcd([4, 6]), 2);
        assert_eq!(gcd([7]), 7);
        assert_eq!(gcd([5, 1]), 1);
        assert_eq!(gcd([]), 1);
        assert_eq!(
            normalize_priorities(&cfg(&[("a", 6), ("b", 3), ("c", 9)])),
            cfg(&[("a", 2), ("b", 1), ("c", 3)])
        );
        assert_eq!(
            normalize_priorities(&cfg(&[("a", 5), ("b", 2)])),
            cfg(&[("a", 5), ("b", 2)])
        );
    }

    #[test]
    fn uniq_keeps_first_appearance() {
        assert_eq!(uniq(&[2, 2, 0, 2, 1, 0], 3), [2, 0, 1]);
        assert_eq!(uniq(&[1, 1, 1], 2), [1]);
    }

    #[test]
    fn strict_order_is_by_priority() {
        let s = QueueSelector::new(
            &cfg(&[("low", 1), ("critical", 6), ("default", 3), ("zero", 0)]),
            true,
        );
        assert!(s.is_strict());
        for _ in 0..10 {
            assert_eq!(&*s.order(), ["critical", "default", "low"]);
        }
        assert_eq!(
            sort_by_priority(&cfg(&[("b", 2), ("a", 2), ("c", 5)])),
            ["c", "a", "b"]
        );
    }

    #[test]
    fn single_and_empty() {
        let s = QueueSelector::new(&cfg(&[("only", 4)]), false);
        assert_eq!(&*s.order(), ["only"]);
        assert!(matches!(s.order(), Cow::Borrowed(_)));
        let s = QueueSelector::new(&cfg(&[("neg", -1)]), false);
        assert!(s.order().is_empty());
    }

    #[test]
    fn weighted_shares_are_60_30_10() {
        let s = QueueSelector::new(&cfg(&[("critical", 6), ("default", 3), ("low", 1)]), false);
        let mut rng = fastrand::Rng::with_seed(2024);
        let draws = 10_000;
        let mut first: HashMap<String, usize> = HashMap::new();
        for _ in 0..draws {
            let order = s.order_with(&mut |b| rng.usize(..b));
            let mut sorted = order.to_vec();
            sorted.sort();
            assert_eq!(sorted, ["critical", "default", "low"], "each queue once");
            *first.entry(order[0].clone()).or_default() += 1;
        }
        for (q, want) in [("critical", 0.60), ("default", 0.30), ("low", 0.10)] {
            let got = first[q] as f64 / draws as f64;
            assert!((got - want).abs() <= 0.05, "{q}: {got} vs {want}");
        }
    }

    #[test]
    fn weighted_shares_with_the_thread_rng() {
        let s = QueueSelector::new(&cfg(&[("a", 60), ("b", 30), ("c", 10)]), false);
        let draws = 10_000;
        let a_first = (0..draws).filter(|_| s.order()[0] == "a").count();
        let got = a_first as f64 / draws as f64;
        assert!((got - 0.6).abs() <= 0.05, "{got}");
    }

    #[test]
    fn weighted_order_follows_go_algorithm() {
        // names sorted: a (2), b (1) → expanded [a, a, b]; a generator always answering 0 swaps
        // i with 0 for i = 2, 1: [b, a, a] then [a, b, a] → order [a, b].
        let s = QueueSelector::new(&cfg(&[("b", 1), ("a", 2)]), false);
        assert_eq!(&*s.order_with(&mut |_| 0), ["a", "b"]);
        // answering i (no swaps) keeps [a, a, b].
        assert_eq!(&*s.order_with(&mut |b| b - 1), ["a", "b"]);
        let s = QueueSelector::new(&cfg(&[("b", 2), ("a", 4)]), false); // normalised 1 : 2
        assert_eq!(s.queue_names(), ["a", "b"]);
        assert_eq!(&*s.order_with(&mut |_| 0), ["a", "b"]);

        let mut rng = fastrand::Rng::with_seed(9);
        let one: Vec<_> = (0..5)
            .map(|_| s.order_with(&mut |b| rng.usize(..b)).to_vec())
            .collect();
        let mut rng = fastrand::Rng::with_seed(9);
        let two: Vec<_> = (0..5)
            .map(|_| s.order_with(&mut |b| rng.usize(..b)).to_vec())
            .collect();
        assert_eq!(one, two, "a seed reproduces the order");
    }
}
