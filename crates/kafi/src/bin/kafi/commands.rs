//! One function per subcommand.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal};
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{Context, Result};
use bytes::Bytes;
use kafi::config::{SerdeType, StorageConfig, StorageKind};
use kafi::core::{ProduceRecord, Timestamp};
use kafi::serde::{Codec, Data, KeyValueTypes};
use kafi::shell::jq::{Jq, JqMode};
use kafi::{ReadOptions, Shell, WriteOptions};
use serde_json::{json, Value};

use crate::cli::{Command, CpTypeArgs, ReadArgs, TypeArgs};
use crate::output::{progress, usage, Out};

/// Runs a command; returns the exit code for answers (0 or 1).
pub async fn run(command: Command) -> Result<u8> {
    match command {
        Command::Registry(c) => crate::registry_cmd::run(c).await,
        Command::Ls {
            storage,
            pattern,
            long,
            json,
        } => ls(&open(&storage).await?, pattern.as_deref(), long, json).await,
        Command::L {
            storage,
            pattern,
            json,
        } => ls(&open(&storage).await?, pattern.as_deref(), true, json).await,
        Command::Exists { storage, topic } => Ok(if open(&storage).await?.exists(&topic).await? {
            0
        } else {
            1
        }),
        Command::Touch {
            storage,
            topic,
            partitions,
            config,
        } => {
            open(&storage)
                .await?
                .touch(&topic, partitions, parse_entries(&config)?)
                .await?;
            Ok(0)
        }
        Command::Rm { storage, pattern } => {
            let removed = open(&storage).await?.rm(&pattern).await?;
            if removed.is_empty() {
                return Err(usage(format!("no topic matches {pattern:?}")));
            }
            Ok(0)
        }
        Command::Partitions {
            storage,
            topic,
            set,
            json,
        } => {
            let shell = open(&storage).await?;
            if let Some(count) = set {
                shell.set_partitions(&topic, count).await?;
            }
            let n = shell.partitions(&topic).await?;
            print_value(json, &json!({ topic: n }), &n.to_string())
        }
        Command::Watermarks {
            storage,
            topic,
            json,
        } => {
            let marks = open(&storage).await?.watermarks(&topic).await?;
            let text = marks
                .iter()
                .map(|(p, (l, h))| format!("{p}\t{l}\t{h}"))
                .collect::<Vec<_>>()
                .join("\n");
            let value = json!({ topic: marks.iter().map(|(p, (l, h))| (p.to_string(), json!([l, h]))).collect::<serde_json::Map<_, _>>() });
            print_value(json, &value, &format!("partition\tlow\thigh\n{text}"))
        }
        Command::Config {
            storage,
            topic,
            set,
            json,
        } => {
            let shell = open(&storage).await?;
            if !set.is_empty() {
                shell.set_config(&topic, &parse_entries(&set)?).await?;
            }
            let config = shell.config(&topic).await?;
            let text = config
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("\n");
            print_value(json, &json!({ topic: config }), &text)
        }
        Command::DeleteRecords {
            storage,
            topic,
            offsets,
            json,
        } => {
            let lows = open(&storage)
                .await?
                .delete_records(&topic, &parse_offsets(&offsets)?)
                .await?;
            let text = lows
                .iter()
                .map(|(p, o)| format!("{p}\t{o}"))
                .collect::<Vec<_>>()
                .join("\n");
            print_value(
                json,
                &json!({ topic: lows }),
                &format!("partition\tlow\n{text}"),
            )
        }
        Command::OffsetsForTimes {
            storage,
            topic,
            times,
            replace_not_found,
            json,
        } => {
            let found = open(&storage)
                .await?
                .offsets_for_times(&topic, &parse_offsets(&times)?, replace_not_found)
                .await?;
            let text = found
                .iter()
                .map(|(p, o)| format!("{p}\t{o}"))
                .collect::<Vec<_>>()
                .join("\n");
            print_value(
                json,
                &json!({ topic: found }),
                &format!("partition\toffset\n{text}"),
            )
        }
        Command::Groups {
            storage,
            pattern,
            json,
        } => {
            let groups = open(&storage).await?.groups(pattern.as_deref()).await?;
            print_value(json, &json!(groups), &groups.join("\n"))
        }
        Command::DescribeGroups {
            storage,
            pattern,
            json,
        } => {
            let groups = open(&storage)
                .await?
                .describe_groups(pattern.as_deref())
                .await?;
            let value: serde_json::Map<String, Value> = groups
                .iter()
                .map(|g| (g.group.clone(), json!({"group_id": g.group, "state": g.state, "members": g.members, "protocol": g.protocol, "topics": g.topics})))
                .collect();
            let text = groups
                .iter()
                .map(|g| {
                    format!(
                        "{}\t{}\t{} member(s)\t{}",
                        g.group,
                        g.state,
                        g.members.len(),
                        g.topics.join(",")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            print_value(json, &Value::Object(value), &text)
        }
        Command::DeleteGroups { storage, pattern } => {
            let deleted = open(&storage).await?.delete_groups(&pattern).await?;
            print_value(false, &Value::Null, &deleted.join("\n"))
        }
        Command::GroupOffsets {
            storage,
            pattern,
            json,
        } => {
            let offsets = open(&storage)
                .await?
                .group_offsets(pattern.as_deref())
                .await?;
            let mut text = String::new();
            for (group, topics) in &offsets {
                for (topic, parts) in topics {
                    for (p, o) in parts {
                        text.push_str(&format!("{group}\t{topic}\t{p}\t{o}\n"));
                    }
                }
            }
            print_value(json, &json!(offsets), text.trim_end())
        }
        Command::SetGroupOffsets {
            storage,
            group,
            topic,
            offsets,
        } => {
            open(&storage)
                .await?
                .set_group_offsets(&group, &topic, &parse_offsets(&offsets)?)
                .await?;
            Ok(0)
        }
        Command::Lags {
            storage,
            group,
            topic,
            json,
        } => {
            let lags = open(&storage).await?.lags(&group, topic.as_deref()).await?;
            let mut text = String::new();
            for (topic, parts) in &lags {
                for (p, lag) in parts {
                    text.push_str(&format!("{topic}\t{p}\t{lag}\n"));
                }
            }
            print_value(json, &json!({ group: lags }), text.trim_end())
        }
        Command::CpGroupOffsets {
            storage,
            group,
            target_storage,
            target_group,
        } => {
            let target_group = target_group.unwrap_or_else(|| group.clone());
            open(&storage)
                .await?
                .cp_group_offsets(&group, &open(&target_storage).await?, &target_group)
                .await?;
            Ok(0)
        }
        Command::Produce {
            storage,
            topic,
            values,
            key,
            key_separator,
            envelope,
            partition,
            headers,
            timestamp,
            types,
        } => {
            if key_separator.as_deref() == Some("") {
                return Err(usage("--key-separator must not be empty"));
            }
            let shell = open(&storage).await?;
            let options = ProduceArgs {
                key,
                key_separator,
                envelope,
                partition,
                headers: parse_headers(&headers)?,
                timestamp,
            };
            produce(&shell, &topic, values, options, &types).await
        }
        Command::Cat {
            storage,
            topic,
            read,
            types,
        } => cat(&open(&storage).await?, &topic, &read, &types).await,
        Command::Head {
            storage,
            topic,
            mut read,
            types,
        } => {
            read.n.get_or_insert(10);
            cat(&open(&storage).await?, &topic, &read, &types).await
        }
        Command::Tail {
            storage,
            topic,
            n,
            types,
        } => {
            let shell = open(&storage).await?;
            let options = read_options(&ReadArgs::default(), &types)?;
            let messages = shell.tail(&topic, n, &options).await?;
            let codec = Codec::new(options_types(&shell, &options));
            let mut out = Out::new();
            for m in messages {
                let offset = m.offset;
                let record = codec.encode(m)?;
                out.line(&record_json(&topic, offset, &record, &codec)?)?;
            }
            out.flush()?;
            Ok(0)
        }
        Command::Cp {
            storage,
            topic,
            target_storage,
            target_topic,
            map,
            flatmap,
            max_outputs,
            partitions,
            read,
            types,
        } => {
            if let Some(n) = partitions.filter(|n| *n < 1) {
                return Err(usage(format!(
                    "--partitions {n}: the target topic needs at least 1 partition"
                )));
            }
            let source = open(&storage).await?;
            if let Some(max) = max_outputs {
                source.settings().update(|s| s.jq_max_outputs = max);
            }
            cp(
                &source,
                &topic,
                &open(&target_storage).await?,
                &target_topic,
                map,
                flatmap,
                partitions,
                &read,
                &types,
            )
            .await
        }
        Command::Grep {
            storage,
            topic,
            pattern,
            read,
            types,
        } => {
            let shell = open(&storage).await?;
            let options = with_progress(read_options(&read, &types)?, "grep");
            let mut out = Out::new();
            let (matching, total) = shell
                .grep_with(&topic, &pattern, &options, |codec, m| {
                    codec.write_json_line(out.buf(), m)?;
                    out.maybe_flush()?;
                    Ok(())
                })
                .await?;
            out.flush()?;
            eprintln!("{matching} of {total} message(s) matched");
            Ok(0)
        }
        Command::Filter {
            storage,
            topic,
            expression,
            read,
            types,
        } => {
            let shell = open(&storage).await?;
            let jq = Jq::new(&expression)?;
            let options = read_options(&read, &types)?;
            let mut out = Out::new();
            let codec = Codec::new(options_types(&shell, &options));
            shell
                .foreach_raw(&topic, &options, |m| {
                    if jq.test(&codec, m)? {
                        codec.write_json_line(out.buf(), m)?;
                        out.maybe_flush()?;
                    }
                    Ok(())
                })
                .await?;
            out.flush()?;
            Ok(0)
        }
        Command::Wc {
            storage,
            topic,
            read,
            json,
        } => {
            let count = open(&storage)
                .await?
                .wc(
                    &topic,
                    &with_progress(read_options(&read, &TypeArgs::default())?, "wc"),
                )
                .await?;
            let value =
                json!({"messages": count.messages, "words": count.words, "bytes": count.bytes});
            print_value(
                json,
                &value,
                &format!("{} {} {} {topic}", count.messages, count.words, count.bytes),
            )
        }
        Command::Diff {
            storage,
            topic,
            other_storage,
            other_topic,
            types,
        } => {
            let (left, right) = (open(&storage).await?, open(&other_storage).await?);
            let options = read_options(&ReadArgs::default(), &types)?;
            let mut out = Out::new();
            let differences = left
                .diff_with(&topic, &right, &other_topic, &options, |codec, a, b| {
                    for (sign, m) in [("<", a), (">", b)] {
                        if let Some(m) = m {
                            out.buf().extend_from_slice(sign.as_bytes());
                            out.buf().push(b' ');
                            codec.write_json_line(out.buf(), m)?;
                        }
                    }
                    out.maybe_flush()?;
                    Ok(())
                })
                .await?;
            out.flush()?;
            Ok(if differences == 0 { 0 } else { 1 })
        }
        Command::Compact {
            storage,
            topic,
            target_storage,
            target_topic,
            types,
        } => {
            let shell = open(&storage).await?;
            let options = read_options(&ReadArgs::default(), &types)?;
            match (target_storage, target_topic) {
                (Some(ts), Some(tt)) => {
                    let write = write_options(&types)?;
                    let (kept, _) = shell
                        .compact_to(&topic, &open(&ts).await?, &tt, &options, &write)
                        .await?;
                    eprintln!("{kept} message(s) kept");
                }
                (None, None) => {
                    let codec = Codec::new(options_types(&shell, &options));
                    let mut out = Out::new();
                    for m in shell.compact(&topic, &options).await? {
                        let offset = m.offset;
                        let record = codec.encode(m)?;
                        out.line(&record_json(&topic, offset, &record, &codec)?)?;
                    }
                    out.flush()?;
                }
                _ => {
                    return Err(usage(
                        "compact needs both TARGET_STORAGE and TARGET_TOPIC, or neither",
                    ))
                }
            }
            Ok(0)
        }
        Command::Recreate { storage, topic } => {
            open(&storage).await?.recreate(&topic).await?;
            Ok(0)
        }
        Command::Configs { kind } => {
            let kind = parse_kind(&kind)?;
            for name in kafi::config::list_configs(kind, None) {
                println!("{}:{name}", kind.as_str());
            }
            Ok(0)
        }
        Command::Quickstart { storage } => crate::commands::quickstart(storage).await,
        Command::Brokers(args) => crate::cluster_cmd::brokers(args).await,
        Command::BrokerConfig(args) => crate::cluster_cmd::broker_config(args).await,
        Command::Acls(args) => crate::cluster_cmd::acls(args).await,
        Command::CreateAcl(args) => crate::cluster_cmd::create_acl(args).await,
        Command::DeleteAcls(args) => crate::cluster_cmd::delete_acls(args).await,
    }
}

fn parse_kind(kind: &str) -> Result<StorageKind> {
    StorageKind::parse(kind).ok_or_else(|| {
        usage(format!(
            "unknown storage kind {kind:?}: use cluster, restproxy, local, s3 or azureblob"
        ))
    })
}

/// Opens `KIND:CONFIG`.
pub async fn open(spec: &str) -> Result<Shell> {
    let (kind, name) = spec.split_once(':').ok_or_else(|| {
        usage(format!(
            "storage {spec:?} is not KIND:CONFIG (e.g. local:local)"
        ))
    })?;
    let kind = parse_kind(kind)?;
    if name.is_empty() {
        return Err(usage(format!("storage {spec:?} names no config")));
    }
    let config = StorageConfig::load(kind, name)?;
    Ok(kafi::open_config(&config).await?)
}

fn print_value(json: bool, value: &Value, text: &str) -> Result<u8> {
    let mut out = Out::new();
    if json {
        out.line(&value.to_string())?;
    } else if !text.is_empty() {
        out.line(text)?;
    }
    out.flush()?;
    Ok(0)
}

fn parse_type(name: &str) -> Result<SerdeType> {
    SerdeType::from_str(name).map_err(|e| usage(e.to_string()))
}

fn parse_types(types: &TypeArgs) -> Result<(Option<SerdeType>, Option<SerdeType>)> {
    let both = types.ty.as_deref().map(parse_type).transpose()?;
    let key = types
        .key_type
        .as_deref()
        .map(parse_type)
        .transpose()?
        .or(both);
    let value = types
        .value_type
        .as_deref()
        .map(parse_type)
        .transpose()?
        .or(both);
    Ok((key, value))
}

fn read_options(read: &ReadArgs, types: &TypeArgs) -> Result<ReadOptions> {
    let (key_type, value_type) = parse_types(types)?;
    Ok(ReadOptions {
        n: read.n,
        offsets: read.offsets.as_deref().map(parse_offsets).transpose()?,
        group: read.group.clone(),
        key_type,
        value_type,
        key_schema: types.key_schema.as_deref().map(schema_text).transpose()?,
        value_schema: types.value_schema.as_deref().map(schema_text).transpose()?,
        key_schema_id: types.key_schema_id,
        value_schema_id: types.value_schema_id,
        interrupt: Some(crate::signals::interrupt().clone()),
        ..ReadOptions::default()
    })
}

fn write_options(types: &TypeArgs) -> Result<WriteOptions> {
    let (key_type, value_type) = parse_types(types)?;
    Ok(WriteOptions {
        key_type,
        value_type,
        key_schema: types.key_schema.as_deref().map(schema_text).transpose()?,
        value_schema: types.value_schema.as_deref().map(schema_text).transpose()?,
        key_schema_id: types.key_schema_id,
        value_schema_id: types.value_schema_id,
        ..WriteOptions::default()
    })
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

fn options_types(shell: &Shell, options: &ReadOptions) -> KeyValueTypes {
    let settings = shell.settings().get();
    KeyValueTypes {
        key: options.key_type.unwrap_or(settings.key_type),
        value: options.value_type.unwrap_or(settings.value_type),
    }
}

fn with_progress(mut options: ReadOptions, label: &str) -> ReadOptions {
    if let Some(bar) = progress(label) {
        options.progress = Some(Arc::new(move |_, n| bar.set_position(n)));
    }
    options
}

/// `0=5,1=3` → {0: 5, 1: 3}.
fn parse_offsets(text: &str) -> Result<BTreeMap<i32, i64>> {
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

fn parse_entries(entries: &[String]) -> Result<BTreeMap<String, String>> {
    entries
        .iter()
        .map(|e| {
            e.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| usage(format!("{e:?} is not KEY=VALUE")))
        })
        .collect()
}

fn parse_headers(entries: &[String]) -> Result<kafi::core::Headers> {
    Ok(parse_entries(entries)?
        .into_iter()
        .map(|(k, v)| (k, Some(Bytes::from(v))))
        .collect())
}

async fn ls(shell: &Shell, pattern: Option<&str>, long: bool, json: bool) -> Result<u8> {
    if !long {
        let topics = shell.ls(pattern).await?;
        return print_value(json, &json!(topics), &topics.join("\n"));
    }
    let infos = shell.l(pattern).await?;
    let mut value = serde_json::Map::new();
    let mut text = String::from("topic\tpartitions\tmessages\tbytes");
    for info in &infos {
        let parts = info.partitions.as_deref().unwrap_or_default();
        let messages: i64 = parts.iter().map(|p| p.high - p.low).sum();
        let bytes: u64 = parts.iter().filter_map(|p| p.size_bytes).sum();
        text.push_str(&format!(
            "\n{}\t{}\t{messages}\t{bytes}",
            info.name,
            parts.len()
        ));
        let detail: serde_json::Map<String, Value> = parts
            .iter()
            .map(|p| {
                (
                    p.partition.to_string(),
                    json!({"low": p.low, "high": p.high, "size": p.size_bytes}),
                )
            })
            .collect();
        value.insert(info.name.clone(), json!({"partitions": parts.len(), "messages": messages, "size": bytes, "watermarks": detail}));
    }
    print_value(json, &Value::Object(value), &text)
}

async fn cat(shell: &Shell, topic: &str, read: &ReadArgs, types: &TypeArgs) -> Result<u8> {
    let options = with_progress(read_options(read, types)?, "cat");
    let mut out = Out::new();
    let result = shell
        .foreach_raw_with(topic, &options, |codec, m| {
            let mark = out.buf().len();
            let written = codec.write_json_line(out.buf(), m);
            if written.is_err() {
                // No half-printed line for a message that does not decode.
                out.buf().truncate(mark);
            }
            written?;
            out.maybe_flush()?;
            Ok(())
        })
        .await;
    // The messages before one that fails are printed, then the error.
    out.flush()?;
    result?;
    Ok(0)
}

/// A record printed in the JSON-lines form (for commands holding decoded messages).
fn record_json(topic: &str, offset: i64, record: &ProduceRecord, codec: &Codec) -> Result<String> {
    let raw = kafi::core::RawMessage {
        topic: topic.into(),
        headers: record.headers.clone(),
        partition: record.partition.unwrap_or(0),
        offset,
        timestamp: record.timestamp.unwrap_or_else(Timestamp::now),
        key: record.key.clone(),
        value: record.value.clone(),
    };
    let mut buf = Vec::new();
    codec.write_json_line(&mut buf, &raw)?;
    buf.pop();
    Ok(String::from_utf8(buf).expect("JSON lines are UTF-8"))
}

struct ProduceArgs {
    key: Option<String>,
    key_separator: Option<String>,
    envelope: bool,
    partition: Option<i32>,
    headers: kafi::core::Headers,
    timestamp: Option<i64>,
}

async fn produce(
    shell: &Shell,
    topic: &str,
    values: Vec<String>,
    args: ProduceArgs,
    types: &TypeArgs,
) -> Result<u8> {
    let write = write_options(types)?;
    if args.envelope && (args.key.is_some() || args.key_separator.is_some()) {
        return Err(usage(
            "--envelope lines carry their keys; do not combine with --key or --key-separator",
        ));
    }
    // Like a broker with auto.create.topics.enable, producing creates a missing topic.
    if !shell.exists(topic).await? {
        shell.touch(topic, 1, BTreeMap::new()).await?;
        tracing::info!(topic, "created topic");
    }
    let mut producer = shell.producer_with(topic, &write).await?;
    let codec = producer.codec().clone();
    let fixed_key = args
        .key
        .as_deref()
        .map(|k| codec.encode_key(&Data::Str(k.to_owned())))
        .transpose()?;
    let make = |line: &[u8]| -> Result<ProduceRecord> {
        if args.envelope {
            let mut record = codec.parse_envelope(line)?;
            if args.partition.is_some() {
                record.partition = args.partition;
            }
            return Ok(record);
        }
        let (key, value) = match &args.key_separator {
            Some(sep) => match find(line, sep.as_bytes()) {
                Some(at) => (
                    Some(codec.encode_key(&Data::Bytes(Bytes::copy_from_slice(&line[..at])))?),
                    &line[at + sep.len()..],
                ),
                None => (fixed_key.clone(), line),
            },
            None => (fixed_key.clone(), line),
        };
        Ok(ProduceRecord {
            key,
            value: Some(codec.encode_value(&Data::Bytes(Bytes::copy_from_slice(value)))?),
            headers: args.headers.clone(),
            partition: args.partition,
            timestamp: args.timestamp.map(Timestamp::create_time),
        })
    };
    let bar = progress("produce");
    let every = shell.settings().get().progress_num_messages.max(1);
    let mut count: u64 = 0;
    if values.is_empty() {
        if std::io::stdin().is_terminal() {
            eprintln!("kafi: reading messages from standard input, one per line (Ctrl-D to end)");
        }
        let stdin = std::io::stdin();
        let mut input = std::io::BufReader::with_capacity(1 << 16, stdin.lock());
        let mut line = Vec::with_capacity(256);
        // Records go to the producer in chunks: one call per chunk, not per line.
        const PRODUCE_CHUNK: usize = 1024;
        let mut pending = Vec::with_capacity(PRODUCE_CHUNK);
        let mut line_number: u64 = 0;
        let mut empty_lines: u64 = 0;
        loop {
            line.clear();
            if input
                .read_until(b'\n', &mut line)
                .context("cannot read standard input")?
                == 0
            {
                break;
            }
            line_number += 1;
            let text = trim_newline(&line);
            // Like kcat, an empty line is no message (a blank line at the end
            // of a file or between groups of lines is common).
            if text.is_empty() {
                empty_lines += 1;
                continue;
            }
            let record =
                make(text).with_context(|| format!("standard input line {line_number}"))?;
            pending.push(record);
            count += 1;
            if pending.len() >= PRODUCE_CHUNK {
                producer
                    .produce_records(std::mem::take(&mut pending))
                    .await?;
            }
            if count % every == 0 {
                if let Some(bar) = &bar {
                    bar.set_position(count);
                }
            }
        }
        producer.produce_records(pending).await?;
        if empty_lines > 0 {
            tracing::info!(empty_lines, "skipped empty lines");
        }
    } else {
        for value in &values {
            producer.produce_record(make(value.as_bytes())?).await?;
            count += 1;
        }
    }
    producer.close().await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    tracing::info!(count, topic, "produced");
    Ok(0)
}

fn trim_newline(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[allow(clippy::too_many_arguments)]
async fn cp(
    source: &Shell,
    topic: &str,
    target: &Shell,
    target_topic: &str,
    map: Option<String>,
    flatmap: Option<String>,
    partitions: Option<i32>,
    read: &ReadArgs,
    types: &CpTypeArgs,
) -> Result<u8> {
    let source_types = TypeArgs {
        ty: types.source_type.clone().or(types.ty.clone()),
        key_type: types.source_key_type.clone(),
        value_type: types.source_value_type.clone(),
        key_schema: types.source_key_schema.clone(),
        value_schema: types.source_value_schema.clone(),
        key_schema_id: types.source_key_schema_id,
        value_schema_id: types.source_value_schema_id,
    };
    let target_types = TypeArgs {
        ty: types.target_type.clone().or(types.ty.clone()),
        key_type: types.target_key_type.clone(),
        value_type: types.target_value_type.clone(),
        key_schema: types.target_key_schema.clone(),
        value_schema: types.target_value_schema.clone(),
        key_schema_id: types.target_key_schema_id,
        value_schema_id: types.target_value_schema_id,
    };
    let read = with_progress(read_options(read, &source_types)?, "cp");
    let mut write = write_options(&target_types)?;
    write.partitions = partitions;
    let (consumed, produced) = match map.or(flatmap.clone()) {
        None => {
            source
                .cp(topic, target, target_topic, &read, &write)
                .await?
        }
        Some(expression) => {
            let jq = Jq::new(&expression)?;
            let mode = match flatmap {
                None => JqMode::Map,
                Some(_) => JqMode::Flatmap,
            };
            source
                .jq_to(topic, target, target_topic, &jq, mode, &read, &write)
                .await?
        }
    };
    eprintln!("{consumed} message(s) read, {produced} written");
    Ok(0)
}

pub async fn quickstart(storage: Option<String>) -> Result<u8> {
    let shell = match storage {
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
    let mut p = shell.producer("topic_json").await?;
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
    print(shell.cat("topic_json", &ReadOptions::new()).await?);
    step("kafi grep local:local topic_json '.*456.*'");
    let (found, matching, total) = shell
        .grep("topic_json", ".*456.*", &ReadOptions::new())
        .await?;
    print(found);
    println!("{matching} of {total} message(s) matched");
    step("kafi cp local:local topic_json local:local topic_json_mapped --map '.value.bla += 42'");
    let jq = Jq::new(".value.bla += 42")?;
    let (r, w) = shell
        .flatmap_raw_to(
            "topic_json",
            &shell,
            "topic_json_mapped",
            &ReadOptions::new(),
            &WriteOptions::new(),
            |source, target, m, out| jq.transform(source, target, m, true, out),
        )
        .await?;
    println!("({r}, {w})");
    step("kafi cat local:local topic_json_mapped");
    print(shell.cat("topic_json_mapped", &ReadOptions::new()).await?);
    step("kafi cp local:local topic_json local:local topic_json_flatmapped --flatmap 'select(.value.bla == 456)'");
    let (r, w) = shell
        .filter_to(
            "topic_json",
            &shell,
            "topic_json_flatmapped",
            |m| {
                Ok(m.value
                    .as_ref()
                    .and_then(|v| v.as_json())
                    .is_some_and(|v| v["bla"] == 456))
            },
            &ReadOptions::new(),
            &WriteOptions::new(),
        )
        .await?;
    println!("({r}, {w})");
    step("kafi wc local:local topic_json");
    let count = shell.wc("topic_json", &ReadOptions::new()).await?;
    println!(
        "{} {} {} topic_json",
        count.messages, count.words, count.bytes
    );
    step("kafi diff local:local topic_json local:local topic_json_mapped");
    let diffs = shell
        .diff(
            "topic_json",
            &shell,
            "topic_json_mapped",
            &ReadOptions::new(),
        )
        .await?;
    println!("{} differing message(s)", diffs.len());
    Ok(0)
}
