//! The `cluster` storage of kafi: a real Kafka cluster.
//!
//! Topic deletion and record deletion go through [rskafka]; everything
//! else kafi needs and rskafka lacks (consumer groups, committed offsets,
//! configs, ACLs, brokers) is spoken directly in the Kafka protocol with
//! the `kafka-protocol` crate over connections of its own. Produce and
//! Fetch use kafi's own RecordBatch codec, because kafi keeps headers with
//! duplicate keys and null values, and hands out keys and values as slices
//! of the fetched buffer.
//!
//! ```no_run
//! # async fn demo() -> kafi_core::Result<()> {
//! use kafi_core::Storage;
//! let cluster = kafi_kafka::ClusterStorage::connect_plaintext(
//!     "localhost:9092",
//!     kafi_config::KafiSettings::default(),
//! )
//! .await?;
//! println!("{:?}", cluster.list_topics(None, false).await?);
//! # Ok(())
//! # }
//! ```

mod acl;
mod client;
pub mod config;
mod conn;
mod consumer;
pub mod error;
mod group;
mod ops;
mod producer;
mod records;
mod sasl;
mod storage;

pub use config::ClientConfig;
pub use error::KafkaError;
pub use storage::ClusterStorage;
