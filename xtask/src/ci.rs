//! `cargo xtask test`: every check CI runs, in order, each timed.
//!
//! 1. `fmt`: `cargo fmt --all -- --check`.
//! 2. `clippy`: `cargo clippy --workspace --all-targets -- -D warnings`
//!    (its `incompatible_msrv` lint rejects std APIs newer than the
//!    declared `rust-version`).
//! 3. `msrv`: the declared `rust-version` holds, as far as the installed
//!    toolchains can tell (see [`crate::msrv`]).
//! 4. `features`: `cargo check --lib` of the facade with
//!    `--no-default-features` and with each of its features alone (but
//!    those of [`NOT_ALONE`]), and of the other library crates with
//!    `--no-default-features`, so a feature that fails to compile alone, or
//!    leaves dead code behind (a warning), is caught. It shares clippy's
//!    artifacts where the feature sets agree.
//! 5. `doc`: `cargo doc --workspace --no-deps` with `RUSTDOCFLAGS=-D warnings`.
//! 6. `test`: `cargo test --workspace --no-fail-fast`, with the services of
//!    [`crate::services::ALL`] started first (and stopped after).

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::{cargo, services};

/// The facade crate, whose features are checked one by one.
const FACADE: &str = "kafi";

/// Runs every step (or those `only` names); returns whether all passed.
pub fn test(fail_fast: bool, only: &[String]) -> Result<bool> {
    let started = Instant::now();
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    ensure_component("fmt", "rustfmt");
    ensure_component("clippy", "clippy");
    let runner = Runner { ci };

    type StepFn = fn(&Runner) -> Result<bool>;
    let steps: [(&str, StepFn); 6] = [
        ("fmt", |r| r.cargo(&["fmt", "--all", "--", "--check"], &[])),
        ("clippy", |r| {
            r.cargo(
                &[
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ],
                &[],
            )
        }),
        ("msrv", |r| crate::msrv::check(|args| r.cargo(args, &[]))),
        ("features", features),
        ("doc", |r| {
            r.cargo(
                &["doc", "--workspace", "--no-deps"],
                &[("RUSTDOCFLAGS", "-D warnings")],
            )
        }),
        ("test", run_tests),
    ];
    if let Some(unknown) = only
        .iter()
        .find(|o| !steps.iter().any(|(name, _)| name == o))
    {
        anyhow::bail!(
            "--only {unknown}: no such step (steps: {})",
            steps.map(|(name, _)| name).join(", ")
        );
    }
    let steps: Vec<_> = steps
        .into_iter()
        .filter(|(name, _)| only.is_empty() || only.iter().any(|o| o == name))
        .collect();
    let mut outcomes: Vec<(&str, Option<bool>, f64)> = Vec::new();
    let mut failed = false;
    for (i, (name, step)) in steps.iter().enumerate() {
        if failed && fail_fast {
            outcomes.push((name, None, 0.0));
            continue;
        }
        eprintln!("==> [{}/{}] {name}", i + 1, steps.len());
        let step_start = Instant::now();
        let ok = step(&runner).with_context(|| format!("step {name}"))?;
        let seconds = step_start.elapsed().as_secs_f64();
        eprintln!(
            "==> [{}/{}] {name}: {} in {seconds:.1}s",
            i + 1,
            steps.len(),
            if ok { "ok" } else { "FAILED" }
        );
        failed |= !ok;
        outcomes.push((name, Some(ok), seconds));
    }

    let summary: Vec<String> = outcomes
        .iter()
        .map(|(name, ok, seconds)| match ok {
            Some(true) => format!("{name} ok ({seconds:.1}s)"),
            Some(false) => format!("{name} FAILED ({seconds:.1}s)"),
            None => format!("{name} skipped"),
        })
        .collect();
    let passed = outcomes.iter().filter(|o| o.1 == Some(true)).count();
    println!(
        "xtask test: {} — {passed}/{} steps passed: {} [{:.1}s]",
        if failed { "FAILED" } else { "ok" },
        outcomes.len(),
        summary.join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(!failed)
}

/// Runs cargo commands the same way in every step.
struct Runner {
    ci: bool,
}

impl Runner {
    /// `cargo ARGS` with `env`; whether it succeeded.
    fn cargo(&self, args: &[&str], env: &[(&str, &str)]) -> Result<bool> {
        let mut command = cargo();
        command.args(args);
        self.prepare(&mut command);
        for (key, value) in env {
            command.env(key, value);
        }
        eprintln!("==> cargo {}", args.join(" "));
        Ok(command
            .status()
            .with_context(|| format!("running cargo {}", args.join(" ")))?
            .success())
    }

    /// `cargo ARGS` (with `--message-format=json` among them), printing
    /// the compiler's diagnostics; whether it succeeded and how many
    /// warnings the workspace's crates got (dependencies' are capped).
    fn cargo_diagnostics(&self, args: &[&str]) -> Result<(bool, usize)> {
        let mut command = cargo();
        command.args(args).stdout(std::process::Stdio::piped());
        self.prepare(&mut command);
        eprintln!("==> cargo {}", args.join(" "));
        let mut child = command
            .spawn()
            .with_context(|| format!("running cargo {}", args.join(" ")))?;
        let mut warnings = 0;
        let stdout = child.stdout.take().context("cargo's stdout")?;
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            let message: Value = match serde_json::from_str(&line?) {
                Ok(message) => message,
                Err(_) => continue,
            };
            if message["reason"] != "compiler-message" {
                continue;
            }
            let diagnostic = &message["message"];
            if diagnostic["level"] == "warning" {
                warnings += 1;
            }
            if let Some(rendered) = diagnostic["rendered"].as_str() {
                eprint!("{rendered}");
            }
        }
        let status = child.wait().context("waiting for cargo")?;
        Ok((status.success(), warnings))
    }

    fn prepare(&self, command: &mut Command) {
        if self.ci && std::env::var_os("CARGO_INCREMENTAL").is_none() {
            // A fresh clone builds once: incremental data is only overhead.
            command.env("CARGO_INCREMENTAL", "0");
        }
        if std::env::var_os("RUST_BACKTRACE").is_none() {
            command.env("RUST_BACKTRACE", "1");
        }
    }
}

/// Facade features not checked alone: the default set (the other steps
/// build it), `full` (the default set plus features that are empty or
/// checked alone) and `cli`, which is for the binary, not library users.
const NOT_ALONE: &[&str] = &["default", "full", "cli"];

/// The `features` step: each combination a library user would pick, one
/// cargo invocation each so features do not unify. A warning fails the step
/// too: dead code behind a feature shows up only in some combinations.
fn features(runner: &Runner) -> Result<bool> {
    let metadata = crate::msrv::metadata()?;
    let facade = package(&metadata, FACADE).context("the facade crate is not in the workspace")?;
    let mut combinations: Vec<Vec<String>> = vec![vec![
        "-p".into(),
        FACADE.into(),
        "--no-default-features".into(),
    ]];
    let mut alone: Vec<&str> = facade["features"]
        .as_object()
        .map(|f| f.keys().map(String::as_str).collect())
        .unwrap_or_default();
    alone.retain(|f| !NOT_ALONE.contains(f));
    alone.sort_unstable();
    for feature in alone {
        combinations.push(vec![
            "-p".into(),
            FACADE.into(),
            "--no-default-features".into(),
            "--features".into(),
            feature.into(),
        ]);
    }
    // The other library crates together: none enables another's features
    // (workspace dependencies have `default-features = false`), so each is
    // checked without its defaults, for the cost of one invocation.
    let mut libraries = Vec::new();
    for name in library_crates(&metadata) {
        if name != FACADE {
            libraries.push("-p".to_owned());
            libraries.push(name);
        }
    }
    libraries.push("--no-default-features".into());
    combinations.push(libraries);

    let mut ok = true;
    for (i, combination) in combinations.iter().enumerate() {
        let mut args = vec!["check", "--lib", "--message-format=json"];
        args.extend(combination.iter().map(String::as_str));
        let start = Instant::now();
        let (passed, warnings) = runner.cargo_diagnostics(&args)?;
        let verdict = match (passed, warnings) {
            (false, _) => "FAILED".to_owned(),
            (true, 0) => "ok".to_owned(),
            (true, n) => format!("FAILED ({n} warning(s))"),
        };
        eprintln!(
            "==> features [{}/{}] {}: {verdict} in {:.1}s",
            i + 1,
            combinations.len(),
            combination.join(" "),
            start.elapsed().as_secs_f64()
        );
        ok &= passed && warnings == 0;
    }
    Ok(ok)
}

/// The workspace package `name` in `cargo metadata` output.
fn package<'a>(metadata: &'a Value, name: &str) -> Option<&'a Value> {
    let members = metadata["workspace_members"].as_array()?;
    metadata["packages"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name && members.iter().any(|m| m == &p["id"]))
}

/// The workspace's publishable crates with a library target, sorted.
fn library_crates(metadata: &Value) -> Vec<String> {
    let members = metadata["workspace_members"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut out: Vec<String> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| members.contains(&p["id"]))
        // `publish = false` is an empty list of registries.
        .filter(|p| p["publish"].as_array().is_none_or(|r| !r.is_empty()))
        .filter(|p| {
            p["targets"].as_array().is_some_and(|targets| {
                targets.iter().any(|t| {
                    t["kind"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|k| k == "lib"))
                })
            })
        })
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    out.sort();
    out
}

/// The `test` step: start the services, run `cargo test --workspace` with
/// their variables, stop them.
fn run_tests(runner: &Runner) -> Result<bool> {
    let start = Instant::now();
    let running = services::start_all()?;
    eprintln!(
        "==> services: {} process(es) started in {:.1}s",
        running.process_count(),
        start.elapsed().as_secs_f64()
    );
    for (key, value) in running.env() {
        eprintln!("==>   {key}={value}");
    }
    let env: Vec<(&str, &str)> = running
        .env()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // Every failing test binary is reported, not only the first.
    let ok = runner.cargo(&["test", "--workspace", "--no-fail-fast"], &env);
    drop(running);
    ok
}

/// Makes sure a cargo subcommand from a rustup component is there.
fn ensure_component(subcommand: &str, component: &str) {
    let present = cargo()
        .args([subcommand, "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        eprintln!("==> cargo {subcommand} missing; trying `rustup component add {component}`");
        let _ = Command::new("rustup")
            .args(["component", "add", component])
            .status();
    }
}
