//! Loading real files from temporary kafi homes, substitution and validation.

use std::fs;
use std::path::{Path, PathBuf};

use kafi_config::{
    list_configs, AutoOffsetReset, BackendSection, Error, KafiSettings, SerdeType, StorageConfig,
    StorageKind,
};
use serde_yaml::Value;

const LOCAL_A: &str = "local:\n  root.dir: /from/a\n";
const LOCAL_B: &str = "local:\n  root.dir: /from/b\n";

fn write(home: &Path, rel: &str, text: &str) -> PathBuf {
    let path = home.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    path
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn secret_env(name: &str) -> Option<String> {
    match name {
        "KAFI_KAFKA_SERVER" => Some("broker:9092".to_owned()),
        "KAFI_KAFKA_PASSWORD" => Some("hunter2-kafka".to_owned()),
        "KAFI_SR_USER_INFO" => Some("sr-user:hunter2-sr".to_owned()),
        _ => None,
    }
}

fn parse(kind: StorageKind, yaml: &str) -> Result<StorageConfig, Error> {
    StorageConfig::from_yaml_str_with_env(kind, "t", yaml, Some(Path::new("t.yaml")), &no_env)
}

fn root_dir(c: &StorageConfig) -> &str {
    &c.local().unwrap().root_dir
}

#[test]
fn home_file_beats_configs_dir() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    write(h, "configs/locals/x.yaml", LOCAL_B);
    let c = StorageConfig::load_from(StorageKind::Local, "x", h).unwrap();
    assert_eq!(root_dir(&c), "/from/b");
    assert_eq!(
        c.source.as_deref(),
        Some(h.join("configs/locals/x.yaml").as_path())
    );

    let top = write(h, "x.yaml", LOCAL_A);
    let c = StorageConfig::load_from(StorageKind::Local, "x", h).unwrap();
    assert_eq!(root_dir(&c), "/from/a");
    assert_eq!(c.source.as_deref(), Some(top.as_path()));
    assert_eq!(c.name, "x");
}

#[test]
fn yaml_beats_yml_and_yml_is_accepted() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    write(h, "configs/locals/y.yml", LOCAL_B);
    let c = StorageConfig::load_from(StorageKind::Local, "y", h).unwrap();
    assert_eq!(root_dir(&c), "/from/b");
    write(h, "configs/locals/y.yaml", LOCAL_A);
    let c = StorageConfig::load_from(StorageKind::Local, "y", h).unwrap();
    assert_eq!(root_dir(&c), "/from/a");
}

#[test]
fn azure_blob_accepts_both_directories() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    write(
        h,
        "configs/azblobs/az.yaml",
        "azure_blob:\n  container.name: c1\n",
    );
    let c = StorageConfig::load_from(StorageKind::AzureBlob, "az", h).unwrap();
    assert_eq!(c.azure_blob().unwrap().container_name, "c1");
    write(
        h,
        "configs/azureblobs/az.yaml",
        "azure_blob:\n  container.name: c2\n",
    );
    let c = StorageConfig::load_from(StorageKind::AzureBlob, "az", h).unwrap();
    assert_eq!(c.azure_blob().unwrap().container_name, "c2");
}

#[test]
fn not_found_lists_every_searched_path() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // A file for another kind must not be picked up.
    write(
        h,
        "configs/clusters/nope.yaml",
        "kafka:\n  bootstrap.servers: x:1\n",
    );
    let err = StorageConfig::load_from(StorageKind::AzureBlob, "nope", h).unwrap_err();
    let Error::NotFound {
        kind,
        name,
        searched,
    } = &err
    else {
        panic!("unexpected error {err}");
    };
    assert_eq!(*kind, StorageKind::AzureBlob);
    assert_eq!(name, "nope");
    let expected: Vec<PathBuf> = [
        "nope.yaml",
        "nope.yml",
        "configs/azureblobs/nope.yaml",
        "configs/azureblobs/nope.yml",
        "configs/azblobs/nope.yaml",
        "configs/azblobs/nope.yml",
    ]
    .iter()
    .map(|p| h.join(p))
    .collect();
    assert_eq!(searched, &expected);
    let msg = err.to_string();
    for p in &expected {
        assert!(msg.contains(&p.display().to_string()), "{msg}");
    }
    assert!(msg.contains("azureblob"), "{msg}");
}

#[test]
fn name_may_be_a_yaml_path() {
    let home = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let path = write(elsewhere.path(), "mine.yml", LOCAL_A);
    let c =
        StorageConfig::load_from(StorageKind::Local, path.to_str().unwrap(), home.path()).unwrap();
    assert_eq!(root_dir(&c), "/from/a");
    assert_eq!(c.source.as_deref(), Some(path.as_path()));

    // A relative file name with suffix is also looked for in home.
    write(home.path(), "configs/locals/z.yaml", LOCAL_B);
    let c = StorageConfig::load_from(StorageKind::Local, "z.yaml", home.path()).unwrap();
    assert_eq!(root_dir(&c), "/from/b");
}

#[test]
fn name_with_separators_that_does_not_exist_is_not_found() {
    let home = tempfile::tempdir().unwrap();
    for name in ["../etc/passwd", "a/b", "/no/such/file.yaml", ""] {
        let err = StorageConfig::load_from(StorageKind::Local, name, home.path()).unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{name}: {err}");
    }
}

#[test]
fn list_configs_merges_home_and_configs_dir() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    write(h, "b.yaml", LOCAL_A);
    write(h, "a.yml", LOCAL_A);
    write(h, "notes.txt", "");
    write(h, "configs/locals/b.yml", LOCAL_A);
    write(h, "configs/locals/c.yaml", LOCAL_A);
    write(h, "configs/clusters/d.yaml", LOCAL_A);
    fs::create_dir_all(h.join("configs/locals/dir.yaml")).unwrap();
    assert_eq!(list_configs(StorageKind::Local, Some(h)), ["a", "b", "c"]);
    assert_eq!(list_configs(StorageKind::Cluster, Some(h)), ["a", "b", "d"]);
    let empty = tempfile::tempdir().unwrap();
    assert!(list_configs(StorageKind::S3, Some(empty.path())).is_empty());
}

#[test]
fn substitution_with_defaults() {
    let yaml = "kafka:\n  bootstrap.servers: ${KAFI_KAFKA_SERVER}\n  client.id: ${KAFI_CLIENT:-kafi-${x}\n  sasl.password: ${KAFI_KAFKA_PASSWORD}\n";
    let c =
        StorageConfig::from_yaml_str_with_env(StorageKind::Cluster, "c", yaml, None, &secret_env)
            .unwrap();
    let kafka = c.kafka().unwrap();
    assert_eq!(kafka.get("bootstrap.servers"), Some("broker:9092"));
    assert_eq!(kafka.get("client.id"), Some("kafi-${x"));
    assert_eq!(kafka.get("sasl.password"), Some("hunter2-kafka"));
}

#[test]
fn substituted_values_cannot_inject_structure() {
    let env = |name: &str| (name == "EVIL").then(|| "x:1\nkafi:\n  verbose: 9".to_owned());
    let c = StorageConfig::from_yaml_str_with_env(
        StorageKind::Cluster,
        "c",
        "kafka:\n  bootstrap.servers: ${EVIL}\n",
        None,
        &env,
    )
    .unwrap();
    assert_eq!(
        c.kafka().unwrap().bootstrap_servers(),
        Some("x:1\nkafi:\n  verbose: 9")
    );
    assert_eq!(c.kafi.verbose, KafiSettings::default().verbose);
}

#[test]
fn numbers_from_variables_are_typed_by_our_parsing() {
    let env = |name: &str| (name == "BATCH").then(|| "7".to_owned());
    let c = StorageConfig::from_yaml_str_with_env(
        StorageKind::Local,
        "l",
        "local: {}\nkafi:\n  consume.batch.size: ${BATCH}\n  value.type: ${VT:-avro}\n",
        None,
        &env,
    )
    .unwrap();
    assert_eq!(c.kafi.consume_batch_size, 7);
    assert_eq!(c.kafi.value_type, SerdeType::Avro);
}

#[test]
fn unset_variable_names_variable_key_and_file() {
    let home = tempfile::tempdir().unwrap();
    let path = write(
        home.path(),
        "configs/clusters/x.yaml",
        "kafka:\n  bootstrap.servers: ${KAFI_X}\n",
    );
    let err = StorageConfig::load_from_with_env(StorageKind::Cluster, "x", home.path(), &no_env)
        .unwrap_err();
    assert!(matches!(&err, Error::UnsetVariable { variable, .. } if variable == "KAFI_X"));
    let msg = err.to_string();
    assert!(
        msg.contains("environment variable KAFI_X is not set"),
        "{msg}"
    );
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("kafka.bootstrap.servers"), "{msg}");
}

#[test]
fn malformed_reference_is_an_error() {
    let err = parse(StorageKind::Local, "local:\n  root.dir: ${UNCLOSED\n").unwrap_err();
    assert!(matches!(err, Error::InvalidSubstitution { .. }), "{err}");
    assert!(err.to_string().contains("local.root.dir"), "{err}");
}

#[test]
fn dollar_dollar_brace_escapes() {
    let c = parse(
        StorageKind::Local,
        "local:\n  root.dir: /data/$${HOME}/a$b\n",
    )
    .unwrap();
    assert_eq!(root_dir(&c), "/data/${HOME}/a$b");
}

#[test]
fn inline_config() {
    let value: Value = serde_yaml::from_str(
        "s3:\n  endpoint: ${EP:-http://minio:9000}\n  bucket.name: b\n  secret.key: ${KAFI_KAFKA_PASSWORD}\nkafi:\n  produce.batch.size: 5\n",
    )
    .unwrap();
    let c = StorageConfig::from_value_with_env(StorageKind::S3, value, &secret_env).unwrap();
    assert_eq!(c.name, "inline");
    assert_eq!(c.source, None);
    let s3 = c.s3().unwrap();
    assert_eq!(s3.endpoint.as_deref(), Some("http://minio:9000"));
    assert_eq!(s3.bucket_name, "b");
    assert_eq!(s3.root_dir, "");
    assert_eq!(s3.secret_key.as_deref(), Some("hunter2-kafka"));
    assert_eq!(s3.access_key, None);
    assert_eq!(c.kafi.produce_batch_size, 5);

    let err = StorageConfig::from_value(StorageKind::S3, Value::Null).unwrap_err();
    assert!(err.to_string().contains("inline config"), "{err}");
    let value: Value = serde_yaml::from_str("local: {}").unwrap();
    let err = StorageConfig::from_value(StorageKind::S3, value).unwrap_err();
    assert!(
        matches!(&err, Error::MissingSection { section: "s3", file } if file == "inline config"),
        "{err}"
    );
}

#[test]
fn section_defaults() {
    let c = parse(StorageKind::Local, "local:\n").unwrap();
    assert_eq!(root_dir(&c), ".");
    let c = parse(StorageKind::AzureBlob, "azure_blob: {}\n").unwrap();
    let az = c.azure_blob().unwrap();
    assert_eq!(
        (az.container_name.as_str(), az.root_dir.as_str()),
        ("test", "")
    );
    assert_eq!(az.connection_string, None);
    let c = parse(StorageKind::S3, "s3:\n  bucket.name:\n").unwrap();
    assert_eq!(c.s3().unwrap().bucket_name, "test");
    assert_eq!(c.kafi, KafiSettings::default());
}

#[test]
fn missing_storage_section() {
    let err = parse(
        StorageKind::Cluster,
        "schema_registry:\n  schema.registry.url: x\n",
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::MissingSection { section: "kafka", file } if file == "t.yaml"),
        "{err}"
    );
    assert_eq!(err.to_string(), "missing section `kafka` in t.yaml");
    // Loading a local config as a cluster also reports the missing section.
    let err = parse(StorageKind::Cluster, LOCAL_A).unwrap_err();
    assert!(matches!(err, Error::MissingSection { .. }), "{err}");
}

#[test]
fn accessors_report_absent_sections() {
    let c = parse(StorageKind::Local, LOCAL_A).unwrap();
    assert!(matches!(c.backend, BackendSection::Local(_)));
    assert_eq!(c.kind(), StorageKind::Local);
    assert!(c.local().is_ok());
    let err = c.kafka().unwrap_err();
    assert!(
        matches!(
            err,
            Error::MissingSection {
                section: "kafka",
                ..
            }
        ),
        "{err}"
    );
    assert!(c.schema_registry().is_err());
    assert!(c.rest_proxy().is_err() && c.s3().is_err() && c.azure_blob().is_err());
}

#[test]
fn unknown_sections() {
    let err = parse(StorageKind::Local, "local: {}\nkafii:\n  verbose: 1\n").unwrap_err();
    let Error::UnknownSection {
        section, expected, ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(section, "kafii");
    assert_eq!(expected, &["local", "schema_registry", "kafi"]);
    assert!(err.to_string().contains("t.yaml"), "{err}");

    let err = parse(
        StorageKind::Local,
        "local: {}\nkafka:\n  bootstrap.servers: x\n",
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownSection { section, .. } if section == "kafka"),
        "{err}"
    );
}

#[test]
fn top_level_must_be_a_map() {
    for yaml in ["", "- a\n- b\n", "just a string"] {
        let err = parse(StorageKind::Local, yaml).unwrap_err();
        assert!(matches!(err, Error::InvalidValue { .. }), "{yaml:?}: {err}");
        assert!(err.to_string().contains("t.yaml"), "{err}");
    }
    let err = parse(StorageKind::Local, "local: [1, 2]\n").unwrap_err();
    assert!(err.to_string().contains("`local`"), "{err}");
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let home = tempfile::tempdir().unwrap();
    let path = write(
        home.path(),
        "bad.yaml",
        "local:\n  root.dir: /tmp\n  other: [unclosed\nkafi:\n",
    );
    let err = StorageConfig::load_from(StorageKind::Local, "bad", home.path()).unwrap_err();
    assert!(matches!(err, Error::Yaml { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("line"), "{msg}");

    let err = parse(StorageKind::Local, "local:\n  root.dir: a\n  root.dir: b\n").unwrap_err();
    assert!(matches!(err, Error::Yaml { .. }), "duplicate keys: {err}");
}

#[test]
fn wrong_kafi_type_names_key_and_expectation() {
    let err = parse(
        StorageKind::Local,
        "local: {}\nkafi:\n  consume.batch.size: lots\n",
    )
    .unwrap_err();
    let Error::InvalidValue {
        file,
        key,
        value,
        expected,
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(file, "t.yaml");
    assert_eq!(key, "kafi.consume.batch.size");
    assert_eq!(value, "\"lots\"");
    assert_eq!(*expected, "a positive integer");
    let msg = err.to_string();
    assert!(
        msg.contains("kafi.consume.batch.size") && msg.contains("t.yaml"),
        "{msg}"
    );

    for bad in [
        "enable.auto.commit: 1",
        "consume.timeout: soon",
        "key.type: xml",
        "auto.offset.reset: middle",
        "verbose: -1",
        "session.timeout.ms: 1.5",
        "retention.ms: [1]",
        "consumer.group.prefix: {a: b}",
    ] {
        let yaml = format!("local: {{}}\nkafi:\n  {bad}\n");
        let err = parse(StorageKind::Local, &yaml).unwrap_err();
        let key = bad.split(':').next().unwrap();
        assert!(matches!(err, Error::InvalidValue { .. }), "{bad}: {err}");
        assert!(
            err.to_string().contains(&format!("kafi.{key}")),
            "{bad}: {err}"
        );
    }
}

#[test]
fn kafi_section_values_are_typed() {
    let c = parse(
        StorageKind::RestProxy,
        "rest_proxy:\n  rest.proxy.url: http://p:8082\nkafi:\n  enable.auto.commit: true\n  auto.offset.reset: latest\n  flush.timeout: 3\n  fetch.min.bytes: 10\n  key.type: pb\n  consume.batch.size: \"12\"\n",
    )
    .unwrap();
    assert!(c.kafi.enable_auto_commit);
    assert_eq!(c.kafi.auto_offset_reset, AutoOffsetReset::Latest);
    assert_eq!(c.kafi.flush_timeout, 3.0);
    assert_eq!(c.kafi.fetch_min_bytes, 10);
    assert_eq!(c.kafi.key_type, SerdeType::Protobuf);
    assert_eq!(c.kafi.consume_batch_size, 12);
    assert_eq!(c.rest_proxy().unwrap().url, "http://p:8082");
}

#[test]
fn unknown_keys_are_errors() {
    let cases = [
        (
            StorageKind::Local,
            "local: {}\nkafi:\n  consume.bacth.size: 5\n",
            "kafi.consume.bacth.size",
        ),
        (
            StorageKind::Local,
            "local:\n  rootdir: /x\n",
            "local.rootdir",
        ),
        (StorageKind::S3, "s3:\n  bucket: b\n", "s3.bucket"),
        (
            StorageKind::AzureBlob,
            "azure_blob:\n  container: c\n",
            "azure_blob.container",
        ),
        (
            StorageKind::RestProxy,
            "rest_proxy:\n  rest.proxy.url: u\n  url: u\n",
            "rest_proxy.url",
        ),
    ];
    for (kind, yaml, key) in cases {
        let err = parse(kind, yaml).unwrap_err();
        assert!(
            matches!(&err, Error::UnknownKey { key: k, file } if k == key && file == "t.yaml"),
            "{yaml}: {err}"
        );
        assert!(err.to_string().contains(key), "{err}");
    }
}

#[test]
fn required_keys() {
    let err = parse(StorageKind::Cluster, "kafka:\n  security.protocol: SSL\n").unwrap_err();
    assert!(
        matches!(&err, Error::MissingKey { key, .. } if key == "kafka.bootstrap.servers"),
        "{err}"
    );
    let err = parse(StorageKind::RestProxy, "rest_proxy: {}\n").unwrap_err();
    assert!(
        matches!(&err, Error::MissingKey { key, .. } if key == "rest_proxy.rest.proxy.url"),
        "{err}"
    );
    let env = |_: &str| Some(String::new());
    let err = StorageConfig::from_yaml_str_with_env(
        StorageKind::Cluster,
        "c",
        "kafka:\n  bootstrap.servers: ${EMPTY}\n",
        None,
        &env,
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
}

#[test]
fn kafka_and_schema_registry_values_become_strings() {
    let c = parse(
        StorageKind::Cluster,
        "kafka:\n  bootstrap.servers: localhost:9092\n  enable.idempotence: true\n  linger.ms: 5\n  log_level: 6\nschema_registry:\n  schema.registry.url: http://sr:8081\n  ssl.ca.location: /ca.pem\n  emulated: false\n",
    )
    .unwrap();
    let kafka = c.kafka().unwrap();
    assert_eq!(kafka.get("enable.idempotence"), Some("true"));
    assert_eq!(kafka.get("linger.ms"), Some("5"));
    assert_eq!(kafka.get("log_level"), Some("6"));
    let sr = c.schema_registry().unwrap();
    assert_eq!(sr.url.as_deref(), Some("http://sr:8081"));
    assert_eq!(
        sr.extra.get("ssl.ca.location").map(String::as_str),
        Some("/ca.pem")
    );
    // `emulated` is typed, not an extra key.
    assert_eq!(sr.emulated, Some(false));
    assert_eq!(sr.extra.get("emulated"), None);

    let err = parse(
        StorageKind::Cluster,
        "kafka:\n  bootstrap.servers: [a, b]\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("kafka.bootstrap.servers"), "{err}");
}

#[test]
fn schema_registry_emulated_is_a_validated_boolean() {
    let local = |sr: &str| format!("local:\n  root.dir: data\nschema_registry:\n{sr}");
    for (text, expected) in [
        ("true", Some(true)),
        ("TRUE", Some(true)),
        ("false", Some(false)),
        ("False", Some(false)),
        ("", None),
    ] {
        let c = parse(StorageKind::Local, &local(&format!("  emulated: {text}\n"))).unwrap();
        assert_eq!(c.schema_registry().unwrap().emulated, expected, "{text:?}");
    }
    // Anything else is an error naming the key, not a silent "off".
    for bad in ["yes", "1", "on", "\"\""] {
        let err = parse(StorageKind::Local, &local(&format!("  emulated: {bad}\n"))).unwrap_err();
        assert!(matches!(err, Error::InvalidValue { .. }), "{bad}: {err}");
        let text = err.to_string();
        assert!(
            text.contains("schema_registry.emulated") && text.contains("true or false"),
            "{text}"
        );
    }
    // One registry per storage: a URL and emulated: true contradict each other.
    let err = parse(
        StorageKind::Local,
        &local("  schema.registry.url: http://sr:8081\n  emulated: true\n"),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("schema_registry.emulated") && text.contains("schema.registry.url"),
        "{text}"
    );
    // The dump keeps it.
    let c = parse(StorageKind::Local, &local("  emulated: false\n")).unwrap();
    assert!(
        c.redacted_yaml().contains("emulated: false"),
        "{}",
        c.redacted_yaml()
    );
}

const SECRETS: [&str; 6] = [
    "hunter2-kafka",
    "hunter2-sr",
    "s3-access-AKIA",
    "s3-secret-xyz",
    "AccountKey=azure-secret",
    "oauth-secret-123",
];

fn secret_configs() -> Vec<StorageConfig> {
    let env = |name: &str| match name {
        "S3_ACCESS" => Some("s3-access-AKIA".to_owned()),
        "S3_SECRET" => Some("s3-secret-xyz".to_owned()),
        "AZ" => Some("AccountName=a;AccountKey=azure-secret".to_owned()),
        other => secret_env(other),
    };
    let load = |kind, yaml: &str| {
        StorageConfig::from_yaml_str_with_env(kind, "s", yaml, None, &env).unwrap()
    };
    vec![
        load(
            StorageKind::Cluster,
            "kafka:\n  bootstrap.servers: ${KAFI_KAFKA_SERVER}\n  sasl.username: alice\n  sasl.password: ${KAFI_KAFKA_PASSWORD}\n  ssl.key.password: hunter2-kafka\n  sasl.oauthbearer.client.secret: oauth-secret-123\n  ssl.key: hunter2-kafka\nschema_registry:\n  schema.registry.url: http://sr\n  basic.auth.credentials.source: USER_INFO\n  basic.auth.user.info: ${KAFI_SR_USER_INFO}\n  ssl.key.password: hunter2-sr\n",
        ),
        load(
            StorageKind::RestProxy,
            "rest_proxy:\n  rest.proxy.url: http://rp\n  basic.auth.user.info: ${KAFI_SR_USER_INFO}\n",
        ),
        load(
            StorageKind::S3,
            "s3:\n  endpoint: http://minio\n  access.key: ${S3_ACCESS}\n  secret.key: ${S3_SECRET}\n",
        ),
        load(StorageKind::AzureBlob, "azure_blob:\n  connection.string: ${AZ}\n"),
    ]
}

#[test]
fn debug_and_redacted_yaml_hide_secrets() {
    for c in secret_configs() {
        let debug = format!("{c:?}");
        let pretty = format!("{c:#?}");
        let dump = c.redacted_yaml();
        for secret in SECRETS {
            assert!(!debug.contains(secret), "Debug leaks {secret}: {debug}");
            assert!(!pretty.contains(secret), "Debug leaks {secret}: {pretty}");
            assert!(!dump.contains(secret), "dump leaks {secret}: {dump}");
        }
        assert!(dump.contains("********"), "{dump}");
        assert!(debug.contains("********"), "{debug}");
        // The dump is itself valid YAML of the same kind (secrets replaced).
        let again = StorageConfig::from_yaml_str_with_env(c.kind(), "again", &dump, None, &no_env)
            .unwrap_or_else(|e| panic!("{e}\n{dump}"));
        assert_eq!(again.kafi, c.kafi);
    }
    let cluster = &secret_configs()[0];
    let dump = cluster.redacted_yaml();
    assert!(
        dump.contains("alice") && dump.contains("broker:9092"),
        "{dump}"
    );
    assert!(dump.contains("consume.batch.size: 1000"), "{dump}");
}

#[test]
fn errors_never_show_secret_values() {
    let env = |_: &str| Some("hunter2-kafka".to_owned());
    let cases = [
        (
            StorageKind::Cluster,
            "kafka:\n  bootstrap.servers: b\n  sasl.password: [${P}]\n",
        ),
        (
            StorageKind::Cluster,
            "kafka:\n  bootstrap.servers: b\n  sasl.password: ${P}\n  x: ${UNTERMINATED\n",
        ),
        (StorageKind::S3, "s3:\n  secret.key: {v: hunter2-kafka}\n"),
        (StorageKind::S3, "s3:\n  secret.key: a${hunter2 x}b\n"),
        (StorageKind::Local, "local: {}\nkafi:\n  verbose: ${P}\n"),
    ];
    for (kind, yaml) in cases {
        let err = StorageConfig::from_yaml_str_with_env(kind, "e", yaml, None, &env).unwrap_err();
        let msg = format!("{err} / {err:?}");
        // The kafi.verbose value is not a secret key, but the others are.
        if !yaml.contains("verbose") {
            assert!(!msg.contains("hunter2"), "{msg}");
        }
    }
}

#[test]
fn a_directory_in_place_of_the_file_is_named() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    fs::create_dir_all(h.join("dir.yaml")).unwrap();
    fs::create_dir_all(h.join("configs/locals/other.yml")).unwrap();
    for (name, path) in [
        ("dir", h.join("dir.yaml")),
        ("dir.yaml", h.join("dir.yaml")),
        ("other", h.join("configs/locals/other.yml")),
    ] {
        let err = StorageConfig::load_from(StorageKind::Local, name, h).unwrap_err();
        assert!(
            matches!(&err, Error::NotAFile { path: p } if *p == path),
            "{name}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "configuration path {} is a directory, not a YAML file",
                path.display()
            )
        );
    }
    let as_path = h.join("dir.yaml");
    let err =
        StorageConfig::load_from(StorageKind::Local, as_path.to_str().unwrap(), h).unwrap_err();
    assert!(matches!(err, Error::NotAFile { .. }), "{err}");
    // A file further down the search order still wins over a directory.
    write(h, "configs/locals/dir.yml", LOCAL_A);
    let c = StorageConfig::load_from(StorageKind::Local, "dir", h).unwrap();
    assert_eq!(root_dir(&c), "/from/a");
}
