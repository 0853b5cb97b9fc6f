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

mod decode;
mod encode;
#[cfg(test)]
mod tests;

pub use decode::*;
pub use encode::*;

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

pub(crate) fn error_at(pos: usize, reason: String) -> DecodeError {
    DecodeError {
        position: pos as u64,
        reason,
    }
}
