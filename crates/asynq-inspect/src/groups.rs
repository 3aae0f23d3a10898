//! Groups of a queue (Go `Inspector.Groups`, spec §5.7).

use crate::error::InspectError;
use crate::info::GroupInfo;
use crate::inspector::Inspector;

impl Inspector {
    /// The groups of `queue` holding aggregating tasks, with their sizes, sorted by name (Go
    /// `Inspector.Groups`, whose order is unspecified). As in Go there is no queue-name or
    /// existence check: an unknown queue has no groups.
    ///
    /// # Errors
    /// [`InspectError::Broker`] when Redis fails.
    pub async fn groups(&self, queue: &str) -> Result<Vec<GroupInfo>, InspectError> {
        let mut groups: Vec<GroupInfo> = self
            .broker
            .group_stats(queue)
            .await?
            .into_iter()
            .map(|g| GroupInfo {
                group: g.group,
                size: g.size,
            })
            .collect();
        groups.sort_by(|a, b| a.group.cmp(&b.group));
        Ok(groups)
    }
}
