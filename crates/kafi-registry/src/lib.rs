//! Kafi's Schema Registry support, behind one interface,
//! [`SchemaRegistry`] (the registry's operations with typed [`Error`]s that
//! keep Confluent's error codes):
//!
//! - [`RegistryClient`]: the Confluent Schema Registry REST client (reqwest
//!   with rustls; basic auth `USER_INFO`; a custom CA), with id ↔ schema
//!   caches, configured by the `schema_registry` section;
//! - [`EmulatedRegistry`]: a registry kept as small objects in any
//!   `kafi_core::ObjectStore` (see [`emulated`]), with real compatibility
//!   checks ([`compat`]); on a file-backed storage, in the storage itself;
//! - [`RegistryLookup`]: any registry as the `kafi_serde::SchemaLookup` the
//!   avro, protobuf and jsonschema codecs use;
//! - [`for_storage`]: the registry a storage's `schema_registry` section
//!   selects (REST client, emulated registry in the storage's objects, or
//!   none);
//! - `server` (feature `server`): any registry over Confluent's REST API
//!   (`kafi registry serve`).
//!
//! Selecting a registry in a storage config: `schema_registry:
//! { schema.registry.url: http://host:8081 }` uses the REST client;
//! `schema_registry: { emulated: true }` (or no `schema_registry` section
//! at all on the local, S3 and Azure storages) uses the emulated registry
//! in the storage itself; `emulated: false` none.
//!
//! ```
//! # async fn demo() -> kafi_registry::Result<()> {
//! use kafi_registry::{EmulatedRegistry, SchemaRegistry};
//! use kafi_serde::{Schema, SchemaType};
//!
//! let registry = EmulatedRegistry::in_memory();
//! let schema = Schema::new(SchemaType::Json, r#"{"type":"object"}"#);
//! assert_eq!(registry.register_schema("t-value", &schema).await?, 1);
//! let err = registry.get_latest_version("nope").await.unwrap_err();
//! assert_eq!(err.status_and_code(), (404, 40401));
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(demo()).unwrap();
//! ```

// docs.rs (`--cfg docsrs`, nightly) labels feature-gated items with their features.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
pub mod client;
pub mod compat;
pub mod emulated;
mod error;
mod lookup;
mod memory;
mod select;
#[cfg(feature = "server")]
pub mod server;

pub use api::SchemaRegistry;
pub use client::{ClientConfig, RegistryClient};
pub use emulated::EmulatedRegistry;
pub use error::{BoxError, Error, Result};
pub use lookup::RegistryLookup;
pub use memory::MemoryStore;
pub use select::{for_storage, EMULATED_PREFIX};
