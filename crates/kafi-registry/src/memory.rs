//! [`MemoryStore`]: an [`ObjectStore`] in memory, for tests and throw-away
//! registries ([`EmulatedRegistry::in_memory`](crate::EmulatedRegistry::in_memory)).

use std::collections::BTreeMap;

use async_trait::async_trait;
use bytes::Bytes;
use kafi_core::{ObjectStore, Result};

/// Objects in a map in memory, with the [`ObjectStore`] guarantees (one
/// process only).
#[derive(Debug, Default)]
pub struct MemoryStore {
    objects: std::sync::Mutex<BTreeMap<String, Bytes>>,
}

#[async_trait]
impl ObjectStore for MemoryStore {
    async fn read(&self, path: &str) -> Result<Option<Bytes>> {
        Ok(self
            .objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
            .cloned())
    }
    async fn put(&self, path: &str, data: Bytes) -> Result<()> {
        self.objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_owned(), data);
        Ok(())
    }
    async fn put_if_absent(&self, path: &str, data: Bytes) -> Result<bool> {
        let mut objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        if objects.contains_key(path) {
            return Ok(false);
        }
        objects.insert(path.to_owned(), data);
        Ok(true)
    }
    async fn list(&self, dir: &str) -> Result<Vec<String>> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        let objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        let mut names: Vec<String> = objects
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .map(|rest| match rest.split_once('/') {
                Some((d, _)) => format!("{d}/"),
                None => rest.to_owned(),
            })
            .collect();
        names.dedup();
        Ok(names)
    }
    async fn delete(&self, path: &str) -> Result<()> {
        self.objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(path);
        Ok(())
    }
    fn display(&self, path: &str) -> String {
        format!("memory:{path}")
    }
}
