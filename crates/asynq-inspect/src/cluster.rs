//! Redis Cluster layout of a queue (Go `ClusterKeySlot`, `ClusterNodes`, spec §5.17).

use crate::error::InspectError;
use crate::info::ClusterNode;
use crate::inspector::Inspector;

impl Inspector {
    /// The hash slot (0–16383) of `queue`'s keys: `CLUSTER KEYSLOT asynq:{<queue>}:pending` (Go
    /// `Inspector.ClusterKeySlot`). No queue check, as in Go.
    ///
    /// # Errors
    /// [`InspectError::Broker`], e.g. Redis's error reply when not connected to a cluster.
    pub async fn cluster_key_slot(&self, queue: &str) -> Result<i64, InspectError> {
        Ok(self.broker.cluster_key_slot(queue).await?)
    }

    /// The nodes serving `queue`'s slot, primary first then replicas, from `CLUSTER SLOTS` (Go
    /// `Inspector.ClusterNodes`). `addr` is `host:port`.
    ///
    /// # Errors
    /// [`InspectError::Broker`]: `nodes not found` when no slot range covers the slot, or Redis's
    /// error reply when not connected to a cluster.
    pub async fn cluster_nodes(&self, queue: &str) -> Result<Vec<ClusterNode>, InspectError> {
        Ok(self
            .broker
            .cluster_nodes(queue)
            .await?
            .into_iter()
            .map(|n| ClusterNode {
                id: n.id,
                addr: n.addr,
            })
            .collect())
    }
}
