//! Kafka's RecordBatch v2 encoding (magic 2, CRC-32C), the format of every
//! segment: each segment is one or more complete batches.
//!
//! Layout of a batch (big-endian):
//!
//! | field | bytes |
//! |---|---|
//! | baseOffset | 8 |
//! | batchLength (bytes after this field) | 4 |
//! | partitionLeaderEpoch | 4 |
//! | magic (2) | 1 |
//! | crc (CRC-32C of attributes..end) | 4 |
//! | attributes (bit 3: log-append time) | 2 |
//! | lastOffsetDelta | 4 |
//! | baseTimestamp, maxTimestamp | 8 + 8 |
//! | producerId, producerEpoch, baseSequence | 8 + 2 + 4 |
//! | record count | 4 |
//!
//! followed by the records, each with zig-zag varint lengths and deltas.

use std::sync::Arc;

use bytes::{Buf, Bytes};
use kafi_core::{Headers, ProduceRecord, RawMessage, Timestamp, TimestampType};

/// Size of the fixed batch header.
pub const BATCH_HEADER_LEN: usize = 61;
const MAGIC: i8 = 2;
const CRC_START: usize = 21;
const ATTR_LOG_APPEND_TIME: i16 = 0x08;
const ATTR_UNSUPPORTED: i16 = 0x07 | 0x20; // compression bits, control batch

/// A problem found while decoding; the caller adds the file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte position in the segment where the bad batch starts.
    pub position: u64,
    /// What is wrong.
    pub reason: String,
}

/// Encodes records as batches appended to `out`, starting at `base_offset`.
/// Consecutive records with log-append timestamps form their own batch,
/// since the timestamp type is a batch attribute. Returns the next offset.
pub fn encode_segment(
    out: &mut Vec<u8>,
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
        encode_batch(out, offset, &rest[..run], log_append, now);
        offset += run as i64;
        rest = &rest[run..];
    }
    offset
}

fn is_log_append(record: &ProduceRecord) -> bool {
    matches!(record.timestamp, Some(t) if t.kind == TimestampType::LogAppendTime)
}

fn timestamp_of(record: &ProduceRecord, now: i64) -> i64 {
    match record.timestamp {
        Some(t) if t.kind == TimestampType::NotAvailable => -1,
        Some(t) => t.millis,
        None => now,
    }
}

fn encode_batch(
    out: &mut Vec<u8>,
    base_offset: i64,
    records: &[ProduceRecord],
    log_append: bool,
    now: i64,
) {
    let start = out.len();
    let base_ts = timestamp_of(&records[0], now);
    let max_ts = records
        .iter()
        .map(|r| timestamp_of(r, now))
        .max()
        .unwrap_or(base_ts);
    out.extend_from_slice(&base_offset.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes()); // batchLength, patched below
    out.extend_from_slice(&(-1i32).to_be_bytes()); // partitionLeaderEpoch
    out.push(MAGIC as u8);
    out.extend_from_slice(&0u32.to_be_bytes()); // crc, patched below
    let attributes: i16 = if log_append { ATTR_LOG_APPEND_TIME } else { 0 };
    out.extend_from_slice(&attributes.to_be_bytes());
    out.extend_from_slice(&((records.len() - 1) as i32).to_be_bytes());
    out.extend_from_slice(&base_ts.to_be_bytes());
    out.extend_from_slice(&max_ts.to_be_bytes());
    out.extend_from_slice(&(-1i64).to_be_bytes()); // producerId
    out.extend_from_slice(&(-1i16).to_be_bytes()); // producerEpoch
    out.extend_from_slice(&(-1i32).to_be_bytes()); // baseSequence
    out.extend_from_slice(&(records.len() as i32).to_be_bytes());
    let mut body = Vec::with_capacity(64);
    for (delta, record) in records.iter().enumerate() {
        body.clear();
        body.push(0); // record attributes
        put_varlong(&mut body, timestamp_of(record, now).wrapping_sub(base_ts));
        put_varlong(&mut body, delta as i64);
        put_nullable_bytes(&mut body, record.key.as_deref());
        put_nullable_bytes(&mut body, record.value.as_deref());
        put_varlong(&mut body, record.headers.len() as i64);
        for (key, value) in &record.headers {
            put_nullable_bytes(&mut body, Some(key.as_bytes()));
            put_nullable_bytes(&mut body, value.as_deref());
        }
        put_varlong(out, body.len() as i64);
        out.extend_from_slice(&body);
    }
    let batch_length = (out.len() - start - 12) as i32;
    out[start + 8..start + 12].copy_from_slice(&batch_length.to_be_bytes());
    let crc = crc32c::crc32c(&out[start + CRC_START..]);
    out[start + 17..start + 21].copy_from_slice(&crc.to_be_bytes());
}

fn put_varlong(out: &mut Vec<u8>, value: i64) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_nullable_bytes(out: &mut Vec<u8>, data: Option<&[u8]>) {
    match data {
        None => put_varlong(out, -1),
        Some(d) => {
            put_varlong(out, d.len() as i64);
            out.extend_from_slice(d);
        }
    }
}

/// The fixed header of one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    /// Offset of the first record.
    pub base_offset: i64,
    /// Total bytes of the batch including the 12 bytes before `batchLength`'s end.
    pub total_len: usize,
    /// Offset delta of the last record.
    pub last_offset_delta: i32,
    /// Timestamp of the first record.
    pub base_timestamp: i64,
    /// Largest timestamp in the batch.
    pub max_timestamp: i64,
    /// Number of records.
    pub record_count: i32,
    /// Whether timestamps are log-append times.
    pub log_append_time: bool,
}

impl BatchHeader {
    /// The offset after the last record.
    pub fn next_offset(&self) -> i64 {
        self.base_offset + self.last_offset_delta as i64 + 1
    }
}

/// Reads and checks the header of the batch at `pos` (without the CRC).
pub fn read_header(data: &[u8], pos: usize) -> Result<BatchHeader, DecodeError> {
    let err = |reason: String| DecodeError {
        position: pos as u64,
        reason,
    };
    let rest = &data[pos..];
    if rest.len() < BATCH_HEADER_LEN {
        return Err(err(format!(
            "truncated batch header: {} of {} bytes",
            rest.len(),
            BATCH_HEADER_LEN
        )));
    }
    let mut h = rest;
    let base_offset = h.get_i64();
    let batch_length = h.get_i32();
    let _epoch = h.get_i32();
    let magic = h.get_i8();
    if magic != MAGIC {
        return Err(err(format!(
            "unsupported record batch magic {magic} (expected 2)"
        )));
    }
    if batch_length < (BATCH_HEADER_LEN - 12) as i32 {
        return Err(err(format!("invalid batch length {batch_length}")));
    }
    let total_len = batch_length as usize + 12;
    if rest.len() < total_len {
        return Err(err(format!(
            "truncated batch: header says {total_len} bytes, only {} present",
            rest.len()
        )));
    }
    let _crc = h.get_u32();
    let attributes = h.get_i16();
    let last_offset_delta = h.get_i32();
    let base_timestamp = h.get_i64();
    let max_timestamp = h.get_i64();
    h.advance(14);
    let record_count = h.get_i32();
    if attributes & ATTR_UNSUPPORTED != 0 {
        return Err(err(format!(
            "unsupported batch attributes {attributes:#x} (compressed or control batch)"
        )));
    }
    if record_count < 0
        || last_offset_delta < 0
        || record_count as i64 != last_offset_delta as i64 + 1
    {
        return Err(err(format!(
            "inconsistent batch: {record_count} records, last offset delta {last_offset_delta}"
        )));
    }
    Ok(BatchHeader {
        base_offset,
        total_len,
        last_offset_delta,
        base_timestamp,
        max_timestamp,
        record_count,
        log_append_time: attributes & ATTR_LOG_APPEND_TIME != 0,
    })
}

/// Walks the batch headers of a segment, checking lengths but not CRCs.
/// The base offsets must chain from `base` (the segment's name), since
/// they lie outside the CRC.
pub fn headers(data: &[u8], base: i64) -> Result<Vec<BatchHeader>, DecodeError> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut expected = base;
    while pos < data.len() {
        let header = read_header(data, pos)?;
        check_base(&header, expected, pos)?;
        expected = header.next_offset();
        pos += header.total_len;
        out.push(header);
    }
    Ok(out)
}

fn check_base(header: &BatchHeader, expected: i64, pos: usize) -> Result<(), DecodeError> {
    if header.base_offset != expected {
        return Err(DecodeError {
            position: pos as u64,
            reason: format!(
                "batch base offset {} does not follow on from offset {expected}",
                header.base_offset
            ),
        });
    }
    Ok(())
}

/// Rewrites the base offsets of every batch in `segment` so it starts at
/// `base_offset` (the base offset is outside the CRC).
pub fn rebase_segment(segment: &mut [u8], base_offset: i64) {
    let mut pos = 0;
    let mut next = base_offset;
    while pos + BATCH_HEADER_LEN <= segment.len() {
        let len = i32::from_be_bytes(segment[pos + 8..pos + 12].try_into().unwrap_or([0; 4]))
            as usize
            + 12;
        let count =
            i32::from_be_bytes(segment[pos + 57..pos + 61].try_into().unwrap_or([0; 4])) as i64;
        segment[pos..pos + 8].copy_from_slice(&next.to_be_bytes());
        next += count;
        pos += len.max(BATCH_HEADER_LEN);
    }
}

/// Decodes the records of a segment, verifying each batch's CRC when it is
/// entered. Key, value and header values are slices of the segment buffer.
pub struct SegmentReader {
    data: Bytes,
    topic: Arc<str>,
    partition: i32,
    /// Start of the current batch.
    batch_pos: usize,
    /// Read position inside the current batch's records.
    pos: usize,
    batch_end: usize,
    header: Option<BatchHeader>,
    remaining: i32,
    /// Base offset the next batch must have.
    expected_base: i64,
}

impl SegmentReader {
    /// A reader over a whole segment whose first batch starts at `base`.
    pub fn new(data: Bytes, topic: Arc<str>, partition: i32, base: i64) -> Self {
        Self {
            expected_base: base,
            data,
            topic,
            partition,
            batch_pos: 0,
            pos: 0,
            batch_end: 0,
            header: None,
            remaining: 0,
        }
    }

    /// The offset after the last record of the segment, reading only headers.
    pub fn end_offset(data: &[u8], base: i64) -> Result<Option<i64>, DecodeError> {
        Ok(headers(data, base)?.last().map(BatchHeader::next_offset))
    }

    fn enter_next_batch(&mut self) -> Result<bool, DecodeError> {
        if self.batch_end >= self.data.len() && self.header.is_some() {
            return Ok(false);
        }
        let pos = if self.header.is_some() {
            self.batch_end
        } else {
            0
        };
        if pos >= self.data.len() {
            return Ok(false);
        }
        let header = read_header(&self.data, pos)?;
        check_base(&header, self.expected_base, pos)?;
        let end = pos + header.total_len;
        let stored = u32::from_be_bytes(self.data[pos + 17..pos + 21].try_into().unwrap_or([0; 4]));
        let computed = crc32c::crc32c(&self.data[pos + CRC_START..end]);
        if stored != computed {
            return Err(DecodeError {
                position: pos as u64,
                reason: format!(
                    "checksum mismatch in batch at offset {} (stored {stored:#010x}, computed {computed:#010x})",
                    header.base_offset
                ),
            });
        }
        self.batch_pos = pos;
        self.pos = pos + BATCH_HEADER_LEN;
        self.batch_end = end;
        self.remaining = header.record_count;
        self.expected_base = header.next_offset();
        self.header = Some(header);
        Ok(true)
    }

    /// The next record, `None` at the end of the segment.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<RawMessage>, DecodeError> {
        while self.remaining == 0 {
            if !self.enter_next_batch()? {
                return Ok(None);
            }
        }
        let header = self.header.expect("entered batch has a header");
        let batch_pos = self.batch_pos;
        let corrupt = |reason: &str| DecodeError {
            position: batch_pos as u64,
            reason: format!(
                "malformed record in batch at offset {}: {reason}",
                header.base_offset
            ),
        };
        let mut cur = Cursor {
            data: &self.data[..self.batch_end],
            pos: self.pos,
        };
        let len = cur.varlong().ok_or_else(|| corrupt("bad record length"))?;
        let record_end = cur
            .pos
            .checked_add(usize::try_from(len).map_err(|_| corrupt("negative record length"))?)
            .filter(|end| *end <= self.batch_end)
            .ok_or_else(|| corrupt("record runs past the batch"))?;
        cur.data = &self.data[..record_end];
        cur.pos += 1; // record attributes
        let ts_delta = cur
            .varlong()
            .ok_or_else(|| corrupt("bad timestamp delta"))?;
        let offset_delta = cur.varlong().ok_or_else(|| corrupt("bad offset delta"))?;
        let key = cur.nullable(&self.data).ok_or_else(|| corrupt("bad key"))?;
        let value = cur
            .nullable(&self.data)
            .ok_or_else(|| corrupt("bad value"))?;
        let header_count = cur
            .varlong()
            .filter(|n| *n >= 0)
            .ok_or_else(|| corrupt("bad header count"))?;
        let mut headers: Headers = Vec::new();
        if header_count > 0 {
            headers.reserve(header_count.min(64) as usize);
            for _ in 0..header_count {
                let hk = cur
                    .nullable(&self.data)
                    .flatten()
                    .ok_or_else(|| corrupt("bad header key"))?;
                let hk = std::str::from_utf8(&hk)
                    .map_err(|_| corrupt("header key is not UTF-8"))?
                    .to_owned();
                let hv = cur
                    .nullable(&self.data)
                    .ok_or_else(|| corrupt("bad header value"))?;
                headers.push((hk, hv));
            }
        }
        if cur.pos != record_end {
            return Err(corrupt("record length does not match its fields"));
        }
        self.pos = record_end;
        self.remaining -= 1;
        let millis = header.base_timestamp.wrapping_add(ts_delta);
        let kind = if header.log_append_time {
            TimestampType::LogAppendTime
        } else if millis == -1 {
            TimestampType::NotAvailable
        } else {
            TimestampType::CreateTime
        };
        let millis = if header.log_append_time {
            header.max_timestamp
        } else {
            millis
        };
        Ok(Some(RawMessage {
            topic: self.topic.clone(),
            headers,
            partition: self.partition,
            offset: header.base_offset + offset_delta,
            timestamp: Timestamp { kind, millis },
            key,
            value,
        }))
    }
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn varlong(&mut self) -> Option<i64> {
        let mut result: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self.data.get(self.pos)?;
            self.pos += 1;
            result |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(((result >> 1) as i64) ^ -((result & 1) as i64));
            }
        }
        None
    }

    /// `Some(None)` for a null field; slices `whole` without copying.
    fn nullable(&mut self, whole: &Bytes) -> Option<Option<Bytes>> {
        let len = self.varlong()?;
        if len == -1 {
            return Some(None);
        }
        let len = usize::try_from(len).ok()?;
        let end = self
            .pos
            .checked_add(len)
            .filter(|e| *e <= self.data.len())?;
        let out = whole.slice(self.pos..end);
        self.pos = end;
        Some(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: Headers,
        ts: Option<Timestamp>,
    ) -> ProduceRecord {
        ProduceRecord {
            key: key.map(Bytes::copy_from_slice),
            value: value.map(Bytes::copy_from_slice),
            headers,
            partition: None,
            timestamp: ts,
        }
    }

    fn decode_all(data: Vec<u8>) -> Result<Vec<RawMessage>, DecodeError> {
        let base = if data.len() >= 8 {
            i64::from_be_bytes(data[..8].try_into().unwrap())
        } else {
            0
        };
        decode_from(data, base)
    }

    fn decode_from(data: Vec<u8>, base: i64) -> Result<Vec<RawMessage>, DecodeError> {
        let mut reader = SegmentReader::new(Bytes::from(data), Arc::from("t"), 3, base);
        let mut out = Vec::new();
        while let Some(m) = reader.next()? {
            out.push(m);
        }
        Ok(out)
    }

    #[test]
    fn round_trips_every_field() {
        let headers: Headers = vec![
            ("a".into(), Some(Bytes::from_static(b"1"))),
            ("a".into(), Some(Bytes::from_static(&[0, 255, 7]))),
            ("n".into(), None),
            ("".into(), Some(Bytes::new())),
        ];
        let records = vec![
            record(
                Some(b"k"),
                Some(b"{\"bla\": 1}"),
                headers.clone(),
                Some(Timestamp::create_time(1_700_000_000_000)),
            ),
            record(
                None,
                None,
                vec![],
                Some(Timestamp {
                    kind: TimestampType::NotAvailable,
                    millis: -1,
                }),
            ),
            record(
                Some(b""),
                Some(&[0xff, 0x00, 0xfe]),
                vec![],
                Some(Timestamp {
                    kind: TimestampType::LogAppendTime,
                    millis: 42,
                }),
            ),
            record(
                Some(&[1, 2, 3]),
                Some(b""),
                vec![],
                Some(Timestamp::create_time(5)),
            ),
        ];
        let mut buf = Vec::new();
        let next = encode_segment(&mut buf, 100, &records, 999);
        assert_eq!(next, 104);
        assert_eq!(
            super::headers(&buf, 100).unwrap().len(),
            3,
            "log-append run gets its own batch"
        );
        let out = decode_all(buf).unwrap();
        assert_eq!(out.len(), 4);
        for (i, (m, r)) in out.iter().zip(&records).enumerate() {
            assert_eq!(m.offset, 100 + i as i64);
            assert_eq!(m.partition, 3);
            assert_eq!(m.key, r.key);
            assert_eq!(m.value, r.value);
            assert_eq!(m.headers, r.headers);
            assert_eq!(Some(m.timestamp), r.timestamp);
        }
    }

    #[test]
    fn detects_flipped_bits_and_truncation() {
        let mut buf = Vec::new();
        encode_segment(
            &mut buf,
            0,
            &[record(Some(b"k"), Some(b"v"), vec![], None)],
            1,
        );
        for i in (0..8).chain(CRC_START..buf.len()) {
            let mut bad = buf.clone();
            bad[i] ^= 0x10;
            assert!(decode_from(bad, 0).is_err(), "flip at {i} not detected");
        }
        for cut in 1..buf.len() {
            let err = decode_all(buf[..cut].to_vec()).unwrap_err();
            assert!(err.reason.contains("truncated"), "{cut}: {}", err.reason);
        }
    }

    #[test]
    fn rebase_moves_offsets_without_breaking_crc() {
        let mut buf = Vec::new();
        let recs = vec![
            record(None, Some(b"x"), vec![], None),
            record(
                None,
                Some(b"y"),
                vec![],
                Some(Timestamp {
                    kind: TimestampType::LogAppendTime,
                    millis: 3,
                }),
            ),
        ];
        encode_segment(&mut buf, 0, &recs, 1);
        rebase_segment(&mut buf, 50);
        let out = decode_all(buf).unwrap();
        assert_eq!(
            out.iter().map(|m| m.offset).collect::<Vec<_>>(),
            vec![50, 51]
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_records_round_trip(
            items in proptest::collection::vec((
                proptest::option::of(proptest::collection::vec(proptest::num::u8::ANY, 0..40)),
                proptest::option::of(proptest::collection::vec(proptest::num::u8::ANY, 0..200)),
                proptest::collection::vec(("[a-z]{0,4}", proptest::option::of(proptest::collection::vec(proptest::num::u8::ANY, 0..8))), 0..4),
                0i64..2_000_000_000_000,
            ), 1..30),
            base in 0i64..1_000_000,
        ) {
            let records: Vec<ProduceRecord> = items.iter().map(|(k, v, h, ts)| ProduceRecord {
                key: k.clone().map(Bytes::from),
                value: v.clone().map(Bytes::from),
                headers: h.iter().map(|(hk, hv)| (hk.clone(), hv.clone().map(Bytes::from))).collect(),
                partition: None,
                timestamp: Some(Timestamp::create_time(*ts)),
            }).collect();
            let mut buf = Vec::new();
            encode_segment(&mut buf, base, &records, 0);
            let out = decode_all(buf).unwrap();
            proptest::prop_assert_eq!(out.len(), records.len());
            for (m, r) in out.iter().zip(&records) {
                proptest::prop_assert_eq!(&m.key, &r.key);
                proptest::prop_assert_eq!(&m.value, &r.value);
                proptest::prop_assert_eq!(&m.headers, &r.headers);
                proptest::prop_assert_eq!(Some(m.timestamp), r.timestamp);
            }
        }

        #[test]
        fn garbage_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = decode_all(data);
        }
    }
}
