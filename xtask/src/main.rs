//! Developer and CI tasks for the kafi workspace (the cargo-xtask pattern).
//!
//! ```text
//! cargo xtask test                      # fmt, clippy, msrv, features, doc, test (what CI runs)
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
mod ci;
mod fuzz;
mod msrv;
mod services;

use std::process::{Command, ExitCode};

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
    /// Run every check CI runs: fmt, clippy, MSRV, feature combinations,
    /// docs, and `cargo test --workspace` with the services tests need.
    Test {
        /// Stop at the first failing step.
        #[arg(long)]
        fail_fast: bool,
        /// Run only these steps (fmt, clippy, msrv, features, doc, test).
        #[arg(long, value_name = "STEP", value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Benchmark the local emulation (release build); writes target/bench/local.json.
    Bench(bench::BenchArgs),
    /// Benchmark the cluster storage against PyPI confluent-kafka on tansu
    /// (release build); writes target/bench/cluster.json.
    BenchCluster(bench_cluster::BenchClusterArgs),
    /// List the services `test` starts and the variables the tests read.
    Services,
    /// Run one fuzz target of fuzz/ with cargo-fuzz (installed on first use).
    Fuzz(fuzz::FuzzArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Task::Test { fail_fast, only } => ci::test(fail_fast, &only),
        Task::Bench(args) if args.suite.as_deref() == Some("schemas") => {
            bench_schemas::run(&args).map(|()| true)
        }
        Task::Bench(args) => bench::run(&args).map(|()| true),
        Task::BenchCluster(args) => bench_cluster::run(&args).map(|()| true),
        Task::Fuzz(args) => fuzz::run(&args),
        Task::Services => {
            services::print_list();
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
