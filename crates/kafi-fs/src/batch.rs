//! The segment format: each segment is one or more complete, uncompressed
//! Kafka RecordBatch v2 batches whose base offsets follow on from the
//! segment's name. The codec itself is [`kafi_core::record_batch`].

use kafi_core::record_batch;
pub use kafi_core::record_batch::{
    read_plain_header as read_header, BatchHeader, BatchReader as SegmentReader, DecodeError,
    BATCH_HEADER_LEN,
};
use kafi_core::ProduceRecord;

/// Encodes records as batches appended to `out`, starting at `base_offset`.
/// Consecutive records with log-append timestamps form their own batch,
/// since the timestamp type is a batch attribute. Returns the next offset.
pub fn encode_segment(
    out: &mut Vec<u8>,
    base_offset: i64,
    records: &[ProduceRecord],
    now: i64,
) -> i64 {
    record_batch::encode_batches(out, base_offset, records, now)
}

/// Walks the batch headers of a segment, checking lengths but not CRCs.
/// The base offsets must chain from `base` (the segment's name), since
/// they lie outside the CRC.
pub fn headers(data: &[u8], base: i64) -> Result<Vec<BatchHeader>, DecodeError> {
    record_batch::headers(data, Some(base))
}

/// Rewrites the base offsets of every batch in `segment` so it starts at
/// `base_offset` (the base offset is outside the CRC).
pub fn rebase_segment(segment: &mut [u8], base_offset: i64) {
    record_batch::rebase(segment, base_offset)
}
