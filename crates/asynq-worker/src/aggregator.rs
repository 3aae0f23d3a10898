//! The aggregator: turns each group's tasks into one task with the user's [`GroupAggregator`]
//! (Go `aggregator.go`, spec §6.18). Runs only on a server with an aggregator set.
//!
//! Every min(7 s, `group_grace_period`) a check starts (at most 3 in flight, as in Go). A check
//! runs, for every queue of the server and every group in `asynq:{q}:groups`, the aggregation
//! check script (size, max delay, grace period); when it moves tasks into an aggregation set,
//! the set is read, the aggregator called with its tasks oldest first, the returned task
//! enqueued into the group's queue and the set deleted. Anything that goes wrong on the way
//! (Redis, an aggregator panic or `None`, a failed enqueue) leaves the set in place: the
//! recoverer returns its tasks to the group after the set's 2-minute deadline.

use std::sync::Arc;
use std::time::Duration;

use asynq_client::{Client, TaskOption};
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::hooks::GroupAggregator;
use crate::shared::{sleep_or_stop, Core};
use crate::task::task_from_message;

/// The longest interval between two checks (Go: 7 s); shorter when the grace period is.
pub(crate) const MAX_CHECK_INTERVAL: Duration = Duration::from_secs(7);

/// The most checks in flight at once (Go: 3); a tick beyond that is skipped with a warning.
pub(crate) const MAX_CONCURRENT_CHECKS: usize = 3;

/// The interval between two checks: min(7 s, grace period).
pub(crate) fn check_interval(grace_period: Duration) -> Duration {
    grace_period.min(MAX_CHECK_INTERVAL)
}

/// Starts a check every [`check_interval`] (the first after one interval) until `stop`, then
/// waits for the checks in flight.
pub(crate) async fn run(
    core: Arc<Core>,
    aggregator: Arc<dyn GroupAggregator>,
    stop: CancellationToken,
) {
    let interval = check_interval(core.config.group_grace_period);
    let client = Client::from_broker(core.broker.clone());
    let slots = Arc::new(Semaphore::new(MAX_CONCURRENT_CHECKS));
    let mut checks = JoinSet::new();
    while sleep_or_stop(&stop, interval).await {
        while checks.try_join_next().is_some() {}
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(
                "aggregator: {MAX_CONCURRENT_CHECKS} aggregation checks in flight; skipping this tick"
            );
            continue;
        };
        let t = core.now();
        let (core, aggregator, client) = (core.clone(), aggregator.clone(), client.clone());
        checks.spawn(async move {
            check(&core, &aggregator, &client, t).await;
            drop(slot);
        });
    }
    while checks.join_next().await.is_some() {}
}

/// One check at tick time `t` over every queue and group of this server.
pub(crate) async fn check(
    core: &Core,
    aggregator: &Arc<dyn GroupAggregator>,
    client: &Client,
    t: OffsetDateTime,
) {
    for qname in &core.queues {
        let groups = match core.broker.list_groups(qname).await {
            Ok(g) => g,
            Err(e) => {
                tracing::error!(queue = %qname, error = %e, "aggregator: could not list groups");
                continue;
            }
        };
        for group in groups {
            aggregate_group(core, aggregator, client, qname, &group, t).await;
        }
    }
}

/// Runs the aggregation check of one group and, when it takes tasks, aggregates them.
async fn aggregate_group(
    core: &Core,
    aggregator: &Arc<dyn GroupAggregator>,
    client: &Client,
    qname: &str,
    group: &str,
    t: OffsetDateTime,
) {
    let config = &core.config;
    let checked = core
        .broker
        .aggregation_check(
            qname,
            group,
            t,
            config.group_grace_period,
            config.group_max_delay,
            config.group_max_size,
        )
        .await;
    let set_id = match checked {
        Ok(Some(id)) => id,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(queue = %qname, group = %group, error = %e, "aggregator: aggregation check failed");
            return;
        }
    };
    let left = "the set is returned to the group after its deadline";
    let set = match core
        .broker
        .read_aggregation_set(qname, group, &set_id)
        .await
    {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(queue = %qname, group = %group, set_id = %set_id, error = %e, "aggregator: could not read the aggregation set; {left}");
            return;
        }
    };
    if !set.undecodable.is_empty() {
        for (id, e) in &set.undecodable {
            tracing::error!(task_id = %id, queue = %qname, group = %group, error = %e, "aggregator: a task of the aggregation set cannot be decoded; {left}");
        }
        return;
    }
    let tasks = set.messages.iter().map(task_from_message).collect();
    let called = {
        let (aggregator, group) = (aggregator.clone(), group.to_string());
        tokio::spawn(async move { aggregator.aggregate(&group, tasks).await }).await
    };
    let task = match called {
        Ok(Some(task)) => task,
        Ok(None) => {
            tracing::debug!(queue = %qname, group = %group, "aggregator: the aggregator returned no task; {left}");
            return;
        }
        Err(e) => {
            tracing::error!(queue = %qname, group = %group, error = %e, "aggregator: the aggregator panicked; {left}");
            return;
        }
    };
    // Go: the enqueue's context deadline is the set's deadline.
    let budget = (set.deadline - core.now())
        .try_into()
        .unwrap_or(Duration::ZERO);
    let enqueued =
        tokio::time::timeout(budget, client.enqueue(&task, &[TaskOption::queue(qname)])).await;
    match enqueued {
        Ok(Ok(info)) => {
            if let Err(e) = core
                .broker
                .delete_aggregation_set(qname, group, &set_id)
                .await
            {
                tracing::error!(queue = %qname, group = %group, set_id = %set_id, task_id = %info.id, error = %e, "aggregator: the aggregated task was enqueued but its set could not be deleted; its tasks will be aggregated again");
            }
        }
        Ok(Err(e)) => {
            tracing::error!(queue = %qname, group = %group, error = %e, "aggregator: could not enqueue the aggregated task; {left}");
        }
        Err(_) => {
            tracing::error!(queue = %qname, group = %group, "aggregator: the enqueue of the aggregated task outlived the set's deadline; {left}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_is_the_grace_period_up_to_7_s() {
        assert_eq!(check_interval(Duration::from_secs(60)), MAX_CHECK_INTERVAL);
        assert_eq!(
            check_interval(Duration::from_secs(2)),
            Duration::from_secs(2)
        );
        assert_eq!(check_interval(Duration::from_secs(7)), MAX_CHECK_INTERVAL);
    }
}
