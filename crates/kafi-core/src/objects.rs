//! [`ObjectStore`]: small whole objects kept beside a storage's topics.
//!
//! Storages built on files or object stores (`kafi-fs`: the local file
//! system, S3, Azure Blob) offer one through [`Storage::objects`], and data
//! that is not a topic lives there: the emulated Schema Registry of
//! `kafi-registry` keeps its subjects, versions and ids below `schemas/`,
//! so it works on every such storage without knowing which one it is.
//!
//! [`Storage::objects`]: crate::Storage::objects

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;

use crate::Result;

/// Objects below one prefix of a storage: whole-object reads, atomic
/// create-if-absent (the primitive processes sharing a storage coordinate
/// with) and atomic replace.
///
/// Paths are relative to the prefix and use `/` between segments; callers
/// keep every segment a safe name (see [`encode_name`](crate::topic::encode_name)).
#[async_trait]
pub trait ObjectStore: Send + Sync + fmt::Debug {
    /// Reads a whole object; `None` if it does not exist.
    async fn read(&self, path: &str) -> Result<Option<Bytes>>;

    /// Creates or replaces an object atomically: readers see the old or
    /// the new content, never a mix.
    async fn put(&self, path: &str, data: Bytes) -> Result<()>;

    /// Creates an object unless it exists; `false` if it existed. Of
    /// several writers racing for one path exactly one gets `true`.
    async fn put_if_absent(&self, path: &str, data: Bytes) -> Result<bool>;

    /// The names directly below `dir`, sorted; directories end in `/`. A
    /// missing directory lists as empty.
    async fn list(&self, dir: &str) -> Result<Vec<String>>;

    /// Deletes one object (a missing one is fine).
    async fn delete(&self, path: &str) -> Result<()>;

    /// Where `path` is, for messages (never with credentials).
    fn display(&self, path: &str) -> String;
}
