//! The `avro` type: apache-avro datums, converted to and from JSON.
//!
//! JSON conventions (the Avro JSON encoding, made friendlier where noted):
//!
//! - a union value is written as `{"<branch>": value}` (the branch's full
//!   name for named types, the type name otherwise) and `null` as `null`;
//!   on the way in both that wrapped form and a bare value (matched against
//!   the branches in order) are accepted;
//! - `bytes` and `fixed` are strings of code points U+0000..U+00FF, one per
//!   byte (as Avro JSON does);
//! - `decimal` is written as a string with the decimal point (`"12.34"`)
//!   to keep precision; a number or such a string is accepted;
//! - `uuid` is its string; `date`, `time-*`, `timestamp-*` are their
//!   underlying int/long; `duration` is `{"months","days","millis"}`;
//! - a missing record field takes its schema default.

use std::collections::HashMap;
use std::fmt::Write as _;

use apache_avro::schema::{Name, RecordSchema, Schema as AvroSchema, UnionSchema};
use apache_avro::types::Value as AvroValue;
use apache_avro::{Days, Decimal, Duration, Millis, Months};
use serde_json::{Map, Number, Value};

use super::Format;

/// A parsed Avro schema with its named types.
#[derive(Debug)]
pub(crate) struct Avro {
    schema: AvroSchema,
    names: HashMap<Name, AvroSchema>,
}

/// Parses an Avro schema text.
pub fn parse(text: &str) -> Result<AvroSchema, String> {
    AvroSchema::parse_str(text).map_err(|e| {
        // apache-avro says "Failed to parse schema from JSON" for text that
        // is no JSON at all: say what the text is instead.
        match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Err(_) if text.trim().is_empty() => "invalid Avro schema: the text is empty".to_owned(),
            Err(json) => format!("invalid Avro schema: the text is not JSON ({json})"),
            Ok(_) => format!("invalid Avro schema: {e}"),
        }
    })
}

impl Avro {
    pub(crate) fn new(text: &str) -> Result<Self, String> {
        let schema = parse(text)?;
        let names = apache_avro::schema::ResolvedSchema::try_from(&schema)
            .map_err(|e| format!("invalid Avro schema: {e}"))?
            .get_names()
            .iter()
            .map(|(n, s)| (n.clone(), (*s).clone()))
            .collect();
        Ok(Self { schema, names })
    }

    fn resolve<'a>(&'a self, schema: &'a AvroSchema) -> Result<&'a AvroSchema, String> {
        match schema {
            AvroSchema::Ref { name } => self
                .names
                .get(name)
                .ok_or_else(|| format!("unknown named type {}", name.fullname(None))),
            s => Ok(s),
        }
    }

    // ----- JSON -> Avro -------------------------------------------------

    fn json_to_avro(
        &self,
        path: &mut String,
        schema: &AvroSchema,
        v: &Value,
    ) -> Result<AvroValue, String> {
        let schema = self.resolve(schema)?;
        let mismatch = |path: &str, expected: &str| -> String {
            format!(
                "field {}: expected {expected}, got {}",
                display_path(path),
                json_kind(v)
            )
        };
        Ok(match schema {
            AvroSchema::Null => match v {
                Value::Null => AvroValue::Null,
                _ => return Err(mismatch(path, "null")),
            },
            AvroSchema::Boolean => match v {
                Value::Bool(b) => AvroValue::Boolean(*b),
                _ => return Err(mismatch(path, "boolean")),
            },
            AvroSchema::Int => AvroValue::Int(int32(v).ok_or_else(|| mismatch(path, "int"))?),
            AvroSchema::Date => {
                AvroValue::Date(int32(v).ok_or_else(|| mismatch(path, "date (int days)"))?)
            }
            AvroSchema::TimeMillis => {
                AvroValue::TimeMillis(int32(v).ok_or_else(|| mismatch(path, "time-millis (int)"))?)
            }
            AvroSchema::Long => AvroValue::Long(int64(v).ok_or_else(|| mismatch(path, "long"))?),
            AvroSchema::TimeMicros => {
                AvroValue::TimeMicros(int64(v).ok_or_else(|| mismatch(path, "time-micros (long)"))?)
            }
            AvroSchema::TimestampMillis => AvroValue::TimestampMillis(
                int64(v).ok_or_else(|| mismatch(path, "timestamp-millis (long)"))?,
            ),
            AvroSchema::TimestampMicros => AvroValue::TimestampMicros(
                int64(v).ok_or_else(|| mismatch(path, "timestamp-micros (long)"))?,
            ),
            AvroSchema::TimestampNanos => AvroValue::TimestampNanos(
                int64(v).ok_or_else(|| mismatch(path, "timestamp-nanos (long)"))?,
            ),
            AvroSchema::LocalTimestampMillis => AvroValue::LocalTimestampMillis(
                int64(v).ok_or_else(|| mismatch(path, "local-timestamp-millis (long)"))?,
            ),
            AvroSchema::LocalTimestampMicros => AvroValue::LocalTimestampMicros(
                int64(v).ok_or_else(|| mismatch(path, "local-timestamp-micros (long)"))?,
            ),
            AvroSchema::LocalTimestampNanos => AvroValue::LocalTimestampNanos(
                int64(v).ok_or_else(|| mismatch(path, "local-timestamp-nanos (long)"))?,
            ),
            AvroSchema::Float => match v.as_f64() {
                Some(f) => AvroValue::Float(f as f32),
                None => return Err(mismatch(path, "float")),
            },
            AvroSchema::Double => match v.as_f64() {
                Some(f) => AvroValue::Double(f),
                None => return Err(mismatch(path, "double")),
            },
            AvroSchema::String => match v {
                Value::String(s) => AvroValue::String(s.clone()),
                _ => return Err(mismatch(path, "string")),
            },
            AvroSchema::Uuid => match v
                .as_str()
                .and_then(|s| apache_avro::Uuid::parse_str(s).ok())
            {
                Some(u) => AvroValue::Uuid(u),
                None => return Err(mismatch(path, "uuid (string)")),
            },
            AvroSchema::Bytes => match v.as_str().and_then(latin1_bytes) {
                Some(b) => AvroValue::Bytes(b),
                None => return Err(mismatch(path, "bytes (string of code points 0-255)")),
            },
            AvroSchema::Fixed(f) => match v.as_str().and_then(latin1_bytes) {
                Some(b) if b.len() == f.size => AvroValue::Fixed(f.size, b),
                _ => {
                    return Err(mismatch(
                        path,
                        &format!("fixed {} of {} bytes", f.name.fullname(None), f.size),
                    ))
                }
            },
            AvroSchema::Decimal(d) => {
                let unscaled = match v {
                    Value::Number(n) => parse_decimal(&n.to_string(), d.scale),
                    Value::String(s) => parse_decimal(s, d.scale),
                    _ => None,
                };
                let Some(unscaled) = unscaled else {
                    return Err(mismatch(
                        path,
                        &format!("decimal with scale {} (number or string)", d.scale),
                    ));
                };
                let bytes = twos_complement(unscaled);
                if let AvroSchema::Fixed(f) = self.resolve(&d.inner)? {
                    if bytes.len() > f.size {
                        return Err(mismatch(path, &format!("decimal fitting {} bytes", f.size)));
                    }
                    let pad = if unscaled < 0 { 0xff } else { 0 };
                    let mut b = vec![pad; f.size - bytes.len()];
                    b.extend_from_slice(&bytes);
                    AvroValue::Decimal(Decimal::from(b))
                } else {
                    AvroValue::Decimal(Decimal::from(bytes))
                }
            }
            AvroSchema::BigDecimal => match v {
                Value::Number(n) => AvroValue::BigDecimal(
                    n.to_string()
                        .parse()
                        .map_err(|e| format!("field {}: {e}", display_path(path)))?,
                ),
                Value::String(s) => AvroValue::BigDecimal(
                    s.parse()
                        .map_err(|e| format!("field {}: {e}", display_path(path)))?,
                ),
                _ => return Err(mismatch(path, "big-decimal")),
            },
            AvroSchema::Duration => {
                let part = |k: &str| {
                    v.get(k)
                        .and_then(Value::as_u64)
                        .and_then(|n| u32::try_from(n).ok())
                };
                match (part("months"), part("days"), part("millis")) {
                    (Some(m), Some(d), Some(ms)) => AvroValue::Duration(Duration::new(
                        Months::new(m),
                        Days::new(d),
                        Millis::new(ms),
                    )),
                    _ => return Err(mismatch(path, "duration {\"months\",\"days\",\"millis\"}")),
                }
            }
            AvroSchema::Enum(e) => match v
                .as_str()
                .and_then(|s| e.symbols.iter().position(|x| x == s))
            {
                Some(i) => AvroValue::Enum(i as u32, e.symbols[i].clone()),
                None => {
                    return Err(mismatch(
                        path,
                        &format!(
                            "enum {} symbol (one of {})",
                            e.name.fullname(None),
                            e.symbols.join(", ")
                        ),
                    ))
                }
            },
            AvroSchema::Array(a) => match v {
                Value::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        let len = path.len();
                        let _ = write!(path, "[{i}]");
                        out.push(self.json_to_avro(path, &a.items, item)?);
                        path.truncate(len);
                    }
                    AvroValue::Array(out)
                }
                _ => return Err(mismatch(path, "array")),
            },
            AvroSchema::Map(m) => match v {
                Value::Object(entries) => {
                    let mut out = HashMap::with_capacity(entries.len());
                    for (k, item) in entries {
                        let len = path.len();
                        let _ = write!(path, "[{k:?}]");
                        out.insert(k.clone(), self.json_to_avro(path, &m.types, item)?);
                        path.truncate(len);
                    }
                    AvroValue::Map(out)
                }
                _ => return Err(mismatch(path, "map (object)")),
            },
            AvroSchema::Record(r) => match v {
                Value::Object(entries) => self.record_to_avro(path, r, entries)?,
                _ => {
                    return Err(mismatch(
                        path,
                        &format!("record {} (object)", r.name.fullname(None)),
                    ))
                }
            },
            AvroSchema::Union(u) => self.union_to_avro(path, u, v)?,
            AvroSchema::Ref { .. } => unreachable!("resolved above"),
        })
    }

    fn record_to_avro(
        &self,
        path: &mut String,
        r: &RecordSchema,
        entries: &Map<String, Value>,
    ) -> Result<AvroValue, String> {
        if let Some(unknown) = entries.keys().find(|k| !r.lookup.contains_key(*k)) {
            return Err(format!(
                "field {}: not in record {}",
                display_path(&join(path, unknown)),
                r.name.fullname(None)
            ));
        }
        let mut out = Vec::with_capacity(r.fields.len());
        for field in &r.fields {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&field.name);
            let value = match (entries.get(&field.name), &field.default) {
                (Some(v), _) => self.json_to_avro(path, &field.schema, v)?,
                (None, Some(default)) => {
                    // A union's default is for its first branch.
                    let schema = match self.resolve(&field.schema)? {
                        AvroSchema::Union(u) => {
                            let first = u.variants().first().ok_or("empty union")?;
                            let inner = self.json_to_avro(path, first, default)?;
                            out.push((field.name.clone(), AvroValue::Union(0, Box::new(inner))));
                            path.truncate(len);
                            continue;
                        }
                        s => s,
                    };
                    self.json_to_avro(path, schema, default)?
                }
                (None, None) => {
                    return Err(format!(
                        "field {}: missing (expected {})",
                        display_path(path),
                        type_name(self.resolve(&field.schema)?)
                    ))
                }
            };
            out.push((field.name.clone(), value));
            path.truncate(len);
        }
        Ok(AvroValue::Record(out))
    }

    fn union_to_avro(
        &self,
        path: &mut String,
        u: &UnionSchema,
        v: &Value,
    ) -> Result<AvroValue, String> {
        let variants = u.variants();
        // The Avro JSON form {"branch": value}.
        if let Value::Object(map) = v {
            if map.len() == 1 {
                let (k, inner) = map.iter().next().expect("one entry");
                for (i, s) in variants.iter().enumerate() {
                    if branch_names(self.resolve(s)?).iter().any(|n| n == k) {
                        let value = self.json_to_avro(path, s, inner)?;
                        return Ok(AvroValue::Union(i as u32, Box::new(value)));
                    }
                }
            }
        }
        // A bare value: the first branch that takes it.
        for (i, s) in variants.iter().enumerate() {
            if let Ok(value) = self.json_to_avro(path, s, v) {
                return Ok(AvroValue::Union(i as u32, Box::new(value)));
            }
        }
        let names: Vec<String> = variants
            .iter()
            .map(|s| self.resolve(s).map(type_name).unwrap_or_default())
            .collect();
        Err(format!(
            "field {}: expected one of the union branches [{}], got {}",
            display_path(path),
            names.join(", "),
            json_kind(v)
        ))
    }

    // ----- Avro -> JSON -------------------------------------------------

    fn to_json(&self, schema: &AvroSchema, v: AvroValue) -> Result<Value, String> {
        let schema = self.resolve(schema)?;
        Ok(match (schema, v) {
            (_, AvroValue::Null) => Value::Null,
            (_, AvroValue::Boolean(b)) => Value::Bool(b),
            (_, AvroValue::Int(i) | AvroValue::Date(i) | AvroValue::TimeMillis(i)) => {
                Value::from(i)
            }
            (
                _,
                AvroValue::Long(i)
                | AvroValue::TimeMicros(i)
                | AvroValue::TimestampMillis(i)
                | AvroValue::TimestampMicros(i)
                | AvroValue::TimestampNanos(i)
                | AvroValue::LocalTimestampMillis(i)
                | AvroValue::LocalTimestampMicros(i)
                | AvroValue::LocalTimestampNanos(i),
            ) => Value::from(i),
            (_, AvroValue::Float(f)) => {
                Number::from_f64(f64::from(f)).map_or(Value::Null, Value::Number)
            }
            (_, AvroValue::Double(f)) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            (_, AvroValue::String(s)) => Value::String(s),
            (_, AvroValue::Enum(_, s)) => Value::String(s),
            (_, AvroValue::Uuid(u)) => Value::String(u.to_string()),
            (_, AvroValue::Bytes(b) | AvroValue::Fixed(_, b)) => {
                Value::String(b.iter().map(|&c| c as char).collect())
            }
            (AvroSchema::Decimal(d), AvroValue::Decimal(dec)) => {
                let bytes: Vec<u8> = Vec::try_from(&dec).map_err(|e| e.to_string())?;
                Value::String(format_decimal(&bytes, d.scale))
            }
            (_, AvroValue::Decimal(dec)) => {
                let bytes: Vec<u8> = Vec::try_from(&dec).map_err(|e| e.to_string())?;
                Value::String(format_decimal(&bytes, 0))
            }
            (_, AvroValue::BigDecimal(b)) => Value::String(b.to_string()),
            (_, AvroValue::Duration(d)) => serde_json::json!({
                "months": u32::from(d.months()),
                "days": u32::from(d.days()),
                "millis": u32::from(d.millis()),
            }),
            (AvroSchema::Array(a), AvroValue::Array(items)) => Value::Array(
                items
                    .into_iter()
                    .map(|i| self.to_json(&a.items, i))
                    .collect::<Result<_, _>>()?,
            ),
            (AvroSchema::Map(m), AvroValue::Map(entries)) => {
                let mut keys: Vec<_> = entries.into_iter().collect();
                keys.sort_by(|a, b| a.0.cmp(&b.0));
                let mut out = Map::with_capacity(keys.len());
                for (k, v) in keys {
                    out.insert(k, self.to_json(&m.types, v)?);
                }
                Value::Object(out)
            }
            (AvroSchema::Record(r), AvroValue::Record(fields)) => {
                let mut out = Map::with_capacity(fields.len());
                for ((name, v), f) in fields.into_iter().zip(&r.fields) {
                    out.insert(name, self.to_json(&f.schema, v)?);
                }
                Value::Object(out)
            }
            (AvroSchema::Union(u), AvroValue::Union(i, inner)) => {
                let branch = u
                    .variants()
                    .get(i as usize)
                    .ok_or("union branch out of range")?;
                let branch = self.resolve(branch)?;
                if matches!(branch, AvroSchema::Null) {
                    Value::Null
                } else {
                    let inner = self.to_json(branch, *inner)?;
                    let mut out = Map::with_capacity(1);
                    out.insert(branch_names(branch).swap_remove(0), inner);
                    Value::Object(out)
                }
            }
            (s, v) => {
                return Err(format!(
                    "value {v:?} does not match schema {}",
                    type_name(s)
                ))
            }
        })
    }
}

impl Format for Avro {
    fn decode(&self, payload: &[u8]) -> Result<Value, String> {
        let mut reader = payload;
        let value = apache_avro::from_avro_datum(&self.schema, &mut reader, None)
            .map_err(|e| format!("invalid Avro data: {e}"))?;
        if !reader.is_empty() {
            return Err(format!(
                "{} byte(s) left after the Avro datum",
                reader.len()
            ));
        }
        self.to_json(&self.schema, value)
    }

    fn encode(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
        let mut path = String::new();
        let avro = self.json_to_avro(&mut path, &self.schema, value)?;
        let bytes = apache_avro::to_avro_datum(&self.schema, avro)
            .map_err(|e| format!("cannot write Avro datum: {e}"))?;
        out.extend_from_slice(&bytes);
        Ok(())
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "(the whole value)"
    } else {
        path
    }
}

pub(super) fn json_kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) if s.len() <= 40 => format!("string {s:?}"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn int32(v: &Value) -> Option<i32> {
    v.as_i64().and_then(|i| i32::try_from(i).ok())
}

fn int64(v: &Value) -> Option<i64> {
    v.as_i64()
}

fn latin1_bytes(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// The names a union branch is known by in the Avro JSON form.
fn branch_names(s: &AvroSchema) -> Vec<String> {
    match s {
        AvroSchema::Record(r) => vec![r.name.fullname(None), r.name.name.clone()],
        AvroSchema::Enum(e) => vec![e.name.fullname(None), e.name.name.clone()],
        AvroSchema::Fixed(f) => vec![f.name.fullname(None), f.name.name.clone()],
        AvroSchema::Ref { name } => vec![name.fullname(None), name.name.clone()],
        s => vec![type_name(s)],
    }
}

fn type_name(s: &AvroSchema) -> String {
    match s {
        AvroSchema::Null => "null",
        AvroSchema::Boolean => "boolean",
        AvroSchema::Int | AvroSchema::Date | AvroSchema::TimeMillis => "int",
        AvroSchema::Long
        | AvroSchema::TimeMicros
        | AvroSchema::TimestampMillis
        | AvroSchema::TimestampMicros
        | AvroSchema::TimestampNanos
        | AvroSchema::LocalTimestampMillis
        | AvroSchema::LocalTimestampMicros
        | AvroSchema::LocalTimestampNanos => "long",
        AvroSchema::Float => "float",
        AvroSchema::Double => "double",
        AvroSchema::Bytes | AvroSchema::BigDecimal => "bytes",
        AvroSchema::Decimal(d) => match *d.inner {
            AvroSchema::Bytes => "bytes",
            _ => "fixed",
        },
        AvroSchema::String | AvroSchema::Uuid => "string",
        AvroSchema::Array(_) => "array",
        AvroSchema::Map(_) => "map",
        AvroSchema::Union(_) => "union",
        AvroSchema::Duration => "fixed",
        AvroSchema::Record(r) => return r.name.fullname(None),
        AvroSchema::Enum(e) => return e.name.fullname(None),
        AvroSchema::Fixed(f) => return f.name.fullname(None),
        AvroSchema::Ref { name } => return name.fullname(None),
    }
    .to_owned()
}

/// `"12.34"` with scale 2 → 1234.
fn parse_decimal(s: &str, scale: usize) -> Option<i128> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty() || frac.len() > scale {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int}{frac:0<scale$}");
    let n: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    Some(if neg { -n } else { n })
}

fn twos_complement(n: i128) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    bytes[start..].to_vec()
}

fn format_decimal(bytes: &[u8], scale: usize) -> String {
    if bytes.is_empty() {
        return "0".into();
    }
    if bytes.len() > 16 {
        return format!(
            "0x{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
    }
    let fill = if bytes[0] & 0x80 != 0 { 0xff } else { 0 };
    let mut buf = [fill; 16];
    buf[16 - bytes.len()..].copy_from_slice(bytes);
    let n = i128::from_be_bytes(buf);
    let digits = n.unsigned_abs().to_string();
    let sign = if n < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let digits = format!("{digits:0>width$}", width = scale + 1);
    let (i, f) = digits.split_at(digits.len() - scale);
    format!("{sign}{i}.{f}")
}

#[cfg(test)]
mod tests;
