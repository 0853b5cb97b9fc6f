//! Developer and CI tasks for the kafi workspace (the cargo-xtask pattern).
//!
//! ```text
//! cargo xtask test                      # fmt check, clippy, cargo test (what CI runs)
//! cargo xtask bench [--messages N] [--quick]
//! cargo xtask bench schemas [-n N]      # avro/protobuf/jsonschema, vs Python Kafi
//! cargo xtask bench-cluster [-n N]        # kafi vs confluent-kafka on tansu
//! cargo xtask services                  # the services tests can use and their env vars
//! cargo xtask fuzz TARGET --seconds N   # one cargo-fuzz target (cargo xtask fuzz --list)
//! ```
//!
//! CI runs `bash .ci/run`, which is `cargo xtask test`.

mod bench;
mod bench_cluster;
mod bench_schemas;
mod fuzz;
mod services;

use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

/// Developer and CI tasks for the kafi workspace.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Run the whole test suite: `cargo fmt --check`, `cargo clippy -D warnings`,
    /// `cargo test --workspace` (with any services tests need started first).
    Test {
        /// Stop at the first failing step.
        #[arg(long)]
        fail_fast: bool,
    },
    /// Benchmark the local emulation (release build); writes target/bench/local.json.
    Bench(bench::BenchArgs),
    /// Benchmark the cluster storage against PyPI confluent-kafka on tansu
    /// (release build); writes target/bench/cluster.json.
    BenchCluster(bench_cluster::BenchClusterArgs),
    /// List the services `test` can start and the environment variables they export.
    Services,
    /// Run one fuzz target of fuzz/ with cargo-fuzz (installed on first use).
    Fuzz(fuzz::FuzzArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Task::Test { fail_fast } => test(fail_fast),
        Task::Bench(args) if args.suite.as_deref() == Some("schemas") => {
            bench_schemas::run(&args).map(|()| true)
        }
        Task::Bench(args) => bench::run(&args).map(|()| true),
        Task::BenchCluster(args) => bench_cluster::run(&args).map(|()| true),
        Task::Fuzz(args) => fuzz::run(&args),
        Task::Services => {
            services_list();
            Ok(true)
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this package).
pub(crate) fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// The `cargo` running us (or the one on PATH).
pub(crate) fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(workspace_root());
    command
}

fn services_list() {
    let services = services::all();
    if services.is_empty() {
        println!("services: none needed yet");
    }
    for service in &services {
        println!("service: {}", service.name);
    }
    println!("environment variables tests may read once services exist:");
    for (name, meaning) in services::ENV_VARS {
        println!("  {name:<40} {meaning}");
    }
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

/// `cargo xtask test`: returns whether every step passed.
fn test(fail_fast: bool) -> Result<bool> {
    let started = Instant::now();
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    ensure_component("fmt", "rustfmt");
    ensure_component("clippy", "clippy");

    // Services: installed and started first; stopped when the
    // guards drop at the end of this function.
    let mut guards = Vec::new();
    for service in services::all() {
        eprintln!("==> service {}: install", service.name);
        service.install()?;
        eprintln!("==> service {}: start", service.name);
        guards.push(service.start()?);
    }
    let service_env: Vec<(&str, String)> = guards
        .iter()
        .flat_map(|g: &services::ServiceGuard| g.env().iter().cloned())
        .collect();

    let steps: [(&str, &[&str]); 3] = [
        ("fmt", &["fmt", "--all", "--", "--check"]),
        (
            "clippy",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
        ("test", &["test", "--workspace"]),
    ];
    let mut outcomes: Vec<(&str, Option<bool>, f64)> = Vec::new();
    let mut failed = false;
    for (i, (name, args)) in steps.iter().enumerate() {
        if failed && fail_fast {
            outcomes.push((name, None, 0.0));
            continue;
        }
        eprintln!(
            "==> [{}/{}] {name}: cargo {}",
            i + 1,
            steps.len(),
            args.join(" ")
        );
        let step_start = Instant::now();
        let mut command = cargo();
        command.args(*args);
        if ci && std::env::var_os("CARGO_INCREMENTAL").is_none() {
            // A fresh clone builds once: incremental data is only overhead.
            command.env("CARGO_INCREMENTAL", "0");
        }
        if std::env::var_os("RUST_BACKTRACE").is_none() {
            command.env("RUST_BACKTRACE", "1");
        }
        for (key, value) in &service_env {
            command.env(key, value);
        }
        let ok = command
            .status()
            .with_context(|| format!("running cargo {}", args.join(" ")))?
            .success();
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
    drop(guards);

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
