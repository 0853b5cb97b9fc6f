#![doc = include_str!("../README.md")]

#[cfg(feature = "blocking")]
pub mod blocking;

pub use kafi_config as config;
pub use kafi_core as core;
pub use kafi_fs as fs;
pub use kafi_serde as serde;
pub use kafi_shell as shell;

pub use kafi_config::{SerdeType, StorageConfig, StorageKind};
pub use kafi_serde::{Data, Message};
pub use kafi_shell::{Error, ReadOptions, Result, Shell, WriteOptions};

use std::sync::Arc;

/// Opens the storage `kind` named `name` (a config resolved as described in
/// [`StorageConfig::load`]).
pub fn open(kind: StorageKind, name: &str) -> Result<Shell> {
    let config = StorageConfig::load(kind, name).map_err(kafi_core::Error::from)?;
    open_config(&config)
}

/// Opens the storage a loaded config describes.
pub fn open_config(config: &StorageConfig) -> Result<Shell> {
    let storage: Arc<dyn kafi_core::Storage> = match config.kind {
        StorageKind::Local => Arc::new(kafi_fs::FsStorage::local(config)?),
        other => {
            return Err(kafi_core::Error::Unsupported {
                storage: other.as_str(),
                operation: "opening (this storage kind is not built into this version of kafi)",
            }
            .into())
        }
    };
    Ok(Shell::new(storage))
}

/// Kafka emulated on the local file system (the seed's `Local`).
#[derive(Debug)]
pub struct Local;

impl Local {
    /// Opens the local storage configured in `name` (e.g. `configs/locals/local.yaml`).
    #[allow(clippy::new_ret_no_self)]
    pub fn new(name: &str) -> Result<Shell> {
        open(StorageKind::Local, name)
    }
}

/// The repository README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
