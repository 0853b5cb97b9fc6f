//! Encoding batches and records.

use bytes::BufMut;

use super::*;
use crate::{ProduceRecord, TimestampType};

/// The timestamp written for `record`: its own, -1 when not available, or
/// `now` when it has none.
pub fn timestamp_of(record: &ProduceRecord, now: i64) -> i64 {
    match record.timestamp {
        Some(t) if t.kind == TimestampType::NotAvailable => -1,
        Some(t) => t.millis,
        None => now,
    }
}

fn is_log_append(record: &ProduceRecord) -> bool {
    matches!(record.timestamp, Some(t) if t.kind == TimestampType::LogAppendTime)
}

/// Encodes records as uncompressed batches appended to `out`, starting at
/// `base_offset`. Consecutive records with log-append timestamps form their
/// own batch, one per timestamp, since the timestamp type is a batch
/// attribute. Returns the next offset.
pub fn encode_batches<B: BufMut + AsMut<[u8]> + AsRef<[u8]>>(
    out: &mut B,
    base_offset: i64,
    records: &[ProduceRecord],
    now: i64,
) -> i64 {
    let mut offset = base_offset;
    let mut rest = records;
    while !rest.is_empty() {
        // Log-append batches carry one timestamp (maxTimestamp) for all records.
        let log_append = is_log_append(&rest[0]);
        let first_ts = timestamp_of(&rest[0], now);
        let run = rest
            .iter()
            .take_while(|r| {
                is_log_append(r) == log_append && (!log_append || timestamp_of(r, now) == first_ts)
            })
            .count();
        let attributes = if log_append { ATTR_LOG_APPEND_TIME } else { 0 };
        let start = start_batch(out, offset, &rest[..run], attributes, now);
        encode_records(out, &rest[..run], start.base_timestamp, now);
        finish_batch(out, start);
        offset += run as i64;
        rest = &rest[run..];
    }
    offset
}

/// Where [`start_batch`] put a batch header, for [`finish_batch`].
#[derive(Debug, Clone, Copy)]
pub struct BatchStart {
    /// Position of the batch in the output buffer.
    pub position: usize,
    /// The batch's base timestamp, for [`encode_records`].
    pub base_timestamp: i64,
}

/// Appends the header of a batch of `records` (at least one) with the given
/// attributes; the length and CRC are filled in by [`finish_batch`] once the
/// records section (possibly compressed) follows.
pub fn start_batch<B: BufMut + AsRef<[u8]>>(
    out: &mut B,
    base_offset: i64,
    records: &[ProduceRecord],
    attributes: i16,
    now: i64,
) -> BatchStart {
    assert!(!records.is_empty(), "a batch holds at least one record");
    let position = out.as_ref().len();
    let base_ts = timestamp_of(&records[0], now);
    let max_ts = records
        .iter()
        .map(|r| timestamp_of(r, now))
        .max()
        .unwrap_or(base_ts);
    out.put_i64(base_offset);
    out.put_i32(0); // batchLength, patched by finish_batch
    out.put_i32(-1); // partitionLeaderEpoch
    out.put_i8(MAGIC);
    out.put_u32(0); // crc, patched by finish_batch
    out.put_i16(attributes);
    out.put_i32((records.len() - 1) as i32);
    out.put_i64(base_ts);
    out.put_i64(max_ts);
    out.put_i64(-1); // producerId
    out.put_i16(-1); // producerEpoch
    out.put_i32(-1); // baseSequence
    out.put_i32(records.len() as i32);
    BatchStart {
        position,
        base_timestamp: base_ts,
    }
}

/// Fills in the length and CRC of the batch begun at `start`, which runs to
/// the end of `out`.
pub fn finish_batch<B: AsMut<[u8]>>(out: &mut B, start: BatchStart) {
    let buf = out.as_mut();
    let start = start.position;
    let batch_length = (buf.len() - start - 12) as i32;
    buf[start + 8..start + 12].copy_from_slice(&batch_length.to_be_bytes());
    let crc = crc32c::crc32c(&buf[start + CRC_START..]);
    buf[start + 17..start + 21].copy_from_slice(&crc.to_be_bytes());
}

/// Appends the uncompressed records section of a batch whose base
/// timestamp is `base_ts`.
pub fn encode_records<B: BufMut>(out: &mut B, records: &[ProduceRecord], base_ts: i64, now: i64) {
    for (delta, record) in records.iter().enumerate() {
        let ts_delta = timestamp_of(record, now).wrapping_sub(base_ts);
        let mut len = 1 + varlong_len(ts_delta) + varlong_len(delta as i64);
        len += nullable_len(record.key.as_deref());
        len += nullable_len(record.value.as_deref());
        len += varlong_len(record.headers.len() as i64);
        for (k, v) in &record.headers {
            len += nullable_len(Some(k.as_bytes())) + nullable_len(v.as_deref());
        }
        put_varlong(out, len as i64);
        out.put_u8(0); // record attributes
        put_varlong(out, ts_delta);
        put_varlong(out, delta as i64);
        put_nullable(out, record.key.as_deref());
        put_nullable(out, record.value.as_deref());
        put_varlong(out, record.headers.len() as i64);
        for (k, v) in &record.headers {
            put_nullable(out, Some(k.as_bytes()));
            put_nullable(out, v.as_deref());
        }
    }
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn put_varlong<B: BufMut>(out: &mut B, value: i64) {
    let mut v = zigzag(value);
    while v >= 0x80 {
        out.put_u8((v as u8) | 0x80);
        v >>= 7;
    }
    out.put_u8(v as u8);
}

fn varlong_len(value: i64) -> usize {
    let mut v = zigzag(value);
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

fn nullable_len(data: Option<&[u8]>) -> usize {
    match data {
        None => 1,
        Some(d) => varlong_len(d.len() as i64) + d.len(),
    }
}

fn put_nullable<B: BufMut>(out: &mut B, data: Option<&[u8]>) {
    match data {
        None => put_varlong(out, -1),
        Some(d) => {
            put_varlong(out, d.len() as i64);
            out.put_slice(d);
        }
    }
}

/// Rewrites the base offsets of every batch in `data` so they start at
/// `base_offset` (the base offset is outside the CRC).
pub fn rebase(data: &mut [u8], base_offset: i64) {
    let mut pos = 0;
    let mut next = base_offset;
    while pos + BATCH_HEADER_LEN <= data.len() {
        let len =
            i32::from_be_bytes(data[pos + 8..pos + 12].try_into().unwrap_or([0; 4])) as usize + 12;
        let count =
            i32::from_be_bytes(data[pos + 57..pos + 61].try_into().unwrap_or([0; 4])) as i64;
        data[pos..pos + 8].copy_from_slice(&next.to_be_bytes());
        next += count;
        pos += len.max(BATCH_HEADER_LEN);
    }
}
