//! Schema registry administration, with the seed's names.

use std::sync::Arc;

use kafi_registry::SchemaRegistry;
use kafi_serde::{Compatibility, RegisteredSchema, Schema, SubjectFilter, SubjectVersion};

use crate::{Error, Result, Shell};

impl Shell {
    fn registry(&self) -> Result<&Arc<dyn SchemaRegistry>> {
        self.schema_registry().ok_or_else(|| {
            Error::InvalidArgument(
                "no schema registry: configure the schema_registry section (schema.registry.url, \
                 or emulated: true)"
                    .into(),
            )
        })
    }

    /// Subjects, optionally those starting with `prefix`; `deleted` adds
    /// soft-deleted ones, `deleted_only` lists only those.
    pub async fn get_subjects(
        &self,
        prefix: Option<&str>,
        deleted: bool,
        deleted_only: bool,
    ) -> Result<Vec<String>> {
        let filter = match (deleted, deleted_only) {
            (_, true) => SubjectFilter::OnlyDeleted,
            (true, false) => SubjectFilter::WithDeleted,
            _ => SubjectFilter::Live,
        };
        Ok(self.registry()?.get_subjects(prefix, filter).await?)
    }

    /// Deletes a subject (soft, or `permanent`); the deleted versions.
    pub async fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>> {
        Ok(self.registry()?.delete_subject(subject, permanent).await?)
    }

    /// Deletes one version of a subject (`-1`: the latest).
    pub async fn delete_version(
        &self,
        subject: &str,
        version: i32,
        permanent: bool,
    ) -> Result<i32> {
        Ok(self
            .registry()?
            .delete_version(subject, version, permanent)
            .await?)
    }

    /// The latest version of a subject.
    pub async fn get_latest_version(&self, subject: &str) -> Result<RegisteredSchema> {
        Ok(self.registry()?.get_latest_version(subject).await?)
    }

    /// One version of a subject.
    pub async fn get_version(&self, subject: &str, version: i32) -> Result<RegisteredSchema> {
        Ok(self
            .registry()?
            .get_version(subject, version, false)
            .await?)
    }

    /// The versions of a subject.
    pub async fn get_versions(&self, subject: &str, deleted: bool) -> Result<Vec<i32>> {
        Ok(self.registry()?.get_versions(subject, deleted).await?)
    }

    /// The schema with `id`.
    pub async fn get_schema(&self, id: i32) -> Result<Schema> {
        Ok(self.registry()?.get_schema(id).await?)
    }

    /// The subjects and versions using schema `id`.
    pub async fn get_schema_versions(&self, id: i32) -> Result<Vec<SubjectVersion>> {
        Ok(self.registry()?.get_schema_versions(id).await?)
    }

    /// Registers a schema under a subject; its id.
    pub async fn register_schema(&self, subject: &str, schema: &Schema) -> Result<i32> {
        Ok(self.registry()?.register_schema(subject, schema).await?)
    }

    /// The version of a subject holding `schema`.
    pub async fn lookup_schema(&self, subject: &str, schema: &Schema) -> Result<RegisteredSchema> {
        Ok(self
            .registry()?
            .lookup_schema(subject, schema, false)
            .await?)
    }

    /// The compatibility level of a subject (or the global one).
    pub async fn get_compatibility(&self, subject: Option<&str>) -> Result<Compatibility> {
        Ok(self.registry()?.get_compatibility(subject).await?)
    }

    /// Sets the compatibility level of a subject (or the global one).
    pub async fn set_compatibility(
        &self,
        subject: Option<&str>,
        level: Compatibility,
    ) -> Result<Compatibility> {
        Ok(self.registry()?.set_compatibility(subject, level).await?)
    }

    /// Whether `schema` is compatible with a subject (`version`: one
    /// version, `None`: as the subject's level asks).
    pub async fn test_compatibility(
        &self,
        subject: &str,
        schema: &Schema,
        version: Option<i32>,
    ) -> Result<bool> {
        Ok(self
            .registry()?
            .test_compatibility(subject, schema, version)
            .await?)
    }
}
