//! Running `kafi` processes with timeouts and in parallel.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::support::{Run, TestEnv};

pub fn read_in_background(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Waits for a child, killing it and failing the test after `timeout`.
pub fn wait_within(child: &mut Child, what: &str, timeout: Duration) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status
                .code()
                .unwrap_or_else(|| panic!("{what}: killed ({status})"));
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {timeout:?} (a hang or a spin)");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `kafi ARGS` (stdin: `input`), failing the test if it runs longer
/// than `timeout`.
pub fn run_within(env: &TestEnv, args: &[&str], input: &str, timeout: Duration) -> Run {
    let mut child = env
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kafi");
    let stdout = read_in_background(child.stdout.take().unwrap());
    let stderr = read_in_background(child.stderr.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let code = wait_within(&mut child, &format!("kafi {args:?}"), timeout);
    writer.join().unwrap();
    Run {
        args: args.iter().map(|a| a.to_string()).collect(),
        code,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// Starts `kafi ARGS` with a piped standard input.
pub fn spawn_with_stdin(env: &TestEnv, args: &[&str]) -> (Child, ChildStdin) {
    let mut child = env
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kafi");
    let stdin = child.stdin.take().unwrap();
    (child, stdin)
}

/// Runs the commands at the same moment, each in its own process, and
/// asserts that every one succeeds.
pub fn run_together(env: &TestEnv, commands: &[Vec<String>]) {
    let mut children: Vec<(String, Child)> = commands
        .iter()
        .map(|args| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let child = env
                .command(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn kafi");
            (format!("kafi {args:?}"), child)
        })
        .collect();
    for (what, child) in &mut children {
        let stderr = read_in_background(child.stderr.take().unwrap());
        let code = wait_within(child, what, Duration::from_secs(60));
        let stderr = stderr.join().unwrap();
        assert_eq!(code, 0, "{what} failed: {stderr}");
    }
}

pub fn args(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}
