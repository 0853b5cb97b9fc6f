//! Measures how fast `write_json_line` prints messages with ~100-byte JSON
//! values and short string keys, and how fast `parse_envelope` reads the
//! printed lines back.
//!
//! ```text
//! cargo run --release -p kafi-serde --example json_lines_throughput [MESSAGES]
//! ```

use std::time::Instant;

use bytes::Bytes;
use kafi_core::{RawMessage, Timestamp};
use kafi_serde::{parse_envelope, write_json_line, KeyValueTypes};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 5_000_000,
    };
    let types = KeyValueTypes::default();
    let messages: Vec<RawMessage> = (0..1000)
        .map(|i| RawMessage {
            topic: "topic_json".into(),
            headers: Vec::new(),
            partition: 0,
            offset: i,
            timestamp: Timestamp::create_time(1732660705555 + i),
            key: Some(Bytes::from(format!("key-{i}"))),
            value: Some(Bytes::from(format!(
                r#"{{"id":{i},"name":"customer {i}","active":true,"score":{}.5,"tags":["a","b"],"note":"first order here"}}"#,
                i % 97
            ))),
        })
        .collect();
    let value_len = messages[0].value.as_ref().map_or(0, Bytes::len);

    let mut out = Vec::with_capacity(1 << 20);
    let mut bytes_out = 0usize;
    let start = Instant::now();
    for i in 0..count {
        write_json_line(&mut out, &messages[i % messages.len()], types)?;
        if out.len() >= 1 << 20 {
            bytes_out += out.len();
            out.clear();
        }
    }
    bytes_out += out.len();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{count} messages (values of ~{value_len} bytes) in {secs:.3} s: \
         {:.0} messages/s, {:.0} MB/s of output",
        count as f64 / secs,
        bytes_out as f64 / secs / 1e6
    );

    let mut lines = Vec::new();
    for m in &messages {
        write_json_line(&mut lines, m, types)?;
    }
    let lines: Vec<&[u8]> = lines.split_inclusive(|&b| b == b'\n').collect();
    let parses = count / 5;
    let start = Instant::now();
    for i in 0..parses {
        std::hint::black_box(parse_envelope(lines[i % lines.len()], types)?);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "parse_envelope: {parses} lines in {secs:.3} s: {:.0} lines/s",
        parses as f64 / secs
    );
    Ok(())
}
