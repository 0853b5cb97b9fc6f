//! Kafka's RecordBatch v2 (magic 2) encoding and decoding, with compression.
//!
//! kafi keeps headers as an ordered list (duplicate keys and null values
//! allowed) and key/value as slices of the fetched buffer, which neither
//! rskafka's nor kafka-protocol's record types allow; hence this codec.

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use kafi_core::{Headers, ProduceRecord, RawMessage, Timestamp, TimestampType};
use kafka_protocol::compression::{Compressor, Decompressor, Gzip, Lz4, Snappy, Zstd};

use crate::config::Compression;

const BATCH_HEADER_LEN: usize = 61;
const CRC_START: usize = 21;
const ATTR_CODEC: i16 = 0x07;
const ATTR_LOG_APPEND_TIME: i16 = 0x08;
const ATTR_CONTROL: i16 = 0x20;

fn timestamp_of(record: &ProduceRecord, now: i64) -> i64 {
    match record.timestamp {
        Some(t) if t.kind == TimestampType::NotAvailable => -1,
        Some(t) => t.millis,
        None => now,
    }
}

fn put_varlong(out: &mut BytesMut, value: i64) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    while v >= 0x80 {
        out.put_u8((v as u8) | 0x80);
        v >>= 7;
    }
    out.put_u8(v as u8);
}

fn varlong_len(value: i64) -> usize {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
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

fn put_nullable(out: &mut BytesMut, data: Option<&[u8]>) {
    match data {
        None => put_varlong(out, -1),
        Some(d) => {
            put_varlong(out, d.len() as i64);
            out.put_slice(d);
        }
    }
}

fn encode_records(out: &mut BytesMut, records: &[ProduceRecord], base_ts: i64, now: i64) {
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
        out.put_u8(0);
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

/// Encodes `records` as one batch (base offset 0, as producers send it).
pub(crate) fn encode_batch(
    out: &mut BytesMut,
    records: &[ProduceRecord],
    compression: Compression,
    now: i64,
) -> Result<(), String> {
    assert!(!records.is_empty(), "a batch holds at least one record");
    let start = out.len();
    let base_ts = timestamp_of(&records[0], now);
    let max_ts = records
        .iter()
        .map(|r| timestamp_of(r, now))
        .max()
        .unwrap_or(base_ts);
    out.put_i64(0); // baseOffset
    out.put_i32(0); // batchLength, patched below
    out.put_i32(-1); // partitionLeaderEpoch
    out.put_i8(2); // magic
    out.put_u32(0); // crc, patched below
    out.put_i16(compression.attribute());
    out.put_i32((records.len() - 1) as i32);
    out.put_i64(base_ts);
    out.put_i64(max_ts);
    out.put_i64(-1); // producerId
    out.put_i16(-1); // producerEpoch
    out.put_i32(-1); // baseSequence
    out.put_i32(records.len() as i32);
    let fill = |buf: &mut BytesMut| -> anyhow::Result<()> {
        encode_records(buf, records, base_ts, now);
        Ok(())
    };
    let result = match compression {
        Compression::None => {
            encode_records(out, records, base_ts, now);
            Ok(())
        }
        Compression::Gzip => Gzip::compress(out, fill),
        Compression::Snappy => Snappy::compress(out, fill),
        Compression::Lz4 => Lz4::compress(out, fill),
        Compression::Zstd => Zstd::compress(out, fill),
    };
    result.map_err(|e| format!("compressing with {compression:?}: {e:#}"))?;
    let batch_length = (out.len() - start - 12) as i32;
    out[start + 8..start + 12].copy_from_slice(&batch_length.to_be_bytes());
    let crc = crc32c::crc32c(&out[start + CRC_START..]);
    out[start + 17..start + 21].copy_from_slice(&crc.to_be_bytes());
    Ok(())
}

/// Decodes every complete batch of a fetched `records` buffer into `out`,
/// skipping records before `from` and control batches. Returns the offset
/// after the last record seen (including skipped control records), or
/// `None` when no complete batch was present.
pub(crate) fn decode_batches(
    data: &Bytes,
    topic: &Arc<str>,
    partition: i32,
    from: i64,
    out: &mut Vec<RawMessage>,
) -> Result<Option<i64>, String> {
    let mut pos = 0;
    let mut next = None;
    while data.len() - pos >= BATCH_HEADER_LEN {
        let h = &data[pos..];
        let base_offset = i64::from_be_bytes(h[0..8].try_into().expect("8 bytes"));
        let batch_length = i32::from_be_bytes(h[8..12].try_into().expect("4 bytes"));
        let magic = h[16] as i8;
        if batch_length < 0 {
            return Err(format!(
                "invalid batch length {batch_length} at offset {base_offset}"
            ));
        }
        let total = batch_length as usize + 12;
        if h.len() < total {
            break; // a partial batch at the end of the response
        }
        if magic != 2 {
            return Err(format!(
                "record batch at offset {base_offset} has magic {magic}; kafi reads only magic 2 (Kafka ≥ 0.11)"
            ));
        }
        let batch = data.slice(pos..pos + total);
        pos += total;
        let stored = u32::from_be_bytes(batch[17..21].try_into().expect("4 bytes"));
        let computed = crc32c::crc32c(&batch[CRC_START..]);
        if stored != computed {
            return Err(format!(
                "checksum mismatch in batch at offset {base_offset}"
            ));
        }
        let attributes = i16::from_be_bytes(batch[21..23].try_into().expect("2 bytes"));
        let last_delta = i32::from_be_bytes(batch[23..27].try_into().expect("4 bytes"));
        let base_ts = i64::from_be_bytes(batch[27..35].try_into().expect("8 bytes"));
        let max_ts = i64::from_be_bytes(batch[35..43].try_into().expect("8 bytes"));
        let count = i32::from_be_bytes(batch[57..61].try_into().expect("4 bytes"));
        next = Some(base_offset + last_delta as i64 + 1);
        if attributes & ATTR_CONTROL != 0 || base_offset + (last_delta as i64) < from {
            continue;
        }
        let log_append = attributes & ATTR_LOG_APPEND_TIME != 0;
        let body = batch.slice(BATCH_HEADER_LEN..);
        let body = match attributes & ATTR_CODEC {
            0 => body,
            codec => decompress(codec, body)
                .map_err(|e| format!("batch at offset {base_offset}: {e}"))?,
        };
        let mut reader = RecordReader {
            data: &body,
            pos: 0,
            batch: base_offset,
        };
        out.reserve(count.max(0) as usize);
        for _ in 0..count {
            let r = reader.record(&body)?;
            let offset = base_offset + r.offset_delta;
            if offset < from {
                continue;
            }
            let millis = base_ts.wrapping_add(r.ts_delta);
            let timestamp = if log_append {
                Timestamp {
                    kind: TimestampType::LogAppendTime,
                    millis: max_ts,
                }
            } else if millis == -1 {
                Timestamp {
                    kind: TimestampType::NotAvailable,
                    millis: -1,
                }
            } else {
                Timestamp::create_time(millis)
            };
            out.push(RawMessage {
                topic: topic.clone(),
                headers: r.headers,
                partition,
                offset,
                timestamp,
                key: r.key,
                value: r.value,
            });
        }
    }
    Ok(next)
}

fn decompress(codec: i16, mut body: Bytes) -> Result<Bytes, String> {
    let take = |b: &mut Bytes| -> anyhow::Result<Bytes> { Ok(std::mem::take(b)) };
    let result = match codec {
        1 => Gzip::decompress(&mut body, take),
        2 => Snappy::decompress(&mut body, take),
        3 => Lz4::decompress(&mut body, take),
        4 => Zstd::decompress(&mut body, take),
        other => return Err(format!("unknown compression codec {other}")),
    };
    result.map_err(|e| format!("decompressing: {e:#}"))
}

struct Decoded {
    ts_delta: i64,
    offset_delta: i64,
    key: Option<Bytes>,
    value: Option<Bytes>,
    headers: Headers,
}

struct RecordReader<'a> {
    data: &'a [u8],
    pos: usize,
    batch: i64,
}

impl RecordReader<'_> {
    fn varlong(&mut self) -> Option<i64> {
        let mut result: u64 = 0;
        let mut shift = 0;
        loop {
            let byte = *self.data.get(self.pos)?;
            self.pos += 1;
            result |= ((byte & 0x7f) as u64) << shift;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 63 {
                return None;
            }
        }
        Some(((result >> 1) as i64) ^ -((result & 1) as i64))
    }

    fn nullable(&mut self, owner: &Bytes) -> Option<Option<Bytes>> {
        let len = self.varlong()?;
        if len < 0 {
            return Some(None);
        }
        let end = self.pos.checked_add(len as usize)?;
        if end > self.data.len() {
            return None;
        }
        let slice = owner.slice(self.pos..end);
        self.pos = end;
        Some(Some(slice))
    }

    fn record(&mut self, owner: &Bytes) -> Result<Decoded, String> {
        let batch = self.batch;
        let bad = |what: &str| format!("malformed record in batch at offset {batch}: {what}");
        let len = self.varlong().ok_or_else(|| bad("length"))?;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| self.pos.checked_add(l))
            .filter(|e| *e <= self.data.len())
            .ok_or_else(|| bad("record runs past the batch"))?;
        self.pos += 1; // attributes
        let ts_delta = self.varlong().ok_or_else(|| bad("timestamp"))?;
        let offset_delta = self.varlong().ok_or_else(|| bad("offset"))?;
        let key = self.nullable(owner).ok_or_else(|| bad("key"))?;
        let value = self.nullable(owner).ok_or_else(|| bad("value"))?;
        let count = self
            .varlong()
            .filter(|n| *n >= 0)
            .ok_or_else(|| bad("header count"))?;
        let mut headers = Vec::new();
        if count > 0 {
            headers.reserve(count.min(64) as usize);
            for _ in 0..count {
                let k = self
                    .nullable(owner)
                    .flatten()
                    .ok_or_else(|| bad("header key"))?;
                let k = String::from_utf8(k.to_vec()).map_err(|_| bad("header key not UTF-8"))?;
                let v = self.nullable(owner).ok_or_else(|| bad("header value"))?;
                headers.push((k, v));
            }
        }
        if self.pos != end {
            return Err(bad("length does not match its fields"));
        }
        Ok(Decoded {
            ts_delta,
            offset_delta,
            key,
            value,
            headers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<ProduceRecord> {
        vec![
            ProduceRecord {
                key: Some(Bytes::from_static(b"k1")),
                value: Some(Bytes::from_static(b"\x00\xffbinary")),
                headers: vec![
                    ("h".into(), Some(Bytes::from_static(b"1"))),
                    ("h".into(), None),
                ],
                partition: None,
                timestamp: Some(Timestamp::create_time(1_000)),
            },
            ProduceRecord {
                key: None,
                value: None,
                headers: vec![],
                partition: None,
                timestamp: Some(Timestamp::create_time(999)),
            },
        ]
    }

    #[test]
    fn round_trips_every_codec() {
        for compression in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let mut buf = BytesMut::new();
            encode_batch(&mut buf, &sample(), compression, 5).unwrap();
            // Pretend the broker assigned base offset 7.
            buf[0..8].copy_from_slice(&7i64.to_be_bytes());
            let data = buf.freeze();
            let topic: Arc<str> = Arc::from("t");
            let mut out = Vec::new();
            let next = decode_batches(&data, &topic, 2, 0, &mut out).unwrap();
            assert_eq!(next, Some(9), "{compression:?}");
            assert_eq!(out.len(), 2);
            let records = sample();
            for (m, r) in out.iter().zip(&records) {
                assert_eq!(m.key, r.key);
                assert_eq!(m.value, r.value);
                assert_eq!(m.headers, r.headers);
                assert_eq!(Some(m.timestamp), r.timestamp);
                assert_eq!(m.partition, 2);
            }
            assert_eq!(out[1].offset, 8);
            // Skipping records before an offset.
            let mut out = Vec::new();
            decode_batches(&data, &topic, 2, 8, &mut out).unwrap();
            assert_eq!(out.len(), 1);
        }
    }

    #[test]
    fn stops_at_a_partial_batch() {
        let mut buf = BytesMut::new();
        encode_batch(&mut buf, &sample(), Compression::None, 5).unwrap();
        let data = buf.freeze().slice(..40);
        let mut out = Vec::new();
        let next = decode_batches(&data, &Arc::from("t"), 0, 0, &mut out).unwrap();
        assert_eq!(next, None);
        assert!(out.is_empty());
    }
}
