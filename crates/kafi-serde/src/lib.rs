//! Serialization of kafi message keys and values, and the JSON form of
//! messages that the CLI prints and reads back.
//!
//! A [`Codec`] turns the raw key and value bytes of a [`RawMessage`] into
//! [`Data`] (a decoded [`Message`], Kafi's message dict) and back, for one
//! pair of [`KeyValueTypes`]:
//!
//! | type | decoding | encoding |
//! | --- | --- | --- |
//! | `bytes` | the bytes unchanged | the bytes unchanged |
//! | `str` | UTF-8 text (invalid UTF-8 is an error) | the text's UTF-8 |
//! | `json` | a JSON document (invalid JSON is an error) | compact JSON text |
//! | `avro`, `protobuf`, `jsonschema` | the [Confluent wire format](wire): the schema is looked up by id (see [`Codec::prepare_decode`]); printed as JSON | a JSON value checked against the schema given by [`SideSchema`] (see [`Codec::prepare_encode`]) |
//!
//! The schema registry types are behind the features `serde-avro`,
//! `serde-protobuf` and `serde-jsonschema`; they get schemas through a
//! [`SchemaLookup`] (over the registry client or the emulated registry of
//! `kafi-registry`), so this crate makes no network calls. Decoding and
//! encoding stay synchronous: the async `prepare_*` steps fetch or register
//! schemas first and cache them by id.
//!
//! # The JSON-lines form
//!
//! [`write_json_line`] prints one message as one JSON object on one line,
//! with the fields in this order:
//!
//! ```text
//! {"topic":"t","headers":null,"partition":0,"offset":0,"timestamp":[1,1732660705555],"key":"123","value":{"bla":123}}
//! ```
//!
//! - `headers` is `null` when there are none, else an array of
//!   `[key, value]` pairs in order (duplicates kept); a header value is a
//!   JSON string when it is valid UTF-8, `null` when null, else
//!   `{"base64":"..."}` (standard base64 with padding).
//! - `timestamp` is `[type, millis]`: type 0 (not available, millis -1),
//!   1 (create time) or 2 (log append time).
//! - `key` and `value` by their type: a null key or value is `null`; `json`
//!   is the JSON text itself (compacted only if it spans lines); `str` is a
//!   JSON string; `bytes` is a JSON string when the bytes are valid UTF-8,
//!   else `{"base64":"..."}`.
//!
//! [`parse_envelope`] reads such a line back into a [`ProduceRecord`]: a
//! JSON string is its UTF-8 bytes, an object with the single key `base64`
//! the bytes it encodes, and a `json` key or value the JSON text byte for
//! byte as written in the line.
//! The one ambiguity: a `json` value whose text is `null` prints as `null`
//! and reads back as a null value.
//!
//! # Nesting limit
//!
//! JSON keys and values nest at most [`MAX_JSON_NESTING`] (127) arrays and
//! objects deep, the depth `serde_json` reads: encoding (producing) a
//! deeper `json` value is an [`Error::Encode`], and decoding or printing one
//! written by someone else an [`Error::Decode`] naming the message. This
//! keeps every recursive reader (jq included) within its stack.
//!
//! ```
//! use bytes::Bytes;
//! use kafi_core::{RawMessage, Timestamp};
//! use kafi_serde::{parse_envelope, write_json_line, KeyValueTypes, SerdeType};
//!
//! let message = RawMessage {
//!     topic: "topic_json".into(),
//!     headers: vec![("h".into(), Some(Bytes::from_static(b"\xff")))],
//!     partition: 0,
//!     offset: 0,
//!     timestamp: Timestamp::create_time(1732660705555),
//!     key: Some(Bytes::from_static(b"123")),
//!     value: Some(Bytes::from_static(br#"{"bla": 123}"#)),
//! };
//! let types = KeyValueTypes::new(SerdeType::Str, SerdeType::Json);
//!
//! let mut line = Vec::new();
//! write_json_line(&mut line, &message, types)?;
//! assert_eq!(
//!     std::str::from_utf8(&line)?,
//!     "{\"topic\":\"topic_json\",\"headers\":[[\"h\",{\"base64\":\"/w==\"}]],\"partition\":0,\
//!      \"offset\":0,\"timestamp\":[1,1732660705555],\"key\":\"123\",\"value\":{\"bla\": 123}}\n"
//! );
//!
//! let record = parse_envelope(&line, types)?;
//! assert_eq!(record.key, message.key);
//! assert_eq!(record.value, message.value);
//! assert_eq!(record.headers, message.headers);
//! assert_eq!(record.partition, Some(0));
//! assert_eq!(record.timestamp, Some(message.timestamp));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// docs.rs (`--cfg docsrs`, nightly) labels feature-gated items with their features.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod codec;
mod error;
pub mod formats;
mod json;
mod message;
mod nesting;
mod schema;
pub mod wire;

pub use codec::{Codec, SideSchema};
pub use error::{BoxError, Error, Result};
pub use kafi_config::SerdeType;
pub use message::{Data, KeyValueTypes, Message};
pub use nesting::{check_json_nesting, NestingError, MAX_JSON_NESTING};
pub use schema::{
    Compatibility, RegisteredSchema, Schema, SchemaInfo, SchemaLookup, SchemaReference, SchemaType,
    SubjectFilter, SubjectVersion,
};

use kafi_core::{ProduceRecord, RawMessage};

/// Appends `m` as one JSON line (ending in `'\n'`) to `out`, in the
/// [JSON-lines form](crate#the-json-lines-form).
///
/// This is the fast path for printing: nothing is allocated besides growing
/// `out`, so reuse one buffer for many messages. A `json` key or value is
/// validated and copied verbatim (compacted only if it contains line
/// breaks). A key or value that does not decode with its type is an
/// [`Error::Decode`]; `out` is then left as it was.
pub fn write_json_line(out: &mut Vec<u8>, m: &RawMessage, types: KeyValueTypes) -> Result<()> {
    Codec::new(types).write_json_line(out, m)
}

/// Parses one line in the [JSON-lines form](crate#the-json-lines-form) back
/// into a record to produce.
///
/// Key and value are read by `types` (a `json` key or value is kept byte for
/// byte as written). The `value` field is required: `"value": null` is a
/// tombstone (a null value), and a line without `value` is an error, so
/// that `{}` or a transform that drops the field never deletes a key by
/// accident. A missing key is a null key. `headers`, `partition` and
/// `timestamp` are kept when present; a missing or `null` partition lets
/// the producer choose and a missing or `null` timestamp means now.
/// `timestamp` may also be a bare number of milliseconds (a create time).
/// `topic` and `offset` are ignored; unknown fields are an error. Every
/// failure is an [`Error::Envelope`] naming the field and the problem (an
/// empty line, text that is not JSON, JSON that is not an object).
pub fn parse_envelope(line: &[u8], types: KeyValueTypes) -> Result<ProduceRecord> {
    Codec::new(types).parse_envelope(line)
}

/// The JSON form of a message as a JSON value: `Codec::new(types).decode(m)?.to_json()`.
pub fn message_to_json_value(m: &RawMessage, types: KeyValueTypes) -> Result<serde_json::Value> {
    Ok(Codec::new(types).decode(m)?.to_json())
}
