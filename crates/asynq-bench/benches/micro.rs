//! Criterion micro-benchmarks of the hot pure functions, through the crates' public API:
//! `TaskMessage` encode/decode (asynq-proto), key building (asynq-broker `keys`) and the queue
//! order of each dequeue (asynq-worker `QueueSelector::order`, weighted and strict).
//!
//! Run with `cargo xtask bench --micro` or `cargo bench -p asynq-bench --bench micro`
//! (append `-- --quick` for a short run, or `-- <filter>` for some of them).

use std::collections::HashMap;
use std::hint::black_box;

use asynq_broker::keys;
use asynq_proto::{decode_task_message, encode, TaskMessage};
use asynq_worker::QueueSelector;
use bytes::Bytes;
use criterion::{criterion_main, Criterion};

/// A message as a producer writes it: a 128-byte payload, Go's default retry and timeout.
fn message() -> TaskMessage {
    TaskMessage {
        r#type: "email:deliver".into(),
        payload: Bytes::from(vec![b'x'; 128]),
        id: "0b8d3a4e-5f1c-4b8e-9a6d-2c7f1e3b5a90".into(),
        queue: "default".into(),
        retry: 25,
        timeout: 1800,
        ..TaskMessage::default()
    }
}

fn proto(c: &mut Criterion) {
    let msg = message();
    let bytes = encode(&msg);
    c.bench_function("proto/encode TaskMessage (128 B payload)", |b| {
        b.iter(|| encode(black_box(&msg)))
    });
    c.bench_function("proto/decode TaskMessage (128 B payload)", |b| {
        b.iter(|| decode_task_message(black_box(&bytes)))
    });
    let mut with_headers = message();
    with_headers.headers = HashMap::from([
        (
            "trace-id".to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736".to_string(),
        ),
        ("tenant".to_string(), "acme".to_string()),
    ]);
    let hbytes = encode(&with_headers);
    c.bench_function("proto/decode TaskMessage with 2 headers", |b| {
        b.iter(|| decode_task_message(black_box(&hbytes)))
    });
}

fn key_building(c: &mut Criterion) {
    let id = "0b8d3a4e-5f1c-4b8e-9a6d-2c7f1e3b5a90";
    c.bench_function("keys/task_key", |b| {
        b.iter(|| keys::task_key(black_box("default"), black_box(id)))
    });
    c.bench_function("keys/pending_key", |b| {
        b.iter(|| keys::pending_key(black_box("default")))
    });
    // The keys one dequeue of one queue passes to its script.
    c.bench_function("keys/dequeue keys of one queue", |b| {
        b.iter(|| {
            let q = black_box("default");
            (
                keys::pending_key(q),
                keys::paused_key(q),
                keys::active_key(q),
                keys::lease_key(q),
                keys::task_key_prefix(q),
            )
        })
    });
    let now = time::OffsetDateTime::now_utc();
    c.bench_function("keys/processed_key (daily)", |b| {
        b.iter(|| keys::processed_key(black_box("default"), black_box(now)))
    });
}

fn queue_selection(c: &mut Criterion) {
    let three = HashMap::from([
        ("critical".to_string(), 6),
        ("default".to_string(), 3),
        ("low".to_string(), 1),
    ]);
    let ten: HashMap<String, i32> = (1..=10).map(|i| (format!("q{i:02}"), i)).collect();
    let one = HashMap::from([("default".to_string(), 1)]);
    for (name, queues, strict) in [
        ("1 queue", &one, false),
        ("weighted critical:6 default:3 low:1", &three, false),
        ("strict critical:6 default:3 low:1", &three, true),
        ("weighted 10 queues, priorities 1..10", &ten, false),
        ("strict 10 queues, priorities 1..10", &ten, true),
    ] {
        let selector = QueueSelector::new(queues, strict);
        c.bench_function(&format!("queues/order {name}"), |b| {
            b.iter(|| black_box(&selector).order().len())
        });
    }
}

/// The group `criterion_main!` runs (the macro's function has no documentation of its own).
#[allow(missing_docs)]
mod group {
    use super::{key_building, proto, queue_selection};
    criterion::criterion_group!(benches, proto, key_building, queue_selection);
}
criterion_main!(group::benches);
