//! A public view of the storage's object store below a prefix, for data
//! kept beside the topics (e.g. the emulated Schema Registry under
//! `schemas/`). Same guarantees as the topics' objects: whole-object reads,
//! atomic create-if-absent and atomic replace.

use bytes::Bytes;
use kafi_core::Result;

use crate::store::Store;
use crate::FsStorage;

/// Objects below one prefix of a storage root.
#[derive(Clone, Debug)]
pub struct ObjectStore {
    store: Store,
    prefix: String,
}

impl FsStorage {
    /// The objects below `prefix` (e.g. `"schemas"`) of this storage's root.
    pub fn objects(&self, prefix: &str) -> ObjectStore {
        ObjectStore {
            store: self.inner.store.clone(),
            prefix: prefix.trim_matches('/').to_owned(),
        }
    }
}

impl ObjectStore {
    fn path(&self, path: &str) -> String {
        format!("{}/{}", self.prefix, path.trim_start_matches('/'))
    }

    /// Where `path` is, for messages.
    pub fn display(&self, path: &str) -> String {
        self.store.display(&self.path(path))
    }

    /// Reads a whole object; `None` if it does not exist.
    pub async fn read(&self, path: &str) -> Result<Option<Bytes>> {
        self.store.read(&self.path(path)).await
    }

    /// Creates or replaces an object atomically.
    pub async fn put(&self, path: &str, data: Bytes) -> Result<()> {
        self.store.put(&self.path(path), data).await
    }

    /// Creates an object unless it exists; `false` if it existed.
    pub async fn put_if_absent(&self, path: &str, data: Bytes) -> Result<bool> {
        self.store.put_if_absent(&self.path(path), data).await
    }

    /// Names directly below `dir`, sorted; directories end in `/`.
    pub async fn list(&self, dir: &str) -> Result<Vec<String>> {
        self.store.list(&self.path(dir)).await
    }

    /// Deletes one object (missing is fine).
    pub async fn delete(&self, path: &str) -> Result<()> {
        self.store.delete(&self.path(path)).await
    }
}
