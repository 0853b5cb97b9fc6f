//! Batch headers, checks and decoding records.

use std::sync::Arc;

use bytes::{Buf, Bytes};

use super::*;
use crate::{Headers, RawMessage, Timestamp, TimestampType};

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

/// The smallest encoded record: a one-byte length, attributes, timestamp
/// and offset deltas, null key and value, no headers.
const MIN_RECORD_LEN: usize = 7;

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
