//! Bad input through the real `kafi` binary: each case ends in one clear
//! `kafi: error:` line naming what is wrong and a non-zero exit, and no
//! secret (user info in a URL or broker address) is ever printed, at any
//! verbosity.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Stdio};

use support::TestEnv;

const PASSWORD: &str = "PASSWORD-in-url-7f3a";
const USER: &str = "sruser";

/// Flags before the command, and an environment variable to set.
type Verbosity = (
    &'static [&'static str],
    Option<(&'static str, &'static str)>,
);

/// The ways of asking for more output: flags and the log filter variables.
const VERBOSITIES: &[Verbosity] = &[
    (&[], None),
    (&["-v"], None),
    (&["-vv"], None),
    (&["-vvv"], None),
    (&[], Some(("KAFI_LOG", "trace"))),
    (&["-vvv"], Some(("RUST_LOG", "trace"))),
];

/// Runs `kafi ARGS` at every verbosity and checks that the user info never
/// appears on stdout or stderr, that the exit code is `code` and that the
/// last stderr line is the `kafi: error:` line containing `needles`.
#[track_caller]
fn fails_without_leaking(env: &TestEnv, args: &[&str], code: i32, needles: &[&str]) {
    // Without verbosity: exactly one line.
    env.run(args).error(code, needles);
    for (flags, var) in VERBOSITIES {
        let mut full: Vec<&str> = flags.to_vec();
        full.extend_from_slice(args);
        let mut cmd = env.command(&full);
        if let Some((name, value)) = var {
            cmd.env(name, value);
        }
        let output = cmd.stdin(Stdio::null()).output().expect("run kafi");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let all = format!("{stdout}{stderr}");
        let describe =
            || format!("kafi {full:?} {var:?}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
        assert!(
            !all.contains(PASSWORD),
            "the password leaks\n{}",
            describe()
        );
        assert!(!all.contains(USER), "the user name leaks\n{}", describe());
        assert_eq!(output.status.code(), Some(code), "{}", describe());
        let last = stderr.lines().last().unwrap_or_default();
        assert!(last.starts_with("kafi: error: "), "{}", describe());
        for needle in needles {
            assert!(last.contains(needle), "no {needle:?}\n{}", describe());
        }
    }
}

/// Runs `kafi ARGS` successfully at every verbosity; the user info never
/// appears.
#[track_caller]
fn succeeds_without_leaking(env: &TestEnv, args: &[&str]) {
    for (flags, var) in VERBOSITIES {
        let mut full: Vec<&str> = flags.to_vec();
        full.extend_from_slice(args);
        let mut cmd = env.command(&full);
        if let Some((name, value)) = var {
            cmd.env(name, value);
        }
        let output = cmd.stdin(Stdio::null()).output().expect("run kafi");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "kafi {full:?} {var:?}\n{all}"
        );
        assert!(
            !all.contains(PASSWORD) && !all.contains(USER),
            "kafi {full:?} {var:?} leaks\n{all}"
        );
    }
}

fn registry_config(env: &TestEnv, name: &str, url: &str) {
    env.write(
        &format!("{name}.yaml"),
        format!("local:\n  root.dir: data\nschema_registry:\n  schema.registry.url: {url}\n  timeout: 5\n"),
    );
}

const STRING_SCHEMA: &str = r#"{"type":"string"}"#;

#[test]
fn unreachable_schema_registry_url_with_user_info() {
    let env = TestEnv::new();
    registry_config(
        &env,
        "sr",
        &format!("http://{USER}:{PASSWORD}@127.0.0.1:1/"),
    );
    fails_without_leaking(
        &env,
        &[
            "produce",
            "local:sr",
            "t",
            "--value-type",
            "avro",
            "--value-schema",
            STRING_SCHEMA,
            "\"x\"",
        ],
        3,
        &["schema registry http://127.0.0.1:1/ is unreachable"],
    );
    fails_without_leaking(&env, &["subjects", "local:sr"], 3, &["unreachable"]);
}

#[test]
fn malformed_schema_registry_urls_with_user_info() {
    let env = TestEnv::new();
    for (url, reason) in [
        (
            format!("http://{USER}:{PASSWORD}@host:99999"),
            "invalid port number",
        ),
        (
            format!("ftp://{USER}:{PASSWORD}@host"),
            "the scheme must be http or https",
        ),
        (
            "localhost:8081".to_owned(),
            "the scheme must be http or https",
        ),
    ] {
        registry_config(&env, "bad", &format!("\"{url}\""));
        fails_without_leaking(
            &env,
            &["subjects", "local:bad"],
            2,
            &["schema.registry.url", reason],
        );
    }
}

/// A running `kafi registry serve` (killed by its own handle on drop).
struct Registry {
    child: Child,
    address: String,
}

impl Registry {
    fn start(env: &TestEnv) -> Self {
        env.write(
            "reg.yaml",
            "local:\n  root.dir: registry-data\nschema_registry:\n  emulated: true\n",
        );
        let mut child = env
            .command(&["registry", "serve", "local:reg", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn kafi registry serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the serve banner");
        let address = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .trim_end_matches('/')
            .to_owned();
        Self { child, address }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn working_schema_registry_url_with_user_info_is_never_logged() {
    let env = TestEnv::new();
    let registry = Registry::start(&env);
    registry_config(
        &env,
        "sr",
        &format!("http://{USER}:{PASSWORD}@{}/", registry.address),
    );
    succeeds_without_leaking(
        &env,
        &[
            "produce",
            "local:sr",
            "t",
            "--value-type",
            "avro",
            "--value-schema",
            STRING_SCHEMA,
            "\"x\"",
        ],
    );
    succeeds_without_leaking(&env, &["cat", "local:sr", "t", "--value-type", "avro"]);
    succeeds_without_leaking(&env, &["subjects", "local:sr"]);
    let values: Vec<_> = env
        .cat(&["local:sr", "t", "--value-type", "avro"])
        .into_iter()
        .map(|m| m["value"].clone())
        .collect();
    assert_eq!(values.len(), VERBOSITIES.len());
    assert!(values.iter().all(|v| v == "x"), "{values:?}");
}

/// Answers every HTTP request with 401, like a registry refusing the
/// credentials.
fn refusing_registry() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let body = r#"{"error_code":401,"message":"Unauthorized user!"}"#;
        let answer = format!(
            "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    address
}

#[test]
fn wrong_registry_credentials() {
    let env = TestEnv::new();
    let address = refusing_registry();
    registry_config(&env, "sr", &format!("http://{USER}:{PASSWORD}@{address}"));
    fails_without_leaking(
        &env,
        &["subjects", "local:sr"],
        3,
        &["unauthorized", "HTTP 401"],
    );
    env.write(
        "sr2.yaml",
        format!(
            "local:\n  root.dir: data\nschema_registry:\n  schema.registry.url: http://{address}\n  \
             basic.auth.credentials.source: USER_INFO\n  basic.auth.user.info: {USER}:{PASSWORD}\n"
        ),
    );
    fails_without_leaking(
        &env,
        &["subjects", "local:sr2"],
        3,
        &["unauthorized", "basic.auth.user.info"],
    );
}

#[test]
fn bootstrap_servers_with_user_info() {
    // No broker needed: such an address is refused before connecting.
    let env = TestEnv::new();
    for servers in [
        format!("{USER}:{PASSWORD}@127.0.0.1:1"),
        format!("127.0.0.1:2,{USER}:{PASSWORD}@127.0.0.1:1"),
        format!("SASL_SSL://{USER}:{PASSWORD}@127.0.0.1:1"),
    ] {
        env.write(
            "bs.yaml",
            format!(
                "kafka:\n  bootstrap.servers: {servers}\nkafi:\n  block.num.retries: 1\n  block.interval: 0.1\n"
            ),
        );
        fails_without_leaking(
            &env,
            &["ls", "cluster:bs"],
            2,
            &[
                "bootstrap.servers entry",
                "********@127.0.0.1:1",
                "carries user info",
                "sasl.username",
            ],
        );
    }
}

#[test]
fn malformed_and_unreachable_bootstrap_servers() {
    let env = TestEnv::new();
    for servers in ["localhost", "host:notaport", ":9092", "h:0"] {
        env.write(
            "bs.yaml",
            format!("kafka:\n  bootstrap.servers: \"{servers}\"\n"),
        );
        env.run(&["ls", "cluster:bs"])
            .error(2, &[&format!("{servers:?} is not host:port")]);
    }
    env.write(
        "down.yaml",
        "kafka:\n  bootstrap.servers: 127.0.0.1:1\nkafi:\n  block.num.retries: 1\n  block.interval: 0.1\n",
    );
    env.run(&["ls", "cluster:down"])
        .error(3, &["cannot reach the Kafka cluster at 127.0.0.1:1"]);
}

#[test]
fn envelope_line_that_is_not_json_names_the_line() {
    let env = TestEnv::new();
    for (input, line, reason) in [
        (
            "{\"value\":1}\nnot json\n",
            2,
            "the line is not JSON (expected ident at line 1 column 2)",
        ),
        ("nulls\n", 1, "the line is not JSON"),
        (
            "{\"value\":1}\n{\"value\":2}\n   \n",
            3,
            "the line is empty",
        ),
        ("[1, 2]\n", 1, "expected a message object"),
    ] {
        env.run_stdin(&["produce", "local:local", "env", "--envelope"], input)
            .error(
                3,
                &[&format!(
                    "standard input line {line}: invalid message envelope: {reason}"
                )],
            );
    }
    // Nothing of a failed run is written.
    assert!(env.cat(&["local:local", "env"]).is_empty());
}

#[test]
fn message_without_a_value_field_is_an_error_and_null_a_tombstone() {
    let env = TestEnv::new();
    const MISSING: &str =
        "the message has no \"value\" field (write \"value\": null for a tombstone)";
    env.run_stdin(
        &["produce", "local:local", "t", "--envelope"],
        "{\"key\":\"a\",\"value\":1}\n{}\n",
    )
    .error(3, &["standard input line 2", MISSING]);
    env.run_stdin(
        &["produce", "local:local", "t", "--envelope"],
        "{\"key\":\"k\"}\n",
    )
    .error(3, &["standard input line 1", MISSING]);
    assert!(env.cat(&["local:local", "t"]).is_empty());
    env.ok_stdin(
        &["produce", "local:local", "t", "--envelope"],
        "{\"key\":\"k\",\"value\":null}\n",
    );
    let messages = env.cat(&["local:local", "t"]);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["key"], "k");
    assert!(messages[0]["value"].is_null());

    // The jq path: a --map or --flatmap output without value.
    env.ok(&["produce", "local:local", "src", "--key", "a", "{\"n\":1}"]);
    for (option, expression) in [
        ("--map", "{}"),
        ("--flatmap", "{key: .key}"),
        ("--map", "del(.value)"),
    ] {
        env.run(&[
            "cp",
            "local:local",
            "src",
            "local:local",
            "dst",
            option,
            expression,
        ])
        .error(3, &["src partition 0 offset 0", MISSING]);
        assert!(env.cat(&["local:local", "dst"]).is_empty(), "{expression}");
    }
    env.ok(&[
        "cp",
        "local:local",
        "src",
        "local:local",
        "tomb",
        "--map",
        ".value = null",
    ]);
    let messages = env.cat(&["local:local", "tomb"]);
    assert_eq!(messages.len(), 1);
    assert!(messages[0]["value"].is_null());
    assert_eq!(messages[0]["key"], "a");
}

#[test]
fn missing_schema_file_is_named() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("schemas")).unwrap();
    for (schema, message) in [
        ("./snack.avsc", "schema file ./snack.avsc does not exist"),
        ("snack.avsc", "schema file snack.avsc does not exist"),
        ("schemas/snack", "schema file schemas/snack does not exist"),
        ("schemas", "schema file schemas is a directory"),
    ] {
        env.run(&[
            "produce",
            "local:local",
            "t",
            "--value-type",
            "avro",
            "--value-schema",
            schema,
            "{}",
        ])
        .error(2, &[message]);
        env.run(&["register", "local:local", "s-value", schema])
            .error(2, &[message]);
    }
    // Text that is neither a file nor a schema says so.
    env.run(&[
        "produce",
        "local:local",
        "t",
        "--value-type",
        "avro",
        "--value-schema",
        "snack",
        "{}",
    ])
    .error(3, &["invalid Avro schema: the text is not JSON"]);
    // An existing file is read.
    env.write("snack.avsc", STRING_SCHEMA);
    env.ok(&[
        "produce",
        "local:local",
        "t",
        "--value-type",
        "avro",
        "--value-schema",
        "snack.avsc",
        "\"x\"",
    ]);
}

#[test]
fn config_path_that_is_a_directory_is_named() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("dir.yaml")).unwrap();
    let dir = env.path("dir.yaml");
    env.run(&["ls", "local:dir"]).error(
        2,
        &[&format!(
            "configuration path {} is a directory",
            dir.display()
        )],
    );
    env.run(&["ls", &format!("local:{}", dir.display())])
        .error(2, &["is a directory, not a YAML file"]);
}

#[test]
fn empty_stdin_lines_are_skipped() {
    let env = TestEnv::new();
    env.ok_stdin(
        &["produce", "local:local", "t"],
        "{\"a\":1}\n\n{\"b\":2}\r\n\r\n\n",
    );
    let values: Vec<_> = env
        .cat(&["local:local", "t"])
        .into_iter()
        .map(|m| m["value"].clone())
        .collect();
    assert_eq!(
        values,
        [serde_json::json!({"a": 1}), serde_json::json!({"b": 2})]
    );
    // In envelope mode too; errors count every physical line.
    env.run_stdin(
        &["produce", "local:local", "e", "--envelope"],
        "\n{\"value\":1}\n\nnope\n",
    )
    .error(3, &["standard input line 4", "not JSON"]);
    env.ok_stdin(
        &["produce", "local:local", "e", "--envelope"],
        "\n{\"value\":1}\n\n",
    );
    assert_eq!(env.cat(&["local:local", "e"]).len(), 1);
    // A blank (not empty) line is named, not skipped.
    env.run_stdin(&["produce", "local:local", "t"], "{\"c\":3}\n \n")
        .error(
            3,
            &[
                "standard input line 2",
                "the text is empty, not a JSON value",
            ],
        );
    // With --key-separator an empty line is skipped as well.
    env.ok_stdin(
        &["produce", "local:local", "k", "--key-separator", ":"],
        "a:1\n\nb:2\n",
    );
    assert_eq!(env.cat(&["local:local", "k"]).len(), 2);
}

#[test]
fn empty_key_separator_is_a_usage_error() {
    let env = TestEnv::new();
    env.run_stdin(
        &["produce", "local:local", "t", "--key-separator", ""],
        "k:{\"a\":1}\n",
    )
    .error(2, &["--key-separator must not be empty"]);
    assert_eq!(env.run(&["exists", "local:local", "t"]).code, 1);
}

#[test]
fn cp_partitions_below_one_is_a_usage_error() {
    let env = TestEnv::new();
    env.ok(&["produce", "local:local", "src", "{\"a\":1}"]);
    env.run(&[
        "cp",
        "local:local",
        "src",
        "local:local",
        "dst",
        "--partitions",
        "0",
    ])
    .error(
        2,
        &["--partitions 0: the target topic needs at least 1 partition"],
    );
    assert_eq!(env.run(&["exists", "local:local", "dst"]).code, 1);
    env.ok(&[
        "cp",
        "local:local",
        "src",
        "local:local",
        "dst",
        "--partitions",
        "2",
    ]);
    assert_eq!(
        env.ok(&["partitions", "local:local", "dst"]).stdout.trim(),
        "2"
    );
}
