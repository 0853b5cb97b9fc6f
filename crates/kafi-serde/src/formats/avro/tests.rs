//! Round trips and the decimal helpers of the avro format.

use super::*;
use serde_json::json;

fn round_trip(schema: &str, value: Value) -> Value {
    let avro = Avro::new(schema).unwrap();
    let mut out = Vec::new();
    avro.encode(&value, &mut out).unwrap();
    avro.decode(&out).unwrap()
}

#[test]
fn seed_record() {
    let s = r#"{"type":"record","name":"myrecord","fields":[{"name":"bla","type":"int"}]}"#;
    let avro = Avro::new(s).unwrap();
    let mut out = Vec::new();
    avro.encode(&json!({"bla": 123}), &mut out).unwrap();
    assert_eq!(out, [0xf6, 0x01]);
    assert_eq!(avro.decode(&out).unwrap(), json!({"bla": 123}));
}

#[test]
fn every_feature() {
    let s = r#"{
      "type": "record", "name": "All", "namespace": "ns",
      "fields": [
        {"name": "b", "type": "boolean"},
        {"name": "i", "type": "int"},
        {"name": "l", "type": "long"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "s", "type": "string"},
        {"name": "by", "type": "bytes"},
        {"name": "e", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
        {"name": "a", "type": {"type": "array", "items": "int"}},
        {"name": "m", "type": {"type": "map", "values": "string"}},
        {"name": "u1", "type": ["null", "string"]},
        {"name": "u2", "type": ["null", "string"]},
        {"name": "u3", "type": ["null", "long", {"type": "record", "name": "Inner", "fields": [{"name": "x", "type": "int"}]}]},
        {"name": "fx", "type": {"type": "fixed", "name": "Four", "size": 4}},
        {"name": "dec", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "decf", "type": {"type": "fixed", "name": "D8", "size": 8, "logicalType": "decimal", "precision": 10, "scale": 3}},
        {"name": "uuid", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "date", "type": {"type": "int", "logicalType": "date"}},
        {"name": "tm", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "tu", "type": {"type": "long", "logicalType": "time-micros"}},
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "tsu", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "again", "type": "Inner"},
        {"name": "def", "type": "int", "default": 7},
        {"name": "udef", "type": ["null", "int"], "default": null}
      ]}"#;
    let input = json!({
        "b": true, "i": -5, "l": 12345678901i64, "f": 1.5, "d": 2.25, "s": "héllo",
        "by": "\u{0}\u{ff}A", "e": "GREEN", "a": [1, 2, 3], "m": {"k": "v", "a": "b"},
        "u1": null, "u2": "bare", "u3": {"ns.Inner": {"x": 1}},
        "fx": "abcd", "dec": "-12.34", "decf": 5.5, "uuid": "550e8400-e29b-41d4-a716-446655440000",
        "date": 19000, "tm": 1000, "tu": 1000000, "ts": 1732660705555i64, "tsu": 1732660705555000i64,
        "again": {"x": 9}
    });
    let out = round_trip(s, input);
    assert_eq!(
        out,
        json!({
            "b": true, "i": -5, "l": 12345678901i64, "f": 1.5, "d": 2.25, "s": "héllo",
            "by": "\u{0}\u{ff}A", "e": "GREEN", "a": [1, 2, 3], "m": {"a": "b", "k": "v"},
            "u1": null, "u2": {"string": "bare"}, "u3": {"ns.Inner": {"x": 1}},
            "fx": "abcd", "dec": "-12.34", "decf": "5.500", "uuid": "550e8400-e29b-41d4-a716-446655440000",
            "date": 19000, "tm": 1000, "tu": 1000000, "ts": 1732660705555i64, "tsu": 1732660705555000i64,
            "again": {"x": 9}, "def": 7, "udef": null
        })
    );
}

#[test]
fn wrapped_union_input() {
    let s =
        r#"{"type":"record","name":"r","fields":[{"name":"u","type":["null","long","string"]}]}"#;
    assert_eq!(
        round_trip(s, json!({"u": {"string": "x"}})),
        json!({"u": {"string": "x"}})
    );
    assert_eq!(round_trip(s, json!({"u": 5})), json!({"u": {"long": 5}}));
}

#[test]
fn mismatch_names_field_and_type() {
    let s = r#"{"type":"record","name":"r","fields":[{"name":"inner","type":{"type":"record","name":"i","fields":[{"name":"n","type":"int"}]}}]}"#;
    let avro = Avro::new(s).unwrap();
    let e = avro
        .encode(&json!({"inner": {"n": "x"}}), &mut Vec::new())
        .unwrap_err();
    assert_eq!(e, "field inner.n: expected int, got string \"x\"");
    let e = avro
        .encode(&json!({"inner": {}}), &mut Vec::new())
        .unwrap_err();
    assert_eq!(e, "field inner.n: missing (expected int)");
    let e = avro
        .encode(&json!({"inner": {"n": 1}, "zz": 1}), &mut Vec::new())
        .unwrap_err();
    assert_eq!(e, "field zz: not in record r");
}

#[test]
fn bad_schema() {
    assert!(Avro::new("{\"type\": \"recrd\"}")
        .unwrap_err()
        .starts_with("invalid Avro schema"));
    // Text that is not JSON (e.g. a mistyped file name) is named as such.
    assert_eq!(
        Avro::new("./snack.avsc").unwrap_err(),
        "invalid Avro schema: the text is not JSON (expected value at line 1 column 1)"
    );
    assert_eq!(
        Avro::new("  ").unwrap_err(),
        "invalid Avro schema: the text is empty"
    );
}

#[test]
fn decimals() {
    assert_eq!(parse_decimal("12.34", 2), Some(1234));
    assert_eq!(parse_decimal("-0.5", 2), Some(-50));
    assert_eq!(parse_decimal("1.234", 2), None);
    assert_eq!(format_decimal(&twos_complement(-1234), 2), "-12.34");
    assert_eq!(format_decimal(&twos_complement(5), 3), "0.005");
    assert_eq!(format_decimal(&twos_complement(128), 0), "128");
}
