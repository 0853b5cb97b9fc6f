//! Bad input with schemas (issue 4, section 5), through the `kafi` command:
//! each case is one `kafi: error:` line, a non-zero exit, and nothing lost
//! or half-written.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use serde_json::json;
use support::TestEnv;

const SNACK: &str = r#"{"type":"record","name":"Snack","fields":[{"name":"name","type":"string"},{"name":"calories","type":"float"},{"name":"colour","type":"string"}]}"#;

/// The storage's watermarks of partition 0 of `topic`.
fn watermarks(env: &TestEnv, topic: &str) -> serde_json::Value {
    env.ok(&["watermarks", "local:local", topic, "--json"])
        .json()[topic]["0"]
        .clone()
}

/// `topic` does not exist or holds no messages.
fn assert_no_messages(env: &TestEnv, topic: &str) {
    if env.run(&["exists", "local:local", topic]).code == 0 {
        assert!(env
            .cat(&["local:local", topic, "--type", "bytes"])
            .is_empty());
    }
}

#[test]
fn schema_that_does_not_parse() {
    let env = TestEnv::new();
    for (t, schema, needle) in [
        ("avro", r#"{"type":"record","name":"X","fields":"#, "avro"),
        ("protobuf", "message X { strin name = 1 ", "protobuf"),
        ("jsonschema", r#"{"type": 12}"#, "schema"),
    ] {
        let topic = format!("bad_{t}");
        env.run(&[
            "produce",
            "local:local",
            &topic,
            "--value-type",
            t,
            "--value-schema",
            schema,
            "{}",
        ])
        .error(3, &["invalid", needle]);
        // Nothing registered.
        assert_eq!(env.ok(&["subjects", "local:local"]).json(), json!([]));
    }
    // The admin command: 42201 from the registry.
    env.run(&["register", "local:local", "s-value", r#"{"type":"recor"#])
        .error(3, &["42201"]);
}

#[test]
fn value_not_matching_its_schema_writes_nothing() {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "snacks"]);
    let input = concat!(
        r#"{"name":"cookie","calories":500.0,"colour":"brown"}"#,
        "\n",
        r#"{"name":"cake","calories":260.0,"colour":"white"}"#,
        "\n",
        r#"{"name":"timtam","calories":"many","colour":"brown"}"#,
        "\n",
    );
    env.run_stdin(
        &[
            "produce",
            "local:local",
            "snacks",
            "--value-type",
            "avro",
            "--value-schema",
            SNACK,
        ],
        input,
    )
    .error(3, &["line 3", "calories", "float"]);
    assert_eq!(watermarks(&env, "snacks"), json!([0, 0]));

    // A missing field, and jsonschema's validation.
    env.run(&[
        "produce",
        "local:local",
        "snacks",
        "--value-type",
        "avro",
        "--value-schema",
        SNACK,
        r#"{"name":"cookie","calories":1.0}"#,
    ])
    .error(3, &["colour"]);
    assert_eq!(watermarks(&env, "snacks"), json!([0, 0]));
    let schema =
        r#"{"type":"object","properties":{"calories":{"type":"number"}},"required":["calories"]}"#;
    env.run(&[
        "produce",
        "local:local",
        "snacks_js",
        "--value-type",
        "jsonschema",
        "--value-schema",
        schema,
        r#"{"calories":1}"#,
        r#"{"calories":"lots"}"#,
    ])
    .error(3, &["calories", "number"]);
    assert_no_messages(&env, "snacks_js");
}

/// Writes raw value bytes as messages (kafi's envelope form, `--type bytes`).
fn write_bytes(env: &TestEnv, topic: &str, values: &[&[u8]]) {
    use base64::Engine as _;
    let lines: String = values
        .iter()
        .map(|v| {
            let b64 = base64::engine::general_purpose::STANDARD.encode(v);
            format!("{}\n", json!({"key": null, "value": {"base64": b64}}))
        })
        .collect();
    env.ok_stdin(
        &[
            "produce",
            "local:local",
            topic,
            "--type",
            "bytes",
            "--envelope",
        ],
        lines,
    );
}

#[test]
fn unknown_schema_id_in_a_message() {
    let env = TestEnv::new();
    write_bytes(&env, "unk", &[&[0, 0, 0, 3, 0xe7, 2, b'x']]);
    env.run(&["cat", "local:local", "unk", "--value-type", "avro"])
        .error(3, &["999", "unk", "partition 0", "offset 0"]);
}

#[test]
fn message_without_the_magic_byte_read_as_avro() {
    let env = TestEnv::new();
    env.ok(&[
        "produce",
        "local:local",
        "mixed",
        "--value-type",
        "avro",
        "--value-schema",
        SNACK,
        r#"{"name":"cookie","calories":500.0,"colour":"brown"}"#,
    ]);
    // A producer that forgot its serializer.
    env.ok(&["produce", "local:local", "mixed", r#"{"name": "plain"}"#]);
    env.ok(&[
        "produce",
        "local:local",
        "mixed",
        "--value-type",
        "avro",
        "--value-schema",
        SNACK,
        r#"{"name":"cake","calories":260.0,"colour":"white"}"#,
    ]);

    let run = env
        .run(&["cat", "local:local", "mixed", "--value-type", "avro"])
        .error(3, &["mixed", "partition 0", "offset 1", "magic byte"]);
    // The message before the bad one is printed, not lost.
    let lines = run.json_lines();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert_eq!(lines[0]["value"]["name"], "cookie");

    // The seed's debug recipe: the messages whose first byte is not 0.
    let bad = env.cat_filter(&["mixed", "--type", "bytes", "(.value | tobytes)[0] != 0"]);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["offset"], 1);
    assert_eq!(bad[0]["value"], r#"{"name": "plain"}"#);
    let good = env.cat_filter(&["mixed", "--type", "bytes", "(.value | tobytes)[0] == 0"]);
    assert_eq!(good.len(), 2);
}

trait FilterExt {
    fn cat_filter(&self, args: &[&str]) -> Vec<serde_json::Value>;
}

impl FilterExt for TestEnv {
    fn cat_filter(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let mut full = vec!["filter", "local:local"];
        full.extend_from_slice(args);
        self.ok(&full).json_lines()
    }
}

/// A storage config `NAME.yaml` using the registry at `url`.
fn registry_config(env: &TestEnv, name: &str, url: &str) {
    env.write(
        &format!("{name}.yaml"),
        format!("local:\n  root.dir: data\nschema_registry:\n  schema.registry.url: {url}\n  timeout: 2\n"),
    );
}

#[test]
fn registry_unreachable() {
    let env = TestEnv::new();
    // A port nothing listens on.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    registry_config(&env, "down", &url);
    let started = Instant::now();
    env.run(&[
        "produce",
        "local:down",
        "t",
        "--value-type",
        "avro",
        "--value-schema",
        SNACK,
        r#"{"name":"cookie","calories":500.0,"colour":"brown"}"#,
    ])
    .error(3, &[&url, "unreachable"]);
    env.run(&["subjects", "local:down"])
        .error(3, &[&url, "unreachable"]);
    assert!(started.elapsed() < Duration::from_secs(10));
    // Nothing written (produce may have created the topic).
    assert_no_messages(&env, "t");

    // A registry that accepts connections and never answers: the timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
    registry_config(&env, "silent", &url);
    let started = Instant::now();
    env.run(&["subjects", "local:silent"])
        .error(3, &[&url, "unreachable"]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
}

/// A fake registry answering every request with `status` and `body`.
fn fake_registry(status: &'static str, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            answer(&mut stream, status, body);
        }
    });
    url
}

fn answer(stream: &mut TcpStream, status: &str, body: &str) {
    // Read the request head (and a small body); the answer does not depend on it.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(head_end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&request[..head_end]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if request.len() >= head_end + 4 + length {
                break;
            }
        }
    }
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

#[test]
fn registry_error_answers() {
    let env = TestEnv::new();
    let produce = |config: &str| {
        env.run(&[
            "produce",
            &format!("local:{config}"),
            "t",
            "--value-type",
            "avro",
            "--value-schema",
            SNACK,
            r#"{"name":"cookie","calories":500.0,"colour":"brown"}"#,
        ])
    };

    // 401 without a body, and with Confluent's body.
    registry_config(&env, "r401", &fake_registry("401 Unauthorized", ""));
    produce("r401").error(3, &["unauthorized", "401", "basic.auth.user.info"]);
    registry_config(
        &env,
        "r401b",
        &fake_registry(
            "401 Unauthorized",
            r#"{"error_code":40101,"message":"Unauthorized: bad credentials"}"#,
        ),
    );
    env.run(&["subjects", "local:r401b"])
        .error(3, &["bad credentials", "401"]);

    // 404 from something that is not a registry (a wrong URL path).
    registry_config(
        &env,
        "r404",
        &fake_registry("404 Not Found", "<html>no such page</html>"),
    );
    env.run(&["subjects", "local:r404"])
        .error(3, &["404", "no such page"]);
    // Confluent's 40401/40403.
    registry_config(
        &env,
        "r40403",
        &fake_registry(
            "404 Not Found",
            r#"{"error_code":40403,"message":"Schema 7 not found"}"#,
        ),
    );
    env.run(&["schema", "local:r40403", "7"])
        .error(3, &["Schema 7 not found", "40403"]);

    // 409 incompatible on register.
    registry_config(
        &env,
        "r409",
        &fake_registry(
            "409 Conflict",
            r#"{"error_code":409,"message":"Schema being registered is incompatible with an earlier schema"}"#,
        ),
    );
    produce("r409").error(3, &["incompatible", "409", "t-value"]);

    // 422 invalid schema.
    registry_config(
        &env,
        "r422",
        &fake_registry(
            "422 Unprocessable Entity",
            r#"{"error_code":42201,"message":"Invalid schema: the registry says no"}"#,
        ),
    );
    produce("r422").error(3, &["the registry says no", "42201"]);

    // Nothing was written by any of them.
    assert_no_messages(&env, "t");
}

#[test]
fn compatibility_violation_on_register() {
    let env = TestEnv::new();
    env.ok(&[
        "produce",
        "local:local",
        "snacks",
        "--value-type",
        "avro",
        "--value-schema",
        SNACK,
        r#"{"name":"cookie","calories":500.0,"colour":"brown"}"#,
    ]);
    let v2 = r#"{"type":"record","name":"Snack","fields":[{"name":"name","type":"string"},{"name":"calories","type":"float"},{"name":"colour","type":"string"},{"name":"weight","type":"int"}]}"#;
    env.run(&["register", "local:local", "snacks-value", v2])
        .error(3, &["incompatible", "409", "weight"]);
    // Producing with it fails the same way and writes nothing.
    env.run(&[
        "produce",
        "local:local",
        "snacks",
        "--value-type",
        "avro",
        "--value-schema",
        v2,
        r#"{"name":"cake","calories":1.0,"colour":"white","weight":3}"#,
    ])
    .error(3, &["incompatible", "409"]);
    assert_eq!(watermarks(&env, "snacks"), json!([0, 1]));
    assert_eq!(
        env.ok(&["versions", "local:local", "snacks-value"]).json(),
        json!([1])
    );
    // test-compatibility says so with exit 1 (not an error).
    let run = env
        .run(&["test-compatibility", "local:local", "snacks-value", v2])
        .code(1);
    assert_eq!(run.stdout.trim(), "false");
}
