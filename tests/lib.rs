//! Helpers of the kafi behaviour suite: one [`TestStorage`] per storage the
//! suite can reach, so every behaviour case is written once and run against
//! all of them.
//!
//! The local storage (on a fresh temporary directory) is always available.
//! Other storages are selected by environment variables naming a kafi
//! configuration (resolved like `kafi::open`, from `.`/`KAFI_HOME`):
//!
//! | variable | storage kind |
//! |---|---|
//! | `KAFI_TEST_CLUSTER` | `cluster` (Kafka) |
//! | `KAFI_TEST_RESTPROXY` | `restproxy` |
//! | `KAFI_TEST_S3` | `s3` |
//! | `KAFI_TEST_AZUREBLOB` | `azureblob` |
//!
//! `KAFI_TEST_CLUSTER_BOOTSTRAP` (set by `cargo xtask test`, which starts
//! a tansu broker) adds a `cluster` storage on that PLAINTEXT address with
//! `session.timeout.ms: 6000`, without any configuration file.
//!
//! When a variable is not set, the storage is skipped with a message on
//! stderr. When it is set, failing to open the storage fails the suite: the
//! run was asked to cover it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use kafi_config::{KafiSettings, StorageKind};
use kafi_shell::Shell;

/// Storages selected by environment variables: `(variable, kind)`.
pub const REMOTE_BACKENDS: &[(&str, StorageKind)] = &[
    ("KAFI_TEST_CLUSTER", StorageKind::Cluster),
    ("KAFI_TEST_RESTPROXY", StorageKind::RestProxy),
    ("KAFI_TEST_S3", StorageKind::S3),
    ("KAFI_TEST_AZUREBLOB", StorageKind::AzureBlob),
];

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// One storage under test, with the shell over it.
pub struct TestStorage {
    /// `local`, `cluster:<config>`, ...
    pub label: String,
    /// The storage kind.
    pub kind: StorageKind,
    /// The shell commands over the storage.
    pub shell: Shell,
    /// Prefix making topic and group names unique on shared storages
    /// (empty on a private temporary directory).
    prefix: String,
    /// Keeps a local storage's directory alive.
    dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for TestStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestStorage")
            .field("label", &self.label)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl TestStorage {
    /// Kafka emulated on a fresh temporary directory.
    pub fn local() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let settings = KafiSettings {
            verbose: 0,
            ..KafiSettings::default()
        };
        let storage = kafi_fs::FsStorage::local_at(dir.path()).expect("open local storage");
        Self {
            label: "local".into(),
            kind: StorageKind::Local,
            shell: Shell::new(Arc::new(storage), settings),
            prefix: String::new(),
            dir: Some(dir),
        }
    }

    /// The storage `kind` configured in `config`.
    pub async fn open(kind: StorageKind, config: &str) -> kafi::Result<Self> {
        let shell = kafi::open(kind, config).await?;
        Ok(Self::shared(
            shell,
            kind,
            format!("{}:{config}", kind.as_str()),
        ))
    }

    /// A Kafka cluster at `bootstrap` (PLAINTEXT), with settings suited to
    /// tests (`session.timeout.ms: 6000`, short consume timeout).
    pub async fn cluster(bootstrap: &str) -> kafi::Result<Self> {
        let yaml = format!(
            "kafka:\n  bootstrap.servers: {bootstrap}\n\
             kafi:\n  session.timeout.ms: 6000\n  consume.timeout: 2.0\n  verbose: 0\n"
        );
        let config =
            kafi_config::StorageConfig::from_yaml_str(StorageKind::Cluster, "test", &yaml, None)
                .map_err(kafi_core::Error::from)?;
        let shell = kafi::open_config(&config).await?;
        Ok(Self::shared(
            shell,
            StorageKind::Cluster,
            format!("cluster:{bootstrap}"),
        ))
    }

    fn shared(shell: Shell, kind: StorageKind, label: String) -> Self {
        shell.set_verbose(0);
        let unique = format!(
            "kafi_test_{}_{}_{}_",
            std::process::id(),
            kafi_core::message::now_millis(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        Self {
            label,
            kind,
            shell,
            prefix: unique,
            dir: None,
        }
    }

    /// A topic name for this test on this storage.
    pub fn topic(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// A consumer group name for this test on this storage.
    pub fn group(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Whether this is the tansu broker `KAFI_TEST_CLUSTER_BOOTSTRAP` names,
    /// whose known deviations from Apache Kafka (see `shared/services.md`)
    /// some cases skip after checking that kafi reports the broker's answer.
    pub fn is_tansu(&self) -> bool {
        self.kind == StorageKind::Cluster
            && self.label.starts_with("cluster:")
            && std::env::var("KAFI_TEST_CLUSTER_BOOTSTRAP")
                .is_ok_and(|b| self.label == format!("cluster:{}", b.trim()))
    }

    /// Prints why the rest of `case` is skipped on tansu.
    pub fn skip_tansu(&self, case: &str, deviation: &str) {
        eprintln!(
            "skipped: rest of {case} on {}: tansu deviation: {deviation}",
            self.label
        );
    }

    /// The root directory of a local storage.
    pub fn local_root(&self) -> Option<&std::path::Path> {
        self.dir.as_ref().map(|d| d.path())
    }
}

/// Fresh instances of every storage the suite can reach (local always);
/// prints why each other storage is skipped.
pub async fn backends() -> Vec<TestStorage> {
    let mut out = vec![TestStorage::local()];
    match std::env::var("KAFI_TEST_CLUSTER_BOOTSTRAP") {
        Ok(b) if !b.trim().is_empty() => match TestStorage::cluster(b.trim()).await {
            Ok(t) => out.push(t),
            Err(e) => panic!("KAFI_TEST_CLUSTER_BOOTSTRAP={b}: cannot connect: {e}"),
        },
        _ => eprintln!("skipping the tansu cluster: KAFI_TEST_CLUSTER_BOOTSTRAP not set"),
    }
    for (var, kind) in REMOTE_BACKENDS {
        match std::env::var(var) {
            Ok(config) if !config.trim().is_empty() => {
                match TestStorage::open(*kind, config.trim()).await {
                    Ok(t) => out.push(t),
                    Err(e) => panic!(
                        "{var}={config}: cannot open the {} storage: {e}",
                        kind.as_str()
                    ),
                }
            }
            _ => eprintln!(
                "skipping the {} storage: {var} is not set (set it to a kafi config name)",
                kind.as_str()
            ),
        }
    }
    out
}
