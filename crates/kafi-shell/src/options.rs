//! Options of reading and writing commands (the seed's keyword arguments).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use kafi_config::{KafiSettings, SerdeType};
use kafi_serde::{KeyValueTypes, SideSchema};

use crate::{Error, Interrupt, Result};

/// Called with the running message count every `progress.num.messages`.
pub type ProgressFn = Arc<dyn Fn(&str, u64) + Send + Sync>;

/// How to read a topic: the seed's `n`, `offsets`, `group`, `type`,
/// `key_type` and `value_type` keyword arguments.
#[derive(Clone, Default)]
pub struct ReadOptions {
    /// Read at most this many messages (`None` = all).
    pub n: Option<u64>,
    /// Start offsets per partition (only these partitions are read).
    pub offsets: Option<BTreeMap<i32, i64>>,
    /// Consumer group (prefixed with `consumer.group.prefix`): reading
    /// starts at its committed offsets and commits them. Without one, the
    /// partitions are assigned directly and nothing is committed (see
    /// [reading and committing](crate#reading-and-committing)).
    pub group: Option<String>,
    /// Key type (default: the storage's `key.type`).
    pub key_type: Option<SerdeType>,
    /// Value type (default: the storage's `value.type`).
    pub value_type: Option<SerdeType>,
    /// Key schema (`key_schema`; only used when producing, kept for symmetry).
    pub key_schema: Option<String>,
    /// Value schema (`value_schema`).
    pub value_schema: Option<String>,
    /// Key schema id (`key_schema_id`).
    pub key_schema_id: Option<i32>,
    /// Value schema id (`value_schema_id`).
    pub value_schema_id: Option<i32>,
    /// Messages fetched per poll (default: `consume.batch.size`).
    pub batch_size: Option<usize>,
    /// Progress callback.
    pub progress: Option<ProgressFn>,
    /// A stop request to check before each message (see [`Interrupt`]);
    /// the read loops also report their counts to it.
    pub interrupt: Option<Interrupt>,
}

impl fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadOptions")
            .field("n", &self.n)
            .field("offsets", &self.offsets)
            .field("group", &self.group)
            .field("key_type", &self.key_type)
            .field("value_type", &self.value_type)
            .field("key_schema_id", &self.key_schema_id)
            .field("value_schema_id", &self.value_schema_id)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl ReadOptions {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads at most `n` messages.
    pub fn n(mut self, n: u64) -> Self {
        self.n = Some(n);
        self
    }

    /// Starts at these offsets.
    pub fn offsets(mut self, offsets: BTreeMap<i32, i64>) -> Self {
        self.offsets = Some(offsets);
        self
    }

    /// Uses (and commits to) this consumer group.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Same type for key and value (the seed's `type`).
    pub fn types(mut self, ty: SerdeType) -> Self {
        self.key_type = Some(ty);
        self.value_type = Some(ty);
        self
    }

    /// Key type.
    pub fn key_type(mut self, ty: SerdeType) -> Self {
        self.key_type = Some(ty);
        self
    }

    /// Value type.
    pub fn value_type(mut self, ty: SerdeType) -> Self {
        self.value_type = Some(ty);
        self
    }

    /// Reports progress.
    pub fn progress(mut self, progress: ProgressFn) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Stops cleanly when `interrupt` is requested.
    pub fn interrupt(mut self, interrupt: Interrupt) -> Self {
        self.interrupt = Some(interrupt);
        self
    }

    pub(crate) fn resolved_types(&self, settings: &KafiSettings) -> KeyValueTypes {
        KeyValueTypes {
            key: self.key_type.unwrap_or(settings.key_type),
            value: self.value_type.unwrap_or(settings.value_type),
        }
    }

    pub(crate) fn schemas(&self) -> (SideSchema, SideSchema) {
        side_schemas(
            &self.key_schema,
            self.key_schema_id,
            &self.value_schema,
            self.value_schema_id,
        )
    }
}

fn side_schemas(
    key_schema: &Option<String>,
    key_schema_id: Option<i32>,
    value_schema: &Option<String>,
    value_schema_id: Option<i32>,
) -> (SideSchema, SideSchema) {
    (
        SideSchema {
            schema: key_schema.clone(),
            schema_id: key_schema_id,
        },
        SideSchema {
            schema: value_schema.clone(),
            schema_id: value_schema_id,
        },
    )
}

/// How to write a topic: the seed's `target_*` keyword arguments.
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    /// Key type (default: the target storage's `key.type`).
    pub key_type: Option<SerdeType>,
    /// Value type (default: the target storage's `value.type`).
    pub value_type: Option<SerdeType>,
    /// Key schema to register (`key_schema` / `target_key_schema`).
    pub key_schema: Option<String>,
    /// Value schema to register (`value_schema` / `target_value_schema`).
    pub value_schema: Option<String>,
    /// Registered key schema id to write with (`key_schema_id`).
    pub key_schema_id: Option<i32>,
    /// Registered value schema id to write with (`value_schema_id`).
    pub value_schema_id: Option<i32>,
    /// Partitions of the target topic if it has to be created (default: as
    /// many as the source).
    pub partitions: Option<i32>,
    /// Keep source partitions when the target has enough (default: true).
    pub keep_partitions: Option<bool>,
}

impl WriteOptions {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Same type for key and value.
    pub fn types(mut self, ty: SerdeType) -> Self {
        self.key_type = Some(ty);
        self.value_type = Some(ty);
        self
    }

    /// Key type.
    pub fn key_type(mut self, ty: SerdeType) -> Self {
        self.key_type = Some(ty);
        self
    }

    /// Value type.
    pub fn value_type(mut self, ty: SerdeType) -> Self {
        self.value_type = Some(ty);
        self
    }

    /// Value schema to register.
    pub fn value_schema(mut self, schema: impl Into<String>) -> Self {
        self.value_schema = Some(schema.into());
        self
    }

    /// Key schema to register.
    pub fn key_schema(mut self, schema: impl Into<String>) -> Self {
        self.key_schema = Some(schema.into());
        self
    }

    /// Registered value schema id.
    pub fn value_schema_id(mut self, id: i32) -> Self {
        self.value_schema_id = Some(id);
        self
    }

    /// Registered key schema id.
    pub fn key_schema_id(mut self, id: i32) -> Self {
        self.key_schema_id = Some(id);
        self
    }

    /// Whether a schema or schema id is given.
    pub fn has_schemas(&self) -> bool {
        self.key_schema.is_some()
            || self.value_schema.is_some()
            || self.key_schema_id.is_some()
            || self.value_schema_id.is_some()
    }

    pub(crate) fn resolved_types(&self, settings: &KafiSettings) -> KeyValueTypes {
        KeyValueTypes {
            key: self.key_type.unwrap_or(settings.key_type),
            value: self.value_type.unwrap_or(settings.value_type),
        }
    }

    pub(crate) fn schemas(&self) -> (SideSchema, SideSchema) {
        side_schemas(
            &self.key_schema,
            self.key_schema_id,
            &self.value_schema,
            self.value_schema_id,
        )
    }

    /// [`WriteOptions::partitions`], checked: a target topic needs at
    /// least one.
    pub(crate) fn checked_partitions(&self) -> Result<Option<i32>> {
        match self.partitions {
            Some(p) if p < 1 => Err(Error::InvalidArgument(format!(
                "a target topic needs at least 1 partition, not {p}"
            ))),
            other => Ok(other),
        }
    }
}

/// What `wc` counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WordCount {
    /// Messages.
    pub messages: u64,
    /// Whitespace-separated words in keys and values.
    pub words: u64,
    /// Bytes of keys and values.
    pub bytes: u64,
}
