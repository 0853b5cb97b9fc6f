//! [`RegistryLookup`]: any [`SchemaRegistry`] as the [`SchemaLookup`] the
//! codecs of `kafi-serde` need.

use std::sync::Arc;

use async_trait::async_trait;
use kafi_serde::{Schema, SchemaLookup};

use crate::{Error, SchemaRegistry};

/// Adapts a [`SchemaRegistry`] to kafi-serde's [`SchemaLookup`]: a missing
/// id becomes `kafi_serde::Error::SchemaNotFound`, every other failure a
/// `kafi_serde::Error::Registry` naming the operation, of the registry
/// error's kind and with it as the source.
#[derive(Clone, Debug)]
pub struct RegistryLookup {
    registry: Arc<dyn SchemaRegistry>,
}

impl RegistryLookup {
    /// The lookup over `registry`.
    pub fn new(registry: Arc<dyn SchemaRegistry>) -> Self {
        Self { registry }
    }

    /// The registry it looks schemas up in.
    pub fn registry(&self) -> &Arc<dyn SchemaRegistry> {
        &self.registry
    }
}

fn serde_error(operation: String, e: Error) -> kafi_serde::Error {
    kafi_serde::Error::registry(operation, e.kind(), e)
}

#[async_trait]
impl SchemaLookup for RegistryLookup {
    async fn schema_by_id(&self, id: i32) -> kafi_serde::Result<Schema> {
        self.registry.get_schema(id).await.map_err(|e| match e {
            Error::SchemaNotFound(_) => kafi_serde::Error::SchemaNotFound { id },
            e => serde_error(format!("get schema {id}"), e),
        })
    }

    async fn register(&self, subject: &str, schema: &Schema) -> kafi_serde::Result<i32> {
        self.registry
            .register_schema(subject, schema)
            .await
            .map_err(|e| serde_error(format!("register a schema under subject {subject}"), e))
    }
}
