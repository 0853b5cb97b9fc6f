//! Concurrency and damage properties of the storage format, on real files:
//! versioned metadata, topic incarnations, missing and empty segments
//! (see `docs/storage-format.md`, sections 2, 5 and 9).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use kafi_config::AutoOffsetReset;
use kafi_core::storage::{ConsumerOptions, ProducerOptions, StartOffsets};
use kafi_core::{Error, ProduceRecord, RawConsumer, RawMessage, Storage, TopicSpec};
use kafi_fs::FsStorage;

fn open(root: &Path) -> FsStorage {
    FsStorage::local_at(root).expect("open local storage")
}

fn spec(partitions: i32) -> TopicSpec {
    TopicSpec {
        partitions,
        ..TopicSpec::default()
    }
}

fn group_options(group: &str) -> ConsumerOptions {
    ConsumerOptions {
        group: group.to_owned(),
        start: StartOffsets::Committed,
        auto_offset_reset: AutoOffsetReset::Earliest,
        enable_auto_commit: false,
        consume_timeout: 0.0,
        session_timeout_ms: 45_000,
    }
}

async fn produce(storage: &FsStorage, topic: &str, batch: usize, range: std::ops::Range<usize>) {
    let mut p = storage
        .producer(
            topic,
            ProducerOptions {
                batch_size: batch,
                flush_timeout: -1.0,
            },
        )
        .await
        .unwrap();
    for i in range {
        p.send(ProduceRecord {
            value: Some(Bytes::from(format!("v{i}"))),
            partition: Some(0),
            ..ProduceRecord::default()
        })
        .await
        .unwrap();
    }
    p.close().await.unwrap();
}

async fn drain(consumer: &mut dyn RawConsumer) -> kafi_core::Result<Vec<RawMessage>> {
    let mut out = Vec::new();
    loop {
        let batch = consumer.poll(1000).await?;
        if batch.is_empty() {
            return Ok(out);
        }
        out.extend(batch);
    }
}

async fn read_all(storage: &FsStorage, topic: &str) -> kafi_core::Result<Vec<i64>> {
    let mut c = storage.consumer(topic, group_options("reader")).await?;
    Ok(drain(c.as_mut()).await?.iter().map(|m| m.offset).collect())
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn meta_dir(root: &Path, topic: &str) -> PathBuf {
    root.join("topics").join(topic).join("meta")
}

fn newest_meta(root: &Path, topic: &str) -> serde_json::Value {
    let newest = files(&meta_dir(root, topic)).pop().unwrap();
    serde_json::from_slice(&std::fs::read(newest).unwrap()).unwrap()
}

fn segment_path(root: &Path, topic: &str, base: i64) -> PathBuf {
    let meta = newest_meta(root, topic);
    root.join("topics")
        .join(topic)
        .join(meta["incarnation"].as_str().unwrap())
        .join("0")
        .join(format!("{base:020}.seg"))
}

fn version_numbers(dir: &Path) -> Vec<u64> {
    files(dir)
        .iter()
        .map(|p| p.file_stem().unwrap().to_str().unwrap().parse().unwrap())
        .collect()
}

/// Every update creates the next version; old versions are deleted oldest
/// first, keeping at least 16; a version is never rewritten.
#[tokio::test]
async fn metadata_versions_are_append_only_and_compacted() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("t", &spec(1)).await.unwrap();
    let mut seen: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for i in 0..100 {
        let entry = BTreeMap::from([(format!("k{i}"), i.to_string())]);
        storage.alter_topic_config("t", &entry).await.unwrap();
        for path in files(&meta_dir(dir.path(), "t")) {
            let number: u64 = path.file_stem().unwrap().to_str().unwrap().parse().unwrap();
            let content = std::fs::read(&path).unwrap();
            let before = seen.entry(number).or_insert_with(|| content.clone());
            assert_eq!(*before, content, "version {number} was rewritten");
        }
    }
    let numbers = version_numbers(&meta_dir(dir.path(), "t"));
    assert_eq!(*numbers.last().unwrap(), 101, "create + 100 updates");
    assert!((16..=32).contains(&numbers.len()), "{numbers:?}");
    let contiguous: Vec<u64> = (numbers[0]..=101).collect();
    assert_eq!(numbers, contiguous);
    assert_eq!(storage.topic_config("t").await.unwrap().len(), 100);
    // Setting what is already set writes nothing.
    let same = BTreeMap::from([("k7".to_owned(), "7".to_owned())]);
    storage.alter_topic_config("t", &same).await.unwrap();
    assert_eq!(
        *version_numbers(&meta_dir(dir.path(), "t")).last().unwrap(),
        101
    );
}

/// Many writers (each its own storage handle, like processes) changing
/// one topic's config, its partition count and one group's commits at
/// once: nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_metadata_updates_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    open(dir.path()).create_topic("t", &spec(1)).await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..12 {
        let root = dir.path().to_owned();
        tasks.push(tokio::spawn(async move {
            let storage = open(&root);
            for round in 0..5 {
                let entry = BTreeMap::from([(format!("w{w}r{round}"), "x".to_owned())]);
                storage.alter_topic_config("t", &entry).await.unwrap();
            }
            if w == 0 {
                storage.set_partition_count("t", 12).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let storage = open(dir.path());
    assert_eq!(storage.topic_config("t").await.unwrap().len(), 60);
    assert_eq!(storage.partition_count("t").await.unwrap(), 12);

    let mut tasks = Vec::new();
    for p in 0..12 {
        let root = dir.path().to_owned();
        tasks.push(tokio::spawn(async move {
            let storage = open(&root);
            for offset in 1..=5 {
                let commit = BTreeMap::from([(p, offset * 100 + p as i64)]);
                storage.commit_offsets("g", "t", &commit).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let expected: BTreeMap<i32, i64> = (0..12).map(|p| (p, 500 + p as i64)).collect();
    assert_eq!(
        storage.committed_offsets("g", Some("t")).await.unwrap(),
        BTreeMap::from([("t".to_owned(), expected)])
    );
}

/// A consumer that committed long ago commits on from the version it
/// knows; if that version has been compacted away meanwhile, its commit
/// must still land on the newest state, not on a re-created old name.
#[tokio::test]
async fn commit_after_compaction_of_the_known_version_is_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("t", &spec(2)).await.unwrap();
    produce(&storage, "t", 10, 0..20).await;
    let mut c = storage.consumer("t", group_options("g")).await.unwrap();
    c.commit(Some(&BTreeMap::from([(0, 1)]))).await.unwrap();
    // Others commit partition 1 forty times: versions 1..=24 get compacted.
    for offset in 1..=40 {
        storage
            .commit_offsets("g", "t", &BTreeMap::from([(1, offset)]))
            .await
            .unwrap();
    }
    let group_dir = dir.path().join("groups/gg/t");
    assert!(!group_dir.join(format!("{:020}.json", 2)).exists());
    c.commit(Some(&BTreeMap::from([(0, 5)]))).await.unwrap();
    assert_eq!(
        storage.committed_offsets("g", Some("t")).await.unwrap()["t"],
        BTreeMap::from([(0, 5), (1, 40)])
    );
    let numbers = version_numbers(&group_dir);
    let contiguous: Vec<u64> = (numbers[0]..=*numbers.last().unwrap()).collect();
    assert_eq!(numbers, contiguous, "a stray old version is left behind");
}

/// A topic deleted and created again is a new incarnation: no old records,
/// no old commits; a producer opened before the deletion fails on close
/// and a consumer opened before it fails instead of ending quietly.
#[tokio::test]
async fn recreated_topic_is_a_new_incarnation() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("t", &spec(1)).await.unwrap();
    produce(&storage, "t", 10, 0..30).await;
    storage
        .commit_offsets("g", "t", &BTreeMap::from([(0, 30)]))
        .await
        .unwrap();
    let mut old_producer = storage
        .producer(
            "t",
            ProducerOptions {
                batch_size: 10,
                flush_timeout: -1.0,
            },
        )
        .await
        .unwrap();
    let mut old_consumer = storage.consumer("t", group_options("r")).await.unwrap();
    assert_eq!(old_consumer.poll(5).await.unwrap().len(), 5);

    storage.delete_topic("t").await.unwrap();
    assert!(!storage.topic_exists("t").await.unwrap());
    assert!(matches!(
        storage.delete_topic("t").await,
        Err(Error::TopicNotFound(_))
    ));
    storage.create_topic("t", &spec(1)).await.unwrap();
    for i in 0..25 {
        old_producer
            .send(ProduceRecord::value(format!("late{i}")))
            .await
            .unwrap();
    }
    let err = old_producer.close().await.unwrap_err().to_string();
    assert!(err.contains("\"t\"") && err.contains("deleted"), "{err}");

    assert_eq!(read_all(&storage, "t").await.unwrap(), Vec::<i64>::new());
    assert_eq!(storage.watermarks("t").await.unwrap()[&0], (0, 0));
    assert!(storage
        .committed_offsets("g", None)
        .await
        .unwrap()
        .is_empty());
    let err = drain(old_consumer.as_mut()).await.unwrap_err().to_string();
    assert!(err.contains("deleted"), "{err}");
    // Only the metadata and the new incarnation's (empty) place remain.
    let topic_dir: Vec<_> = files(&dir.path().join("topics/t"));
    assert_eq!(topic_dir, vec![dir.path().join("topics/t/meta")]);
}

/// A segment that is missing for a moment (as when a listing shows the
/// next segment before this one) is waited for, not skipped.
#[tokio::test]
async fn a_segment_missing_for_a_moment_is_read_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("t", &spec(1)).await.unwrap();
    produce(&storage, "t", 10, 0..30).await;
    let seg = segment_path(dir.path(), "t", 10);
    let aside = dir.path().join("aside");
    std::fs::rename(&seg, &aside).unwrap();
    let mut c = storage.consumer("t", group_options("g")).await.unwrap();
    let back = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        std::fs::rename(&aside, &seg).unwrap();
    });
    let got: Vec<i64> = drain(c.as_mut())
        .await
        .unwrap()
        .iter()
        .map(|m| m.offset)
        .collect();
    back.await.unwrap();
    assert_eq!(got, (0..30).collect::<Vec<_>>());
}

/// A segment that stays missing is an error naming the range; the
/// position (and so any commit) stays before it.
#[tokio::test]
async fn a_missing_segment_is_an_error_and_the_position_stays() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("t", &spec(1)).await.unwrap();
    produce(&storage, "t", 10, 0..50).await;
    std::fs::remove_file(segment_path(dir.path(), "t", 20)).unwrap();
    let mut c = storage.consumer("t", group_options("g")).await.unwrap();
    let err = drain(c.as_mut()).await.unwrap_err().to_string();
    assert!(
        err.contains("offsets 20..30 of topic \"t\" partition 0"),
        "{err}"
    );
    assert!(err.contains("00000000000000000020.seg"), "{err}");
    assert_eq!(c.positions(), BTreeMap::from([(0, 20)]));
    // Starting in the middle of the missing range says so too.
    storage
        .commit_offsets("g2", "t", &BTreeMap::from([(0, 25)]))
        .await
        .unwrap();
    let mut c = storage.consumer("t", group_options("g2")).await.unwrap();
    let err = drain(c.as_mut()).await.unwrap_err().to_string();
    assert!(err.contains("offsets 25..30"), "{err}");
    assert!(err.contains("no segment holds offset 25"), "{err}");
    // Below the low watermark, missing records are deleted ones: no error.
    storage
        .delete_records("t", &BTreeMap::from([(0, 30)]))
        .await
        .unwrap();
    assert_eq!(
        read_all(&storage, "t").await.unwrap(),
        (30..50).collect::<Vec<_>>()
    );
}

/// Records deleted while a consumer reads are moved over, not reported.
#[tokio::test]
async fn records_deleted_during_a_read_are_moved_over() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("t", &spec(1)).await.unwrap();
    produce(&storage, "t", 10, 0..50).await;
    let mut c = storage.consumer("t", group_options("g")).await.unwrap();
    assert_eq!(c.poll(10).await.unwrap().len(), 10);
    storage
        .delete_records("t", &BTreeMap::from([(0, 35)]))
        .await
        .unwrap();
    let got: Vec<i64> = drain(c.as_mut())
        .await
        .unwrap()
        .iter()
        .map(|m| m.offset)
        .collect();
    assert_eq!(got, (35..50).collect::<Vec<_>>());
}

/// Zero-byte segments are corruption errors: readers stop at once, and a
/// producer after an empty last segment fails with the same error.
#[tokio::test]
async fn empty_segments_are_errors_not_loops() {
    for base in [0, 20, 40] {
        let dir = tempfile::tempdir().unwrap();
        let storage = open(dir.path());
        storage.create_topic("t", &spec(1)).await.unwrap();
        produce(&storage, "t", 10, 0..50).await;
        let seg = segment_path(dir.path(), "t", base);
        std::fs::write(&seg, b"").unwrap();
        let read = tokio::time::timeout(Duration::from_secs(10), read_all(&storage, "t"))
            .await
            .expect("reading an empty segment does not finish");
        let err = read.unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
        let shown = err.to_string();
        assert!(
            shown.contains(&seg.display().to_string()) && shown.contains("empty"),
            "{shown}"
        );
        if base == 40 {
            let mut p = storage
                .producer(
                    "t",
                    ProducerOptions {
                        batch_size: 1,
                        flush_timeout: -1.0,
                    },
                )
                .await
                .unwrap();
            let sent =
                tokio::time::timeout(Duration::from_secs(10), p.send(ProduceRecord::value("x")))
                    .await
                    .expect("producing after an empty segment does not finish");
            let shown = sent.unwrap_err().to_string();
            assert!(shown.contains(&seg.display().to_string()), "{shown}");
        }
    }
}
