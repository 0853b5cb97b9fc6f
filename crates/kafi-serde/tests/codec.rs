//! Decoding and encoding keys and values, and the decoded message's JSON form.

use std::sync::Arc;

use bytes::Bytes;
use kafi_core::ErrorKind;
use kafi_core::{ProduceRecord, RawMessage, Timestamp};
use kafi_serde::{
    message_to_json_value, Codec, Data, Error, KeyValueTypes, Message, Result, Schema,
    SchemaLookup, SchemaType, SerdeType,
};
use serde_json::{json, Value};

fn raw(key: Option<&[u8]>, value: Option<&[u8]>) -> RawMessage {
    RawMessage {
        topic: "topic_json".into(),
        headers: vec![("h".into(), Some(Bytes::from_static(b"v")))],
        partition: 2,
        offset: 7,
        timestamp: Timestamp::create_time(1732660705555),
        key: key.map(Bytes::copy_from_slice),
        value: value.map(Bytes::copy_from_slice),
    }
}

fn types(key: SerdeType, value: SerdeType) -> KeyValueTypes {
    KeyValueTypes::new(key, value)
}

#[test]
fn default_types_are_str_keys_and_json_values() {
    let t = KeyValueTypes::default();
    assert_eq!(t, types(SerdeType::Str, SerdeType::Json));
    assert_eq!(t.to_string(), "key str, value json");
    assert_eq!(Codec::new(t).types(), t);
}

#[test]
fn decodes_by_type() {
    let m = raw(Some(b"123"), Some(br#"{"bla":123}"#));
    let decoded = Codec::new(KeyValueTypes::default()).decode(&m).unwrap();
    assert_eq!(decoded.key, Some(Data::Str("123".into())));
    assert_eq!(decoded.value, Some(Data::Json(json!({"bla": 123}))));
    assert_eq!(decoded.topic, m.topic);
    assert_eq!(decoded.headers, m.headers);
    assert_eq!(
        (decoded.partition, decoded.offset, decoded.timestamp),
        (2, 7, m.timestamp)
    );

    let decoded = Codec::new(KeyValueTypes::both(SerdeType::Bytes))
        .decode(&m)
        .unwrap();
    assert_eq!(decoded.key, Some(Data::Bytes(Bytes::from_static(b"123"))));

    let decoded = Codec::new(KeyValueTypes::default())
        .decode(&raw(None, None))
        .unwrap();
    assert_eq!((decoded.key, decoded.value), (None, None));
}

#[test]
fn decode_errors_name_the_message_and_field() {
    let codec = Codec::new(KeyValueTypes::default());
    let err = codec.decode(&raw(Some(b"k"), Some(b"{"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot decode value of topic_json partition 2 offset 7 as json: \
         EOF while parsing an object at line 1 column 1"
    );
    let err = codec.decode(&raw(Some(b"\xff"), None)).unwrap_err();
    assert!(matches!(
        err,
        Error::Decode {
            field: "key",
            serde_type: SerdeType::Str,
            partition: 2,
            ..
        }
    ));
    let err = Codec::new(types(SerdeType::Protobuf, SerdeType::Json))
        .decode(&raw(Some(b"x"), None))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot decode key of topic_json partition 2 offset 7 as protobuf: first byte is 120, \
         not the magic byte 0 (the message was not written with a schema registry serializer)"
    );
}

#[test]
fn encodes_bytes() {
    let codec = Codec::new(KeyValueTypes::both(SerdeType::Bytes));
    let enc = |d: Data| codec.encode_value(&d);
    assert_eq!(enc(Data::from(&b"\xff"[..])).unwrap(), &b"\xff"[..]);
    assert_eq!(enc(Data::from("é")).unwrap(), "é".as_bytes());
    assert_eq!(enc(Data::from(json!("s"))).unwrap(), &b"s"[..]);
    assert_eq!(
        enc(Data::from(json!({"base64": "/w=="}))).unwrap(),
        &b"\xff"[..]
    );
    assert_eq!(
        enc(Data::from(json!(1))).unwrap_err().to_string(),
        "cannot encode value as bytes: expected a string or a {\"base64\": \"...\"} object, found a number"
    );
}

#[test]
fn encodes_str() {
    let codec = Codec::new(KeyValueTypes::both(SerdeType::Str));
    let enc = |d: Data| codec.encode_key(&d);
    assert_eq!(enc(Data::from("a\"b")).unwrap(), &b"a\"b"[..]);
    assert_eq!(enc(Data::from(vec![b'o', b'k'])).unwrap(), &b"ok"[..]);
    assert_eq!(enc(Data::from(json!("s"))).unwrap(), &b"s"[..]);
    assert_eq!(
        enc(Data::from(json!({"a": [1]}))).unwrap(),
        &br#"{"a":[1]}"#[..]
    );
    assert_eq!(
        enc(Data::from(vec![0xff])).unwrap_err().to_string(),
        "cannot encode key as str: invalid utf-8 sequence of 1 bytes from index 0"
    );
}

#[test]
fn encodes_json() {
    let codec = Codec::new(KeyValueTypes::both(SerdeType::Json));
    let enc = |d: Data| codec.encode_value(&d);
    assert_eq!(
        enc(Data::from(json!({"a": [1, "x"]}))).unwrap(),
        &br#"{"a":[1,"x"]}"#[..]
    );
    assert_eq!(enc(Data::from(json!("s"))).unwrap(), &br#""s""#[..]);
    // Text and bytes are JSON text, kept verbatim.
    assert_eq!(enc(Data::from(r#"{"a": 1}"#)).unwrap(), &br#"{"a": 1}"#[..]);
    assert_eq!(enc(Data::from(&b"[1, 2]"[..])).unwrap(), &b"[1, 2]"[..]);
    let err = enc(Data::from("hello")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot encode value as json: expected value at line 1 column 1"
    );
    assert!(matches!(
        err,
        Error::Encode {
            field: "value",
            serde_type: SerdeType::Json,
            ..
        }
    ));
}

#[test]
fn encoding_schema_registry_types_needs_a_schema() {
    let codec = Codec::new(types(SerdeType::Str, SerdeType::JsonSchema));
    assert_eq!(
        codec
            .encode_value(&Data::from(json!({})))
            .unwrap_err()
            .to_string(),
        "cannot encode value as jsonschema: no schema to write with: give a schema \
         (key_schema/value_schema) or a schema id (key_schema_id/value_schema_id)"
    );
}

#[test]
fn encode_keeps_headers_partition_and_timestamp() {
    let m = raw(Some(b"123"), Some(br#"{"bla": 123}"#));
    let codec = Codec::new(KeyValueTypes::default());
    let mut decoded = codec.decode(&m).unwrap();
    decoded.value.as_mut().unwrap().as_json_mut().unwrap()["bla"] = json!(165);
    let record = decoded
        .clone()
        .into_record(KeyValueTypes::default())
        .unwrap();
    assert_eq!(
        record,
        ProduceRecord {
            key: Some(Bytes::from_static(b"123")),
            value: Some(Bytes::from_static(br#"{"bla":165}"#)),
            headers: m.headers.clone(),
            partition: Some(2),
            timestamp: Some(m.timestamp),
        }
    );
    assert_eq!(codec.encode(decoded).unwrap(), record);
}

#[test]
fn data_accessors_and_conversions() {
    let mut d = Data::from(json!({"a": 1}));
    assert_eq!(d.as_json(), Some(&json!({"a": 1})));
    d.as_json_mut().unwrap()["a"] = json!(2);
    assert_eq!(d.to_json(), json!({"a": 2}));
    assert_eq!(d.as_str(), None);
    assert_eq!(d.as_bytes(), None);

    let s = Data::from(String::from("x"));
    assert_eq!(s.as_str(), Some("x"));
    assert_eq!(s.as_json(), None);
    assert_eq!(s.to_json(), json!("x"));

    let b = Data::from(Bytes::from_static(b"\x00\xff"));
    assert_eq!(b.as_bytes().map(|b| &b[..]), Some(&b"\x00\xff"[..]));
    assert_eq!(b.to_json(), json!({"base64": "AP8="}));
    assert_eq!(Data::from(&b"ok"[..]).to_json(), json!("ok"));
}

#[test]
fn message_json_has_the_seed_fields() {
    let mut m = raw(Some(b"123"), Some(br#"{"bla":123}"#));
    m.headers.push(("n".into(), None));
    m.headers
        .push(("b".into(), Some(Bytes::from_static(b"\xfe"))));
    let value = message_to_json_value(&m, KeyValueTypes::default()).unwrap();
    assert_eq!(
        value,
        json!({
            "topic": "topic_json",
            "headers": [["h", "v"], ["n", null], ["b", {"base64": "/g=="}]],
            "partition": 2,
            "offset": 7,
            "timestamp": [1, 1732660705555_i64],
            "key": "123",
            "value": {"bla": 123},
        })
    );
    m.headers.clear();
    let value = message_to_json_value(&m, KeyValueTypes::default()).unwrap();
    assert_eq!(value["headers"], Value::Null);
}

#[test]
fn message_json_matches_the_printed_line() {
    let m = raw(Some(b"k\n\"1\""), Some(br#"{"x": [1.5, null, "\u00e9"]}"#));
    for t in [
        KeyValueTypes::default(),
        KeyValueTypes::both(SerdeType::Bytes),
        types(SerdeType::Str, SerdeType::Str),
    ] {
        let mut line = Vec::new();
        kafi_serde::write_json_line(&mut line, &m, t).unwrap();
        let printed: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(printed, message_to_json_value(&m, t).unwrap(), "{t}");
    }
}

#[test]
fn from_json_interprets_key_and_value_by_type() {
    let object = json!({
        "topic": "ignored",
        "headers": [["h", "v"], ["b", {"base64": "/w=="}], ["n", null]],
        "partition": 1,
        "offset": 99,
        "timestamp": [2, 5],
        "key": 123,
        "value": {"bla": 165},
    });
    let record = Message::from_json(object.clone(), KeyValueTypes::default()).unwrap();
    assert_eq!(record.key.as_deref(), Some(&b"123"[..]));
    assert_eq!(record.value.as_deref(), Some(&br#"{"bla":165}"#[..]));
    assert_eq!(
        record.headers,
        vec![
            ("h".to_owned(), Some(Bytes::from_static(b"v"))),
            ("b".to_owned(), Some(Bytes::from_static(b"\xff"))),
            ("n".to_owned(), None),
        ]
    );
    assert_eq!(record.partition, Some(1));
    assert_eq!(
        record.timestamp,
        Some(Timestamp {
            kind: kafi_core::TimestampType::LogAppendTime,
            millis: 5
        })
    );

    let record = Message::from_json(
        json!({"key": "k", "value": {"base64": "AAE="}}),
        KeyValueTypes::both(SerdeType::Bytes),
    )
    .unwrap();
    assert_eq!(record.key.as_deref(), Some(&b"k"[..]));
    assert_eq!(record.value.as_deref(), Some(&b"\x00\x01"[..]));

    let record = Message::from_json(json!({"value": null}), KeyValueTypes::default()).unwrap();
    assert_eq!(record, ProduceRecord::default());
}

#[test]
fn from_json_needs_an_explicit_value() {
    for t in [
        KeyValueTypes::default(),
        KeyValueTypes::both(SerdeType::Bytes),
        KeyValueTypes::both(SerdeType::Str),
    ] {
        for object in [json!({}), json!({"key": "k", "partition": 0})] {
            assert_eq!(
                Message::from_json(object, t).unwrap_err().to_string(),
                "invalid message envelope: the message has no \"value\" field \
                 (write \"value\": null for a tombstone)",
                "{t}"
            );
        }
        let record = Message::from_json(json!({"key": "k", "value": null}), t).unwrap();
        assert_eq!(record.value, None, "{t}");
    }
}

#[test]
fn from_json_errors() {
    let t = KeyValueTypes::both(SerdeType::Bytes);
    assert_eq!(
        Message::from_json(json!({"value": {"base64": "!!"}}), t)
            .unwrap_err()
            .to_string(),
        "invalid message envelope: value: invalid base64: Invalid symbol 33, offset 0."
    );
    assert_eq!(
        Message::from_json(json!([1]), t).unwrap_err().to_string(),
        "invalid message envelope: expected a message object with the fields topic, headers, \
         partition, offset, timestamp, key and value, found an array"
    );
    assert!(Message::from_json(json!({"extra": 1}), t)
        .unwrap_err()
        .to_string()
        .starts_with("invalid message envelope: unknown field `extra`"));
}

/// A lookup that knows one schema, to show the trait can be implemented.
#[derive(Debug)]
struct OneSchema(Schema);

#[async_trait::async_trait]
impl SchemaLookup for OneSchema {
    async fn schema_by_id(&self, id: i32) -> Result<Schema> {
        match id {
            1 => Ok(self.0.clone()),
            _ => Err(Error::SchemaNotFound { id }),
        }
    }

    async fn register(&self, _subject: &str, schema: &Schema) -> Result<i32> {
        if *schema == self.0 {
            Ok(1)
        } else {
            Err(Error::registry(
                "register",
                ErrorKind::Conflict,
                "only one schema",
            ))
        }
    }
}

#[test]
fn a_codec_keeps_its_schema_lookup() {
    let lookup = Arc::new(OneSchema(Schema::new(SchemaType::Avro, "\"string\"")));
    let codec = Codec::new(KeyValueTypes::default()).with_schema_lookup(lookup);
    assert!(codec.schema_lookup().is_some());
    assert!(Codec::new(KeyValueTypes::default())
        .schema_lookup()
        .is_none());
    assert_eq!(SchemaType::Protobuf.to_string(), "PROTOBUF");
    assert_eq!(
        serde_json::to_string(&SchemaType::Json).unwrap(),
        "\"JSON\""
    );
    let unreachable = Error::registry(
        "register subject t-value",
        ErrorKind::Unavailable,
        "connection refused",
    );
    assert_eq!(
        unreachable.to_string(),
        "schema registry: register subject t-value: connection refused"
    );
    assert_eq!(unreachable.kind(), ErrorKind::Unavailable);
    assert!(unreachable.is_retryable());
}

fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn json_values_nest_at_most_the_limit_when_encoding() {
    let codec = Codec::new(types(SerdeType::Str, SerdeType::Json));
    let ok = nested(kafi_serde::MAX_JSON_NESTING);
    assert!(codec.encode_value(&Data::Str(ok.clone())).is_ok());
    let deep = nested(30_000);
    for data in [
        Data::Str(deep.clone()),
        Data::Bytes(Bytes::from(deep.clone())),
    ] {
        let err = codec.encode_value(&data).unwrap_err().to_string();
        assert!(err.contains("deeper than 127"), "{err}");
    }
    let line = format!("{{\"key\":\"k\",\"value\":{deep}}}");
    let err = codec
        .parse_envelope(line.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("value") && err.contains("deeper than 127"),
        "{err}"
    );
    let line = format!("{{\"key\":\"k\",\"value\":{ok}}}");
    assert!(codec.parse_envelope(line.as_bytes()).is_ok());
}

#[test]
fn too_deep_foreign_json_is_an_error_naming_the_message() {
    let codec = Codec::new(types(SerdeType::Str, SerdeType::Json));
    let deep = nested(30_000);
    let m = raw(Some(b"k"), Some(deep.as_bytes()));
    let mut line = b"before".to_vec();
    let err = codec
        .write_json_line(&mut line, &m)
        .unwrap_err()
        .to_string();
    assert_eq!(line, b"before", "the output is left as it was");
    assert!(
        err.contains("topic_json partition 2 offset 7") && err.contains("deeper than 127"),
        "{err}"
    );
    let err = codec.decode(&m).unwrap_err().to_string();
    assert!(
        err.contains("offset 7") && err.contains("deeper than 127"),
        "{err}"
    );
    let ok = raw(Some(b"k"), Some(nested(127).as_bytes()));
    assert!(codec.write_json_line(&mut line, &ok).is_ok());
    assert!(codec.decode(&ok).is_ok());
}
