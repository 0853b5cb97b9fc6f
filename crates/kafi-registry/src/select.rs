//! [`for_storage`]: which registry a storage uses, from its
//! `schema_registry` section.

use std::sync::Arc;

use kafi_config::SchemaRegistrySection;
use kafi_core::Storage;

use crate::{EmulatedRegistry, Error, RegistryClient, Result, SchemaRegistry};

/// Where the emulated registry keeps its objects in a storage.
pub const EMULATED_PREFIX: &str = "schemas";

/// The registry a storage uses, chosen by its `schema_registry` section:
///
/// - `schema.registry.url`: the REST client ([`RegistryClient`]), on every
///   storage;
/// - `emulated: true`: the [`EmulatedRegistry`] kept in the storage's own
///   objects below `schemas/` ([`Storage::objects`]); an
///   [`Error::Config`] on a storage without objects (a cluster);
/// - `emulated: false`: none;
/// - no section, or neither key: the emulated registry where the storage
///   has objects (the local file system, S3, Azure Blob), else none.
///
/// `Ok(None)` means the storage has no registry; the schema types then
/// fail with a message saying how to configure one.
pub fn for_storage(
    section: Option<&SchemaRegistrySection>,
    storage: &dyn Storage,
) -> Result<Option<Arc<dyn SchemaRegistry>>> {
    let url = section.and_then(|s| s.url.as_ref());
    let emulated = section.and_then(|s| s.emulated);
    match (url, emulated) {
        (Some(_), Some(true)) => Err(Error::Config(
            "give either schema.registry.url or emulated: true, not both".into(),
        )),
        (Some(_), _) => {
            let section = section.expect("a URL comes with its section");
            Ok(Some(Arc::new(RegistryClient::from_section(section)?)))
        }
        (None, Some(false)) => Ok(None),
        (None, explicit) => match storage.objects(EMULATED_PREFIX) {
            Some(objects) => Ok(Some(Arc::new(EmulatedRegistry::new(objects)))),
            None if explicit == Some(true) => Err(Error::Config(format!(
                "emulated: true is not available for the {} storage {} (it keeps no objects \
                 beside its topics); use schema.registry.url",
                storage.kind(),
                storage.name()
            ))),
            None => Ok(None),
        },
    }
}
