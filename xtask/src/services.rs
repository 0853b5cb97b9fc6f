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

#![allow(dead_code)] // Parts are used only once a service is added.

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

/// The services the test suite needs: none yet.
pub fn all() -> Vec<Service> {
    Vec::new()
}
