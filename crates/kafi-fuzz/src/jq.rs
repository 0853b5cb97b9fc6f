//! jq input conversion (`kafi_shell::jq`): arbitrary JSON, as a value given
//! to [`Jq::run`] and as the value of a message going through the
//! transform (`--map`) and filter paths, which print the message and parse
//! it straight into jq values.
//!
//! Input: the JSON text of a message value.

use std::sync::Arc;

use bytes::Bytes;
use kafi_core::{RawMessage, Timestamp};
use kafi_serde::{Codec, KeyValueTypes, SerdeType};
use kafi_shell::jq::Jq;
use serde_json::Value;

struct Programs {
    identity: Jq,
    value: Jq,
    codec: Codec,
}

thread_local! {
    static PROGRAMS: Programs = Programs {
        identity: Jq::new(".").expect("`.` compiles"),
        value: Jq::new(".value").expect("`.value` compiles"),
        codec: Codec::new(KeyValueTypes::new(SerdeType::Str, SerdeType::Json)),
    };
}

/// The `jq` target.
pub fn jq(data: &[u8]) {
    PROGRAMS.with(|p| check(p, data));
}

fn check(p: &Programs, data: &[u8]) {
    let parsed: Option<Value> = serde_json::from_slice(data).ok();
    if let Some(value) = &parsed {
        let out = p.identity.run(value.clone()).expect("`.` runs on any JSON");
        assert_eq!(out.len(), 1, "`.` gives one output");
        assert!(
            same_json(&out[0], value),
            "`.` changed {value} into {}",
            out[0]
        );
    }

    let m = RawMessage {
        topic: Arc::from("fuzz"),
        headers: vec![("h".into(), Some(Bytes::from_static(b"\xff")))],
        partition: 3,
        offset: 9,
        timestamp: Timestamp::create_time(1),
        key: Some(Bytes::from_static(b"k")),
        value: Some(Bytes::copy_from_slice(data)),
    };
    let mut out = Vec::new();
    let transformed = p.identity.transform(&p.codec, &p.codec, &m, true, &mut out);
    let tested = p.value.test(&p.codec, &m);
    if serde_json::from_slice::<&serde_json::value::RawValue>(data).is_err() {
        // Not JSON: the message cannot be read as a json value.
        assert!(transformed.is_err(), "a non-JSON value was transformed");
        assert!(tested.is_err(), "a non-JSON value was tested");
        return;
    }
    // JSON that serde_json cannot hold as a value (a number out of f64's
    // range, a lone surrogate escape) may or may not be transformed; it is
    // not compared.
    let Some(value) = parsed else {
        return;
    };
    if let Err(e) = &transformed {
        panic!("`--map .` failed on the JSON value {value}: {e}");
    }
    assert_eq!(out.len(), 1);
    let record = &out[0];
    assert_eq!(record.key, m.key);
    assert_eq!(record.headers, m.headers);
    assert_eq!(record.partition, Some(m.partition));
    assert_eq!(record.timestamp, Some(m.timestamp));
    let back: Value = match record.value.as_deref() {
        Some(bytes) => serde_json::from_slice(bytes).expect("a transformed value is JSON"),
        None => Value::Null,
    };
    assert!(
        same_json(&back, &value),
        "`--map .` changed {value} into {back}"
    );
    let truthy = !matches!(value, Value::Null | Value::Bool(false));
    assert_eq!(
        tested.ok(),
        Some(truthy),
        "`.value` tested wrongly on {value}"
    );
}

/// Equal JSON, numbers compared as jq does (as doubles).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}
