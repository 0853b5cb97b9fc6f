//! `quickstart`: the seed's tour, on the library's API, on a local
//! emulated storage.

use std::collections::BTreeMap;

use anyhow::Result;
use clap::Args;
use kafi::config::{StorageConfig, StorageKind};
use kafi::shell::jq::{Jq, JqMode};
use kafi::{ReadOptions, WriteOptions};
use serde_json::json;

use crate::resolve::open;

/// `quickstart [STORAGE]`.
#[derive(Debug, Args)]
pub struct QuickstartArgs {
    /// Storage to use (default: local:local, else ./kafi-data).
    storage: Option<String>,
}

/// `kafi quickstart`.
pub async fn quickstart(args: QuickstartArgs) -> Result<u8> {
    let shell = match args.storage {
        Some(spec) => open(&spec).await?,
        None => match StorageConfig::load(StorageKind::Local, "local") {
            Ok(config) => kafi::open_config(&config).await?,
            Err(_) => {
                let config = StorageConfig::from_yaml_str(
                    StorageKind::Local,
                    "quickstart",
                    "local:\n  root.dir: ./kafi-data\n",
                    None,
                )?;
                kafi::open_config(&config).await?
            }
        },
    };
    let read = ReadOptions::new();
    let write = WriteOptions::new();
    let step = |text: &str| println!("\n$ {text}");
    println!("kafi quickstart on {}", shell.storage().name());
    for topic in ["topic_json", "topic_json_mapped", "topic_json_flatmapped"] {
        if shell.exists(topic).await? {
            shell.rm(topic).await?;
        }
    }
    step("kafi touch local:local topic_json");
    shell.touch("topic_json", 1, BTreeMap::new()).await?;
    step("kafi produce local:local topic_json --key-separator :   # 123:{\"bla\": 123} 456:... 789:...");
    let mut p = shell.producer("topic_json", &write).await?;
    for n in [123, 456, 789] {
        p.produce(json!({ "bla": n })).key(n.to_string()).await?;
    }
    p.close().await?;
    step("kafi cat local:local topic_json");
    let print = |messages: Vec<kafi::Message>| {
        for m in messages {
            println!("{}", m.to_json());
        }
    };
    print(shell.cat("topic_json", &read).await?);
    step("kafi grep local:local topic_json '.*456.*'");
    let (found, matching, total) = shell.grep("topic_json", ".*456.*", &read).await?;
    print(found);
    println!("{matching} of {total} message(s) matched");
    step("kafi cp local:local topic_json local:local topic_json_mapped --map '.value.bla += 42'");
    let jq = Jq::new(".value.bla += 42")?;
    let (r, w) = shell
        .copy("topic_json", &shell, "topic_json_mapped")
        .jq_to(&jq, JqMode::Map)
        .await?;
    println!("({r}, {w})");
    step("kafi cat local:local topic_json_mapped");
    print(shell.cat("topic_json_mapped", &read).await?);
    step("kafi cp local:local topic_json local:local topic_json_flatmapped --flatmap 'select(.value.bla == 456)'");
    let (r, w) = shell
        .filter_to(
            "topic_json",
            &shell,
            "topic_json_flatmapped",
            &read,
            &write,
            |m| {
                Ok(m.value
                    .as_ref()
                    .and_then(|v| v.as_json())
                    .is_some_and(|v| v["bla"] == 456))
            },
        )
        .await?;
    println!("({r}, {w})");
    step("kafi wc local:local topic_json");
    let count = shell.wc("topic_json", &read).await?;
    println!(
        "{} {} {} topic_json",
        count.messages, count.words, count.bytes
    );
    step("kafi diff local:local topic_json local:local topic_json_mapped");
    let diffs = shell
        .diff("topic_json", &shell, "topic_json_mapped", &read)
        .await?;
    println!("{} differing message(s)", diffs.len());
    Ok(0)
}
