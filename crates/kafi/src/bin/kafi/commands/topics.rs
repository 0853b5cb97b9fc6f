//! Topic commands: `ls`, `l`, `exists`, `touch`, `rm`, `partitions`,
//! `watermarks`, `config`, `delete-records`, `offsets-for-times`,
//! `recreate`, and `configs` (the configs of a storage kind).

use anyhow::Result;
use clap::Args;

use crate::error::usage;
use crate::render;
use crate::resolve::{entries, offsets, open, storage_kind};

/// `ls STORAGE [PATTERN]`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Shell glob(s), e.g. 'topic_*'.
    pattern: Option<String>,
    /// Long listing: partitions, watermarks, sizes.
    #[arg(short = 'l', long)]
    long: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `l STORAGE [PATTERN]`.
#[derive(Debug, Args)]
pub struct LArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Shell glob(s), e.g. 'topic_*'.
    pattern: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// A storage and a topic.
#[derive(Debug, Args)]
pub struct TopicArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name.
    topic: String,
}

/// `touch STORAGE TOPIC`.
#[derive(Debug, Args)]
pub struct TouchArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name.
    topic: String,
    /// Number of partitions.
    #[arg(long, short = 'p', default_value_t = 1)]
    partitions: i32,
    /// Topic config entries KEY=VALUE (repeatable).
    #[arg(long = "config", short = 'c', value_name = "KEY=VALUE")]
    config: Vec<String>,
}

/// `rm STORAGE PATTERN`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name or shell glob(s).
    pattern: String,
}

/// `partitions STORAGE TOPIC`.
#[derive(Debug, Args)]
pub struct PartitionsArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name.
    topic: String,
    /// New, larger partition count.
    #[arg(long)]
    set: Option<i32>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `watermarks STORAGE TOPIC`.
#[derive(Debug, Args)]
pub struct WatermarksArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name.
    topic: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `config STORAGE TOPIC`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name.
    topic: String,
    /// Entries KEY=VALUE to set (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `delete-records STORAGE TOPIC --offsets`.
#[derive(Debug, Args)]
pub struct DeleteRecordsArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name.
    topic: String,
    /// P=OFFSET,...
    #[arg(long)]
    offsets: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `offsets-for-times STORAGE TOPIC --times`.
#[derive(Debug, Args)]
pub struct OffsetsForTimesArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name.
    topic: String,
    /// P=MILLIS,...
    #[arg(long)]
    times: String,
    /// Report the high watermark instead of -1 where none is found.
    #[arg(long)]
    replace_not_found: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `configs KIND`.
#[derive(Debug, Args)]
pub struct ConfigsArgs {
    /// cluster, restproxy, local, s3 or azureblob.
    kind: String,
}

/// `kafi ls` (and `kafi l` with `long`).
pub async fn ls(args: LsArgs) -> Result<u8> {
    let shell = open(&args.storage).await?;
    let pattern = args.pattern.as_deref();
    if args.long {
        render::topic_infos(&shell.l(pattern).await?).print(args.json)
    } else {
        render::names(&shell.ls(pattern).await?).print(args.json)
    }
}

/// `kafi l`.
pub async fn l(args: LArgs) -> Result<u8> {
    ls(LsArgs {
        storage: args.storage,
        pattern: args.pattern,
        long: true,
        json: args.json,
    })
    .await
}

/// `kafi exists`: 0 if the topic exists, 1 if not.
pub async fn exists(args: TopicArgs) -> Result<u8> {
    let exists = open(&args.storage).await?.exists(&args.topic).await?;
    Ok(if exists { 0 } else { 1 })
}

/// `kafi touch`.
pub async fn touch(args: TouchArgs) -> Result<u8> {
    let config = entries(&args.config)?;
    open(&args.storage)
        .await?
        .touch(&args.topic, args.partitions, config)
        .await?;
    Ok(0)
}

/// `kafi rm`: a pattern that matches nothing is a usage error.
pub async fn rm(args: RmArgs) -> Result<u8> {
    let removed = open(&args.storage).await?.rm(&args.pattern).await?;
    if removed.is_empty() {
        return Err(usage(format!("no topic matches {:?}", args.pattern)));
    }
    Ok(0)
}

/// `kafi partitions`.
pub async fn partitions(args: PartitionsArgs) -> Result<u8> {
    let shell = open(&args.storage).await?;
    if let Some(count) = args.set {
        shell.set_partitions(&args.topic, count).await?;
    }
    let count = shell.partitions(&args.topic).await?;
    render::partitions(&args.topic, count).print(args.json)
}

/// `kafi watermarks`.
pub async fn watermarks(args: WatermarksArgs) -> Result<u8> {
    let marks = open(&args.storage).await?.watermarks(&args.topic).await?;
    render::watermarks(&args.topic, &marks).print(args.json)
}

/// `kafi config`.
pub async fn config(args: ConfigArgs) -> Result<u8> {
    let set = entries(&args.set)?;
    let shell = open(&args.storage).await?;
    if !set.is_empty() {
        shell.set_config(&args.topic, &set).await?;
    }
    let config = shell.config(&args.topic).await?;
    render::config(&args.topic, &config).print(args.json)
}

/// `kafi delete-records`: prints the new low watermarks.
pub async fn delete_records(args: DeleteRecordsArgs) -> Result<u8> {
    let offsets = offsets(&args.offsets)?;
    let lows = open(&args.storage)
        .await?
        .delete_records(&args.topic, &offsets)
        .await?;
    render::per_partition(&args.topic, "low", &lows).print(args.json)
}

/// `kafi offsets-for-times`.
pub async fn offsets_for_times(args: OffsetsForTimesArgs) -> Result<u8> {
    let times = offsets(&args.times)?;
    let found = open(&args.storage)
        .await?
        .offsets_for_times(&args.topic, &times, args.replace_not_found)
        .await?;
    render::per_partition(&args.topic, "offset", &found).print(args.json)
}

/// `kafi recreate`.
pub async fn recreate(args: TopicArgs) -> Result<u8> {
    open(&args.storage).await?.recreate(&args.topic).await?;
    Ok(0)
}

/// `kafi configs`: `KIND:NAME` of every config found.
pub fn configs(args: ConfigsArgs) -> Result<u8> {
    let kind = storage_kind(&args.kind)?;
    let names: Vec<String> = kafi::config::list_configs(kind, None)
        .into_iter()
        .map(|name| format!("{}:{name}", kind.as_str()))
        .collect();
    render::names(&names).print(false)
}
