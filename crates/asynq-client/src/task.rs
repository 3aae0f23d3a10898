//! [`Task`]: a unit of work (type, payload, headers, options).

use std::collections::HashMap;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ClientError;
use crate::option::TaskOption;

/// A task to enqueue: a type name routing it to a handler, an opaque payload, string headers,
/// and options applied before the enqueue call's own (Go `asynq.Task`).
///
/// A payload is either present (possibly empty) or absent, like Go's `[]byte` versus `nil`;
/// the difference only matters for the unique-lock key (spec §1.1 K20).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    task_type: String,
    payload: Option<Bytes>,
    headers: HashMap<String, String>,
    options: Vec<TaskOption>,
}

impl Task {
    /// A task of type `task_type` with `payload` (Go `NewTask`).
    pub fn new(task_type: impl Into<String>, payload: impl Into<Bytes>) -> Task {
        Task {
            task_type: task_type.into(),
            payload: Some(payload.into()),
            headers: HashMap::new(),
            options: Vec::new(),
        }
    }

    /// A task with no payload at all (Go `NewTask(type, nil)`): its unique key ends in `:`.
    pub fn without_payload(task_type: impl Into<String>) -> Task {
        Task {
            task_type: task_type.into(),
            payload: None,
            headers: HashMap::new(),
            options: Vec::new(),
        }
    }

    /// A task whose payload is `value` encoded as JSON.
    ///
    /// # Errors
    /// [`ClientError::Json`] when `value` cannot be serialised.
    pub fn from_json<T: Serialize + ?Sized>(
        task_type: impl Into<String>,
        value: &T,
    ) -> Result<Task, ClientError> {
        Ok(Task::new(task_type, serde_json::to_vec(value)?))
    }

    /// The same task with `headers` added (Go `NewTaskWithHeaders`).
    pub fn with_headers<K, V>(mut self, headers: impl IntoIterator<Item = (K, V)>) -> Task
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.headers
            .extend(headers.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The same task with `options` appended to its own options.
    pub fn with_options(mut self, options: impl IntoIterator<Item = TaskOption>) -> Task {
        self.options.extend(options);
        self
    }

    /// The type name.
    pub fn task_type(&self) -> &str {
        &self.task_type
    }

    /// The payload bytes (empty when absent).
    pub fn payload(&self) -> &[u8] {
        self.payload.as_deref().unwrap_or_default()
    }

    /// The payload, `None` when the task has none (Go `nil`).
    pub fn payload_bytes(&self) -> Option<&Bytes> {
        self.payload.as_ref()
    }

    /// The payload decoded from JSON.
    ///
    /// # Errors
    /// [`ClientError::Json`] when the payload is not JSON of type `T`.
    pub fn payload_json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        Ok(serde_json::from_slice(self.payload())?)
    }

    /// The headers.
    pub fn headers(&self) -> &HashMap<String, String> {
        &self.headers
    }

    /// The task's own options (Go `Task.Options`).
    pub fn options(&self) -> &[TaskOption] {
        &self.options
    }
}
