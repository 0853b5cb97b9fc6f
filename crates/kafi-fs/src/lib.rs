//! Kafka emulated on files and object stores.
//!
//! A storage root holds topics of partitions of immutable segments, each
//! segment one or more Kafka RecordBatch v2 batches (CRC-32C) named by the
//! offset of its first record. Writers claim a segment name with an atomic
//! create-if-absent, so concurrent producers never reuse an offset, and a
//! crash never leaves a torn batch visible. See `docs/storage-format.md`.
//!
//! [`FsStorage::connect`] opens the storage a config describes on the
//! service its storage section names; each service (the local file system
//! today, S3 and Azure Blob next) is one module of `services/` that turns
//! its config section into the object store everything else stands on.
//! Besides topics and groups, a storage keeps plain objects for others
//! ([`Storage::objects`](kafi_core::Storage::objects)): the emulated Schema
//! Registry of `kafi-registry` lives below `schemas/`.
//!
//! ```
//! # async fn demo() -> kafi_core::Result<()> {
//! use kafi_core::{Storage, TopicSpec};
//! let dir = tempfile::tempdir().unwrap();
//! let yaml = format!("local:\n  root.dir: {}\n", dir.path().display());
//! let config = kafi_config::StorageConfig::from_yaml_str(
//!     kafi_config::StorageKind::Local, "demo", &yaml, None)?;
//! let local = kafi_fs::FsStorage::connect(&config).await?;
//! assert_eq!(local.name(), "local:demo");
//! local.create_topic("topic_json", &TopicSpec { partitions: 3, ..Default::default() }).await?;
//! assert!(local.topic_exists("topic_json").await?);
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
//! ```

pub mod batch;
mod consumer;
mod groups;
mod layout;
mod meta;
mod objects;
mod producer;
mod random;
mod segments;
mod services;
mod storage;
mod store;
mod versioned;

pub use storage::FsStorage;
