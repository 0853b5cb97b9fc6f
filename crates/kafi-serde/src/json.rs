//! Low-level pieces of the JSON form: a fast writer for strings, bytes,
//! headers and timestamps, and the interpretation of parsed JSON fields.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use kafi_core::{Headers, Timestamp, TimestampType};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

/// The key of the object that holds bytes that are not valid UTF-8.
const BASE64_KEY: &str = "base64";

/// For each byte: 0 when it is written as is, else the character after the
/// backslash of its escape (`u` for `\u00XX`).
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes `s` as a JSON string (the same escapes as `serde_json`).
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = ESCAPE[b as usize];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if escape == b'u' {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Writes bytes by the bytes rule: a JSON string when they are valid UTF-8,
/// else `{"base64":"..."}`.
pub(crate) fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(s) => write_str(out, s),
        Err(_) => {
            out.extend_from_slice(b"{\"base64\":\"");
            let start = out.len();
            out.resize(start + bytes.len().div_ceil(3) * 4, 0);
            match BASE64.encode_slice(bytes, &mut out[start..]) {
                Ok(written) => out.truncate(start + written),
                // Cannot happen (the buffer has the exact size); stay correct anyway.
                Err(_) => {
                    out.truncate(start);
                    out.extend_from_slice(BASE64.encode(bytes).as_bytes());
                }
            }
            out.extend_from_slice(b"\"}");
        }
    }
}

/// Writes `json`, a valid JSON text without surrounding whitespace, on one
/// line: verbatim unless it contains line breaks, else compacted.
pub(crate) fn write_json_text(out: &mut Vec<u8>, json: &str) {
    let bytes = json.as_bytes();
    if memchr::memchr2(b'\n', b'\r', bytes).is_none() {
        out.extend_from_slice(bytes);
    } else {
        minify_into(out, bytes);
    }
}

/// Copies valid JSON text without the whitespace outside its strings.
pub(crate) fn minify_into(out: &mut Vec<u8>, json: &[u8]) {
    out.reserve(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for &b in json {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => {}
                b'"' => {
                    in_string = true;
                    out.push(b);
                }
                _ => out.push(b),
            }
        }
    }
}

/// Writes an integer.
pub(crate) fn write_int(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Writes `null` or the array of `[key, value]` header pairs.
pub(crate) fn write_headers(out: &mut Vec<u8>, headers: &Headers) {
    if headers.is_empty() {
        out.extend_from_slice(b"null");
        return;
    }
    out.push(b'[');
    for (i, (key, value)) in headers.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        write_str(out, key);
        out.push(b',');
        match value {
            Some(value) => write_bytes(out, value),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b']');
    }
    out.push(b']');
}

/// Writes `[type, millis]`.
pub(crate) fn write_timestamp(out: &mut Vec<u8>, timestamp: Timestamp) {
    out.push(b'[');
    write_int(out, timestamp.kind as u8);
    out.push(b',');
    write_int(out, timestamp.millis);
    out.push(b']');
}

/// Bytes as a JSON value by the bytes rule.
pub(crate) fn bytes_to_value(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(s) => Value::String(s.to_owned()),
        Err(_) => {
            let mut object = serde_json::Map::with_capacity(1);
            object.insert(BASE64_KEY.into(), Value::String(BASE64.encode(bytes)));
            Value::Object(object)
        }
    }
}

/// Headers as a JSON value: `null` when empty, else `[key, value]` pairs.
pub(crate) fn headers_to_value(headers: &Headers) -> Value {
    if headers.is_empty() {
        return Value::Null;
    }
    Value::Array(
        headers
            .iter()
            .map(|(key, value)| {
                Value::Array(vec![
                    Value::String(key.clone()),
                    value.as_deref().map_or(Value::Null, bytes_to_value),
                ])
            })
            .collect(),
    )
}

/// A message in its JSON form; `F` is how key and value are kept
/// (`&RawValue` for envelope lines, `Value` for transformed objects).
#[derive(Deserialize)]
#[serde(
    bound = "F: Deserialize<'de>",
    deny_unknown_fields,
    expecting = "a message object with the fields topic, headers, partition, offset, timestamp, key and value"
)]
pub(crate) struct Envelope<F> {
    #[serde(default, rename = "topic")]
    _topic: Option<IgnoredAny>,
    #[serde(default)]
    pub headers: Option<Value>,
    #[serde(default)]
    pub partition: Option<Value>,
    #[serde(default, rename = "offset")]
    _offset: Option<IgnoredAny>,
    #[serde(default)]
    pub timestamp: Option<Value>,
    #[serde(default)]
    pub key: Option<F>,
    /// `None` when the field is absent, `Some(None)` for `"value": null`.
    #[serde(default, deserialize_with = "present")]
    pub value: Option<Option<F>>,
}

/// Deserializes a field that is present (possibly `null`), so that an
/// absent field (the `default`, `None`) can be told from `null`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// The message for a JSON message form without a `value` field.
pub(crate) const MISSING_VALUE: &str =
    "the message has no \"value\" field (write \"value\": null for a tombstone)";

/// The message for a JSON message form that is not an object.
pub(crate) fn not_an_object(found: &str) -> String {
    format!("expected a message object with the fields topic, headers, partition, offset, timestamp, key and value, found {found}")
}

/// Rejects a line that is not a JSON object (serde would read an array as
/// the fields in order), saying whether it is empty, not JSON at all, or
/// JSON of another kind; problems inside an object are left to the parser.
pub(crate) fn check_object_start(line: &[u8]) -> Result<(), String> {
    let found = match line.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => return Ok(()),
        None => return Err("the line is empty; expected a message object".to_owned()),
        Some(first) => {
            if let Err(e) = serde_json::from_slice::<IgnoredAny>(line) {
                return Err(format!("the line is not JSON ({e})"));
            }
            match first {
                b'[' => "an array",
                b'"' => "a string",
                b't' | b'f' => "a boolean",
                b'n' => "null",
                _ => "a number",
            }
        }
    };
    Err(not_an_object(found))
}

/// A short description of a JSON value's kind for error messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Bytes from a JSON string or a `{"base64": "..."}` object.
pub(crate) fn bytes_from_value(value: Value) -> Result<Bytes, String> {
    match value {
        Value::String(s) => Ok(Bytes::from(s.into_bytes())),
        Value::Object(object) => {
            let encoded = match object.get(BASE64_KEY) {
                Some(Value::String(encoded)) if object.len() == 1 => encoded,
                _ => {
                    return Err(
                        "expected an object with the single key \"base64\" holding a string"
                            .to_owned(),
                    )
                }
            };
            BASE64
                .decode(encoded)
                .map(Bytes::from)
                .map_err(|e| format!("invalid base64: {e}"))
        }
        other => Err(format!(
            "expected a string or a {{\"base64\": \"...\"}} object, found {}",
            kind(&other)
        )),
    }
}

/// Bytes of a header value: `null` or by the bytes rule.
fn header_value_from_value(value: Value) -> Result<Option<Bytes>, String> {
    match value {
        Value::Null => Ok(None),
        other => bytes_from_value(other).map(Some),
    }
}

/// Headers from `null` or an array of `[key, value]` pairs.
pub(crate) fn headers_from_value(value: Option<Value>) -> Result<Headers, String> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Headers::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(format!(
                "expected null or an array of [key, value] pairs, found {}",
                kind(&other)
            ))
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let pair = match item {
                Value::Array(pair) if pair.len() == 2 => pair,
                other => {
                    return Err(format!(
                        "header {i}: expected a [key, value] pair, found {}",
                        match &other {
                            Value::Array(a) => format!("an array of {} elements", a.len()),
                            v => kind(v).to_owned(),
                        }
                    ))
                }
            };
            let mut pair = pair.into_iter();
            let (key, value) = (pair.next(), pair.next());
            let key = match key {
                Some(Value::String(key)) => key,
                other => {
                    return Err(format!(
                        "header {i}: the key must be a string, found {}",
                        other.as_ref().map_or("nothing", kind)
                    ))
                }
            };
            let value = header_value_from_value(value.unwrap_or(Value::Null))
                .map_err(|e| format!("header {i} ({key:?}): {e}"))?;
            Ok((key, value))
        })
        .collect()
}

/// A partition from `null` (none) or a non-negative 32-bit integer.
pub(crate) fn partition_from_value(value: Option<Value>) -> Result<Option<i32>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| format!("expected a non-negative 32-bit integer, found {n}")),
        Some(other) => Err(format!(
            "expected a non-negative 32-bit integer, found {}",
            kind(&other)
        )),
    }
}

/// A timestamp from `null` (none), `[type, millis]`, or bare millis
/// (a create time).
pub(crate) fn timestamp_from_value(value: Option<Value>) -> Result<Option<Timestamp>, String> {
    const EXPECTED: &str = "expected [type, millis] with type 0, 1 or 2";
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(|millis| Some(Timestamp::create_time(millis)))
            .ok_or_else(|| format!("expected integer milliseconds, found {n}")),
        Some(Value::Array(items)) => match items.as_slice() {
            [Value::Number(kind), Value::Number(millis)] => {
                let kind = kind
                    .as_i64()
                    .and_then(TimestampType::from_code)
                    .ok_or_else(|| format!("{EXPECTED}, found type {kind}"))?;
                let millis = millis
                    .as_i64()
                    .ok_or_else(|| format!("{EXPECTED}, found millis {millis}"))?;
                Ok(Some(Timestamp { kind, millis }))
            }
            [_, _] => Err(format!("{EXPECTED}, found non-numbers")),
            _ => Err(format!(
                "{EXPECTED}, found an array of {} elements",
                items.len()
            )),
        },
        Some(other) => Err(format!("{EXPECTED}, found {}", kind(&other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minified(json: &str) -> String {
        let mut out = Vec::new();
        minify_into(&mut out, json.as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn minify_keeps_strings() {
        assert_eq!(
            minified("{ \"a \\\" \\\\\" :\n [ 1 ,\t\"x\\n y\" ] }"),
            "{\"a \\\" \\\\\":[1,\"x\\n y\"]}"
        );
        assert_eq!(minified(" \"\\\\\" "), "\"\\\\\"");
    }

    #[test]
    fn strings_are_escaped_like_serde_json() {
        let all: String = (0u32..0x80)
            .filter_map(char::from_u32)
            .chain("é€🦀".chars())
            .collect();
        let mut out = Vec::new();
        write_str(&mut out, &all);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&all).unwrap()
        );
    }

    #[test]
    fn base64_is_standard_with_padding() {
        for len in 0..8 {
            let bytes: Vec<u8> = (0..len).map(|i| 0xf0 | i as u8).collect();
            let mut out = Vec::new();
            write_bytes(&mut out, &bytes);
            let expected = if bytes.is_empty() {
                "\"\"".to_owned()
            } else {
                format!("{{\"base64\":\"{}\"}}", BASE64.encode(&bytes))
            };
            assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
    }
}
