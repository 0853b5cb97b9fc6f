//! JSON-lines envelopes: [`kafi_serde::parse_envelope`] and
//! [`Codec::parse_envelope`], and printing an accepted one back.
//!
//! Input: one byte choosing the key and value types (`bytes`, `str` or
//! `json` each), then the line.

use std::sync::Arc;

use kafi_core::{RawMessage, Timestamp};
use kafi_serde::{Codec, KeyValueTypes, SerdeType};

const TYPES: [SerdeType; 3] = [SerdeType::Bytes, SerdeType::Str, SerdeType::Json];

/// The `envelope` target.
pub fn envelope(data: &[u8]) {
    let Some((&selector, line)) = data.split_first() else {
        return;
    };
    let types = KeyValueTypes::new(
        TYPES[usize::from(selector) % 3],
        TYPES[usize::from(selector / 3) % 3],
    );
    let codec = Codec::new(types);
    let parsed = kafi_serde::parse_envelope(line, types);
    let by_codec = codec.parse_envelope(line);
    match (&parsed, &by_codec) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "parse_envelope and Codec::parse_envelope differ"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("parse_envelope and Codec::parse_envelope disagree"),
    }
    let Ok(record) = parsed else {
        return;
    };

    if types == KeyValueTypes::both(SerdeType::Bytes) {
        // With no JSON text kept verbatim, the tree path gives the same record.
        let tree: serde_json::Value =
            serde_json::from_slice(line).expect("an accepted envelope is JSON");
        let from_tree = codec
            .record_from_json(tree)
            .expect("record_from_json rejects an accepted envelope");
        assert_eq!(
            from_tree, record,
            "record_from_json and parse_envelope differ"
        );
    }

    // Printing the record as a message and parsing the line again gives it back.
    let message = RawMessage {
        topic: Arc::from("fuzz"),
        headers: record.headers.clone(),
        partition: record.partition.unwrap_or(0),
        offset: 0,
        timestamp: record.timestamp.unwrap_or(Timestamp::create_time(0)),
        key: record.key.clone(),
        value: record.value.clone(),
    };
    let mut printed = Vec::new();
    codec
        .write_json_line(&mut printed, &message)
        .expect("an accepted envelope prints");
    assert_eq!(printed.last(), Some(&b'\n'));
    assert!(
        !printed[..printed.len() - 1].contains(&b'\n'),
        "a printed message spans lines"
    );
    let again = codec
        .parse_envelope(&printed)
        .expect("a printed envelope parses");
    assert_eq!(again.headers, record.headers, "headers changed");
    assert_eq!(again.partition, Some(message.partition));
    assert_eq!(again.timestamp, Some(message.timestamp));
    same_side(types.key, &again.key, &record.key, "key");
    same_side(types.value, &again.value, &record.value, "value");
}

fn same_side(
    serde_type: SerdeType,
    again: &Option<bytes::Bytes>,
    first: &Option<bytes::Bytes>,
    field: &str,
) {
    match (serde_type, again, first) {
        // JSON text is kept verbatim unless it spans lines, then compacted.
        (SerdeType::Json, Some(a), Some(f)) => {
            assert_eq!(minify(a), minify(f), "{field} JSON changed");
        }
        _ => assert_eq!(again, first, "{field} changed"),
    }
}

/// JSON text without whitespace outside strings.
fn minify(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in text {
        if in_string {
            out.push(b);
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            in_string = b == b'"';
            out.push(b);
        }
    }
    out
}
