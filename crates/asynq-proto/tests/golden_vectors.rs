//! Golden vectors of the wire-protocol spec, Appendix A.1, produced by Go
//! asynq v0.26. Decoded values are compared field by field; bytes are compared
//! only where the encoding is deterministic (no map with several entries).

use std::collections::HashMap;

use asynq_proto::{
    datetime_from_timestamp, decode, decode_scheduler_enqueue_event, decode_scheduler_entry,
    decode_task_message, encode, ProtoError, SchedulerEnqueueEvent, SchedulerEntry, TaskMessage,
    Timestamp, GO_ZERO_TIME_SECONDS,
};
use bytes::Bytes;

const TASK_WITH_HEADERS: &str =
    "0a0a656d61696c3a73656e64120268691a03696431220764656661756c74281940880e7a060a016b120176";
const TASK_DEFAULT_ENQUEUE: &str = "0a0a656d61696c3a73656e64120a7b22746f223a2261227d1a07742d706c61696e220764656661756c74281940880e";
const TASK_DEADLINE_ONLY: &str = "0a01641a0a742d646561646c696e65220764656661756c7428194880a8d6b907";
const SCHEDULER_ENTRY: &str = "0a026531120a406576657279203130731a01742a1151756575652822637269746963616c222932060880e2cfaa063a0b088092b8c398feffffff01";
const SCHEDULER_ENQUEUE_EVENT: &str = "0a017812080880e2cfaa061005";

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("valid hex in test vector")
}

/// Asserts every field of a TaskMessage; `expected` lists the non-zero ones.
fn assert_task(actual: &TaskMessage, expected: &TaskMessage) {
    assert_eq!(actual.r#type, expected.r#type, "type");
    assert_eq!(actual.payload, expected.payload, "payload");
    assert_eq!(actual.headers, expected.headers, "headers");
    assert_eq!(actual.id, expected.id, "id");
    assert_eq!(actual.queue, expected.queue, "queue");
    assert_eq!(actual.retry, expected.retry, "retry");
    assert_eq!(actual.retried, expected.retried, "retried");
    assert_eq!(actual.error_msg, expected.error_msg, "error_msg");
    assert_eq!(
        actual.last_failed_at, expected.last_failed_at,
        "last_failed_at"
    );
    assert_eq!(actual.timeout, expected.timeout, "timeout");
    assert_eq!(actual.deadline, expected.deadline, "deadline");
    assert_eq!(actual.unique_key, expected.unique_key, "unique_key");
    assert_eq!(actual.group_key, expected.group_key, "group_key");
    assert_eq!(actual.retention, expected.retention, "retention");
    assert_eq!(actual.completed_at, expected.completed_at, "completed_at");
    assert_eq!(actual, expected);
}

#[test]
fn task_message_with_headers() {
    let msg = decode_task_message(&unhex(TASK_WITH_HEADERS)).unwrap();
    let expected = TaskMessage {
        r#type: "email:send".into(),
        payload: Bytes::from_static(b"hi"),
        headers: HashMap::from([("k".to_owned(), "v".to_owned())]),
        id: "id1".into(),
        queue: "default".into(),
        retry: 25,
        timeout: 1800,
        ..Default::default()
    };
    assert_task(&msg, &expected);
    assert_eq!(msg.headers.len(), 1);
    assert_eq!(msg.headers.get("k").map(String::as_str), Some("v"));
    // Re-encoding yields a message Go decodes to the same values.
    assert_task(&decode_task_message(&encode(&msg)).unwrap(), &expected);
}

#[test]
fn task_message_default_enqueue() {
    let bytes = unhex(TASK_DEFAULT_ENQUEUE);
    let msg = decode_task_message(&bytes).unwrap();
    let expected = TaskMessage {
        r#type: "email:send".into(),
        payload: Bytes::from_static(br#"{"to":"a"}"#),
        id: "t-plain".into(),
        queue: "default".into(),
        retry: 25,
        timeout: 1800,
        ..Default::default()
    };
    assert_task(&msg, &expected);
    assert!(msg.headers.is_empty(), "missing field 15 is an empty map");
    // No map entries: the encoding is deterministic and must match Go's.
    assert_eq!(hex::encode(encode(&expected)), TASK_DEFAULT_ENQUEUE);
}

#[test]
fn task_message_deadline_only() {
    let msg = decode_task_message(&unhex(TASK_DEADLINE_ONLY)).unwrap();
    let expected = TaskMessage {
        r#type: "d".into(),
        id: "t-deadline".into(),
        queue: "default".into(),
        retry: 25,
        deadline: 2_000_000_000,
        ..Default::default()
    };
    assert_task(&msg, &expected);
    assert!(msg.payload.is_empty());
    assert_eq!(msg.timeout, 0);
    assert_eq!(hex::encode(encode(&expected)), TASK_DEADLINE_ONLY);
}

#[test]
fn scheduler_entry_with_go_zero_prev_time() {
    let entry = decode_scheduler_entry(&unhex(SCHEDULER_ENTRY)).unwrap();
    assert_eq!(entry.id, "e1");
    assert_eq!(entry.spec, "@every 10s");
    assert_eq!(entry.task_type, "t");
    assert!(entry.task_payload.is_empty());
    assert_eq!(
        entry.enqueue_options,
        vec![r#"Queue("critical")"#.to_owned()]
    );
    assert_eq!(
        entry.next_enqueue_time,
        Some(Timestamp {
            seconds: 1_700_000_000,
            nanos: 0
        })
    );
    assert_eq!(
        entry.prev_enqueue_time,
        Some(Timestamp {
            seconds: -62_135_596_800,
            nanos: 0
        })
    );
    assert_eq!(
        entry.prev_enqueue_time.as_ref().unwrap().seconds,
        GO_ZERO_TIME_SECONDS
    );

    // Helpers: next is a real time, prev is "never".
    let next = datetime_from_timestamp(entry.next_enqueue_time.as_ref()).unwrap();
    assert_eq!(next.unix_timestamp(), 1_700_000_000);
    assert_eq!(
        datetime_from_timestamp(entry.prev_enqueue_time.as_ref()),
        None
    );

    let expected = SchedulerEntry {
        id: "e1".into(),
        spec: "@every 10s".into(),
        task_type: "t".into(),
        task_payload: Bytes::new(),
        enqueue_options: vec![r#"Queue("critical")"#.into()],
        next_enqueue_time: Some(Timestamp {
            seconds: 1_700_000_000,
            nanos: 0,
        }),
        prev_enqueue_time: Some(asynq_proto::go_zero_timestamp()),
    };
    assert_eq!(entry, expected);
    assert_eq!(hex::encode(encode(&expected)), SCHEDULER_ENTRY);
}

#[test]
fn scheduler_enqueue_event_with_nanos() {
    let event = decode_scheduler_enqueue_event(&unhex(SCHEDULER_ENQUEUE_EVENT)).unwrap();
    assert_eq!(event.task_id, "x");
    let ts = event.enqueue_time.expect("enqueue_time present");
    assert_eq!(ts.seconds, 1_700_000_000);
    assert_eq!(ts.nanos, 5);

    let t = datetime_from_timestamp(Some(&ts)).unwrap();
    assert_eq!(t.unix_timestamp_nanos(), 1_700_000_000_000_000_005);

    let expected = SchedulerEnqueueEvent {
        task_id: "x".into(),
        enqueue_time: Some(asynq_proto::timestamp_from_datetime(t)),
    };
    assert_eq!(hex::encode(encode(&expected)), SCHEDULER_ENQUEUE_EVENT);
}

#[test]
fn invalid_utf8_in_type_is_a_decode_error() {
    // Field 1 (type), wire type 2, length 3: "a", 0xFF, "b".
    let bytes = [0x0a, 0x03, b'a', 0xff, b'b'];
    let err = decode_task_message(&bytes).unwrap_err();
    let ProtoError::Decode(text) = &err else {
        panic!("unexpected error {err:?}");
    };
    assert!(text.contains("TaskMessage"), "{text}");
    assert!(text.to_lowercase().contains("utf-8"), "{text}");
}

#[test]
fn invalid_utf8_elsewhere_is_a_decode_error() {
    // TaskMessage.error_msg (field 7) = 0xFF.
    assert!(decode_task_message(&[0x3a, 0x01, 0xff]).is_err());
    // TaskMessage.headers (field 15) entry with key 0xFF.
    assert!(decode_task_message(&[0x7a, 0x05, 0x0a, 0x01, 0xff, 0x12, 0x00]).is_err());
    // TaskMessage.headers entry with value 0xC0 0x80 (overlong encoding).
    assert!(decode_task_message(&[0x7a, 0x07, 0x0a, 0x01, b'k', 0x12, 0x02, 0xc0, 0x80]).is_err());
    // SchedulerEntry.enqueue_options (field 5) element 0xFF.
    assert!(decode_scheduler_entry(&[0x2a, 0x01, 0xff]).is_err());
    // ServerInfo.queues (field 5) entry with key 0xFF.
    assert!(asynq_proto::decode_server_info(&[0x2a, 0x05, 0x0a, 0x01, 0xff, 0x10, 0x01]).is_err());
    // WorkerInfo.task_type (field 5) = 0xFF.
    assert!(asynq_proto::decode_worker_info(&[0x2a, 0x01, 0xff]).is_err());
}

#[test]
fn unknown_field_16_is_accepted_and_dropped_on_reencode() {
    let known = unhex(TASK_DEFAULT_ENQUEUE);
    for unknown in [
        // Field 16, varint 7.
        vec![0x80, 0x01, 0x07],
        // Field 16, length-delimited "abc".
        vec![0x82, 0x01, 0x03, b'a', b'b', b'c'],
    ] {
        let mut bytes = known.clone();
        bytes.extend_from_slice(&unknown);
        let msg = decode_task_message(&bytes).unwrap();
        assert_eq!(msg, decode_task_message(&known).unwrap());
        // Re-encoding writes only the known fields, like Go.
        assert_eq!(encode(&msg).as_ref(), known.as_slice());
    }
}

#[test]
fn malformed_input_never_panics() {
    for vector in [
        TASK_WITH_HEADERS,
        TASK_DEFAULT_ENQUEUE,
        TASK_DEADLINE_ONLY,
        SCHEDULER_ENTRY,
        SCHEDULER_ENQUEUE_EVENT,
    ] {
        let bytes = unhex(vector);
        for end in 0..bytes.len() {
            let prefix = &bytes[..end];
            let _ = decode_task_message(prefix);
            let _ = decode_scheduler_entry(prefix);
            let _ = decode_scheduler_enqueue_event(prefix);
            let _ = asynq_proto::decode_server_info(prefix);
            let _ = asynq_proto::decode_worker_info(prefix);
        }
    }
    // Deterministic pseudo-random garbage.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for len in 0..2000usize {
        let buf: Vec<u8> = (0..len % 64)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (state >> 56) as u8
            })
            .collect();
        let _ = decode_task_message(&buf);
        let _ = decode::<SchedulerEntry>(buf.as_slice());
        let _ = decode::<asynq_proto::ServerInfo>(Bytes::from(buf));
    }
}
