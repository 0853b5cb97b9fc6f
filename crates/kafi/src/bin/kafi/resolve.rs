//! The resolve stage: raw flags become validated, typed options once,
//! before any storage is touched. Types are parsed by clap (a bad `--type`
//! is clap's usage error); storages, offsets, entries and schemas here,
//! each failure a usage error naming the flag or value.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context, Result};
use bytes::Bytes;
use clap::Args;
use kafi::config::{SerdeType, StorageConfig, StorageKind};
use kafi::core::Headers;
use kafi::{ReadOptions, Shell, WriteOptions};

use crate::error::usage;
use crate::output::progress;

/// How to read a topic.
#[derive(Debug, Args, Clone, Default)]
pub struct ReadArgs {
    /// Read at most N messages.
    #[arg(short = 'n', long = "num", value_name = "N")]
    pub n: Option<u64>,
    /// Start offsets per partition, e.g. 0=5,1=3 (only these partitions are read).
    #[arg(long, value_name = "P=OFFSET,...")]
    pub offsets: Option<String>,
    /// Consumer group (offsets are committed for a named group; without one nothing is).
    #[arg(long, short = 'g')]
    pub group: Option<String>,
}

/// Key and value types (the seed's type, key_type, value_type).
#[derive(Debug, Args, Clone, Default)]
pub struct TypeArgs {
    /// Type of key and value: bytes, str, json, avro, protobuf (pb), jsonschema (json_sr).
    #[arg(long = "type", value_name = "TYPE")]
    pub ty: Option<SerdeType>,
    /// Key type (default: the config's key.type, str).
    #[arg(long, value_name = "TYPE")]
    pub key_type: Option<SerdeType>,
    /// Value type (default: the config's value.type, json).
    #[arg(long, value_name = "TYPE")]
    pub value_type: Option<SerdeType>,
}

impl TypeArgs {
    /// `(key, value)`: each side's own type, else `--type`.
    fn resolve(&self) -> (Option<SerdeType>, Option<SerdeType>) {
        (self.key_type.or(self.ty), self.value_type.or(self.ty))
    }
}

/// Schemas to write with (the seed's key_schema, value_schema and their ids).
#[derive(Debug, Args, Clone, Default)]
pub struct SchemaArgs {
    /// Key schema to write with (a file or the schema text); registered under TOPIC-key.
    #[arg(long, value_name = "FILE_OR_STRING")]
    pub key_schema: Option<String>,
    /// Value schema to write with (a file or the schema text); registered under TOPIC-value.
    #[arg(long, value_name = "FILE_OR_STRING")]
    pub value_schema: Option<String>,
    /// Registered key schema id to write with.
    #[arg(long, value_name = "ID")]
    pub key_schema_id: Option<i32>,
    /// Registered value schema id to write with.
    #[arg(long, value_name = "ID")]
    pub value_schema_id: Option<i32>,
}

/// Options for reading with `read` and `types`; a progress spinner labelled
/// `label` on a terminal; the process's stop request (SIGINT/SIGTERM).
pub fn read_options(read: &ReadArgs, types: &TypeArgs, label: &str) -> Result<ReadOptions> {
    let (key_type, value_type) = types.resolve();
    let mut options = ReadOptions {
        n: read.n,
        offsets: read.offsets.as_deref().map(offsets).transpose()?,
        group: read.group.clone(),
        key_type,
        value_type,
        interrupt: Some(crate::signals::interrupt().clone()),
        ..ReadOptions::default()
    };
    if let Some(bar) = progress(label) {
        options.progress = Some(Arc::new(move |_, n| bar.set_position(n)));
    }
    Ok(options)
}

/// Options for writing with `types` and `schemas` (schema files read).
pub fn write_options(types: &TypeArgs, schemas: &SchemaArgs) -> Result<WriteOptions> {
    let (key_type, value_type) = types.resolve();
    Ok(WriteOptions {
        key_type,
        value_type,
        key_schema: schemas.key_schema.as_deref().map(schema_text).transpose()?,
        value_schema: schemas
            .value_schema
            .as_deref()
            .map(schema_text)
            .transpose()?,
        key_schema_id: schemas.key_schema_id,
        value_schema_id: schemas.value_schema_id,
        ..WriteOptions::default()
    })
}

/// A storage kind by name.
pub fn storage_kind(kind: &str) -> Result<StorageKind> {
    StorageKind::parse(kind).ok_or_else(|| {
        usage(format!(
            "unknown storage kind {kind:?}: use cluster, restproxy, local, s3 or azureblob"
        ))
    })
}

/// `KIND:CONFIG` → the kind and the config name.
pub fn storage_spec(spec: &str) -> Result<(StorageKind, &str)> {
    let (kind, name) = spec.split_once(':').ok_or_else(|| {
        usage(format!(
            "storage {spec:?} is not KIND:CONFIG (e.g. local:local)"
        ))
    })?;
    let kind = storage_kind(kind)?;
    if name.is_empty() {
        return Err(usage(format!("storage {spec:?} names no config")));
    }
    Ok((kind, name))
}

/// Opens `KIND:CONFIG` (connecting to it if it is a cluster).
pub async fn open(spec: &str) -> Result<Shell> {
    let (kind, name) = storage_spec(spec)?;
    let config = StorageConfig::load(kind, name)?;
    Ok(kafi::open_config(&config).await?)
}

/// `0=5,1=3` → {0: 5, 1: 3}: offsets (or times) per partition.
pub fn offsets(text: &str) -> Result<BTreeMap<i32, i64>> {
    let mut out = BTreeMap::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (p, o) = part
            .split_once('=')
            .ok_or_else(|| usage(format!("{part:?} is not PARTITION=OFFSET")))?;
        let p: i32 = p
            .trim()
            .parse()
            .map_err(|_| usage(format!("partition {p:?} is not a number")))?;
        let o: i64 = o
            .trim()
            .parse()
            .map_err(|_| usage(format!("offset {o:?} is not a number")))?;
        out.insert(p, o);
    }
    if out.is_empty() {
        return Err(usage(format!("no PARTITION=OFFSET pairs in {text:?}")));
    }
    Ok(out)
}

/// `KEY=VALUE` entries (config entries, headers).
pub fn entries(entries: &[String]) -> Result<BTreeMap<String, String>> {
    entries
        .iter()
        .map(|e| {
            e.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| usage(format!("{e:?} is not KEY=VALUE")))
        })
        .collect()
}

/// `KEY=VALUE` headers, in order (a key may repeat).
pub fn headers(entries: &[String]) -> Result<Headers> {
    entries
        .iter()
        .map(|e| {
            e.split_once('=')
                .map(|(k, v)| (k.to_owned(), Some(Bytes::copy_from_slice(v.as_bytes()))))
                .ok_or_else(|| usage(format!("{e:?} is not KEY=VALUE")))
        })
        .collect()
}

/// A schema given as a file path (if such a file exists) or as the text.
///
/// An argument that looks like a path (one word with a `/` or a file
/// extension, not JSON) but names no file is a usage error saying so,
/// rather than text that later fails to parse as a schema.
pub fn schema_text(arg: &str) -> Result<String> {
    let path = std::path::Path::new(arg);
    if arg.trim_start().starts_with(['{', '[', '"']) {
        return Ok(arg.to_owned());
    }
    if path.is_file() {
        return std::fs::read_to_string(path)
            .with_context(|| format!("cannot read schema file {arg}"));
    }
    if path.is_dir() {
        return Err(usage(format!("schema file {arg} is a directory")));
    }
    let looks_like_a_path = !arg.is_empty()
        && !arg.contains(char::is_whitespace)
        && (arg.contains(['/', '\\']) || path.extension().is_some());
    if looks_like_a_path {
        return Err(usage(format!(
            "schema file {arg} does not exist (give a schema file or the schema text)"
        )));
    }
    Ok(arg.to_owned())
}
