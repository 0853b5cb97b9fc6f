//! `cargo xtask bench-cluster`: kafi against PyPI confluent-kafka on the
//! same tansu broker (started here). N messages of ~100 bytes:
//! - kafi library produce + consume (the `cluster_bench` example),
//! - kafi CLI `cat -n N --type bytes` to /dev/null (explicit offsets, no join),
//! - confluent-kafka produce + consume (Python loop, assign(), no group),
//! - kafi CLI `cp` cluster → local: wall time and peak RSS.
//!
//! Prints msgs/s and ratios, and writes target/bench/cluster.json.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::{json, Value};

use crate::bench::{measure as measure_with, Measured};
use crate::services::{confluent, python, tansu};
use crate::{cargo, workspace_root};

/// Options of `cargo xtask bench-cluster`.
#[derive(Debug, Args)]
pub struct BenchClusterArgs {
    /// Number of messages.
    #[arg(long, short = 'n', default_value_t = 1_000_000)]
    messages: u64,
    /// Use this broker instead of starting tansu.
    #[arg(long)]
    bootstrap: Option<String>,
}

/// Measures a child whose stdout (JSON figures) is read back.
fn measure(command: &mut Command) -> Result<Measured> {
    measure_with(command, true)
}

fn rate(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(0.0)
}

/// Runs the benchmark.
pub fn run(args: &BenchClusterArgs) -> Result<()> {
    let n = args.messages;
    let root = workspace_root();
    let mut guard = None;
    let bootstrap = match &args.bootstrap {
        Some(b) => b.clone(),
        None => {
            eprintln!("==> installing and starting tansu");
            tansu::install()?;
            let (g, b) = tansu::start_broker()?;
            guard = Some(g);
            b
        }
    };
    eprintln!("==> building release binaries");
    let ok = cargo()
        .args(["build", "--release", "-p", "kafi", "--bin", "kafi"])
        .args(["-p", "kafi-kafka", "--example", "cluster_bench"])
        .status()?
        .success();
    if !ok {
        bail!("release build failed");
    }
    let release = root.join("target/release");
    let home = root.join("target/bench/cluster-home");
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home)?;
    std::fs::write(
        home.join("bench.yaml"),
        format!("kafka:\n  bootstrap.servers: {bootstrap}\nkafi:\n  session.timeout.ms: 6000\n  consume.timeout: 2.0\n  verbose: 0\n"),
    )?;
    std::fs::write(
        home.join("backup.yaml"),
        format!("local:\n  root.dir: {}\n", home.join("local").display()),
    )?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let kafi_topic = format!("bench_kafi_{stamp}");
    let confluent_topic = format!("bench_confluent_{stamp}");

    eprintln!("==> kafi library: produce and consume {n} messages");
    let lib = measure(Command::new(release.join("examples/cluster_bench")).args([
        &bootstrap,
        &n.to_string(),
        "1",
        &kafi_topic,
    ]))?;
    let lib: Value = serde_json::from_str(lib.stdout.trim()).context("cluster_bench output")?;

    eprintln!("==> kafi CLI: cat -n {n} --type bytes > /dev/null");
    let kafi = release.join("kafi");
    let cat = measure_with(
        Command::new(&kafi)
            .env("KAFI_HOME", &home)
            .args([
                "cat",
                "cluster:bench",
                &kafi_topic,
                "--type",
                "bytes",
                "--offsets",
                "0=0",
            ])
            .args(["-n", &n.to_string()])
            .stdout(Stdio::null()),
        false,
    );
    let cat = cat?;
    let cat_rate = n as f64 / cat.seconds;

    eprintln!("==> kafi CLI: cp cluster:bench -> local:backup (peak RSS)");
    let cp = measure(Command::new(&kafi).env("KAFI_HOME", &home).args([
        "cp",
        "cluster:bench",
        &kafi_topic,
        "local:backup",
        "backup",
        "--type",
        "bytes",
    ]))?;

    eprintln!("==> confluent-kafka: produce and consume {n} messages");
    confluent::install()?;
    let python = python::python();
    let create = measure(Command::new(&kafi).env("KAFI_HOME", &home).args([
        "touch",
        "cluster:bench",
        &confluent_topic,
    ]));
    create?;
    let confluent = measure(
        Command::new(&python)
            .arg(root.join("tests/interop/bench_confluent.py"))
            .args([&bootstrap, &confluent_topic, &n.to_string()]),
    )?;
    let confluent: Value =
        serde_json::from_str(confluent.stdout.trim()).context("bench_confluent.py output")?;

    let (kp, kc) = (
        rate(&lib, "produce_msgs_per_s"),
        rate(&lib, "consume_msgs_per_s"),
    );
    let (cp_rate, cc) = (
        rate(&confluent, "produce_msgs_per_s"),
        rate(&confluent, "consume_msgs_per_s"),
    );
    let cp_msgs = n as f64 / cp.seconds;
    println!("cluster benchmark: {n} messages of ~100 bytes on tansu at {bootstrap}");
    println!("  kafi library produce    {kp:>10.0} msg/s  ({:.2}× confluent-kafka {cp_rate:.0}; target ≥ 1.0×)", kp / cp_rate);
    println!("  kafi library consume    {kc:>10.0} msg/s  ({:.2}× confluent-kafka {cc:.0}; target ≥ 2.0×)", kc / cc);
    println!("  kafi CLI cat > /dev/null{cat_rate:>10.0} msg/s  ({:.2}× confluent-kafka consume; target ≥ 1.0×; {:.1} s incl. start-up)", cat_rate / cc, cat.seconds);
    println!(
        "  kafi CLI cp → local     {cp_msgs:>10.0} msg/s  peak RSS {:.0} MB (target < 150 MB)",
        cp.peak_rss_mb
    );
    let report = json!({
        "messages": n,
        "kafi_library": lib,
        "kafi_cli_cat": {"seconds": cat.seconds, "msgs_per_s": cat_rate, "peak_rss_mb": cat.peak_rss_mb},
        "kafi_cli_cp_to_local": {"seconds": cp.seconds, "msgs_per_s": cp_msgs, "peak_rss_mb": cp.peak_rss_mb},
        "confluent_kafka": confluent,
        "ratios": {
            "produce": kp / cp_rate,
            "consume_library": kc / cc,
            "consume_cli": cat_rate / cc,
        }
    });
    let out = root.join("target/bench/cluster.json");
    std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
    println!("  written to {}", out.display());
    drop(guard);
    let _ = Path::new(&home);
    Ok(())
}
