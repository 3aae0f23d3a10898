//! The health checker: pings Redis and reports the result to `health_check_func` (Go
//! `healthcheck.go`, spec §6.14).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::hooks::HealthCheckFn;
use crate::shared::{sleep_or_stop, Core};

/// Every `health_check_interval` until `stop`: `PING`, then `check(None)` or `check(Some(err))`.
pub(crate) async fn run(core: Arc<Core>, check: HealthCheckFn, stop: CancellationToken) {
    while sleep_or_stop(&stop, core.config.health_check_interval).await {
        let res = tokio::select! {
            _ = stop.cancelled() => return,
            r = core.broker.ping() => r,
        };
        check(res.as_ref().err());
    }
}
