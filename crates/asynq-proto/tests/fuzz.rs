//! Fuzz targets of the protobuf decoders (`cargo xtask fuzz`): every message type this crate
//! reads from Redis is decoded from arbitrary bytes, from protobuf-shaped field sequences (right
//! and wrong wire types, nested garbage, bad UTF-8) and from mutated valid encodings. Decoding
//! never panics; what decodes re-encodes to bytes that decode to the same value, and its
//! `Timestamp` fields convert without panicking.

use std::fmt::Debug;

use asynq_proto::{
    datetime_from_timestamp, decode, encode, Message, SchedulerEnqueueEvent, SchedulerEntry,
    ServerInfo, TaskMessage, Timestamp, WorkerInfo,
};
use asynq_test_support::fuzz;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

/// One protobuf field as raw wire pieces: the field number, a wire type (0 to 7, so 3, 4, 6 and
/// 7 are the deprecated or invalid ones) and a value.
#[derive(Debug, Clone)]
struct Field {
    number: u32,
    wire_type: u8,
    varint: u64,
    bytes: Vec<u8>,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The wire bytes of `fields`.
fn wire(fields: &[Field]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields {
        put_varint(
            &mut out,
            (u64::from(f.number) << 3) | u64::from(f.wire_type & 7),
        );
        match f.wire_type & 7 {
            0 => put_varint(&mut out, f.varint),
            1 => out.extend_from_slice(&f.varint.to_le_bytes()),
            2 => {
                put_varint(&mut out, f.bytes.len() as u64);
                out.extend_from_slice(&f.bytes);
            }
            5 => out.extend_from_slice(&(f.varint as u32).to_le_bytes()),
            _ => out.extend_from_slice(&f.bytes),
        }
    }
    out
}

fn field() -> impl Strategy<Value = Field> {
    let value_bytes = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..24),
        "[a-z:{}\u{e9}\u{1F600}]{0,12}".prop_map(String::into_bytes),
        // A nested Timestamp or map entry: two small varint or string fields.
        (1u64..3, any::<i64>(), 1u64..3, any::<i32>()).prop_map(|(a, x, b, y)| {
            let mut v = Vec::new();
            put_varint(&mut v, a << 3);
            put_varint(&mut v, x as u64);
            put_varint(&mut v, b << 3);
            put_varint(&mut v, y as u64);
            v
        }),
    ];
    let varint = prop_oneof![
        0u64..300,
        any::<u64>(),
        Just(u64::MAX),
        Just(i64::MIN as u64),
        Just(-62_135_596_800i64 as u64),
    ];
    (0u32..20, 0u8..8, varint, value_bytes).prop_map(|(number, wire_type, varint, bytes)| Field {
        number,
        wire_type,
        varint,
        bytes,
    })
}

/// Valid encodings of every message type with every field set, to be mutated.
fn seeds() -> Vec<Vec<u8>> {
    let ts = Some(Timestamp {
        seconds: 1_764_000_000,
        nanos: 123_456_789,
    });
    let task = TaskMessage {
        r#type: "email:send".into(),
        payload: b"{\"to\":\"a@b\"}".to_vec().into(),
        headers: [("k".to_string(), "v".to_string())].into(),
        id: "0b6c3f1e-id".into(),
        queue: "default".into(),
        retry: 25,
        retried: 3,
        error_msg: "boom".into(),
        last_failed_at: 1_764_000_000,
        timeout: 1800,
        deadline: 1_764_000_100,
        unique_key: "asynq:{default}:unique:x".into(),
        group_key: "g".into(),
        retention: 3600,
        completed_at: 1_764_000_050,
    };
    let server = ServerInfo {
        host: "h".into(),
        pid: 42,
        server_id: "s".into(),
        concurrency: 10,
        queues: [("default".to_string(), 1)].into(),
        strict_priority: true,
        status: "active".into(),
        start_time: ts,
        active_worker_count: 2,
    };
    let worker = WorkerInfo {
        host: "h".into(),
        pid: 42,
        server_id: "s".into(),
        task_id: "t".into(),
        task_type: "x".into(),
        task_payload: b"p".to_vec().into(),
        queue: "default".into(),
        start_time: ts,
        deadline: ts,
    };
    let entry = SchedulerEntry {
        id: "e".into(),
        spec: "@every 1s".into(),
        task_type: "x".into(),
        task_payload: b"p".to_vec().into(),
        enqueue_options: vec!["Queue(\"default\")".into()],
        next_enqueue_time: ts,
        prev_enqueue_time: ts,
    };
    let event = SchedulerEnqueueEvent {
        task_id: "t".into(),
        enqueue_time: ts,
    };
    vec![
        encode(&task).to_vec(),
        encode(&server).to_vec(),
        encode(&worker).to_vec(),
        encode(&entry).to_vec(),
        encode(&event).to_vec(),
    ]
}

/// A mutation of a seed: byte replacements, then a truncation or an insertion.
#[derive(Debug, Clone)]
struct Mutation {
    seed: usize,
    edits: Vec<(usize, u8)>,
    cut: Option<usize>,
    insert: Option<(usize, Vec<u8>)>,
}

impl Mutation {
    fn apply(&self, seeds: &[Vec<u8>]) -> Vec<u8> {
        let mut b = seeds[self.seed % seeds.len()].clone();
        for &(at, byte) in &self.edits {
            if !b.is_empty() {
                let i = at % b.len();
                b[i] = byte;
            }
        }
        if let Some(cut) = self.cut {
            b.truncate(cut % (b.len() + 1));
        }
        if let Some((at, ins)) = &self.insert {
            let i = at % (b.len() + 1);
            b.splice(i..i, ins.iter().copied());
        }
        b
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (
        0usize..5,
        proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        proptest::option::of(any::<usize>()),
        proptest::option::of((any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))),
    )
        .prop_map(|(seed, edits, cut, insert)| Mutation {
            seed,
            edits,
            cut,
            insert,
        })
}

/// Input bytes: arbitrary, protobuf-shaped or a mutated valid encoding.
#[derive(Debug, Clone)]
enum Input {
    Bytes(Vec<u8>),
    Fields(Vec<Field>),
    Mutated(Mutation),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256).prop_map(Input::Bytes),
        proptest::collection::vec(field(), 0..12).prop_map(Input::Fields),
        mutation().prop_map(Input::Mutated),
    ]
}

/// Decodes the input as `M`; on success checks the re-encoding round trip and converts the
/// timestamps `stamps` returns.
fn run_target<M>(name: &'static str, stamps: for<'a> fn(&'a M) -> Vec<Option<&'a Timestamp>>)
where
    M: Message + Default + PartialEq + Debug,
{
    let seeds = seeds();
    let execs = fuzz::Executions::new(name);
    let decoded = std::sync::atomic::AtomicU64::new(0);
    let mut runner = TestRunner::new(fuzz::config(fuzz::cases()));
    runner
        .run(&input(), |input| {
            execs.hit();
            let bytes = match &input {
                Input::Bytes(b) => b.clone(),
                Input::Fields(f) => wire(f),
                Input::Mutated(m) => m.apply(&seeds),
            };
            if let Ok(msg) = decode::<M>(&bytes[..]) {
                decoded.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let again: M = decode(encode(&msg)).expect("a re-encoded message decodes");
                prop_assert_eq!(&again, &msg);
                for ts in stamps(&msg) {
                    let _ = datetime_from_timestamp(ts);
                }
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("fuzz target {name}: {e}"));
    // The inputs reach the success path too, not only decode errors.
    let decoded = decoded.into_inner();
    assert!(decoded > 0, "fuzz target {name}: no input decoded");
    println!("fuzz target {name}: {decoded} inputs decoded");
    execs.report();
}

#[test]
fn fuzz_task_message_decode() {
    run_target::<TaskMessage>("task_message_decode", |_| Vec::new());
}

#[test]
fn fuzz_server_info_decode() {
    run_target::<ServerInfo>("server_info_decode", |m| vec![m.start_time.as_ref()]);
}

#[test]
fn fuzz_worker_info_decode() {
    run_target::<WorkerInfo>("worker_info_decode", |m| {
        vec![m.start_time.as_ref(), m.deadline.as_ref()]
    });
}

#[test]
fn fuzz_scheduler_entry_decode() {
    run_target::<SchedulerEntry>("scheduler_entry_decode", |m| {
        vec![m.next_enqueue_time.as_ref(), m.prev_enqueue_time.as_ref()]
    });
}

#[test]
fn fuzz_scheduler_enqueue_event_decode() {
    run_target::<SchedulerEnqueueEvent>("scheduler_enqueue_event_decode", |m| {
        vec![m.enqueue_time.as_ref()]
    });
}
