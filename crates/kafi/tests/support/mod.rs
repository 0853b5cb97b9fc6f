//! A small test environment for running the real `kafi` binary, in the style
//! of fd's and ripgrep's integration tests.

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The `kafi` binary built by cargo for these tests.
pub const KAFI: &str = env!("CARGO_BIN_EXE_kafi");

/// A temporary directory holding `local.yaml` (root.dir: data) and
/// `backup.yaml` (root.dir: backup); commands run inside it with
/// `KAFI_HOME` pointing at it.
pub struct TestEnv {
    dir: tempfile::TempDir,
}

impl TestEnv {
    /// A directory with the `local` and `backup` configs.
    pub fn new() -> Self {
        let env = Self::bare();
        env.write("local.yaml", "local:\n  root.dir: data\n");
        env.write("backup.yaml", "local:\n  root.dir: backup\n");
        env
    }

    /// An empty directory, without configs.
    pub fn bare() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("kafi-cli-test")
                .tempdir()
                .expect("create a temporary directory"),
        }
    }

    /// The root of the environment.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the environment.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file (creating its parent directories).
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent directory");
        }
        fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// A `kafi` command set up to run in this environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(KAFI);
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("KAFI_HOME", self.dir.path())
            .env_remove("KAFI_LOG")
            .env_remove("NO_COLOR");
        cmd
    }

    /// Runs `kafi ARGS` with an empty standard input.
    pub fn run(&self, args: &[&str]) -> Run {
        let output = self
            .command(args)
            .stdin(Stdio::null())
            .output()
            .expect("run kafi");
        Run::new(args, output)
    }

    /// Runs `kafi ARGS` with `input` on standard input.
    pub fn run_stdin(&self, args: &[&str], input: impl AsRef<[u8]>) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kafi");
        let mut stdin = child.stdin.take().expect("stdin");
        let input = input.as_ref().to_vec();
        let writer = std::thread::spawn(move || {
            // The command may stop reading early (on an error): ignore EPIPE.
            let _ = stdin.write_all(&input);
        });
        let output = child.wait_with_output().expect("wait for kafi");
        writer.join().expect("stdin writer");
        Run::new(args, output)
    }

    /// Runs `kafi ARGS` and asserts exit code 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        self.run(args).success()
    }

    /// Runs `kafi ARGS` with standard input and asserts exit code 0.
    pub fn ok_stdin(&self, args: &[&str], input: impl AsRef<[u8]>) -> Run {
        self.run_stdin(args, input).success()
    }

    /// Runs `kafi cat ARGS` successfully and parses the JSON lines.
    pub fn cat(&self, args: &[&str]) -> Vec<Value> {
        let mut full = vec!["cat"];
        full.extend_from_slice(args);
        self.ok(&full).json_lines()
    }
}

/// The result of one `kafi` run.
pub struct Run {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The result of a process run by the test itself.
    pub fn from_output(args: &[&str], output: Output) -> Self {
        Self::new(args, output)
    }

    fn new(args: &[&str], output: Output) -> Self {
        let code = output.status.code().unwrap_or_else(|| {
            panic!(
                "kafi {args:?} was killed by a signal ({:?})\nstderr:\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        });
        Self {
            args: args.iter().map(|a| a.to_string()).collect(),
            code,
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn describe(&self) -> String {
        format!(
            "kafi {:?}\nexit code: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn code(self, expected: i32) -> Self {
        assert_eq!(
            self.code,
            expected,
            "unexpected exit code\n{}",
            self.describe()
        );
        assert!(
            !self.stderr.contains("panicked"),
            "kafi panicked\n{}",
            self.describe()
        );
        self
    }

    /// Asserts exit code 0.
    #[track_caller]
    pub fn success(self) -> Self {
        self.code(0)
    }

    /// Asserts the exit code, and that stderr is exactly one line starting
    /// with `kafi: error:` containing every one of `needles`.
    #[track_caller]
    pub fn error(self, expected_code: i32, needles: &[&str]) -> Self {
        let run = self.code(expected_code);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "expected exactly one line on stderr\n{}",
            run.describe()
        );
        assert!(
            lines[0].starts_with("kafi: error: "),
            "stderr does not start with `kafi: error: `\n{}",
            run.describe()
        );
        for needle in needles {
            assert!(
                lines[0].contains(needle),
                "stderr does not mention {needle:?}\n{}",
                run.describe()
            );
        }
        run
    }

    /// Asserts that `text` appears in stderr.
    #[track_caller]
    pub fn stderr_has(self, text: &str) -> Self {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\n{}",
            self.describe()
        );
        self
    }

    /// The lines of stdout.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Each stdout line parsed as JSON.
    #[track_caller]
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!("line {line:?} is not JSON: {e}\n{}", self.describe())
                })
            })
            .collect()
    }

    /// Stdout parsed as one JSON value.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim_end())
            .unwrap_or_else(|e| panic!("stdout is not one JSON value: {e}\n{}", self.describe()))
    }
}

/// The `field` of each message.
pub fn field<'a>(messages: &'a [Value], name: &str) -> Vec<&'a Value> {
    messages.iter().map(|m| &m[name]).collect()
}

/// The messages with their `topic` field removed.
pub fn without_topic(messages: &[Value]) -> Vec<Value> {
    messages
        .iter()
        .map(|m| {
            let mut m = m.clone();
            m.as_object_mut().expect("a message object").remove("topic");
            m
        })
        .collect()
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}
