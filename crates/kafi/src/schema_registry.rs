//! Which schema registry a storage uses, from its `schema_registry` section.
//!
//! - `schema.registry.url: http://host:8081` (with optional
//!   `basic.auth.credentials.source: USER_INFO`, `basic.auth.user.info` and
//!   `ssl.ca.location`): Confluent's Schema Registry (or `kafi registry
//!   serve`) over REST, on every storage kind;
//! - `emulated: true`: the emulated registry kept in the storage itself,
//!   below `<root>/schemas/` (file storages only);
//! - no `schema_registry` section, or one without a URL: the local storage
//!   uses its emulated registry; other storages have none.

use std::sync::Arc;

use kafi_config::{StorageConfig, StorageKind};
use kafi_registry::{EmulatedRegistry, RegistryClient};
use kafi_shell::{Error, Result, Shell};

fn config_error(e: kafi_registry::Error) -> Error {
    Error::InvalidArgument(e.to_string())
}

/// Attaches the schema registry `config` selects to `shell`.
pub fn attach_schema_registry(shell: Shell, config: &StorageConfig) -> Result<Shell> {
    let section = config.schema_registry.as_ref();
    let emulated = section
        .and_then(|s| s.extra.get("emulated"))
        .map(|v| v.eq_ignore_ascii_case("true"));
    match (section.and_then(|s| s.url.as_ref()), emulated) {
        (Some(_), Some(true)) => Err(Error::InvalidArgument(
            "schema_registry: give either schema.registry.url or emulated: true, not both".into(),
        )),
        (Some(_), _) => {
            let client = RegistryClient::from_section(section.expect("a url has a section"))
                .map_err(config_error)?;
            Ok(shell.with_schema_registry(Arc::new(client)))
        }
        (None, Some(false)) => Ok(shell),
        (None, explicit) => match config.kind {
            StorageKind::Local => {
                let fs = kafi_fs::FsStorage::local(config)?;
                let registry = EmulatedRegistry::new(Arc::new(fs.objects("schemas")));
                Ok(shell.with_schema_registry(Arc::new(registry)))
            }
            other if explicit == Some(true) => Err(Error::InvalidArgument(format!(
                "schema_registry: emulated: true is not available for the {} storage",
                other.as_str()
            ))),
            _ => Ok(shell),
        },
    }
}
