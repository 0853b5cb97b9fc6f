//! Secret-leak tests: passwords written into URLs and broker addresses
//! never appear in `Debug` output, dumps or error messages.

use kafi_config::{redact_user_info, StorageConfig, StorageKind};

const PASSWORD: &str = "hunter2-in-url";

fn parse(kind: StorageKind, yaml: &str) -> Result<StorageConfig, kafi_config::Error> {
    StorageConfig::from_yaml_str_with_env(kind, "t", yaml, None, &|_| None)
}

#[track_caller]
fn assert_hidden(text: &str) {
    assert!(!text.contains(PASSWORD), "the password leaks: {text}");
    assert!(!text.contains("sruser"), "the user name leaks: {text}");
}

#[test]
fn schema_registry_url_with_user_info() {
    let c = parse(
        StorageKind::Local,
        &format!(
            "local:\n  root.dir: d\nschema_registry:\n  schema.registry.url: http://sruser:{PASSWORD}@127.0.0.1:1/\n  \
             other.url: https://sruser:{PASSWORD}@h:2\n"
        ),
    )
    .unwrap();
    for text in [
        format!("{c:?}"),
        format!("{c:#?}"),
        format!("{:?}", c.schema_registry().unwrap()),
        c.redacted_yaml(),
    ] {
        assert_hidden(&text);
        assert!(text.contains("http://********@127.0.0.1:1/"), "{text}");
    }
    // The value itself is untouched: the client needs it.
    assert!(c
        .schema_registry()
        .unwrap()
        .url
        .as_deref()
        .unwrap()
        .contains(PASSWORD));
}

#[test]
fn bootstrap_servers_with_user_info() {
    let c = parse(
        StorageKind::Cluster,
        &format!("kafka:\n  bootstrap.servers: sruser:{PASSWORD}@127.0.0.1:1,b:2\n"),
    )
    .unwrap();
    for text in [format!("{c:?}"), c.redacted_yaml()] {
        assert_hidden(&text);
        assert!(text.contains("********@127.0.0.1:1,b:2"), "{text}");
    }
}

#[test]
fn rest_proxy_and_s3_urls_with_user_info() {
    let c = parse(
        StorageKind::RestProxy,
        &format!("rest_proxy:\n  rest.proxy.url: http://sruser:{PASSWORD}@rp:8082\n"),
    )
    .unwrap();
    assert_hidden(&format!("{c:?}"));
    assert_hidden(&c.redacted_yaml());
    let c = parse(
        StorageKind::S3,
        &format!("s3:\n  endpoint: http://sruser:{PASSWORD}@minio:9000\n"),
    )
    .unwrap();
    assert_hidden(&format!("{c:?}"));
    assert_hidden(&c.redacted_yaml());
}

#[test]
fn invalid_values_do_not_quote_user_info() {
    let err = parse(
        StorageKind::Local,
        &format!("local:\n  root.dir: d\nkafi:\n  key.type: http://sruser:{PASSWORD}@h:1\n"),
    )
    .unwrap_err();
    let text = format!("{err} {err:?}");
    assert_hidden(&text);
    assert!(text.contains("kafi.key.type"), "{text}");
}

#[test]
fn the_helper_keeps_everything_but_user_info() {
    assert_eq!(
        redact_user_info(&format!(
            "schema registry http://sruser:{PASSWORD}@127.0.0.1:1/ is unreachable"
        )),
        "schema registry http://********@127.0.0.1:1/ is unreachable"
    );
}
