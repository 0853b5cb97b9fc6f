//! `produce`: values given as arguments, else one message per line of
//! standard input.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result};
use clap::Args;
use kafi::shell::LineFormat;

use crate::error::usage;
use crate::output::progress;
use crate::resolve::{headers, open, write_options, SchemaArgs, TypeArgs};

/// `produce STORAGE TOPIC [VALUE...]`.
#[derive(Debug, Args)]
pub struct ProduceArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name (created with one partition if missing).
    topic: String,
    /// Values (default: read lines from stdin).
    values: Vec<String>,
    /// Key for the given values.
    #[arg(long, short = 'k')]
    key: Option<String>,
    /// Split each stdin line at the first SEP (not empty) into key and value.
    #[arg(long, value_name = "SEP")]
    key_separator: Option<String>,
    /// Read lines as printed by `kafi cat` (keys, headers, partitions, timestamps kept;
    /// each line needs a "value" field, null for a tombstone).
    #[arg(long)]
    envelope: bool,
    /// Partition to produce to.
    #[arg(long, short = 'p')]
    partition: Option<i32>,
    /// Header KEY=VALUE (repeatable).
    #[arg(long = "header", short = 'H', value_name = "KEY=VALUE")]
    headers: Vec<String>,
    /// Timestamp in milliseconds (default: now).
    #[arg(long)]
    timestamp: Option<i64>,
    #[command(flatten)]
    types: TypeArgs,
    #[command(flatten)]
    schemas: SchemaArgs,
}

impl ProduceArgs {
    /// The line format, checked flag by flag.
    fn format(&self) -> Result<LineFormat> {
        if self.key_separator.as_deref() == Some("") {
            return Err(usage("--key-separator must not be empty"));
        }
        if self.envelope && (self.key.is_some() || self.key_separator.is_some()) {
            return Err(usage(
                "--envelope lines carry their keys; do not combine with --key or --key-separator",
            ));
        }
        Ok(LineFormat {
            key: self.key.clone(),
            key_separator: self.key_separator.clone(),
            envelope: self.envelope,
            partition: self.partition,
            headers: headers(&self.headers)?,
            timestamp: self.timestamp,
        })
    }
}

/// `kafi produce`.
pub async fn produce(args: ProduceArgs) -> Result<u8> {
    let format = args.format()?;
    let write = write_options(&args.types, &args.schemas)?;
    let shell = open(&args.storage).await?;
    let mut producer = shell.line_producer(&args.topic, &format, &write).await?;
    if !args.values.is_empty() {
        for value in &args.values {
            producer.push_value(value.as_bytes()).await?;
        }
        let count = producer.close().await?;
        tracing::info!(count, topic = args.topic, "produced");
        return Ok(0);
    }
    if std::io::stdin().is_terminal() {
        eprintln!("kafi: reading messages from standard input, one per line (Ctrl-D to end)");
    }
    let bar = progress("produce");
    let every = shell.settings().get().progress_num_messages.max(1);
    let stdin = std::io::stdin();
    let mut input = std::io::BufReader::with_capacity(1 << 16, stdin.lock());
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        if input
            .read_until(b'\n', &mut line)
            .context("cannot read standard input")?
            == 0
        {
            break;
        }
        producer.push_line(&line).await.map_err(|e| match e {
            kafi::Error::Line { line, source } => {
                anyhow::Error::new(*source).context(format!("standard input line {line}"))
            }
            other => other.into(),
        })?;
        if let Some(bar) = &bar {
            if producer.count() % every == 0 {
                bar.set_position(producer.count());
            }
        }
    }
    let count = producer.close().await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    tracing::info!(count, topic = args.topic, "produced");
    Ok(0)
}
