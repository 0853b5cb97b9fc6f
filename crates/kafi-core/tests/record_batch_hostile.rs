//! Batches a foreign or damaged writer could produce, with valid CRCs:
//! each is an error naming the problem, never a record at a wrong offset
//! or a huge allocation. (Found by the `record_batch` fuzz target.)

use std::sync::Arc;

use bytes::Bytes;
use kafi_core::record_batch::{
    decode_records, encode_batches, finish_batch, parse_header, BatchReader, BatchStart,
    BATCH_HEADER_LEN,
};
use kafi_core::{ProduceRecord, RawMessage, Timestamp};

fn two_records(base: i64) -> Vec<u8> {
    let records: Vec<ProduceRecord> = (0..2u8)
        .map(|i| ProduceRecord {
            value: Some(Bytes::from(vec![b'a' + i])),
            timestamp: Some(Timestamp::create_time(5)),
            ..ProduceRecord::default()
        })
        .collect();
    let mut buf = Vec::new();
    encode_batches(&mut buf, base, &records, 0);
    buf
}

/// Recomputes the length and CRC of the single batch in `buf`.
fn reseal(buf: &mut Vec<u8>) {
    finish_batch(
        buf,
        BatchStart {
            position: 0,
            base_timestamp: 5,
        },
    );
}

fn read(buf: Vec<u8>, base: i64) -> Result<Vec<RawMessage>, String> {
    let mut reader = BatchReader::new(Bytes::from(buf), Arc::from("t"), 0, base);
    let mut out = Vec::new();
    while let Some(m) = reader.next().map_err(|e| e.to_string())? {
        out.push(m);
    }
    Ok(out)
}

/// Position of the second record's offset delta (one-byte varints throughout).
fn second_offset_delta(buf: &[u8]) -> usize {
    let first_len = usize::from(buf[BATCH_HEADER_LEN]) / 2;
    BATCH_HEADER_LEN + 1 + first_len + 3
}

#[test]
fn a_record_offset_outside_its_batch_is_an_error() {
    let mut buf = two_records(100);
    let at = second_offset_delta(&buf);
    assert_eq!(buf[at], 2, "zig-zag offset delta 1");
    buf[at] = 10; // offset delta 5 in a batch of 2 records
    reseal(&mut buf);
    let err = read(buf, 100).unwrap_err();
    assert!(
        err.contains("offset delta 5 outside the batch's 0..=1"),
        "{err}"
    );
}

#[test]
fn record_offsets_out_of_order_are_an_error() {
    let mut buf = two_records(100);
    let at = second_offset_delta(&buf);
    buf[at] = 0; // the second record repeats offset 100
    reseal(&mut buf);
    let err = read(buf.clone(), 100).unwrap_err();
    assert!(
        err.contains("record offset 100 does not follow 100"),
        "{err}"
    );
    // The fetch path of the cluster storage checks the same.
    let data = Bytes::from(buf);
    let header = parse_header(&data, 0).unwrap();
    let mut out = Vec::new();
    let err = decode_records(
        &data,
        BATCH_HEADER_LEN,
        header.total_len,
        &header,
        0,
        &Arc::from("t"),
        0,
        0,
        &mut out,
    )
    .unwrap_err();
    assert!(err.reason.contains("does not follow"), "{}", err.reason);
}

#[test]
fn a_huge_record_count_reserves_no_more_than_the_bytes_hold() {
    let mut buf = two_records(0);
    buf[57..61].copy_from_slice(&i32::MAX.to_be_bytes());
    let data = Bytes::from(buf);
    let header = parse_header(&data, 0).unwrap();
    assert_eq!(header.record_count, i32::MAX);
    let mut out = Vec::new();
    let err = decode_records(
        &data,
        BATCH_HEADER_LEN,
        header.total_len,
        &header,
        0,
        &Arc::from("t"),
        0,
        0,
        &mut out,
    )
    .unwrap_err();
    assert!(err.reason.contains("malformed record"), "{}", err.reason);
    assert!(out.capacity() < 1000, "reserved {}", out.capacity());
}

#[test]
fn negative_or_overflowing_batch_offsets_are_errors() {
    for base in [-1, i64::MIN, i64::MAX, i64::MAX - 1] {
        let mut buf = two_records(0);
        buf[..8].copy_from_slice(&base.to_be_bytes());
        let err = parse_header(&buf, 0).unwrap_err();
        assert!(
            err.reason.contains("invalid batch offsets"),
            "{base}: {}",
            err.reason
        );
    }
    let mut buf = two_records(0);
    buf[23..27].copy_from_slice(&(-1i32).to_be_bytes()); // lastOffsetDelta
    reseal(&mut buf);
    assert!(parse_header(&buf, 0)
        .unwrap_err()
        .reason
        .contains("invalid batch offsets"));
}
