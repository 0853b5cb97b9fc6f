//! Cluster administration commands: `brokers`, `broker-config`, `acls`,
//! `create-acl`, `delete-acls`.

use std::collections::BTreeMap;

use anyhow::Result;
use clap::Args;
use kafi::core::Acl;
use serde_json::{json, Value};

use crate::commands::open;
use crate::output::{usage, Out};

/// `brokers STORAGE`.
#[derive(Debug, Args)]
pub struct BrokersArgs {
    storage: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `broker-config STORAGE [BROKER]`.
#[derive(Debug, Args)]
pub struct BrokerConfigArgs {
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
    storage: String,
    #[command(flatten)]
    acl: AclArgs,
}

fn print(json_out: bool, value: &Value, lines: &[String]) -> Result<u8> {
    let mut out = Out::new();
    if json_out {
        out.line(&value.to_string())?;
    } else {
        for line in lines {
            out.line(line)?;
        }
    }
    out.flush()?;
    Ok(0)
}

fn acl_json(a: &Acl) -> Value {
    json!({
        "resource_type": a.resource_type,
        "resource_name": a.resource_name,
        "pattern_type": a.pattern_type,
        "principal": a.principal,
        "host": a.host,
        "operation": a.operation,
        "permission": a.permission,
    })
}

fn acl_line(a: &Acl) -> String {
    format!(
        "{} {}:{} ({}) {} {} from {}",
        a.permission,
        a.resource_type,
        a.resource_name,
        a.pattern_type,
        a.principal,
        a.operation,
        a.host
    )
}

/// `kafi brokers`.
pub async fn brokers(args: BrokersArgs) -> Result<u8> {
    let brokers = open(&args.storage).await?.brokers().await?;
    let lines: Vec<String> = brokers
        .iter()
        .map(|(id, addr)| format!("{id} {addr}"))
        .collect();
    let value: BTreeMap<String, &String> =
        brokers.iter().map(|(k, v)| (k.to_string(), v)).collect();
    print(args.json, &json!(value), &lines)
}

/// `kafi broker-config`.
pub async fn broker_config(args: BrokerConfigArgs) -> Result<u8> {
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
    if !args.set.is_empty() {
        let mut entries = BTreeMap::new();
        for item in &args.set {
            let (k, v) = item
                .split_once('=')
                .ok_or_else(|| usage(format!("--set {item:?} is not KEY=VALUE")))?;
            entries.insert(k.to_owned(), v.to_owned());
        }
        shell.set_broker_config(broker, &entries).await?;
    }
    let config = shell.broker_config(broker).await?;
    let lines: Vec<String> = config.iter().map(|(k, v)| format!("{k}={v}")).collect();
    print(args.json, &json!({ broker.to_string(): config }), &lines)
}

/// `kafi acls`.
pub async fn acls(args: AclsArgs) -> Result<u8> {
    let acls = open(&args.storage).await?.acls(&args.acl.acl()).await?;
    let lines: Vec<String> = acls.iter().map(acl_line).collect();
    print(
        args.json,
        &Value::Array(acls.iter().map(acl_json).collect()),
        &lines,
    )
}

/// `kafi create-acl`.
pub async fn create_acl(args: CreateAclArgs) -> Result<u8> {
    let acl = args.acl.acl();
    open(&args.storage).await?.create_acl(&acl).await?;
    eprintln!("created ACL: {}", acl_line(&acl));
    Ok(0)
}

/// `kafi delete-acls`.
pub async fn delete_acls(args: AclsArgs) -> Result<u8> {
    let deleted = open(&args.storage)
        .await?
        .delete_acls(&args.acl.acl())
        .await?;
    let lines: Vec<String> = deleted.iter().map(acl_line).collect();
    print(
        args.json,
        &Value::Array(deleted.iter().map(acl_json).collect()),
        &lines,
    )
}
