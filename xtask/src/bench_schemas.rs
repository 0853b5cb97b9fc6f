//! `cargo xtask bench schemas`: avro, protobuf and jsonschema through the
//! CLI on the local storage with its emulated registry (ids cached).
//!
//! For each type, N (default 1,000,000) snack records
//! (`{"name": str, "calories": float, "colour": str}`, as in Kafi's
//! examples) are produced from a file with `kafi produce --value-type T
//! --value-schema S` and read with `kafi cat --value-type T > /dev/null`, each
//! a child process measured for wall time and peak RSS. Target: cat ≥ 300,000
//! msg/s per type.
//!
//! If Python and PyPI `kafi==0.0.74` are installable (into
//! `target/services/venv-kafi-py`, its own venv: it pins an older
//! confluent-kafka than the test venv), the Python package runs on the first
//! `--python-messages` records of the same data (its local storage uses
//! `kafi registry serve` as its registry: Python Kafi has no emulated one) and
//! the ratios kafi/Python are printed (target ≥ 20×). Writes
//! `target/bench/schemas.json`.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde_json::json;

use crate::bench::{human, measure, BenchArgs};
use crate::{cargo, workspace_root};

const AVRO: &str = r#"{"type":"record","name":"Snack","fields":[{"name":"name","type":"string"},{"name":"calories","type":"float"},{"name":"colour","type":"string"}]}"#;
const PROTOBUF: &str = "syntax = \"proto3\";\n\nmessage Snack {\n  string name = 1;\n  float calories = 2;\n  string colour = 3;\n}\n";
const JSONSCHEMA: &str = r#"{"type":"object","title":"Snack","properties":{"name":{"type":"string"},"calories":{"type":"number"},"colour":{"type":"string"}},"required":["name","calories","colour"]}"#;

const TYPES: [(&str, &str); 3] = [
    ("avro", AVRO),
    ("protobuf", PROTOBUF),
    ("jsonschema", JSONSCHEMA),
];

const CAT_TARGET: f64 = 300_000.0;
const RATIO_TARGET: f64 = 20.0;
const PYPI_KAFI: &str = "kafi==0.0.74";

/// One measured operation.
struct Row {
    schema_type: &'static str,
    operation: &'static str,
    messages: u64,
    seconds: f64,
    peak_rss_mb: f64,
    python_rate: Option<f64>,
}

impl Row {
    fn rate(&self) -> f64 {
        self.messages as f64 / self.seconds
    }
}

/// Snack `i`: floats exactly representable in float32.
fn snack(i: u64) -> String {
    const COLOURS: [&str; 4] = ["brown", "white", "chocolate", "red"];
    format!(
        r#"{{"name":"snack-{i}","calories":{}.5,"colour":"{}"}}"#,
        i % 900,
        COLOURS[(i % 4) as usize]
    )
}

/// The release kafi binary (built first).
fn build_kafi() -> Result<PathBuf> {
    eprintln!("==> cargo build --release -p kafi --bin kafi");
    let status = cargo()
        .args(["build", "--release", "-p", "kafi", "--bin", "kafi"])
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
    Ok(target_dir.join("release/kafi"))
}

/// A Python with PyPI kafi 0.0.74, installed on first use; `Err(reason)`
/// when there is none.
fn python_kafi() -> Result<PathBuf, String> {
    let venv = workspace_root().join("target/services/venv-kafi-py");
    let python = venv.join("bin/python");
    let has_kafi = || {
        Command::new(&python)
            .args(["-c", "import kafi.fs.local.local"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !python.is_file() {
        eprintln!("==> python3 -m venv {}", venv.display());
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err("python3 -m venv failed (is python3-venv installed?)".into());
        }
    }
    if !has_kafi() {
        eprintln!("==> pip install {PYPI_KAFI} (into {})", venv.display());
        let ok = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", PYPI_KAFI])
            .status()
            .is_ok_and(|s| s.success());
        if !ok || !has_kafi() {
            return Err(format!("pip install {PYPI_KAFI} failed"));
        }
    }
    Ok(python)
}

/// A running `kafi registry serve`, killed (its own child) on drop.
struct Registry {
    child: std::process::Child,
    url: String,
}

impl Registry {
    fn start(kafi: &Path, home: &Path) -> Result<Self> {
        let mut child = Command::new(kafi)
            .args(["registry", "serve", "local:local", "--port", "0"])
            .current_dir(home)
            .env("KAFI_HOME", home)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .context("spawning kafi registry serve")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .with_context(|| format!("no URL in {line:?}"))?
            .to_owned();
        Ok(Self { child, url })
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `cargo xtask bench schemas`.
pub fn run(args: &BenchArgs) -> Result<()> {
    let n = args
        .messages
        .unwrap_or(if args.quick { 100_000 } else { 1_000_000 });
    let kafi = build_kafi()?;
    let dir = std::env::temp_dir().join(format!("kafi-bench-schemas-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let result = bench(args, n, &kafi, &dir);
    if args.keep {
        eprintln!("==> kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn bench(args: &BenchArgs, n: u64, kafi: &Path, home: &Path) -> Result<()> {
    std::fs::write(home.join("local.yaml"), "local:\n  root.dir: ./data\n")?;
    eprintln!("==> writing {n} snack records");
    let input = home.join("snacks.jsonl");
    {
        let mut w = BufWriter::new(File::create(&input)?);
        for i in 0..n {
            writeln!(w, "{}", snack(i))?;
        }
        w.flush()?;
    }
    let kafi_cmd = |cmd_args: &[&str]| {
        let mut c = Command::new(kafi);
        c.args(cmd_args)
            .current_dir(home)
            .env("KAFI_HOME", home)
            .env_remove("KAFI_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        c
    };

    let mut rows = Vec::new();
    for (t, schema) in TYPES {
        let topic = format!("snacks_{t}");
        eprintln!("==> {t}: kafi produce");
        let mut c = kafi_cmd(&[
            "produce",
            "local:local",
            &topic,
            "--value-type",
            t,
            "--value-schema",
            schema,
        ]);
        c.stdin(File::open(&input)?);
        let m = measure(&mut c, false)?;
        rows.push(Row {
            schema_type: t,
            operation: "produce",
            messages: n,
            seconds: m.seconds,
            peak_rss_mb: m.peak_rss_mb,
            python_rate: None,
        });
        eprintln!("==> {t}: kafi cat > /dev/null");
        let mut c = kafi_cmd(&["cat", "local:local", &topic, "--value-type", t]);
        let m = measure(&mut c, false)?;
        rows.push(Row {
            schema_type: t,
            operation: "cat",
            messages: n,
            seconds: m.seconds,
            peak_rss_mb: m.peak_rss_mb,
            python_rate: None,
        });
        // Every message is there.
        let mut c = kafi_cmd(&["watermarks", "local:local", &topic, "--json"]);
        let m = measure(&mut c, true)?;
        let marks: serde_json::Value = serde_json::from_str(m.stdout.trim())?;
        let high = marks[&topic]["0"][1].as_u64().unwrap_or(0);
        if high != n {
            bail!("{topic} holds {high} messages, expected {n}");
        }
        let _ = kafi_cmd(&["rm", "local:local", &topic]).status();
    }

    // The Python Kafi package on the same data.
    let mut python_note = String::new();
    if args.python_messages == 0 {
        python_note = "skipped: --python-messages 0".into();
    } else {
        match python_kafi() {
            Err(reason) => python_note = format!("skipped: {reason}"),
            Ok(python) => {
                let registry = Registry::start(kafi, home)?;
                let script = workspace_root().join("tests/interop/bench_schemas_python.py");
                for (t, schema) in TYPES {
                    eprintln!(
                        "==> {t}: Python kafi 0.0.74, {} messages",
                        args.python_messages
                    );
                    let output = Command::new(&python)
                        .arg(&script)
                        .args(["--root"])
                        .arg(home.join("pydata"))
                        .args(["--registry", &registry.url, "--type", t, "--schema", schema])
                        .arg("--input")
                        .arg(&input)
                        .args(["-n", &args.python_messages.to_string()])
                        .env("PYTHONWARNINGS", "ignore")
                        .stdin(Stdio::null())
                        .output()?;
                    let stdout = String::from_utf8_lossy(&output.stdout);
                    let report: Option<serde_json::Value> = output
                        .status
                        .success()
                        .then(|| serde_json::from_str(stdout.trim()).ok())
                        .flatten();
                    let Some(report) = report else {
                        let stderr = String::from_utf8_lossy(&output.stderr);
                        let last = stderr.lines().last().unwrap_or("").to_owned();
                        eprintln!("    Python kafi {t} failed: {last}");
                        python_note.push_str(&format!("python {t} failed: {last}; "));
                        continue;
                    };
                    let m = report["messages"].as_f64().unwrap_or(0.0);
                    for row in rows.iter_mut().filter(|r| r.schema_type == t) {
                        let key = format!("{}_seconds", row.operation);
                        if let Some(s) = report[&key].as_f64() {
                            row.python_rate = Some(m / s);
                        }
                    }
                }
            }
        }
    }

    println!();
    println!(
        "{:<11} {:<8} {:>9} {:>8} {:>10} {:>8}  {:<12} {:>11} {:>8}  status",
        "type", "op", "N", "seconds", "msg/s", "RSS MB", "target", "python/s", "ratio"
    );
    println!("{}", "-".repeat(108));
    for r in &rows {
        let target = if r.operation == "cat" {
            format!(">= {}", human(CAT_TARGET))
        } else {
            "-".into()
        };
        let ratio = r.python_rate.map(|p| r.rate() / p);
        let mut ok = r.operation != "cat" || r.rate() >= CAT_TARGET;
        if let Some(x) = ratio {
            ok &= x >= RATIO_TARGET;
        }
        println!(
            "{:<11} {:<8} {:>9} {:>8.3} {:>10} {:>8.1}  {:<12} {:>11} {:>8}  {}",
            r.schema_type,
            r.operation,
            r.messages,
            r.seconds,
            human(r.rate()),
            r.peak_rss_mb,
            target,
            r.python_rate.map_or("-".into(), human),
            ratio.map_or("-".into(), |x| format!("{x:.0}x")),
            if ok { "ok" } else { "below target" }
        );
    }
    if !python_note.is_empty() {
        println!("Python kafi 0.0.74: {python_note}");
    } else {
        println!(
            "Python kafi 0.0.74 ran on the first {} records (ratio target >= {RATIO_TARGET:.0}x)",
            args.python_messages
        );
    }

    let out_dir = workspace_root().join("target/bench");
    std::fs::create_dir_all(&out_dir)?;
    let out = out_dir.join("schemas.json");
    let results: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "type": r.schema_type,
                "operation": r.operation,
                "messages": r.messages,
                "seconds": r.seconds,
                "msgs_per_sec": r.rate(),
                "peak_rss_mb": r.peak_rss_mb,
                "python_msgs_per_sec": r.python_rate,
                "ratio": r.python_rate.map(|p| r.rate() / p),
            })
        })
        .collect();
    let doc = json!({
        "storage": "local",
        "registry": "emulated",
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "python_messages": args.python_messages,
        "python_note": python_note,
        "results": results,
    });
    std::fs::write(&out, serde_json::to_string_pretty(&doc)? + "\n")?;
    eprintln!("==> wrote {}", out.display());
    Ok(())
}
