//! The bottom of the kafi workspace: the message model, the storage traits
//! every backend implements, and the Kafka conventions (topic names, the
//! default partitioner) that must behave the same on every storage.
//!
//! Backends (`kafi-fs`, later `kafi-kafka`, `kafi-restproxy`) implement
//! [`Storage`], [`RawProducer`] and [`RawConsumer`]; `kafi-shell` builds the
//! shell commands and functional operations on top of these traits only.
//!
//! ```
//! use kafi_core::{partitioner::murmur2_partition, topic::validate_topic_name};
//!
//! assert!(validate_topic_name("topic_json").is_ok());
//! assert!(validate_topic_name("../etc").is_err());
//! // Kafka's Java client puts the key "123" of a 3-partition topic here:
//! let p = murmur2_partition(b"123", 3);
//! assert!((0..3).contains(&p));
//! ```

pub mod error;
pub mod message;
pub mod partitioner;
pub mod record_batch;
pub mod storage;
pub mod topic;

pub use error::{Error, Result};
pub use kafi_config as config;
pub use message::{Header, Headers, ProduceRecord, RawMessage, Timestamp, TimestampType};
pub use storage::{
    Acl, ConsumerOptions, GroupDescription, PartitionInfo, ProducerOptions, RawConsumer,
    RawProducer, StartOffsets, Storage, TopicInfo, TopicSpec,
};
