//! RecordBatch v2 segments (`kafi_core::record_batch`).
//!
//! Input: one flags byte, then the segment bytes. Flag bit 0 recomputes the
//! CRC of every complete-looking batch first, so that the fuzzer gets past
//! the checksum into the records; bit 1 makes the reader check that base
//! offsets chain from the first batch's, as a segment named after it does.

use std::sync::Arc;

use bytes::Bytes;
use kafi_core::record_batch::{self, BatchHeader, BatchReader, BATCH_HEADER_LEN, CRC_START};
use kafi_core::{ProduceRecord, RawMessage, TimestampType};

const TOPIC: &str = "fuzz";
const PARTITION: i32 = 7;

/// The `record_batch` target.
pub fn record_batch(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut segment = rest.to_vec();
    if flags & 1 != 0 {
        fix_crcs(&mut segment);
    }
    let base = first_base(&segment).unwrap_or(0);
    let chain = (flags & 2 != 0).then_some(base);
    let segment = Bytes::from(segment);

    let headers = record_batch::headers(&segment, chain);
    check_end_offset(&segment, base);
    let read = read_all(&segment, chain);
    if let Ok(messages) = &read {
        let headers = headers
            .as_ref()
            .expect("the reader accepted a segment whose headers are invalid");
        check_offsets(messages, headers, chain.is_some());
        check_same_as_decode_records(&segment, headers, messages, chain.is_some());
        check_reencode(messages, base);
        check_rebase(&segment, base, chain.is_some(), messages);
    }
    fetch_path(&segment);
    for pos in 0..segment.len().min(256) {
        let _ = record_batch::is_partial(&segment, pos);
    }
}

/// Recomputes the CRC of each batch whose length fits in the buffer.
fn fix_crcs(data: &mut [u8]) {
    let mut pos = 0;
    while pos + BATCH_HEADER_LEN <= data.len() {
        let len = i32::from_be_bytes(data[pos + 8..pos + 12].try_into().expect("4 bytes"));
        let Ok(len) = usize::try_from(len) else { break };
        let Some(end) = (pos + 12).checked_add(len).filter(|e| *e <= data.len()) else {
            break;
        };
        if end < pos + BATCH_HEADER_LEN {
            break;
        }
        let crc = crc32c_of(&data[pos + CRC_START..end]);
        data[pos + 17..pos + 21].copy_from_slice(&crc.to_be_bytes());
        pos = end;
    }
}

/// CRC-32C (Castagnoli), bitwise: slow but independent of the codec's own.
fn crc32c_of(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn first_base(data: &[u8]) -> Option<i64> {
    Some(i64::from_be_bytes(data.get(..8)?.try_into().ok()?))
}

fn read_all(data: &Bytes, chain: Option<i64>) -> Result<Vec<RawMessage>, String> {
    let mut reader = BatchReader::with_chain(data.clone(), Arc::from(TOPIC), PARTITION, chain);
    let mut out = Vec::new();
    // Each record takes at least one byte: more messages than bytes is a loop.
    while let Some(m) = reader.next().map_err(|e| e.to_string())? {
        out.push(m);
        assert!(
            out.len() <= data.len(),
            "the reader yields more records than bytes"
        );
    }
    Ok(out)
}

/// `end_offset` agrees with the chained headers.
fn check_end_offset(data: &[u8], base: i64) {
    let end = BatchReader::end_offset(data, base);
    match record_batch::headers(data, Some(base)) {
        Ok(headers) => {
            let expected = headers.last().map(BatchHeader::next_offset);
            assert_eq!(
                end.ok(),
                Some(expected),
                "end_offset disagrees with headers"
            );
            assert_eq!(expected.is_none(), data.is_empty());
        }
        Err(_) => assert!(end.is_err(), "end_offset accepted what headers rejects"),
    }
}

/// Every record lies inside its batch, offsets strictly increase (across
/// batches too when they chain), and timestamps follow the batch's
/// timestamp type.
fn check_offsets(messages: &[RawMessage], headers: &[BatchHeader], chained: bool) {
    let total: i64 = headers.iter().map(|h| i64::from(h.record_count)).sum();
    assert_eq!(
        messages.len() as i64,
        total,
        "record count differs from the headers'"
    );
    let mut rest = messages;
    let mut previous = None;
    for header in headers {
        let (batch, tail) = rest.split_at(header.record_count as usize);
        rest = tail;
        if !chained {
            previous = None;
        }
        for m in batch {
            assert!(
                (header.base_offset..header.next_offset()).contains(&m.offset),
                "offset {} outside its batch {}..{}",
                m.offset,
                header.base_offset,
                header.next_offset()
            );
            assert!(previous < Some(m.offset), "offsets do not increase");
            previous = Some(m.offset);
            assert_eq!((&*m.topic, m.partition), (TOPIC, PARTITION));
            if header.log_append_time {
                assert_eq!(m.timestamp.kind, TimestampType::LogAppendTime);
                assert_eq!(m.timestamp.millis, header.max_timestamp);
            }
        }
    }
}

/// `decode_records` (the fetch path) yields the reader's records.
fn check_same_as_decode_records(
    data: &Bytes,
    headers: &[BatchHeader],
    messages: &[RawMessage],
    chained: bool,
) {
    let topic: Arc<str> = Arc::from(TOPIC);
    let mut pos = 0;
    let mut out = Vec::new();
    for header in headers {
        record_batch::decode_records(
            data,
            pos + BATCH_HEADER_LEN,
            pos + header.total_len,
            header,
            pos,
            &topic,
            PARTITION,
            i64::MIN,
            &mut out,
        )
        .expect("decode_records rejects a batch the reader accepted");
        pos += header.total_len;
    }
    assert_eq!(out, messages, "decode_records and the reader disagree");
    // Skipping the first half by offset keeps exactly the second half
    // (when offsets increase across batches, as they do chained).
    if let Some(middle) = messages.get(messages.len() / 2).filter(|_| chained) {
        let mut pos = 0;
        let mut tail = Vec::new();
        for header in headers {
            record_batch::decode_records(
                data,
                pos + BATCH_HEADER_LEN,
                pos + header.total_len,
                header,
                pos,
                &topic,
                PARTITION,
                middle.offset,
                &mut tail,
            )
            .expect("decode_records with a start offset");
            pos += header.total_len;
        }
        assert_eq!(tail, messages[messages.len() / 2..]);
    }
}

/// Re-encoding the decoded records and decoding again gives them back.
fn check_reencode(messages: &[RawMessage], base: i64) {
    if messages.is_empty() {
        return;
    }
    let records: Vec<ProduceRecord> = messages
        .iter()
        .map(|m| ProduceRecord {
            key: m.key.clone(),
            value: m.value.clone(),
            headers: m.headers.clone(),
            partition: Some(m.partition),
            timestamp: Some(m.timestamp),
        })
        .collect();
    let base = base.clamp(0, i64::MAX / 2);
    let mut buf = Vec::new();
    let next = record_batch::encode_batches(&mut buf, base, &records, 0);
    assert_eq!(next, base + records.len() as i64);
    let back = read_all(&Bytes::from(buf), Some(base)).expect("re-encoded records decode");
    assert_eq!(back.len(), messages.len());
    for (i, (b, m)) in back.iter().zip(messages).enumerate() {
        assert_eq!(b.offset, base + i as i64);
        assert_eq!(
            (&b.key, &b.value, &b.headers),
            (&m.key, &m.value, &m.headers)
        );
        assert_eq!(b.timestamp, m.timestamp);
    }
}

/// Rebasing keeps every batch valid and moves offsets by the same amount.
fn check_rebase(data: &Bytes, base: i64, chained: bool, messages: &[RawMessage]) {
    if !chained || messages.is_empty() {
        return;
    }
    let new_base = 1_000_000;
    let mut moved = data.to_vec();
    record_batch::rebase(&mut moved, new_base);
    let back = read_all(&Bytes::from(moved), Some(new_base)).expect("a rebased segment decodes");
    assert_eq!(back.len(), messages.len());
    for (b, m) in back.iter().zip(messages) {
        assert_eq!(
            b.offset - new_base,
            m.offset - base,
            "rebase moved offsets unevenly"
        );
        assert_eq!((&b.key, &b.value), (&m.key, &m.value));
    }
}

/// The cluster storage's fetch loop: any batch attributes, no chaining.
fn fetch_path(data: &Bytes) {
    let topic: Arc<str> = Arc::from(TOPIC);
    let mut pos = 0;
    let mut out = Vec::new();
    while !record_batch::is_partial(data, pos) {
        let Ok(header) = record_batch::parse_header(data, pos) else {
            return;
        };
        if record_batch::verify_crc(data, pos, &header).is_err() {
            return;
        }
        let end = pos + header.total_len;
        let before = out.len();
        if header.codec() == 0 && !header.is_control() {
            let from = header.next_offset() - 1;
            if record_batch::decode_records(
                data,
                pos + BATCH_HEADER_LEN,
                end,
                &header,
                pos,
                &topic,
                PARTITION,
                from,
                &mut out,
            )
            .is_err()
            {
                return;
            }
            for m in &out[before..] {
                assert!(m.offset >= from);
                assert!(m.offset < header.next_offset(), "offset past the batch");
            }
        }
        pos = end;
    }
}
