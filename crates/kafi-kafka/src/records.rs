//! Kafka's RecordBatch v2 on the wire: [`kafi_core::record_batch`] with
//! the records section compressed by kafka-protocol's codecs.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafi_core::record_batch::{self, BATCH_HEADER_LEN};
use kafi_core::{ProduceRecord, RawMessage};
use kafka_protocol::compression::{Compressor, Decompressor, Gzip, Lz4, Snappy, Zstd};

use crate::config::Compression;

/// Encodes `records` as one batch (base offset 0, as producers send it).
pub(crate) fn encode_batch(
    out: &mut BytesMut,
    records: &[ProduceRecord],
    compression: Compression,
    now: i64,
) -> Result<(), String> {
    let start = record_batch::start_batch(out, 0, records, compression.attribute(), now);
    let fill = |buf: &mut BytesMut| -> anyhow::Result<()> {
        record_batch::encode_records(buf, records, start.base_timestamp, now);
        Ok(())
    };
    let result = match compression {
        Compression::None => fill(out),
        Compression::Gzip => Gzip::compress(out, fill),
        Compression::Snappy => Snappy::compress(out, fill),
        Compression::Lz4 => Lz4::compress(out, fill),
        Compression::Zstd => Zstd::compress(out, fill),
    };
    result.map_err(|e| format!("compressing with {compression:?}: {e:#}"))?;
    record_batch::finish_batch(out, start);
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
    // A partial batch at the end of the response is left for the next fetch.
    while !record_batch::is_partial(data, pos) {
        let header = record_batch::parse_header(data, pos).map_err(|e| e.reason)?;
        record_batch::verify_crc(data, pos, &header).map_err(|e| e.reason)?;
        let batch_pos = pos;
        let end = pos + header.total_len;
        pos = end;
        next = Some(header.next_offset());
        if header.is_control() || header.next_offset() - 1 < from {
            continue;
        }
        let records_start = batch_pos + BATCH_HEADER_LEN;
        let result = match header.codec() {
            0 => record_batch::decode_records(
                data,
                records_start,
                end,
                &header,
                batch_pos,
                topic,
                partition,
                from,
                out,
            ),
            codec => {
                let body = decompress(codec, data.slice(records_start..end))
                    .map_err(|e| format!("batch at offset {}: {e}", header.base_offset))?;
                record_batch::decode_records(
                    &body,
                    0,
                    body.len(),
                    &header,
                    batch_pos,
                    topic,
                    partition,
                    from,
                    out,
                )
            }
        };
        result.map_err(|e| e.reason)?;
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

#[cfg(test)]
mod tests {
    use kafi_core::Timestamp;

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

    #[test]
    fn skips_control_batches_and_reports_bad_checksums() {
        let mut buf = BytesMut::new();
        let start =
            record_batch::start_batch(&mut buf, 3, &sample(), record_batch::ATTR_CONTROL, 5);
        record_batch::encode_records(&mut buf, &sample(), start.base_timestamp, 5);
        record_batch::finish_batch(&mut buf, start);
        let control_len = buf.len();
        encode_batch(&mut buf, &sample(), Compression::Lz4, 5).unwrap();
        buf[control_len..control_len + 8].copy_from_slice(&5i64.to_be_bytes());
        let data = buf.clone().freeze();
        let mut out = Vec::new();
        let next = decode_batches(&data, &Arc::from("t"), 0, 0, &mut out).unwrap();
        assert_eq!(next, Some(7));
        assert_eq!(out.iter().map(|m| m.offset).collect::<Vec<_>>(), [5, 6]);
        let last = buf.len() - 1;
        buf[last] ^= 1;
        let err = decode_batches(&buf.freeze(), &Arc::from("t"), 0, 0, &mut out).unwrap_err();
        assert!(
            err.contains("checksum mismatch in batch at offset 5"),
            "{err}"
        );
    }
}
