//! The Python venv under `target/services/venv` that holds the services
//! and clients installed from PyPI (tansu's wheel, confluent-kafka, ...).

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// The venv.
pub fn venv() -> PathBuf {
    super::home().join("venv")
}

/// The venv's Python.
pub fn python() -> PathBuf {
    venv().join("bin/python")
}

/// Creates the venv if it is missing.
pub fn ensure_venv() -> Result<()> {
    if python().is_file() {
        return Ok(());
    }
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(venv())
        .status()
        .context("running python3 -m venv (is python3-venv installed?)")?;
    if !status.success() {
        bail!("python3 -m venv {} failed", venv().display());
    }
    Ok(())
}

/// Whether the venv's Python imports every module of `modules`
/// (comma-separated, as in an `import` statement).
pub fn imports(modules: &str) -> bool {
    Command::new(python())
        .args(["-c", &format!("import {modules}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `pip install REQUIREMENTS` into the venv (creating it first).
pub fn pip_install(requirements: &[&str]) -> Result<()> {
    ensure_venv()?;
    let status = Command::new(python())
        .args(["-m", "pip", "install", "--quiet"])
        .args(requirements)
        .status()
        .context("running pip install")?;
    if !status.success() {
        bail!("pip install {} failed", requirements.join(" "));
    }
    Ok(())
}
