//! Encode -> decode round trips of every message type, and the timestamp and
//! string helpers.

use std::collections::HashMap;

use asynq_proto::{
    datetime_from_timestamp, decode, decode_scheduler_enqueue_event, decode_scheduler_entry,
    decode_server_info, decode_task_message, decode_worker_info, encode, go_zero_timestamp,
    timestamp_from_datetime, timestamp_from_option, utf8_lossy, SchedulerEnqueueEvent,
    SchedulerEntry, ServerInfo, TaskMessage, Timestamp, WorkerInfo, GO_ZERO_TIME_SECONDS,
};
use bytes::Bytes;
use time::macros::datetime;
use time::OffsetDateTime;

fn full_task() -> TaskMessage {
    TaskMessage {
        r#type: "email:send".into(),
        payload: Bytes::from_static(b"\x00\xff binary \xc0"),
        headers: HashMap::from([
            ("trace-id".to_owned(), "abc".to_owned()),
            ("lang".to_owned(), "日本語".to_owned()),
            (String::new(), String::new()),
        ]),
        id: "0f1e2d3c-aaaa-bbbb-cccc-000000000001".into(),
        queue: "critical".into(),
        retry: 10,
        retried: 3,
        error_msg: "boom: ✗".into(),
        last_failed_at: 1_700_000_123,
        timeout: 60,
        deadline: 1_700_003_600,
        unique_key: "asynq:{critical}:unique:email:send:abc".into(),
        group_key: "grp".into(),
        retention: 86_400,
        completed_at: 1_700_000_200,
    }
}

#[test]
fn task_message_round_trip() {
    let msg = full_task();
    assert_eq!(decode_task_message(&encode(&msg)).unwrap(), msg);
    // The default message encodes to nothing and decodes back.
    assert!(encode(&TaskMessage::default()).is_empty());
    assert_eq!(decode_task_message(&[]).unwrap(), TaskMessage::default());
}

#[test]
fn server_info_round_trip() {
    let info = ServerInfo {
        host: "box-1".into(),
        pid: 4242,
        server_id: "3f0b7c2e-0000-4000-8000-000000000000".into(),
        concurrency: 8,
        queues: HashMap::from([
            ("critical".to_owned(), 6),
            ("default".to_owned(), 3),
            ("low".to_owned(), 1),
        ]),
        strict_priority: true,
        status: "active".into(),
        start_time: Some(timestamp_from_datetime(
            datetime!(2024-05-01 12:00:00.5 UTC),
        )),
        active_worker_count: 2,
    };
    assert_eq!(decode_server_info(&encode(&info)).unwrap(), info);
}

#[test]
fn worker_info_round_trip() {
    let info = WorkerInfo {
        host: "box-1".into(),
        pid: 4242,
        server_id: "3f0b7c2e-0000-4000-8000-000000000000".into(),
        task_id: "t1".into(),
        task_type: "email:send".into(),
        task_payload: Bytes::from_static(b"{}"),
        queue: "default".into(),
        start_time: Some(timestamp_from_datetime(datetime!(2024-05-01 12:00:00 UTC))),
        deadline: Some(timestamp_from_datetime(datetime!(2024-05-01 12:30:00 UTC))),
    };
    assert_eq!(decode_worker_info(&encode(&info)).unwrap(), info);
}

#[test]
fn scheduler_entry_round_trip() {
    let entry = SchedulerEntry {
        id: "e1".into(),
        spec: "*/5 * * * *".into(),
        task_type: "report".into(),
        task_payload: Bytes::from_static(b"p"),
        enqueue_options: vec![r#"Queue("low")"#.into(), "MaxRetry(3)".into()],
        next_enqueue_time: Some(timestamp_from_datetime(datetime!(2024-05-01 12:05:00 UTC))),
        prev_enqueue_time: Some(timestamp_from_option(None)),
    };
    let back = decode_scheduler_entry(&encode(&entry)).unwrap();
    assert_eq!(back, entry);
    assert_eq!(
        datetime_from_timestamp(back.prev_enqueue_time.as_ref()),
        None
    );
}

#[test]
fn scheduler_enqueue_event_round_trip() {
    let event = SchedulerEnqueueEvent {
        task_id: "t9".into(),
        enqueue_time: Some(timestamp_from_datetime(
            datetime!(2024-05-01 12:05:00.000000007 UTC),
        )),
    };
    assert_eq!(
        decode_scheduler_enqueue_event(&encode(&event)).unwrap(),
        event
    );
}

#[test]
fn decoding_from_bytes_shares_the_payload_buffer() {
    let wire = encode(&full_task());
    let range = wire.as_ptr() as usize..wire.as_ptr() as usize + wire.len();
    let msg: TaskMessage = decode(wire.clone()).unwrap();
    assert!(
        range.contains(&(msg.payload.as_ptr() as usize)),
        "payload should point into the input buffer"
    );
    assert_eq!(msg, full_task());
}

#[test]
fn go_zero_time_maps_to_none_and_back() {
    let zero = go_zero_timestamp();
    assert_eq!(zero.seconds, GO_ZERO_TIME_SECONDS);
    assert_eq!(zero.seconds, -62_135_596_800);
    assert_eq!(zero.nanos, 0);
    assert_eq!(timestamp_from_option(None), zero);
    assert_eq!(datetime_from_timestamp(Some(&zero)), None);
}

#[test]
fn absent_timestamp_maps_to_none() {
    assert_eq!(datetime_from_timestamp(None), None);
    // An absent Timestamp field decodes as `None`.
    let event = decode_scheduler_enqueue_event(&[0x0a, 0x01, b'x']).unwrap();
    assert_eq!(event.enqueue_time, None);
    assert_eq!(datetime_from_timestamp(event.enqueue_time.as_ref()), None);
}

#[test]
fn real_times_round_trip() {
    for t in [
        OffsetDateTime::UNIX_EPOCH,
        datetime!(2023-11-14 22:13:20 UTC),
        datetime!(2024-02-29 23:59:59.999999999 UTC),
        datetime!(1969-12-31 23:59:59.5 UTC),
        datetime!(2024-05-01 14:00:00 +02:00),
    ] {
        let ts = timestamp_from_datetime(t);
        assert!((0..1_000_000_000).contains(&ts.nanos));
        assert_eq!(timestamp_from_option(Some(t)), ts);
        assert_eq!(datetime_from_timestamp(Some(&ts)), Some(t));
    }
    // The Unix epoch is a real time, not "no value".
    let epoch = Timestamp {
        seconds: 0,
        nanos: 0,
    };
    assert_eq!(
        datetime_from_timestamp(Some(&epoch)),
        Some(OffsetDateTime::UNIX_EPOCH)
    );
    // The offset does not change the instant.
    assert_eq!(
        timestamp_from_datetime(datetime!(2024-05-01 14:00:00 +02:00)),
        timestamp_from_datetime(datetime!(2024-05-01 12:00:00 UTC))
    );
}

#[test]
fn out_of_range_timestamp_is_none() {
    let far = Timestamp {
        seconds: i64::MAX,
        nanos: 0,
    };
    assert_eq!(datetime_from_timestamp(Some(&far)), None);
}

#[test]
fn utf8_lossy_replaces_invalid_sequences() {
    assert_eq!(utf8_lossy(b"plain"), "plain");
    assert_eq!(utf8_lossy("héllo".as_bytes()), "héllo");
    assert_eq!(utf8_lossy(b"a\xffb"), "a\u{fffd}b");
    // The result always survives an encode/decode round trip.
    let msg = TaskMessage {
        error_msg: utf8_lossy(b"bad \xc0\x80 bytes \xff"),
        ..Default::default()
    };
    assert_eq!(decode_task_message(&encode(&msg)).unwrap(), msg);
}
