//! The `protobuf` type: a `.proto` schema parsed at run time (protox) and
//! dynamic messages (prost-reflect), in the protobuf JSON mapping with the
//! `.proto` field names.
//!
//! A schema is `.proto` source (proto2 when it has no `syntax` line, as
//! `protoc` does; imports of `google/protobuf/*.proto` well-known types are
//! built in) or, as Confluent's serializers register it, a base64-encoded
//! `FileDescriptorProto`. Produced messages use the file's first message
//! (message index `[0]`); consumed messages may use any message of the file.

pub use prost_reflect;

use base64::Engine as _;
use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DeserializeOptions, DynamicMessage, FileDescriptor, MessageDescriptor,
    ReflectMessage, SerializeOptions,
};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};
use serde_json::Value;

use super::Format;
use crate::wire;

/// The file name a schema's source is compiled as.
pub const SCHEMA_FILE: &str = "schema.proto";

const SERIALIZE: SerializeOptions = SerializeOptions::new().use_proto_field_name(true);

struct SourceResolver(String);

impl FileResolver for SourceResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        if name == SCHEMA_FILE {
            File::from_source(name, &self.0)
        } else {
            Err(protox::Error::file_not_found(name))
        }
    }
}

/// Parses a schema (`.proto` source or a base64 `FileDescriptorProto`).
pub fn parse(text: &str) -> Result<FileDescriptor, String> {
    let trimmed = text.trim();
    let looks_base64 = !trimmed.is_empty()
        && trimmed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    if looks_base64 {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(trimmed) {
            if let Ok(proto) = prost_types::FileDescriptorProto::decode(bytes.as_slice()) {
                let name = proto.name().to_owned();
                let mut pool = DescriptorPool::global();
                pool.add_file_descriptor_proto(proto)
                    .map_err(|e| format!("invalid Protobuf schema: {e}"))?;
                return pool
                    .get_file_by_name(&name)
                    .ok_or_else(|| "invalid Protobuf schema: file missing".to_owned());
            }
        }
    }
    let mut resolver = ChainFileResolver::new();
    resolver.add(SourceResolver(text.to_owned()));
    resolver.add(GoogleFileResolver::new());
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_imports(true);
    compiler
        .open_file(SCHEMA_FILE)
        .map_err(|e| format!("invalid Protobuf schema: {e}"))?;
    compiler
        .descriptor_pool()
        .get_file_by_name(SCHEMA_FILE)
        .ok_or_else(|| "invalid Protobuf schema: file missing".to_owned())
}

/// Whether two schemas (`.proto` source or base64 `FileDescriptorProto`,
/// as Confluent's serializers register them) describe the same file, file
/// names, source info and JSON names aside.
pub fn same_descriptor(a: &str, b: &str) -> bool {
    fn clear_json_names(m: &mut prost_types::DescriptorProto) {
        for f in &mut m.field {
            f.json_name = None;
        }
        m.nested_type.iter_mut().for_each(clear_json_names);
    }
    let normal = |text: &str| {
        parse(text).ok().map(|file| {
            let mut proto = file.file_descriptor_proto().clone();
            proto.name = None;
            proto.source_code_info = None;
            proto.message_type.iter_mut().for_each(clear_json_names);
            proto
        })
    };
    match (normal(a), normal(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// The base64 `FileDescriptorProto` of a schema (Confluent's
/// `?format=serialized`).
pub fn to_serialized(text: &str) -> Result<String, String> {
    let file = parse(text)?;
    Ok(base64::engine::general_purpose::STANDARD
        .encode(file.file_descriptor_proto().encode_to_vec()))
}

/// The message at a Confluent message-index path.
pub fn message_at(file: &FileDescriptor, indexes: &[i32]) -> Option<MessageDescriptor> {
    let (first, rest) = indexes.split_first()?;
    let mut message = file.messages().nth(usize::try_from(*first).ok()?)?;
    for &i in rest {
        let next = message.child_messages().nth(usize::try_from(i).ok()?)?;
        message = next;
    }
    Some(message)
}

/// A parsed Protobuf schema.
#[derive(Debug)]
pub(crate) struct Protobuf {
    file: FileDescriptor,
    first: MessageDescriptor,
}

impl Protobuf {
    pub(crate) fn new(text: &str) -> Result<Self, String> {
        let file = parse(text)?;
        let first = file
            .messages()
            .next()
            .ok_or("invalid Protobuf schema: it defines no message")?;
        Ok(Self { file, first })
    }

    fn message<'a>(
        &self,
        payload: &'a [u8],
    ) -> Result<(MessageDescriptor, DynamicMessage), String> {
        let (indexes, rest): (Vec<i32>, &'a [u8]) =
            wire::read_message_indexes(payload).map_err(|e| e.to_string())?;
        let desc = if indexes == [0] {
            self.first.clone()
        } else {
            message_at(&self.file, &indexes)
                .ok_or_else(|| format!("message index {indexes:?} is not in the schema"))?
        };
        let message = DynamicMessage::decode(desc.clone(), rest)
            .map_err(|e| format!("invalid {} message: {e}", desc.full_name()))?;
        Ok((desc, message))
    }
}

fn check_required(message: &DynamicMessage, path: &str) -> Result<(), String> {
    for field in message.descriptor().fields() {
        let name = if path.is_empty() {
            field.name().to_owned()
        } else {
            format!("{path}.{}", field.name())
        };
        if field.cardinality() == prost_reflect::Cardinality::Required && !message.has_field(&field)
        {
            return Err(format!(
                "field {name}: missing (required {:?})",
                field.kind()
            ));
        }
        if let Some(prost_reflect::Value::Message(inner)) = message
            .has_field(&field)
            .then(|| message.get_field(&field))
            .as_deref()
        {
            check_required(inner, &name)?;
        }
    }
    Ok(())
}

impl Format for Protobuf {
    fn decode(&self, payload: &[u8]) -> Result<Value, String> {
        // Through the JSON text rather than serde_json's value serializer,
        // which widens a `float` to f64 digits (0.1 becomes
        // 0.10000000149011612): the value is then the one printed.
        let mut text = Vec::with_capacity(payload.len() * 2 + 16);
        self.write_json(&mut text, payload)?;
        serde_json::from_slice(&text).map_err(|e| e.to_string())
    }

    fn write_json(&self, out: &mut Vec<u8>, payload: &[u8]) -> Result<(), String> {
        let (_, message) = self.message(payload)?;
        let mut ser = serde_json::Serializer::new(out);
        message
            .serialize_with_options(&mut ser, &SERIALIZE)
            .map_err(|e| e.to_string())
    }

    fn encode(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
        let message = DynamicMessage::deserialize_with_options(
            self.first.clone(),
            value,
            &DeserializeOptions::new(),
        )
        .map_err(|e| format!("does not match message {}: {e}", self.first.full_name()))?;
        check_required(&message, "")?;
        wire::write_message_indexes(out, &[0]);
        message.encode(out).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(schema: &str, value: Value) -> Value {
        let pb = Protobuf::new(schema).unwrap();
        let mut out = Vec::new();
        pb.encode(&value, &mut out).unwrap();
        pb.decode(&out).unwrap()
    }

    #[test]
    fn seed_proto2() {
        let s = "message value {\n    required int32 bla = 1;\n}\n";
        let pb = Protobuf::new(s).unwrap();
        let mut out = Vec::new();
        pb.encode(&json!({"bla": 123}), &mut out).unwrap();
        assert_eq!(out, [0, 0x08, 123]);
        assert_eq!(pb.decode(&out).unwrap(), json!({"bla": 123}));
        let e = pb.encode(&json!({}), &mut Vec::new()).unwrap_err();
        assert!(e.starts_with("field bla: missing"), "{e}");
    }

    #[test]
    fn every_feature_proto3() {
        let s = r#"
            syntax = "proto3";
            package snacks;
            import "google/protobuf/timestamp.proto";
            import "google/protobuf/wrappers.proto";
            message Snack {
              enum Kind { KIND_UNKNOWN = 0; SWEET = 1; SALTY = 2; }
              message Nutrition { int32 calories = 1; double fat = 2; }
              string name = 1;
              Kind kind = 2;
              repeated string tags = 3;
              map<string, int64> stock = 4;
              Nutrition nutrition = 5;
              oneof price { int32 cents = 6; string free_text = 7; }
              google.protobuf.Timestamp made = 8;
              google.protobuf.StringValue note = 9;
              bytes raw = 10;
              repeated Nutrition history = 11;
            }
            message Other { string x = 1; message Deep { bool y = 1; } }
        "#;
        let input = json!({
            "name": "cookie", "kind": "SWEET", "tags": ["a", "b"], "stock": {"x": "5"},
            "nutrition": {"calories": 200, "fat": 1.5}, "free_text": "cheap",
            "made": "2024-11-27T00:00:00Z", "note": "hi", "raw": "AAE=",
            "history": [{"calories": 1}]
        });
        assert_eq!(round_trip(s, input.clone()), input);

        // A non-first (nested) message by its index path.
        let pb = Protobuf::new(s).unwrap();
        let file = parse(s).unwrap();
        let deep = message_at(&file, &[1, 0]).unwrap();
        assert_eq!(deep.full_name(), "snacks.Other.Deep");
        let msg = DynamicMessage::deserialize(deep, &json!({"y": true})).unwrap();
        let mut payload = Vec::new();
        wire::write_message_indexes(&mut payload, &[1, 0]);
        msg.encode(&mut payload).unwrap();
        assert_eq!(pb.decode(&payload).unwrap(), json!({"y": true}));
    }

    #[test]
    fn text_and_serialized_are_the_same_descriptor() {
        let text = "syntax = \"proto3\";\nmessage Snack { string name = 1; float calories = 2; }\n";
        let b64 = to_serialized(text).unwrap();
        assert!(same_descriptor(text, &b64));
        let other =
            "syntax = \"proto3\";\nmessage Snack { string name = 1; double calories = 2; }\n";
        assert!(!same_descriptor(other, &b64));
    }

    #[test]
    fn serialized_descriptor_round_trip() {
        let s = "syntax = \"proto3\"; message M { string a = 1; }";
        let b64 = to_serialized(s).unwrap();
        let pb = Protobuf::new(&b64).unwrap();
        assert_eq!(pb.first.full_name(), "M");
        assert_eq!(round_trip(&b64, json!({"a": "z"})), json!({"a": "z"}));
    }

    #[test]
    fn float_decodes_as_printed() {
        let pb = Protobuf::new("syntax = \"proto3\"; message M { float f = 1; }").unwrap();
        let mut out = Vec::new();
        pb.encode(&json!({"f": 0.1}), &mut out).unwrap();
        let mut printed = Vec::new();
        pb.write_json(&mut printed, &out).unwrap();
        assert_eq!(printed, br#"{"f":0.1}"#);
        assert_eq!(pb.decode(&out).unwrap(), json!({"f": 0.1}));
    }

    #[test]
    fn errors() {
        assert!(Protobuf::new("message {")
            .unwrap_err()
            .starts_with("invalid Protobuf schema"));
        let pb = Protobuf::new("syntax = \"proto3\"; message M { int32 a = 1; }").unwrap();
        let e = pb.encode(&json!({"a": "x"}), &mut Vec::new()).unwrap_err();
        assert!(e.contains("M"), "{e}");
        assert!(pb.decode(&[9, 9]).is_err());
    }
}
