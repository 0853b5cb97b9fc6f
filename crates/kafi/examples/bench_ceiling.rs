//! The pass-through ceiling `cargo xtask bench` measures `kafi cat` against:
//! the least work that prints messages from their key and value text.
//!
//! ```text
//! cargo run --release -p kafi --example bench_ceiling -- INPUT
//! ```
//!
//! Reads `INPUT`'s `KEY:JSON` lines (the bench's produce input), checks that
//! each value is JSON with serde_json's `RawValue`, and writes one
//! message-shaped JSON line per input line to stdout, as `kafi cat` prints
//! them. It uses no kafi code: no storage, no codec, no segments.

use std::io::{BufRead, BufReader, BufWriter, Write};

use serde_json::value::RawValue;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: bench_ceiling INPUT")?;
    let input = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let stdout = std::io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 20, stdout);
    let mut line = Vec::with_capacity(256);
    let mut input = input;
    let mut offset: u64 = 0;
    while {
        line.clear();
        input.read_until(b'\n', &mut line)? > 0
    } {
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let colon = text.iter().position(|b| *b == b':').ok_or("no key")?;
        let (key, value) = (&text[..colon], &text[colon + 1..]);
        let value: &RawValue = serde_json::from_slice(value)?;
        out.write_all(b"{\"topic\":\"t\",\"headers\":[],\"partition\":0,\"offset\":")?;
        write!(out, "{offset}")?;
        out.write_all(b",\"timestamp\":[1,1700000000000],\"key\":")?;
        serde_json::to_writer(&mut out, std::str::from_utf8(key)?)?;
        out.write_all(b",\"value\":")?;
        out.write_all(value.get().as_bytes())?;
        out.write_all(b"}\n")?;
        offset += 1;
    }
    out.flush()?;
    Ok(())
}
