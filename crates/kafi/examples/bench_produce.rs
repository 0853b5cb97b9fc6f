//! Produce benchmark of the local emulation through the Rust API.
//!
//! ```text
//! cargo run --release -p kafi --example bench_produce -- ROOT_DIR TOPIC N [single|list|records]
//! ```
//!
//! Produces `N` messages with keys `key-<i>` and ~100-byte JSON values to
//! `TOPIC` (created with one partition if missing) of a local storage whose
//! `root.dir` is `ROOT_DIR`, then prints one JSON line on stdout:
//! `{"mode":..,"messages":N,"bytes":B,"seconds":S}` where `bytes` is the key
//! plus value bytes and `seconds` the time spent producing and closing.
//!
//! Modes:
//! - `single`: one `p.produce(value).key(k).await` per message, each JSON value
//!   built in the loop (as an application would);
//! - `list`: `produce_list` of 10,000 `(key, value)` pairs at a time, built
//!   in the loop as well;
//! - `records`: `produce_record` of records whose key and value bytes are
//!   encoded beforehand (the cost of the storage path alone).
//!
//! `cargo xtask bench` runs this as a child process to measure its peak RSS.

use std::time::Instant;

use kafi::core::ProduceRecord;
use kafi::{StorageConfig, StorageKind};
use serde_json::{json, Value};

/// Messages per `produce_list` call in `list` mode.
const LIST_SIZE: u64 = 10_000;

/// Target size of each serialized JSON value.
const VALUE_SIZE: usize = 100;

/// The benchmark value of message `i`, padded to about [`VALUE_SIZE`] bytes
/// (the same text as `cargo xtask bench` writes for the CLI benchmarks).
fn value_text(i: u64) -> String {
    let base =
        format!(r#"{{"id":{i},"name":"snack-{i}","price":1.23,"tags":["a","b"],"text":""}}"#);
    let pad = VALUE_SIZE.saturating_sub(base.len());
    format!(
        r#"{{"id":{i},"name":"snack-{i}","price":1.23,"tags":["a","b"],"text":"{}"}}"#,
        "x".repeat(pad)
    )
}

/// The benchmark value of message `i` as JSON.
fn value_json(i: u64, padding: &str) -> Value {
    json!({"id": i, "name": format!("snack-{i}"), "price": 1.23, "tags": ["a", "b"], "text": padding})
}

/// The paddings [`value_text`] uses, by the number of digits of `i`.
fn paddings() -> Vec<String> {
    let mut pads = vec![String::new()];
    let mut i = 1u64;
    for _ in 1..=20 {
        let text = value_text(i);
        let start = text.find(r#""text":""#).map_or(0, |p| p + 8);
        pads.push(text[start..text.len() - 2].to_owned());
        i = i.saturating_mul(10);
    }
    pads
}

/// The number of decimal digits of `i`.
fn digits(i: u64) -> usize {
    i.checked_ilog10().unwrap_or(0) as usize + 1
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, topic, n, rest @ ..] = args.as_slice() else {
        return Err("usage: bench_produce ROOT_DIR TOPIC N [single|list|records]".into());
    };
    let n: u64 = n.parse()?;
    let mode = rest.first().map_or("single", String::as_str);
    if !matches!(mode, "single" | "list" | "list-text" | "records") {
        return Err(format!("unknown mode {mode:?} (single, list, list-text or records)").into());
    }

    let root = std::path::absolute(root)?;
    let yaml = format!("local:\n  root.dir: {}\n", root.display());
    let config = StorageConfig::from_yaml_str(StorageKind::Local, "bench", &yaml, None)?;
    let shell = kafi::open_config(&config).await?;
    if !shell.exists(topic).await? {
        shell.touch(topic, 1, Default::default()).await?;
    }

    let bytes: u64 = (0..n)
        .map(|i| (format!("key-{i}").len() + value_text(i).len()) as u64)
        .sum();
    let pads = paddings();
    let mut producer = shell.producer(topic, &kafi::WriteOptions::new()).await?;

    let seconds = match mode {
        "single" => {
            let start = Instant::now();
            for i in 0..n {
                producer
                    .produce(value_json(i, &pads[digits(i)]))
                    .key(format!("key-{i}"))
                    .await?;
            }
            producer.close().await?;
            start.elapsed().as_secs_f64()
        }
        "list-text" => {
            let start = Instant::now();
            let mut i = 0;
            while i < n {
                let end = (i + LIST_SIZE).min(n);
                let items: Vec<(String, String)> = (i..end)
                    .map(|j| (format!("key-{j}"), value_text(j)))
                    .collect();
                producer.produce_list(items).await?;
                i = end;
            }
            producer.close().await?;
            start.elapsed().as_secs_f64()
        }
        "list" => {
            // Lists of LIST_SIZE (key, value) pairs, built as the loop goes
            // (like `single`) so memory stays bounded.
            let start = Instant::now();
            let mut i = 0;
            while i < n {
                let end = (i + LIST_SIZE).min(n);
                let items: Vec<(String, Value)> = (i..end)
                    .map(|j| (format!("key-{j}"), value_json(j, &pads[digits(j)])))
                    .collect();
                producer.produce_list(items).await?;
                i = end;
            }
            producer.close().await?;
            start.elapsed().as_secs_f64()
        }
        _ => {
            let records: Vec<ProduceRecord> = (0..n)
                .map(|i| ProduceRecord {
                    key: Some(format!("key-{i}").into()),
                    value: Some(value_text(i).into()),
                    ..ProduceRecord::default()
                })
                .collect();
            let start = Instant::now();
            for record in records {
                producer.produce_record(record).await?;
            }
            producer.close().await?;
            start.elapsed().as_secs_f64()
        }
    };

    println!(
        "{}",
        json!({"mode": mode, "messages": n, "bytes": bytes, "seconds": seconds})
    );
    Ok(())
}
