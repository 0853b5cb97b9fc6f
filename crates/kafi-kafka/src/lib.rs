#![doc = include_str!("../README.md")]
//!
//! ## Example
//!
//! ```no_run
//! # async fn demo() -> kafi_core::Result<()> {
//! use kafi_core::Storage;
//! let cluster = kafi_kafka::ClusterStorage::connect_plaintext(
//!     "localhost:9092",
//!     kafi_kafka::ClusterOptions::default(),
//! )
//! .await?;
//! println!("{:?}", cluster.list_topics(None, false).await?);
//! # Ok(())
//! # }
//! ```

mod acl;
mod client;
pub mod config;
mod configs;
mod conn;
mod consumer;
mod deletion;
pub mod error;
mod group;
mod ops;
mod producer;
mod records;
mod sasl;
mod storage;

pub use config::{ClientConfig, ClusterOptions};
pub use error::{Error, ErrorCode};
pub use storage::ClusterStorage;
