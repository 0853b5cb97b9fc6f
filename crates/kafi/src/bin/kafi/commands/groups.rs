//! Consumer group commands: `groups`, `describe-groups`, `delete-groups`,
//! `group-offsets`, `set-group-offsets`, `lags`, `cp-group-offsets`.

use anyhow::Result;
use clap::Args;

use crate::render;
use crate::resolve::{offsets, open};

/// `groups`, `describe-groups`, `group-offsets`: `STORAGE [PATTERN]`.
#[derive(Debug, Args)]
pub struct GroupsArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Group name or shell glob(s) (default: every group).
    pattern: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `delete-groups STORAGE PATTERN`.
#[derive(Debug, Args)]
pub struct DeleteGroupsArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Group name or shell glob(s).
    pattern: String,
}

/// `set-group-offsets STORAGE GROUP TOPIC --offsets`.
#[derive(Debug, Args)]
pub struct SetGroupOffsetsArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Consumer group.
    group: String,
    /// Topic name.
    topic: String,
    /// P=OFFSET,...
    #[arg(long)]
    offsets: String,
}

/// `lags STORAGE GROUP [TOPIC]`.
#[derive(Debug, Args)]
pub struct LagsArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Consumer group.
    group: String,
    /// Only this topic (default: every topic the group committed).
    topic: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `cp-group-offsets STORAGE GROUP TARGET_STORAGE [TARGET_GROUP]`.
#[derive(Debug, Args)]
pub struct CpGroupOffsetsArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Consumer group.
    group: String,
    /// Target storage, KIND:CONFIG.
    target_storage: String,
    /// Target group (default: GROUP).
    target_group: Option<String>,
}

/// `kafi groups`.
pub async fn groups(args: GroupsArgs) -> Result<u8> {
    let groups = open(&args.storage)
        .await?
        .groups(args.pattern.as_deref())
        .await?;
    render::names(&groups).print(args.json)
}

/// `kafi describe-groups`.
pub async fn describe_groups(args: GroupsArgs) -> Result<u8> {
    let groups = open(&args.storage)
        .await?
        .describe_groups(args.pattern.as_deref())
        .await?;
    render::group_descriptions(&groups).print(args.json)
}

/// `kafi delete-groups`: prints the deleted groups.
pub async fn delete_groups(args: DeleteGroupsArgs) -> Result<u8> {
    let deleted = open(&args.storage)
        .await?
        .delete_groups(&args.pattern)
        .await?;
    render::names(&deleted).print(false)
}

/// `kafi group-offsets`.
pub async fn group_offsets(args: GroupsArgs) -> Result<u8> {
    let offsets = open(&args.storage)
        .await?
        .group_offsets(args.pattern.as_deref())
        .await?;
    render::group_offsets(&offsets).print(args.json)
}

/// `kafi set-group-offsets`.
pub async fn set_group_offsets(args: SetGroupOffsetsArgs) -> Result<u8> {
    let offsets = offsets(&args.offsets)?;
    open(&args.storage)
        .await?
        .set_group_offsets(&args.group, &args.topic, &offsets)
        .await?;
    Ok(0)
}

/// `kafi lags`.
pub async fn lags(args: LagsArgs) -> Result<u8> {
    let lags = open(&args.storage)
        .await?
        .lags(&args.group, args.topic.as_deref())
        .await?;
    render::lags(&args.group, &lags).print(args.json)
}

/// `kafi cp-group-offsets`.
pub async fn cp_group_offsets(args: CpGroupOffsetsArgs) -> Result<u8> {
    let target_group = args.target_group.as_deref().unwrap_or(&args.group);
    let (source, target) = (
        open(&args.storage).await?,
        open(&args.target_storage).await?,
    );
    source
        .cp_group_offsets(&args.group, &target, target_group)
        .await?;
    Ok(0)
}
