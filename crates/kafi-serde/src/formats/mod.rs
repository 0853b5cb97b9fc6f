//! The schema registry types: each parses a registered schema once and then
//! decodes and encodes payloads (the bytes after the wire-format header)
//! synchronously.

#[cfg(feature = "serde-avro")]
pub mod avro;
#[cfg(feature = "serde-jsonschema")]
pub mod jsonschema;
#[cfg(feature = "serde-protobuf")]
pub mod protobuf;

use std::fmt;
use std::sync::Arc;

use kafi_config::SerdeType;
use serde_json::Value;

use crate::schema::{Schema, SchemaType};

/// A compiled schema of one of the registry types.
pub(crate) trait Format: Send + Sync + fmt::Debug {
    /// Decodes a payload (after the magic byte and id) into JSON.
    fn decode(&self, payload: &[u8]) -> Result<Value, String>;

    /// Appends the JSON text of a payload to `out`.
    fn write_json(&self, out: &mut Vec<u8>, payload: &[u8]) -> Result<(), String> {
        let value = self.decode(payload)?;
        serde_json::to_writer(out, &value).map_err(|e| e.to_string())
    }

    /// Encodes a JSON value into a payload (protobuf includes its message
    /// indexes), appended to `out`.
    fn encode(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), String>;
}

/// The registry schema type a kafi type uses.
pub fn schema_type_of(serde_type: SerdeType) -> Option<SchemaType> {
    match serde_type {
        SerdeType::Avro => Some(SchemaType::Avro),
        SerdeType::Protobuf => Some(SchemaType::Protobuf),
        SerdeType::JsonSchema => Some(SchemaType::Json),
        _ => None,
    }
}

#[cfg(not(all(
    feature = "serde-avro",
    feature = "serde-protobuf",
    feature = "serde-jsonschema"
)))]
fn built_without(feature: &str, schema_type: SchemaType) -> String {
    format!("this kafi was built without the {feature} feature; {schema_type} schemas are not available")
}

/// Parses a schema for decoding and encoding.
pub(crate) fn compile(schema: &Schema) -> Result<Arc<dyn Format>, String> {
    match schema.schema_type {
        #[cfg(feature = "serde-avro")]
        SchemaType::Avro => Ok(Arc::new(avro::Avro::new(&schema.schema)?)),
        #[cfg(not(feature = "serde-avro"))]
        SchemaType::Avro => Err(built_without("serde-avro", SchemaType::Avro)),
        #[cfg(feature = "serde-protobuf")]
        SchemaType::Protobuf => Ok(Arc::new(protobuf::Protobuf::new(&schema.schema)?)),
        #[cfg(not(feature = "serde-protobuf"))]
        SchemaType::Protobuf => Err(built_without("serde-protobuf", SchemaType::Protobuf)),
        #[cfg(feature = "serde-jsonschema")]
        SchemaType::Json => Ok(Arc::new(jsonschema::JsonSchema::new(&schema.schema)?)),
        #[cfg(not(feature = "serde-jsonschema"))]
        SchemaType::Json => Err(built_without("serde-jsonschema", SchemaType::Json)),
    }
}

/// Checks that a schema parses (what a registry answers 42201 for).
pub fn validate_schema(schema: &Schema) -> Result<(), String> {
    compile(schema).map(|_| ())
}
