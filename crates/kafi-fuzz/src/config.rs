//! The storage configuration loader (`kafi_config`): YAML text with
//! `${VAR}` substitution, from a string and from a file.
//!
//! Input: one byte choosing the storage kind (low bits) and whether to
//! load the text from a file too (bit 7), then the YAML bytes.

use std::path::Path;

use kafi_config::{StorageConfig, StorageKind};

const KINDS: [StorageKind; 5] = [
    StorageKind::Cluster,
    StorageKind::RestProxy,
    StorageKind::Local,
    StorageKind::S3,
    StorageKind::AzureBlob,
];

/// The variables `${VAR}` can name; `NESTED` checks that substituted text
/// is not scanned again.
fn env(name: &str) -> Option<String> {
    let value = match name {
        "HOST" => "broker:9092",
        "EMPTY" => "",
        "PASSWORD" => "fuzz-secret",
        "NESTED" => "${HOST}",
        "YAML" => "a: b\n- c",
        "NUMBER" => "500",
        _ => return None,
    };
    Some(value.to_owned())
}

thread_local! {
    static HOME: tempfile::TempDir = tempfile::tempdir().expect("a temporary kafi home");
}

/// The `config` target.
pub fn config(data: &[u8]) {
    let Some((&selector, yaml)) = data.split_first() else {
        return;
    };
    let kind = KINDS[usize::from(selector & 0x7f) % KINDS.len()];
    if selector & 0x80 != 0 {
        HOME.with(|home| check(kind, yaml, Some(home.path())));
    } else {
        check(kind, yaml, None);
    }
}

fn check(kind: StorageKind, yaml: &[u8], home: Option<&Path>) {
    let Some(home) = home else {
        if let Ok(text) = std::str::from_utf8(yaml) {
            if let Ok(config) =
                StorageConfig::from_yaml_str_with_env(kind, "fuzz", text, None, &env)
            {
                check_loaded(kind, &config);
            }
        }
        return;
    };
    std::fs::write(home.join("fuzz.yaml"), yaml).expect("writing the configuration file");
    let from_file = StorageConfig::load_from_with_env(kind, "fuzz", home, &env);
    let Ok(text) = std::str::from_utf8(yaml) else {
        let e = from_file.expect_err("a file that is not UTF-8 loaded");
        let _ = e.to_string();
        return;
    };
    let from_str = StorageConfig::from_yaml_str_with_env(kind, "fuzz", text, None, &env);
    let config = match (from_str, from_file) {
        (Ok(a), Ok(mut b)) => {
            assert!(b.source.is_some());
            b.source = None;
            assert_eq!(a, b, "loading from a string and from a file differ");
            a
        }
        (Err(a), Err(b)) => {
            let (a, b) = (a.to_string(), b.to_string());
            assert!(!a.is_empty() && !b.is_empty());
            return;
        }
        (a, b) => panic!("string and file loading disagree: {a:?} vs {b:?}"),
    };
    check_loaded(kind, &config);
}

fn check_loaded(kind: StorageKind, config: &StorageConfig) {
    assert_eq!(config.kind(), kind);
    let _ = format!("{config:?}");

    // The effective configuration printed (secrets hidden) loads again to
    // the same settings, unless substituted text brought in a `$`.
    let dumped = config.redacted_yaml();
    if !dumped.contains('$') {
        let again = StorageConfig::from_yaml_str_with_env(kind, "fuzz", &dumped, None, &env)
            .unwrap_or_else(|e| panic!("the dumped configuration does not load: {e}\n{dumped}"));
        assert_eq!(again.kafi, config.kafi, "settings changed through a dump");
        assert_eq!(again.redacted_yaml(), dumped, "a dump of a dump differs");
    }
}
