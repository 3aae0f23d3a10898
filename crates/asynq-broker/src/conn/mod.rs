//! Redis connection options (placeholder: single node only; replaced by the full version).

use crate::error::{BrokerError, Result};

/// Where and how to connect to Redis.
#[derive(Debug, Clone)]
pub struct RedisConnOpt {
    url: String,
}

impl RedisConnOpt {
    /// Parses a `redis://` URI.
    ///
    /// # Errors
    /// [`BrokerError::InvalidUri`] when the URI cannot be parsed.
    pub fn parse_uri(uri: &str) -> Result<RedisConnOpt> {
        fred::types::config::Config::from_url(uri).map_err(|e| BrokerError::InvalidUri(e.to_string()))?;
        Ok(RedisConnOpt { url: uri.to_string() })
    }

    /// True when this is a Redis Cluster deployment.
    pub fn is_cluster(&self) -> bool {
        false
    }
}

/// Opens a connected fred client with a reconnect policy.
pub(crate) async fn connect(opt: &RedisConnOpt) -> Result<fred::clients::Client> {
    use fred::prelude::*;
    let config = Config::from_url(&opt.url)?;
    let client = Builder::from_config(config)
        .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
        .build()?;
    client.init().await?;
    Ok(client)
}
