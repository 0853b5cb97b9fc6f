#![doc = include_str!("../README.md")]
// docs.rs (`--cfg docsrs`, nightly) labels feature-gated items with their features.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "blocking")]
pub mod blocking;

/// The `bytes` crate: raw keys, values and headers are [`bytes::Bytes`].
pub use bytes;
/// The `serde_json` crate: JSON values are [`serde_json::Value`]s.
pub use serde_json;

pub use kafi_config as config;
pub use kafi_core as core;
pub use kafi_fs as fs;
#[cfg(feature = "cluster")]
pub use kafi_kafka as kafka;
pub use kafi_registry as registry;
pub use kafi_serde as serde;
pub use kafi_shell as shell;

mod schema_registry;
pub use schema_registry::attach_schema_registry;

pub use kafi_config::{SerdeType, StorageConfig, StorageKind};
pub use kafi_serde::{Data, Message};
pub use kafi_shell::{Error, ReadOptions, Result, Shell, WriteOptions};

use std::sync::Arc;

use kafi_config::BackendSection;
use kafi_core::Storage;

/// Opens the storage `kind` named `name` (a config resolved as described in
/// [`StorageConfig::load`]).
pub async fn open(kind: StorageKind, name: &str) -> Result<Shell> {
    let config = StorageConfig::load(kind, name).map_err(kafi_core::Error::from)?;
    open_config(&config).await
}

/// Opens the storage a loaded config describes, with the schema registry
/// its `schema_registry` section selects and its `kafi` settings.
///
/// Each storage crate connects from the config itself; this is the one
/// place that knows which crate serves which storage kind.
pub async fn open_config(config: &StorageConfig) -> Result<Shell> {
    let storage: Arc<dyn Storage> = match &config.backend {
        // Every service of files and object stores; kafi-fs picks it.
        BackendSection::Local(_) | BackendSection::S3(_) | BackendSection::AzureBlob(_) => {
            Arc::new(kafi_fs::FsStorage::connect(config).await?)
        }
        #[cfg(feature = "cluster")]
        BackendSection::Kafka(_) => Arc::new(kafi_kafka::ClusterStorage::connect(config).await?),
        other => {
            return Err(kafi_core::Error::Unsupported {
                storage: other.kind().as_str(),
                operation: "opening (this storage kind is not built into this version of kafi)",
            }
            .into())
        }
    };
    attach_schema_registry(Shell::new(storage, config.kafi.clone()), config)
}

/// Kafka emulated on the local file system (the seed's `Local`).
#[derive(Debug)]
pub struct Local;

impl Local {
    /// Opens the local storage configured in `name` (e.g. `configs/locals/local.yaml`).
    #[allow(clippy::new_ret_no_self)]
    pub async fn new(name: &str) -> Result<Shell> {
        open(StorageKind::Local, name).await
    }
}

/// A Kafka cluster (the seed's `Cluster`).
#[cfg(feature = "cluster")]
#[derive(Debug)]
pub struct Cluster;

#[cfg(feature = "cluster")]
impl Cluster {
    /// Connects to the cluster configured in `name` (e.g. `configs/clusters/local.yaml`).
    #[allow(clippy::new_ret_no_self)]
    pub async fn new(name: &str) -> Result<Shell> {
        open(StorageKind::Cluster, name).await
    }
}

/// The repository README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
