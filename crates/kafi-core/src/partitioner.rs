//! The one partitioner of kafi, used by every backend's producer, so a
//! message lands on the same partition on every kafi storage as it would
//! with Kafka's Java client:
//!
//! - an explicit partition is kept, and must exist;
//! - a keyed record goes to `toPositive(murmur2(key)) % partitions`
//!   (Java's `BuiltInPartitioner.partitionForKey`, also librdkafka's
//!   `murmur2_random`);
//! - a keyless record goes to the current *sticky* partition, which moves on
//!   to the next partition once a batch was written to it (Java's sticky
//!   partitioning, KIP-480).
//!
//! ```
//! use kafi_core::{partitioner::Partitioner, ProduceRecord};
//!
//! let mut p = Partitioner::new("t", 3);
//! let keyed = ProduceRecord::value("v").with_key("123");
//! assert_eq!(p.partition(&keyed)?, p.partition(&keyed)?);
//! let keyless = ProduceRecord::value("v");
//! let sticky = p.partition(&keyless)?;
//! p.batch_written(sticky);
//! assert_eq!(p.partition(&keyless)?, (sticky + 1) % 3);
//! let explicit = ProduceRecord { partition: Some(5), ..keyless };
//! assert!(p.partition(&explicit).is_err()); // the topic has 3 partitions
//! # Ok::<(), kafi_core::Error>(())
//! ```

use crate::message::now_millis;
use crate::{Error, ProduceRecord, Result};

/// Chooses the partition of each record produced to one topic.
#[derive(Clone, Debug)]
pub struct Partitioner {
    topic: String,
    partitions: i32,
    sticky: i32,
}

impl Partitioner {
    /// A partitioner for `topic` with `partitions` partitions (at least 1).
    /// The first sticky partition depends on the clock, so that producers
    /// started together spread their keyless records.
    pub fn new(topic: &str, partitions: i32) -> Self {
        let partitions = partitions.max(1);
        Self {
            topic: topic.to_owned(),
            partitions,
            sticky: (now_millis().rem_euclid(i64::from(partitions))) as i32,
        }
    }

    /// The number of partitions it chooses from.
    pub fn partitions(&self) -> i32 {
        self.partitions
    }

    /// Whether `partition` exists.
    pub fn contains(&self, partition: i32) -> bool {
        (0..self.partitions).contains(&partition)
    }

    /// The partition for `record`: its explicit partition (an error naming
    /// the topic if it does not exist), else by key, else the sticky one.
    /// A negative explicit partition means "any", as librdkafka's `-1`
    /// (`RD_KAFKA_PARTITION_UA`) does.
    #[inline]
    pub fn partition(&self, record: &ProduceRecord) -> Result<i32> {
        match (record.partition, &record.key) {
            (Some(p), _) if p >= 0 => {
                if p >= self.partitions {
                    return Err(Error::PartitionNotFound {
                        topic: self.topic.clone(),
                        partition: p,
                        partitions: self.partitions,
                    });
                }
                Ok(p)
            }
            (_, Some(key)) => Ok(murmur2_partition(key, self.partitions)),
            (_, None) => Ok(self.sticky),
        }
    }

    /// Tells the partitioner that a batch was written to `partition`: when
    /// it is the sticky one, keyless records move on to the next partition.
    pub fn batch_written(&mut self, partition: i32) {
        if partition == self.sticky {
            self.sticky = (self.sticky + 1) % self.partitions;
        }
    }
}

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

    #[test]
    fn explicit_partitions_are_kept_and_checked() {
        let p = Partitioner::new("t", 4);
        let record = |partition| ProduceRecord {
            partition: Some(partition),
            ..ProduceRecord::value("v").with_key("k")
        };
        assert_eq!(p.partition(&record(3)).unwrap(), 3);
        let err = p.partition(&record(4)).unwrap_err();
        assert!(
            matches!(err, Error::PartitionNotFound { partition: 4, partitions: 4, ref topic } if topic == "t"),
            "{err}"
        );
        // A negative partition lets the key decide.
        assert_eq!(
            p.partition(&record(-1)).unwrap(),
            murmur2_partition(b"k", 4)
        );
        assert!(p.contains(0) && p.contains(3) && !p.contains(4) && !p.contains(-1));
    }

    #[test]
    fn keyless_records_stick_until_a_batch_is_written() {
        let mut p = Partitioner::new("t", 3);
        let keyless = ProduceRecord::value("v");
        let first = p.partition(&keyless).unwrap();
        assert_eq!(p.partition(&keyless).unwrap(), first);
        // A batch of another partition does not move it.
        p.batch_written((first + 1) % 3);
        assert_eq!(p.partition(&keyless).unwrap(), first);
        p.batch_written(first);
        assert_eq!(p.partition(&keyless).unwrap(), (first + 1) % 3);
        // One partition (or a bad count) always gives 0.
        let mut one = Partitioner::new("t", 0);
        assert_eq!(one.partitions(), 1);
        one.batch_written(0);
        assert_eq!(one.partition(&keyless).unwrap(), 0);
    }

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
