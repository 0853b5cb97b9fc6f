//! Reading commands on avro, protobuf and jsonschema values (the local
//! storage's emulated registry): every command prints the messages it
//! read, decoded through the codec that read them, in the form `cat`
//! prints.

mod support;

use serde_json::{json, Value};
use support::{field, TestEnv};

const AVRO: &str = r#"{"type":"record","name":"Snack","fields":[{"name":"name","type":"string"},{"name":"calories","type":"float"}]}"#;
const PROTOBUF: &str =
    "syntax = \"proto3\";\nmessage Snack {\n  string name = 1;\n  float calories = 2;\n}\n";
const JSONSCHEMA: &str = r#"{"type":"object","properties":{"name":{"type":"string"},"calories":{"type":"number"}},"required":["name"]}"#;

const TYPES: [(&str, &str); 3] = [
    ("avro", AVRO),
    ("protobuf", PROTOBUF),
    ("jsonschema", JSONSCHEMA),
];

/// Produces `snacks` (one line per `KEY:NAME`) with the schema of `ty`, all
/// with the same timestamp (so that topics written alike do not differ).
fn produce(env: &TestEnv, topic: &str, ty: &str, schema: &str, snacks: &[(&str, &str)]) {
    let lines: String = snacks
        .iter()
        .map(|(key, name)| format!("{key}:{{\"name\":\"{name}\",\"calories\":100.5}}\n"))
        .collect();
    env.ok_stdin(
        &[
            "produce",
            "local:local",
            topic,
            "--key-separator",
            ":",
            "--value-type",
            ty,
            "--value-schema",
            schema,
            "--timestamp",
            "1700000000000",
        ],
        lines,
    );
}

fn names(messages: &[Value]) -> Vec<&str> {
    messages
        .iter()
        .map(|m| {
            m["value"]["name"]
                .as_str()
                .unwrap_or_else(|| panic!("no value.name in {m}"))
        })
        .collect()
}

/// The messages `kafi ARGS --value-type TY` prints.
fn read(env: &TestEnv, args: &[&str], ty: &str) -> Vec<Value> {
    let mut full = args.to_vec();
    full.extend(["--value-type", ty]);
    env.ok(&full).json_lines()
}

#[test]
fn tail_prints_the_last_messages_of_schema_types() {
    let env = TestEnv::new();
    for (ty, schema) in TYPES {
        let topic = format!("tail_{ty}");
        produce(
            &env,
            &topic,
            ty,
            schema,
            &[("k1", "cookie"), ("k2", "cake"), ("k1", "timtam")],
        );
        let tail = read(&env, &["tail", "local:local", &topic, "-n", "2"], ty);
        assert_eq!(names(&tail), ["cake", "timtam"], "{ty}");
        assert_eq!(field(&tail, "key"), [&json!("k2"), &json!("k1")], "{ty}");
        assert_eq!(field(&tail, "offset"), [&json!(1), &json!(2)], "{ty}");
        // The same lines cat prints.
        let all = read(&env, &["cat", "local:local", &topic], ty);
        assert_eq!(tail, all[1..], "{ty}");
        let head = read(&env, &["head", "local:local", &topic, "-n", "1"], ty);
        assert_eq!(head, all[..1], "{ty}");
    }
}

#[test]
fn compact_prints_and_writes_schema_types() {
    let env = TestEnv::new();
    for (ty, schema) in TYPES {
        let topic = format!("compact_{ty}");
        produce(
            &env,
            &topic,
            ty,
            schema,
            &[("k1", "cookie"), ("k2", "cake"), ("k1", "timtam")],
        );
        let kept = read(&env, &["compact", "local:local", &topic], ty);
        assert_eq!(names(&kept), ["cake", "timtam"], "{ty}");
        assert_eq!(field(&kept, "offset"), [&json!(1), &json!(2)], "{ty}");
        let all = read(&env, &["cat", "local:local", &topic], ty);
        assert_eq!(kept, all[1..], "{ty}");

        // Written to a target: the bytes as they are (same types).
        let target = format!("compacted_{ty}");
        let run = env.ok(&[
            "compact",
            "local:local",
            &topic,
            "local:local",
            &target,
            "--value-type",
            ty,
        ]);
        assert_eq!(run.stderr.trim_end(), "2 message(s) kept", "{ty}");
        let written = read(&env, &["cat", "local:local", &target], ty);
        assert_eq!(names(&written), ["cake", "timtam"], "{ty}");
    }
}

#[test]
fn grep_filter_and_diff_print_schema_types() {
    let env = TestEnv::new();
    for (ty, schema) in TYPES {
        let topic = format!("snacks_{ty}");
        produce(
            &env,
            &topic,
            ty,
            schema,
            &[("k1", "cookie"), ("k2", "cake"), ("k3", "timtam")],
        );
        // grep matches the stored bytes: strings are stored as they are in
        // all three formats.
        let run = env.ok(&["grep", "local:local", &topic, "timtam", "--value-type", ty]);
        assert_eq!(names(&run.json_lines()), ["timtam"], "{ty}");
        assert_eq!(run.stderr.trim_end(), "1 of 3 message(s) matched", "{ty}");

        let found = read(
            &env,
            &["filter", "local:local", &topic, r#".value.name == "cake""#],
            ty,
        );
        assert_eq!(names(&found), ["cake"], "{ty}");
        assert_eq!(field(&found, "key"), [&json!("k2")], "{ty}");

        let other = format!("other_{ty}");
        produce(
            &env,
            &other,
            ty,
            schema,
            &[("k1", "cookie"), ("k2", "cake"), ("k3", "tim")],
        );
        let mut args = vec!["diff", "local:local", &topic, "local:local", &other];
        args.extend(["--value-type", ty]);
        let run = env.run(&args).code(1);
        let lines = run.lines();
        assert_eq!(lines.len(), 2, "{ty}: {}", run.stdout);
        let side = |line: &str, sign: &str| -> Value {
            let text = line
                .strip_prefix(sign)
                .unwrap_or_else(|| panic!("{line:?} does not start with {sign:?}"));
            serde_json::from_str(text).unwrap()
        };
        assert_eq!(side(lines[0], "< ")["value"]["name"], "timtam", "{ty}");
        assert_eq!(side(lines[1], "> ")["value"]["name"], "tim", "{ty}");
        env.ok(&[
            "diff",
            "local:local",
            &topic,
            "local:local",
            &topic,
            "--value-type",
            ty,
        ]);
    }
}
