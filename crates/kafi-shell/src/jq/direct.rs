//! Messages to jq values and jq values to records without the JSON line in
//! between, for the plain types (`str` and `json` keys and values, no
//! headers): the common case of `cp --map`, where printing the message
//! line, parsing it back, printing the output and parsing that again would
//! cost more than the expression itself.
//!
//! Both directions give exactly what the JSON-line path gives (a test
//! compares them) and decline (`None`) whenever they would need a rule of
//! their own: the caller then takes the JSON-line path, which also reports
//! every error.

use std::rc::Rc;
use std::sync::Arc;

use bytes::Bytes;
use jaq_json::Val;
use kafi_core::{ProduceRecord, RawMessage, Timestamp, TimestampType};
use kafi_serde::{Codec, SerdeType, MAX_JSON_NESTING};
use serde_json::value::RawValue;

use super::value::{self, Map};

/// The field names of a message's JSON form, in its order.
const FIELDS: [&str; 7] = [
    "topic",
    "headers",
    "partition",
    "offset",
    "timestamp",
    "key",
    "value",
];

/// What every input shares: the field names and the topic name, each
/// allocated once (jq copies them on write).
pub(crate) struct Direct {
    fields: [Rc<String>; 7],
    topic: Option<(Arc<str>, Val)>,
    text: Vec<u8>,
    /// The message's JSON line, when it is needed.
    pub(crate) line: Vec<u8>,
}

/// Whether a side of this type is read and written by the plain rules.
fn plain(serde_type: SerdeType) -> bool {
    matches!(serde_type, SerdeType::Str | SerdeType::Json)
}

impl Direct {
    pub(crate) fn new() -> Self {
        Self {
            fields: FIELDS.map(|f| Rc::new(f.to_owned())),
            topic: None,
            text: Vec::with_capacity(256),
            line: Vec::with_capacity(256),
        }
    }

    /// The message's JSON form as a jq value, or `None` to take the line.
    pub(crate) fn input(&mut self, codec: &Codec, m: &RawMessage) -> Option<Val> {
        let types = codec.types();
        if !plain(types.key) || !plain(types.value) || !m.headers.is_empty() {
            return None;
        }
        let key = side_input(types.key, m.key.as_deref())?;
        let value = side_input(types.value, m.value.as_deref())?;
        let topic = match &self.topic {
            Some((name, val)) if Arc::ptr_eq(name, &m.topic) => val.clone(),
            _ => {
                let val = Val::Str(Rc::new(m.topic.to_string()));
                self.topic = Some((m.topic.clone(), val.clone()));
                val
            }
        };
        let timestamp = Val::Arr(Rc::new(vec![
            Val::Int(m.timestamp.kind as u8 as isize),
            Val::Int(m.timestamp.millis as isize),
        ]));
        let values = [
            topic,
            // No headers print as null.
            Val::Null,
            Val::Int(m.partition as isize),
            Val::Int(m.offset as isize),
            timestamp,
            key,
            value,
        ];
        let mut map = Map::with_capacity_and_hasher(FIELDS.len(), Default::default());
        for (name, val) in self.fields.iter().zip(values) {
            map.insert(name.clone(), val);
        }
        Some(Val::obj(map))
    }

    /// The record an output object stands for, or `None` to take the
    /// envelope parser. Partition and timestamp stay `None` when the
    /// output has none.
    pub(crate) fn record(&mut self, codec: &Codec, output: &Val) -> Option<ProduceRecord> {
        let types = codec.types();
        if !plain(types.key) || !plain(types.value) {
            return None;
        }
        let Val::Obj(fields) = output else {
            return None;
        };
        let mut record = ProduceRecord {
            key: None,
            value: None,
            headers: Default::default(),
            partition: None,
            timestamp: None,
        };
        let mut has_value = false;
        for (name, val) in fields.iter() {
            match name.as_str() {
                "topic" | "offset" => {}
                "headers" => match val {
                    Val::Null => {}
                    Val::Arr(items) if items.is_empty() => {}
                    _ => return None,
                },
                "partition" => {
                    record.partition = match val {
                        Val::Null => None,
                        Val::Int(p) => Some(i32::try_from(*p).ok().filter(|p| *p >= 0)?),
                        _ => return None,
                    }
                }
                "timestamp" => record.timestamp = timestamp(val)?,
                "key" => record.key = self.side_output(types.key, val)?,
                "value" => {
                    has_value = true;
                    record.value = self.side_output(types.value, val)?;
                }
                _ => return None,
            }
        }
        // A missing value is an error the envelope parser words.
        has_value.then_some(record)
    }

    /// A key or value as the plain rules store it: `Some(None)` for null.
    fn side_output(&mut self, serde_type: SerdeType, val: &Val) -> Option<Option<Bytes>> {
        match (serde_type, val) {
            (_, Val::Null) => Some(None),
            (SerdeType::Str, Val::Str(s)) => Some(Some(Bytes::copy_from_slice(s.as_bytes()))),
            _ => {
                // A json side keeps the compact text; a str side the
                // compact text of a non-string. Too deep: the parser says so.
                self.text.clear();
                value::write_val(&mut self.text, val).ok()?;
                if kafi_serde::check_json_nesting(&self.text, MAX_JSON_NESTING).is_err() {
                    return None;
                }
                // A non-finite number prints as null: a tombstone.
                if self.text == b"null" {
                    return Some(None);
                }
                Some(Some(Bytes::copy_from_slice(&self.text)))
            }
        }
    }
}

/// A key or value of a plain type as jq input, `None` when it is not
/// valid for its type (the line path then reports it).
fn side_input(serde_type: SerdeType, bytes: Option<&[u8]>) -> Option<Val> {
    let Some(bytes) = bytes else {
        return Some(Val::Null);
    };
    match serde_type {
        SerdeType::Str => Some(Val::Str(Rc::new(
            std::str::from_utf8(bytes).ok()?.to_owned(),
        ))),
        _ => {
            // The same checks as the line path, in its order: JSON, then
            // nesting (the parser below recurses).
            serde_json::from_slice::<&RawValue>(bytes).ok()?;
            kafi_serde::check_json_nesting(bytes, MAX_JSON_NESTING).ok()?;
            value::parse_value(bytes)
        }
    }
}

/// `null`, bare milliseconds (a create time) or `[type, millis]`.
fn timestamp(val: &Val) -> Option<Option<Timestamp>> {
    match val {
        Val::Null => Some(None),
        Val::Int(millis) => Some(Some(Timestamp::create_time(*millis as i64))),
        Val::Arr(items) => match items.as_slice() {
            [Val::Int(kind), Val::Int(millis)] => Some(Some(Timestamp {
                kind: TimestampType::from_code(*kind as i64)?,
                millis: *millis as i64,
            })),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafi_serde::KeyValueTypes;

    fn message(key: Option<&[u8]>, value: Option<&[u8]>) -> RawMessage {
        RawMessage {
            topic: "t".into(),
            headers: Vec::new(),
            partition: 2,
            offset: 41,
            timestamp: Timestamp {
                kind: TimestampType::LogAppendTime,
                millis: 1_700_000_000_123,
            },
            key: key.map(Bytes::copy_from_slice),
            value: value.map(Bytes::copy_from_slice),
        }
    }

    fn codec(key: SerdeType, value: SerdeType) -> Codec {
        Codec::new(KeyValueTypes::new(key, value))
    }

    /// What the JSON-line path makes of a message.
    fn by_line(codec: &Codec, m: &RawMessage) -> Option<Val> {
        let mut line = Vec::new();
        codec.write_json_line(&mut line, m).ok()?;
        value::parse_line(&line).ok()
    }

    const VALUES: &[&str] = &[
        r#"{"id": 1, "name": "snack", "price": 1.23, "tags": ["a", "b"]}"#,
        r#"{"big": 123456789012345678901234567890, "exp": 1e5, "neg": -0.0}"#,
        r#""a \"quoted\" \u00e9 string\n""#,
        "[]",
        "null",
        "17",
        " { \"spaced\" : [ 1 , 2 ] } ",
    ];

    #[test]
    fn inputs_are_what_the_line_gives() {
        let mut direct = Direct::new();
        for (key_type, value_type) in [
            (SerdeType::Str, SerdeType::Json),
            (SerdeType::Json, SerdeType::Json),
            (SerdeType::Str, SerdeType::Str),
        ] {
            let codec = codec(key_type, value_type);
            for value in VALUES {
                let quoted: &[u8] = match key_type {
                    SerdeType::Json => br#""k\"1""#,
                    _ => b"k\"1",
                };
                for key in [None, Some(quoted), Some(&b"42"[..])] {
                    let m = message(key, Some(value.as_bytes()));
                    let line = by_line(&codec, &m).expect("the line path reads it");
                    let direct = direct.input(&codec, &m).expect("plain types are direct");
                    assert_eq!(format!("{direct:?}"), format!("{line:?}"), "{m:?}");
                }
            }
            let tombstone = message(None, None);
            assert_eq!(
                format!("{:?}", direct.input(&codec, &tombstone)),
                format!("{:?}", by_line(&codec, &tombstone))
            );
        }
    }

    #[test]
    fn inputs_the_line_rejects_are_left_to_it() {
        let mut direct = Direct::new();
        let json = codec(SerdeType::Str, SerdeType::Json);
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        for bad in [&b"{\"a\":"[..], b"[1] x", b"\"\x01\"", deep.as_bytes()] {
            let m = message(None, Some(bad));
            assert!(by_line(&json, &m).is_none());
            assert!(direct.input(&json, &m).is_none(), "{bad:?}");
        }
        let str_key = message(Some(&[0xff, 0xfe]), Some(b"1"));
        assert!(direct.input(&json, &str_key).is_none());
        let mut with_header = message(None, Some(b"1"));
        with_header.headers.push(("h".into(), None));
        assert!(direct.input(&json, &with_header).is_none());
        let avro = codec(SerdeType::Str, SerdeType::Avro);
        assert!(direct.input(&avro, &message(None, Some(b"1"))).is_none());
    }

    #[test]
    fn records_are_what_the_envelope_parser_gives() {
        let mut direct = Direct::new();
        let outputs = [
            r#"{"topic":"t","headers":[],"partition":1,"offset":3,"timestamp":[0,5],"key":"k","value":{"a":[1,2.5,"x"]}}"#,
            r#"{"key":null,"value":null}"#,
            r#"{"key":{"n":1},"value":"text","timestamp":99}"#,
            r#"{"value":12345678901234567890123,"headers":null,"partition":null,"timestamp":null}"#,
            r#"{"key":7,"value":[[[]]],"timestamp":[1,0]}"#,
        ];
        for (key_type, value_type) in [
            (SerdeType::Str, SerdeType::Json),
            (SerdeType::Json, SerdeType::Json),
            (SerdeType::Str, SerdeType::Str),
        ] {
            let codec = codec(key_type, value_type);
            for text in outputs {
                let output = value::parse_line(text.as_bytes()).unwrap();
                let mut printed = Vec::new();
                value::write_val(&mut printed, &output).unwrap();
                let parsed = codec.parse_envelope(&printed).unwrap();
                let direct = direct
                    .record(&codec, &output)
                    .expect("plain outputs are direct");
                assert_eq!(format!("{direct:?}"), format!("{parsed:?}"), "{text}");
            }
        }
    }

    #[test]
    fn records_the_parser_rejects_or_words_are_left_to_it() {
        let mut direct = Direct::new();
        let codec = codec(SerdeType::Str, SerdeType::Json);
        for text in [
            r#"{"key":"k"}"#,
            r#"{"value":1,"partition":-1}"#,
            r#"{"value":1,"partition":1.0}"#,
            r#"{"value":1,"timestamp":[7,1]}"#,
            r#"{"value":1,"headers":[["h","v"]]}"#,
            r#"{"value":1,"extra":true}"#,
        ] {
            let output = value::parse_line(text.as_bytes()).unwrap();
            assert!(direct.record(&codec, &output).is_none(), "{text}");
        }
    }
}
