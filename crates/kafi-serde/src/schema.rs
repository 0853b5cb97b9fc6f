//! Schemas, the types of the Schema Registry's answers, and
//! [`SchemaLookup`], the one registry interface the codecs need.
//!
//! The registry administration API (subjects, versions, compatibility)
//! is `kafi_registry::SchemaRegistry`; an adapter there gives codecs a
//! [`SchemaLookup`] over any registry.

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

/// Looks schemas up by id and registers new ones: what the avro, protobuf
/// and jsonschema codecs need of a Schema Registry.
///
/// `kafi-registry` implements it over its REST client and its emulated
/// registry (`kafi_registry::RegistryLookup`); this crate itself makes no
/// network calls. A missing id is [`Error::SchemaNotFound`](crate::Error::SchemaNotFound),
/// other failures [`Error::Registry`](crate::Error::Registry).
#[async_trait]
pub trait SchemaLookup: Send + Sync + fmt::Debug {
    /// The schema registered with `id`.
    async fn schema_by_id(&self, id: i32) -> Result<Schema>;

    /// Registers `schema` under `subject` (or finds it registered already)
    /// and returns its id.
    async fn register(&self, subject: &str, schema: &Schema) -> Result<i32>;
}

/// A compatibility level of a subject (or the registry's global default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compatibility {
    /// No checks.
    None,
    /// A new schema can read data written with the previous version (the
    /// registry's default).
    #[default]
    Backward,
    /// ... with every previous version.
    BackwardTransitive,
    /// Data written with a new schema can be read with the previous version.
    Forward,
    /// ... with every previous version.
    ForwardTransitive,
    /// Backward and forward against the previous version.
    Full,
    /// Backward and forward against every previous version.
    FullTransitive,
}

impl Compatibility {
    /// The registry's name, e.g. `BACKWARD_TRANSITIVE`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Compatibility::None => "NONE",
            Compatibility::Backward => "BACKWARD",
            Compatibility::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Compatibility::Forward => "FORWARD",
            Compatibility::ForwardTransitive => "FORWARD_TRANSITIVE",
            Compatibility::Full => "FULL",
            Compatibility::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// All levels.
    pub const ALL: [Compatibility; 7] = [
        Compatibility::None,
        Compatibility::Backward,
        Compatibility::BackwardTransitive,
        Compatibility::Forward,
        Compatibility::ForwardTransitive,
        Compatibility::Full,
        Compatibility::FullTransitive,
    ];

    /// Whether a new schema must read data of older ones.
    pub fn backward(&self) -> bool {
        matches!(
            self,
            Compatibility::Backward
                | Compatibility::BackwardTransitive
                | Compatibility::Full
                | Compatibility::FullTransitive
        )
    }

    /// Whether older schemas must read data of a new one.
    pub fn forward(&self) -> bool {
        matches!(
            self,
            Compatibility::Forward
                | Compatibility::ForwardTransitive
                | Compatibility::Full
                | Compatibility::FullTransitive
        )
    }

    /// Whether every older version is checked (not just the latest).
    pub fn transitive(&self) -> bool {
        matches!(
            self,
            Compatibility::BackwardTransitive
                | Compatibility::ForwardTransitive
                | Compatibility::FullTransitive
        )
    }
}

impl fmt::Display for Compatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Compatibility {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Compatibility::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "invalid compatibility level {s:?} (one of NONE, BACKWARD, BACKWARD_TRANSITIVE, \
                     FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE)"
                )
            })
    }
}

/// The seed's `schema` dict: `{"schema_str": ..., "schema_type": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaInfo {
    /// The schema text.
    pub schema_str: String,
    /// `AVRO`, `PROTOBUF` or `JSON`.
    pub schema_type: SchemaType,
    /// References (omitted when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
}

impl From<Schema> for SchemaInfo {
    fn from(s: Schema) -> Self {
        Self {
            schema_str: s.schema,
            schema_type: s.schema_type,
            references: s.references,
        }
    }
}

impl From<SchemaInfo> for Schema {
    fn from(s: SchemaInfo) -> Self {
        Self {
            schema_type: s.schema_type,
            schema: s.schema_str,
            references: s.references,
        }
    }
}

/// A schema registered under a subject and version, in the seed's shape:
/// `{"schema_id": 3, "schema": {"schema_str": ..., "schema_type": "JSON"},
/// "subject": "t-value", "version": 1}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredSchema {
    /// The schema id.
    pub schema_id: i32,
    /// The schema.
    pub schema: SchemaInfo,
    /// The subject.
    pub subject: String,
    /// The version within the subject.
    pub version: i32,
}

/// A subject and version (what `get_schema_versions` lists for an id).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SubjectVersion {
    /// The subject.
    pub subject: String,
    /// The version.
    pub version: i32,
}

/// Which subjects a registry's `get_subjects` lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SubjectFilter {
    /// Live subjects only (the default).
    #[default]
    Live,
    /// Live and soft-deleted subjects (`deleted=True`).
    WithDeleted,
    /// Soft-deleted subjects only.
    OnlyDeleted,
}
