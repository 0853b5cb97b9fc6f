//! One side (key or value) of a codec: its type, its schemas and the
//! registry state it decodes and encodes with.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

use bytes::Bytes;
use kafi_config::SerdeType;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::formats::{self, Format};
use crate::json;
use crate::message::Data;
use crate::nesting;
use crate::schema::SchemaType;
use crate::wire;
use crate::{Error, Result};

/// The schema of one side (key or value) of a schema registry type: the
/// seed's `key_schema`/`key_schema_id` (and `value_` forms).
///
/// For producing, `schema` is registered under the TopicNameStrategy
/// subject (or found registered already); `schema_id` uses a registered
/// schema as it is. Consuming needs neither: ids come with the messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SideSchema {
    /// A schema text to register (Avro JSON, `.proto` source or JSON schema).
    pub schema: Option<String>,
    /// An id of a registered schema.
    pub schema_id: Option<i32>,
}

impl SideSchema {
    /// Neither a schema nor an id.
    pub fn is_empty(&self) -> bool {
        self.schema.is_none() && self.schema_id.is_none()
    }
}

/// A registry side: its schema source and the compiled schemas by id,
/// shared by clones of the codec.
#[derive(Clone, Debug)]
pub(super) struct RegistrySide {
    pub(super) serde_type: SerdeType,
    pub(super) schema_type: SchemaType,
    pub(super) source: SideSchema,
    pub(super) state: Arc<RegistryState>,
}

/// A compiled schema, its id and the payload after the header.
pub(super) type Framed<'a> = (Arc<dyn Format>, i32, &'a [u8]);

#[derive(Debug, Default)]
pub(super) struct RegistryState {
    pub(super) writer: OnceLock<(i32, Arc<dyn Format>)>,
    pub(super) readers: RwLock<HashMap<i32, Arc<dyn Format>>>,
}

impl RegistrySide {
    pub(super) fn reader(&self, id: i32) -> Option<Arc<dyn Format>> {
        self.state
            .readers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
    }

    pub(super) fn add_reader(&self, id: i32, format: Arc<dyn Format>) {
        self.state
            .readers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, format);
    }

    pub(super) fn split<'a>(&self, bytes: &'a [u8]) -> Result<Framed<'a>, DecodeFailure> {
        let (id, payload) = wire::read_header(bytes).map_err(DecodeFailure::reason)?;
        let format = self.reader(id).ok_or_else(|| {
            DecodeFailure::Reason(format!(
                "schema id {id} was not resolved (the codec was not prepared for this message)"
            ))
        })?;
        Ok((format, id, payload))
    }

    pub(super) fn decode(&self, bytes: &[u8]) -> Result<Data, DecodeFailure> {
        let (format, id, payload) = self.split(bytes)?;
        format
            .decode(payload)
            .map(Data::Json)
            .map_err(|e| DecodeFailure::Reason(format!("schema id {id}: {e}")))
    }

    pub(super) fn write_json(&self, out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), DecodeFailure> {
        let (format, id, payload) = self.split(bytes)?;
        format
            .write_json(out, payload)
            .map_err(|e| DecodeFailure::Reason(format!("schema id {id}: {e}")))
    }

    pub(super) fn encode_json(&self, value: &Value) -> Result<Bytes, String> {
        let (id, format) = self.state.writer.get().ok_or_else(|| {
            "no schema to write with: give a schema (key_schema/value_schema) or a schema id \
             (key_schema_id/value_schema_id)"
                .to_owned()
        })?;
        let mut out = Vec::with_capacity(64);
        wire::write_header(&mut out, *id);
        format.encode(value, &mut out)?;
        Ok(Bytes::from(out))
    }

    pub(super) fn encode(&self, data: &Data) -> Result<Bytes, String> {
        match data {
            Data::Json(v) => self.encode_json(v),
            Data::Str(s) => self.encode_json(&parse_json_value(s.as_bytes())?),
            Data::Bytes(b) => self.encode_json(&parse_json_value(b)?),
        }
    }
}

fn parse_json_value(bytes: &[u8]) -> Result<Value, String> {
    nesting::check(bytes).map_err(|e| e.to_string())?;
    serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {}", json_error(bytes, e)))
}

/// A JSON parse error, saying so when the text is empty or blank (where
/// serde_json only reports an "EOF").
fn json_error(bytes: &[u8], e: serde_json::Error) -> String {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        "the text is empty, not a JSON value".to_owned()
    } else {
        e.to_string()
    }
}

/// How one side (key or value) is (de)serialized.
#[derive(Clone, Debug)]
pub(super) enum Side {
    Bytes,
    Str,
    Json,
    Registry(Box<RegistrySide>),
}

impl Side {
    pub(super) fn new(serde_type: SerdeType, source: SideSchema) -> Self {
        match serde_type {
            SerdeType::Bytes => Side::Bytes,
            SerdeType::Str => Side::Str,
            SerdeType::Json => Side::Json,
            SerdeType::Avro | SerdeType::Protobuf | SerdeType::JsonSchema => {
                Side::Registry(Box::new(RegistrySide {
                    serde_type,
                    schema_type: formats::schema_type_of(serde_type).unwrap_or_default(),
                    source,
                    state: Arc::default(),
                }))
            }
        }
    }

    pub(super) fn serde_type(&self) -> SerdeType {
        match self {
            Side::Bytes => SerdeType::Bytes,
            Side::Str => SerdeType::Str,
            Side::Json => SerdeType::Json,
            Side::Registry(r) => r.serde_type,
        }
    }

    /// Decodes stored bytes; the error is the reason only.
    pub(super) fn decode(&self, bytes: &Bytes) -> Result<Data, DecodeFailure> {
        match self {
            Side::Bytes => Ok(Data::Bytes(bytes.clone())),
            Side::Str => std::str::from_utf8(bytes)
                .map(|s| Data::Str(s.to_owned()))
                .map_err(DecodeFailure::reason),
            Side::Json => {
                nesting::check(bytes).map_err(DecodeFailure::reason)?;
                serde_json::from_slice(bytes)
                    .map(Data::Json)
                    .map_err(DecodeFailure::reason)
            }
            Side::Registry(r) => r.decode(bytes),
        }
    }

    /// Writes stored bytes in the JSON-lines form.
    pub(super) fn write_json(&self, out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), DecodeFailure> {
        match self {
            Side::Bytes => json::write_bytes(out, bytes),
            Side::Str => {
                let s = std::str::from_utf8(bytes).map_err(DecodeFailure::reason)?;
                json::write_str(out, s);
            }
            Side::Json => {
                let raw: &RawValue =
                    serde_json::from_slice(bytes).map_err(DecodeFailure::reason)?;
                // Printing needs no recursion, but whoever reads the line
                // back (produce, jq) must be able to.
                nesting::check(bytes).map_err(DecodeFailure::reason)?;
                json::write_json_text(out, raw.get());
            }
            Side::Registry(r) => r.write_json(out, bytes)?,
        }
        Ok(())
    }

    /// Encodes data; see [`Codec::encode_value`] for the rules.
    pub(super) fn encode(&self, field: &'static str, data: &Data) -> Result<Bytes> {
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
                Data::Json(v) => {
                    let bytes = json_to_bytes(v);
                    nesting::check(&bytes).map_err(|e| encode_error(e.to_string()))?;
                    Ok(bytes)
                }
                Data::Str(s) => validate_json(s.as_bytes())
                    .map(|()| Bytes::copy_from_slice(s.as_bytes()))
                    .map_err(encode_error),
                Data::Bytes(b) => validate_json(b).map(|()| b.clone()).map_err(encode_error),
            },
            Side::Registry(r) => r.encode(data).map_err(encode_error),
        }
    }

    /// Key or value bytes from a field of an envelope line.
    pub(super) fn read_raw(&self, raw: &RawValue) -> Result<Bytes, FieldFailure> {
        let text = raw.get();
        match self {
            Side::Json => {
                nesting::check(text.as_bytes()).map_err(FieldFailure::reason)?;
                Ok(Bytes::copy_from_slice(text.as_bytes()))
            }
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
            Side::Registry(r) => {
                nesting::check(text.as_bytes()).map_err(FieldFailure::reason)?;
                let value: Value = serde_json::from_str(text).map_err(FieldFailure::reason)?;
                r.encode_json(&value)
                    .map_err(|reason| self.encode_failure(reason))
            }
        }
    }

    pub(super) fn encode_failure(&self, reason: String) -> FieldFailure {
        FieldFailure::Reason(format!("cannot encode as {}: {reason}", self.serde_type()))
    }

    /// Key or value bytes from a field of a transformed JSON object.
    pub(super) fn read_value(&self, value: Value) -> Result<Bytes, FieldFailure> {
        match (self, value) {
            (Side::Json, v) => {
                let bytes = json_to_bytes(&v);
                nesting::check(&bytes).map_err(FieldFailure::reason)?;
                Ok(bytes)
            }
            (Side::Str, Value::String(s)) => Ok(Bytes::from(s.into_bytes())),
            (Side::Str, v) => Ok(json_to_bytes(&v)),
            (Side::Bytes, v) => json::bytes_from_value(v).map_err(FieldFailure::Reason),
            (Side::Registry(r), v) => r
                .encode_json(&v)
                .map_err(|reason| self.encode_failure(reason)),
        }
    }
}

/// Why a side failed to decode: a reason to put into [`Error::Decode`], or
/// an error that stands on its own.
pub(super) enum DecodeFailure {
    Reason(String),
}

impl DecodeFailure {
    pub(super) fn reason(e: impl fmt::Display) -> Self {
        DecodeFailure::Reason(e.to_string())
    }
}

/// Why a field of a JSON message form failed: a reason to put into
/// [`Error::Envelope`], or an error that stands on its own.
pub(super) enum FieldFailure {
    Reason(String),
}

impl FieldFailure {
    pub(super) fn reason(e: impl fmt::Display) -> Self {
        FieldFailure::Reason(e.to_string())
    }

    pub(super) fn into_error(self, field: &str) -> Error {
        match self {
            FieldFailure::Reason(reason) => Error::envelope(field, reason),
        }
    }
}

fn json_to_bytes(value: &Value) -> Bytes {
    // Serializing a `Value` into memory cannot fail (its map keys are strings).
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

fn validate_json(bytes: &[u8]) -> Result<(), String> {
    nesting::check(bytes).map_err(|e| e.to_string())?;
    serde_json::from_slice::<&RawValue>(bytes)
        .map(|_| ())
        .map_err(|e| json_error(bytes, e))
}
