//! An enqueue/dequeue/done round trip through a Sentinel group and a TLS-only node, the
//! deployments whose connection options are exercised beyond a single node.

use asynq_broker::conn::{RedisClientOpt, RedisFailoverClientOpt, TlsOptions};
use asynq_broker::{Broker, RedisConnOpt};
use asynq_proto::TaskMessage;
use asynq_test_support::{RedisSentinelGroup, TlsRedisNode};

fn message(id: &str) -> TaskMessage {
    TaskMessage {
        r#type: "roundtrip".into(),
        payload: bytes::Bytes::from_static(b"p"),
        id: id.into(),
        queue: "default".into(),
        retry: 25,
        timeout: 1800,
        ..Default::default()
    }
}

async fn round_trip(broker: &Broker, id: &str) {
    broker.enqueue(&message(id)).await.unwrap();
    let got = broker.dequeue(&["default".to_string()]).await.unwrap();
    assert_eq!(got.msg.id, id);
    assert_eq!(got.msg.r#type, "roundtrip");
    broker.done(&got.msg).await.unwrap();
    assert!(matches!(
        broker.dequeue(&["default".to_string()]).await,
        Err(asynq_broker::BrokerError::NoProcessableTask)
    ));
}

#[tokio::test]
async fn sentinel_round_trip() {
    let group = RedisSentinelGroup::start().await;
    let opt = RedisFailoverClientOpt::new(group.master_name(), group.sentinel_addrs());
    let broker = Broker::connect(RedisConnOpt::Sentinel(opt)).await.unwrap();
    round_trip(&broker, "via-sentinel").await;
    let raw = group.raw_primary().await;
    assert_eq!(
        raw.get("asynq:{default}:processed").await.as_deref(),
        Some(&b"1"[..])
    );
}

#[tokio::test]
async fn tls_round_trip() {
    let node = TlsRedisNode::start().await;
    let tls = TlsOptions::new()
        .ca_file(node.ca_cert_path())
        .client_cert(node.client_cert_path(), node.client_key_path())
        .server_name(node.server_name());
    let opt = RedisClientOpt::new(node.addr()).tls(tls);
    let broker = Broker::connect(RedisConnOpt::Single(opt)).await.unwrap();
    round_trip(&broker, "via-tls").await;
}
