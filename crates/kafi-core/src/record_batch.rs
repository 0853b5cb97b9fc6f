//! Kafka's RecordBatch v2 encoding (magic 2, CRC-32C), shared by the
//! segments of the emulated storage and the produce/fetch wire format of
//! the cluster storage. Pure functions on byte buffers; compression stays
//! with the caller, which compresses or decompresses the records section
//! around [`encode_records`] and [`decode_records`].
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
//! | attributes (bits 0-2: codec, bit 3: log-append time, bit 5: control) | 2 |
//! | lastOffsetDelta | 4 |
//! | baseTimestamp, maxTimestamp | 8 + 8 |
//! | producerId, producerEpoch, baseSequence | 8 + 2 + 4 |
//! | record count | 4 |
//!
//! followed by the records section, each record with zig-zag varint
//! lengths and deltas.
//!
//! kafi keeps headers as an ordered list (duplicate keys and null values
//! allowed) and key/value as slices of the read buffer, hence this codec.

use std::sync::Arc;

use bytes::{Buf, BufMut, Bytes};

use crate::{Headers, ProduceRecord, RawMessage, Timestamp, TimestampType};

/// Size of the fixed batch header.
pub const BATCH_HEADER_LEN: usize = 61;
/// The only supported magic byte.
pub const MAGIC: i8 = 2;
/// Where the CRC-covered part of a batch starts (the attributes).
pub const CRC_START: usize = 21;
/// Attribute bits of the compression codec (0: none).
pub const ATTR_CODEC: i16 = 0x07;
/// Attribute bit of log-append timestamps.
pub const ATTR_LOG_APPEND_TIME: i16 = 0x08;
/// Attribute bit of control batches (transaction markers).
pub const ATTR_CONTROL: i16 = 0x20;
/// The smallest encoded record: a one-byte length, attributes, timestamp
/// and offset deltas, null key and value, no headers.
const MIN_RECORD_LEN: usize = 7;

/// A problem found while decoding; the caller adds where the bytes came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte position in the buffer where the bad batch starts.
    pub position: u64,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (byte {})", self.reason, self.position)
    }
}

impl std::error::Error for DecodeError {}

fn error_at(pos: usize, reason: String) -> DecodeError {
    DecodeError {
        position: pos as u64,
        reason,
    }
}

// ----- encoding --------------------------------------------------------------

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

// ----- headers -----------------------------------------------------------------

/// The fixed header of one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    /// Offset of the first record.
    pub base_offset: i64,
    /// Total bytes of the batch including the 12 bytes before `batchLength`'s end.
    pub total_len: usize,
    /// The raw attributes.
    pub attributes: i16,
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

    /// The compression codec bits (0: uncompressed).
    pub fn codec(&self) -> i16 {
        self.attributes & ATTR_CODEC
    }

    /// Whether this is a control batch (transaction markers).
    pub fn is_control(&self) -> bool {
        self.attributes & ATTR_CONTROL != 0
    }
}

/// Whether the bytes from `pos` on are the start of a batch cut short, as
/// at the end of a fetch response (a bad length is not "partial").
pub fn is_partial(data: &[u8], pos: usize) -> bool {
    let rest = &data[pos.min(data.len())..];
    if rest.len() < BATCH_HEADER_LEN {
        return true;
    }
    let batch_length = i32::from_be_bytes(rest[8..12].try_into().expect("4 bytes"));
    batch_length >= 0 && rest.len() < batch_length as usize + 12
}

/// Reads the header of the batch at `pos`, checking the magic and that the
/// whole batch is present (not the CRC, see [`verify_crc`]). Compressed and
/// control batches are accepted; see [`read_plain_header`].
pub fn parse_header(data: &[u8], pos: usize) -> Result<BatchHeader, DecodeError> {
    let err = |reason: String| error_at(pos, reason);
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
            "unsupported record batch magic {magic} at offset {base_offset} (kafi reads only magic 2, Kafka ≥ 0.11)"
        )));
    }
    if batch_length < (BATCH_HEADER_LEN - 12) as i32 {
        return Err(err(format!(
            "invalid batch length {batch_length} at offset {base_offset}"
        )));
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
    // Offsets are never negative, and every record's offset must be representable.
    if base_offset < 0
        || last_offset_delta < 0
        || base_offset
            .checked_add(i64::from(last_offset_delta) + 1)
            .is_none()
    {
        return Err(err(format!(
            "invalid batch offsets: base offset {base_offset}, last offset delta {last_offset_delta}"
        )));
    }
    let base_timestamp = h.get_i64();
    let max_timestamp = h.get_i64();
    h.advance(14);
    let record_count = h.get_i32();
    Ok(BatchHeader {
        base_offset,
        total_len,
        attributes,
        last_offset_delta,
        base_timestamp,
        max_timestamp,
        record_count,
        log_append_time: attributes & ATTR_LOG_APPEND_TIME != 0,
    })
}

/// [`parse_header`] for batches as kafi writes them: uncompressed, not
/// control batches, and with a record count matching the offset deltas.
pub fn read_plain_header(data: &[u8], pos: usize) -> Result<BatchHeader, DecodeError> {
    let header = parse_header(data, pos)?;
    let err = |reason: String| error_at(pos, reason);
    if header.attributes & (ATTR_CODEC | ATTR_CONTROL) != 0 {
        return Err(err(format!(
            "unsupported batch attributes {:#x} (compressed or control batch)",
            header.attributes
        )));
    }
    let (count, last) = (header.record_count, header.last_offset_delta);
    if count < 0 || last < 0 || count as i64 != last as i64 + 1 {
        return Err(err(format!(
            "inconsistent batch: {count} records, last offset delta {last}"
        )));
    }
    Ok(header)
}

/// Walks the plain batch headers of `data`, checking lengths but not CRCs.
/// With `chain_from`, the base offsets must follow on from it, batch after
/// batch (the base offsets lie outside the CRC).
pub fn headers(data: &[u8], chain_from: Option<i64>) -> Result<Vec<BatchHeader>, DecodeError> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut expected = chain_from;
    while pos < data.len() {
        let header = read_plain_header(data, pos)?;
        if let Some(expected) = expected {
            check_base(&header, expected, pos)?;
        }
        expected = expected.map(|_| header.next_offset());
        pos += header.total_len;
        out.push(header);
    }
    Ok(out)
}

/// Checks that the batch at `pos` starts at offset `expected`.
pub fn check_base(header: &BatchHeader, expected: i64, pos: usize) -> Result<(), DecodeError> {
    if header.base_offset != expected {
        return Err(error_at(
            pos,
            format!(
                "batch base offset {} does not follow on from offset {expected}",
                header.base_offset
            ),
        ));
    }
    Ok(())
}

/// Checks the CRC-32C of the batch at `pos`, whose header was read.
pub fn verify_crc(data: &[u8], pos: usize, header: &BatchHeader) -> Result<(), DecodeError> {
    let end = pos + header.total_len;
    let stored = u32::from_be_bytes(data[pos + 17..pos + 21].try_into().expect("4 bytes"));
    let computed = crc32c::crc32c(&data[pos + CRC_START..end]);
    if stored != computed {
        return Err(error_at(
            pos,
            format!(
                "checksum mismatch in batch at offset {} (stored {stored:#010x}, computed {computed:#010x})",
                header.base_offset
            ),
        ));
    }
    Ok(())
}

// ----- records -----------------------------------------------------------------

/// Decodes the record at `*pos` of an uncompressed records section ending
/// at `end` in `data` (the batch's bytes, or its decompressed records).
/// Key, value and header values are slices of `data`; nothing is allocated
/// but the headers. `batch_pos` is where the batch starts, for errors.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn decode_record(
    data: &Bytes,
    pos: &mut usize,
    end: usize,
    header: &BatchHeader,
    batch_pos: usize,
    topic: &Arc<str>,
    partition: i32,
) -> Result<RawMessage, DecodeError> {
    let corrupt = |reason: &str| {
        error_at(
            batch_pos,
            format!(
                "malformed record in batch at offset {}: {reason}",
                header.base_offset
            ),
        )
    };
    let mut cur = Cursor {
        data: &data[..end],
        pos: *pos,
    };
    let len = cur.varlong().ok_or_else(|| corrupt("bad record length"))?;
    let record_end = cur
        .pos
        .checked_add(usize::try_from(len).map_err(|_| corrupt("negative record length"))?)
        .filter(|e| *e <= end)
        .ok_or_else(|| corrupt("record runs past the batch"))?;
    cur.data = &data[..record_end];
    cur.pos += 1; // record attributes
    let ts_delta = cur
        .varlong()
        .ok_or_else(|| corrupt("bad timestamp delta"))?;
    let offset_delta = cur.varlong().ok_or_else(|| corrupt("bad offset delta"))?;
    if !(0..=i64::from(header.last_offset_delta)).contains(&offset_delta) {
        return Err(corrupt(&format!(
            "offset delta {offset_delta} outside the batch's 0..={}",
            header.last_offset_delta
        )));
    }
    let key = cur.nullable(data).ok_or_else(|| corrupt("bad key"))?;
    let value = cur.nullable(data).ok_or_else(|| corrupt("bad value"))?;
    let header_count = cur
        .varlong()
        .filter(|n| *n >= 0)
        .ok_or_else(|| corrupt("bad header count"))?;
    let mut headers: Headers = Vec::new();
    if header_count > 0 {
        headers.reserve(header_count.min(64) as usize);
        for _ in 0..header_count {
            let hk = cur
                .nullable(data)
                .flatten()
                .ok_or_else(|| corrupt("bad header key"))?;
            let hk = std::str::from_utf8(&hk)
                .map_err(|_| corrupt("header key is not UTF-8"))?
                .to_owned();
            let hv = cur
                .nullable(data)
                .ok_or_else(|| corrupt("bad header value"))?;
            headers.push((hk, hv));
        }
    }
    if cur.pos != record_end {
        return Err(corrupt("record length does not match its fields"));
    }
    *pos = record_end;
    let millis = header.base_timestamp.wrapping_add(ts_delta);
    let timestamp = if header.log_append_time {
        Timestamp {
            kind: TimestampType::LogAppendTime,
            millis: header.max_timestamp,
        }
    } else if millis == -1 {
        Timestamp {
            kind: TimestampType::NotAvailable,
            millis: -1,
        }
    } else {
        Timestamp::create_time(millis)
    };
    Ok(RawMessage {
        topic: topic.clone(),
        headers,
        partition,
        offset: header.base_offset + offset_delta,
        timestamp,
        key,
        value,
    })
}

/// Decodes the `header.record_count` records of an uncompressed records
/// section `data[start..end]` into `out`, leaving out those before offset
/// `from`. `batch_pos` is where the batch starts, for errors.
#[allow(clippy::too_many_arguments)]
pub fn decode_records(
    data: &Bytes,
    start: usize,
    end: usize,
    header: &BatchHeader,
    batch_pos: usize,
    topic: &Arc<str>,
    partition: i32,
    from: i64,
    out: &mut Vec<RawMessage>,
) -> Result<(), DecodeError> {
    let mut pos = start;
    // The count comes from the bytes: reserve no more than they can hold.
    let fit = end.saturating_sub(start) / MIN_RECORD_LEN;
    out.reserve((header.record_count.max(0) as usize).min(fit));
    let mut previous = None;
    for _ in 0..header.record_count {
        let m = decode_record(data, &mut pos, end, header, batch_pos, topic, partition)?;
        check_increasing(header, batch_pos, &mut previous, m.offset)?;
        if m.offset >= from {
            out.push(m);
        }
    }
    Ok(())
}

/// Checks that `offset` comes after the previous record's of its batch.
fn check_increasing(
    header: &BatchHeader,
    batch_pos: usize,
    previous: &mut Option<i64>,
    offset: i64,
) -> Result<(), DecodeError> {
    if let Some(previous) = previous.replace(offset).filter(|p| *p >= offset) {
        return Err(error_at(
            batch_pos,
            format!(
                "malformed record in batch at offset {}: record offset {offset} does not follow {previous}",
                header.base_offset
            ),
        ));
    }
    Ok(())
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    #[inline]
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
    #[inline]
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

// ----- reader ------------------------------------------------------------------

/// Decodes the records of a buffer of complete plain batches (a segment),
/// verifying each batch's CRC when it is entered and, optionally, that base
/// offsets chain. Key, value and header values are slices of the buffer.
pub struct BatchReader {
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
    /// Offset of the previous record of the current batch.
    previous: Option<i64>,
    /// Base offset the next batch must have, when chaining is checked.
    expected_base: Option<i64>,
}

impl BatchReader {
    /// A reader over whole batches whose first batch starts at `base`, each
    /// following on from the previous.
    pub fn new(data: Bytes, topic: Arc<str>, partition: i32, base: i64) -> Self {
        Self::with_chain(data, topic, partition, Some(base))
    }

    /// A reader that checks base-offset chaining from `chain_from` when given.
    pub fn with_chain(
        data: Bytes,
        topic: Arc<str>,
        partition: i32,
        chain_from: Option<i64>,
    ) -> Self {
        Self {
            expected_base: chain_from,
            data,
            topic,
            partition,
            batch_pos: 0,
            pos: 0,
            batch_end: 0,
            header: None,
            remaining: 0,
            previous: None,
        }
    }

    /// The offset after the last record of `data`, reading only headers.
    pub fn end_offset(data: &[u8], base: i64) -> Result<Option<i64>, DecodeError> {
        Ok(headers(data, Some(base))?
            .last()
            .map(BatchHeader::next_offset))
    }

    fn enter_next_batch(&mut self) -> Result<bool, DecodeError> {
        let pos = if self.header.is_some() {
            self.batch_end
        } else {
            0
        };
        if pos >= self.data.len() {
            return Ok(false);
        }
        let header = read_plain_header(&self.data, pos)?;
        if let Some(expected) = self.expected_base {
            check_base(&header, expected, pos)?;
            self.expected_base = Some(header.next_offset());
        }
        verify_crc(&self.data, pos, &header)?;
        self.batch_pos = pos;
        self.pos = pos + BATCH_HEADER_LEN;
        self.batch_end = pos + header.total_len;
        self.remaining = header.record_count;
        self.previous = None;
        self.header = Some(header);
        Ok(true)
    }

    /// The next record, `None` at the end of the buffer.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<RawMessage>, DecodeError> {
        while self.remaining == 0 {
            if !self.enter_next_batch()? {
                return Ok(None);
            }
        }
        let header = self.header.as_ref().expect("entered batch has a header");
        let m = decode_record(
            &self.data,
            &mut self.pos,
            self.batch_end,
            header,
            self.batch_pos,
            &self.topic,
            self.partition,
        )?;
        check_increasing(header, self.batch_pos, &mut self.previous, m.offset)?;
        self.remaining -= 1;
        Ok(Some(m))
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
        let mut reader = BatchReader::new(Bytes::from(data), Arc::from("t"), 3, base);
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
        let next = encode_batches(&mut buf, 100, &records, 999);
        assert_eq!(next, 104);
        assert_eq!(
            super::headers(&buf, Some(100)).unwrap().len(),
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
        encode_batches(
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
            assert!(is_partial(&buf[..cut], 0), "{cut}");
        }
        assert!(!is_partial(&buf, 0));
    }

    #[test]
    fn chaining_is_optional() {
        let mut buf = Vec::new();
        encode_batches(&mut buf, 7, &[record(None, Some(b"v"), vec![], None)], 1);
        let err = super::headers(&buf, Some(0)).unwrap_err();
        assert!(err.reason.contains("does not follow on"), "{}", err.reason);
        assert_eq!(super::headers(&buf, None).unwrap()[0].base_offset, 7);
        let mut reader = BatchReader::with_chain(Bytes::from(buf), Arc::from("t"), 0, None);
        assert_eq!(reader.next().unwrap().unwrap().offset, 7);
        assert!(reader.next().unwrap().is_none());
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
        encode_batches(&mut buf, 0, &recs, 1);
        rebase(&mut buf, 50);
        let out = decode_all(buf).unwrap();
        assert_eq!(
            out.iter().map(|m| m.offset).collect::<Vec<_>>(),
            vec![50, 51]
        );
    }

    #[test]
    fn decode_records_skips_before_from() {
        let recs: Vec<_> = (0..3)
            .map(|i| record(None, Some(&[i]), vec![], Some(Timestamp::create_time(10))))
            .collect();
        let mut buf = Vec::new();
        encode_batches(&mut buf, 20, &recs, 0);
        let data = Bytes::from(buf);
        let header = parse_header(&data, 0).unwrap();
        let mut out = Vec::new();
        let topic: Arc<str> = Arc::from("t");
        decode_records(
            &data,
            BATCH_HEADER_LEN,
            header.total_len,
            &header,
            0,
            &topic,
            1,
            21,
            &mut out,
        )
        .unwrap();
        assert_eq!(
            out.iter().map(|m| m.offset).collect::<Vec<_>>(),
            vec![21, 22]
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
            encode_batches(&mut buf, base, &records, 0);
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
            let _ = decode_all(data.clone());
            let _ = super::headers(&data, None);
            let _ = is_partial(&data, 0);
        }
    }
}
