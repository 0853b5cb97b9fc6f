//! Round trips and malformed input.

use std::sync::Arc;

use bytes::Bytes;

use super::*;
use crate::{Headers, ProduceRecord, RawMessage, Timestamp, TimestampType};

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
