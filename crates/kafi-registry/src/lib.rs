//! Kafi's Schema Registry support:
//!
//! - [`RegistryClient`]: the Confluent Schema Registry REST client (reqwest
//!   with rustls; basic auth `USER_INFO`; a custom CA), with id ↔ schema
//!   caches, configured by the `schema_registry` section;
//! - [`EmulatedRegistry`]: a file-backed registry kept beside the emulated
//!   topics (see [`emulated`]), with real compatibility checks
//!   ([`compat`]);
//! - `server` (feature `server`): the emulated registry over Confluent's
//!   REST API (`kafi registry serve`).
//!
//! Both registries implement [`RegistryApi`] (typed [`Error`]s with
//! Confluent's error codes) and kafi-serde's `SchemaLookup` and
//! `SchemaRegistry`, so codecs and the shell use either.
//!
//! Selecting a registry in a storage config: `schema_registry:
//! { schema.registry.url: http://host:8081 }` uses the REST client;
//! `schema_registry: { emulated: true }` (or no `schema_registry` section
//! at all on the local, S3 and Azure storages) uses the emulated registry
//! in the storage itself.

// docs.rs (`--cfg docsrs`, nightly) labels feature-gated items with their features.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
pub mod compat;
pub mod emulated;
mod error;
#[cfg(feature = "server")]
pub mod server;

use async_trait::async_trait;
use kafi_serde::{Compatibility, RegisteredSchema, Schema, SubjectFilter, SubjectVersion};

pub use client::{ClientConfig, RegistryClient};
pub use emulated::{EmulatedRegistry, MemoryStore, RegistryStore};
pub use error::{BoxError, Error, Result};

/// The Schema Registry operations with typed errors; see
/// [`kafi_serde::SchemaRegistry`] for each operation.
#[async_trait]
#[allow(missing_docs)]
pub trait RegistryApi: Send + Sync + std::fmt::Debug {
    async fn get_subjects(
        &self,
        prefix: Option<&str>,
        filter: SubjectFilter,
    ) -> Result<Vec<String>>;
    async fn register_schema(&self, subject: &str, schema: &Schema) -> Result<i32>;
    async fn lookup_schema(
        &self,
        subject: &str,
        schema: &Schema,
        deleted: bool,
    ) -> Result<RegisteredSchema>;
    async fn get_schema(&self, id: i32) -> Result<Schema>;
    async fn get_schema_versions(&self, id: i32) -> Result<Vec<SubjectVersion>>;
    async fn get_latest_version(&self, subject: &str) -> Result<RegisteredSchema>;
    async fn get_version(
        &self,
        subject: &str,
        version: i32,
        deleted: bool,
    ) -> Result<RegisteredSchema>;
    async fn get_versions(&self, subject: &str, deleted: bool) -> Result<Vec<i32>>;
    async fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>>;
    async fn delete_version(&self, subject: &str, version: i32, permanent: bool) -> Result<i32>;
    async fn get_compatibility(&self, subject: Option<&str>) -> Result<Compatibility>;
    async fn set_compatibility(
        &self,
        subject: Option<&str>,
        level: Compatibility,
    ) -> Result<Compatibility>;
    async fn test_compatibility(
        &self,
        subject: &str,
        schema: &Schema,
        version: Option<i32>,
    ) -> Result<bool>;
}

macro_rules! serde_traits {
    ($t:ty) => {
        #[async_trait]
        impl kafi_serde::SchemaLookup for $t {
            async fn schema_by_id(&self, id: i32) -> kafi_serde::Result<Schema> {
                RegistryApi::get_schema(self, id)
                    .await
                    .map_err(|e| match e {
                        Error::SchemaNotFound(_) => kafi_serde::Error::SchemaNotFound { id },
                        e => e.into_serde(format!("get schema {id}")),
                    })
            }

            async fn register(&self, subject: &str, schema: &Schema) -> kafi_serde::Result<i32> {
                RegistryApi::register_schema(self, subject, schema)
                    .await
                    .map_err(|e| e.into_serde(format!("register a schema under subject {subject}")))
            }
        }

        #[async_trait]
        impl kafi_serde::SchemaRegistry for $t {
            async fn get_subjects(
                &self,
                prefix: Option<&str>,
                filter: SubjectFilter,
            ) -> kafi_serde::Result<Vec<String>> {
                RegistryApi::get_subjects(self, prefix, filter)
                    .await
                    .map_err(|e| e.into_serde("get subjects"))
            }
            async fn register_schema(
                &self,
                subject: &str,
                schema: &Schema,
            ) -> kafi_serde::Result<i32> {
                RegistryApi::register_schema(self, subject, schema)
                    .await
                    .map_err(|e| e.into_serde(format!("register under {subject}")))
            }
            async fn lookup_schema(
                &self,
                subject: &str,
                schema: &Schema,
                deleted: bool,
            ) -> kafi_serde::Result<RegisteredSchema> {
                RegistryApi::lookup_schema(self, subject, schema, deleted)
                    .await
                    .map_err(|e| e.into_serde(format!("look up schema in {subject}")))
            }
            async fn get_schema(&self, id: i32) -> kafi_serde::Result<Schema> {
                RegistryApi::get_schema(self, id)
                    .await
                    .map_err(|e| e.into_serde(format!("get schema {id}")))
            }
            async fn get_schema_versions(
                &self,
                id: i32,
            ) -> kafi_serde::Result<Vec<SubjectVersion>> {
                RegistryApi::get_schema_versions(self, id)
                    .await
                    .map_err(|e| e.into_serde(format!("get versions of schema {id}")))
            }
            async fn get_latest_version(
                &self,
                subject: &str,
            ) -> kafi_serde::Result<RegisteredSchema> {
                RegistryApi::get_latest_version(self, subject)
                    .await
                    .map_err(|e| e.into_serde(format!("get latest version of {subject}")))
            }
            async fn get_version(
                &self,
                subject: &str,
                version: i32,
                deleted: bool,
            ) -> kafi_serde::Result<RegisteredSchema> {
                RegistryApi::get_version(self, subject, version, deleted)
                    .await
                    .map_err(|e| e.into_serde(format!("get version {version} of {subject}")))
            }
            async fn get_versions(
                &self,
                subject: &str,
                deleted: bool,
            ) -> kafi_serde::Result<Vec<i32>> {
                RegistryApi::get_versions(self, subject, deleted)
                    .await
                    .map_err(|e| e.into_serde(format!("get versions of {subject}")))
            }
            async fn delete_subject(
                &self,
                subject: &str,
                permanent: bool,
            ) -> kafi_serde::Result<Vec<i32>> {
                RegistryApi::delete_subject(self, subject, permanent)
                    .await
                    .map_err(|e| e.into_serde(format!("delete subject {subject}")))
            }
            async fn delete_version(
                &self,
                subject: &str,
                version: i32,
                permanent: bool,
            ) -> kafi_serde::Result<i32> {
                RegistryApi::delete_version(self, subject, version, permanent)
                    .await
                    .map_err(|e| e.into_serde(format!("delete version {version} of {subject}")))
            }
            async fn get_compatibility(
                &self,
                subject: Option<&str>,
            ) -> kafi_serde::Result<Compatibility> {
                RegistryApi::get_compatibility(self, subject)
                    .await
                    .map_err(|e| e.into_serde("get compatibility"))
            }
            async fn set_compatibility(
                &self,
                subject: Option<&str>,
                level: Compatibility,
            ) -> kafi_serde::Result<Compatibility> {
                RegistryApi::set_compatibility(self, subject, level)
                    .await
                    .map_err(|e| e.into_serde("set compatibility"))
            }
            async fn test_compatibility(
                &self,
                subject: &str,
                schema: &Schema,
                version: Option<i32>,
            ) -> kafi_serde::Result<bool> {
                RegistryApi::test_compatibility(self, subject, schema, version)
                    .await
                    .map_err(|e| e.into_serde(format!("test compatibility with {subject}")))
            }
        }
    };
}

serde_traits!(EmulatedRegistry);
serde_traits!(RegistryClient);
