//! External services the tests use (Kafka brokers, object stores, REST
//! proxies, client libraries), installed and started by `cargo xtask test`
//! before `cargo test` runs, and stopped after it.
//!
//! # What the tests get
//!
//! For every service that offers a kafi storage, xtask writes a kafi
//! configuration `target/services/configs/<kind dir>/<service>.yaml` (e.g.
//! `configs/clusters/tansu.yaml`) and runs the tests with:
//!
//! - `KAFI_HOME=target/services`, so the name resolves;
//! - `KAFI_TEST_<KIND>=<service>` (e.g. `KAFI_TEST_CLUSTER=tansu`), the
//!   configuration the behaviour suite opens for that kind;
//! - `KAFI_TEST_<KIND>_SERVER=<server>` when the server deviates from the
//!   reference implementation (e.g. `tansu`), which selects its capabilities;
//! - what else the service exports (`KAFI_TEST_PYTHON`, `KAFI_TEST_TANSU`).
//!
//! The tests read these through the kafi-tests crate (`tests/lib.rs`, which
//! documents the whole scheme); a test whose variable is unset prints why it
//! skips, so `cargo test` works without services. `cargo xtask services`
//! lists them.
//!
//! # Adding a service
//!
//! One module here plus one line in [`ALL`]: the module defines a
//! `pub const SERVICE: Service` with an idempotent `install` (cached under
//! `target/services/`, e.g. [`python::pip_install`]) and a `start` that
//! spawns the process ([`ServiceGuard::spawn`]), waits until it is ready
//! ([`ServiceGuard::wait_ready`]) and returns [`Started`] with the
//! configuration it offers ([`Started::storage`]). An S3 server (moto),
//! Azure Blob (Azurite) or a REST proxy each fits this shape; nothing else
//! changes.

pub mod confluent;
pub mod python;
pub mod tansu;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use kafi_config::StorageKind;

/// Every service `cargo xtask test` installs and starts, in this order.
pub const ALL: &[Service] = &[tansu::SERVICE, confluent::SERVICE];

/// A service tests need: how to install and start it.
pub struct Service {
    /// Short name: printed in the steps, names its log file and the kafi
    /// configuration it offers.
    pub name: &'static str,
    /// One line for `cargo xtask services`.
    pub summary: &'static str,
    /// Installs or checks the service (idempotent).
    pub install: fn() -> Result<()>,
    /// Starts the service and waits until it is ready.
    pub start: fn() -> Result<Started>,
}

/// What a started service offers the tests.
pub struct Started {
    process: Option<ServiceGuard>,
    storage: Option<OfferedStorage>,
    env: Vec<(String, String)>,
}

/// A kafi storage a service offers.
struct OfferedStorage {
    kind: StorageKind,
    /// The server implementation when it is not the reference one.
    server: Option<&'static str>,
    /// The kafi configuration (YAML) that reaches it.
    yaml: String,
}

impl Started {
    /// A service running as `process` (stopped when the tests end).
    pub fn process(process: ServiceGuard) -> Self {
        Self {
            process: Some(process),
            storage: None,
            env: Vec::new(),
        }
    }

    /// A service without a process (a client library, a tool).
    pub fn without_process() -> Self {
        Self {
            process: None,
            storage: None,
            env: Vec::new(),
        }
    }

    /// The service offers a storage of `kind`, reached with the kafi
    /// configuration `yaml`; `server` names the implementation when it
    /// deviates from the reference one (a name the kafi-tests crate knows).
    pub fn storage(
        mut self,
        kind: StorageKind,
        server: Option<&'static str>,
        yaml: String,
    ) -> Self {
        self.storage = Some(OfferedStorage { kind, server, yaml });
        self
    }

    /// Exports an environment variable to the tests.
    pub fn export(mut self, key: &str, value: impl std::fmt::Display) -> Self {
        self.env.push((key.to_owned(), value.to_string()));
        self
    }
}

/// The directory services keep their installs, logs and configurations in
/// (`target/services`); the tests' `KAFI_HOME`.
pub fn home() -> PathBuf {
    crate::workspace_root().join("target/services")
}

/// A fresh log file `target/services/NAME.log` for a service's output.
pub fn log_file(name: &str) -> Result<std::fs::File> {
    std::fs::create_dir_all(home())?;
    let path = home().join(format!("{name}.log"));
    std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))
}

/// `KAFI_TEST_<KIND>` (the same scheme as the kafi-tests crate).
pub fn config_var(kind: StorageKind) -> String {
    format!("KAFI_TEST_{}", kind.as_str().to_ascii_uppercase())
}

/// The started services: their environment for the tests; their processes
/// are stopped when this is dropped.
pub struct Running {
    processes: Vec<ServiceGuard>,
    env: Vec<(String, String)>,
}

impl Running {
    /// The environment variables to run the tests with.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// How many processes were started.
    pub fn process_count(&self) -> usize {
        self.processes.len()
    }
}

/// Installs and starts every service of [`ALL`], writes the configurations
/// they offer and collects their variables.
pub fn start_all() -> Result<Running> {
    let configs = home().join("configs");
    // Configurations of services not started this time must not linger.
    if configs.exists() {
        std::fs::remove_dir_all(&configs)
            .with_context(|| format!("removing {}", configs.display()))?;
    }
    let mut running = Running {
        processes: Vec::new(),
        env: vec![("KAFI_HOME".into(), home().display().to_string())],
    };
    let mut offered: BTreeMap<&'static str, &'static str> = BTreeMap::new();
    for service in ALL {
        eprintln!("==> service {}: install", service.name);
        (service.install)().with_context(|| format!("installing service {}", service.name))?;
        eprintln!("==> service {}: start", service.name);
        let started =
            (service.start)().with_context(|| format!("starting service {}", service.name))?;
        running.processes.extend(started.process);
        if let Some(storage) = started.storage {
            if let Some(other) = offered.insert(storage.kind.as_str(), service.name) {
                bail!(
                    "services {other} and {} both offer the {} storage; {} can name only one",
                    service.name,
                    storage.kind.as_str(),
                    config_var(storage.kind)
                );
            }
            let dir = configs.join(storage.kind.config_dirs()[0]);
            std::fs::create_dir_all(&dir)?;
            let path = dir.join(format!("{}.yaml", service.name));
            let text = format!(
                "# Written by `cargo xtask test` for the {} service it started; rewritten at each run.\n{}",
                service.name, storage.yaml
            );
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("==> service {}: wrote {}", service.name, path.display());
            running
                .env
                .push((config_var(storage.kind), service.name.to_owned()));
            if let Some(server) = storage.server {
                running.env.push((
                    format!("{}_SERVER", config_var(storage.kind)),
                    server.into(),
                ));
            }
        }
        running.env.extend(started.env);
    }
    Ok(running)
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// A started process: killed (by its PID, nothing else) when dropped.
pub struct ServiceGuard {
    name: &'static str,
    child: Child,
}

impl ServiceGuard {
    /// Spawns `command` as the service `name`.
    pub fn spawn(name: &'static str, command: &mut Command) -> Result<Self> {
        let child = command
            .spawn()
            .with_context(|| format!("spawning service {name}: {command:?}"))?;
        Ok(Self { name, child })
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

/// `cargo xtask services`: the services and the variables of the scheme.
pub fn print_list() {
    println!("services `cargo xtask test` starts (xtask/src/services/):");
    for service in ALL {
        println!("  {:<16} {}", service.name, service.summary);
    }
    println!("variables the tests read (see tests/lib.rs):");
    println!(
        "  {:<32} where configuration names resolve (target/services)",
        "KAFI_HOME"
    );
    for kind in StorageKind::ALL {
        let unset = if kind == StorageKind::Local {
            "unset: a fresh temporary directory"
        } else {
            "unset: its tests skip"
        };
        println!(
            "  {:<32} a kafi {} config name ({unset})",
            config_var(kind),
            kind.as_str(),
        );
    }
    println!(
        "  {:<32} the server behind it when not the reference one (tansu)",
        "KAFI_TEST_<KIND>_SERVER"
    );
    println!("  {:<32} a Python with confluent-kafka", "KAFI_TEST_PYTHON");
    println!(
        "  {:<32} a tansu binary, for tests that stop a broker",
        "KAFI_TEST_TANSU"
    );
}
