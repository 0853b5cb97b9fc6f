//! The codec: raw bytes to [`Data`] and back for a pair of types.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use kafi_config::SerdeType;
use kafi_core::{ProduceRecord, RawMessage};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::json::{self, Envelope};
use crate::message::{Data, KeyValueTypes, Message};
use crate::schema::SchemaLookup;
use crate::{Error, Result};

/// How one side (key or value) is (de)serialized.
///
/// The schema registry types will carry their state (schema, subject,
/// caches) in their variants.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Side {
    Bytes,
    Str,
    Json,
    Avro,
    Protobuf,
    JsonSchema,
}

impl Side {
    fn new(serde_type: SerdeType) -> Self {
        match serde_type {
            SerdeType::Bytes => Side::Bytes,
            SerdeType::Str => Side::Str,
            SerdeType::Json => Side::Json,
            SerdeType::Avro => Side::Avro,
            SerdeType::Protobuf => Side::Protobuf,
            SerdeType::JsonSchema => Side::JsonSchema,
        }
    }

    fn serde_type(&self) -> SerdeType {
        match self {
            Side::Bytes => SerdeType::Bytes,
            Side::Str => SerdeType::Str,
            Side::Json => SerdeType::Json,
            Side::Avro => SerdeType::Avro,
            Side::Protobuf => SerdeType::Protobuf,
            Side::JsonSchema => SerdeType::JsonSchema,
        }
    }

    fn unsupported(&self) -> Error {
        Error::Unsupported {
            serde_type: self.serde_type(),
        }
    }

    /// Decodes stored bytes; the error is the reason only.
    fn decode(&self, bytes: &Bytes) -> Result<Data, DecodeFailure> {
        match self {
            Side::Bytes => Ok(Data::Bytes(bytes.clone())),
            Side::Str => std::str::from_utf8(bytes)
                .map(|s| Data::Str(s.to_owned()))
                .map_err(DecodeFailure::reason),
            Side::Json => serde_json::from_slice(bytes)
                .map(Data::Json)
                .map_err(DecodeFailure::reason),
            Side::Avro | Side::Protobuf | Side::JsonSchema => {
                Err(DecodeFailure::Other(self.unsupported()))
            }
        }
    }

    /// Writes stored bytes in the JSON-lines form.
    fn write_json(&self, out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), DecodeFailure> {
        match self {
            Side::Bytes => json::write_bytes(out, bytes),
            Side::Str => {
                let s = std::str::from_utf8(bytes).map_err(DecodeFailure::reason)?;
                json::write_str(out, s);
            }
            Side::Json => {
                let raw: &RawValue =
                    serde_json::from_slice(bytes).map_err(DecodeFailure::reason)?;
                json::write_json_text(out, raw.get());
            }
            Side::Avro | Side::Protobuf | Side::JsonSchema => {
                return Err(DecodeFailure::Other(self.unsupported()))
            }
        }
        Ok(())
    }

    /// Encodes data; see [`Codec::encode_value`] for the rules.
    fn encode(&self, field: &'static str, data: &Data) -> Result<Bytes> {
        let encode_error = |reason: String| Error::Encode {
            field,
            serde_type: self.serde_type(),
            reason,
        };
        match self {
            Side::Bytes => match data {
                Data::Bytes(b) => Ok(b.clone()),
                Data::Str(s) => Ok(Bytes::copy_from_slice(s.as_bytes())),
                Data::Json(v) => json::bytes_from_value(v.clone()).map_err(encode_error),
            },
            Side::Str => match data {
                Data::Bytes(b) => match std::str::from_utf8(b) {
                    Ok(_) => Ok(b.clone()),
                    Err(e) => Err(encode_error(e.to_string())),
                },
                Data::Str(s) => Ok(Bytes::copy_from_slice(s.as_bytes())),
                Data::Json(Value::String(s)) => Ok(Bytes::copy_from_slice(s.as_bytes())),
                Data::Json(v) => Ok(json_to_bytes(v)),
            },
            Side::Json => match data {
                Data::Json(v) => Ok(json_to_bytes(v)),
                Data::Str(s) => validate_json(s.as_bytes())
                    .map(|()| Bytes::copy_from_slice(s.as_bytes()))
                    .map_err(encode_error),
                Data::Bytes(b) => validate_json(b).map(|()| b.clone()).map_err(encode_error),
            },
            Side::Avro | Side::Protobuf | Side::JsonSchema => Err(self.unsupported()),
        }
    }

    /// Key or value bytes from a field of an envelope line.
    fn read_raw(&self, raw: &RawValue) -> Result<Bytes, FieldFailure> {
        let text = raw.get();
        match self {
            Side::Json => Ok(Bytes::copy_from_slice(text.as_bytes())),
            Side::Str if text.starts_with('"') => serde_json::from_str::<String>(text)
                .map(|s| Bytes::from(s.into_bytes()))
                .map_err(FieldFailure::reason),
            Side::Str => {
                let mut compact = Vec::with_capacity(text.len());
                json::minify_into(&mut compact, text.as_bytes());
                Ok(Bytes::from(compact))
            }
            Side::Bytes => serde_json::from_str::<Value>(text)
                .map_err(FieldFailure::reason)
                .and_then(|v| json::bytes_from_value(v).map_err(FieldFailure::Reason)),
            Side::Avro | Side::Protobuf | Side::JsonSchema => {
                Err(FieldFailure::Other(self.unsupported()))
            }
        }
    }

    /// Key or value bytes from a field of a transformed JSON object.
    fn read_value(&self, value: Value) -> Result<Bytes, FieldFailure> {
        match (self, value) {
            (Side::Json, v) => Ok(json_to_bytes(&v)),
            (Side::Str, Value::String(s)) => Ok(Bytes::from(s.into_bytes())),
            (Side::Str, v) => Ok(json_to_bytes(&v)),
            (Side::Bytes, v) => json::bytes_from_value(v).map_err(FieldFailure::Reason),
            (Side::Avro | Side::Protobuf | Side::JsonSchema, _) => {
                Err(FieldFailure::Other(self.unsupported()))
            }
        }
    }
}

/// Why a side failed to decode: a reason to put into [`Error::Decode`], or
/// an error that stands on its own.
enum DecodeFailure {
    Reason(String),
    Other(Error),
}

impl DecodeFailure {
    fn reason(e: impl fmt::Display) -> Self {
        DecodeFailure::Reason(e.to_string())
    }
}

/// Why a field of a JSON message form failed: a reason to put into
/// [`Error::Envelope`], or an error that stands on its own.
enum FieldFailure {
    Reason(String),
    Other(Error),
}

impl FieldFailure {
    fn reason(e: impl fmt::Display) -> Self {
        FieldFailure::Reason(e.to_string())
    }

    fn into_error(self, field: &str) -> Error {
        match self {
            FieldFailure::Reason(reason) => Error::envelope(field, reason),
            FieldFailure::Other(e) => e,
        }
    }
}

fn json_to_bytes(value: &Value) -> Bytes {
    // Serializing a `Value` into memory cannot fail (its map keys are strings).
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

fn validate_json(bytes: &[u8]) -> Result<(), String> {
    serde_json::from_slice::<&RawValue>(bytes)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Turns raw key and value bytes into [`Data`] and back for one pair of
/// key and value types.
///
/// Creating a codec is cheap (no allocation); the free functions
/// [`write_json_line`](crate::write_json_line) and
/// [`parse_envelope`](crate::parse_envelope) create one per call.
#[derive(Clone, Debug)]
pub struct Codec {
    types: KeyValueTypes,
    key: Side,
    value: Side,
    schema_lookup: Option<Arc<dyn SchemaLookup>>,
}

impl Codec {
    /// A codec for `types`.
    pub fn new(types: KeyValueTypes) -> Self {
        Self {
            types,
            key: Side::new(types.key),
            value: Side::new(types.value),
            schema_lookup: None,
        }
    }

    /// Uses `lookup` to find and register schemas (for the schema registry
    /// types, once they are implemented).
    pub fn with_schema_lookup(mut self, lookup: Arc<dyn SchemaLookup>) -> Self {
        self.schema_lookup = Some(lookup);
        self
    }

    /// The schema lookup, if one was given.
    pub fn schema_lookup(&self) -> Option<&Arc<dyn SchemaLookup>> {
        self.schema_lookup.as_ref()
    }

    /// The key and value types.
    pub fn types(&self) -> KeyValueTypes {
        self.types
    }

    /// Decodes a stored message.
    ///
    /// `bytes` keeps the bytes, `str` requires valid UTF-8 and `json` parses
    /// a JSON document; a failure is an [`Error::Decode`] naming the topic,
    /// partition, offset and field.
    pub fn decode(&self, m: &RawMessage) -> Result<Message> {
        let decode = |side: &Side, field: &'static str, bytes: Option<&Bytes>| {
            bytes
                .map(|b| side.decode(b).map_err(|f| decode_error(m, field, side, f)))
                .transpose()
        };
        Ok(Message {
            topic: m.topic.clone(),
            headers: m.headers.clone(),
            partition: m.partition,
            offset: m.offset,
            timestamp: m.timestamp,
            key: decode(&self.key, "key", m.key.as_ref())?,
            value: decode(&self.value, "value", m.value.as_ref())?,
        })
    }

    /// Encodes a key; see [`Codec::encode_value`] for the rules.
    pub fn encode_key(&self, data: &Data) -> Result<Bytes> {
        self.key.encode("key", data)
    }

    /// Encodes a value with the value type.
    ///
    /// - `bytes`: bytes as they are, text as UTF-8, a JSON string as its
    ///   UTF-8 and a `{"base64": "..."}` object as the bytes it encodes.
    /// - `str`: text, bytes that are valid UTF-8, a JSON string's text or the
    ///   compact JSON text of any other JSON value.
    /// - `json`: a JSON value serialized compactly; text or bytes must be
    ///   valid JSON text and are kept verbatim (as Kafi does for strings).
    ///
    /// Anything else is an [`Error::Encode`].
    pub fn encode_value(&self, data: &Data) -> Result<Bytes> {
        self.value.encode("value", data)
    }

    /// Encodes a message into a record that keeps its headers, partition
    /// and timestamp.
    pub fn encode(&self, m: Message) -> Result<ProduceRecord> {
        Ok(ProduceRecord {
            key: m.key.as_ref().map(|d| self.encode_key(d)).transpose()?,
            value: m.value.as_ref().map(|d| self.encode_value(d)).transpose()?,
            headers: m.headers,
            partition: Some(m.partition),
            timestamp: Some(m.timestamp),
        })
    }

    /// Appends `m` as one JSON line (ending in `'\n'`) to `out`; see
    /// [`write_json_line`](crate::write_json_line). On error `out` is left
    /// as it was.
    pub fn write_json_line(&self, out: &mut Vec<u8>, m: &RawMessage) -> Result<()> {
        let start = out.len();
        let result = self.write_json_line_inner(out, m);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn write_json_line_inner(&self, out: &mut Vec<u8>, m: &RawMessage) -> Result<()> {
        let sizes = m.key.as_ref().map_or(0, Bytes::len) + m.value.as_ref().map_or(0, Bytes::len);
        out.reserve(sizes + m.topic.len() + 96);
        out.extend_from_slice(b"{\"topic\":");
        json::write_str(out, &m.topic);
        out.extend_from_slice(b",\"headers\":");
        json::write_headers(out, &m.headers);
        out.extend_from_slice(b",\"partition\":");
        json::write_int(out, m.partition);
        out.extend_from_slice(b",\"offset\":");
        json::write_int(out, m.offset);
        out.extend_from_slice(b",\"timestamp\":");
        json::write_timestamp(out, m.timestamp);
        out.extend_from_slice(b",\"key\":");
        write_side(out, m, "key", &self.key, m.key.as_deref())?;
        out.extend_from_slice(b",\"value\":");
        write_side(out, m, "value", &self.value, m.value.as_deref())?;
        out.extend_from_slice(b"}\n");
        Ok(())
    }

    /// Parses one envelope line into a record; see
    /// [`parse_envelope`](crate::parse_envelope).
    pub fn parse_envelope(&self, line: &[u8]) -> Result<ProduceRecord> {
        json::check_object_start(line).map_err(|reason| Error::Envelope { reason })?;
        let envelope: Envelope<&RawValue> =
            serde_json::from_slice(line).map_err(|e| Error::Envelope {
                reason: e.to_string(),
            })?;
        let key = envelope
            .key
            .map(|raw| self.key.read_raw(raw).map_err(|f| f.into_error("key")))
            .transpose()?;
        let value = envelope
            .value
            .map(|raw| self.value.read_raw(raw).map_err(|f| f.into_error("value")))
            .transpose()?;
        record(
            envelope.headers,
            envelope.partition,
            envelope.timestamp,
            key,
            value,
        )
    }

    /// Builds a record from a message's JSON form; see [`Message::from_json`].
    pub fn record_from_json(&self, value: Value) -> Result<ProduceRecord> {
        if !value.is_object() {
            return Err(Error::Envelope {
                reason: json::not_an_object(json::kind(&value)),
            });
        }
        let envelope: Envelope<Value> =
            serde_json::from_value(value).map_err(|e| Error::Envelope {
                reason: e.to_string(),
            })?;
        let key = envelope
            .key
            .map(|v| self.key.read_value(v).map_err(|f| f.into_error("key")))
            .transpose()?;
        let value = envelope
            .value
            .map(|v| self.value.read_value(v).map_err(|f| f.into_error("value")))
            .transpose()?;
        record(
            envelope.headers,
            envelope.partition,
            envelope.timestamp,
            key,
            value,
        )
    }
}

fn write_side(
    out: &mut Vec<u8>,
    m: &RawMessage,
    field: &'static str,
    side: &Side,
    bytes: Option<&[u8]>,
) -> Result<()> {
    match bytes {
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
        Some(bytes) => side
            .write_json(out, bytes)
            .map_err(|f| decode_error(m, field, side, f)),
    }
}

fn decode_error(m: &RawMessage, field: &'static str, side: &Side, failure: DecodeFailure) -> Error {
    match failure {
        DecodeFailure::Reason(reason) => Error::Decode {
            topic: m.topic.to_string(),
            partition: m.partition,
            offset: m.offset,
            field,
            serde_type: side.serde_type(),
            reason,
        },
        DecodeFailure::Other(e) => e,
    }
}

fn record(
    headers: Option<Value>,
    partition: Option<Value>,
    timestamp: Option<Value>,
    key: Option<Bytes>,
    value: Option<Bytes>,
) -> Result<ProduceRecord> {
    Ok(ProduceRecord {
        key,
        value,
        headers: json::headers_from_value(headers).map_err(|e| Error::envelope("headers", e))?,
        partition: json::partition_from_value(partition)
            .map_err(|e| Error::envelope("partition", e))?,
        timestamp: json::timestamp_from_value(timestamp)
            .map_err(|e| Error::envelope("timestamp", e))?,
    })
}
