//! The `cluster` storage end to end: backup to the local emulation and
//! restore, and interoperability with PyPI confluent-kafka (librdkafka).
//! Needs `KAFI_TEST_CLUSTER` (and `KAFI_TEST_PYTHON` for interop,
//! `KAFI_TEST_TANSU` for a broker of its own; see `lib.rs`), which
//! `cargo xtask test` sets; each test skips with a reason otherwise.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use kafi_config::{SerdeType, StorageKind};
use kafi_core::storage::{ConsumerOptions, ProducerOptions, StartOffsets};
use kafi_core::{ProduceRecord, RawMessage, Storage, Timestamp, TopicSpec};
use kafi_shell::{ReadOptions, Shell, WriteOptions};
use kafi_tests::{maybe_skip, Capabilities, TestStorage};

fn unique(name: &str) -> String {
    format!(
        "kafi_it_{}_{}_{name}",
        std::process::id(),
        kafi_core::message::now_millis()
    )
}

/// Every message of a topic, sorted by partition and offset.
async fn read_raw(storage: &dyn Storage, topic: &str) -> Vec<RawMessage> {
    let partitions = storage.partition_count(topic).await.unwrap();
    let mut consumer = storage
        .consumer(
            topic,
            ConsumerOptions {
                group: "raw".into(),
                start: StartOffsets::Explicit((0..partitions).map(|p| (p, 0)).collect()),
                auto_offset_reset: kafi_config::AutoOffsetReset::Earliest,
                enable_auto_commit: false,
                consume_timeout: 2.0,
                session_timeout_ms: 6000,
            },
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    loop {
        let batch = consumer.poll(1000).await.unwrap();
        if batch.is_empty() {
            break;
        }
        out.extend(batch);
    }
    consumer.close().await.unwrap();
    out.sort_by_key(|m| (m.partition, m.offset));
    out
}

fn tricky_records() -> Vec<ProduceRecord> {
    let mut out = Vec::new();
    for i in 0..30u8 {
        let key = match i % 3 {
            0 => None,
            1 => Some(Bytes::from(vec![0, 255, i, 10, 13])),
            _ => Some(Bytes::from(format!("key-{i}"))),
        };
        let value = match i % 4 {
            0 => None,
            1 => Some(Bytes::from((0..=255u8).map(|b| b ^ i).collect::<Vec<_>>())),
            2 => Some(Bytes::from_static(b"")),
            _ => Some(Bytes::from(format!("{{\"n\": {i}}}"))),
        };
        let headers = match i % 3 {
            0 => vec![],
            1 => vec![
                ("dup".to_string(), Some(Bytes::from_static(b"first"))),
                ("dup".to_string(), Some(Bytes::from_static(b"second"))),
                ("nil".to_string(), None),
            ],
            _ => vec![("bin".to_string(), Some(Bytes::from(vec![0, 1, 2, i])))],
        };
        out.push(ProduceRecord {
            key,
            value,
            headers,
            partition: Some(i32::from(i % 3)),
            timestamp: Some(Timestamp::create_time(
                1_700_000_000_000 + i64::from(i) * 17,
            )),
        });
    }
    out
}

fn same(a: &[RawMessage], b: &[RawMessage]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(
            (
                x.partition,
                x.offset,
                &x.key,
                &x.value,
                &x.headers,
                x.timestamp
            ),
            (
                y.partition,
                y.offset,
                &y.key,
                &y.value,
                &y.headers,
                y.timestamp
            )
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_to_local_and_restore_loses_nothing() {
    let cluster = maybe_skip!(TestStorage::configured(StorageKind::Cluster).await);
    let local = TestStorage::local();
    let topic = unique("backup_src");
    let restored = unique("backup_restored");
    let c: &Shell = &cluster.shell;
    c.storage()
        .create_topic(
            &topic,
            &TopicSpec {
                partitions: 3,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut p = c
        .storage()
        .producer(
            &topic,
            ProducerOptions {
                batch_size: 7,
                flush_timeout: 30.0,
            },
        )
        .await
        .unwrap();
    for r in tricky_records() {
        p.send(r).await.unwrap();
    }
    p.close().await.unwrap();

    let read = ReadOptions::new().types(SerdeType::Bytes);
    let write = WriteOptions::new().types(SerdeType::Bytes);
    let (consumed, produced) = c
        .cp(&topic, &local.shell, "topic_backup", &read, &write)
        .await
        .unwrap();
    assert_eq!((consumed, produced), (30, 30));
    let (consumed, produced) = local
        .shell
        .cp("topic_backup", c, &restored, &read, &write)
        .await
        .unwrap();
    assert_eq!((consumed, produced), (30, 30));

    let original = read_raw(c.storage().as_ref(), &topic).await;
    let backup = read_raw(local.shell.storage().as_ref(), "topic_backup").await;
    let back = read_raw(c.storage().as_ref(), &restored).await;
    assert_eq!(original.len(), 30);
    same(&original, &backup);
    same(&original, &back);
    assert_eq!(c.storage().partition_count(&restored).await.unwrap(), 3);
    let differences = c.diff(&topic, c, &restored, &read).await.unwrap();
    assert!(differences.is_empty(), "{differences:?}");
    c.storage().delete_topic(&topic).await.unwrap();
    c.storage().delete_topic(&restored).await.unwrap();
}

/// Runs `tests/interop/confluent.py MODE ...` with `python`.
fn confluent_py(python: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/confluent.py");
    let output = std::process::Command::new(python)
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "confluent.py {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("confluent.py prints JSON")
}

fn hex(b: &Option<Bytes>) -> serde_json::Value {
    match b {
        None => serde_json::Value::Null,
        Some(b) => b
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
            .into(),
    }
}

fn as_json(m: &RawMessage) -> serde_json::Value {
    serde_json::json!({
        "partition": m.partition,
        "offset": m.offset,
        "timestamp": m.timestamp.millis,
        "key": hex(&m.key),
        "value": hex(&m.value),
        "headers": m.headers.iter().map(|(k, v)| serde_json::json!([k, hex(v)])).collect::<Vec<_>>(),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn confluent_kafka_reads_what_kafi_writes_and_the_reverse() {
    let config = maybe_skip!(kafi_tests::config(StorageKind::Cluster));
    let python = maybe_skip!(kafi_tests::python());
    let bootstrap = config
        .kafka()
        .unwrap()
        .bootstrap_servers()
        .expect("the test cluster's config has bootstrap.servers")
        .to_owned();
    let storage: Arc<dyn Storage> =
        Arc::new(kafi_kafka::ClusterStorage::connect(&config).await.unwrap());
    // kafi → confluent-kafka.
    let topic = unique("interop_k2c");
    storage
        .create_topic(
            &topic,
            &TopicSpec {
                partitions: 3,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut p = storage
        .producer(
            &topic,
            ProducerOptions {
                batch_size: 5,
                flush_timeout: 30.0,
            },
        )
        .await
        .unwrap();
    for r in tricky_records() {
        p.send(r).await.unwrap();
    }
    p.close().await.unwrap();
    let ours: Vec<serde_json::Value> = read_raw(storage.as_ref(), &topic)
        .await
        .iter()
        .map(as_json)
        .collect();
    let theirs = confluent_py(&python, &["consume", &bootstrap, &topic, "30"]);
    assert_eq!(serde_json::Value::Array(ours), theirs);

    // confluent-kafka → kafi.
    let topic2 = unique("interop_c2k");
    storage
        .create_topic(
            &topic2,
            &TopicSpec {
                partitions: 3,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let produced = confluent_py(&python, &["produce", &bootstrap, &topic2]);
    let ours: Vec<serde_json::Value> = read_raw(storage.as_ref(), &topic2)
        .await
        .iter()
        .map(as_json)
        .collect();
    let expected = confluent_py(
        &python,
        &[
            "consume",
            &bootstrap,
            &topic2,
            &produced["count"].to_string(),
        ],
    );
    assert_eq!(serde_json::Value::Array(ours.clone()), expected);
    // Keyed records landed where librdkafka's murmur2 partitioner put them,
    // which is where kafi's partitioner puts them too.
    for m in produced["keyed"].as_array().unwrap() {
        let key = m["key"].as_str().unwrap();
        let partitions = 3;
        assert_eq!(
            m["partition"].as_i64().unwrap() as i32,
            kafi_core::partitioner::murmur2_partition(key.as_bytes(), partitions),
            "{key}"
        );
    }

    // Committed offsets both ways.
    let group = unique("interop_group");
    storage
        .commit_offsets(&group, &topic, &BTreeMap::from([(0, 3), (1, 2)]))
        .await
        .unwrap();
    let seen = confluent_py(&python, &["committed", &bootstrap, &group, &topic, "3"]);
    assert_eq!(seen, serde_json::json!({"0": 3, "1": 2}));
    let group2 = unique("interop_group2");
    confluent_py(&python, &["commit", &bootstrap, &group2, &topic, "2=5"]);
    let ours = storage
        .committed_offsets(&group2, Some(&topic))
        .await
        .unwrap();
    assert_eq!(ours[&topic], BTreeMap::from([(2, 5)]));
    storage.delete_topic(&topic).await.unwrap();
    storage.delete_topic(&topic2).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_stopped_mid_cp_fails_with_counts() {
    let bin = maybe_skip!(kafi_tests::program(
        "KAFI_TEST_TANSU",
        "a tansu broker binary, to start and stop a broker of this test's own"
    ));
    // A broker of our own, to stop.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("tcp://127.0.0.1:{port}");
    let child = std::process::Command::new(bin)
        .args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
        ])
        .args(["--storage-engine", "memory://tansu/"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let child = Arc::new(std::sync::Mutex::new(Some(child)));
    let bootstrap = format!("127.0.0.1:{port}");
    for _ in 0..50 {
        if std::net::TcpStream::connect(&bootstrap).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let cluster = TestStorage::cluster_at(&bootstrap, Capabilities::TANSU)
        .await
        .unwrap();
    let local = TestStorage::local();
    let c = &cluster.shell;
    let topic = unique("stopped");
    c.storage()
        .create_topic(&topic, &TopicSpec::default())
        .await
        .unwrap();
    let mut p = c
        .storage()
        .producer(
            &topic,
            ProducerOptions {
                batch_size: 1000,
                flush_timeout: 30.0,
            },
        )
        .await
        .unwrap();
    for i in 0..100_000u32 {
        p.send(ProduceRecord::value(format!("message {i}")))
            .await
            .unwrap();
    }
    p.close().await.unwrap();
    let killer = child.clone();
    let progress: kafi_shell::ProgressFn = Arc::new(move |_, count| {
        if count >= 20_000 {
            if let Some(mut c) = killer.lock().unwrap().take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    });
    let read = ReadOptions::new()
        .types(SerdeType::Bytes)
        .group("stopped_group")
        .progress(progress);
    let started = std::time::Instant::now();
    let result = c
        .cp(
            &topic,
            &local.shell,
            "backup",
            &read,
            &WriteOptions::new().types(SerdeType::Bytes),
        )
        .await;
    if let Some(mut c) = child.lock().unwrap().take() {
        let _ = c.kill();
        let _ = c.wait();
    }
    match result {
        Err(kafi_shell::Error::Interrupted {
            consumed,
            produced,
            source,
        }) => {
            eprintln!("cp stopped after {consumed} consumed, {produced} produced: {source}");
            assert!((20_000..100_000).contains(&consumed), "{consumed}");
            assert!(produced <= consumed);
        }
        other => panic!("expected an interrupted cp, got {other:?}"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    eprintln!(
        "skipped: re-running the cp after a broker restart: tansu deviation: memory:// \
         storage loses every topic and group when the broker stops"
    );
}
