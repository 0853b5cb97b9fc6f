//! `cp`: copy a topic to any storage, as it is or through a jq map or
//! flatmap.

use anyhow::Result;
use clap::Args;
use kafi::config::SerdeType;
use kafi::shell::jq::{Jq, JqMode};

use crate::error::usage;
use crate::resolve::{open, read_options, write_options, ReadArgs, SchemaArgs, TypeArgs};

/// `cp STORAGE TOPIC TARGET_STORAGE TARGET_TOPIC`.
#[derive(Debug, Args)]
pub struct CpArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name.
    topic: String,
    /// Target storage, KIND:CONFIG (may be the source storage).
    target_storage: String,
    /// Target topic (created with the source's partitions if missing).
    target_topic: String,
    /// jq expression applied to each message (one output message).
    #[arg(long, conflicts_with = "flatmap")]
    map: Option<String>,
    /// jq expression whose outputs (zero or more) are written.
    #[arg(long)]
    flatmap: Option<String>,
    /// Most outputs of --flatmap per message (default: the setting
    /// jq.max.outputs, 10000); more is an error.
    #[arg(long, value_name = "N", requires = "flatmap", value_parser = clap::value_parser!(u64).range(1..))]
    max_outputs: Option<u64>,
    /// Partitions of the target topic if it is created, at least 1 (default: as the source).
    #[arg(long)]
    partitions: Option<i32>,
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    types: CpTypeArgs,
}

/// Source and target types of cp (ids of source schemas come with the
/// messages).
#[derive(Debug, Args)]
pub struct CpTypeArgs {
    /// Type of key and value on both sides.
    #[arg(long = "type", value_name = "TYPE")]
    ty: Option<SerdeType>,
    /// Type of source key and value.
    #[arg(long, value_name = "TYPE")]
    source_type: Option<SerdeType>,
    /// Source key type.
    #[arg(long, value_name = "TYPE")]
    source_key_type: Option<SerdeType>,
    /// Source value type.
    #[arg(long, value_name = "TYPE")]
    source_value_type: Option<SerdeType>,
    /// Type of target key and value.
    #[arg(long, value_name = "TYPE")]
    target_type: Option<SerdeType>,
    /// Target key type.
    #[arg(long, value_name = "TYPE")]
    target_key_type: Option<SerdeType>,
    /// Target value type.
    #[arg(long, value_name = "TYPE")]
    target_value_type: Option<SerdeType>,
    /// Target key schema (a file or the schema text); registered under TARGET_TOPIC-key.
    #[arg(long, value_name = "FILE_OR_STRING")]
    target_key_schema: Option<String>,
    /// Target value schema (a file or the schema text); registered under TARGET_TOPIC-value.
    #[arg(long, value_name = "FILE_OR_STRING")]
    target_value_schema: Option<String>,
    /// Registered target key schema id.
    #[arg(long, value_name = "ID")]
    target_key_schema_id: Option<i32>,
    /// Registered target value schema id.
    #[arg(long, value_name = "ID")]
    target_value_schema_id: Option<i32>,
}

impl CpTypeArgs {
    /// The types to read the source with.
    fn source(&self) -> TypeArgs {
        TypeArgs {
            ty: self.source_type.or(self.ty),
            key_type: self.source_key_type,
            value_type: self.source_value_type,
        }
    }

    /// The types and schemas to write the target with.
    fn target(&self) -> (TypeArgs, SchemaArgs) {
        let types = TypeArgs {
            ty: self.target_type.or(self.ty),
            key_type: self.target_key_type,
            value_type: self.target_value_type,
        };
        let schemas = SchemaArgs {
            key_schema: self.target_key_schema.clone(),
            value_schema: self.target_value_schema.clone(),
            key_schema_id: self.target_key_schema_id,
            value_schema_id: self.target_value_schema_id,
        };
        (types, schemas)
    }
}

/// `kafi cp`: the counts on stderr.
pub async fn cp(args: CpArgs) -> Result<u8> {
    if let Some(n) = args.partitions.filter(|n| *n < 1) {
        return Err(usage(format!(
            "--partitions {n}: the target topic needs at least 1 partition"
        )));
    }
    let transform = match (&args.map, &args.flatmap) {
        (Some(e), _) => Some((Jq::new(e)?, JqMode::Map)),
        (None, Some(e)) => Some((Jq::new(e)?, JqMode::Flatmap)),
        (None, None) => None,
    };
    let read = read_options(&args.read, &args.types.source(), "cp")?;
    let (types, schemas) = args.types.target();
    let mut write = write_options(&types, &schemas)?;
    write.partitions = args.partitions;
    let source = open(&args.storage).await?;
    let target = open(&args.target_storage).await?;
    if let Some(max) = args.max_outputs {
        source.set_jq_max_outputs(max);
    }
    let copy = source
        .copy(&args.topic, &target, &args.target_topic)
        .read(&read)
        .write(&write);
    let (consumed, produced) = match &transform {
        None => copy.run().await?,
        Some((jq, mode)) => copy.jq_to(jq, *mode).await?,
    };
    eprintln!("{consumed} message(s) read, {produced} written");
    Ok(0)
}
