//! Property tests: a printed JSON line reads back as the message it came from.

use bytes::Bytes;
use kafi_core::{Headers, RawMessage, Timestamp, TimestampType};
use kafi_serde::{
    message_to_json_value, parse_envelope, write_json_line, KeyValueTypes, SerdeType,
};
use proptest::prelude::*;
use serde_json::Value;

fn timestamp() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        Just(Timestamp {
            kind: TimestampType::NotAvailable,
            millis: -1
        }),
        any::<i64>().prop_map(Timestamp::create_time),
        any::<i64>().prop_map(|millis| Timestamp {
            kind: TimestampType::LogAppendTime,
            millis
        }),
    ]
}

fn binary() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        any::<String>().prop_map(String::into_bytes),
    ]
}

fn headers() -> impl Strategy<Value = Headers> {
    proptest::collection::vec(
        (
            any::<String>(),
            proptest::option::of(binary().prop_map(Bytes::from)),
        ),
        0..4,
    )
}

/// Arbitrary JSON documents.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// JSON text without raw line breaks: compact, or pretty with the line
/// breaks turned into spaces.
fn json_text() -> impl Strategy<Value = Vec<u8>> {
    (json_value(), any::<bool>())
        .prop_filter("a null document reads back as a null value", |(v, _)| {
            !v.is_null()
        })
        .prop_map(|(v, pretty)| {
            if pretty {
                serde_json::to_string_pretty(&v)
                    .unwrap()
                    .replace('\n', " ")
                    .into_bytes()
            } else {
                serde_json::to_vec(&v).unwrap()
            }
        })
}

fn message(
    key: impl Strategy<Value = Vec<u8>>,
    value: impl Strategy<Value = Vec<u8>>,
) -> impl Strategy<Value = RawMessage> {
    (
        "[a-zA-Z0-9._-]{1,20}",
        headers(),
        0..=i32::MAX,
        any::<i64>(),
        timestamp(),
        proptest::option::of(key),
        proptest::option::of(value),
    )
        .prop_map(
            |(topic, headers, partition, offset, timestamp, key, value)| RawMessage {
                topic: topic.as_str().into(),
                headers,
                partition,
                offset,
                timestamp,
                key: key.map(Bytes::from),
                value: value.map(Bytes::from),
            },
        )
}

fn assert_round_trip(m: &RawMessage, types: KeyValueTypes) -> Result<(), TestCaseError> {
    let mut line = Vec::new();
    write_json_line(&mut line, m, types).unwrap();
    prop_assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
    prop_assert_eq!(line.last(), Some(&b'\n'));

    let record = parse_envelope(&line, types).unwrap();
    prop_assert_eq!(&record.key, &m.key);
    prop_assert_eq!(&record.value, &m.value);
    prop_assert_eq!(&record.headers, &m.headers);
    prop_assert_eq!(record.partition, Some(m.partition));
    prop_assert_eq!(record.timestamp, Some(m.timestamp));

    // The fast printer and the decoded message agree.
    let printed: Value = serde_json::from_slice(&line).unwrap();
    prop_assert_eq!(printed, message_to_json_value(m, types).unwrap());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn bytes_round_trip(m in message(binary(), binary())) {
        assert_round_trip(&m, KeyValueTypes::both(SerdeType::Bytes))?;
    }

    #[test]
    fn str_round_trips(m in message(
        any::<String>().prop_map(String::into_bytes),
        any::<String>().prop_map(String::into_bytes),
    )) {
        assert_round_trip(&m, KeyValueTypes::both(SerdeType::Str))?;
    }

    #[test]
    fn json_round_trips(m in message(json_text(), json_text())) {
        assert_round_trip(&m, KeyValueTypes::both(SerdeType::Json))?;
    }

    #[test]
    fn json_with_line_breaks_prints_on_one_line(v in json_value()) {
        // A null document reads back as a null value.
        prop_assume!(!v.is_null());
        let text = serde_json::to_string_pretty(&v).unwrap().replace("\n", "\r\n");
        let m = RawMessage {
            topic: "t".into(),
            headers: Vec::new(),
            partition: 0,
            offset: 0,
            timestamp: Timestamp::create_time(0),
            key: None,
            value: Some(Bytes::from(text)),
        };
        let types = KeyValueTypes::both(SerdeType::Json);
        let mut line = Vec::new();
        write_json_line(&mut line, &m, types).unwrap();
        prop_assert_eq!(line.iter().filter(|&&b| b == b'\n' || b == b'\r').count(), 1);
        let record = parse_envelope(&line, types).unwrap();
        let compact = serde_json::to_vec(&v).unwrap();
        prop_assert_eq!(record.value, Some(Bytes::from(compact)));
    }
}
