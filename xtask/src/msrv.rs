//! The `msrv` step of `cargo xtask test`: does the workspace's declared
//! `rust-version` hold?
//!
//! What can be checked without that toolchain is checked, and the step says
//! what was:
//! - every locked package's declared `rust-version` is at most the
//!   workspace's (from `cargo metadata`), so that Cargo.lock builds with it
//!   (`.cargo/config.toml` makes `cargo update` prefer such versions);
//! - std APIs newer than it: clippy's `incompatible_msrv` lint, which reads
//!   `rust-version`, in the `clippy` step;
//! - when `rustup toolchain list` shows the MSRV toolchain, the workspace is
//!   also checked with it (`cargo +TOOLCHAIN check --workspace --all-targets`),
//!   which covers language features too.

use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::cargo;

/// `cargo metadata --format-version 1 --locked` (every platform).
pub fn metadata() -> Result<Value> {
    let output = cargo()
        .args(["metadata", "--format-version", "1", "--locked"])
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).context("parsing cargo metadata's output")
}

/// A `rust-version` as `(major, minor, patch)`.
fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.trim().split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0))?;
    Some((major, minor, patch))
}

/// The step: `run_cargo(args)` runs a cargo command the way the other
/// steps do. Returns whether the declared MSRV holds as far as checked.
pub fn check(run_cargo: impl Fn(&[&str]) -> Result<bool>) -> Result<bool> {
    let metadata = metadata()?;
    let members: Vec<&Value> = metadata["workspace_members"]
        .as_array()
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();

    // The workspace's rust-version: every member that declares one must
    // declare the same.
    let mut declared: Vec<(String, String)> = packages
        .iter()
        .filter(|p| members.contains(&&p["id"]))
        .filter_map(|p| {
            Some((
                p["rust_version"].as_str()?.to_owned(),
                p["name"].as_str()?.to_owned(),
            ))
        })
        .collect();
    declared.sort();
    declared.dedup_by(|a, b| a.0 == b.0);
    let msrv_text = match declared.as_slice() {
        [] => bail!("no workspace member declares a rust-version"),
        [(version, _)] => version.clone(),
        several => bail!(
            "workspace members declare different rust-versions: {}",
            several
                .iter()
                .map(|(v, name)| format!("{name} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let msrv = parse_version(&msrv_text)
        .with_context(|| format!("unreadable rust-version {msrv_text:?}"))?;

    let mut ok = true;
    let mut with_version = 0;
    let mut highest: Option<((u64, u64, u64), String)> = None;
    let mut too_new = Vec::new();
    for p in packages.iter().filter(|p| !members.contains(&&p["id"])) {
        let Some(text) = p["rust_version"].as_str() else {
            continue;
        };
        let Some(version) = parse_version(text) else {
            eprintln!(
                "msrv: {} declares an unreadable rust-version {text:?}",
                p["name"]
            );
            ok = false;
            continue;
        };
        with_version += 1;
        let label = format!(
            "{} {} (rust-version {text})",
            p["name"].as_str().unwrap_or("?"),
            p["version"].as_str().unwrap_or("?")
        );
        if version > msrv {
            too_new.push(label.clone());
        }
        if highest.as_ref().is_none_or(|(h, _)| version > *h) {
            highest = Some((version, label));
        }
    }
    let dependencies = packages.len() - members.len();
    eprintln!(
        "msrv: workspace rust-version {msrv_text}; {dependencies} locked dependencies, \
         {with_version} declare a rust-version, the highest: {}",
        highest.map_or_else(|| "none".to_owned(), |(_, label)| label)
    );
    if !too_new.is_empty() {
        eprintln!(
            "msrv: FAILED: {} locked package(s) need a newer Rust than {msrv_text}: {}\n\
             msrv: pin older versions (`cargo update -p NAME --precise VERSION`; \
             `.cargo/config.toml` makes cargo prefer compatible ones) or raise rust-version",
            too_new.len(),
            too_new.join(", ")
        );
        ok = false;
    }
    eprintln!(
        "msrv: std APIs newer than {msrv_text}: checked by clippy's incompatible_msrv lint \
         (the clippy step, -D warnings)"
    );

    match msrv_toolchain(&msrv_text) {
        Some(toolchain) => {
            eprintln!(
                "msrv: toolchain {toolchain} installed: checking the workspace with it \
                 (language features included)"
            );
            let plus = format!("+{toolchain}");
            ok &= run_cargo(&[
                &plus,
                "check",
                "--workspace",
                "--all-targets",
                "--locked",
                "--target-dir",
                "target/msrv",
            ])?;
        }
        None => eprintln!(
            "msrv: no {msrv_text} toolchain in `rustup toolchain list`: language features \
             newer than {msrv_text} are not checked (install it to check them here)"
        ),
    }
    Ok(ok)
}

/// The installed rustup toolchain of the `msrv` release (`1.85`, `1.85.0`,
/// `1.85.1-x86_64-unknown-linux-gnu`, ...: same major and minor), if any.
fn msrv_toolchain(msrv: &str) -> Option<String> {
    let wanted = parse_version(msrv)?;
    let output = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .find(|name| {
            let version = name.split('-').next().unwrap_or("");
            version.contains('.')
                && parse_version(version).is_some_and(|v| (v.0, v.1) == (wanted.0, wanted.1))
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::parse_version;

    #[test]
    fn versions_parse_with_or_without_patch() {
        assert_eq!(parse_version("1.85"), Some((1, 85, 0)));
        assert_eq!(parse_version("1.85.1"), Some((1, 85, 1)));
        assert_eq!(parse_version("1.x"), None);
        assert!(parse_version("1.89.0") > parse_version("1.85"));
    }
}
