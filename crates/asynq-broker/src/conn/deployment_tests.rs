//! `connect` and `subscriber_client` against real Redis deployments (single node, Unix socket,
//! Cluster, Sentinel, TLS, ACL, database selection, outages), started by `asynq-test-support`.

use std::time::{Duration, Instant};

use asynq_test_support::{RedisCluster, RedisNode, RedisSentinelGroup, TlsRedisNode};
use fred::clients::Client;
use fred::prelude::*;
use fred::types::{ClusterHash, CustomCommand};

use super::{
    connect, subscriber_client, RedisClientOpt, RedisClusterClientOpt, RedisConnOpt,
    RedisFailoverClientOpt, TlsOptions,
};
use crate::error::BrokerError;

async fn set_get(client: &Client, key: &str, value: &str) {
    let _: () = client
        .set(key, value, None, None, false)
        .await
        .expect("SET");
    let got: Option<String> = client.get(key).await.expect("GET");
    assert_eq!(got.as_deref(), Some(value), "GET {key}");
}

async fn ping(client: &Client) {
    let pong: String = client.ping(None).await.expect("PING");
    assert_eq!(pong, "PONG");
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn single_node_ping_set_get() {
    let node = RedisNode::start().await;
    let client = connect(&RedisClientOpt::new(node.addr()).into())
        .await
        .unwrap();
    ping(&client).await;
    set_get(&client, "conn:single", "v1").await;
    assert_eq!(
        node.raw().await.get("conn:single").await.as_deref(),
        Some(&b"v1"[..])
    );

    // The same through a parsed URI.
    let client = connect(&RedisConnOpt::parse_uri(&node.url()).unwrap())
        .await
        .unwrap();
    set_get(&client, "conn:single:uri", "v2").await;
}

#[tokio::test]
async fn db_selection() {
    let node = RedisNode::start().await;
    let db3 = connect(&RedisConnOpt::parse_uri(&format!("{}/3", node.url())).unwrap())
        .await
        .unwrap();
    set_get(&db3, "conn:db", "three").await;
    let db0 = connect(&RedisClientOpt::new(node.addr()).into())
        .await
        .unwrap();
    let in_db0: Option<String> = db0.get("conn:db").await.unwrap();
    assert_eq!(
        in_db0, None,
        "a key written in db 3 must not be visible in db 0"
    );
    assert_eq!(node.raw().await.get("conn:db").await, None);
    let db3_again = connect(&RedisClientOpt::new(node.addr()).db(3).into())
        .await
        .unwrap();
    let got: Option<String> = db3_again.get("conn:db").await.unwrap();
    assert_eq!(got.as_deref(), Some("three"));
}

#[tokio::test]
async fn unix_socket() {
    let path = std::env::temp_dir().join(format!(
        "asynq-conn-{}-{}.sock",
        std::process::id(),
        closed_port()
    ));
    let path_str = path.to_str().unwrap().to_string();
    let node =
        RedisNode::start_with_args(&["--unixsocket", &path_str, "--unixsocketperm", "700"]).await;
    let client = connect(&RedisClientOpt::unix(path_str.clone()).db(2).into())
        .await
        .unwrap();
    ping(&client).await;
    set_get(&client, "conn:unix", "sock").await;
    let uri = format!("redis-socket://{path_str}?db=2");
    let client = connect(&RedisConnOpt::parse_uri(&uri).unwrap())
        .await
        .unwrap();
    let got: Option<String> = client.get("conn:unix").await.unwrap();
    assert_eq!(got.as_deref(), Some("sock"));
    drop(node);
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn cluster_three_masters() {
    let cluster = RedisCluster::start(3, 0).await;
    let opt: RedisConnOpt = RedisClusterClientOpt::new(cluster.addrs()).into();
    assert!(opt.is_cluster());
    let client = connect(&opt).await.unwrap();
    ping(&client).await;
    // Keys spread over the three masters' slot ranges.
    let keys = [
        "a",
        "b",
        "c",
        "foo",
        "bar",
        "asynq:{default}:pending",
        "asynq:{critical}:pending",
        "{x}1",
    ];
    for (i, key) in keys.iter().enumerate() {
        set_get(&client, key, &format!("v{i}")).await;
    }
    let raw = cluster.raw().await;
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(
            raw.get(key).await,
            Some(format!("v{i}").into_bytes()),
            "{key}"
        );
    }
    // Only one seed node given: the rest is discovered.
    let client = connect(&RedisClusterClientOpt::new([cluster.addrs()[2].clone()]).into())
        .await
        .unwrap();
    for (i, key) in keys.iter().enumerate() {
        let got: Option<String> = client.get(*key).await.unwrap();
        assert_eq!(got, Some(format!("v{i}")));
    }
}

#[tokio::test]
async fn sentinel_discovers_master_and_follows_failover() {
    let mut group = RedisSentinelGroup::start().await;
    let opt: RedisConnOpt =
        RedisFailoverClientOpt::new(group.master_name(), group.sentinel_addrs()).into();
    let client = connect(&opt).await.unwrap();
    ping(&client).await;
    set_get(&client, "conn:sentinel", "m1").await;
    assert_eq!(
        group
            .primary()
            .raw()
            .await
            .get("conn:sentinel")
            .await
            .as_deref(),
        Some(&b"m1"[..])
    );

    // The URI form (password-less sentinels, db in the path).
    let uri = format!(
        "redis-sentinel://{}/1?master={}",
        group.sentinel_addrs().join(","),
        group.master_name()
    );
    let db1 = connect(&RedisConnOpt::parse_uri(&uri).unwrap())
        .await
        .unwrap();
    let got: Option<String> = db1.get("conn:sentinel").await.unwrap();
    assert_eq!(got, None, "db 1 is not db 0");

    // Failover: the primary dies, the sentinels promote the replica, the client follows.
    let new_master = group.replica().addr();
    group.primary_mut().kill();
    group.wait_for_master(&new_master).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r: Result<(), _> = client
            .set("conn:sentinel:after", "m2", None, None, false)
            .await;
        if r.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "client never reached the new master: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        group
            .replica()
            .raw()
            .await
            .get("conn:sentinel:after")
            .await
            .as_deref(),
        Some(&b"m2"[..])
    );
}

#[tokio::test]
async fn tls_with_ca_and_client_cert() {
    let node = TlsRedisNode::start().await;
    let tls = TlsOptions::new()
        .ca_file(node.ca_cert_path())
        .client_cert(node.client_cert_path(), node.client_key_path());

    // Verified against IP 127.0.0.1 (in the certificate).
    let client = connect(&RedisClientOpt::new(node.addr()).tls(tls.clone()).into())
        .await
        .unwrap();
    ping(&client).await;
    set_get(&client, "conn:tls", "secure").await;

    // Verified against the DNS name, while dialling the IP.
    let named = tls.clone().server_name(node.server_name());
    let client = connect(&RedisClientOpt::new(node.addr()).tls(named).into())
        .await
        .unwrap();
    ping(&client).await;

    // rediss:// sets the server name to the host; the files are added in code.
    let mut opt =
        match RedisConnOpt::parse_uri(&format!("rediss://localhost:{}", node.port())).unwrap() {
            RedisConnOpt::Single(o) => o,
            other => panic!("{other:?}"),
        };
    let parsed_tls = opt.tls.take().unwrap();
    assert_eq!(parsed_tls.server_name.as_deref(), Some("localhost"));
    opt.tls = Some(
        parsed_tls
            .ca_file(node.ca_cert_path())
            .client_cert(node.client_cert_path(), node.client_key_path()),
    );
    let client = connect(&opt.into()).await.unwrap();
    let got: Option<String> = client.get("conn:tls").await.unwrap();
    assert_eq!(got.as_deref(), Some("secure"));
}

#[tokio::test]
async fn tls_insecure_skip_verify_and_failures() {
    let node = TlsRedisNode::start().await;
    let other = TlsRedisNode::start().await;

    // No CA at all, certificate accepted blindly.
    let insecure = TlsOptions::new()
        .insecure_skip_verify(true)
        .server_name("anything.invalid")
        .client_cert(node.client_cert_path(), node.client_key_path());
    let client = connect(&RedisClientOpt::new(node.addr()).tls(insecure).into())
        .await
        .unwrap();
    ping(&client).await;

    // A CA that did not sign the server certificate.
    let wrong_ca = TlsOptions::new()
        .ca_file(other.ca_cert_path())
        .client_cert(node.client_cert_path(), node.client_key_path());
    let started = Instant::now();
    let err = connect(&RedisClientOpt::new(node.addr()).tls(wrong_ca).into())
        .await
        .unwrap_err();
    assert!(err.is_connection_error(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "TLS failure took {:?}",
        started.elapsed()
    );

    // The right CA but a name the certificate does not carry.
    let wrong_name = TlsOptions::new()
        .ca_file(node.ca_cert_path())
        .client_cert(node.client_cert_path(), node.client_key_path())
        .server_name("not-localhost.example");
    assert!(
        connect(&RedisClientOpt::new(node.addr()).tls(wrong_name).into())
            .await
            .is_err()
    );

    // A missing certificate file is reported with its path before dialling.
    let missing = TlsOptions::new().ca_file("/nonexistent/asynq-ca.pem");
    match connect(&RedisClientOpt::new(node.addr()).tls(missing).into()).await {
        Err(BrokerError::InvalidConnOpt(m)) => {
            assert!(m.contains("/nonexistent/asynq-ca.pem"), "{m}")
        }
        other => panic!("expected InvalidConnOpt, got {:?}", other.map(|_| ())),
    }

    // Plain TCP to a TLS-only port fails instead of hanging.
    let plain = RedisClientOpt::new(node.addr())
        .dial_timeout(Duration::from_millis(500))
        .read_timeout(Duration::from_millis(500));
    let started = Instant::now();
    if let Ok(client) = connect(&plain.into()).await {
        // Without AUTH/SELECT nothing is exchanged while connecting; the first command fails.
        assert!(client.ping::<String>(None).await.is_err());
    }
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn acl_user_and_requirepass() {
    let node = RedisNode::start().await;
    node.raw()
        .await
        .cmd(&["ACL", "SETUSER", "alice", "on", ">secret", "~*", "+@all"])
        .await;
    let alice = RedisClientOpt::new(node.addr())
        .username("alice")
        .password("secret");
    let client = connect(&alice.clone().into()).await.unwrap();
    set_get(&client, "conn:acl", "alice").await;
    let whoami: String = client
        .custom(
            CustomCommand::new_static("ACL", ClusterHash::Random, false),
            vec!["WHOAMI"],
        )
        .await
        .unwrap();
    assert_eq!(whoami, "alice");
    let err = connect(&alice.password("wrong").into()).await.unwrap_err();
    assert!(err.to_string().contains("WRONGPASS"), "{err:?}");

    let node = RedisNode::start().await;
    node.raw()
        .await
        .cmd(&["CONFIG", "SET", "requirepass", "s3cret"])
        .await;
    let client =
        connect(&RedisConnOpt::parse_uri(&format!("redis://:s3cret@{}", node.addr())).unwrap())
            .await
            .unwrap();
    set_get(&client, "conn:requirepass", "ok").await;
    assert!(
        connect(&RedisClientOpt::new(node.addr()).password("nope").into())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn connect_to_closed_port_fails_fast() {
    let port = closed_port();
    let started = Instant::now();
    let result = connect(&RedisClientOpt::new(format!("127.0.0.1:{port}")).into()).await;
    assert!(
        matches!(result, Err(BrokerError::Connection(_))),
        "{:?}",
        result.map(|_| ())
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );

    // Same for a cluster seed list and for sentinels.
    let started = Instant::now();
    assert!(
        connect(&RedisClusterClientOpt::new([format!("127.0.0.1:{port}")]).into())
            .await
            .is_err()
    );
    assert!(
        connect(&RedisFailoverClientOpt::new("m", [format!("127.0.0.1:{port}")]).into())
            .await
            .is_err()
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn connect_to_silent_server_times_out() {
    // Accepts connections but never answers: the TLS handshake (or AUTH) cannot complete.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let accept = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let dial = Duration::from_millis(500);

    let tls = TlsOptions::new().insecure_skip_verify(true);
    let started = Instant::now();
    assert!(connect(
        &RedisClientOpt::new(addr.clone())
            .dial_timeout(dial)
            .tls(tls)
            .into()
    )
    .await
    .is_err());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "TLS took {:?}",
        started.elapsed()
    );

    let started = Instant::now();
    assert!(connect(
        &RedisClientOpt::new(addr.clone())
            .dial_timeout(dial)
            .password("pw")
            .into()
    )
    .await
    .is_err());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "AUTH took {:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let sentinel = RedisFailoverClientOpt::new("m", [addr.clone()]).dial_timeout(dial);
    assert!(connect(&sentinel.into()).await.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "sentinel took {:?}",
        started.elapsed()
    );
    accept.abort();
}

#[tokio::test]
async fn commands_wait_for_a_restarted_server() {
    let mut node = RedisNode::start().await;
    let client = connect(&RedisClientOpt::new(node.addr()).into())
        .await
        .unwrap();
    set_get(&client, "conn:restart", "before").await;

    node.kill();
    // Issued while the server is down: queued, sent after the reconnect.
    let pending = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .set::<(), _, _>("conn:restart", "during", None, None, false)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    node.restart().await;
    pending
        .await
        .unwrap()
        .expect("a command issued during a short outage succeeds once Redis is back");
    let got: Option<String> = client.get("conn:restart").await.unwrap();
    assert_eq!(got.as_deref(), Some("during"));
}

#[tokio::test]
async fn subscriber_receives_messages() {
    let node = RedisNode::start().await;
    let subscriber = subscriber_client(&RedisClientOpt::new(node.addr()).into()).unwrap();
    let mut messages = subscriber.message_rx();
    subscriber.init().await.unwrap();
    subscriber.subscribe("asynq:cancel").await.unwrap();
    node.raw()
        .await
        .cmd(&["PUBLISH", "asynq:cancel", "task-id-1"])
        .await;
    let message = tokio::time::timeout(Duration::from_secs(5), messages.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(message.channel, "asynq:cancel");
    assert_eq!(message.value.as_string().as_deref(), Some("task-id-1"));
    subscriber.quit().await.unwrap();
}

#[tokio::test]
async fn insecure_tls_warns_once_per_client_not_per_command_or_reconnect() {
    let log = super::test_log::Captured::default();
    let _guard = log.install();
    let mut node = TlsRedisNode::start().await;
    let insecure = TlsOptions::new()
        .insecure_skip_verify(true)
        .client_cert(node.client_cert_path(), node.client_key_path());
    let client = connect(&RedisClientOpt::new(node.addr()).tls(insecure).into())
        .await
        .unwrap();
    for i in 0..5 {
        set_get(&client, "conn:insecure", &i.to_string()).await;
    }
    // A reconnect reuses the configuration: still one warning.
    node.kill();
    node.restart().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.ping::<String>(None).await.is_err() {
        assert!(Instant::now() < deadline, "no reconnect: {}", log.text());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ping(&client).await;
    let warning = super::client::INSECURE_TLS_WARNING;
    assert_eq!(log.warnings(warning), 1, "{}", log.text());
    assert!(log.text().contains(&node.addr()), "{}", log.text());

    // Verified TLS: no warning.
    let verified = TlsOptions::new()
        .ca_file(node.ca_cert_path())
        .client_cert(node.client_cert_path(), node.client_key_path());
    let client = connect(
        &RedisClientOpt::new(node.addr())
            .tls(verified.clone())
            .into(),
    )
    .await
    .unwrap();
    ping(&client).await;
    assert_eq!(log.warnings(warning), 1, "{}", log.text());

    // The Debug of TLS options carrying a rustls configuration with the client key shows no
    // key material.
    let key_pem = std::fs::read_to_string(node.client_key_path()).unwrap();
    let with_key = TlsOptions::new().client_config(verified.build_client_config().unwrap());
    let debug = format!("{:?}", RedisClientOpt::new(node.addr()).tls(with_key));
    for line in key_pem.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!debug.contains(line), "{debug}");
    }
    assert!(debug.contains("ClientConfig { .. }"), "{debug}");
}

#[tokio::test]
async fn wrong_password_errors_do_not_show_it() {
    let node = RedisNode::start().await;
    node.raw()
        .await
        .cmd(&["CONFIG", "SET", "requirepass", "rightPW1"])
        .await;
    let uri = format!("redis://:s3cretPW@{}", node.addr());
    let opt = RedisConnOpt::parse_uri(&uri).unwrap();
    let log = super::test_log::Captured::default();
    let _guard = log.install();
    let err = connect(&opt).await.unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("WRONGPASS"), "{shown}");
    for text in [shown, format!("{err:?}"), format!("{opt:?}"), log.text()] {
        assert!(!text.contains("s3cretPW"), "{text}");
    }
    let acl = RedisClientOpt::new(node.addr())
        .username("default")
        .password("s3cretPW");
    let err = connect(&acl.into()).await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains("s3cretPW"), "{err:?}");
}
