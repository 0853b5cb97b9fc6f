//! The codec: raw bytes to [`Data`] and back for a pair of types.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

use bytes::Bytes;
use kafi_config::SerdeType;
use kafi_core::{ProduceRecord, RawMessage};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::formats::{self, Format};
use crate::json::{self, Envelope};
use crate::message::{Data, KeyValueTypes, Message};
use crate::nesting;
use crate::schema::{Schema, SchemaLookup, SchemaType};
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
struct RegistrySide {
    serde_type: SerdeType,
    schema_type: SchemaType,
    source: SideSchema,
    state: Arc<RegistryState>,
}

/// A compiled schema, its id and the payload after the header.
type Framed<'a> = (Arc<dyn Format>, i32, &'a [u8]);

#[derive(Debug, Default)]
struct RegistryState {
    writer: OnceLock<(i32, Arc<dyn Format>)>,
    readers: RwLock<HashMap<i32, Arc<dyn Format>>>,
}

impl RegistrySide {
    fn reader(&self, id: i32) -> Option<Arc<dyn Format>> {
        self.state
            .readers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
    }

    fn add_reader(&self, id: i32, format: Arc<dyn Format>) {
        self.state
            .readers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, format);
    }

    fn split<'a>(&self, bytes: &'a [u8]) -> Result<Framed<'a>, DecodeFailure> {
        let (id, payload) = wire::read_header(bytes).map_err(DecodeFailure::reason)?;
        let format = self.reader(id).ok_or_else(|| {
            DecodeFailure::Reason(format!(
                "schema id {id} was not resolved (the codec was not prepared for this message)"
            ))
        })?;
        Ok((format, id, payload))
    }

    fn decode(&self, bytes: &[u8]) -> Result<Data, DecodeFailure> {
        let (format, id, payload) = self.split(bytes)?;
        format
            .decode(payload)
            .map(Data::Json)
            .map_err(|e| DecodeFailure::Reason(format!("schema id {id}: {e}")))
    }

    fn write_json(&self, out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), DecodeFailure> {
        let (format, id, payload) = self.split(bytes)?;
        format
            .write_json(out, payload)
            .map_err(|e| DecodeFailure::Reason(format!("schema id {id}: {e}")))
    }

    fn encode_json(&self, value: &Value) -> Result<Bytes, String> {
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

    fn encode(&self, data: &Data) -> Result<Bytes, String> {
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
enum Side {
    Bytes,
    Str,
    Json,
    Registry(Box<RegistrySide>),
}

impl Side {
    fn new(serde_type: SerdeType, source: SideSchema) -> Self {
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

    fn serde_type(&self) -> SerdeType {
        match self {
            Side::Bytes => SerdeType::Bytes,
            Side::Str => SerdeType::Str,
            Side::Json => SerdeType::Json,
            Side::Registry(r) => r.serde_type,
        }
    }

    /// Decodes stored bytes; the error is the reason only.
    fn decode(&self, bytes: &Bytes) -> Result<Data, DecodeFailure> {
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
    fn read_raw(&self, raw: &RawValue) -> Result<Bytes, FieldFailure> {
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

    fn encode_failure(&self, reason: String) -> FieldFailure {
        FieldFailure::Reason(format!("cannot encode as {}: {reason}", self.serde_type()))
    }

    /// Key or value bytes from a field of a transformed JSON object.
    fn read_value(&self, value: Value) -> Result<Bytes, FieldFailure> {
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
enum DecodeFailure {
    Reason(String),
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
}

impl FieldFailure {
    fn reason(e: impl fmt::Display) -> Self {
        FieldFailure::Reason(e.to_string())
    }

    fn into_error(self, field: &str) -> Error {
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
