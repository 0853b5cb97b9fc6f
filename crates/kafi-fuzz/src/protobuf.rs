//! Protobuf values in the Confluent wire format through [`Codec`]: the
//! message-index list picks a (possibly nested) message of the schema,
//! whose bytes are then decoded.
//!
//! Input: the bytes after the magic byte and schema id (message indexes,
//! then the protobuf payload). The schema is registered under id 1 in an
//! in-memory [`SchemaLookup`].

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use kafi_core::{RawMessage, Timestamp};
use kafi_serde::{Codec, Data, Error, KeyValueTypes, Schema, SchemaLookup, SerdeType, SideSchema};

/// A schema with nested messages, every scalar kind, maps, oneofs,
/// well-known types and recursion, so indexes can reach many messages.
const SCHEMA: &str = r#"
syntax = "proto3";
package fuzz;
import "google/protobuf/timestamp.proto";
import "google/protobuf/struct.proto";
message Top {
  enum Kind { KIND_UNKNOWN = 0; A = 1; B = 2; }
  message Inner {
    message Deeper { repeated sint64 s = 1; fixed32 f = 2; Top back = 3; }
    string name = 1;
    bytes raw = 2;
    Deeper deeper = 3;
  }
  int32 i32 = 1;
  int64 i64 = 2;
  uint64 u64 = 3;
  double d = 4;
  float f = 5;
  bool b = 6;
  string s = 7;
  bytes raw = 8;
  Kind kind = 9;
  repeated Inner inners = 10;
  map<string, Inner> by_name = 11;
  oneof choice { sfixed64 sf = 12; string text = 13; }
  google.protobuf.Timestamp at = 14;
  google.protobuf.Struct doc = 15;
  optional int32 maybe = 16;
}
message Second { repeated double xs = 1; message Leaf { bool y = 1; } }
"#;

/// Schemas by id, in memory.
#[derive(Debug, Default)]
struct MemoryRegistry(Mutex<HashMap<i32, Schema>>);

#[async_trait::async_trait]
impl SchemaLookup for MemoryRegistry {
    async fn schema_by_id(&self, id: i32) -> kafi_serde::Result<Schema> {
        let schemas = self.0.lock().unwrap_or_else(|e| e.into_inner());
        schemas
            .get(&id)
            .cloned()
            .ok_or(Error::SchemaNotFound { id })
    }

    async fn register(&self, _subject: &str, schema: &Schema) -> kafi_serde::Result<i32> {
        let mut schemas = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let id = schemas.len() as i32 + 1;
        schemas.insert(id, schema.clone());
        Ok(id)
    }
}

/// Runs a future that never waits (the in-memory registry answers at once).
fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("the in-memory registry never waits"),
    }
}

fn codec() -> Codec {
    let types = KeyValueTypes::new(SerdeType::Bytes, SerdeType::Protobuf);
    let value = SideSchema {
        schema: Some(SCHEMA.to_owned()),
        schema_id: None,
    };
    let codec = Codec::with_schemas(types, SideSchema::default(), value)
        .with_schema_lookup(Arc::new(MemoryRegistry::default()));
    now(codec.prepare_encode("fuzz")).expect("the fuzz schema registers");
    codec
}

thread_local! {
    static CODEC: Codec = codec();
}

fn message(value: Bytes) -> RawMessage {
    RawMessage {
        topic: Arc::from("fuzz"),
        headers: Vec::new(),
        partition: 0,
        offset: 0,
        timestamp: Timestamp::create_time(0),
        key: None,
        value: Some(value),
    }
}

/// The `protobuf` target.
pub fn protobuf(data: &[u8]) {
    CODEC.with(|codec| check(codec, data));
}

fn check(codec: &Codec, data: &[u8]) {
    let mut framed = Vec::with_capacity(data.len() + 5);
    kafi_serde::wire::write_header(&mut framed, 1);
    framed.extend_from_slice(data);
    let m = message(Bytes::from(framed));
    now(codec.prepare_decode(std::slice::from_ref(&m))).expect("schema id 1 is known");

    let decoded = codec.decode(&m);
    let mut line = Vec::new();
    let written = codec.write_json_line(&mut line, &m);
    // The tree and the streaming paths accept the same values and agree.
    let (decoded, ()) = match (decoded, written) {
        (Ok(d), Ok(w)) => (d, w),
        (Err(_), Err(_)) => {
            assert!(
                line.is_empty(),
                "a failed write leaves the buffer as it was"
            );
            return;
        }
        (d, w) => panic!("decode and write_json_line disagree: {d:?} vs {w:?}"),
    };
    let Some(Data::Json(value)) = decoded.value else {
        panic!("a protobuf value decodes to JSON, got {:?}", decoded.value);
    };
    let printed: serde_json::Value =
        serde_json::from_slice(&line).expect("write_json_line prints JSON");
    assert_eq!(printed["value"], value, "printed and decoded values differ");

    // The first message (index [0]) is what encoding writes: its JSON
    // encodes and decodes back to the same JSON.
    let (indexes, _) = kafi_serde::wire::read_message_indexes(data).expect("decoded, so valid");
    if indexes == [0] {
        if let Ok(bytes) = codec.encode_value(&Data::Json(value.clone())) {
            let again = codec
                .decode(&message(bytes))
                .expect("an encoded value decodes");
            assert_eq!(
                again.value,
                Some(Data::Json(value)),
                "protobuf JSON round trip"
            );
        }
    }
}
