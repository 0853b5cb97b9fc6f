//! The JSON-lines form: printing and reading back envelope lines.

use bytes::Bytes;
use kafi_core::{RawMessage, Timestamp, TimestampType};
use kafi_serde::{parse_envelope, write_json_line, Error, KeyValueTypes, SerdeType};

fn message(key: Option<&[u8]>, value: Option<&[u8]>) -> RawMessage {
    RawMessage {
        topic: "topic_json".into(),
        headers: Vec::new(),
        partition: 0,
        offset: 5,
        timestamp: Timestamp::create_time(1732660705555),
        key: key.map(Bytes::copy_from_slice),
        value: value.map(Bytes::copy_from_slice),
    }
}

fn line(m: &RawMessage, types: KeyValueTypes) -> String {
    let mut out = Vec::new();
    write_json_line(&mut out, m, types).unwrap();
    String::from_utf8(out).unwrap()
}

const STR_JSON: KeyValueTypes = KeyValueTypes::new(SerdeType::Str, SerdeType::Json);
const BYTES: KeyValueTypes = KeyValueTypes::both(SerdeType::Bytes);
const STR: KeyValueTypes = KeyValueTypes::both(SerdeType::Str);

fn kv(types: KeyValueTypes, m: &RawMessage) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(&line(m, types)).unwrap();
    (v["key"].to_string(), v["value"].to_string())
}

#[test]
fn prints_the_seed_message() {
    let mut m = message(Some(b"123"), Some(br#"{"bla":123}"#));
    m.offset = 0;
    assert_eq!(
        line(&m, STR_JSON),
        "{\"topic\":\"topic_json\",\"headers\":null,\"partition\":0,\"offset\":0,\
         \"timestamp\":[1,1732660705555],\"key\":\"123\",\"value\":{\"bla\":123}}\n"
    );
}

#[test]
fn appends_to_the_buffer() {
    let m = message(Some(b"1"), Some(b"2"));
    let mut out = b"previous\n".to_vec();
    write_json_line(&mut out, &m, STR_JSON).unwrap();
    write_json_line(&mut out, &m, STR_JSON).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], "previous");
    assert_eq!(lines[1], lines[2]);
}

#[test]
fn null_key_and_value_are_null() {
    let m = message(None, None);
    assert_eq!(kv(STR_JSON, &m), ("null".into(), "null".into()));
    assert_eq!(kv(BYTES, &m), ("null".into(), "null".into()));
}

#[test]
fn headers_are_pairs_in_order_with_duplicates() {
    let mut m = message(None, None);
    m.headers = vec![
        ("a".into(), Some(Bytes::from_static(b"text"))),
        ("a".into(), None),
        ("bin".into(), Some(Bytes::from_static(b"\xff\x00\x01"))),
        ("q\"uote".into(), Some(Bytes::new())),
    ];
    let text = line(&m, STR_JSON);
    assert!(
        text.contains(
            r#""headers":[["a","text"],["a",null],["bin",{"base64":"/wAB"}],["q\"uote",""]]"#
        ),
        "{text}"
    );
    let record = parse_envelope(text.as_bytes(), STR_JSON).unwrap();
    assert_eq!(record.headers, m.headers);
}

#[test]
fn timestamps_are_type_and_millis() {
    let mut m = message(None, None);
    m.timestamp = Timestamp {
        kind: TimestampType::NotAvailable,
        millis: -1,
    };
    assert!(line(&m, STR_JSON).contains(r#""timestamp":[0,-1]"#));
    m.timestamp = Timestamp {
        kind: TimestampType::LogAppendTime,
        millis: 42,
    };
    assert!(line(&m, STR_JSON).contains(r#""timestamp":[2,42]"#));
}

#[test]
fn bytes_are_a_string_when_utf8_else_base64() {
    let m = message(Some(b""), Some(b"\x00\xc3\x28"));
    assert_eq!(
        kv(BYTES, &m),
        ("\"\"".into(), r#"{"base64":"AMMo"}"#.into())
    );
    let m = message(Some("grüße".as_bytes()), Some(b"{\"a\":1}"));
    assert_eq!(kv(BYTES, &m), ("\"grüße\"".into(), r#""{\"a\":1}""#.into()));
}

#[test]
fn str_is_escaped_like_serde_json() {
    let text = "quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} del \u{7f} emoji 🦀 é";
    let m = message(Some(text.as_bytes()), None);
    let printed = line(&m, STR);
    let expected = serde_json::to_string(text).unwrap();
    assert!(
        printed.contains(&format!("\"key\":{expected},")),
        "{printed}"
    );
    assert_eq!(printed.matches('\n').count(), 1);
}

#[test]
fn json_is_copied_verbatim() {
    let value = br#"{"b": [1, 2.50, "x"],  "a" :null}"#;
    let m = message(None, Some(value));
    let printed = line(&m, STR_JSON);
    assert!(printed.ends_with(",\"value\":{\"b\": [1, 2.50, \"x\"],  \"a\" :null}}\n"));
}

#[test]
fn json_is_trimmed_and_compacted_when_it_spans_lines() {
    let m = message(
        None,
        Some(b"  {\n  \"a b\": \"x\\ny\",\r\n\t\"c\": [1,\n 2]\n}\n"),
    );
    assert!(line(&m, STR_JSON).ends_with(",\"value\":{\"a b\":\"x\\ny\",\"c\":[1,2]}}\n"));
    let m = message(None, Some(b" 1 "));
    assert!(line(&m, STR_JSON).ends_with(",\"value\":1}\n"));
}

#[test]
fn invalid_json_is_a_decode_error_and_leaves_the_buffer() {
    let m = message(Some(b"k"), Some(b"hello"));
    let mut out = b"kept".to_vec();
    let err = write_json_line(&mut out, &m, STR_JSON).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot decode value of topic_json partition 0 offset 5 as json: expected value at line 1 column 1"
    );
    assert!(matches!(
        err,
        Error::Decode {
            field: "value",
            serde_type: SerdeType::Json,
            offset: 5,
            ..
        }
    ));
    assert_eq!(out, b"kept");

    for bad in [&b""[..], b"{\"a\":1", b"1 2", b"\"\xff\"", b"\"a\x01\""] {
        let m = message(None, Some(bad));
        assert!(
            write_json_line(&mut Vec::new(), &m, STR_JSON).is_err(),
            "{bad:?} accepted"
        );
    }
}

#[test]
fn invalid_utf8_str_is_a_decode_error() {
    let m = message(Some(b"ok\xff"), Some(b"{}"));
    let err = write_json_line(&mut Vec::new(), &m, STR_JSON).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot decode key of topic_json partition 0 offset 5 as str: \
         invalid utf-8 sequence of 1 bytes from index 2"
    );
}

#[test]
fn schema_registry_types_need_the_wire_format_and_a_schema() {
    let m = message(None, Some(b"x"));
    let types = KeyValueTypes::new(SerdeType::Str, SerdeType::Avro);
    let err = write_json_line(&mut Vec::new(), &m, types).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot decode value of topic_json partition 0 offset 5 as avro: first byte is 120, \
         not the magic byte 0 (the message was not written with a schema registry serializer)"
    );
    let err = parse_envelope(br#"{"value":"x"}"#, types).unwrap_err();
    assert!(matches!(err, Error::Envelope { .. }), "{err}");
    assert!(err.to_string().contains("no schema to write with"), "{err}");
    // A null value needs no decoding.
    let m = message(None, None);
    assert!(write_json_line(&mut Vec::new(), &m, types).is_ok());
}

#[test]
fn parses_the_seed_line() {
    let line = br#"{"topic":"t","headers":null,"partition":0,"offset":0,"timestamp":[1,1732660705555],"key":"123","value":{"bla":123}}"#;
    let record = parse_envelope(line, STR_JSON).unwrap();
    assert_eq!(record.key.as_deref(), Some(&b"123"[..]));
    assert_eq!(record.value.as_deref(), Some(&br#"{"bla":123}"#[..]));
    assert!(record.headers.is_empty());
    assert_eq!(record.partition, Some(0));
    assert_eq!(
        record.timestamp,
        Some(Timestamp::create_time(1732660705555))
    );
}

#[test]
fn missing_fields_are_defaults_but_value_is_required() {
    let record = parse_envelope(br#"{"value":null}"#, STR_JSON).unwrap();
    assert_eq!(record, kafi_core::ProduceRecord::default());
    for line in [
        "{}",
        r#"{"key":"k"}"#,
        r#" { "partition": 0, "headers": null } "#,
    ] {
        assert_eq!(
            envelope_error(line, STR_JSON),
            "invalid message envelope: the message has no \"value\" field \
             (write \"value\": null for a tombstone)",
            "{line}"
        );
    }
    // Every type: an absent value is an error, null a tombstone.
    for types in [STR_JSON, STR, BYTES] {
        assert!(parse_envelope(b"{}", types).is_err());
        let record = parse_envelope(br#"{"key":"k","value":null}"#, types).unwrap();
        assert_eq!(record.value, None);
        assert_eq!(record.key.as_deref(), Some(&b"k"[..]));
    }
    let record = parse_envelope(
        br#"{"partition":null,"timestamp":null,"value":1}"#,
        STR_JSON,
    )
    .unwrap();
    assert_eq!(record.partition, None);
    assert_eq!(record.timestamp, None);
    assert_eq!(record.value.as_deref(), Some(&b"1"[..]));
}

#[test]
fn a_bare_timestamp_is_a_create_time() {
    let record = parse_envelope(br#"{"timestamp":1234,"value":null}"#, STR_JSON).unwrap();
    assert_eq!(record.timestamp, Some(Timestamp::create_time(1234)));
}

#[test]
fn json_values_keep_their_text() {
    let record =
        parse_envelope(br#"{"key": "k" , "value":  {"a" : [1, 2.50]}  }"#, STR_JSON).unwrap();
    assert_eq!(record.value.as_deref(), Some(&br#"{"a" : [1, 2.50]}"#[..]));
    // A JSON string is kept as JSON text for the json type.
    let record = parse_envelope(br#"{"key":"k","value":"text"}"#, STR_JSON).unwrap();
    assert_eq!(record.value.as_deref(), Some(&br#""text""#[..]));
}

#[test]
fn str_takes_strings_and_the_compact_text_of_other_values() {
    let record =
        parse_envelope(br#"{"key":"a\"\u00e9\n","value":{"x": [1, "y z"]}}"#, STR).unwrap();
    assert_eq!(record.key.as_deref(), Some("a\"é\n".as_bytes()));
    assert_eq!(record.value.as_deref(), Some(&br#"{"x":[1,"y z"]}"#[..]));
}

#[test]
fn bytes_take_strings_and_base64() {
    let record = parse_envelope(br#"{"key":"abc","value":{"base64":"/wAB"}}"#, BYTES).unwrap();
    assert_eq!(record.key.as_deref(), Some(&b"abc"[..]));
    assert_eq!(record.value.as_deref(), Some(&b"\xff\x00\x01"[..]));
}

#[track_caller]
fn assert_starts(text: String, prefix: &str) {
    assert!(
        text.starts_with(prefix),
        "{text:?} does not start with {prefix:?}"
    );
}

fn envelope_error(line: &str, types: KeyValueTypes) -> String {
    let err = parse_envelope(line.as_bytes(), types).unwrap_err();
    assert!(matches!(err, Error::Envelope { .. }), "{err:?}");
    err.to_string()
}

#[test]
fn malformed_lines_name_the_problem() {
    assert_eq!(
        envelope_error(r#"{"value": {"base64": "!!"}}"#, BYTES),
        "invalid message envelope: value: invalid base64: Invalid symbol 33, offset 0."
    );
    assert_eq!(
        envelope_error(r#"{"key": 12}"#, BYTES),
        "invalid message envelope: key: expected a string or a {\"base64\": \"...\"} object, found a number"
    );
    assert_eq!(
        envelope_error(r#"{"key": {"base64": "AA==", "x": 1}}"#, BYTES),
        "invalid message envelope: key: expected an object with the single key \"base64\" holding a string"
    );
    assert_starts(
        envelope_error(r#"{"vlaue": 1}"#, STR_JSON),
        "invalid message envelope: unknown field `vlaue`, expected one of `topic`, `headers`, \
         `partition`, `offset`, `timestamp`, `key`, `value` at line 1 column",
    );
    assert_starts(
        envelope_error(r#"{"value": {"a":1}"#, STR_JSON),
        "invalid message envelope: EOF while parsing an object at line 1 column",
    );
    for blank in ["", " \t", "\n"] {
        assert_eq!(
            envelope_error(blank, STR_JSON),
            "invalid message envelope: the line is empty; expected a message object"
        );
    }
    assert_eq!(
        envelope_error(" [1]", STR_JSON),
        "invalid message envelope: expected a message object with the fields topic, headers, \
         partition, offset, timestamp, key and value, found an array"
    );
    assert_eq!(
        envelope_error("x", STR_JSON),
        "invalid message envelope: the line is not JSON (expected value at line 1 column 1)",
    );
    // Text that starts like a JSON literal is not taken for one.
    for (line, error) in [
        ("not json", "expected ident at line 1 column 2"),
        ("nulls", "trailing characters at line 1 column 5"),
        ("1 2", "trailing characters at line 1 column 3"),
        ("[1,", "EOF while parsing a value at line 1 column 3"),
    ] {
        assert_eq!(
            envelope_error(line, STR_JSON),
            format!("invalid message envelope: the line is not JSON ({error})"),
        );
    }
    assert_eq!(
        envelope_error("null", STR_JSON),
        "invalid message envelope: expected a message object with the fields topic, headers, \
         partition, offset, timestamp, key and value, found null"
    );
    assert_starts(
        envelope_error(r#"{"value": 1, "value": 2}"#, STR_JSON),
        "invalid message envelope: duplicate field `value` at line 1 column",
    );
    assert_eq!(
        envelope_error(r#"{"partition": -1}"#, STR_JSON),
        "invalid message envelope: partition: expected a non-negative 32-bit integer, found -1"
    );
    assert_eq!(
        envelope_error(r#"{"partition": "0"}"#, STR_JSON),
        "invalid message envelope: partition: expected a non-negative 32-bit integer, found a string"
    );
    assert_eq!(
        envelope_error(r#"{"timestamp": [7, 1]}"#, STR_JSON),
        "invalid message envelope: timestamp: expected [type, millis] with type 0, 1 or 2, found type 7"
    );
    assert_eq!(
        envelope_error(r#"{"timestamp": [1]}"#, STR_JSON),
        "invalid message envelope: timestamp: expected [type, millis] with type 0, 1 or 2, found an array of 1 elements"
    );
    assert_eq!(
        envelope_error(r#"{"headers": {"a": "b"}}"#, STR_JSON),
        "invalid message envelope: headers: expected null or an array of [key, value] pairs, found an object"
    );
    assert_eq!(
        envelope_error(r#"{"headers": [["a", "b", "c"]]}"#, STR_JSON),
        "invalid message envelope: headers: header 0: expected a [key, value] pair, found an array of 3 elements"
    );
    assert_eq!(
        envelope_error(r#"{"headers": [["a", "b"], [1, "c"]]}"#, STR_JSON),
        "invalid message envelope: headers: header 1: the key must be a string, found a number"
    );
    assert_eq!(
        envelope_error(r#"{"headers": [["a", {"base64": "%"}]]}"#, STR_JSON),
        "invalid message envelope: headers: header 0 (\"a\"): invalid base64: Invalid symbol 37, offset 0."
    );
}
