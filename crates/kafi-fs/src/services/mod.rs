//! The services a file-backed storage stands on, one module each: a
//! service turns its section of the storage config into a [`Store`] (an
//! opendal operator for object stores, or the local file system with
//! kafi's own atomic writes).
//!
//! Adding a service (S3, Azure Blob, ...) is one module here with an
//! `open` function, declared and matched below behind its cargo feature;
//! everything above the [`Store`] (topics, segments, groups, the objects
//! of the emulated Schema Registry) is shared by every service.

use kafi_config::{BackendSection, StorageConfig};
use kafi_core::{Error, Result};

use crate::store::Store;

mod local;

/// Opens the store `config`'s storage section describes.
pub(crate) async fn open(config: &StorageConfig) -> Result<Store> {
    match &config.backend {
        BackendSection::Local(section) => local::open(section).await,
        other => Err(Error::Unsupported {
            storage: other.kind().as_str(),
            operation: "opening (this storage kind is not built into this version of kafi)",
        }),
    }
}
