//! Cluster administration: `brokers`, `broker-config`, `acls`,
//! `create-acl`, `delete-acls`. Storages without them (the emulations)
//! answer that they do not support them.

use anyhow::Result;
use clap::Args;
use kafi::core::Acl;

use crate::error::usage;
use crate::render;
use crate::resolve::{entries, open};

/// `brokers STORAGE`.
#[derive(Debug, Args)]
pub struct BrokersArgs {
    /// A cluster storage, cluster:CONFIG.
    storage: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `broker-config STORAGE [BROKER]`.
#[derive(Debug, Args)]
pub struct BrokerConfigArgs {
    /// A cluster storage, cluster:CONFIG.
    storage: String,
    /// Broker id (default: the first broker).
    broker: Option<i32>,
    /// Entries KEY=VALUE to set (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// An ACL or ACL filter (empty options match everything in filters).
#[derive(Debug, Args)]
pub struct AclArgs {
    /// topic, group, cluster, transactional_id, delegation_token, user (filters: any).
    #[arg(long = "resource-type", value_name = "TYPE")]
    resource_type: Option<String>,
    /// Resource name (kafka-cluster for the cluster).
    #[arg(long = "resource-name", value_name = "NAME")]
    resource_name: Option<String>,
    /// literal or prefixed (filters: also match, any).
    #[arg(long = "pattern-type", value_name = "TYPE")]
    pattern_type: Option<String>,
    /// Principal, e.g. User:alice.
    #[arg(long)]
    principal: Option<String>,
    /// Host (default *).
    #[arg(long)]
    host: Option<String>,
    /// all, read, write, create, delete, alter, describe, ...
    #[arg(long)]
    operation: Option<String>,
    /// allow or deny.
    #[arg(long)]
    permission: Option<String>,
}

impl AclArgs {
    fn acl(&self) -> Acl {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        Acl {
            resource_type: s(&self.resource_type),
            resource_name: s(&self.resource_name),
            pattern_type: s(&self.pattern_type),
            principal: s(&self.principal),
            host: s(&self.host),
            operation: s(&self.operation),
            permission: s(&self.permission),
        }
    }
}

/// `acls STORAGE [filter]` and `delete-acls STORAGE [filter]`.
#[derive(Debug, Args)]
pub struct AclsArgs {
    /// A cluster storage, cluster:CONFIG.
    storage: String,
    #[command(flatten)]
    acl: AclArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `create-acl STORAGE acl`.
#[derive(Debug, Args)]
pub struct CreateAclArgs {
    /// A cluster storage, cluster:CONFIG.
    storage: String,
    #[command(flatten)]
    acl: AclArgs,
}

/// `kafi brokers`.
pub async fn brokers(args: BrokersArgs) -> Result<u8> {
    let brokers = open(&args.storage).await?.brokers().await?;
    render::brokers(&brokers).print(args.json)
}

/// `kafi broker-config`.
pub async fn broker_config(args: BrokerConfigArgs) -> Result<u8> {
    let set = entries(&args.set)?;
    let shell = open(&args.storage).await?;
    let broker = match args.broker {
        Some(b) => b,
        None => *shell
            .brokers()
            .await?
            .keys()
            .next()
            .ok_or_else(|| usage("the cluster lists no brokers"))?,
    };
    if !set.is_empty() {
        shell.set_broker_config(broker, &set).await?;
    }
    let config = shell.broker_config(broker).await?;
    render::config(&broker.to_string(), &config).print(args.json)
}

/// `kafi acls`.
pub async fn acls(args: AclsArgs) -> Result<u8> {
    let acls = open(&args.storage).await?.acls(&args.acl.acl()).await?;
    render::acls(&acls).print(args.json)
}

/// `kafi create-acl`: the ACL created, on stderr.
pub async fn create_acl(args: CreateAclArgs) -> Result<u8> {
    let acl = args.acl.acl();
    open(&args.storage).await?.create_acl(&acl).await?;
    eprintln!("created ACL: {}", render::acl_line(&acl));
    Ok(0)
}

/// `kafi delete-acls`: the ACLs deleted.
pub async fn delete_acls(args: AclsArgs) -> Result<u8> {
    let deleted = open(&args.storage)
        .await?
        .delete_acls(&args.acl.acl())
        .await?;
    render::acls(&deleted).print(args.json)
}
