//! The task states, as written in the `state` field of a task hash.

use std::fmt;
use std::str::FromStr;

use crate::BrokerError;

/// The state of a task. The numeric values are Go's `TaskState` constants (`Active = 1` ...
/// `Aggregating = 7`); [`TaskState::as_str`] is the lowercase name written to the hash field
/// `state` (Go `TaskState.String()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskState {
    /// Being processed by a worker (`active`).
    Active = 1,
    /// Ready to be processed (`pending`).
    Pending = 2,
    /// Waiting for its process-at time (`scheduled`).
    Scheduled = 3,
    /// Failed, waiting for its retry time (`retry`).
    Retry = 4,
    /// Failed for good and kept for inspection (`archived`).
    Archived = 5,
    /// Processed successfully and kept for its retention (`completed`).
    Completed = 6,
    /// Waiting in a group to be aggregated (`aggregating`).
    Aggregating = 7,
}

impl TaskState {
    /// Every state, in Go's numeric order.
    pub const ALL: [TaskState; 7] = [
        TaskState::Active,
        TaskState::Pending,
        TaskState::Scheduled,
        TaskState::Retry,
        TaskState::Archived,
        TaskState::Completed,
        TaskState::Aggregating,
    ];

    /// The name written to the hash field `state`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Active => "active",
            TaskState::Pending => "pending",
            TaskState::Scheduled => "scheduled",
            TaskState::Retry => "retry",
            TaskState::Archived => "archived",
            TaskState::Completed => "completed",
            TaskState::Aggregating => "aggregating",
        }
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TaskState {
    type Err = BrokerError;

    /// Parses a hash `state` value (Go `TaskStateFromString`).
    ///
    /// # Errors
    /// [`BrokerError::Decode`] for anything but the seven lowercase names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TaskState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| BrokerError::Decode {
                what: "task state".into(),
                reason: format!("{s:?} is not supported task state"),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for st in TaskState::ALL {
            assert_eq!(st.as_str().parse::<TaskState>().unwrap(), st);
        }
        assert_eq!(TaskState::Active as i32, 1);
        assert_eq!(TaskState::Aggregating as i32, 7);
        assert!("Pending".parse::<TaskState>().is_err());
    }
}
