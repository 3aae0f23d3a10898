//! [`Inspector`]: the handle, its connection, and the queue list.

use asynq_broker::{Broker, RedisConnOpt};

use crate::error::InspectError;

/// Reads and controls queues, tasks, servers, groups and cron entries (Go `asynq.Inspector`).
///
/// Cheap to clone; clones share one connection. The methods live in one module per kind of
/// operation: queue stats, listing, single-task actions, bulk actions, queue administration,
/// servers, scheduler entries and cluster layout.
#[derive(Debug, Clone)]
pub struct Inspector {
    pub(crate) broker: Broker,
}

impl Inspector {
    /// Connects to Redis (Go `NewInspector`).
    ///
    /// # Errors
    /// [`InspectError::Broker`] when Redis cannot be reached or the options are unusable.
    pub async fn connect(opt: RedisConnOpt) -> Result<Inspector, InspectError> {
        Ok(Inspector {
            broker: Broker::connect(opt).await?,
        })
    }

    /// An Inspector on an existing broker connection (Go `NewInspectorFromRedisClient`).
    pub fn from_broker(broker: Broker) -> Inspector {
        Inspector { broker }
    }

    /// The broker this Inspector uses.
    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// Closes the connection (Go `Close`).
    ///
    /// # Errors
    /// [`InspectError::Broker`] when the close could not be sent.
    pub async fn close(&self) -> Result<(), InspectError> {
        Ok(self.broker.close().await?)
    }
}

/// Checks a queue name as Go's `base.ValidateQueueName` does.
pub(crate) fn validate_queue(qname: &str) -> Result<(), InspectError> {
    asynq_broker::keys::validate_queue_name(qname).map_err(InspectError::from)
}
