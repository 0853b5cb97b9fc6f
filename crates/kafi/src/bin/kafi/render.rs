//! How every command's result prints, except messages (JSON lines, see
//! [`Out::message`](crate::output::Out::message)): as text for people, or
//! with `--json` as one JSON value for programs.

use std::collections::BTreeMap;

use anyhow::Result;
use kafi::core::{Acl, GroupDescription, TopicInfo};
use kafi::shell::WordCount;
use serde_json::{json, Map, Value};

use crate::output::Out;

/// A result in both forms.
pub struct Rendered {
    json: Value,
    text: Vec<String>,
}

impl Rendered {
    fn new(json: Value, text: impl IntoIterator<Item = String>) -> Self {
        Self {
            json,
            text: text.into_iter().collect(),
        }
    }

    /// Only JSON (the registry commands print nothing else).
    pub fn json(value: Value) -> Self {
        Self {
            text: vec![value.to_string()],
            json: value,
        }
    }

    /// Prints one form; returns exit code 0.
    pub fn print(self, json: bool) -> Result<u8> {
        let mut out = Out::new();
        if json {
            out.line(&self.json.to_string())?;
        } else {
            for line in &self.text {
                out.line(line)?;
            }
        }
        out.flush()?;
        Ok(0)
    }
}

/// A header line followed by tab-separated rows.
fn table(header: &str, rows: impl Iterator<Item = String>) -> Vec<String> {
    std::iter::once(header.to_owned()).chain(rows).collect()
}

/// Names, one per line; a JSON list.
pub fn names(names: &[String]) -> Rendered {
    Rendered::new(json!(names), names.iter().cloned())
}

/// `ls -l`: partitions, messages and bytes per topic.
pub fn topic_infos(infos: &[TopicInfo]) -> Rendered {
    let mut value = Map::new();
    let mut text = vec!["topic\tpartitions\tmessages\tbytes".to_owned()];
    for info in infos {
        let parts = info.partitions.as_deref().unwrap_or_default();
        let messages: i64 = parts.iter().map(|p| p.high - p.low).sum();
        let bytes: u64 = parts.iter().filter_map(|p| p.size_bytes).sum();
        text.push(format!(
            "{}\t{}\t{messages}\t{bytes}",
            info.name,
            parts.len()
        ));
        let detail: Map<String, Value> = parts
            .iter()
            .map(|p| {
                (
                    p.partition.to_string(),
                    json!({"low": p.low, "high": p.high, "size": p.size_bytes}),
                )
            })
            .collect();
        value.insert(
            info.name.clone(),
            json!({"partitions": parts.len(), "messages": messages, "size": bytes, "watermarks": detail}),
        );
    }
    Rendered::new(Value::Object(value), text)
}

/// A topic's partition count.
pub fn partitions(topic: &str, count: i32) -> Rendered {
    Rendered::new(json!({ topic: count }), [count.to_string()])
}

/// Low and high watermarks per partition.
pub fn watermarks(topic: &str, marks: &BTreeMap<i32, (i64, i64)>) -> Rendered {
    let value: Map<String, Value> = marks
        .iter()
        .map(|(p, (l, h))| (p.to_string(), json!([l, h])))
        .collect();
    let rows = marks.iter().map(|(p, (l, h))| format!("{p}\t{l}\t{h}"));
    Rendered::new(json!({ topic: value }), table("partition\tlow\thigh", rows))
}

/// `KEY=VALUE` configuration entries of `owner` (a topic or a broker).
pub fn config(owner: &str, config: &BTreeMap<String, String>) -> Rendered {
    Rendered::new(
        json!({ owner: config }),
        config.iter().map(|(k, v)| format!("{k}={v}")),
    )
}

/// One number per partition under a `column` heading (new low
/// watermarks, offsets found for times).
pub fn per_partition(topic: &str, column: &str, values: &BTreeMap<i32, i64>) -> Rendered {
    let rows = values.iter().map(|(p, o)| format!("{p}\t{o}"));
    Rendered::new(
        json!({ topic: values }),
        table(&format!("partition\t{column}"), rows),
    )
}

/// Consumer groups described.
pub fn group_descriptions(groups: &[GroupDescription]) -> Rendered {
    let value: Map<String, Value> = groups
        .iter()
        .map(|g| {
            (
                g.group.clone(),
                json!({"group_id": g.group, "state": g.state, "members": g.members,
                       "protocol": g.protocol, "topics": g.topics}),
            )
        })
        .collect();
    let text = groups.iter().map(|g| {
        format!(
            "{}\t{}\t{} member(s)\t{}",
            g.group,
            g.state,
            g.members.len(),
            g.topics.join(",")
        )
    });
    Rendered::new(Value::Object(value), text)
}

/// Committed offsets `{group: {topic: {partition: offset}}}`.
pub fn group_offsets(offsets: &BTreeMap<String, BTreeMap<String, BTreeMap<i32, i64>>>) -> Rendered {
    let mut text = Vec::new();
    for (group, topics) in offsets {
        for (topic, parts) in topics {
            for (p, o) in parts {
                text.push(format!("{group}\t{topic}\t{p}\t{o}"));
            }
        }
    }
    Rendered::new(json!(offsets), text)
}

/// A group's lag per topic and partition.
pub fn lags(group: &str, lags: &BTreeMap<String, BTreeMap<i32, i64>>) -> Rendered {
    let mut text = Vec::new();
    for (topic, parts) in lags {
        for (p, lag) in parts {
            text.push(format!("{topic}\t{p}\t{lag}"));
        }
    }
    Rendered::new(json!({ group: lags }), text)
}

/// `wc`: messages, words and bytes of a topic.
pub fn word_count(topic: &str, count: &WordCount) -> Rendered {
    Rendered::new(
        json!({"messages": count.messages, "words": count.words, "bytes": count.bytes}),
        [format!(
            "{} {} {} {topic}",
            count.messages, count.words, count.bytes
        )],
    )
}

/// Brokers: id and address.
pub fn brokers(brokers: &BTreeMap<i32, String>) -> Rendered {
    let value: BTreeMap<String, &String> =
        brokers.iter().map(|(k, v)| (k.to_string(), v)).collect();
    Rendered::new(
        json!(value),
        brokers.iter().map(|(id, addr)| format!("{id} {addr}")),
    )
}

/// ACLs.
pub fn acls(acls: &[Acl]) -> Rendered {
    Rendered::new(
        Value::Array(acls.iter().map(acl_json).collect()),
        acls.iter().map(acl_line),
    )
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

/// One ACL as a line of text.
pub fn acl_line(a: &Acl) -> String {
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
