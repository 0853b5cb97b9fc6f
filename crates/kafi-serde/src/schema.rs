//! Schemas and the schema lookup the schema registry types will use.

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::Result;

/// The kind of a schema, named as the Schema Registry names it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaType {
    /// An Avro schema (the registry's default when no type is given).
    #[default]
    Avro,
    /// A Protobuf schema.
    Protobuf,
    /// A JSON schema.
    Json,
}

impl SchemaType {
    /// The Schema Registry's name: `AVRO`, `PROTOBUF` or `JSON`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Protobuf => "PROTOBUF",
            SchemaType::Json => "JSON",
        }
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reference from one schema to another registered schema.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchemaReference {
    /// The name the referencing schema uses (e.g. an import path).
    pub name: String,
    /// The subject the referenced schema is registered under.
    pub subject: String,
    /// The version of the referenced schema.
    pub version: i32,
}

/// A schema as stored in a schema registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    /// Its kind.
    pub schema_type: SchemaType,
    /// The schema text.
    pub schema: String,
    /// Other schemas it references.
    pub references: Vec<SchemaReference>,
}

impl Schema {
    /// A schema without references.
    pub fn new(schema_type: SchemaType, schema: impl Into<String>) -> Self {
        Self {
            schema_type,
            schema: schema.into(),
            references: Vec::new(),
        }
    }
}

/// Looks schemas up by id and registers new ones.
///
/// Implemented by the Schema Registry client and by the emulated registry of
/// the file storage; this crate itself makes no network calls.
#[async_trait]
pub trait SchemaLookup: Send + Sync + fmt::Debug {
    /// The schema registered with `id`.
    async fn schema_by_id(&self, id: i32) -> Result<Schema>;

    /// Registers `schema` under `subject` (or finds it registered already)
    /// and returns its id.
    async fn register(&self, subject: &str, schema: &Schema) -> Result<i32>;
}
