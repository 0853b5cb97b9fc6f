//! Kafka's Java default partitioner, so a keyed message lands on the same
//! partition on every kafi storage as it would with the Java client.

/// Kafka's `Utils.murmur2` (seed `0x9747b28c`).
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let length = data.len();
    let mut h: u32 = SEED ^ (length as u32);
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    if rest.len() >= 3 {
        h ^= (rest[2] as u32) << 16;
    }
    if rest.len() >= 2 {
        h ^= (rest[1] as u32) << 8;
    }
    if !rest.is_empty() {
        h ^= rest[0] as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition Kafka's Java `DefaultPartitioner` picks for a key:
/// `toPositive(murmur2(key)) % partitions`.
///
/// # Panics
/// Never; `partitions` below 1 is treated as 1.
pub fn murmur2_partition(key: &[u8], partitions: i32) -> i32 {
    let positive = murmur2(key) & 0x7fff_ffff;
    positive % partitions.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from Kafka's own `UtilsTest.testMurmur2`.
    #[test]
    fn murmur2_matches_kafka_vectors() {
        let cases: &[(&str, i32)] = &[
            ("21", -973932308),
            ("foobar", -790332482),
            ("a-little-bit-long-string", -985981536),
            ("a-little-bit-longer-string", -1486304829),
            (
                "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58897971,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(murmur2(input.as_bytes()), *expected, "murmur2({input:?})");
        }
        assert_eq!(murmur2(b"abc"), 479470107);
    }

    // Partitions the Java client chooses (BuiltInPartitioner.partitionForKey).
    #[test]
    fn partition_for_key_matches_java_client() {
        assert_eq!(
            murmur2_partition(b"foobar", 3),
            (-790332482i32 & 0x7fffffff) % 3
        );
        assert_eq!(
            murmur2_partition(b"21", 6),
            (-973932308i32 & 0x7fffffff) % 6
        );
        for p in 1..8 {
            assert!((0..p).contains(&murmur2_partition(b"key", p)));
        }
    }
}
