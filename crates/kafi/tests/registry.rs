//! The REST client (`kafi_registry::RegistryClient`) against the real
//! `kafi registry serve local:local` process: every operation, and
//! Confluent's error codes as typed errors carrying the server's message;
//! and Confluent's Python client and serializers against it, on the local
//! storage and (when `cargo xtask test` started a broker) on the cluster.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use kafi::registry::{ClientConfig, Error, RegistryClient, SchemaRegistry};
use kafi::serde::{Compatibility, Schema, SchemaType, SubjectFilter, SubjectVersion};
use support::TestEnv;

/// A running `kafi registry serve`, killed (by its own handle) on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Server {
    /// Starts `kafi registry serve local:local` on a free loopback port
    /// (`--port 0`: the kernel picks it, the command prints it) and waits
    /// until it answers.
    pub fn start(env: &TestEnv) -> Self {
        Self::start_for(env, "local:local")
    }

    /// Starts `kafi registry serve STORAGE` like [`Server::start`].
    pub fn start_for(env: &TestEnv, storage: &str) -> Self {
        let mut child = env
            .command(&["registry", "serve", storage, "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn kafi registry serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the serve banner");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_owned();
        let server = Self { child, url };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let addr = self.url.trim_start_matches("http://").to_owned();
        let start = Instant::now();
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
                use std::io::{Read, Write};
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = s.write_all(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n");
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.") && answer.contains(" 200 ") {
                    return;
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "kafi registry serve did not answer on {}",
                self.url
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A REST client for this server.
    pub fn client(&self) -> RegistryClient {
        RegistryClient::new(&ClientConfig::new(self.url.clone())).expect("a client")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn avro_v1() -> Schema {
    Schema::new(
        SchemaType::Avro,
        r#"{"type":"record","name":"Snack","fields":[{"name":"name","type":"string"},{"name":"calories","type":"float"}]}"#,
    )
}

/// Adds a field with a default: backward compatible with v1.
fn avro_v2() -> Schema {
    Schema::new(
        SchemaType::Avro,
        r#"{"type":"record","name":"Snack","fields":[{"name":"name","type":"string"},{"name":"calories","type":"float"},{"name":"colour","type":"string","default":"brown"}]}"#,
    )
}

/// Adds a field without a default: not backward compatible with v1.
fn avro_incompatible() -> Schema {
    Schema::new(
        SchemaType::Avro,
        r#"{"type":"record","name":"Snack","fields":[{"name":"name","type":"string"},{"name":"calories","type":"float"},{"name":"weight","type":"int"}]}"#,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_client_against_kafi_registry_serve() {
    let env = TestEnv::new();
    let server = Server::start(&env);
    let c = server.client();

    // Nothing yet.
    assert_eq!(
        c.get_subjects(None, SubjectFilter::Live).await.unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        c.get_compatibility(None).await.unwrap(),
        Compatibility::Backward
    );

    // register (idempotent), a second version, other subjects and types.
    let id1 = c.register_schema("snacks-value", &avro_v1()).await.unwrap();
    assert_eq!(
        c.register_schema("snacks-value", &avro_v1()).await.unwrap(),
        id1
    );
    let id2 = c.register_schema("snacks-value", &avro_v2()).await.unwrap();
    assert_ne!(id1, id2);
    let proto = Schema::new(
        SchemaType::Protobuf,
        "syntax = \"proto3\";\nmessage Snack {\n  string name = 1;\n  float calories = 2;\n}\n",
    );
    let id_pb = c.register_schema("pb-value", &proto).await.unwrap();
    let json = Schema::new(
        SchemaType::Json,
        r#"{"type":"object","properties":{"name":{"type":"string"}}}"#,
    );
    let id_js = c.register_schema("js-value", &json).await.unwrap();
    // The same schema under another subject keeps its id.
    assert_eq!(
        c.register_schema("other-value", &avro_v1()).await.unwrap(),
        id1
    );

    // get_subjects, with a prefix.
    assert_eq!(
        c.get_subjects(None, SubjectFilter::Live).await.unwrap(),
        ["js-value", "other-value", "pb-value", "snacks-value"]
    );
    assert_eq!(
        c.get_subjects(Some("sn"), SubjectFilter::Live)
            .await
            .unwrap(),
        ["snacks-value"]
    );

    // get_schema by id (a fresh client: nothing cached).
    let fresh = server.client();
    assert_eq!(
        fresh.get_schema(id1).await.unwrap().schema,
        avro_v1().schema
    );
    let pb = fresh.get_schema(id_pb).await.unwrap();
    assert_eq!(pb.schema_type, SchemaType::Protobuf);
    assert_eq!(pb.schema, proto.schema);
    assert_eq!(
        fresh.get_schema(id_js).await.unwrap().schema_type,
        SchemaType::Json
    );

    // get_schema_versions: every subject/version using an id.
    let mut used = fresh.get_schema_versions(id1).await.unwrap();
    used.sort();
    assert_eq!(
        used,
        [
            SubjectVersion {
                subject: "other-value".into(),
                version: 1
            },
            SubjectVersion {
                subject: "snacks-value".into(),
                version: 1
            },
        ]
    );

    // get_latest_version, get_version, get_versions.
    let latest = c.get_latest_version("snacks-value").await.unwrap();
    assert_eq!(
        (latest.schema_id, latest.version, latest.subject.as_str()),
        (id2, 2, "snacks-value")
    );
    assert_eq!(latest.schema.schema_str, avro_v2().schema);
    assert_eq!(latest.schema.schema_type, SchemaType::Avro);
    let v1 = c.get_version("snacks-value", 1, false).await.unwrap();
    assert_eq!((v1.schema_id, v1.version), (id1, 1));
    assert_eq!(
        c.get_version("pb-value", -1, false)
            .await
            .unwrap()
            .schema
            .schema_type,
        SchemaType::Protobuf
    );
    assert_eq!(c.get_versions("snacks-value", false).await.unwrap(), [1, 2]);

    // lookup_schema.
    let found = c
        .lookup_schema("snacks-value", &avro_v1(), false)
        .await
        .unwrap();
    assert_eq!((found.schema_id, found.version), (id1, 1));

    // Compatibility: global and per subject; test_compatibility.
    assert!(c
        .test_compatibility("snacks-value", &avro_v2(), None)
        .await
        .unwrap());
    assert!(!c
        .test_compatibility("snacks-value", &avro_incompatible(), None)
        .await
        .unwrap());
    assert!(!c
        .test_compatibility("snacks-value", &avro_incompatible(), Some(-1))
        .await
        .unwrap());
    assert_eq!(
        c.set_compatibility(Some("snacks-value"), Compatibility::None)
            .await
            .unwrap(),
        Compatibility::None
    );
    assert_eq!(
        c.get_compatibility(Some("snacks-value")).await.unwrap(),
        Compatibility::None
    );
    assert!(c
        .test_compatibility("snacks-value", &avro_incompatible(), None)
        .await
        .unwrap());
    // Other subjects fall back to the global level.
    assert_eq!(
        c.get_compatibility(Some("other-value")).await.unwrap(),
        Compatibility::Backward
    );
    assert_eq!(
        c.set_compatibility(None, Compatibility::FullTransitive)
            .await
            .unwrap(),
        Compatibility::FullTransitive
    );
    assert_eq!(
        c.get_compatibility(None).await.unwrap(),
        Compatibility::FullTransitive
    );
    c.set_compatibility(None, Compatibility::Backward)
        .await
        .unwrap();

    // delete_version: soft, then gone from the list, then permanent.
    assert_eq!(c.delete_version("snacks-value", 2, false).await.unwrap(), 2);
    assert_eq!(c.get_versions("snacks-value", false).await.unwrap(), [1]);
    assert_eq!(c.get_versions("snacks-value", true).await.unwrap(), [1, 2]);
    assert_eq!(
        c.get_version("snacks-value", 2, true)
            .await
            .unwrap()
            .schema_id,
        id2
    );
    assert_eq!(c.delete_version("snacks-value", 2, true).await.unwrap(), 2);
    assert_eq!(c.get_versions("snacks-value", true).await.unwrap(), [1]);

    // delete_subject: soft (listed with deleted/only deleted), then permanent.
    assert_eq!(c.delete_subject("other-value", false).await.unwrap(), [1]);
    assert_eq!(
        c.get_subjects(None, SubjectFilter::Live).await.unwrap(),
        ["js-value", "pb-value", "snacks-value"]
    );
    assert_eq!(
        c.get_subjects(None, SubjectFilter::WithDeleted)
            .await
            .unwrap(),
        ["js-value", "other-value", "pb-value", "snacks-value"]
    );
    assert_eq!(
        c.get_subjects(None, SubjectFilter::OnlyDeleted)
            .await
            .unwrap(),
        ["other-value"]
    );
    assert!(matches!(
        c.get_latest_version("other-value").await,
        Err(Error::SubjectNotFound(_))
    ));
    assert_eq!(c.delete_subject("other-value", true).await.unwrap(), [1]);
    assert_eq!(
        c.get_subjects(None, SubjectFilter::WithDeleted)
            .await
            .unwrap(),
        ["js-value", "pb-value", "snacks-value"]
    );

    // The emulated registry behind the server is the storage's: the CLI
    // on the same storage sees the same subjects.
    let cli = env.ok(&["subjects", "local:local"]).json();
    assert_eq!(
        cli,
        serde_json::json!(["js-value", "pb-value", "snacks-value"])
    );
}

/// `registry serve` serves whichever registry the storage has: here a
/// storage whose `schema_registry` is another server, so the second server
/// passes everything through to the first one's emulated registry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_serve_serves_the_storages_own_registry() {
    let env = TestEnv::new();
    let first = Server::start(&env);
    env.write(
        "proxy.yaml",
        format!(
            "local:\n  root.dir: proxy-data\nschema_registry:\n  schema.registry.url: {}\n",
            first.url
        ),
    );
    let second = Server::start_for(&env, "local:proxy");
    let id = second
        .client()
        .register_schema("snacks-value", &avro_v1())
        .await
        .unwrap();
    let found = first
        .client()
        .get_latest_version("snacks-value")
        .await
        .unwrap();
    assert_eq!((found.schema_id, found.version), (id, 1));
    // Typed errors pass through with Confluent's codes.
    let err = second
        .client()
        .get_latest_version("nope-value")
        .await
        .unwrap_err();
    assert_eq!(err.status_and_code(), (404, 40401), "{err}");
    // Nothing was kept in the proxy storage itself.
    assert!(!env.path("proxy-data/schemas").exists());
}

/// A storage without a registry is refused with a message saying why,
/// instead of serving an emulated registry it does not use.
#[test]
fn registry_serve_says_when_a_storage_has_no_registry() {
    let env = TestEnv::new();
    env.write(
        "none.yaml",
        "local:\n  root.dir: data\nschema_registry:\n  emulated: false\n",
    );
    let mut child = env
        .command(&["registry", "serve", "local:none", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kafi registry serve");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kafi registry serve local:none served a registry the storage does not have");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("local:none has no schema registry") && stderr.contains("emulated: false"),
        "{stderr}"
    );
    assert!(!env.path("data/schemas").exists());
}

/// `emulated` is a boolean: anything else is a configuration error naming
/// the key, where it used to mean "no registry" silently.
#[test]
fn schema_registry_emulated_must_be_true_or_false() {
    let env = TestEnv::new();
    env.write(
        "yes.yaml",
        "local:\n  root.dir: data\nschema_registry:\n  emulated: yes\n",
    );
    env.run(&["subjects", "local:yes"]).error(
        2,
        &["schema_registry.emulated", "yes.yaml", "true or false"],
    );
}

/// A schema type on a storage without a registry is a configuration error
/// (exit 2), like every other missing piece of configuration.
#[test]
fn schema_types_without_a_registry_are_a_configuration_error() {
    let env = TestEnv::new();
    env.write(
        "none.yaml",
        "local:\n  root.dir: data\nschema_registry:\n  emulated: false\n",
    );
    env.ok(&["touch", "local:none", "t"]);
    env.run(&[
        "produce",
        "local:none",
        "t",
        "--value-type",
        "avro",
        "--value-schema",
        r#"{"type":"string"}"#,
        "\"x\"",
    ])
    .error(2, &["avro", "needs a schema registry"]);
    env.run(&["subjects", "local:none"])
        .error(2, &["no schema registry"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_errors_carry_the_server_message() {
    let env = TestEnv::new();
    let server = Server::start(&env);
    let c = server.client();

    // 40401 subject not found.
    match c.get_latest_version("nope-value").await {
        Err(Error::SubjectNotFound(m)) => assert!(m.contains("nope-value"), "{m}"),
        other => panic!("expected 40401, got {other:?}"),
    }
    let e = c.get_versions("nope-value", false).await.unwrap_err();
    assert_eq!(e.status_and_code(), (404, 40401), "{e}");
    assert!(e.to_string().contains("(error 40401)"), "{e}");

    // 40403 schema not found.
    match c.get_schema(4242).await {
        Err(Error::SchemaNotFound(m)) => assert!(m.contains("4242"), "{m}"),
        other => panic!("expected 40403, got {other:?}"),
    }
    let id = c.register_schema("s-value", &avro_v1()).await.unwrap();
    assert!(matches!(
        c.lookup_schema("s-value", &avro_v2(), false).await,
        Err(Error::SchemaNotFound(_))
    ));
    let _ = id;

    // 40402 version not found.
    assert!(matches!(
        c.get_version("s-value", 7, false).await,
        Err(Error::VersionNotFound(_))
    ));

    // 42201 invalid schema, for each type.
    for (t, text) in [
        (SchemaType::Avro, r#"{"type":"record","name":"X","fields":"#),
        (SchemaType::Protobuf, "message X { strin name = 1 "),
        (SchemaType::Json, r#"{"type": 12}"#),
    ] {
        match c.register_schema("bad-value", &Schema::new(t, text)).await {
            Err(Error::InvalidSchema(m)) => assert!(!m.is_empty()),
            other => panic!("expected 42201 for {t:?}, got {other:?}"),
        }
    }

    // 409 incompatible.
    match c.register_schema("s-value", &avro_incompatible()).await {
        Err(Error::Incompatible(m)) => {
            assert!(m.to_lowercase().contains("incompatible"), "{m}")
        }
        other => panic!("expected 409, got {other:?}"),
    }
    assert_eq!(c.get_versions("s-value", false).await.unwrap(), [1]);

    // 40405: a permanent delete needs a soft delete first; 40404 after one.
    assert!(matches!(
        c.delete_subject("s-value", true).await,
        Err(Error::SubjectNotSoftDeleted(_))
    ));
    c.delete_subject("s-value", false).await.unwrap();
    assert!(matches!(
        c.delete_subject("s-value", false).await,
        Err(Error::SubjectSoftDeleted(_))
    ));

    // 42203 invalid compatibility level (sent raw: the typed API cannot).
    let answer = raw_put(&server.url, "/config", r#"{"compatibility":"SOMETIMES"}"#);
    assert!(answer.contains(" 422 "), "{answer}");
    assert!(answer.contains("42203"), "{answer}");
}

/// A raw HTTP/1.0 PUT; the whole answer (status line, headers, body).
fn raw_put(url: &str, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "PUT {path} HTTP/1.0\r\nHost: x\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer
}

/// The Python `KAFI_TEST_PYTHON` names (exported by `cargo xtask test`),
/// checked for confluent-kafka and its serializer extras.
fn interop_python() -> Result<std::path::PathBuf, kafi_tests::Skip> {
    let python = kafi_tests::python()?;
    let probe = std::process::Command::new(&python)
        .args([
            "-c",
            "import confluent_kafka.schema_registry.avro, confluent_kafka.schema_registry.protobuf, confluent_kafka.schema_registry.json_schema",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match probe {
        Ok(s) if s.success() => Ok(python),
        _ => panic!(
            "KAFI_TEST_PYTHON={} lacks confluent-kafka[avro,protobuf,json,schemaregistry]",
            python.display()
        ),
    }
}

/// Confluent's SchemaRegistryClient and serializers against `kafi registry
/// serve` and the kafi CLI: tests/interop/registry_interop.py.
#[test]
fn confluent_interop() {
    let python = kafi_tests::maybe_skip!(interop_python());
    let env = TestEnv::new();
    let server = Server::start(&env);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/interop/registry_interop.py");
    let output = std::process::Command::new(&python)
        .arg(&script)
        .args(["--registry", &server.url, "--kafi", support::KAFI, "--home"])
        .arg(env.root())
        .env_remove("KAFI_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run registry_interop.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success() && stdout.contains("all interop checks passed"),
        "registry_interop.py failed ({})\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Confluent's serializers and deserializers, with confluent_kafka's
/// Producer and Consumer, against the cluster storage (the broker
/// configuration `KAFI_TEST_CLUSTER` names; tansu under `cargo xtask test`)
/// whose `schema_registry` is `kafi registry serve`:
/// tests/interop/registry_cluster_interop.py.
#[test]
fn confluent_interop_on_the_cluster() {
    let cluster = kafi_tests::maybe_skip!(kafi_tests::config(kafi::StorageKind::Cluster));
    let python = kafi_tests::maybe_skip!(interop_python());
    let bootstrap = cluster
        .kafka()
        .ok()
        .and_then(|k| k.bootstrap_servers())
        .expect("the test cluster's config has bootstrap.servers")
        .to_owned();
    let env = TestEnv::new();
    let server = Server::start(&env);
    env.write(
        "tansu.yaml",
        format!(
            "kafka:\n  bootstrap.servers: {bootstrap}\n\
             kafi:\n  session.timeout.ms: 6000\n\
             schema_registry:\n  schema.registry.url: {}\n",
            server.url
        ),
    );
    let prefix = format!(
        "kafi_sr_{}_{}_",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_millis()
    );
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/interop/registry_cluster_interop.py");
    let output = std::process::Command::new(&python)
        .arg(&script)
        .args(["--registry", &server.url, "--kafi", support::KAFI])
        .args(["--storage", "cluster:tansu", "--bootstrap", &bootstrap])
        .args(["--prefix", &prefix, "--home"])
        .arg(env.root())
        .env_remove("KAFI_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run registry_cluster_interop.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success() && stdout.contains("all cluster interop checks passed"),
        "registry_cluster_interop.py failed ({})\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}
