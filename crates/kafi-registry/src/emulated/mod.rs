//! The emulated Schema Registry: subjects, versions and ids kept as small
//! JSON objects in an [`ObjectStore`] (on a file-backed storage, its own
//! objects below `schemas/`; see [`crate::for_storage`]):
//!
//! ```text
//! ids/0000000001.json                    {"schemaType":"AVRO","schema":"...","references":[]}
//! subjects/<subject>/0000000001.json     {"id":1,"deleted":false}
//! config/_global.json, config/<subject>.json   {"compatibilityLevel":"BACKWARD"}
//! ```
//!
//! Subject names are percent-encoded (every byte but `A-Z a-z 0-9 - _ .`).
//! Ids and versions are claimed with create-if-absent, so processes sharing
//! one storage never hand out the same id or version; ids are never reused,
//! and a schema registered again (in any subject) gets its existing id, as
//! Confluent's registry does. Soft deletes mark versions; permanent deletes
//! (only after a soft delete) remove them. Compatibility is checked on
//! register as described in [`crate::compat`].

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use kafi_serde::{
    Compatibility, RegisteredSchema, Schema, SchemaInfo, SchemaReference, SchemaType,
    SubjectFilter, SubjectVersion,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use kafi_core::ObjectStore;

use crate::error::{Error, Result};
use crate::{compat, MemoryStore, SchemaRegistry};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredSchema {
    #[serde(default)]
    schema_type: SchemaType,
    schema: String,
    #[serde(default)]
    references: Vec<SchemaReference>,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
struct StoredVersion {
    id: i32,
    deleted: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredConfig {
    compatibility_level: Compatibility,
}

/// The emulated registry.
pub struct EmulatedRegistry {
    store: Arc<dyn ObjectStore>,
    /// Serializes this process's writers; ids are immutable and cached.
    lock: Mutex<()>,
    ids: std::sync::RwLock<HashMap<i32, Arc<Schema>>>,
}

impl fmt::Debug for EmulatedRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatedRegistry")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}
/// Subjects are free-form: stored under the same safe encoding as group ids.
fn encode_subject(subject: &str) -> String {
    kafi_core::topic::encode_name(subject)
}

fn decode_subject(name: &str) -> Option<String> {
    kafi_core::topic::decode_name(name)
}

fn number_of(name: &str) -> Option<i32> {
    name.strip_suffix(".json")?.parse().ok()
}

/// Two schema texts are the same schema when they are equal as JSON (Avro,
/// JSON schema) or equal after trimming (Protobuf).
fn same_schema(a: &Schema, b: &Schema) -> bool {
    if a.schema_type != b.schema_type || a.references != b.references {
        return false;
    }
    match a.schema_type {
        SchemaType::Protobuf => {
            a.schema.trim() == b.schema.trim() || {
                // Confluent's serializers register the base64 descriptor of
                // a schema first registered as text: the same schema.
                #[cfg(feature = "serde-protobuf")]
                let same = kafi_serde::formats::protobuf::same_descriptor(&a.schema, &b.schema);
                #[cfg(not(feature = "serde-protobuf"))]
                let same = false;
                same
            }
        }
        _ => match (
            serde_json::from_str::<serde_json::Value>(&a.schema),
            serde_json::from_str::<serde_json::Value>(&b.schema),
        ) {
            (Ok(x), Ok(y)) => x == y,
            _ => a.schema == b.schema,
        },
    }
}

fn subject_not_found(subject: &str) -> Error {
    Error::SubjectNotFound(format!("Subject '{subject}' not found."))
}

impl EmulatedRegistry {
    /// A registry kept in `store`.
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self {
            store,
            lock: Mutex::new(()),
            ids: Default::default(),
        }
    }

    /// A registry kept in memory.
    pub fn in_memory() -> Self {
        Self::new(Arc::new(MemoryStore::default()))
    }

    fn storage(e: kafi_core::Error) -> Error {
        Error::Storage(e)
    }

    async fn read_json<T: for<'de> Deserialize<'de>>(&self, path: &str) -> Result<Option<T>> {
        match self.store.read(path).await.map_err(Self::storage)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::Storage(kafi_core::Error::Corrupt {
                    path: self.store.display(path),
                    position: 0,
                    reason: format!("not a registry object: {e}"),
                })
            }),
        }
    }

    fn to_bytes<T: Serialize>(value: &T) -> Bytes {
        Bytes::from(serde_json::to_vec(value).unwrap_or_default())
    }

    async fn schema(&self, id: i32) -> Result<Arc<Schema>> {
        if let Some(s) = self.ids.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
            return Ok(s.clone());
        }
        let stored: StoredSchema = self
            .read_json(&format!("ids/{id:010}.json"))
            .await?
            .ok_or_else(|| Error::SchemaNotFound(format!("Schema {id} not found")))?;
        let schema = Arc::new(Schema {
            schema_type: stored.schema_type,
            schema: stored.schema,
            references: stored.references,
        });
        self.ids
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, schema.clone());
        Ok(schema)
    }

    async fn all_ids(&self) -> Result<Vec<i32>> {
        let names = self.store.list("ids").await.map_err(Self::storage)?;
        let mut ids: Vec<i32> = names.iter().filter_map(|n| number_of(n)).collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// Versions of a subject, in order, with their state.
    async fn versions(&self, subject: &str) -> Result<Vec<(i32, StoredVersion)>> {
        let dir = format!("subjects/{}", encode_subject(subject));
        let names = self.store.list(&dir).await.map_err(Self::storage)?;
        let mut out = Vec::new();
        for n in names {
            let Some(v) = number_of(&n) else { continue };
            if let Some(stored) = self
                .read_json::<StoredVersion>(&format!("{dir}/{n}"))
                .await?
            {
                out.push((v, stored));
            }
        }
        out.sort_by_key(|(v, _)| *v);
        Ok(out)
    }

    fn version_path(subject: &str, version: i32) -> String {
        format!("subjects/{}/{version:010}.json", encode_subject(subject))
    }

    async fn registered(&self, subject: &str, version: i32, id: i32) -> Result<RegisteredSchema> {
        let schema = self.schema(id).await?;
        Ok(RegisteredSchema {
            schema_id: id,
            schema: SchemaInfo::from(Schema::clone(&schema)),
            subject: subject.to_owned(),
            version,
        })
    }

    async fn live_versions(&self, subject: &str) -> Result<Vec<(i32, StoredVersion)>> {
        let all = self.versions(subject).await?;
        if all.is_empty() {
            return Err(subject_not_found(subject));
        }
        let live: Vec<_> = all.into_iter().filter(|(_, s)| !s.deleted).collect();
        if live.is_empty() {
            return Err(Error::SubjectNotFound(format!(
                "Subject '{subject}' not found."
            )));
        }
        Ok(live)
    }

    async fn find_or_create_id(&self, schema: &Schema) -> Result<i32> {
        let ids = self.all_ids().await?;
        for &id in &ids {
            if same_schema(&*self.schema(id).await?, schema) {
                return Ok(id);
            }
        }
        let mut next = ids.last().copied().unwrap_or(0) + 1;
        let stored = StoredSchema {
            schema_type: schema.schema_type,
            schema: schema.schema.clone(),
            references: schema.references.clone(),
        };
        loop {
            if self
                .store
                .put_if_absent(&format!("ids/{next:010}.json"), Self::to_bytes(&stored))
                .await
                .map_err(Self::storage)?
            {
                return Ok(next);
            }
            // Another process took it; it may have registered the same schema.
            if same_schema(&*self.schema(next).await?, schema) {
                return Ok(next);
            }
            next += 1;
        }
    }

    async fn effective_compatibility(&self, subject: Option<&str>) -> Result<Compatibility> {
        if let Some(subject) = subject {
            if let Some(c) = self
                .read_json::<StoredConfig>(&format!("config/{}.json", encode_subject(subject)))
                .await?
            {
                return Ok(c.compatibility_level);
            }
        }
        Ok(self
            .read_json::<StoredConfig>("config/_global.json")
            .await?
            .map(|c| c.compatibility_level)
            .unwrap_or_default())
    }

    async fn check_compatible(
        &self,
        subject: &str,
        schema: &Schema,
        level: Compatibility,
        versions: &[(i32, StoredVersion)],
    ) -> Result<Option<String>> {
        let mut olds = Vec::new();
        for (_, v) in versions.iter().filter(|(_, v)| !v.deleted) {
            olds.push(Schema::clone(&*self.schema(v.id).await?));
        }
        let _ = subject;
        Ok(compat::check(level, schema, &olds).err())
    }
}

fn validate(schema: &Schema) -> Result<()> {
    kafi_serde::formats::validate_schema(schema)
        .map_err(|e| Error::InvalidSchema(format!("Invalid schema: {e}")))
}

#[async_trait]
impl SchemaRegistry for EmulatedRegistry {
    async fn get_subjects(
        &self,
        prefix: Option<&str>,
        filter: SubjectFilter,
    ) -> Result<Vec<String>> {
        let names = self.store.list("subjects").await.map_err(Self::storage)?;
        let mut out = Vec::new();
        for n in names {
            let Some(subject) = n.strip_suffix('/').and_then(decode_subject) else {
                continue;
            };
            if prefix.is_some_and(|p| !subject.starts_with(p)) {
                continue;
            }
            let versions = self.versions(&subject).await?;
            if versions.is_empty() {
                continue;
            }
            let live = versions.iter().any(|(_, v)| !v.deleted);
            let keep = match filter {
                SubjectFilter::Live => live,
                SubjectFilter::WithDeleted => true,
                SubjectFilter::OnlyDeleted => !live,
            };
            if keep {
                out.push(subject);
            }
        }
        out.sort();
        Ok(out)
    }

    async fn register_schema(&self, subject: &str, schema: &Schema) -> Result<i32> {
        validate(schema)?;
        let _guard = self.lock.lock().await;
        let versions = self.versions(subject).await?;
        for (_, v) in versions.iter().filter(|(_, v)| !v.deleted) {
            if same_schema(&*self.schema(v.id).await?, schema) {
                return Ok(v.id);
            }
        }
        let level = self.effective_compatibility(Some(subject)).await?;
        if let Some(why) = self
            .check_compatible(subject, schema, level, &versions)
            .await?
        {
            return Err(Error::Incompatible(format!(
                "Schema being registered is incompatible with an earlier schema for subject \"{subject}\" ({level}): {why}"
            )));
        }
        let id = self.find_or_create_id(schema).await?;
        let mut version = versions.last().map_or(0, |(v, _)| *v) + 1;
        let stored = StoredVersion { id, deleted: false };
        while !self
            .store
            .put_if_absent(
                &Self::version_path(subject, version),
                Self::to_bytes(&stored),
            )
            .await
            .map_err(Self::storage)?
        {
            version += 1;
        }
        Ok(id)
    }

    async fn lookup_schema(
        &self,
        subject: &str,
        schema: &Schema,
        deleted: bool,
    ) -> Result<RegisteredSchema> {
        let versions = self.versions(subject).await?;
        if versions.is_empty() {
            return Err(subject_not_found(subject));
        }
        for (version, v) in versions.iter().filter(|(_, v)| deleted || !v.deleted) {
            if same_schema(&*self.schema(v.id).await?, schema) {
                return self.registered(subject, *version, v.id).await;
            }
        }
        Err(Error::SchemaNotFound("Schema not found".into()))
    }

    async fn get_schema(&self, id: i32) -> Result<Schema> {
        Ok(Schema::clone(&*self.schema(id).await?))
    }

    async fn get_schema_versions(&self, id: i32) -> Result<Vec<SubjectVersion>> {
        self.schema(id).await?;
        let mut out = Vec::new();
        for subject in self.get_subjects(None, SubjectFilter::Live).await? {
            for (version, v) in self.versions(&subject).await? {
                if v.id == id && !v.deleted {
                    out.push(SubjectVersion {
                        subject: subject.clone(),
                        version,
                    });
                }
            }
        }
        Ok(out)
    }

    async fn get_latest_version(&self, subject: &str) -> Result<RegisteredSchema> {
        let live = self.live_versions(subject).await?;
        let (version, v) = live.last().expect("live versions are not empty");
        self.registered(subject, *version, v.id).await
    }

    async fn get_version(
        &self,
        subject: &str,
        version: i32,
        deleted: bool,
    ) -> Result<RegisteredSchema> {
        if version == -1 {
            return self.get_latest_version(subject).await;
        }
        if version < 1 {
            return Err(Error::InvalidVersion(format!(
                "The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
            )));
        }
        let versions = self.versions(subject).await?;
        if versions.is_empty() {
            return Err(subject_not_found(subject));
        }
        match versions.iter().find(|(n, _)| *n == version) {
            Some((_, v)) if deleted || !v.deleted => self.registered(subject, version, v.id).await,
            _ => Err(Error::VersionNotFound(format!(
                "Version {version} not found."
            ))),
        }
    }

    async fn get_versions(&self, subject: &str, deleted: bool) -> Result<Vec<i32>> {
        let versions = self.versions(subject).await?;
        let out: Vec<i32> = versions
            .iter()
            .filter(|(_, v)| deleted || !v.deleted)
            .map(|(n, _)| *n)
            .collect();
        if out.is_empty() {
            return Err(subject_not_found(subject));
        }
        Ok(out)
    }

    async fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>> {
        let _guard = self.lock.lock().await;
        let versions = self.versions(subject).await?;
        if versions.is_empty() {
            return Err(subject_not_found(subject));
        }
        let live: Vec<_> = versions.iter().filter(|(_, v)| !v.deleted).collect();
        if permanent {
            if !live.is_empty() {
                return Err(Error::SubjectNotSoftDeleted(format!(
                    "Subject '{subject}' was not deleted first before being permanently deleted"
                )));
            }
            for (n, _) in &versions {
                self.store
                    .delete(&Self::version_path(subject, *n))
                    .await
                    .map_err(Self::storage)?;
            }
            self.store
                .delete(&format!("config/{}.json", encode_subject(subject)))
                .await
                .map_err(Self::storage)?;
            return Ok(versions.iter().map(|(n, _)| *n).collect());
        }
        if live.is_empty() {
            return Err(Error::SubjectSoftDeleted(format!(
                "Subject '{subject}' was soft deleted.Set permanent=true to delete permanently"
            )));
        }
        let mut out = Vec::new();
        for (n, v) in live {
            let stored = StoredVersion {
                id: v.id,
                deleted: true,
            };
            self.store
                .put(&Self::version_path(subject, *n), Self::to_bytes(&stored))
                .await
                .map_err(Self::storage)?;
            out.push(*n);
        }
        Ok(out)
    }

    async fn delete_version(&self, subject: &str, version: i32, permanent: bool) -> Result<i32> {
        let _guard = self.lock.lock().await;
        let versions = self.versions(subject).await?;
        if versions.is_empty() {
            return Err(subject_not_found(subject));
        }
        let version = if version == -1 {
            versions
                .iter()
                .rev()
                .find(|(_, v)| !v.deleted)
                .map(|(n, _)| *n)
                .unwrap_or(-1)
        } else {
            version
        };
        let Some((n, v)) = versions.iter().find(|(n, _)| *n == version) else {
            return Err(Error::VersionNotFound(format!(
                "Version {version} not found."
            )));
        };
        match (permanent, v.deleted) {
            (false, true) => Err(Error::VersionSoftDeleted(format!(
                "Subject '{subject}' Version {n} was soft deleted.Set permanent=true to delete permanently"
            ))),
            (true, false) => Err(Error::VersionNotSoftDeleted(format!(
                "Subject '{subject}' Version {n} was not deleted first before being permanently deleted"
            ))),
            (true, true) => {
                self.store.delete(&Self::version_path(subject, *n)).await.map_err(Self::storage)?;
                Ok(*n)
            }
            (false, false) => {
                let stored = StoredVersion { id: v.id, deleted: true };
                self.store.put(&Self::version_path(subject, *n), Self::to_bytes(&stored)).await.map_err(Self::storage)?;
                Ok(*n)
            }
        }
    }

    async fn get_compatibility(&self, subject: Option<&str>) -> Result<Compatibility> {
        self.effective_compatibility(subject).await
    }

    async fn set_compatibility(
        &self,
        subject: Option<&str>,
        level: Compatibility,
    ) -> Result<Compatibility> {
        let path = match subject {
            Some(s) => format!("config/{}.json", encode_subject(s)),
            None => "config/_global.json".to_owned(),
        };
        self.store
            .put(
                &path,
                Self::to_bytes(&StoredConfig {
                    compatibility_level: level,
                }),
            )
            .await
            .map_err(Self::storage)?;
        Ok(level)
    }

    async fn test_compatibility(
        &self,
        subject: &str,
        schema: &Schema,
        version: Option<i32>,
    ) -> Result<bool> {
        validate(schema)?;
        let versions = self.versions(subject).await?;
        let level = self.effective_compatibility(Some(subject)).await?;
        let selected: Vec<(i32, StoredVersion)> = match version {
            None => versions,
            Some(-1) => versions
                .into_iter()
                .rfind(|(_, v)| !v.deleted)
                .into_iter()
                .collect(),
            Some(n) => {
                let found: Vec<_> = versions
                    .into_iter()
                    .filter(|(v, s)| *v == n && !s.deleted)
                    .collect();
                if found.is_empty() {
                    return Err(Error::VersionNotFound(format!("Version {n} not found.")));
                }
                found
            }
        };
        Ok(self
            .check_compatible(subject, schema, level, &selected)
            .await?
            .is_none())
    }
}

#[cfg(test)]
mod tests;
