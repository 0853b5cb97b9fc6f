//! Kafka emulated on files and object stores.
//!
//! A storage root holds topics of partitions of immutable segments, each
//! segment one or more Kafka RecordBatch v2 batches (CRC-32C) named by the
//! offset of its first record. Writers claim a segment name with an atomic
//! create-if-absent, so concurrent producers never reuse an offset, and a
//! crash never leaves a torn batch visible. See `docs/storage-format.md`.
//!
//! ```
//! # async fn demo() -> kafi_core::Result<()> {
//! use kafi_core::{Storage, TopicSpec};
//! let dir = tempfile::tempdir().unwrap();
//! let local = kafi_fs::FsStorage::local_at(dir.path(), Default::default())?;
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
mod storage;
mod store;
mod versioned;

pub use objects::ObjectStore;
pub use storage::FsStorage;
