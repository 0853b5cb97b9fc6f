//! Storage configuration for kafi.
//!
//! In kafi one YAML file describes one connection to a *storage*: a Kafka
//! cluster (section `kafka`), a Kafka REST Proxy (`rest_proxy`), or Kafka
//! emulated on the local file system (`local`), S3 (`s3`) or Azure Blob
//! Storage (`azure_blob`). Every file may also have a `schema_registry`
//! section and a `kafi` section of [`KafiSettings`].
//!
//! A [`StorageConfig`] holds exactly one storage section, as a
//! [`BackendSection`] whose kind is the configuration's [`StorageKind`]
//! (with typed accessors such as [`StorageConfig::local`]). The small enums
//! ([`StorageKind`], [`SerdeType`], [`AutoOffsetReset`]) live in `kafi-core`,
//! below this crate, and are re-exported here; a configuration error met by
//! a storage converts into `kafi_core::Error::Config`.
//!
//! # Finding files
//!
//! [`StorageConfig::load`] looks a name up in the kafi home ([`kafi_home`]:
//! `$KAFI_HOME` or `.`): first `<home>/<name>.yaml` / `.yml`, then
//! `<home>/configs/<dir>/<name>.yaml` / `.yml` where `<dir>` is
//! `clusters`, `restproxies`, `locals`, `s3s` or `azureblobs`/`azblobs`
//! ([`StorageKind::config_dirs`]). [`list_configs`] lists the names found.
//!
//! # Environment variables
//!
//! After the YAML is parsed, every string value may reference environment
//! variables: `${VAR}` (an error if `VAR` is unset) or `${VAR:-default}`
//! (`default` if `VAR` is unset or empty). `$${` is a literal `${`; any other
//! `$` is literal. Substitution happens inside string scalars only, so a
//! value containing `:` or newlines can never change the YAML structure,
//! and the result is never re-scanned.
//!
//! # Validation
//!
//! Everything is checked once, at load: unknown sections, a missing storage
//! section, unknown keys in the fixed-key sections (`local`, `s3`,
//! `azure_blob`, `rest_proxy`, `kafi`), and the type of every `kafi` item.
//! `kafka` keys are free-form librdkafka properties kept as strings;
//! `schema_registry.emulated` is a boolean (and not `true` beside a URL),
//! and other unknown `schema_registry` keys go to
//! [`SchemaRegistrySection::extra`].
//! Errors ([`enum@Error`]) name the file and the dotted key but never the
//! value of a secret ([`is_secret_key`]); `Debug` output and
//! [`StorageConfig::redacted_yaml`] hide secrets as well, and the user info
//! of URLs and addresses in any value (`http://user:password@host`,
//! `user:password@host:port`) through [`redact_user_info`], the helper every
//! kafi crate uses before printing or logging a URL.
//!
//! # Example
//!
//! ```
//! use kafi_config::{SerdeType, StorageConfig, StorageKind};
//!
//! let yaml = r#"
//! kafka:
//!   bootstrap.servers: ${KAFI_KAFKA_SERVER:-localhost:9092}
//!   sasl.password: ${KAFI_KAFKA_PASSWORD}
//! schema_registry:
//!   schema.registry.url: http://localhost:8081
//! kafi:
//!   consume.batch.size: 500
//!   value.type: avro
//! "#;
//! // Tests and tools can supply variables without touching the process environment.
//! let env = |name: &str| (name == "KAFI_KAFKA_PASSWORD").then(|| "s3cr3t".to_owned());
//! let config = StorageConfig::from_yaml_str_with_env(StorageKind::Cluster, "example", yaml, None, &env)?;
//!
//! let kafka = config.kafka()?;
//! assert_eq!(kafka.bootstrap_servers(), Some("localhost:9092"));
//! assert_eq!(config.kafi.consume_batch_size, 500);
//! assert_eq!(config.kafi.value_type, SerdeType::Avro);
//! assert_eq!(config.kafi.produce_batch_size, 1000); // default
//! assert!(!format!("{config:?}").contains("s3cr3t"));
//! assert!(!config.redacted_yaml().contains("s3cr3t"));
//! # Ok::<(), kafi_config::Error>(())
//! ```

mod error;
mod redact;
mod sections;
mod settings;
mod storage;
mod subst;

pub use error::{Error, Result, INLINE_LABEL, RUNTIME_LABEL};
pub use kafi_core::{AutoOffsetReset, ParseEnumError, SerdeType, StorageKind};
pub use redact::{has_user_info, redact_user_info};
pub use sections::{
    AzureBlobSection, KafkaSection, LocalSection, RestProxySection, S3Section,
    SchemaRegistrySection,
};
pub use settings::{KafiSettings, SharedSettings};
pub use storage::{kafi_home, list_configs, BackendSection, StorageConfig};

/// What secret values are replaced with in `Debug` output, dumps and errors.
pub const REDACTED: &str = "********";

/// Whether the value of configuration key `key` is a secret.
///
/// `key` may be a bare key (`sasl.password`) or dotted with its section
/// (`s3.secret.key`). Secret are keys containing `password`, `secret`,
/// `user.info`, `connection.string` or `jaas.config`, keys ending in `.key`
/// (`s3.access.key`, `ssl.key`), `ssl.key.pem` and `sasl.oauthbearer.config`.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "user.info",
        "connection.string",
        "jaas.config",
    ]
    .iter()
    .any(|needle| key.contains(needle))
        || key.ends_with(".key")
        || key.ends_with("ssl.key.pem")
        || key.ends_with("sasl.oauthbearer.config")
}

#[cfg(test)]
mod tests {
    use super::{is_secret_key, AutoOffsetReset, SerdeType};

    #[test]
    fn enums_read_and_write_as_names_in_yaml() {
        let yaml = serde_yaml::to_string(&SerdeType::Protobuf).unwrap();
        assert_eq!(yaml.trim(), "protobuf");
        let t: SerdeType = serde_yaml::from_str("pb").unwrap();
        assert_eq!(t, SerdeType::Protobuf);
        assert!(serde_yaml::from_str::<AutoOffsetReset>("nope").is_err());
    }

    #[test]
    fn secret_keys() {
        for key in [
            "sasl.password",
            "kafka.ssl.key.password",
            "ssl.keystore.password",
            "basic.auth.user.info",
            "s3.access.key",
            "secret.key",
            "connection.string",
            "sasl.oauthbearer.client.secret",
            "sasl.jaas.config",
            "ssl.key.pem",
            "SASL.PASSWORD",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "bootstrap.servers",
            "sasl.username",
            "ssl.key.location",
            "schema.registry.url",
            "bucket.name",
            "kafi.consume.batch.size",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }
}
