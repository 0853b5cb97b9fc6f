//! Every example file under `<workspace>/configs` loads and validates.

use std::path::{Path, PathBuf};

use kafi_config::{list_configs, KafiSettings, SerdeType, StorageConfig, StorageKind};

fn workspace_home() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Values for the variables the examples require (they have no defaults).
fn example_env(name: &str) -> Option<String> {
    let v = match name {
        "KAFI_KAFKA_SERVER" => "pkc-1.example.cloud:9092",
        "KAFI_KAFKA_USERNAME" => "API_KEY",
        "KAFI_KAFKA_PASSWORD" => "API_SECRET_VALUE",
        "KAFI_SCHEMA_REGISTRY_URL" => "https://psrc-1.example.cloud",
        "KAFI_SCHEMA_REGISTRY_USER_INFO" => "SR_KEY:SR_SECRET_VALUE",
        _ => return None,
    };
    Some(v.to_owned())
}

fn load(kind: StorageKind, name: &str) -> StorageConfig {
    StorageConfig::load_from_with_env(kind, name, &workspace_home(), &example_env)
        .unwrap_or_else(|e| panic!("{kind} {name}: {e}"))
}

#[test]
fn every_example_file_loads() {
    let mut count = 0;
    for kind in StorageKind::ALL {
        for dir in kind.config_dirs() {
            let dir = workspace_home().join("configs").join(dir);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                let c = StorageConfig::from_yaml_str_with_env(
                    kind,
                    "example",
                    &text,
                    Some(&path),
                    &example_env,
                )
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(c.kind(), kind);
                let dump = c.redacted_yaml();
                assert!(!dump.contains("SECRET_VALUE"), "{dump}");
                count += 1;
            }
        }
    }
    assert!(count >= 7, "only {count} example files found");
}

#[test]
fn example_dumps_hide_user_info_in_urls_and_addresses() {
    // The same files with credentials written into the URL and the servers.
    let env = |name: &str| match name {
        "KAFI_SCHEMA_REGISTRY_URL" => Some("https://SR_KEY:SR_URL_SECRET_VALUE@psrc-1".to_owned()),
        "KAFI_KAFKA_SERVER" => Some("KEY:KAFKA_URL_SECRET_VALUE@pkc-1:9092".to_owned()),
        other => example_env(other),
    };
    let c =
        StorageConfig::load_from_with_env(StorageKind::Cluster, "ccloud", &workspace_home(), &env)
            .unwrap();
    for text in [c.redacted_yaml(), format!("{c:?}")] {
        assert!(!text.contains("SECRET_VALUE"), "{text}");
        assert!(text.contains("https://********@psrc-1"), "{text}");
        assert!(text.contains("********@pkc-1:9092"), "{text}");
    }
}

#[test]
fn examples_are_listed() {
    let home = workspace_home();
    let clusters = list_configs(StorageKind::Cluster, Some(&home));
    for name in ["ccloud", "local", "redpanda"] {
        assert!(clusters.contains(&name.to_owned()), "{clusters:?}");
    }
    for kind in [
        StorageKind::RestProxy,
        StorageKind::Local,
        StorageKind::S3,
        StorageKind::AzureBlob,
    ] {
        assert!(list_configs(kind, Some(&home)).contains(&"local".to_owned()));
    }
}

#[test]
fn example_contents() {
    let local = load(StorageKind::Cluster, "local");
    assert_eq!(
        local.kafka().unwrap().bootstrap_servers(),
        Some("localhost:9092")
    );
    assert_eq!(
        local.schema_registry().unwrap().url.as_deref(),
        Some("http://localhost:8081")
    );
    // The spelled-out kafi section equals the defaults.
    assert_eq!(local.kafi, KafiSettings::default());

    let ccloud = load(StorageKind::Cluster, "ccloud");
    let kafka = ccloud.kafka().unwrap();
    assert_eq!(kafka.get("security.protocol"), Some("SASL_SSL"));
    assert_eq!(kafka.get("sasl.password"), Some("API_SECRET_VALUE"));
    let sr = ccloud.schema_registry().unwrap();
    assert_eq!(
        sr.basic_auth_credentials_source.as_deref(),
        Some("USER_INFO")
    );
    assert_eq!(
        sr.basic_auth_user_info.as_deref(),
        Some("SR_KEY:SR_SECRET_VALUE")
    );

    let err = StorageConfig::load_from_with_env(
        StorageKind::Cluster,
        "ccloud",
        &workspace_home(),
        &|_| None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("KAFI_KAFKA_SERVER"), "{err}");

    let redpanda = load(StorageKind::Cluster, "redpanda");
    assert_eq!(
        redpanda.kafka().unwrap().bootstrap_servers(),
        Some("localhost:19092")
    );

    let rp = load(StorageKind::RestProxy, "local");
    assert_eq!(rp.rest_proxy().unwrap().url, "http://localhost:8082");
    assert_eq!(rp.kafi, KafiSettings::default());

    let fs = load(StorageKind::Local, "local");
    assert_eq!(fs.local().unwrap().root_dir, "./kafi-data");
    assert_eq!(fs.kafi.value_type, SerdeType::Json);
    assert_eq!(fs.kafi, KafiSettings::default());

    let s3 = load(StorageKind::S3, "local");
    let s3 = s3.s3().unwrap();
    assert_eq!(s3.endpoint.as_deref(), Some("http://localhost:9000"));
    assert_eq!(s3.access_key.as_deref(), Some("minioadmin"));
    assert_eq!(
        (s3.bucket_name.as_str(), s3.root_dir.as_str()),
        ("test", "kafi")
    );

    let az = load(StorageKind::AzureBlob, "local");
    let az = az.azure_blob().unwrap();
    assert!(az
        .connection_string
        .as_deref()
        .unwrap()
        .contains("AccountName=devstoreaccount1;"));
    assert_eq!(az.container_name, "test");
}
