//! `cargo xtask fuzz`: runs one cargo-fuzz (libFuzzer) target of `fuzz/`
//! for a while, installing cargo-fuzz into the user's cargo on first use.
//!
//! Targets build on the stable toolchain without a sanitizer (`-s none`):
//! the code is safe Rust, and panics, overflows (debug assertions are on),
//! timeouts and out-of-memory are what libFuzzer reports. The growing
//! corpus lives in `target/fuzz/corpus/TARGET` (not committed); the
//! committed seeds in `fuzz/seeds/TARGET` are read as a second corpus, and
//! crashing inputs are written to `target/fuzz/artifacts/TARGET/`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::{cargo, workspace_root};

/// Arguments of `cargo xtask fuzz`.
#[derive(Debug, Args)]
pub(crate) struct FuzzArgs {
    /// The target to run (see --list).
    #[arg(required_unless_present = "list")]
    target: Option<String>,
    /// How long to fuzz, in seconds.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// List the targets and exit.
    #[arg(long)]
    list: bool,
    /// Keep fuzzing after a crash, timeout or out-of-memory (libFuzzer's
    /// fork mode with one job): every failing input is saved, and the run
    /// lasts the whole time.
    #[arg(long)]
    keep_going: bool,
    /// Further libFuzzer options, e.g. `-- -max_len=65536`.
    #[arg(last = true)]
    libfuzzer_args: Vec<String>,
}

/// `cargo xtask fuzz`; returns whether the run found nothing.
pub(crate) fn run(args: &FuzzArgs) -> Result<bool> {
    let targets = targets()?;
    if args.list {
        for (name, about) in &targets {
            println!("{name:<14} {about}");
        }
        return Ok(true);
    }
    let target = args.target.as_deref().unwrap_or_default();
    if !targets.iter().any(|(name, _)| name == target) {
        let names: Vec<&str> = targets.iter().map(|(n, _)| n.as_str()).collect();
        bail!(
            "no fuzz target {target:?}; the targets are: {}",
            names.join(", ")
        );
    }
    ensure_cargo_fuzz()?;

    let root = workspace_root();
    let work = root.join("target/fuzz");
    let corpus = work.join("corpus").join(target);
    let artifacts = work.join("artifacts").join(target);
    for dir in [&corpus, &artifacts] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // libFuzzer's fork mode keeps its jobs' files in $TMPDIR: keep them
    // with the rest of the run, away from /tmp cleaners.
    let tmp = work.join("tmp");
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let seeds = root.join("fuzz/seeds").join(target);
    let mut command = cargo();
    command
        .args(["fuzz", "run", "--sanitizer", "none", "--fuzz-dir"])
        .arg(root.join("fuzz"))
        .arg("--target-dir")
        .arg(&work)
        .arg(target)
        .arg(&corpus)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={}", args.seconds))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        // A single input running this long is a hang.
        .arg("-timeout=10")
        .arg("-print_final_stats=1")
        .args(if args.keep_going {
            &[
                "-fork=1",
                "-ignore_crashes=1",
                "-ignore_timeouts=1",
                "-ignore_ooms=1",
            ][..]
        } else {
            &[][..]
        })
        .args(&args.libfuzzer_args)
        .env("TMPDIR", &tmp)
        .stderr(Stdio::piped());
    eprintln!(
        "==> fuzz {target} for {}s (corpus {}, seeds {})",
        args.seconds,
        corpus.display(),
        seeds.display()
    );
    let started = Instant::now();
    let mut child = command.spawn().context("running cargo fuzz")?;
    let stderr = child.stderr.take().context("cargo fuzz stderr")?;
    // Echo libFuzzer's output and keep the final statistics.
    let mut stats = Stats::default();
    for line in BufReader::new(stderr).lines() {
        let line = line.context("reading cargo fuzz output")?;
        eprintln!("{line}");
        stats.read(&line);
    }
    let ok = child.wait().context("waiting for cargo fuzz")?.success();
    let corpus_size = std::fs::read_dir(&corpus).map_or(0, Iterator::count);
    let found = std::fs::read_dir(&artifacts).map_or(0, Iterator::count);
    println!(
        "fuzz {target}: {} executions in {}s ({} exec/s), corpus {corpus_size} inputs, {} [{:.0}s]",
        stats.executions.as_deref().unwrap_or("?"),
        args.seconds,
        // Over the whole run (fork mode reports each job's rate).
        stats
            .executions
            .as_deref()
            .and_then(|n| n.parse::<u64>().ok())
            .map_or_else(
                || stats.exec_per_sec.clone().unwrap_or_else(|| "?".into()),
                |n| (n / args.seconds.max(1)).to_string()
            ),
        match (&stats.artifact, ok) {
            (_, true) if stats.failures == 0 => "nothing found".to_owned(),
            (_, true) => format!(
                "{} failure(s), {found} input(s) saved in {}",
                stats.failures,
                artifacts.display()
            ),
            (Some(file), false) => format!("FOUND A FAILURE: {file}"),
            (None, false) => "FAILED (see the output above)".to_owned(),
        },
        started.elapsed().as_secs_f64()
    );
    Ok(ok)
}

#[derive(Debug, Default)]
struct Stats {
    executions: Option<String>,
    exec_per_sec: Option<String>,
    artifact: Option<String>,
    /// Crashes, timeouts and out-of-memory runs seen in fork mode.
    failures: u64,
}

impl Stats {
    fn read(&mut self, line: &str) {
        let value = |prefix: &str| line.strip_prefix(prefix).map(|v| v.trim().to_owned());
        if let Some(v) = value("stat::number_of_executed_units:") {
            self.executions = Some(v);
        } else if let Some(v) = value("stat::average_exec_per_sec:") {
            self.exec_per_sec = Some(v);
        } else if let Some((_, file)) = line.split_once("Test unit written to ") {
            self.artifact = Some(file.trim().to_owned());
        } else if let Some(fork) = line.strip_prefix('#').filter(|l| l.contains(": cov: ")) {
            // Fork mode: `#N: cov: .. exec/s: E oom/timeout/crash: a/b/c time: ..`.
            let mut words = fork.split_whitespace();
            self.executions = words.next().map(|n| n.trim_end_matches(':').to_owned());
            let fields: Vec<&str> = fork.split_whitespace().collect();
            for pair in fields.windows(2) {
                match pair[0] {
                    "exec/s:" => self.exec_per_sec = Some(pair[1].to_owned()),
                    "oom/timeout/crash:" => {
                        self.failures = pair[1]
                            .split('/')
                            .filter_map(|n| n.parse::<u64>().ok())
                            .sum();
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The targets (`fuzz/fuzz_targets/*.rs`) with the first paragraph of
/// their module's docs in `crates/kafi-fuzz/src/`.
fn targets() -> Result<Vec<(String, String)>> {
    let root = workspace_root();
    let dir = root.join("fuzz/fuzz_targets");
    let mut targets = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            let name = path
                .file_stem()
                .context("a target file name")?
                .to_string_lossy()
                .into_owned();
            let module = root.join("crates/kafi-fuzz/src").join(format!("{name}.rs"));
            targets.push((name, summary(&module)));
        }
    }
    targets.sort();
    Ok(targets)
}

fn summary(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text
        .lines()
        .map_while(|l| l.strip_prefix("//!"))
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect();
    lines.join(" ")
}

/// Installs cargo-fuzz with `cargo install --locked` when `cargo fuzz` is missing.
fn ensure_cargo_fuzz() -> Result<()> {
    let present = cargo()
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if present {
        return Ok(());
    }
    eprintln!("==> cargo-fuzz missing: cargo install cargo-fuzz --locked");
    let ok = cargo()
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .context("running cargo install cargo-fuzz")?
        .success();
    if !ok {
        bail!("cargo install cargo-fuzz --locked failed");
    }
    Ok(())
}
