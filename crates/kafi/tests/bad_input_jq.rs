//! Hostile jq expressions and deeply nested values on the real `kafi`
//! binary: every case ends in one clear error and a non-zero exit (never a
//! crash, a hang or unbounded memory), and SIGINT/SIGTERM stop runaway work
//! promptly with the counts.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Run, TestEnv};

/// Longest a case may run: the old behaviour (running forever) fails here.
const DEADLINE: Duration = Duration::from_secs(20);

/// A local topic `t` holding one message `{"n":1}`.
fn one_message() -> TestEnv {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "t"]);
    env.ok_stdin(&["produce", "local:local", "t"], "{\"n\":1}\n");
    env
}

fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

/// Runs `kafi ARGS`, killing it (and failing) after [`DEADLINE`].
fn run_bounded(env: &TestEnv, args: &[&str]) -> Run {
    let child = spawn(env, args);
    let pid = child.id();
    let start = Instant::now();
    let waiter = std::thread::spawn(move || child.wait_with_output());
    while !waiter.is_finished() {
        if start.elapsed() > DEADLINE {
            signal(pid, "KILL");
            panic!("kafi {args:?} ran for more than {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = waiter.join().expect("waiter").expect("wait for kafi");
    Run::from_output(args, output)
}

fn spawn(env: &TestEnv, args: &[&str]) -> Child {
    env.command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kafi")
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} {pid}");
}

/// CPU seconds used by process `pid` (Linux), to know it is busy.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Spawns `kafi ARGS`, waits until it has worked `busy` CPU seconds, sends
/// `name`, and returns the run and how long it took to exit.
fn interrupt(env: &TestEnv, args: &[&str], busy: f64, name: &str) -> (Run, Duration) {
    let mut child = spawn(env, args);
    let pid = child.id();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("poll kafi") {
            panic!("kafi {args:?} ended ({status}) before it was interrupted");
        }
        match cpu_seconds(pid) {
            Some(used) if used >= busy => break,
            None if start.elapsed() > Duration::from_secs(2) => break,
            _ => {}
        }
        assert!(start.elapsed() < DEADLINE, "kafi {args:?} did not get busy");
        std::thread::sleep(Duration::from_millis(10));
    }
    signal(pid, name);
    let sent = Instant::now();
    let waiter = std::thread::spawn(move || child.wait_with_output());
    while !waiter.is_finished() {
        if sent.elapsed() > Duration::from_secs(10) {
            signal(pid, "KILL");
            panic!("kafi {args:?} did not stop on SIG{name}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let took = sent.elapsed();
    let output = waiter.join().expect("waiter").expect("wait for kafi");
    (Run::from_output(args, output), took)
}

fn count(env: &TestEnv, topic: &str) -> usize {
    let run = env.ok(&["wc", "local:local", topic, "--json"]);
    run.json()["messages"].as_u64().expect("a count") as usize
}

// ------------------------------------------------------------ map / flatmap

#[test]
fn a_map_fails_at_its_second_result() {
    let env = one_message();
    run_bounded(
        &env,
        &[
            "cp",
            "local:local",
            "t",
            "local:local",
            "u",
            "--map",
            "repeat(.)",
        ],
    )
    .error(
        3,
        &[
            "map failed on t partition 0 offset 0",
            "--map expression \"repeat(.)\" gave a second result",
        ],
    );
    run_bounded(
        &env,
        &[
            "cp",
            "local:local",
            "t",
            "local:local",
            "u",
            "--map",
            "empty",
        ],
    )
    .error(3, &["offset 0", "\"empty\" gave no result"]);
    assert_eq!(count(&env, "u"), 0);
}

#[test]
fn a_flatmap_streams_its_outputs_up_to_the_limit() {
    let env = one_message();
    let run = run_bounded(
        &env,
        &[
            "cp",
            "local:local",
            "t",
            "local:local",
            "u",
            "--flatmap",
            "repeat(.)",
        ],
    )
    .error(
        3,
        &[
            "flatmap failed on t partition 0 offset 0",
            "\"repeat(.)\" gave more than 10000 results",
            "jq.max.outputs",
        ],
    );
    // Outputs were streamed to the producer before the limit was hit.
    let written = count(&env, "u");
    assert!(
        written > 0 && written <= 10_000,
        "{written}\n{}",
        run.stderr
    );

    let explode = "range(10) as $i | .value.i = $i";
    run_bounded(
        &env,
        &[
            "cp",
            "local:local",
            "t",
            "local:local",
            "v",
            "--flatmap",
            explode,
            "--max-outputs",
            "5",
        ],
    )
    .error(3, &["more than 5 results", "offset 0"]);
    run_bounded(
        &env,
        &[
            "cp",
            "local:local",
            "t",
            "local:local",
            "w",
            "--flatmap",
            explode,
            "--max-outputs",
            "10",
        ],
    )
    .success();
    assert_eq!(count(&env, "w"), 10);

    env.write(
        "local.yaml",
        "local:\n  root.dir: data\nkafi:\n  jq.max.outputs: 3\n",
    );
    run_bounded(
        &env,
        &[
            "cp",
            "local:local",
            "t",
            "local:local",
            "x",
            "--flatmap",
            explode,
        ],
    )
    .error(3, &["more than 3 results"]);
}

// ------------------------------------------------------------------ signals

#[test]
fn sigint_stops_a_runaway_map_promptly_with_the_counts() {
    let env = one_message();
    let args = [
        "cp",
        "local:local",
        "t",
        "local:local",
        "u",
        "--map",
        "[range(1e9)]",
    ];
    let (run, took) = interrupt(&env, &args, 0.3, "INT");
    run.error(
        130,
        &["interrupted by SIGINT after consuming 0 and producing 0 message(s)"],
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn sigterm_stops_an_endless_recursion_promptly() {
    let env = one_message();
    let (run, took) = interrupt(
        &env,
        &[
            "cp",
            "local:local",
            "t",
            "local:local",
            "u",
            "--map",
            "def f: f; f",
        ],
        0.3,
        "TERM",
    );
    run.error(
        143,
        &["interrupted by SIGTERM after consuming 0 and producing 0"],
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let (run, took) = interrupt(
        &env,
        &["filter", "local:local", "t", "def f: f; f"],
        0.3,
        "INT",
    );
    run.error(130, &["interrupted by SIGINT"]);
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn an_interrupted_copy_writes_and_commits_what_it_processed() {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "t"]);
    let lines: String = (0..3000).map(|n| format!("{{\"n\":{n}}}\n")).collect();
    env.ok_stdin(&["produce", "local:local", "t"], lines);
    // Slow enough per message to be interrupted in the middle.
    let slow = "(reduce range(3000) as $i (0; . + 1)) as $x | .value.x = $x";
    let (run, took) = interrupt(
        &env,
        &[
            "cp",
            "local:local",
            "t",
            "local:local",
            "u",
            "--map",
            slow,
            "--group",
            "g",
        ],
        0.5,
        "INT",
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let run = run.error(130, &["interrupted by SIGINT (after consuming "]);
    let consumed: usize = run
        .stderr
        .split("after consuming ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(consumed > 0 && consumed < 3000, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("and producing {consumed} message(s)")),
        "{}",
        run.stderr
    );
    assert_eq!(count(&env, "u"), consumed);
    let offsets = env.ok(&["group-offsets", "local:local", "g"]);
    assert_eq!(offsets.stdout.trim(), format!("g\tt\t0\t{consumed}"));
}

// ---------------------------------------------------------- stack overflows

#[test]
fn endless_recursion_is_an_error_not_a_crash() {
    let env = one_message();
    for args in [
        &[
            "cp",
            "local:local",
            "t",
            "local:local",
            "u",
            "--map",
            "def f: 1 + f; f",
        ][..],
        &["filter", "local:local", "t", "def f: 1 + f; f"][..],
    ] {
        run_bounded(&env, args).error(3, &["stack overflow", "recursed too deeply"]);
    }
}

#[test]
fn oversized_expressions_are_rejected_before_parsing() {
    let env = one_message();
    let pipe = vec!["."; 30_000].join(" | ");
    let parens = format!("{}.{}", "(".repeat(10_000), ")".repeat(10_000));
    for (expression, needle) in [
        (pipe.as_str(), "more than the limit of 32768"),
        (parens.as_str(), "deeper than the limit of 256"),
    ] {
        for args in [
            &[
                "cp",
                "local:local",
                "t",
                "local:local",
                "u",
                "--map",
                expression,
            ][..],
            &["filter", "local:local", "t", expression][..],
        ] {
            run_bounded(&env, args).error(2, &["invalid jq expression", needle]);
        }
    }
    // The longest accepted pipe still parses and runs.
    let longest = vec!["."; 16_000].join("|");
    assert!(longest.len() <= 32 * 1024);
    run_bounded(
        &env,
        &[
            "cp",
            "local:local",
            "t",
            "local:local",
            "u",
            "--map",
            &longest,
        ],
    )
    .success();
    assert_eq!(count(&env, "u"), 1);
}

#[test]
fn jq_parse_errors_say_where_and_what() {
    let env = one_message();
    run_bounded(
        &env,
        &[
            "cp",
            "local:local",
            "t",
            "local:local",
            "u",
            "--map",
            ".value +",
        ],
    )
    .error(
        2,
        &[
            "invalid jq expression \".value +\"",
            "expected term, found the end of the expression at line 1, column 9",
        ],
    );
    run_bounded(&env, &["filter", "local:local", "t", ".a |\n (.b"]).error(
        2,
        &["expected a closing parenthesis for the \"(\" at line 2, column 2"],
    );
    run_bounded(&env, &["filter", "local:local", "t", ".a | nosuch(1)"])
        .error(2, &["undefined function nosuch/1 at line 1, column 6"]);
}

// ------------------------------------------------------------ deep values

#[test]
fn producing_a_value_nested_too_deeply_is_an_error() {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "t"]);
    env.run_stdin(
        &["produce", "local:local", "t"],
        format!("{}\n", nested(30_000)),
    )
    .error(3, &["standard input line 1", "deeper than 127"]);
    let envelope = format!("{{\"key\":\"k\",\"value\":{}}}\n", nested(30_000));
    env.run_stdin(&["produce", "local:local", "t", "--envelope"], envelope)
        .error(3, &["deeper than 127"]);
    assert_eq!(count(&env, "t"), 0);

    // The deepest value kafi accepts goes through every reader.
    env.ok_stdin(
        &["produce", "local:local", "t"],
        format!("{}\n", nested(127)),
    );
    let printed = env.ok(&["cat", "local:local", "t"]);
    assert!(printed.stdout.contains(&nested(127)), "{}", printed.stdout);
    let kept = env.ok(&["filter", "local:local", "t", "true"]);
    assert_eq!(kept.lines().len(), 1);
    env.ok(&["cp", "local:local", "t", "local:local", "u", "--map", "."]);
    assert_eq!(count(&env, "u"), 1);
}

#[test]
fn foreign_values_nested_too_deeply_are_errors_naming_the_message() {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "t"]);
    // Written as text: kafi's json type would refuse it.
    env.ok_stdin(
        &["produce", "local:local", "t", "--type", "str"],
        format!("{}\n", nested(30_000)),
    );
    let named = ["value of t partition 0 offset 0", "deeper than 127"];
    run_bounded(&env, &["filter", "local:local", "t", "true"]).error(3, &named);
    run_bounded(
        &env,
        &["cp", "local:local", "t", "local:local", "u", "--map", "."],
    )
    .error(3, &named);
    run_bounded(&env, &["cat", "local:local", "t"]).error(3, &named);
}

#[test]
fn jq_outputs_nested_too_deeply_are_errors() {
    let env = one_message();
    let build = ".value = (reduce range(1000) as $i (0; [.]))";
    run_bounded(
        &env,
        &["cp", "local:local", "t", "local:local", "u", "--map", build],
    )
    .error(
        3,
        &["map failed on t partition 0 offset 0", "deeper than 127"],
    );
}
