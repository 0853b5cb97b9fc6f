//! End-to-end tests of the `kafi` command on local emulated storages.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;

use serde_json::{json, Value};
use support::{field, now_ms, without_topic, TestEnv};

const FIELDS: [&str; 7] = [
    "topic",
    "headers",
    "partition",
    "offset",
    "timestamp",
    "key",
    "value",
];

/// The README's three messages in a 1-partition topic `topic_json`.
fn tour_env() -> TestEnv {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "topic_json"]);
    env.ok(&[
        "produce",
        "local:local",
        "topic_json",
        "--key",
        "123",
        r#"{"bla": 123}"#,
    ]);
    env.ok_stdin(
        &[
            "produce",
            "local:local",
            "topic_json",
            "--key-separator",
            ":",
        ],
        "456:{\"bla\": 456}\n789:{\"bla\": 789}\n",
    );
    env
}

// ---------------------------------------------------------------- the tour

#[test]
fn touch_with_three_partitions() {
    let env = TestEnv::new();
    let run = env.ok(&["touch", "local:local", "topic_json", "--partitions", "3"]);
    assert_eq!(run.stdout, "");
    env.ok(&["exists", "local:local", "topic_json"]);
    assert_eq!(
        env.ok(&["partitions", "local:local", "topic_json", "--json"])
            .json(),
        json!({"topic_json": 3})
    );
    assert_eq!(
        env.ok(&["watermarks", "local:local", "topic_json", "--json"])
            .json(),
        json!({"topic_json": {"0": [0, 0], "1": [0, 0], "2": [0, 0]}})
    );
    env.ok(&[
        "produce",
        "local:local",
        "topic_json",
        "--key",
        "123",
        r#"{"bla": 123}"#,
    ]);
    env.ok_stdin(
        &[
            "produce",
            "local:local",
            "topic_json",
            "--key-separator",
            ":",
        ],
        "456:{\"bla\": 456}\n789:{\"bla\": 789}\n",
    );
    let messages = env.cat(&["local:local", "topic_json"]);
    assert_eq!(messages.len(), 3);
    let mut keys: Vec<&str> = messages
        .iter()
        .map(|m| m["key"].as_str().unwrap())
        .collect();
    keys.sort();
    assert_eq!(keys, ["123", "456", "789"]);
    for m in &messages {
        let p = m["partition"].as_i64().unwrap();
        assert!((0..3).contains(&p), "partition out of range: {m}");
    }
    // The same key always goes to the same partition.
    env.ok(&[
        "produce",
        "local:local",
        "topic_json",
        "--key",
        "123",
        r#"{"bla": 0}"#,
    ]);
    let messages = env.cat(&["local:local", "topic_json"]);
    let parts: Vec<i64> = messages
        .iter()
        .filter(|m| m["key"] == "123")
        .map(|m| m["partition"].as_i64().unwrap())
        .collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0], parts[1]);
    let marks = env
        .ok(&["watermarks", "local:local", "topic_json", "--json"])
        .json();
    let total: i64 = marks["topic_json"]
        .as_object()
        .unwrap()
        .values()
        .map(|lh| lh[1].as_i64().unwrap() - lh[0].as_i64().unwrap())
        .sum();
    assert_eq!(total, 4);
    let long = env.ok(&["ls", "-l", "local:local"]);
    assert!(
        long.lines()
            .iter()
            .any(|l| l.starts_with("topic_json\t3\t4\t")),
        "ls -l: {}",
        long.stdout
    );
}

#[test]
fn produce_and_cat_print_the_json_lines_form() {
    let before = now_ms();
    let env = tour_env();
    let after = now_ms();
    let run = env.ok(&["cat", "local:local", "topic_json"]);
    assert_eq!(run.stderr, "");
    let messages = run.json_lines();
    assert_eq!(messages.len(), 3);
    for (i, m) in messages.iter().enumerate() {
        let keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, FIELDS, "field order of {m}");
        assert_eq!(m["topic"], "topic_json");
        assert_eq!(m["headers"], Value::Null);
        assert_eq!(m["partition"], 0);
        assert_eq!(m["offset"], i as i64);
        assert_eq!(m["timestamp"][0], 1, "CreateTime: {m}");
        let ts = m["timestamp"][1].as_i64().unwrap();
        assert!(
            (before..=after).contains(&ts),
            "timestamp {ts} not within [{before}, {after}]"
        );
        assert_eq!(m["timestamp"].as_array().unwrap().len(), 2);
    }
    assert_eq!(
        field(&messages, "key"),
        [&json!("123"), &json!("456"), &json!("789")]
    );
    assert_eq!(
        field(&messages, "value"),
        [
            &json!({"bla": 123}),
            &json!({"bla": 456}),
            &json!({"bla": 789})
        ]
    );
}

#[test]
fn produce_reads_stdin_one_value_per_line() {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "lines"]);
    env.ok_stdin(
        &["produce", "local:local", "lines"],
        "1\n\"two\"\r\n{\"three\": [3]}\nnull\n",
    );
    let messages = env.cat(&["local:local", "lines"]);
    assert_eq!(
        field(&messages, "value"),
        [
            &json!(1),
            &json!("two"),
            &json!({"three": [3]}),
            &Value::Null
        ]
    );
    assert_eq!(field(&messages, "key"), [&Value::Null; 4]);
    assert_eq!(
        field(&messages, "offset"),
        [&json!(0), &json!(1), &json!(2), &json!(3)]
    );
    // Without a separator in the line the whole line is the value.
    env.ok_stdin(
        &[
            "produce",
            "local:local",
            "lines",
            "--key-separator",
            "::",
            "--type",
            "str",
        ],
        "a::b::c\nnoseparator\n",
    );
    let messages = env.cat(&["local:local", "lines", "--offsets", "0=4", "--type", "str"]);
    assert_eq!(field(&messages, "key"), [&json!("a"), &Value::Null]);
    assert_eq!(
        field(&messages, "value"),
        [&json!("b::c"), &json!("noseparator")]
    );
}

#[test]
fn produce_headers_partition_and_timestamp_options() {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "t", "-p", "2"]);
    env.ok(&[
        "produce",
        "local:local",
        "t",
        "--type",
        "str",
        "-H",
        "a=1",
        "-H",
        "b=x=y",
        "--partition",
        "1",
        "--timestamp",
        "1700000000000",
        "-k",
        "kk",
        "v1",
        "v2",
    ]);
    let messages = env.cat(&["local:local", "t", "--type", "str"]);
    assert_eq!(messages.len(), 2);
    for (i, m) in messages.iter().enumerate() {
        assert_eq!(m["partition"], 1);
        assert_eq!(m["offset"], i as i64);
        assert_eq!(m["timestamp"], json!([1, 1_700_000_000_000i64]));
        assert_eq!(m["headers"], json!([["a", "1"], ["b", "x=y"]]));
        assert_eq!(m["key"], "kk");
    }
    assert_eq!(field(&messages, "value"), [&json!("v1"), &json!("v2")]);
    env.run(&["produce", "local:local", "t", "--partition", "5", "1"])
        .error(3, &["partition 5"]);
}

#[test]
fn produce_keeps_headers_in_order_with_duplicates() {
    let env = TestEnv::new();
    env.ok(&[
        "produce",
        "local:local",
        "h",
        "--type",
        "str",
        "-H",
        "z=1",
        "-H",
        "a=2",
        "-H",
        "z=3",
        "v",
    ]);
    let messages = env.cat(&["local:local", "h", "--type", "str"]);
    assert_eq!(
        messages[0]["headers"],
        json!([["z", "1"], ["a", "2"], ["z", "3"]])
    );
    env.run(&["produce", "local:local", "h", "-H", "novalue", "v"])
        .error(2, &["novalue", "KEY=VALUE"]);
}

#[test]
fn cat_num_and_offsets() {
    let env = tour_env();
    let one = env.cat(&["local:local", "topic_json", "-n", "1"]);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["key"], "123");
    assert_eq!(one[0]["offset"], 0);
    let from1 = env.cat(&["local:local", "topic_json", "--offsets", "0=1"]);
    assert_eq!(field(&from1, "offset"), [&json!(1), &json!(2)]);
    assert_eq!(field(&from1, "key"), [&json!("456"), &json!("789")]);
    let from1n1 = env.cat(&["local:local", "topic_json", "--offsets", "0=1", "-n", "1"]);
    assert_eq!(field(&from1n1, "key"), [&json!("456")]);
    assert_eq!(env.cat(&["local:local", "topic_json", "-n", "0"]).len(), 0);
    env.run(&["cat", "local:local", "topic_json", "--offsets", "zero"])
        .error(2, &["zero"]);
}

#[test]
fn cat_types() {
    let env = tour_env();
    let as_str = env.cat(&["local:local", "topic_json", "--type", "str"]);
    assert_eq!(as_str[0]["key"], "123");
    assert_eq!(as_str[0]["value"], r#"{"bla": 123}"#);
    let as_bytes = env.cat(&["local:local", "topic_json", "--type", "bytes"]);
    assert_eq!(as_bytes[1]["value"], r#"{"bla": 456}"#);
    let value_str = env.cat(&["local:local", "topic_json", "--value-type", "str"]);
    assert_eq!(value_str[2]["key"], "789");
    assert_eq!(value_str[2]["value"], r#"{"bla": 789}"#);
    // The keys are JSON numbers when read as json.
    let key_json = env.cat(&["local:local", "topic_json", "--key-type", "json"]);
    assert_eq!(
        field(&key_json, "key"),
        [&json!(123), &json!(456), &json!(789)]
    );
    assert_eq!(key_json[0]["value"], json!({"bla": 123}));
    // --key-type overrides --type for the key.
    let mixed = env.cat(&[
        "local:local",
        "topic_json",
        "--type",
        "str",
        "--key-type",
        "json",
    ]);
    assert_eq!(mixed[0]["key"], 123);
    assert_eq!(mixed[0]["value"], r#"{"bla": 123}"#);
}

#[test]
fn cp_with_map_and_flatmap() {
    let env = tour_env();
    let run = env.ok(&[
        "cp",
        "local:local",
        "topic_json",
        "local:backup",
        "topic_json_copy",
        "--map",
        ".value.bla += 42",
    ]);
    assert_eq!(run.stderr.trim_end(), "3 message(s) read, 3 written");
    let copy = env.cat(&["local:backup", "topic_json_copy"]);
    assert_eq!(
        field(&copy, "value"),
        [
            &json!({"bla": 165}),
            &json!({"bla": 498}),
            &json!({"bla": 831})
        ]
    );
    assert_eq!(
        field(&copy, "key"),
        [&json!("123"), &json!("456"), &json!("789")]
    );
    assert_eq!(field(&copy, "topic"), [&json!("topic_json_copy"); 3]);
    assert!(env.path("backup/topics/topic_json_copy").is_dir());
    assert!(!env.path("data/topics/topic_json_copy").exists());
    // Timestamps are kept.
    let source = env.cat(&["local:local", "topic_json"]);
    assert_eq!(field(&copy, "timestamp"), field(&source, "timestamp"));

    let run = env.ok(&[
        "cp",
        "local:local",
        "topic_json",
        "local:backup",
        "filtered",
        "--flatmap",
        "select(.value.bla == 456)",
    ]);
    assert_eq!(run.stderr.trim_end(), "3 message(s) read, 1 written");
    let filtered = env.cat(&["local:backup", "filtered"]);
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0]["key"], "456");
    assert_eq!(filtered[0]["value"], json!({"bla": 456}));
    assert_eq!(filtered[0]["offset"], 0);

    // A map giving no result is an error; a bad expression a usage error.
    env.run(&[
        "cp",
        "local:local",
        "topic_json",
        "local:backup",
        "bad_map",
        "--map",
        "empty",
    ])
    .code(3)
    .stderr_has("--map");
    env.run(&[
        "cp",
        "local:local",
        "topic_json",
        "local:backup",
        "bad_jq",
        "--map",
        ".value.bla +",
    ])
    .error(2, &["jq"]);
}

#[test]
fn grep_prints_exactly_the_matching_message() {
    let env = tour_env();
    let run = env.ok(&["grep", "local:local", "topic_json", ".*456.*"]);
    assert_eq!(run.lines().len(), 1, "{}", run.stdout);
    let m: Value = serde_json::from_str(run.lines()[0]).unwrap();
    assert_eq!(m["key"], "456");
    assert_eq!(m["offset"], 1);
    assert_eq!(m["value"], json!({"bla": 456}));
    assert_eq!(run.stderr.trim_end(), "1 of 3 message(s) matched");
    let none = env.ok(&["grep", "local:local", "topic_json", "^nomatch$"]);
    assert_eq!(none.stdout, "");
    assert_eq!(none.stderr.trim_end(), "0 of 3 message(s) matched");
    env.run(&["grep", "local:local", "topic_json", "(unclosed"])
        .error(2, &["(unclosed"]);
}

#[test]
fn filter_with_jq() {
    let env = tour_env();
    let out = env.cat(&["local:local", "topic_json"]);
    let run = env.ok(&["filter", "local:local", "topic_json", ".value.bla > 400"]);
    let kept = run.json_lines();
    assert_eq!(kept, out[1..].to_vec());
}

#[test]
fn ls_variants() {
    let env = tour_env();
    env.ok(&["touch", "local:local", "other", "-p", "2"]);
    assert_eq!(
        env.ok(&["ls", "local:local"]).lines(),
        ["other", "topic_json"]
    );
    assert_eq!(
        env.ok(&["ls", "local:local", "--json"]).json(),
        json!(["other", "topic_json"])
    );
    assert_eq!(
        env.ok(&["ls", "local:local", "topic_*", "--json"]).json(),
        json!(["topic_json"])
    );
    assert_eq!(env.ok(&["ls", "local:backup", "--json"]).json(), json!([]));
    let long = env.ok(&["ls", "-l", "local:local"]);
    let lines = long.lines();
    assert_eq!(lines.len(), 3, "{}", long.stdout);
    assert_eq!(lines[0], "topic\tpartitions\tmessages\tbytes");
    assert_eq!(lines[1], "other\t2\t0\t0");
    let cols: Vec<&str> = lines[2].split('\t').collect();
    assert_eq!(cols[..3], ["topic_json", "1", "3"]);
    let bytes: u64 = cols[3].parse().expect("a byte count");
    assert!(bytes > 0);
    // `l` and `ll` are the long listing too.
    assert_eq!(env.ok(&["l", "local:local"]).stdout, long.stdout);
    assert_eq!(env.ok(&["ll", "local:local"]).stdout, long.stdout);
    let json = env.ok(&["ls", "-l", "local:local", "--json"]).json();
    assert_eq!(json["topic_json"]["partitions"], 1);
    assert_eq!(json["topic_json"]["messages"], 3);
    assert_eq!(json["topic_json"]["size"], bytes);
    assert_eq!(json["topic_json"]["watermarks"]["0"]["low"], 0);
    assert_eq!(json["topic_json"]["watermarks"]["0"]["high"], 3);
    assert_eq!(json["other"]["messages"], 0);
}

#[test]
fn wc_counts() {
    let env = tour_env();
    // Per message: key "123" is 1 word and 3 bytes, value `{"bla": 123}`
    // 2 words and 12 bytes.
    assert_eq!(
        env.ok(&["wc", "local:local", "topic_json", "--json"])
            .json(),
        json!({"messages": 3, "words": 9, "bytes": 45})
    );
    assert_eq!(
        env.ok(&["wc", "local:local", "topic_json"]).stdout,
        "3 9 45 topic_json\n"
    );
    assert_eq!(
        env.ok(&["wc", "local:local", "topic_json", "-n", "1", "--json"])
            .json(),
        json!({"messages": 1, "words": 3, "bytes": 15})
    );
}

#[test]
fn diff_exit_codes() {
    let env = tour_env();
    let run = env.ok(&["cp", "local:local", "topic_json", "local:backup", "same"]);
    assert_eq!(run.stderr.trim_end(), "3 message(s) read, 3 written");
    let same = env
        .run(&["diff", "local:local", "topic_json", "local:backup", "same"])
        .code(0);
    assert_eq!(same.stdout, "");
    env.ok(&[
        "cp",
        "local:local",
        "topic_json",
        "local:backup",
        "mapped",
        "--map",
        ".value.bla += 42",
    ]);
    let differ = env
        .run(&[
            "diff",
            "local:local",
            "topic_json",
            "local:backup",
            "mapped",
        ])
        .code(1);
    let lines = differ.lines();
    assert_eq!(lines.len(), 6, "{}", differ.stdout);
    for (i, pair) in lines.chunks(2).enumerate() {
        let left: Value =
            serde_json::from_str(pair[0].strip_prefix("< ").expect("< line")).unwrap();
        let right: Value =
            serde_json::from_str(pair[1].strip_prefix("> ").expect("> line")).unwrap();
        assert_eq!(left["topic"], "topic_json");
        assert_eq!(right["topic"], "mapped");
        assert_eq!(left["offset"], i as i64);
        assert_eq!(right["offset"], i as i64);
        let bla = left["value"]["bla"].as_i64().unwrap();
        assert_eq!(right["value"]["bla"].as_i64().unwrap(), bla + 42);
    }
    // A shorter topic differs too.
    env.ok(&["delete-records", "local:backup", "same", "--offsets", "0=1"]);
    let shorter = env
        .run(&["diff", "local:local", "topic_json", "local:backup", "same"])
        .code(1);
    assert!(shorter.lines().iter().any(|l| l.starts_with("< ")));
}

#[test]
fn tail_and_head() {
    let env = tour_env();
    let tail = env
        .ok(&["tail", "local:local", "topic_json", "-n", "2"])
        .json_lines();
    assert_eq!(field(&tail, "key"), [&json!("456"), &json!("789")]);
    assert_eq!(field(&tail, "offset"), [&json!(1), &json!(2)]);
    assert_eq!(
        field(&tail, "value"),
        [&json!({"bla": 456}), &json!({"bla": 789})]
    );
    let all = env.cat(&["local:local", "topic_json"]);
    assert_eq!(tail, all[1..].to_vec());
    let tail_all = env.ok(&["tail", "local:local", "topic_json"]).json_lines();
    assert_eq!(tail_all, all);
    let head = env
        .ok(&["head", "local:local", "topic_json", "-n", "1"])
        .json_lines();
    assert_eq!(head, all[..1].to_vec());
    let head_default = env.ok(&["head", "local:local", "topic_json"]).json_lines();
    assert_eq!(head_default, all);
}

#[test]
fn exists_rm_and_partitions() {
    let env = tour_env();
    let yes = env.run(&["exists", "local:local", "topic_json"]).code(0);
    assert_eq!((yes.stdout.as_str(), yes.stderr.as_str()), ("", ""));
    let no = env.run(&["exists", "local:local", "missing"]).code(1);
    assert_eq!((no.stdout.as_str(), no.stderr.as_str()), ("", ""));

    assert_eq!(
        env.ok(&["partitions", "local:local", "topic_json"]).stdout,
        "1\n"
    );
    assert_eq!(
        env.ok(&[
            "partitions",
            "local:local",
            "topic_json",
            "--set",
            "3",
            "--json"
        ])
        .json(),
        json!({"topic_json": 3})
    );
    assert_eq!(
        env.ok(&["watermarks", "local:local", "topic_json", "--json"])
            .json(),
        json!({"topic_json": {"0": [0, 3], "1": [0, 0], "2": [0, 0]}})
    );
    // Partitions cannot shrink.
    env.run(&["partitions", "local:local", "topic_json", "--set", "2"])
        .error(2, &["partition"]);

    env.ok(&["touch", "local:local", "tmp_a"]);
    env.ok(&["touch", "local:local", "tmp_b"]);
    env.ok(&["rm", "local:local", "tmp_*"]);
    assert_eq!(
        env.ok(&["ls", "local:local", "--json"]).json(),
        json!(["topic_json"])
    );
    env.ok(&["rm", "local:local", "topic_json"]);
    env.run(&["exists", "local:local", "topic_json"]).code(1);
    assert_eq!(env.ok(&["ls", "local:local", "--json"]).json(), json!([]));
    // Only the metadata (ending in the deletion's tombstone) remains.
    let left: Vec<_> = std::fs::read_dir(env.path("data/topics/topic_json"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["meta"]);
    env.run(&["rm", "local:local", "topic_json"])
        .error(3, &["\"topic_json\"", "does not exist"]);
    env.run(&["rm", "local:local", "zz*"]).error(2, &["zz*"]);
    env.run(&["delete-groups", "local:local", "nog"])
        .error(3, &["nog"]);
}

#[test]
fn watermarks_config_and_delete_records() {
    let env = tour_env();
    assert_eq!(
        env.ok(&["watermarks", "local:local", "topic_json", "--json"])
            .json(),
        json!({"topic_json": {"0": [0, 3]}})
    );
    assert_eq!(
        env.ok(&["watermarks", "local:local", "topic_json"]).lines(),
        ["partition\tlow\thigh", "0\t0\t3"]
    );
    assert_eq!(
        env.ok(&[
            "config",
            "local:local",
            "topic_json",
            "--set",
            "retention.ms=1000",
            "--json"
        ])
        .json(),
        json!({"topic_json": {"retention.ms": "1000"}})
    );
    assert_eq!(
        env.ok(&["config", "local:local", "topic_json"]).lines(),
        ["retention.ms=1000"]
    );
    env.run(&["config", "local:local", "topic_json", "--set", "novalue"])
        .error(2, &["novalue"]);

    assert_eq!(
        env.ok(&[
            "delete-records",
            "local:local",
            "topic_json",
            "--offsets",
            "0=1",
            "--json"
        ])
        .json(),
        json!({"topic_json": {"0": 1}})
    );
    assert_eq!(
        env.ok(&["watermarks", "local:local", "topic_json", "--json"])
            .json(),
        json!({"topic_json": {"0": [1, 3]}})
    );
    let rest = env.cat(&["local:local", "topic_json"]);
    assert_eq!(field(&rest, "offset"), [&json!(1), &json!(2)]);
    assert_eq!(
        env.ok(&["wc", "local:local", "topic_json", "--json"])
            .json()["messages"],
        2
    );
    // -1 deletes everything.
    env.ok(&[
        "delete-records",
        "local:local",
        "topic_json",
        "--offsets",
        "0=-1",
    ]);
    assert_eq!(
        env.ok(&["watermarks", "local:local", "topic_json", "--json"])
            .json(),
        json!({"topic_json": {"0": [3, 3]}})
    );
    assert_eq!(env.cat(&["local:local", "topic_json"]).len(), 0);
}

#[test]
fn offsets_for_times() {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "t"]);
    for (ts, v) in [("1000", "1"), ("2000", "2"), ("3000", "3")] {
        env.ok(&["produce", "local:local", "t", "--timestamp", ts, v]);
    }
    assert_eq!(
        env.ok(&[
            "offsets-for-times",
            "local:local",
            "t",
            "--times",
            "0=1500",
            "--json"
        ])
        .json(),
        json!({"t": {"0": 1}})
    );
    assert_eq!(
        env.ok(&[
            "offsets-for-times",
            "local:local",
            "t",
            "--times",
            "0=9000",
            "--json"
        ])
        .json(),
        json!({"t": {"0": -1}})
    );
    assert_eq!(
        env.ok(&[
            "offsets-for-times",
            "local:local",
            "t",
            "--times",
            "0=9000",
            "--replace-not-found",
            "--json"
        ])
        .json(),
        json!({"t": {"0": 3}})
    );
}

#[test]
fn consumer_groups() {
    let env = tour_env();
    assert_eq!(
        env.ok(&["groups", "local:local", "--json"]).json(),
        json!([])
    );
    let read = env.cat(&["local:local", "topic_json", "--group", "g1"]);
    assert_eq!(read.len(), 3);
    assert_eq!(
        env.ok(&["groups", "local:local", "--json"]).json(),
        json!(["g1"])
    );
    assert_eq!(env.ok(&["groups", "local:local"]).stdout, "g1\n");
    assert_eq!(
        env.ok(&["group-offsets", "local:local", "--json"]).json(),
        json!({"g1": {"topic_json": {"0": 3}}})
    );
    assert_eq!(
        env.ok(&["group-offsets", "local:local", "g1"]).stdout,
        "g1\ttopic_json\t0\t3\n"
    );
    assert_eq!(
        env.ok(&["lags", "local:local", "g1", "--json"]).json(),
        json!({"g1": {"topic_json": {"0": 0}}})
    );
    // The group continues where it stopped.
    assert_eq!(
        env.cat(&["local:local", "topic_json", "--group", "g1"])
            .len(),
        0
    );
    env.ok(&["produce", "local:local", "topic_json", r#"{"bla": 1}"#]);
    assert_eq!(
        env.ok(&["lags", "local:local", "g1", "--json"]).json(),
        json!({"g1": {"topic_json": {"0": 1}}})
    );
    let next = env.cat(&["local:local", "topic_json", "--group", "g1"]);
    assert_eq!(field(&next, "offset"), [&json!(3)]);

    env.ok(&[
        "set-group-offsets",
        "local:local",
        "g1",
        "topic_json",
        "--offsets",
        "0=1",
    ]);
    assert_eq!(
        env.ok(&["group-offsets", "local:local", "g1", "--json"])
            .json(),
        json!({"g1": {"topic_json": {"0": 1}}})
    );
    env.ok(&["cp-group-offsets", "local:local", "g1", "local:local", "g2"]);
    assert_eq!(
        env.ok(&["groups", "local:local", "--json"]).json(),
        json!(["g1", "g2"])
    );
    assert_eq!(
        env.ok(&["group-offsets", "local:local", "g2", "--json"])
            .json(),
        json!({"g2": {"topic_json": {"0": 1}}})
    );

    assert_eq!(
        env.ok(&["delete-groups", "local:local", "g1"]).stdout,
        "g1\n"
    );
    assert_eq!(
        env.ok(&["groups", "local:local", "--json"]).json(),
        json!(["g2"])
    );
    env.run(&["lags", "local:local", "g1"]).error(3, &["g1"]);
}

#[test]
fn compact_keeps_the_last_message_per_key() {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "c"]);
    env.ok_stdin(
        &[
            "produce",
            "local:local",
            "c",
            "--key-separator",
            ":",
            "--type",
            "str",
        ],
        "k1:a\nk2:b\nk1:c\n",
    );
    let printed = env
        .ok(&["compact", "local:local", "c", "--type", "str"])
        .json_lines();
    assert_eq!(field(&printed, "key"), [&json!("k2"), &json!("k1")]);
    assert_eq!(field(&printed, "value"), [&json!("b"), &json!("c")]);
    assert_eq!(field(&printed, "offset"), [&json!(1), &json!(2)]);
    let run = env.ok(&[
        "compact",
        "local:local",
        "c",
        "local:backup",
        "c2",
        "--type",
        "str",
    ]);
    assert_eq!(run.stderr.trim_end(), "2 message(s) kept");
    let written = env.cat(&["local:backup", "c2", "--type", "str"]);
    assert_eq!(field(&written, "key"), [&json!("k2"), &json!("k1")]);
    assert_eq!(field(&written, "value"), [&json!("b"), &json!("c")]);
    // The source is untouched.
    assert_eq!(env.cat(&["local:local", "c", "--type", "str"]).len(), 3);
    env.run(&["compact", "local:local", "c", "local:backup"])
        .error(2, &["TARGET_TOPIC"]);
}

#[test]
fn recreate_keeps_partitions_and_config() {
    let env = TestEnv::new();
    env.ok(&[
        "touch",
        "local:local",
        "r",
        "-p",
        "2",
        "-c",
        "retention.ms=5000",
    ]);
    env.ok(&["produce", "local:local", "r", "1", "2", "3"]);
    env.ok(&["recreate", "local:local", "r"]);
    assert_eq!(
        env.ok(&["watermarks", "local:local", "r", "--json"]).json(),
        json!({"r": {"0": [0, 0], "1": [0, 0]}})
    );
    assert_eq!(
        env.ok(&["config", "local:local", "r", "--json"]).json(),
        json!({"r": {"retention.ms": "5000"}})
    );
    assert_eq!(env.cat(&["local:local", "r"]).len(), 0);
}

#[test]
fn quickstart_in_an_empty_directory() {
    let env = TestEnv::bare();
    let run = env.ok(&["quickstart"]);
    assert!(
        env.path("kafi-data").is_dir(),
        "quickstart did not use ./kafi-data"
    );
    let lines = run.lines();
    for step in [
        "$ kafi touch local:local topic_json",
        "$ kafi cat local:local topic_json",
        "$ kafi grep local:local topic_json '.*456.*'",
        "$ kafi cp local:local topic_json local:local topic_json_mapped --map '.value.bla += 42'",
        "$ kafi cp local:local topic_json local:local topic_json_flatmapped --flatmap 'select(.value.bla == 456)'",
        "(3, 3)",
        "(3, 1)",
        "1 of 3 message(s) matched",
    ] {
        assert!(lines.contains(&step), "quickstart output lacks {step:?}:\n{}", run.stdout);
    }
    let mapped: Vec<i64> = lines
        .iter()
        .filter(|l| l.contains("\"topic_json_mapped\""))
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["value"]["bla"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(mapped, [165, 498, 831]);
    // It can run twice.
    env.ok(&["quickstart"]);
}

// ------------------------------------------------- lossless envelope copy

#[test]
fn envelope_copy_is_lossless() {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "t", "--partitions", "3"]);
    env.ok(&["touch", "local:backup", "t2", "--partitions", "3"]);
    let input = [
        r#"{"headers":[["h","1"],["h","2"],["bin",{"base64":"/w=="}],["nullh",null]],"partition":2,"timestamp":[1,1700000000000],"key":"k1","value":{"base64":"/w=="}}"#,
        r#"{"headers":null,"partition":0,"timestamp":[1,1700000000001],"key":null,"value":"plain text"}"#,
        r#"{"headers":null,"partition":1,"timestamp":[1,1700000000002],"key":{"base64":"AAEC"},"value":null}"#,
        r#"{"headers":[["only",null]],"partition":2,"timestamp":[1,1700000000003],"key":"k3","value":"{\"bla\": 1}"}"#,
        r#"{"headers":null,"partition":0,"timestamp":[1,1700000000004],"key":{"base64":"gICA"},"value":{"base64":"AP8A/w=="}}"#,
    ]
    .join("\n")
        + "\n";
    env.ok_stdin(
        &[
            "produce",
            "local:local",
            "t",
            "--envelope",
            "--type",
            "bytes",
        ],
        &input,
    );
    let original = env.cat(&["local:local", "t", "--type", "bytes"]);
    assert_eq!(original.len(), 5);
    let first = original
        .iter()
        .find(|m| m["key"] == "k1")
        .expect("the k1 message");
    assert_eq!(
        first["headers"],
        json!([["h", "1"], ["h", "2"], ["bin", {"base64": "/w=="}], ["nullh", null]])
    );
    assert_eq!(first["value"], json!({"base64": "/w=="}));
    assert_eq!(first["partition"], 2);
    assert_eq!(first["timestamp"], json!([1, 1_700_000_000_000i64]));
    let null_key = original
        .iter()
        .find(|m| m["value"] == "plain text")
        .unwrap();
    assert_eq!(null_key["key"], Value::Null);
    assert_eq!(null_key["partition"], 0);
    let null_value = original.iter().find(|m| m["partition"] == 1).unwrap();
    assert_eq!(null_value["value"], Value::Null);
    assert_eq!(null_value["key"], "\u{0}\u{1}\u{2}");

    // cat | produce --envelope, through a real pipe between two processes.
    let mut cat = env
        .command(&["cat", "local:local", "t", "--type", "bytes"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cat");
    let pipe = cat.stdout.take().expect("cat stdout");
    let produce = env
        .command(&[
            "produce",
            "local:backup",
            "t2",
            "--envelope",
            "--type",
            "bytes",
        ])
        .stdin(Stdio::from(pipe))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run produce");
    let cat = cat.wait_with_output().expect("wait for cat");
    assert!(
        cat.status.success(),
        "cat failed: {}",
        String::from_utf8_lossy(&cat.stderr)
    );
    assert!(
        produce.status.success(),
        "produce failed: {}",
        String::from_utf8_lossy(&produce.stderr)
    );

    env.run(&[
        "diff",
        "local:local",
        "t",
        "local:backup",
        "t2",
        "--type",
        "bytes",
    ])
    .code(0);
    let copy = env.cat(&["local:backup", "t2", "--type", "bytes"]);
    assert_eq!(field(&copy, "topic"), [&json!("t2"); 5]);
    assert_eq!(without_topic(&copy), without_topic(&original));
    // Byte-for-byte the same lines apart from the topic.
    let a = env
        .ok(&["cat", "local:local", "t", "--type", "bytes"])
        .stdout;
    let b = env
        .ok(&["cat", "local:backup", "t2", "--type", "bytes"])
        .stdout;
    assert_eq!(
        a.replace(r#"{"topic":"t","#, "{"),
        b.replace(r#"{"topic":"t2","#, "{")
    );
    // A changed message is found by diff.
    env.ok(&[
        "produce",
        "local:backup",
        "t2",
        "--partition",
        "0",
        "--type",
        "str",
        "x",
    ]);
    env.run(&[
        "diff",
        "local:local",
        "t",
        "local:backup",
        "t2",
        "--type",
        "bytes",
    ])
    .code(1);
}

#[test]
fn envelope_rejects_bad_lines_and_key_options() {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "t"]);
    env.run_stdin(&["produce", "local:local", "t", "--envelope"], "[1,2]\n")
        .error(3, &["line 1"]);
    env.run_stdin(
        &["produce", "local:local", "t", "--envelope", "--key", "k"],
        "{}\n",
    )
    .error(2, &["--envelope"]);
    assert_eq!(env.cat(&["local:local", "t"]).len(), 0);
}

// --------------------------------------------------------------- bad input

#[test]
fn missing_config_lists_searched_paths() {
    let env = TestEnv::new();
    let run = env.run(&["ls", "local:nosuch"]).error(2, &["nosuch"]);
    let root = env.root().display().to_string();
    for path in ["nosuch.yaml", "nosuch.yml", "configs/locals/nosuch.yaml"] {
        assert!(
            run.stderr.contains(&format!("{root}/{path}")),
            "searched paths should include {path}: {}",
            run.stderr
        );
    }
}

#[test]
fn config_in_kafi_home_configs_locals_is_found() {
    let env = TestEnv::new();
    env.write("configs/locals/deep.yaml", "local:\n  root.dir: deepdata\n");
    env.ok(&["touch", "local:deep", "t"]);
    assert!(env.root().join("deepdata/topics/t").is_dir());
    let configs = env.ok(&["configs", "local"]);
    assert!(
        configs.lines().contains(&"local:deep"),
        "{}",
        configs.stdout
    );
}

#[test]
fn config_without_local_section() {
    let env = TestEnv::new();
    env.write("nolocal.yaml", "kafi:\n  progress.num.messages: 10\n");
    env.run(&["ls", "local:nolocal"])
        .error(2, &["local", "nolocal.yaml"]);
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let env = TestEnv::new();
    env.write("bad.yaml", "local:\n  root.dir: [data\n  x: :\n");
    env.run(&["ls", "local:bad"])
        .error(2, &["bad.yaml", "line"]);
}

#[test]
fn unset_variable_in_config_is_named() {
    let env = TestEnv::new();
    env.write(
        "var.yaml",
        "local:\n  root.dir: ${KAFI_CLI_TEST_SURELY_UNSET_VAR}\n",
    );
    let run = env
        .command(&["ls", "local:var"])
        .env_remove("KAFI_CLI_TEST_SURELY_UNSET_VAR")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("kafi: error: "), "{stderr}");
    assert!(
        stderr.contains("KAFI_CLI_TEST_SURELY_UNSET_VAR"),
        "{stderr}"
    );
    // With the variable set, the config works.
    let run = env
        .command(&["touch", "local:var", "t"])
        .env("KAFI_CLI_TEST_SURELY_UNSET_VAR", "vardata")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(env.path("vardata/topics/t").is_dir());
}

#[test]
fn bad_storage_specs() {
    let env = TestEnv::new();
    env.run(&["ls", "local"]).error(2, &["KIND:CONFIG"]);
    env.run(&["ls", "nosuchkind:local"])
        .error(2, &["nosuchkind"]);
    env.run(&["ls", "local:"]).error(2, &["local:"]);
}

#[test]
fn unknown_type_name_is_a_clap_usage_error() {
    let env = tour_env();
    let run = env
        .run(&["cat", "local:local", "topic_json", "--type", "foo"])
        .code(2);
    for needle in [
        "invalid value 'foo' for '--type <TYPE>'",
        "bytes",
        "str",
        "json",
    ] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
    assert_eq!(run.stdout, "");
    let run = env
        .run(&[
            "produce",
            "local:local",
            "topic_json",
            "--value-type",
            "foo",
            "1",
        ])
        .code(2);
    assert!(
        run.stderr.contains("'--value-type <TYPE>'"),
        "{}",
        run.stderr
    );
    let run = env
        .run(&[
            "cp",
            "local:local",
            "topic_json",
            "local:local",
            "copy",
            "--target-value-type",
            "foo",
        ])
        .code(2);
    assert!(
        run.stderr.contains("'--target-value-type <TYPE>'"),
        "{}",
        run.stderr
    );
    assert_eq!(env.run(&["exists", "local:local", "copy"]).code, 1);
    assert_eq!(env.cat(&["local:local", "topic_json"]).len(), 3);
}

#[test]
fn invalid_topic_names() {
    let env = TestEnv::new();
    for name in ["../x", "a/b"] {
        env.run(&["touch", "local:local", name])
            .error(2, &["invalid topic name", name]);
        env.run(&["cat", "local:local", name])
            .error(2, &["invalid topic name"]);
    }
    assert!(!env.path("x").exists());
    assert!(!env.path("data/topics/a").exists());
}

#[test]
fn topic_not_found() {
    let env = TestEnv::new();
    env.run(&["cat", "local:local", "nope"])
        .error(3, &["\"nope\""]);
    env.run(&["watermarks", "local:local", "nope"])
        .error(3, &["nope"]);
    env.run(&["tail", "local:local", "nope"])
        .error(3, &["nope"]);
    env.run(&["touch", "local:local", "t"]);
    env.run(&["touch", "local:local", "t"])
        .error(3, &["\"t\"", "exists"]);
}

#[test]
fn producing_invalid_json_writes_nothing() {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "t"]);
    let run = env.run(&["produce", "local:local", "t", "{bla"]);
    assert_ne!(run.code, 0);
    run.error(3, &["json"]);
    env.run_stdin(&["produce", "local:local", "t"], "{\"ok\": 1}\n{bla\n")
        .error(3, &["json", "line 2"]);
    assert_eq!(env.cat(&["local:local", "t"]).len(), 0);
    assert_eq!(
        env.ok(&["wc", "local:local", "t", "--json"]).json()["messages"],
        0
    );
}

#[test]
fn bad_numbers_are_clap_usage_errors() {
    let env = tour_env();
    for n in ["-1", "abc"] {
        let run = env
            .run(&["cat", "local:local", "topic_json", "-n", n])
            .code(2);
        assert!(run.stderr.contains(n), "{}", run.stderr);
        assert_eq!(run.stdout, "");
    }
}

fn segment(env: &TestEnv, topic: &str) -> std::path::PathBuf {
    // Segments live in the topic's incarnation directory, beside `meta/`.
    let topic_dir = env.path(&format!("data/topics/{topic}"));
    let incarnation = std::fs::read_dir(&topic_dir)
        .expect("the topic directory")
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().is_some_and(|n| n != "meta"))
        .expect("an incarnation directory");
    incarnation.join("0/00000000000000000000.seg")
}

#[test]
fn corrupt_segment_is_reported_with_its_path() {
    let env = tour_env();
    let seg = segment(&env, "topic_json");
    let mut bytes = std::fs::read(&seg).expect("the segment file");
    let last = bytes.len() - 2;
    bytes[last] ^= 0xff;
    std::fs::write(&seg, bytes).unwrap();
    env.run(&["cat", "local:local", "topic_json"])
        .error(3, &["corrupt", "00000000000000000000.seg", "topic_json"]);
}

#[test]
fn truncated_segment_is_reported_with_its_path() {
    let env = tour_env();
    let seg = segment(&env, "topic_json");
    let bytes = std::fs::read(&seg).expect("the segment file");
    std::fs::write(&seg, &bytes[..bytes.len() - 5]).unwrap();
    env.run(&["cat", "local:local", "topic_json"])
        .error(3, &["00000000000000000000.seg", "truncated"]);
}

#[test]
fn root_dir_that_cannot_be_written() {
    let env = TestEnv::new();
    env.write("afile", "not a directory\n");
    env.write("fileroot.yaml", "local:\n  root.dir: ./afile/sub\n");
    for args in [
        &["ls", "local:fileroot"][..],
        &["touch", "local:fileroot", "t"][..],
        &["produce", "local:fileroot", "t", "1"][..],
    ] {
        env.run(args).error(3, &["afile/sub"]);
    }

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir(env.path("ro")).unwrap();
        std::fs::set_permissions(env.path("ro"), std::fs::Permissions::from_mode(0o500)).unwrap();
        env.write("ro.yaml", "local:\n  root.dir: ./ro/data\n");
        let probe = env.path("ro/probe");
        if std::fs::write(&probe, "x").is_ok() {
            // Running as root: permissions do not apply.
            let _ = std::fs::remove_file(&probe);
            eprintln!("skipped the chmod 0o500 part: permissions are not enforced (root)");
        } else {
            env.run(&["touch", "local:ro", "t"]).error(3, &["ro/data"]);
        }
        std::fs::set_permissions(env.path("ro"), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}

#[test]
fn disk_full() {
    let env = TestEnv::new();
    let mount_point = env.path("small");
    std::fs::create_dir(&mount_point).unwrap();
    let mount = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&mount_point)
        .output();
    match mount {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            println!(
                "skipped: cannot mount tmpfs ({})",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return;
        }
        Err(e) => {
            println!("skipped: cannot mount tmpfs ({e})");
            return;
        }
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mount_point.clone());

    env.write("full.yaml", "local:\n  root.dir: ./small/data\n");
    env.ok(&["touch", "local:full", "t"]);
    let value = format!("\"{}\"\n", "x".repeat(1022));
    let input = value.repeat(1000);
    let run = env.run_stdin(&["produce", "local:full", "t"], input);
    assert_ne!(run.code, 0, "producing 1 MB into 64 KB succeeded");
    run.error(3, &["No space left on device"]);
}

// -------------------------------------------------------------- exit codes

#[test]
fn exit_codes() {
    let env = tour_env();
    env.run(&["exists", "local:local", "missing"]).code(1);
    // Usage errors: clap's and kafi's own.
    env.run(&["nosuchcommand"]).code(2);
    env.run(&["cat", "local:local"]).code(2);
    env.run(&["cat", "local:local", "topic_json", "--offsets", "0"])
        .error(2, &["PARTITION=OFFSET"]);
    env.run(&["touch", "local:local", "x", "--config", "noequals"])
        .error(2, &["noequals"]);
    // Failed operations.
    env.run(&["cat", "local:local", "missing"]).code(3);
    env.run(&["cat", "local:local", "topic_json", "--offsets", "7=0"])
        .error(3, &["partition 7"]);
    // Help and version succeed.
    let help = env.ok(&["--help"]);
    assert!(help.stdout.contains("Exit codes"));
    let version = env.ok(&["--version"]);
    assert!(version.stdout.starts_with("kafi "), "{}", version.stdout);
}

#[test]
fn broken_pipe_exits_quietly() {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "big"]);
    let input: String = (0..20_000).map(|i| format!("{{\"n\": {i}}}\n")).collect();
    env.ok_stdin(&["produce", "local:local", "big"], input);
    assert_eq!(
        env.ok(&["watermarks", "local:local", "big", "--json"])
            .json(),
        json!({"big": {"0": [0, 20000]}})
    );
    for cmd in ["cat", "grep"] {
        let mut args = vec![cmd, "local:local", "big"];
        if cmd == "grep" {
            args.push("n");
        }
        let mut child = env
            .command(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kafi");
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        let m: Value = serde_json::from_str(&first).unwrap();
        assert_eq!(m["value"], json!({"n": 0}));
        drop(reader);
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        if cmd == "cat" {
            assert_eq!(stderr, "", "kafi {cmd}: stderr after a closed pipe");
        } else {
            assert!(!stderr.contains("error"), "kafi {cmd}: {stderr}");
        }
        assert_eq!(status.code(), Some(0), "kafi {cmd}: {stderr}");
    }
}
