//! The storage's [`ObjectStore`] below a prefix ([`Storage::objects`]), for
//! data kept beside the topics (e.g. the emulated Schema Registry under
//! `schemas/`). Same guarantees as the topics' objects, on every service:
//! whole-object reads, atomic create-if-absent and atomic replace.
//!
//! [`Storage::objects`]: kafi_core::Storage::objects

use async_trait::async_trait;
use bytes::Bytes;
use kafi_core::{ObjectStore, Result};

use crate::store::Store;

/// Objects below one prefix of a storage root.
#[derive(Clone, Debug)]
pub(crate) struct FsObjects {
    store: Store,
    prefix: String,
}

impl FsObjects {
    /// The objects below `prefix` (e.g. `"schemas"`) of `store`.
    pub(crate) fn new(store: Store, prefix: &str) -> Self {
        Self {
            store,
            prefix: prefix.trim_matches('/').to_owned(),
        }
    }

    fn path(&self, path: &str) -> String {
        format!("{}/{}", self.prefix, path.trim_start_matches('/'))
    }
}

#[async_trait]
impl ObjectStore for FsObjects {
    async fn read(&self, path: &str) -> Result<Option<Bytes>> {
        self.store.read(&self.path(path)).await
    }

    async fn put(&self, path: &str, data: Bytes) -> Result<()> {
        self.store.put(&self.path(path), data).await
    }

    async fn put_if_absent(&self, path: &str, data: Bytes) -> Result<bool> {
        self.store.put_if_absent(&self.path(path), data).await
    }

    async fn list(&self, dir: &str) -> Result<Vec<String>> {
        self.store.list(&self.path(dir)).await
    }

    async fn delete(&self, path: &str) -> Result<()> {
        self.store.delete(&self.path(path)).await
    }

    fn display(&self, path: &str) -> String {
        self.store.display(&self.path(path))
    }
}
