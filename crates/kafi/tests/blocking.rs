//! The blocking API, without async code, on a real local storage.

use kafi::config::{StorageConfig, StorageKind};
use serde_json::json;

fn local(dir: &std::path::Path) -> kafi::blocking::Shell {
    let yaml = format!("local:\n  root.dir: {}\n", dir.display());
    let config = StorageConfig::from_yaml_str(StorageKind::Local, "local", &yaml, None).unwrap();
    kafi::blocking::Shell::open_config(&config).unwrap()
}

#[test]
fn the_seed_tour_without_async() {
    let dir = tempfile::tempdir().unwrap();
    let l = local(dir.path());
    l.touch("topic_json").unwrap();
    let mut p = l.producer("topic_json").unwrap();
    for n in [123, 456, 789] {
        p.produce(json!({ "bla": n }), Some(&n.to_string()))
            .unwrap();
    }
    assert_eq!(p.close().unwrap(), 3);

    let messages = l.cat("topic_json").unwrap();
    let values: Vec<_> = messages
        .iter()
        .map(|m| m.value.as_ref().and_then(|v| v.as_json()).cloned())
        .collect();
    assert_eq!(
        values,
        vec![
            Some(json!({"bla": 123})),
            Some(json!({"bla": 456})),
            Some(json!({"bla": 789}))
        ]
    );
    assert_eq!(l.ls().unwrap(), vec!["topic_json".to_owned()]);
    assert_eq!(l.watermarks("topic_json").unwrap()[&0], (0, 3));

    let (read, written) = l
        .map_to("topic_json", &l, "topic_json_mapped", |mut m| {
            if let Some(v) = m.value.as_mut().and_then(|v| v.as_json_mut()) {
                v["bla"] = json!(v["bla"].as_i64().unwrap_or(0) + 42);
            }
            Ok(m)
        })
        .unwrap();
    assert_eq!((read, written), (3, 3));
    let mapped = l.tail("topic_json_mapped", 1).unwrap();
    assert_eq!(
        mapped[0].value.as_ref().and_then(|v| v.as_json()),
        Some(&json!({"bla": 831}))
    );

    let (found, matching, total) = l.grep("topic_json", ".*456.*").unwrap();
    assert_eq!((found.len(), matching, total), (1, 1, 3));
    assert_eq!(l.wc("topic_json").unwrap().messages, 3);
    assert_eq!(
        l.diff("topic_json", &l, "topic_json_mapped").unwrap().len(),
        3
    );
    assert!(l
        .cat("no_such_topic")
        .unwrap_err()
        .to_string()
        .contains("no_such_topic"));
}
