//! The ResultWriter of a broker-backed TaskContext against a real Redis node.

use std::sync::Arc;
use std::time::Duration;

use asynq_broker::{Broker, ManualClock, RedisConnOpt};
use asynq_test_support::RedisNode;
use asynq_worker::{CancelReason, TaskContext, TaskMetadata, WorkerError};
use time::OffsetDateTime;

fn meta(id: &str) -> TaskMetadata {
    TaskMetadata {
        id: id.into(),
        queue: "default".into(),
        retry_count: 0,
        max_retry: 25,
    }
}

#[tokio::test]
async fn writes_the_result_field_until_cancelled_or_past_deadline() {
    let node = RedisNode::start().await;
    let raw = node.raw().await;
    let opt = RedisConnOpt::parse_uri(&node.url()).expect("node url");
    let now = OffsetDateTime::from_unix_timestamp(1_795_383_807).unwrap();
    let clock = ManualClock::new(now);
    let broker = Broker::connect(opt)
        .await
        .expect("connect")
        .with_clock(Arc::new(clock.clone()));

    let ctx = TaskContext::new(meta("t-res"), now + Duration::from_secs(30), broker.clone());
    let w = ctx.result_writer();
    assert_eq!(w.write(b"first").await.unwrap(), 5);
    assert_eq!(w.write(b"\x00\xffbytes").await.unwrap(), 7);
    assert_eq!(
        raw.hget("asynq:{default}:t:t-res", "result")
            .await
            .as_deref(),
        Some(&b"\x00\xffbytes"[..])
    );
    assert!(w.stored().is_none());

    ctx.cancel(CancelReason::Canceled);
    let err = w.write(b"late").await.unwrap_err();
    assert!(matches!(err, WorkerError::TaskContextDone { .. }));
    assert_eq!(
        raw.hget("asynq:{default}:t:t-res", "result")
            .await
            .as_deref(),
        Some(&b"\x00\xffbytes"[..])
    );

    // The deadline is checked against the broker's clock.
    let ctx = TaskContext::new(meta("t-late"), now + Duration::from_secs(30), broker);
    clock.advance(Duration::from_secs(30));
    let err = ctx.result_writer().write(b"x").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "failed to write task result: context deadline exceeded"
    );
    assert!(raw
        .hget("asynq:{default}:t:t-late", "result")
        .await
        .is_none());
}
