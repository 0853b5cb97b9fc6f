//! Decoded keys, values and messages.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use kafi_config::SerdeType;
use kafi_core::{Headers, ProduceRecord, Timestamp};
use serde_json::Value;

use crate::codec::Codec;
use crate::json;
use crate::Result;

/// The key and value types of a topic's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyValueTypes {
    /// How keys are (de)serialized.
    pub key: SerdeType,
    /// How values are (de)serialized.
    pub value: SerdeType,
}

impl KeyValueTypes {
    /// The given key and value types.
    pub const fn new(key: SerdeType, value: SerdeType) -> Self {
        Self { key, value }
    }

    /// The same type for keys and values (Kafi's `type` option).
    pub const fn both(serde_type: SerdeType) -> Self {
        Self::new(serde_type, serde_type)
    }
}

impl Default for KeyValueTypes {
    /// Kafi's defaults: `str` keys and `json` values.
    fn default() -> Self {
        Self::new(SerdeType::Str, SerdeType::Json)
    }
}

impl fmt::Display for KeyValueTypes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key {}, value {}", self.key, self.value)
    }
}

/// A decoded key or value.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    /// Raw bytes (the `bytes` type).
    Bytes(Bytes),
    /// Text (the `str` type).
    Str(String),
    /// A JSON document (the `json` type).
    Json(Value),
}

impl Data {
    /// The JSON document, if this is [`Data::Json`].
    pub fn as_json(&self) -> Option<&Value> {
        match self {
            Data::Json(v) => Some(v),
            _ => None,
        }
    }

    /// The JSON document for modification, if this is [`Data::Json`].
    pub fn as_json_mut(&mut self) -> Option<&mut Value> {
        match self {
            Data::Json(v) => Some(v),
            _ => None,
        }
    }

    /// The text, if this is [`Data::Str`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Data::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes, if this is [`Data::Bytes`].
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            Data::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The JSON form: a JSON document as is, text as a JSON string, bytes as
    /// a JSON string when they are valid UTF-8 and as `{"base64": "..."}`
    /// otherwise.
    pub fn to_json(&self) -> Value {
        match self {
            Data::Bytes(b) => json::bytes_to_value(b),
            Data::Str(s) => Value::String(s.clone()),
            Data::Json(v) => v.clone(),
        }
    }
}

impl From<&str> for Data {
    fn from(s: &str) -> Self {
        Data::Str(s.to_owned())
    }
}

impl From<String> for Data {
    fn from(s: String) -> Self {
        Data::Str(s)
    }
}

impl From<Value> for Data {
    fn from(v: Value) -> Self {
        Data::Json(v)
    }
}

impl From<Bytes> for Data {
    fn from(b: Bytes) -> Self {
        Data::Bytes(b)
    }
}

impl From<Vec<u8>> for Data {
    fn from(b: Vec<u8>) -> Self {
        Data::Bytes(Bytes::from(b))
    }
}

impl From<&[u8]> for Data {
    fn from(b: &[u8]) -> Self {
        Data::Bytes(Bytes::copy_from_slice(b))
    }
}

/// A decoded message: Kafi's message dict.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Topic name.
    pub topic: Arc<str>,
    /// Headers in order; duplicate keys are allowed.
    pub headers: Headers,
    /// Partition.
    pub partition: i32,
    /// Offset within the partition.
    pub offset: i64,
    /// Timestamp and its type.
    pub timestamp: Timestamp,
    /// The decoded key, `None` for a null key.
    pub key: Option<Data>,
    /// The decoded value, `None` for a null value.
    pub value: Option<Data>,
}

impl Message {
    /// The JSON form of the message, an object with the fields `topic`,
    /// `headers`, `partition`, `offset`, `timestamp`, `key` and `value`
    /// as described in the [crate documentation](crate#the-json-lines-form).
    ///
    /// The object's fields are in `serde_json`'s map order (alphabetical
    /// unless its `preserve_order` feature is on); use
    /// [`write_json_line`](crate::write_json_line) for printing.
    pub fn to_json(&self) -> Value {
        let mut object = serde_json::Map::with_capacity(7);
        object.insert("topic".into(), Value::String(self.topic.to_string()));
        object.insert("headers".into(), json::headers_to_value(&self.headers));
        object.insert("partition".into(), self.partition.into());
        object.insert("offset".into(), self.offset.into());
        object.insert(
            "timestamp".into(),
            Value::Array(vec![
                (self.timestamp.kind as u8).into(),
                self.timestamp.millis.into(),
            ]),
        );
        object.insert("key".into(), data_to_json(self.key.as_ref()));
        object.insert("value".into(), data_to_json(self.value.as_ref()));
        Value::Object(object)
    }

    /// Encodes key and value with `types` into a record that keeps the
    /// message's headers, partition and timestamp.
    pub fn into_record(self, types: KeyValueTypes) -> Result<ProduceRecord> {
        Codec::new(types).encode(self)
    }

    /// Builds a record to produce from a message's JSON form, e.g. the
    /// result of a jq transform of [`Message::to_json`].
    ///
    /// Key and value are interpreted by the target `types`: the `json` type
    /// takes the JSON value as is (serialized compactly); `str` takes a JSON
    /// string's text and the compact JSON text of any other value; `bytes`
    /// takes a JSON string's UTF-8 bytes or a `{"base64": "..."}` object.
    /// `null` is a null key or value. As in
    /// [`parse_envelope`](crate::parse_envelope) the `value` field is
    /// required (`"value": null` for a tombstone), headers, partition and
    /// timestamp are read the same way, `topic` and `offset` are ignored,
    /// other missing fields get their defaults and unknown fields are an
    /// error.
    pub fn from_json(value: Value, types: KeyValueTypes) -> Result<ProduceRecord> {
        Codec::new(types).record_from_json(value)
    }
}

fn data_to_json(data: Option<&Data>) -> Value {
    data.map_or(Value::Null, Data::to_json)
}
