//! The message model: what a Kafka record is on every storage.

use std::sync::Arc;

use bytes::Bytes;

/// One header: a string key and a value that may be null.
pub type Header = (String, Option<Bytes>);

/// Headers in their original order; duplicate keys are allowed.
pub type Headers = Vec<Header>;

/// How a timestamp was assigned (Kafka's numbering).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum TimestampType {
    /// No timestamp (`-1` on the wire).
    NotAvailable = 0,
    /// Set by the producer.
    CreateTime = 1,
    /// Set by the broker when appended.
    LogAppendTime = 2,
}

impl TimestampType {
    /// The type from its Kafka number (0, 1, 2).
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(Self::NotAvailable),
            1 => Some(Self::CreateTime),
            2 => Some(Self::LogAppendTime),
            _ => None,
        }
    }
}

/// A timestamp and its type, in milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// How it was assigned.
    pub kind: TimestampType,
    /// Milliseconds since the epoch (`-1` when not available).
    pub millis: i64,
}

impl Timestamp {
    /// A producer-assigned timestamp.
    pub fn create_time(millis: i64) -> Self {
        Self {
            kind: TimestampType::CreateTime,
            millis,
        }
    }

    /// The current time as a create time.
    pub fn now() -> Self {
        Self::create_time(now_millis())
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A stored message with undecoded key and value.
///
/// Key and value are cheap slices of the buffer they were read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawMessage {
    /// Topic name, shared by all messages of a topic.
    pub topic: Arc<str>,
    /// Headers in order.
    pub headers: Headers,
    /// Partition.
    pub partition: i32,
    /// Offset within the partition.
    pub offset: i64,
    /// Timestamp and its type.
    pub timestamp: Timestamp,
    /// Key bytes, `None` for a null key.
    pub key: Option<Bytes>,
    /// Value bytes, `None` for a null value (a tombstone).
    pub value: Option<Bytes>,
}

/// A message to produce.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProduceRecord {
    /// Key bytes, `None` for a null key.
    pub key: Option<Bytes>,
    /// Value bytes, `None` for a null value.
    pub value: Option<Bytes>,
    /// Headers in order.
    pub headers: Headers,
    /// Explicit partition; `None` lets the partitioner choose.
    pub partition: Option<i32>,
    /// Explicit timestamp; `None` means the current time (create time).
    pub timestamp: Option<Timestamp>,
}

impl ProduceRecord {
    /// A record with only a value.
    pub fn value(value: impl Into<Bytes>) -> Self {
        Self {
            value: Some(value.into()),
            ..Self::default()
        }
    }

    /// Sets the key.
    pub fn with_key(mut self, key: impl Into<Bytes>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The record that reproduces a stored message exactly (same partition,
    /// timestamp, headers, key and value).
    pub fn from_message(message: &RawMessage) -> Self {
        Self {
            key: message.key.clone(),
            value: message.value.clone(),
            headers: message.headers.clone(),
            partition: Some(message.partition),
            timestamp: Some(message.timestamp),
        }
    }
}
