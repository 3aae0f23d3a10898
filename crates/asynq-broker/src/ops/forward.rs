//! ForwardIfReady (spec §4.15) and DeleteExpiredCompletedTasks live next door in `janitor`.

use crate::broker::{int, text, Broker};
use crate::clock::unix_nanos;
use crate::error::Result;
use crate::{keys, scripts};

impl Broker {
    /// Moves every due task (score ≤ now) of `scheduled` and then of `retry` of each queue to
    /// `pending` (`state = pending`, `pending_since` = now in ns), or back into its group when
    /// the hash has a non-empty `group` field (`state = aggregating`, score now, and the group
    /// name added to `asynq:{q}:groups`, which Go omits: quirk Q4) (Go
    /// `RDB.ForwardIfReady`). Runs the script in batches of 100 until nothing is due.
    ///
    /// Returns the number of tasks moved.
    ///
    /// # Errors
    /// Redis errors; tasks moved before the error stay moved.
    pub async fn forward_if_ready(&self, queues: &[String]) -> Result<u64> {
        let mut moved = 0u64;
        for qname in queues {
            for src in [keys::scheduled_key(qname), keys::retry_key(qname)] {
                loop {
                    let now = self.now();
                    let keys = vec![
                        src.clone(),
                        keys::pending_key(qname),
                        keys::all_groups_key(qname),
                    ];
                    let args = vec![
                        int(now.unix_timestamp()),
                        text(&keys::task_key_prefix(qname)),
                        int(unix_nanos(now)),
                        text(&keys::group_key_prefix(qname)),
                    ];
                    let n: u64 = self.eval(&scripts::FORWARD, keys, args).await?;
                    moved += n;
                    if n == 0 {
                        break;
                    }
                }
            }
        }
        Ok(moved)
    }
}
