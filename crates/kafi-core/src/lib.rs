//! The bottom of the kafi workspace: the message model, the storage traits
//! every backend implements, and the Kafka conventions (topic names, the
//! partitioner) that must behave the same on every storage.
//!
//! - [`message`]: [`RawMessage`] (what is read) and [`ProduceRecord`] (what
//!   is written), keys and values as undecoded bytes;
//! - [`storage`]: [`Storage`], [`RawProducer`] and [`RawConsumer`], which the
//!   backends implement (`kafi-fs` for files and object stores, `kafi-kafka`
//!   for clusters) and on which `kafi-shell` builds every command;
//! - [`objects`]: [`ObjectStore`], the whole objects a file-backed storage
//!   keeps beside its topics ([`Storage::objects`]), on which the emulated
//!   Schema Registry stands;
//! - [`partitioner`]: the one [`Partitioner`] every producer uses;
//! - [`record_batch`]: Kafka's RecordBatch v2 codec, shared by the segment
//!   files and the Kafka wire protocol;
//! - [`topic`]: topic name rules and name patterns;
//! - [`kind`]: [`StorageKind`], [`SerdeType`], [`AutoOffsetReset`];
//! - [`error`]: this crate's [`Error`], the workspace's [`BoxError`], and
//!   [`ErrorKind`], which every kafi error type reports through `kind()`.
//!
//! This crate has no configuration format: `kafi-config` (YAML) stands on
//! it, not the other way round.
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
pub mod kind;
pub mod message;
pub mod objects;
pub mod partitioner;
pub mod record_batch;
pub mod storage;
pub mod topic;

pub use error::{BoxError, Error, ErrorKind, Result};
pub use kind::{AutoOffsetReset, ParseEnumError, SerdeType, StorageKind};
pub use message::{Header, Headers, ProduceRecord, RawMessage, Timestamp, TimestampType};
pub use objects::ObjectStore;
pub use partitioner::Partitioner;
pub use storage::{
    Acl, ConsumerOptions, GroupDescription, PartitionInfo, ProducerOptions, RawConsumer,
    RawProducer, StartOffsets, Storage, TopicInfo, TopicSpec,
};
