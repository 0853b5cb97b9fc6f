//! `cargo xtask bench`: throughput and peak memory of the local emulation.
//!
//! Builds `kafi` and the `bench_produce` example in release mode, then in a
//! fresh temporary directory (with `local.yaml` and `KAFI_HOME` pointing to
//! it) runs, for each message count N, each operation as a child process and
//! measures wall time and the child's peak RSS (`ru_maxrss` from `wait4`).
//! Messages have keys `key-<i>` and ~100-byte JSON values. Each CLI
//! operation runs `--runs` times (5) and its median time is reported;
//! `kafi cat` writes to a pipe this process drains and is measured beside
//! the pass-through ceiling (the `bench_ceiling` example), whose rate sets
//! cat's target.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::json;

use crate::{cargo, workspace_root};

/// Options of `cargo xtask bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// `schemas`: the avro/protobuf/jsonschema benchmark (xtask/src/bench_schemas.rs).
    #[arg(value_parser = ["schemas"])]
    pub suite: Option<String>,
    /// Number of messages (default: 100000 and 1000000; `schemas`: 1000000).
    #[arg(long, short = 'n')]
    pub messages: Option<u64>,
    /// Only N = 100000.
    #[arg(long)]
    pub quick: bool,
    /// Keep the temporary directory (its path is printed).
    #[arg(long)]
    pub keep: bool,
    /// Also measure another build in the same run: a `target/release`
    /// directory holding its `kafi` and `examples/bench_produce` (e.g. of
    /// an earlier commit), in rounds baseline, this, this, baseline (mean
    /// times), printed as a second table and a comparison.
    #[arg(long, value_name = "DIR")]
    pub baseline: Option<PathBuf>,
    /// Runs of each CLI operation; the median time is reported.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// `schemas`: messages for the Python Kafi package (0: skip it).
    #[arg(long, default_value_t = 20_000)]
    pub python_messages: u64,
}

/// Target size of each JSON value (as the `bench_produce` example).
const VALUE_SIZE: usize = 100;

/// Value of message `i` (the same text `bench_produce` produces).
fn value_text(i: u64) -> String {
    let base =
        format!(r#"{{"id":{i},"name":"snack-{i}","price":1.23,"tags":["a","b"],"text":""}}"#);
    let pad = VALUE_SIZE.saturating_sub(base.len());
    format!(
        r#"{{"id":{i},"name":"snack-{i}","price":1.23,"tags":["a","b"],"text":"{}"}}"#,
        "x".repeat(pad)
    )
}

/// How a child ended and what it cost.
pub(crate) struct Measured {
    pub seconds: f64,
    pub peak_rss_mb: f64,
    pub stdout: String,
}

/// Runs `command` to completion; wall time and peak RSS via `wait4`.
/// Stdout is captured unless the caller set it (then it is empty).
pub(crate) fn measure(command: &mut Command, capture: bool) -> Result<Measured> {
    if capture {
        command.stdout(Stdio::piped());
    }
    settle();
    let start = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("spawning {command:?}"))?;
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout)?;
    }
    wait_measured(command, child, start).map(|mut m| {
        m.stdout = stdout;
        m
    })
}

/// Writes back dirty pages before a measurement, so that the writeback of
/// an earlier step's files is not billed to this one.
fn settle() {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
}

/// Reaps `child` (spawned from `command` at `start`): wall time and peak RSS.
fn wait_measured(
    command: &Command,
    child: std::process::Child,
    start: Instant,
) -> Result<Measured> {
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data, valid when zeroed; wait4 fills it
    // and reaps the child we spawned (so `child` is not waited on again).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let seconds = start.elapsed().as_secs_f64();
    if rc < 0 {
        bail!("wait4: {}", std::io::Error::last_os_error());
    }
    let exit = std::process::ExitStatus::from_raw(status);
    if !exit.success() {
        bail!("{command:?} failed: {exit}");
    }
    Ok(Measured {
        seconds,
        // ru_maxrss is in kilobytes on Linux.
        peak_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        stdout: String::new(),
    })
}

/// Runs `command` with its stdout a pipe that this process drains (as a
/// shell pipeline would), discarding what it reads.
fn measure_piped(command: &mut Command) -> Result<Measured> {
    command.stdout(Stdio::piped());
    settle();
    let start = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("spawning {command:?}"))?;
    let mut out = child.stdout.take().context("the child's stdout")?;
    let drain = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0u64;
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            total += n as u64;
        }
        total
    });
    let mut m = wait_measured(command, child, start)?;
    let bytes = drain.join().map_err(|_| anyhow::anyhow!("drain thread"))?;
    m.stdout = format!("{bytes}");
    Ok(m)
}

/// The median time of `runs` runs of `f` (at least one), with the largest
/// peak RSS; `between` runs after each run but the last (to clean up).
fn median_of(
    runs: usize,
    mut f: impl FnMut() -> Result<Measured>,
    mut between: impl FnMut(),
) -> Result<Measured> {
    let runs = runs.max(1);
    let mut all = Vec::with_capacity(runs);
    for i in 0..runs {
        all.push(f()?);
        if i + 1 < runs {
            between();
        }
    }
    let peak = all.iter().map(|m| m.peak_rss_mb).fold(0.0, f64::max);
    all.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let mut median = all.swap_remove(runs / 2);
    median.peak_rss_mb = peak;
    Ok(median)
}

/// One benchmark row.
struct Row {
    operation: &'static str,
    messages: u64,
    seconds: f64,
    bytes: u64,
    peak_rss_mb: f64,
    target_msgs_per_sec: f64,
    max_rss_mb: Option<f64>,
}

impl Row {
    fn msgs_per_sec(&self) -> f64 {
        self.messages as f64 / self.seconds
    }

    fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.seconds
    }

    fn ok(&self) -> bool {
        self.msgs_per_sec() >= self.target_msgs_per_sec
            && self.max_rss_mb.is_none_or(|max| self.peak_rss_mb < max)
    }

    fn target(&self) -> String {
        if self.target_msgs_per_sec == 0.0 {
            return "(anchor)".into();
        }
        let rate = format!(">= {}", human(self.target_msgs_per_sec));
        match self.max_rss_mb {
            Some(max) => format!("{rate}, RSS < {max:.0} MB"),
            None => rate,
        }
    }
}

/// 1500000 -> "1.50M", 250000 -> "250k".
pub(crate) fn human(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.2}M", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.0}k", rate / 1e3)
    } else {
        format!("{rate:.0}")
    }
}

/// A scratch directory removed on drop (unless kept).
struct TempDir {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("==> kept {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// `cargo xtask bench`.
pub fn run(args: &BenchArgs) -> Result<()> {
    let counts: Vec<u64> = match (args.messages, args.quick) {
        (Some(n), _) => vec![n],
        (None, true) => vec![100_000],
        (None, false) => vec![100_000, 1_000_000],
    };

    eprintln!("==> cargo build --release -p kafi --bin kafi --examples");
    let status = cargo()
        .args([
            "build",
            "--release",
            "-p",
            "kafi",
            "--bin",
            "kafi",
            "--examples",
        ])
        .status()?;
    if !status.success() {
        bail!("release build failed");
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let target_dir = if target_dir.is_relative() {
        workspace_root().join(target_dir)
    } else {
        target_dir
    };
    let programs = Programs {
        kafi: target_dir.join("release/kafi"),
        bench_produce: target_dir.join("release/examples/bench_produce"),
        ceiling: target_dir.join("release/examples/bench_ceiling"),
    };

    let baseline = args.baseline.as_ref().map(|dir| Programs {
        kafi: dir.join("kafi"),
        bench_produce: dir.join("examples/bench_produce"),
        ceiling: programs.ceiling.clone(),
    });
    let mut rows = Vec::new();
    let mut baseline_rows = Vec::new();
    for &n in &counts {
        let Some(baseline) = &baseline else {
            rows.extend(bench_n(n, &programs, args.runs, args.keep)?);
            continue;
        };
        // Baseline, this, this, baseline: what a disk or machine does over
        // time (writeback, a neighbour's load) falls on both builds alike.
        let mut base_runs = Vec::new();
        let mut this_runs = Vec::new();
        for (round, is_base) in [true, false, false, true].into_iter().enumerate() {
            let which = if is_base {
                "the baseline build"
            } else {
                "this build"
            };
            eprintln!("==> N = {n}: {which} (round {} of 4)", round + 1);
            let (build, runs) = if is_base {
                (baseline, &mut base_runs)
            } else {
                (&programs, &mut this_runs)
            };
            runs.push(bench_n(n, build, args.runs, args.keep)?);
        }
        baseline_rows.extend(mean_rows(base_runs));
        rows.extend(mean_rows(this_runs));
    }

    if !baseline_rows.is_empty() {
        println!(
            "\nbaseline ({})",
            args.baseline.as_deref().unwrap_or(Path::new("")).display()
        );
        print_table(&baseline_rows);
        print_comparison(&baseline_rows, &rows);
        println!("\nthis build");
    }
    print_table(&rows);

    let out_dir = target_dir.join("bench");
    std::fs::create_dir_all(&out_dir)?;
    let out = out_dir.join("local.json");
    let results: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "operation": r.operation,
                "messages": r.messages,
                "seconds": r.seconds,
                "bytes": r.bytes,
                "msgs_per_sec": r.msgs_per_sec(),
                "mb_per_sec": r.mb_per_sec(),
                "peak_rss_mb": r.peak_rss_mb,
                "target_msgs_per_sec": r.target_msgs_per_sec,
                "max_rss_mb": r.max_rss_mb,
                "ok": r.ok(),
            })
        })
        .collect();
    let doc = json!({
        "storage": "local",
        "value_size": VALUE_SIZE,
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "unix_time": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        "results": results,
    });
    std::fs::write(&out, serde_json::to_string_pretty(&doc)? + "\n")?;
    eprintln!("==> wrote {}", out.display());
    Ok(())
}

/// `kafi cat`'s target: this share of the ceiling's rate.
const CAT_CEILING_RATIO: f64 = 0.8;

/// The release binaries the bench runs.
struct Programs {
    kafi: PathBuf,
    bench_produce: PathBuf,
    ceiling: PathBuf,
}

fn bench_n(n: u64, programs: &Programs, runs: usize, keep: bool) -> Result<Vec<Row>> {
    let (kafi, bench_produce, ceiling) = (
        programs.kafi.as_path(),
        programs.bench_produce.as_path(),
        programs.ceiling.as_path(),
    );
    let dir = TempDir {
        path: std::env::temp_dir().join(format!("kafi-bench-{}-{n}", std::process::id())),
        keep,
    };
    let _ = std::fs::remove_dir_all(&dir.path);
    std::fs::create_dir_all(&dir.path)?;
    let home = dir.path.as_path();
    std::fs::write(home.join("local.yaml"), "local:\n  root.dir: ./data\n")?;

    // Input for the CLI: "key-<i>:<json>" lines; the key + value bytes.
    eprintln!("==> N = {n}: writing input");
    let input = home.join("input.txt");
    let mut kv_bytes = 0u64;
    {
        let mut w = BufWriter::new(File::create(&input)?);
        for i in 0..n {
            let key = format!("key-{i}");
            let value = value_text(i);
            kv_bytes += (key.len() + value.len()) as u64;
            writeln!(w, "{key}:{value}")?;
        }
        w.flush()?;
    }
    let input_bytes = std::fs::metadata(&input)?.len();

    let kafi_cmd = |args: &[&str]| {
        let mut c = Command::new(kafi);
        c.args(args)
            .current_dir(home)
            .env("KAFI_HOME", home)
            .stdin(Stdio::null());
        c
    };
    let mut rows = Vec::new();
    let mut row = |operation, m: &Measured, seconds, bytes, target: f64, max_rss| {
        let r = Row {
            operation,
            messages: n,
            seconds,
            bytes,
            peak_rss_mb: m.peak_rss_mb,
            target_msgs_per_sec: target,
            max_rss_mb: max_rss,
        };
        eprintln!(
            "    {operation:<22} {seconds:>8.3}s {:>10} msg/s {:>8.1} MB/s {:>8.1} MB RSS",
            human(r.msgs_per_sec()),
            r.mb_per_sec(),
            r.peak_rss_mb
        );
        rows.push(r);
    };

    // a) the Rust API.
    for (operation, mode, topic, target) in [
        ("api produce (1/call)", "single", "t_single", 500_000.0),
        ("api produce_list", "list", "t_list", 1_000_000.0),
        (
            "api produce_list (JSON text)",
            "list-text",
            "t_list_text",
            1_000_000.0,
        ),
        ("api produce_record", "records", "t_records", 1_000_000.0),
    ] {
        eprintln!("==> N = {n}: {operation}");
        let mut c = Command::new(bench_produce);
        c.args([
            Path::new("./data").as_os_str(),
            topic.as_ref(),
            n.to_string().as_ref(),
            mode.as_ref(),
        ])
        .current_dir(home)
        .env("KAFI_HOME", home)
        .stdin(Stdio::null());
        let m = measure(&mut c, true)?;
        let report: serde_json::Value = serde_json::from_str(m.stdout.trim())
            .with_context(|| format!("bench_produce output {:?}", m.stdout))?;
        let seconds = report["seconds"].as_f64().context("no seconds")?;
        row(operation, &m, seconds, kv_bytes, target, None);
        // Free the disk space: only `t` is read later.
        let _ = kafi_cmd(&["rm", "local:local", topic])
            .stdout(Stdio::null())
            .status();
    }

    // b) CLI produce from stdin (into a topic created beforehand; every
    // run but the last starts again from an empty topic).
    let touch = || -> Result<()> {
        let touched = kafi_cmd(&["touch", "local:local", "t"])
            .stdout(Stdio::null())
            .status()?;
        if !touched.success() {
            bail!("kafi touch local:local t failed: {touched}");
        }
        Ok(())
    };
    let rm = |topic: &str| {
        let _ = kafi_cmd(&["rm", "local:local", topic])
            .stdout(Stdio::null())
            .status();
    };
    touch()?;
    eprintln!("==> N = {n}: kafi produce (stdin), {runs} run(s)");
    let m = median_of(
        runs,
        || {
            let mut c = kafi_cmd(&["produce", "local:local", "t", "--key-separator", ":"]);
            c.stdin(File::open(&input)?).stdout(Stdio::null());
            measure(&mut c, false)
        },
        || {
            rm("t");
            let _ = touch();
        },
    )?;
    row(
        "cli produce (stdin)",
        &m,
        m.seconds,
        input_bytes,
        1_000_000.0,
        None,
    );

    // c) cat to a pipe, beside the pass-through ceiling (bench_ceiling),
    // run alternately so that both see the same machine.
    eprintln!("==> N = {n}: kafi cat and the ceiling, {runs} run(s) each");
    let mut cats = Vec::new();
    let mut ceilings = Vec::new();
    for _ in 0..runs.max(1) {
        cats.push(measure_piped(&mut kafi_cmd(&["cat", "local:local", "t"]))?);
        let mut c = Command::new(ceiling);
        c.arg(&input).current_dir(home).stdin(Stdio::null());
        ceilings.push(measure_piped(&mut c)?);
    }
    let mut cats = cats.into_iter().map(Ok);
    let cat = median_of(runs, || cats.next().context("a cat run")?, || ())?;
    let mut ceilings = ceilings.into_iter().map(Ok);
    let ceiling_run = median_of(runs, || ceilings.next().context("a ceiling run")?, || ())?;
    let ceiling_rate = n as f64 / ceiling_run.seconds;
    row(
        "ceiling (pipe)",
        &ceiling_run,
        ceiling_run.seconds,
        kv_bytes,
        0.0,
        None,
    );
    row(
        "cli cat (pipe)",
        &cat,
        cat.seconds,
        kv_bytes,
        CAT_CEILING_RATIO * ceiling_rate,
        None,
    );
    eprintln!(
        "    cat / ceiling: {:.2} (target >= {CAT_CEILING_RATIO})",
        ceiling_run.seconds / cat.seconds
    );

    // d) cp, e) cp with a jq map.
    let cp_rss = (n >= 1_000_000).then_some(100.0);
    eprintln!("==> N = {n}: kafi cp, {runs} run(s)");
    let m = median_of(
        runs,
        || {
            let mut c = kafi_cmd(&["cp", "local:local", "t", "local:local", "t_copy"]);
            c.stdout(Stdio::null());
            measure(&mut c, false)
        },
        || rm("t_copy"),
    )?;
    row("cli cp", &m, m.seconds, kv_bytes, 2_000_000.0, cp_rss);
    rm("t_copy");

    eprintln!("==> N = {n}: kafi cp --map, {runs} run(s)");
    let m = median_of(
        runs,
        || {
            let mut c = kafi_cmd(&[
                "cp",
                "local:local",
                "t",
                "local:local",
                "t_map",
                "--map",
                ".value.id += 1",
            ]);
            c.stdout(Stdio::null());
            measure(&mut c, false)
        },
        || rm("t_map"),
    )?;
    row(
        "cli cp --map (jq)",
        &m,
        m.seconds,
        kv_bytes,
        300_000.0,
        None,
    );
    rm("t_map");

    // f) grep, g) wc.
    eprintln!("==> N = {n}: kafi grep");
    let mut c = kafi_cmd(&["grep", "local:local", "t", "snack-4242"]);
    c.stdout(Stdio::null());
    let m = measure(&mut c, false)?;
    row("cli grep", &m, m.seconds, kv_bytes, 1_000_000.0, None);

    eprintln!("==> N = {n}: kafi wc");
    let mut c = kafi_cmd(&["wc", "local:local", "t"]);
    let m = measure(&mut c, true)?;
    eprintln!("    wc: {}", m.stdout.trim());
    row("cli wc", &m, m.seconds, kv_bytes, 1_000_000.0, None);

    Ok(rows)
}

/// One row per operation: the mean time of the rounds, the largest RSS.
fn mean_rows(rounds: Vec<Vec<Row>>) -> Vec<Row> {
    let count = rounds.len().max(1) as f64;
    let mut rounds = rounds.into_iter();
    let Some(mut first) = rounds.next() else {
        return Vec::new();
    };
    let rest: Vec<Vec<Row>> = rounds.collect();
    for (i, row) in first.iter_mut().enumerate() {
        for other in rest.iter().filter_map(|r| r.get(i)) {
            row.seconds += other.seconds;
            row.peak_rss_mb = row.peak_rss_mb.max(other.peak_rss_mb);
        }
        row.seconds /= count;
    }
    // cat's target follows the ceiling's mean rate.
    let ceiling = first
        .iter()
        .find(|r| r.operation == "ceiling (pipe)")
        .map(Row::msgs_per_sec);
    if let (Some(rate), Some(cat)) = (
        ceiling,
        first.iter_mut().find(|r| r.operation == "cli cat (pipe)"),
    ) {
        cat.target_msgs_per_sec = CAT_CEILING_RATIO * rate;
    }
    first
}

/// This build's rate over the baseline's, per operation and N.
fn print_comparison(baseline: &[Row], rows: &[Row]) {
    println!();
    println!(
        "{:<30} {:>9} {:>10} {:>10} {:>7}",
        "operation", "N", "baseline", "this", "ratio"
    );
    for r in rows {
        let Some(b) = baseline
            .iter()
            .find(|b| b.operation == r.operation && b.messages == r.messages)
        else {
            continue;
        };
        println!(
            "{:<30} {:>9} {:>10} {:>10} {:>7.2}",
            r.operation,
            r.messages,
            human(b.msgs_per_sec()),
            human(r.msgs_per_sec()),
            r.msgs_per_sec() / b.msgs_per_sec()
        );
    }
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<22} {:>9} {:>9} {:>10} {:>9} {:>12}  {:<26} status",
        "operation", "N", "seconds", "msg/s", "MB/s", "peak RSS MB", "target (msg/s)"
    );
    println!("{}", "-".repeat(115));
    for r in rows {
        println!(
            "{:<22} {:>9} {:>9.3} {:>10} {:>9.1} {:>12.1}  {:<26} {}",
            r.operation,
            r.messages,
            r.seconds,
            human(r.msgs_per_sec()),
            r.mb_per_sec(),
            r.peak_rss_mb,
            r.target(),
            if r.ok() { "ok" } else { "below target" }
        );
    }
}
