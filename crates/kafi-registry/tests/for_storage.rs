//! The registry a storage's `schema_registry` section selects, on a real
//! local storage: the emulated registry keeps its objects in the storage's
//! own root, below `schemas/`.

use kafi_config::{StorageConfig, StorageKind};
use kafi_registry::{for_storage, Error};
#[cfg(feature = "serde-jsonschema")]
use kafi_serde::{Schema, SchemaType};

async fn open(root: &std::path::Path, registry: &str) -> (StorageConfig, kafi_fs::FsStorage) {
    let yaml = format!("local:\n  root.dir: {}\n{registry}", root.display());
    let config = StorageConfig::from_yaml_str(StorageKind::Local, "t", &yaml, None).unwrap();
    let storage = kafi_fs::FsStorage::connect(&config).await.unwrap();
    (config, storage)
}

#[cfg(feature = "serde-jsonschema")]
fn schema() -> Schema {
    Schema::new(SchemaType::Json, r#"{"type":"object"}"#)
}

// Registering validates the schema: JSON schemas need their feature.
#[cfg(feature = "serde-jsonschema")]
#[tokio::test]
async fn a_file_storage_keeps_its_emulated_registry_in_its_own_root() {
    for section in [
        "",
        "schema_registry:\n  emulated: true\n",
        "schema_registry: {}\n",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (config, storage) = open(dir.path(), section).await;
        let registry = for_storage(config.schema_registry.as_ref(), &storage)
            .unwrap()
            .unwrap_or_else(|| panic!("{section:?}: no registry"));
        assert_eq!(
            registry
                .register_schema("t-value", &schema())
                .await
                .unwrap(),
            1
        );
        // The objects are files of the storage root.
        let ids = dir.path().join("schemas/ids");
        let names: Vec<String> = std::fs::read_dir(&ids)
            .unwrap_or_else(|e| panic!("{section:?}: {}: {e}", ids.display()))
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["0000000001.json"], "{section:?}");
        // A second registry over the same storage sees them.
        let again = for_storage(config.schema_registry.as_ref(), &storage)
            .unwrap()
            .unwrap();
        assert_eq!(
            again.get_subjects(None, Default::default()).await.unwrap(),
            ["t-value"]
        );
    }
}

#[tokio::test]
async fn emulated_false_means_no_registry_and_a_url_the_rest_client() {
    let dir = tempfile::tempdir().unwrap();
    let (config, storage) = open(dir.path(), "schema_registry:\n  emulated: false\n").await;
    assert!(for_storage(config.schema_registry.as_ref(), &storage)
        .unwrap()
        .is_none());

    let (config, storage) = open(
        dir.path(),
        "schema_registry:\n  schema.registry.url: http://127.0.0.1:1\n",
    )
    .await;
    let registry = for_storage(config.schema_registry.as_ref(), &storage)
        .unwrap()
        .unwrap();
    assert!(
        format!("{registry:?}").contains("RegistryClient"),
        "{registry:?}"
    );
    let err = registry
        .get_subjects(None, Default::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err}");
    assert!(err.is_retryable());
    assert!(!dir.path().join("schemas").exists());
}

#[tokio::test]
async fn a_url_and_emulated_true_in_code_are_refused() {
    // The YAML loader refuses this; a section built in code is checked too.
    let dir = tempfile::tempdir().unwrap();
    let (_, storage) = open(dir.path(), "").await;
    let section = kafi_config::SchemaRegistrySection {
        url: Some("http://127.0.0.1:1".into()),
        emulated: Some(true),
        ..Default::default()
    };
    let err = for_storage(Some(&section), &storage).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
    assert_eq!(err.kind(), kafi_core::ErrorKind::Config);
    assert!(err.to_string().contains("not both"), "{err}");
}
