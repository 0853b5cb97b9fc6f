//! The Confluent wire format: pure sync functions on byte buffers.
//!
//! ```text
//! byte 0      magic byte 0
//! bytes 1..5  schema id, 4 bytes big-endian
//! (protobuf)  message indexes: zig-zag varint count, then each index as a
//!             zig-zag varint; the list [0] is written as the single byte 0
//! rest        the payload
//! ```

/// The magic byte every schema-registry-framed message starts with.
pub const MAGIC_BYTE: u8 = 0;

/// Why bytes are not in the wire format.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Fewer than 5 bytes.
    #[error("{0} byte(s) is too short for the schema registry wire format (magic byte 0 and a 4-byte schema id)")]
    TooShort(usize),
    /// The first byte is not 0.
    #[error("first byte is {0}, not the magic byte 0 (the message was not written with a schema registry serializer)")]
    NoMagicByte(u8),
    /// A truncated or overlong varint in the protobuf message indexes.
    #[error("malformed protobuf message-index list")]
    BadIndexes,
}

/// Splits `bytes` into the schema id and the rest.
#[inline]
pub fn read_header(bytes: &[u8]) -> Result<(i32, &[u8]), WireError> {
    if bytes.len() < 5 {
        return Err(match bytes.first() {
            Some(&b) if b != MAGIC_BYTE => WireError::NoMagicByte(b),
            _ => WireError::TooShort(bytes.len()),
        });
    }
    if bytes[0] != MAGIC_BYTE {
        return Err(WireError::NoMagicByte(bytes[0]));
    }
    let id = i32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    Ok((id, &bytes[5..]))
}

/// The schema id of `bytes`, if they are in the wire format.
#[inline]
pub fn schema_id(bytes: &[u8]) -> Option<i32> {
    read_header(bytes).ok().map(|(id, _)| id)
}

/// Appends the magic byte and `id`.
#[inline]
pub fn write_header(out: &mut Vec<u8>, id: i32) {
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&id.to_be_bytes());
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_varint(bytes: &[u8]) -> Result<(u64, &[u8]), WireError> {
    let mut v = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((v, &bytes[i + 1..]));
        }
    }
    Err(WireError::BadIndexes)
}

/// Appends the protobuf message-index list (`[0]` as the single byte 0).
pub fn write_message_indexes(out: &mut Vec<u8>, indexes: &[i32]) {
    if indexes == [0] {
        out.push(0);
        return;
    }
    write_varint(out, zigzag(indexes.len() as i64));
    for &i in indexes {
        write_varint(out, zigzag(i64::from(i)));
    }
}

/// Reads the protobuf message-index list; a count of 0 means `[0]`.
pub fn read_message_indexes(bytes: &[u8]) -> Result<(Vec<i32>, &[u8]), WireError> {
    let (count, mut rest) = read_varint(bytes)?;
    let count = unzigzag(count);
    if count == 0 {
        return Ok((vec![0], rest));
    }
    if count < 0 || count as usize > rest.len() {
        return Err(WireError::BadIndexes);
    }
    let mut indexes = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let (v, r) = read_varint(rest)?;
        let v = unzigzag(v);
        indexes.push(i32::try_from(v).map_err(|_| WireError::BadIndexes)?);
        rest = r;
    }
    Ok((indexes, rest))
}

/// The subject of a topic's key or value by TopicNameStrategy:
/// `<topic>-key` or `<topic>-value`.
pub fn topic_name_subject(topic: &str, is_key: bool) -> String {
    format!("{topic}-{}", if is_key { "key" } else { "value" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn header_round_trip() {
        let mut out = Vec::new();
        write_header(&mut out, 0x01020304);
        out.extend_from_slice(b"xy");
        assert_eq!(out, [0, 1, 2, 3, 4, b'x', b'y']);
        assert_eq!(read_header(&out).unwrap(), (0x01020304, &b"xy"[..]));
        assert_eq!(schema_id(&out), Some(0x01020304));
    }

    #[test]
    fn header_errors() {
        assert_eq!(read_header(b"{\"a\":1}"), Err(WireError::NoMagicByte(b'{')));
        assert_eq!(read_header(b"\x00\x00"), Err(WireError::TooShort(2)));
        assert_eq!(read_header(b""), Err(WireError::TooShort(0)));
        assert_eq!(read_header(b"\x07"), Err(WireError::NoMagicByte(7)));
    }

    #[test]
    fn indexes_single_zero_shortcut() {
        let mut out = Vec::new();
        write_message_indexes(&mut out, &[0]);
        assert_eq!(out, [0]);
        assert_eq!(
            read_message_indexes(&[0, 9]).unwrap(),
            (vec![0], &[9u8][..])
        );
    }

    #[test]
    fn indexes_known_bytes() {
        // Confluent: [1] -> count 1 (zigzag 2), index 1 (zigzag 2).
        let mut out = Vec::new();
        write_message_indexes(&mut out, &[1]);
        assert_eq!(out, [2, 2]);
        out.clear();
        write_message_indexes(&mut out, &[0, 2]);
        assert_eq!(out, [4, 0, 4]);
    }

    #[test]
    fn indexes_truncated() {
        assert_eq!(read_message_indexes(&[4, 0]), Err(WireError::BadIndexes));
        assert_eq!(read_message_indexes(&[0x80]), Err(WireError::BadIndexes));
    }

    proptest! {
        #[test]
        fn indexes_round_trip(indexes in proptest::collection::vec(0i32..100_000, 1..6), tail in proptest::collection::vec(any::<u8>(), 0..8)) {
            let mut out = Vec::new();
            write_message_indexes(&mut out, &indexes);
            out.extend_from_slice(&tail);
            let (back, rest) = read_message_indexes(&out).unwrap();
            prop_assert_eq!(back, indexes);
            prop_assert_eq!(rest, &tail[..]);
        }

        #[test]
        fn header_any_id(id in any::<i32>()) {
            let mut out = Vec::new();
            write_header(&mut out, id);
            prop_assert_eq!(read_header(&out).unwrap().0, id);
        }
    }

    #[test]
    fn subjects() {
        assert_eq!(topic_name_subject("t", false), "t-value");
        assert_eq!(topic_name_subject("t", true), "t-key");
    }
}
