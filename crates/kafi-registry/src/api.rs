//! [`SchemaRegistry`]: the Schema Registry's administration API, the one
//! interface of every registry kafi speaks to.

use async_trait::async_trait;
use kafi_serde::{Compatibility, RegisteredSchema, Schema, SubjectFilter, SubjectVersion};

use crate::Result;

/// The Schema Registry's operations with the seed's names, and typed
/// [`Error`](crate::Error)s that keep Confluent's error codes.
///
/// Implemented by the REST client ([`RegistryClient`](crate::RegistryClient))
/// and the emulated registry ([`EmulatedRegistry`](crate::EmulatedRegistry));
/// served over REST by `server` (feature `server`); the codecs reach any
/// implementation through [`RegistryLookup`](crate::RegistryLookup).
#[async_trait]
pub trait SchemaRegistry: Send + Sync + std::fmt::Debug {
    /// Subjects (sorted), optionally only those starting with `prefix`;
    /// `filter` adds or selects soft-deleted ones.
    async fn get_subjects(
        &self,
        prefix: Option<&str>,
        filter: SubjectFilter,
    ) -> Result<Vec<String>>;

    /// Registers `schema` under `subject` (or finds it registered there
    /// already) after checking the subject's compatibility level; returns
    /// its id.
    async fn register_schema(&self, subject: &str, schema: &Schema) -> Result<i32>;

    /// The version of `subject` holding `schema` (`deleted`: soft-deleted
    /// versions count too).
    async fn lookup_schema(
        &self,
        subject: &str,
        schema: &Schema,
        deleted: bool,
    ) -> Result<RegisteredSchema>;

    /// The schema with `id`.
    async fn get_schema(&self, id: i32) -> Result<Schema>;

    /// The subjects and versions using schema `id`.
    async fn get_schema_versions(&self, id: i32) -> Result<Vec<SubjectVersion>>;

    /// The latest live version of `subject`.
    async fn get_latest_version(&self, subject: &str) -> Result<RegisteredSchema>;

    /// One version of `subject` (`-1`: the latest; `deleted`: soft-deleted
    /// versions too).
    async fn get_version(
        &self,
        subject: &str,
        version: i32,
        deleted: bool,
    ) -> Result<RegisteredSchema>;

    /// The versions of `subject` (`deleted`: soft-deleted ones too).
    async fn get_versions(&self, subject: &str, deleted: bool) -> Result<Vec<i32>>;

    /// Deletes `subject` (soft, or `permanent` after a soft delete);
    /// returns the deleted versions.
    async fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>>;

    /// Deletes one version (`-1`: the latest; soft, or `permanent` after a
    /// soft delete); returns it.
    async fn delete_version(&self, subject: &str, version: i32, permanent: bool) -> Result<i32>;

    /// The compatibility level of `subject` (its own, else the global one),
    /// or the global one.
    async fn get_compatibility(&self, subject: Option<&str>) -> Result<Compatibility>;

    /// Sets the compatibility level of `subject`, or the global one.
    async fn set_compatibility(
        &self,
        subject: Option<&str>,
        level: Compatibility,
    ) -> Result<Compatibility>;

    /// Whether `schema` is compatible with `subject` at `version` (`None`:
    /// with the versions the subject's level asks for).
    async fn test_compatibility(
        &self,
        subject: &str,
        schema: &Schema,
        version: Option<i32>,
    ) -> Result<bool>;
}
