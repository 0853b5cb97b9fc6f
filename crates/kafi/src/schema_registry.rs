//! Attaching the schema registry a storage's config selects; the choice
//! itself is [`kafi_registry::for_storage`].

use kafi_config::StorageConfig;
use kafi_shell::{Result, Shell};

/// Attaches the schema registry `config`'s `schema_registry` section
/// selects for the shell's storage (see [`kafi_registry::for_storage`]):
/// the REST client for `schema.registry.url`, the emulated registry in the
/// storage's own objects (`emulated: true`, and by default on storages of
/// files and object stores), or none.
pub fn attach_schema_registry(shell: Shell, config: &StorageConfig) -> Result<Shell> {
    let registry =
        kafi_registry::for_storage(config.schema_registry.as_ref(), shell.storage().as_ref())?;
    Ok(match registry {
        Some(registry) => shell.with_schema_registry(registry),
        None => shell,
    })
}
