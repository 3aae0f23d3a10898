//! The task a handler receives: [`asynq_client::Task`], rebuilt from the dequeued message.

use asynq_client::Task;
use asynq_proto::TaskMessage;

/// The task a handler receives for `msg` (Go `newTask` in `processor.go`): type, payload and
/// headers of the message, no options.
///
/// The worker side reuses the producer's [`Task`] type, so a handler can re-enqueue or forward
/// the task it got with a `Client` unchanged. An empty payload becomes "no payload"
/// ([`Task::without_payload`]), as Go's protobuf decoder yields a nil slice for it; the
/// difference only matters for the unique key of a task enqueued again with `Unique`.
pub fn task_from_message(msg: &TaskMessage) -> Task {
    let task = if msg.payload.is_empty() {
        Task::without_payload(msg.r#type.clone())
    } else {
        Task::new(msg.r#type.clone(), msg.payload.clone())
    };
    if msg.headers.is_empty() {
        task
    } else {
        task.with_headers(msg.headers.iter().map(|(k, v)| (k.clone(), v.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_carries_type_payload_and_headers() {
        let msg = TaskMessage {
            r#type: "email:send".into(),
            payload: bytes::Bytes::from_static(b"hi"),
            headers: [("k".to_string(), "v".to_string())].into_iter().collect(),
            id: "id1".into(),
            queue: "default".into(),
            ..Default::default()
        };
        let t = task_from_message(&msg);
        assert_eq!(t.task_type(), "email:send");
        assert_eq!(t.payload(), b"hi");
        assert_eq!(t.headers().get("k").map(String::as_str), Some("v"));
        assert!(t.options().is_empty());
    }

    #[test]
    fn empty_payload_is_no_payload() {
        let msg = TaskMessage {
            r#type: "t".into(),
            ..Default::default()
        };
        let t = task_from_message(&msg);
        assert!(t.payload_bytes().is_none());
        assert!(t.headers().is_empty());
    }
}
