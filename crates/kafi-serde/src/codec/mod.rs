//! The codec: raw bytes to [`Data`] and back for a pair of types.

use std::sync::Arc;

use bytes::Bytes;
use kafi_config::SerdeType;
use kafi_core::{ProduceRecord, RawMessage};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::formats::{self, Format};
use crate::json::{self, Envelope};
use crate::message::{Data, KeyValueTypes, Message};
use crate::schema::{Schema, SchemaLookup};
use crate::wire;
use crate::{Error, Result};

mod side;

pub use side::SideSchema;
use side::{DecodeFailure, RegistrySide, Side};

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
        Self::with_schemas(types, SideSchema::default(), SideSchema::default())
    }

    /// A codec for `types` with schemas (or schema ids) to produce with.
    pub fn with_schemas(types: KeyValueTypes, key: SideSchema, value: SideSchema) -> Self {
        Self {
            types,
            key: Side::new(types.key, key),
            value: Side::new(types.value, value),
            schema_lookup: None,
        }
    }

    /// Whether a side is a schema registry type (needs
    /// [`prepare_decode`](Self::prepare_decode) before decoding and
    /// [`prepare_encode`](Self::prepare_encode) before encoding).
    pub fn needs_registry(&self) -> bool {
        matches!(self.key, Side::Registry(_)) || matches!(self.value, Side::Registry(_))
    }

    /// Whether a schema or schema id was given to produce with.
    pub fn has_write_schema(&self) -> bool {
        [&self.key, &self.value]
            .iter()
            .any(|s| matches!(s, Side::Registry(r) if !r.source.is_empty()))
    }

    fn lookup_for(&self, serde_type: SerdeType) -> Result<&Arc<dyn SchemaLookup>> {
        self.schema_lookup
            .as_ref()
            .ok_or(Error::Unsupported { serde_type })
    }

    /// Registers (or finds) the schemas given for producing to `topic`
    /// under the TopicNameStrategy subjects, or fetches the given ids, so
    /// that encoding needs no more lookups. Does nothing for sides without
    /// a schema or id, and for the bytes, str and json types.
    pub async fn prepare_encode(&self, topic: &str) -> Result<()> {
        for (side, is_key) in [(&self.key, true), (&self.value, false)] {
            let Side::Registry(r) = side else { continue };
            if r.state.writer.get().is_some() || r.source.is_empty() {
                continue;
            }
            let field = if is_key { "key" } else { "value" };
            let lookup = self.lookup_for(r.serde_type)?;
            let (id, format) = match (&r.source.schema_id, &r.source.schema) {
                (Some(id), _) => {
                    let schema = lookup.schema_by_id(*id).await?;
                    if schema.schema_type != r.schema_type {
                        return Err(Error::Encode {
                            field,
                            serde_type: r.serde_type,
                            reason: format!(
                                "schema id {id} is a {} schema, not {}",
                                schema.schema_type, r.schema_type
                            ),
                        });
                    }
                    (*id, compile_for(r, field, &schema)?)
                }
                (None, Some(text)) => {
                    let schema = Schema::new(r.schema_type, text.clone());
                    let format = compile_for(r, field, &schema)?;
                    let subject = wire::topic_name_subject(topic, is_key);
                    (lookup.register(&subject, &schema).await?, format)
                }
                (None, None) => continue,
            };
            r.add_reader(id, format.clone());
            let _ = r.state.writer.set((id, format));
        }
        Ok(())
    }

    /// Fetches and compiles the schemas of the ids in `messages` that this
    /// codec has not seen yet, so that decoding them needs no lookups. Free
    /// for the bytes, str and json types; bytes not in the wire format are
    /// left for decoding to report.
    pub async fn prepare_decode(&self, messages: &[RawMessage]) -> Result<()> {
        for (side, field) in [(&self.key, "key"), (&self.value, "value")] {
            let Side::Registry(r) = side else { continue };
            let mut last = None;
            for m in messages {
                let bytes = if field == "key" { &m.key } else { &m.value };
                let Some(id) = bytes.as_deref().and_then(wire::schema_id) else {
                    continue;
                };
                if last == Some(id) || r.reader(id).is_some() {
                    last = Some(id);
                    continue;
                }
                let fail = |reason: String| Error::Decode {
                    topic: m.topic.to_string(),
                    partition: m.partition,
                    offset: m.offset,
                    field,
                    serde_type: r.serde_type,
                    reason,
                };
                let lookup = self.lookup_for(r.serde_type)?;
                let schema = lookup.schema_by_id(id).await.map_err(|e| match e {
                    Error::SchemaNotFound { .. } => {
                        fail(format!("schema id {id} is not in the schema registry"))
                    }
                    other => other,
                })?;
                if schema.schema_type != r.schema_type {
                    return Err(fail(format!(
                        "schema id {id} is a {} schema, not {}",
                        schema.schema_type, r.schema_type
                    )));
                }
                let format =
                    formats::compile(&schema).map_err(|e| fail(format!("schema id {id}: {e}")))?;
                r.add_reader(id, format);
                last = Some(id);
            }
        }
        Ok(())
    }

    /// Uses `lookup` to find and register schemas.
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
            .map(|value| {
                value
                    .map(|raw| self.value.read_raw(raw).map_err(|f| f.into_error("value")))
                    .transpose()
            })
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
            .map(|value| {
                value
                    .map(|v| self.value.read_value(v).map_err(|f| f.into_error("value")))
                    .transpose()
            })
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

fn compile_for(r: &RegistrySide, field: &'static str, schema: &Schema) -> Result<Arc<dyn Format>> {
    formats::compile(schema).map_err(|reason| Error::InvalidSchema {
        field,
        serde_type: r.serde_type,
        reason,
    })
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
    }
}

/// A record from the fields of a message's JSON form; `value` is `None`
/// when the field is absent (an error, reported after the other fields'),
/// `Some(None)` for a tombstone.
fn record(
    headers: Option<Value>,
    partition: Option<Value>,
    timestamp: Option<Value>,
    key: Option<Bytes>,
    value: Option<Option<Bytes>>,
) -> Result<ProduceRecord> {
    let headers = json::headers_from_value(headers).map_err(|e| Error::envelope("headers", e))?;
    let partition =
        json::partition_from_value(partition).map_err(|e| Error::envelope("partition", e))?;
    let timestamp =
        json::timestamp_from_value(timestamp).map_err(|e| Error::envelope("timestamp", e))?;
    Ok(ProduceRecord {
        key,
        value: value.ok_or(Error::Envelope {
            reason: json::MISSING_VALUE.to_owned(),
        })?,
        headers,
        partition,
        timestamp,
    })
}
