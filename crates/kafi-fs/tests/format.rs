//! On-disk properties of the local backend, checked against real files in
//! temporary directories (see `docs/storage-format.md`).
//!
//! Some tests spawn this test binary again as a child process to run the
//! `#[ignore]`d helper `writer_child` (selected with
//! `--ignored --exact writer_child`, configured through `KAFI_CHILD_*`
//! environment variables): a real, separately killable writer process.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use kafi_config::AutoOffsetReset;
use kafi_core::partitioner::murmur2_partition;
use kafi_core::storage::{ConsumerOptions, ProducerOptions, StartOffsets};
use kafi_core::{
    Error, Headers, ProduceRecord, RawConsumer, RawMessage, Storage, Timestamp, TimestampType,
    TopicSpec,
};
use kafi_fs::FsStorage;

// ----- helpers ---------------------------------------------------------------

fn open(root: &Path) -> FsStorage {
    FsStorage::local_at(root).expect("open local storage")
}

fn spec(partitions: i32) -> TopicSpec {
    TopicSpec {
        partitions,
        ..TopicSpec::default()
    }
}

fn producer_options(batch_size: usize) -> ProducerOptions {
    ProducerOptions {
        batch_size,
        flush_timeout: -1.0,
    }
}

fn consumer_options(group: &str, start: StartOffsets, reset: AutoOffsetReset) -> ConsumerOptions {
    ConsumerOptions {
        group: group.to_owned(),
        start,
        auto_offset_reset: reset,
        enable_auto_commit: false,
        consume_timeout: 0.0,
        session_timeout_ms: 45_000,
    }
}

fn earliest(group: &str) -> ConsumerOptions {
    consumer_options(group, StartOffsets::Committed, AutoOffsetReset::Earliest)
}

fn explicit(offsets: &[(i32, i64)]) -> ConsumerOptions {
    consumer_options(
        "explicit",
        StartOffsets::Explicit(offsets.iter().copied().collect()),
        AutoOffsetReset::Earliest,
    )
}

fn value_record(partition: i32, value: &str) -> ProduceRecord {
    ProduceRecord {
        value: Some(Bytes::from(value.to_owned())),
        partition: Some(partition),
        ..ProduceRecord::default()
    }
}

/// Produces `values` to partition 0 of `topic` with the given batch size.
async fn produce_values(storage: &FsStorage, topic: &str, batch: usize, values: &[String]) {
    let mut p = storage
        .producer(topic, producer_options(batch))
        .await
        .unwrap();
    for v in values {
        p.send(value_record(0, v)).await.unwrap();
    }
    p.close().await.unwrap();
}

fn values(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("v{i}")).collect()
}

/// Polls until an empty batch; returns everything or the first error.
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

async fn consume_all(storage: &FsStorage, topic: &str) -> kafi_core::Result<Vec<RawMessage>> {
    let mut c = storage.consumer(topic, earliest("reader")).await?;
    drain(c.as_mut()).await
}

fn text(b: &Option<Bytes>) -> String {
    String::from_utf8(b.as_ref().expect("non-null").to_vec()).expect("utf-8")
}

fn offsets_of(messages: &[RawMessage]) -> Vec<i64> {
    messages.iter().map(|m| m.offset).collect()
}

/// The newest metadata version file of a topic.
fn newest_meta_file(root: &Path, topic: &str) -> PathBuf {
    let dir = root.join("topics").join(topic).join("meta");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.pop().expect("a metadata version")
}

fn newest_meta(root: &Path, topic: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(newest_meta_file(root, topic)).unwrap()).unwrap()
}

/// The directory of the topic's segments (its current incarnation).
fn incarnation_dir(root: &Path, topic: &str) -> PathBuf {
    let meta = newest_meta(root, topic);
    let incarnation = meta["incarnation"].as_str().expect("an incarnation");
    root.join("topics").join(topic).join(incarnation)
}

fn partition_dir(root: &Path, topic: &str, partition: i32) -> PathBuf {
    incarnation_dir(root, topic).join(partition.to_string())
}

fn segment_path(root: &Path, topic: &str, partition: i32, base: i64) -> PathBuf {
    partition_dir(root, topic, partition).join(format!("{base:020}.seg"))
}

/// Segment files of a partition, sorted by name.
fn segment_files(root: &Path, topic: &str, partition: i32) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(partition_dir(root, topic, partition))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    files.sort();
    files
}

/// Every file below `dir`, relative to it.
fn all_files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            out.insert(path.strip_prefix(dir).unwrap().to_path_buf());
        }
    }
    out
}

fn assert_corrupt_names(err: &Error, path: &Path) {
    let shown = err.to_string();
    assert!(
        matches!(err, Error::Corrupt { .. }),
        "expected a Corrupt error, got {err:?}"
    );
    assert!(
        shown.contains(&path.display().to_string()),
        "error does not name {}: {shown}",
        path.display()
    );
    assert!(shown.contains("at byte "), "no byte position: {shown}");
}

// ----- child processes -------------------------------------------------------

/// Not a test: the body of the writer processes spawned by the crash and
/// concurrency tests. Without `KAFI_CHILD_ROOT` it does nothing.
#[test]
#[ignore = "helper process for the crash and concurrency tests"]
fn writer_child() {
    let Ok(root) = std::env::var("KAFI_CHILD_ROOT") else {
        return;
    };
    let topic = std::env::var("KAFI_CHILD_TOPIC").unwrap();
    let prefix = std::env::var("KAFI_CHILD_PREFIX").unwrap();
    let batch: usize = std::env::var("KAFI_CHILD_BATCH").unwrap().parse().unwrap();
    // 0 = forever.
    let count: u64 = std::env::var("KAFI_CHILD_COUNT").unwrap().parse().unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let storage = open(Path::new(&root));
            let mut p = storage
                .producer(&topic, producer_options(batch))
                .await
                .unwrap();
            let mut i = 0u64;
            while count == 0 || i < count {
                p.send(value_record(0, &format!("{prefix}-{i}")))
                    .await
                    .unwrap();
                i += 1;
            }
            p.close().await.unwrap();
        });
}

fn spawn_writer(root: &Path, topic: &str, prefix: &str, batch: usize, count: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "writer_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("KAFI_CHILD_ROOT", root)
        .env("KAFI_CHILD_TOPIC", topic)
        .env("KAFI_CHILD_PREFIX", prefix)
        .env("KAFI_CHILD_BATCH", batch.to_string())
        .env("KAFI_CHILD_COUNT", count.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn writer child")
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("writer child did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ----- (a) carbon copy -------------------------------------------------------

#[tokio::test]
async fn carbon_copy_of_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("carbon", &spec(3)).await.unwrap();

    let headers: Headers = vec![
        ("h".into(), Some(Bytes::from_static(b"first"))),
        (
            "bin".into(),
            Some(Bytes::from_static(&[0x00, 0xff, 0xc3, 0x28])),
        ),
        ("h".into(), Some(Bytes::from_static(b"second"))),
        ("null".into(), None),
        ("".into(), Some(Bytes::new())),
        ("h".into(), None),
    ];
    let ts = |kind, millis| Some(Timestamp { kind, millis });
    let rec = |partition: i32,
               key: Option<&[u8]>,
               value: Option<&[u8]>,
               headers: Headers,
               timestamp: Option<Timestamp>| ProduceRecord {
        key: key.map(Bytes::copy_from_slice),
        value: value.map(Bytes::copy_from_slice),
        headers,
        partition: Some(partition),
        timestamp,
    };
    let invalid_utf8: &[u8] = &[0xc3, 0x28, 0xff, 0x00, 0xfe];
    let records = vec![
        // partition 0: nulls, empties, binary, headers, all timestamp types
        rec(
            0,
            None,
            Some(b"plain"),
            vec![],
            ts(TimestampType::CreateTime, 1_700_000_000_123),
        ),
        rec(
            0,
            Some(b""),
            Some(b""),
            headers.clone(),
            ts(TimestampType::CreateTime, 0),
        ),
        rec(
            0,
            Some(invalid_utf8),
            None,
            vec![],
            ts(TimestampType::LogAppendTime, 42),
        ),
        rec(
            0,
            None,
            None,
            vec![("only".into(), None)],
            ts(TimestampType::NotAvailable, -1),
        ),
        rec(
            0,
            Some(b"k"),
            Some(invalid_utf8),
            headers.clone(),
            ts(TimestampType::CreateTime, 5),
        ),
        // partition 2 (partition 1 gets a single record)
        rec(
            2,
            Some(b"x"),
            Some(b"{\"bla\": 1}"),
            vec![],
            ts(TimestampType::LogAppendTime, 7_000),
        ),
        rec(
            2,
            Some(b"x"),
            Some(b"{\"bla\": 2}"),
            vec![],
            ts(TimestampType::LogAppendTime, 7_000),
        ),
        rec(
            2,
            Some(&[0u8; 300]),
            Some(&[1u8; 70_000]),
            vec![],
            ts(TimestampType::CreateTime, i64::MAX / 2),
        ),
        rec(1, Some(b"one"), Some(b"1"), headers.clone(), None),
    ];
    let before = kafi_core::message::now_millis();
    // Batch size 2: records split across several segments and batches.
    let mut p = storage
        .producer("carbon", producer_options(2))
        .await
        .unwrap();
    for r in &records {
        p.send(r.clone()).await.unwrap();
    }
    p.close().await.unwrap();
    let after = kafi_core::message::now_millis();

    let got = consume_all(&storage, "carbon").await.unwrap();
    assert_eq!(got.len(), records.len());
    for partition in 0..3 {
        let expected: Vec<&ProduceRecord> = records
            .iter()
            .filter(|r| r.partition == Some(partition))
            .collect();
        let actual: Vec<&RawMessage> = got.iter().filter(|m| m.partition == partition).collect();
        assert_eq!(actual.len(), expected.len(), "partition {partition}");
        for (i, (m, r)) in actual.iter().zip(&expected).enumerate() {
            assert_eq!(&*m.topic, "carbon");
            assert_eq!(m.offset, i as i64, "partition {partition} offsets from 0");
            assert_eq!(m.key, r.key, "key p{partition}/{i}");
            assert_eq!(m.value, r.value, "value p{partition}/{i}");
            assert_eq!(m.headers, r.headers, "headers p{partition}/{i}");
            match r.timestamp {
                Some(t) => assert_eq!(m.timestamp, t, "timestamp p{partition}/{i}"),
                None => {
                    assert_eq!(m.timestamp.kind, TimestampType::CreateTime);
                    assert!(
                        (before..=after).contains(&m.timestamp.millis),
                        "default timestamp {} not in {before}..={after}",
                        m.timestamp.millis
                    );
                }
            }
        }
    }
    // The watermarks agree with what was read.
    let wm = storage.watermarks("carbon").await.unwrap();
    assert_eq!(wm, BTreeMap::from([(0, (0, 5)), (1, (0, 1)), (2, (0, 3))]));
}

// ----- (b) corruption --------------------------------------------------------

/// Three segments of 10 records each (offsets 0, 10, 20) in partition 0.
async fn three_segments(root: &Path, topic: &str) -> FsStorage {
    let storage = open(root);
    storage.create_topic(topic, &spec(1)).await.unwrap();
    produce_values(&storage, topic, 10, &values(0..30)).await;
    assert_eq!(segment_files(root, topic, 0).len(), 3);
    storage
}

#[tokio::test]
async fn flipped_byte_in_a_segment_is_an_error_naming_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let storage = three_segments(dir.path(), "flip").await;
    let seg = segment_path(dir.path(), "flip", 0, 10);
    let mut data = std::fs::read(&seg).unwrap();
    let last = data.len() - 1;
    data[last] ^= 0x01; // inside the last record's value, covered by the CRC
    std::fs::write(&seg, &data).unwrap();

    // One message per poll: the first segment is delivered, then an error.
    let mut c = storage.consumer("flip", earliest("g")).await.unwrap();
    let mut delivered = Vec::new();
    let err = loop {
        match c.poll(1).await {
            Ok(batch) if batch.is_empty() => panic!("end of data reached: corruption skipped"),
            Ok(batch) => delivered.extend(batch),
            Err(e) => break e,
        }
    };
    assert_eq!(offsets_of(&delivered), (0..10).collect::<Vec<_>>());
    assert_corrupt_names(&err, &seg);
    assert!(err.to_string().contains("checksum"), "{err}");
    // Polling again does not skip past the bad segment.
    let again = c.poll(1000).await;
    assert!(
        again.is_err(),
        "second poll skipped the corrupt segment: {again:?}"
    );
    assert_eq!(c.positions(), BTreeMap::from([(0, 10)]));
    // A whole-topic read fails too.
    let err = consume_all(&storage, "flip").await.unwrap_err();
    assert_corrupt_names(&err, &seg);
}

#[tokio::test]
async fn failed_poll_does_not_advance_past_undelivered_messages() {
    let dir = tempfile::tempdir().unwrap();
    let storage = three_segments(dir.path(), "lost").await;
    let seg = segment_path(dir.path(), "lost", 0, 10);
    let mut data = std::fs::read(&seg).unwrap();
    let last = data.len() - 1;
    data[last] ^= 0x01;
    std::fs::write(&seg, &data).unwrap();

    // A large poll hands out segment 0 (10 messages) and stops at segment 10.
    let mut c = storage.consumer("lost", earliest("g")).await.unwrap();
    let first = c.poll(1000).await.unwrap();
    assert_eq!(offsets_of(&first), (0..10).collect::<Vec<_>>());
    assert_eq!(c.positions(), BTreeMap::from([(0, 10)]));
    // The next poll meets the corruption; the position stays on what was handed out.
    let err = c.poll(1000).await.unwrap_err();
    assert_corrupt_names(&err, &seg);
    assert_eq!(
        c.positions(),
        BTreeMap::from([(0, 10)]),
        "the position moved past messages that were never handed out"
    );
}

#[tokio::test]
async fn truncated_segment_is_an_error_naming_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let storage = three_segments(dir.path(), "trunc").await;
    // A middle segment: the reader hits it while reading.
    let seg = segment_path(dir.path(), "trunc", 0, 10);
    let data = std::fs::read(&seg).unwrap();
    std::fs::write(&seg, &data[..data.len() / 2]).unwrap();
    let err = consume_all(&storage, "trunc").await.unwrap_err();
    assert_corrupt_names(&err, &seg);
    assert!(err.to_string().contains("truncated"), "{err}");

    // The last segment: it gives the high watermark, so opening fails already.
    let last = segment_path(dir.path(), "trunc", 0, 20);
    let data = std::fs::read(&last).unwrap();
    std::fs::write(&last, &data[..30]).unwrap();
    let err = storage.watermarks("trunc").await.unwrap_err();
    assert_corrupt_names(&err, &last);
    let err = consume_all(&storage, "trunc").await.unwrap_err();
    assert_corrupt_names(&err, &last);
}

/// Flips each byte of a small segment in turn: every flip must either be
/// reported as an error or leave the data exactly as written (bytes that
/// carry nothing, like partitionLeaderEpoch). Never wrong data, never a skip.
#[tokio::test]
async fn every_byte_flip_is_detected_or_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let storage = three_segments(dir.path(), "flips").await;
    let original = consume_all(&storage, "flips").await.unwrap();
    let seg = segment_path(dir.path(), "flips", 0, 10);
    let pristine = std::fs::read(&seg).unwrap();
    let mut undetected = Vec::new();
    for i in 0..pristine.len() {
        let mut bad = pristine.clone();
        bad[i] ^= 0x01;
        std::fs::write(&seg, &bad).unwrap();
        match consume_all(&storage, "flips").await {
            Err(e) => assert!(
                e.to_string().contains(&seg.display().to_string()),
                "byte {i}: error does not name the segment: {e}"
            ),
            Ok(got) if got == original => {}
            Ok(got) => undetected.push((i, offsets_of(&got))),
        }
    }
    std::fs::write(&seg, &pristine).unwrap();
    assert!(
        undetected.is_empty(),
        "flips that silently changed what is read (byte, offsets read): {undetected:?}"
    );
}

#[tokio::test]
async fn corrupt_topic_json_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let storage = three_segments(dir.path(), "meta").await;
    let meta = newest_meta_file(dir.path(), "meta");
    std::fs::write(&meta, b"{\"partitions\": oops").unwrap();
    for err in [
        storage.partition_count("meta").await.unwrap_err(),
        consume_all(&storage, "meta").await.unwrap_err(),
        storage
            .producer("meta", producer_options(1))
            .await
            .err()
            .unwrap(),
    ] {
        assert_corrupt_names(&err, &meta);
        assert!(err.to_string().contains("invalid topic metadata"), "{err}");
    }
    // ls reports it rather than hiding the topic.
    assert!(storage.list_topics(None, false).await.is_err());
}

#[tokio::test]
async fn garbage_group_offsets_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let storage = three_segments(dir.path(), "grp").await;
    storage
        .commit_offsets("mygroup", "grp", &BTreeMap::from([(0, 5)]))
        .await
        .unwrap();
    let group_dir = dir.path().join("groups/gmygroup/grp");
    let file = group_dir.join("00000000000000000001.json");
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(state["offsets"], serde_json::json!({"0": 5}));
    std::fs::write(&file, [0xde, 0xad, 0xbe, 0xef]).unwrap();
    let err = storage
        .consumer("grp", earliest("mygroup"))
        .await
        .err()
        .unwrap();
    assert_corrupt_names(&err, &file);
    assert!(
        err.to_string().contains("invalid committed offsets"),
        "{err}"
    );
    let err = storage
        .committed_offsets("mygroup", None)
        .await
        .unwrap_err();
    assert_corrupt_names(&err, &file);
}

// ----- (c) torn writes -------------------------------------------------------

#[tokio::test]
async fn stray_temp_and_partial_files_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let storage = three_segments(dir.path(), "torn").await;
    // What a crashed writer leaves: temp files, one holding half a batch.
    let tmp = dir.path().join(".tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let seg = std::fs::read(segment_path(dir.path(), "torn", 0, 20)).unwrap();
    let mut half = seg.clone();
    half[..8].copy_from_slice(&30i64.to_be_bytes());
    std::fs::write(tmp.join("99999-0.tmp"), &half[..half.len() / 2]).unwrap();
    std::fs::write(tmp.join("99999-1.tmp"), &half).unwrap();
    std::fs::write(tmp.join("99999-2.tmp"), b"").unwrap();
    // And non-segment names next to the segments.
    let pdir = partition_dir(dir.path(), "torn", 0);
    std::fs::write(pdir.join("00000000000000000030.seg.tmp"), &half).unwrap();
    std::fs::write(pdir.join("garbage"), b"xyz").unwrap();

    let got = consume_all(&storage, "torn").await.unwrap();
    assert_eq!(offsets_of(&got), (0..30).collect::<Vec<_>>());
    assert_eq!(storage.watermarks("torn").await.unwrap()[&0], (0, 30));
    assert_eq!(
        storage.list_topics(None, false).await.unwrap().len(),
        1,
        ".tmp is not a topic"
    );
    // Writers carry on after a crash.
    produce_values(&storage, "torn", 10, &values(30..40)).await;
    let got = consume_all(&storage, "torn").await.unwrap();
    assert_eq!(offsets_of(&got), (0..40).collect::<Vec<_>>());
    assert_eq!(text(&got[35].value), "v35");
}

#[tokio::test]
async fn sigkilled_writer_leaves_only_whole_batches() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("crash", &spec(1)).await.unwrap();
    let mut child = spawn_writer(dir.path(), "crash", "C", 100, 0);
    // Wait for the first segment, then let it run ~300 ms.
    let pdir = partition_dir(dir.path(), "crash", 0);
    let start = Instant::now();
    while !pdir.exists() || segment_files(dir.path(), "crash", 0).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "writer child produced nothing"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("writer child exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let got = consume_all(&storage, "crash").await.unwrap();
    assert!(!got.is_empty());
    assert_eq!(got.len() % 100, 0, "{} messages: a torn batch", got.len());
    assert_eq!(offsets_of(&got), (0..got.len() as i64).collect::<Vec<_>>());
    for (i, m) in got.iter().enumerate() {
        assert_eq!(text(&m.value), format!("C-{i}"));
    }
    assert_eq!(
        storage.watermarks("crash").await.unwrap()[&0],
        (0, got.len() as i64)
    );
}

// ----- (d) concurrency -------------------------------------------------------

#[tokio::test]
async fn two_writer_processes_interleave_without_loss_or_duplicates() {
    const N: usize = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("race", &spec(1)).await.unwrap();
    let mut a = spawn_writer(dir.path(), "race", "A", 50, N as u64);
    let mut b = spawn_writer(dir.path(), "race", "B", 50, N as u64);
    let timeout = Duration::from_secs(300);
    assert!(wait_with_timeout(&mut a, timeout).success());
    assert!(wait_with_timeout(&mut b, timeout).success());

    let got = consume_all(&storage, "race").await.unwrap();
    assert_eq!(got.len(), 2 * N);
    assert_eq!(offsets_of(&got), (0..2 * N as i64).collect::<Vec<_>>());
    let mut seen = BTreeSet::new();
    let mut next = BTreeMap::from([("A", 0usize), ("B", 0usize)]);
    for m in &got {
        let v = text(&m.value);
        assert!(seen.insert(v.clone()), "duplicate {v}");
        let (writer, i) = v.split_once('-').unwrap();
        let expected = next.get_mut(writer).expect("A or B");
        assert_eq!(
            i.parse::<usize>().unwrap(),
            *expected,
            "{writer} out of order"
        );
        *expected += 1;
    }
    assert_eq!(next, BTreeMap::from([("A", N), ("B", N)]));
    // Every segment is one writer's whole batch of 50.
    let files = segment_files(dir.path(), "race", 0);
    assert_eq!(files.len(), 2 * N / 50);
}

// ----- (e) reading cost ------------------------------------------------------

#[tokio::test]
async fn reading_near_the_end_does_not_touch_early_segments() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("many", &spec(1)).await.unwrap();
    produce_values(&storage, "many", 10, &values(0..2000)).await;
    assert_eq!(segment_files(dir.path(), "many", 0).len(), 200);

    let read_from = |offset: i64| {
        let storage = storage.clone();
        async move {
            let mut c = storage.consumer("many", explicit(&[(0, offset)])).await?;
            drain(c.as_mut()).await
        }
    };
    let got = read_from(1995).await.unwrap();
    assert_eq!(offsets_of(&got), (1995..2000).collect::<Vec<_>>());
    assert_eq!(text(&got[0].value), "v1995");
    let got = read_from(1990).await.unwrap(); // a segment boundary
    assert_eq!(offsets_of(&got), (1990..2000).collect::<Vec<_>>());
    assert_eq!(
        offsets_of(&read_from(2000).await.unwrap()),
        Vec::<i64>::new()
    );

    // Remove some early segments and replace another with garbage: reading
    // from a late offset is unaffected, so the reader never rescans them.
    for base in [0, 10, 500] {
        std::fs::remove_file(segment_path(dir.path(), "many", 0, base)).unwrap();
    }
    std::fs::write(segment_path(dir.path(), "many", 0, 1000), b"garbage").unwrap();
    let got = read_from(1995).await.unwrap();
    assert_eq!(offsets_of(&got), (1995..2000).collect::<Vec<_>>());
    assert_eq!(
        got.iter().map(|m| text(&m.value)).collect::<Vec<_>>(),
        values(1995..2000)
    );
    let got = read_from(1503).await.unwrap();
    assert_eq!(offsets_of(&got), (1503..2000).collect::<Vec<_>>());
    // Whereas reading through the garbage fails.
    assert!(read_from(995).await.is_err());
}

/// `StartOffsets::Explicit` documents negative offsets as counting from the
/// high watermark with `-1` = the last message.
#[tokio::test]
async fn negative_explicit_offsets_count_from_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let storage = three_segments(dir.path(), "neg").await;
    for (offset, expected) in [(-1, 29..30), (-3, 27..30), (-30, 0..30)] {
        let mut c = storage
            .consumer("neg", explicit(&[(0, offset)]))
            .await
            .unwrap();
        let got = drain(c.as_mut()).await.unwrap();
        assert_eq!(
            offsets_of(&got),
            expected.collect::<Vec<_>>(),
            "start offset {offset} (-1 = last message)"
        );
    }
}

// ----- (f) object-store friendliness -----------------------------------------

#[derive(Debug, PartialEq, Eq)]
struct FileState {
    modified: SystemTime,
    len: u64,
    content: Vec<u8>,
}

fn snapshot(files: &[PathBuf]) -> BTreeMap<PathBuf, FileState> {
    files
        .iter()
        .map(|p| {
            let meta = std::fs::metadata(p).unwrap();
            (
                p.clone(),
                FileState {
                    modified: meta.modified().unwrap(),
                    len: meta.len(),
                    content: std::fs::read(p).unwrap(),
                },
            )
        })
        .collect()
}

#[tokio::test]
async fn segments_are_immutable_and_named_by_their_base_offset() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("imm", &spec(1)).await.unwrap();
    let mut history: BTreeMap<PathBuf, FileState> = BTreeMap::new();
    let mut produced = 0;
    for round in 0..5 {
        // Batches of 7, each round's last batch is partial (flushed on close).
        let n = 10 + round * 3;
        produce_values(&storage, "imm", 7, &values(produced..produced + n)).await;
        produced += n;
        let now = snapshot(&segment_files(dir.path(), "imm", 0));
        for (path, state) in &history {
            assert_eq!(now.get(path), Some(state), "{} changed", path.display());
        }
        assert!(now.len() > history.len());
        history = now;
        // Let mtimes move on so a rewrite would be visible.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Names are base offsets, and segments chain: each starts where the last ended.
    let mut expected_base = 0;
    for (path, state) in &history {
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_eq!(name.len(), 24, "20 digits + .seg: {name}");
        let base: i64 = name.trim_end_matches(".seg").parse().unwrap();
        assert_eq!(base, expected_base, "{name}");
        let inside = i64::from_be_bytes(state.content[..8].try_into().unwrap());
        assert_eq!(inside, base, "{name}: base offset inside");
        let headers = kafi_fs::batch::headers(&state.content, base).unwrap();
        assert_eq!(headers[0].base_offset, base);
        for pair in headers.windows(2) {
            assert_eq!(pair[1].base_offset, pair[0].next_offset());
        }
        expected_base = headers.last().unwrap().next_offset();
    }
    assert_eq!(expected_base, produced as i64);
    let got = consume_all(&storage, "imm").await.unwrap();
    assert_eq!(
        got.iter().map(|m| text(&m.value)).collect::<Vec<_>>(),
        values(0..produced)
    );
}

// ----- topics, records, times, groups ----------------------------------------

#[tokio::test]
async fn invalid_topic_names_create_nothing() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let storage = open(&root);
    storage.create_topic("ok", &spec(1)).await.unwrap();
    let before_root = all_files(&root);
    for bad in ["../x", "a/b", "", ".", "..", "../../etc/passwd", "x\\y"] {
        let err = storage.create_topic(bad, &spec(1)).await.unwrap_err();
        assert!(
            err.to_string().contains("invalid topic name"),
            "{bad:?}: {err}"
        );
        assert!(storage.producer(bad, producer_options(1)).await.is_err());
        assert!(storage.consumer(bad, earliest("g")).await.is_err());
    }
    assert_eq!(all_files(&root), before_root);
    let outside: Vec<_> = std::fs::read_dir(outer.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, vec![std::ffi::OsString::from("root")]);
}

#[tokio::test]
async fn delete_records_raises_the_low_watermark() {
    let dir = tempfile::tempdir().unwrap();
    let storage = three_segments(dir.path(), "del").await;
    let low = storage
        .delete_records("del", &BTreeMap::from([(0, 15)]))
        .await
        .unwrap();
    assert_eq!(low, BTreeMap::from([(0, 15)]));
    assert_eq!(storage.watermarks("del").await.unwrap()[&0], (15, 30));
    assert_eq!(newest_meta(dir.path(), "del")["low_watermarks"]["0"], 15);
    // Whole segments below it are gone, the one holding 15 stays.
    assert!(!segment_path(dir.path(), "del", 0, 0).exists());
    assert!(segment_path(dir.path(), "del", 0, 10).exists());
    let got = consume_all(&storage, "del").await.unwrap();
    assert_eq!(offsets_of(&got), (15..30).collect::<Vec<_>>());
    assert_eq!(text(&got[0].value), "v15");
    // Explicit offsets below it are clamped up.
    let mut c = storage.consumer("del", explicit(&[(0, 3)])).await.unwrap();
    assert_eq!(drain(c.as_mut()).await.unwrap()[0].offset, 15);
    // Lowering is a no-op; beyond the end is an error; -1 deletes everything.
    let low = storage
        .delete_records("del", &BTreeMap::from([(0, 5)]))
        .await
        .unwrap();
    assert_eq!(low[&0], 15);
    assert!(storage
        .delete_records("del", &BTreeMap::from([(0, 31)]))
        .await
        .is_err());
    let low = storage
        .delete_records("del", &BTreeMap::from([(0, -1)]))
        .await
        .unwrap();
    assert_eq!(low[&0], 30);
    assert_eq!(storage.watermarks("del").await.unwrap()[&0], (30, 30));
    assert!(consume_all(&storage, "del").await.unwrap().is_empty());
    // New messages continue the offsets.
    produce_values(&storage, "del", 10, &values(30..32)).await;
    assert_eq!(
        offsets_of(&consume_all(&storage, "del").await.unwrap()),
        vec![30, 31]
    );
}

#[tokio::test]
async fn offsets_for_times_finds_first_offset_at_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("times", &spec(2)).await.unwrap();
    let mut p = storage
        .producer("times", producer_options(2))
        .await
        .unwrap();
    for (i, t) in [1000, 2000, 3000, 4000, 5000].into_iter().enumerate() {
        p.send(ProduceRecord {
            value: Some(Bytes::from(format!("{i}"))),
            partition: Some(0),
            timestamp: Some(Timestamp::create_time(t)),
            ..ProduceRecord::default()
        })
        .await
        .unwrap();
    }
    p.close().await.unwrap();
    let q = |p0: i64| BTreeMap::from([(0, p0), (1, 0)]);
    let found = storage.offsets_for_times("times", &q(0)).await.unwrap();
    assert_eq!(found, BTreeMap::from([(0, Some(0)), (1, None)]));
    assert_eq!(
        storage.offsets_for_times("times", &q(2000)).await.unwrap()[&0],
        Some(1)
    );
    assert_eq!(
        storage.offsets_for_times("times", &q(2001)).await.unwrap()[&0],
        Some(2)
    );
    assert_eq!(
        storage.offsets_for_times("times", &q(5000)).await.unwrap()[&0],
        Some(4)
    );
    assert_eq!(
        storage.offsets_for_times("times", &q(5001)).await.unwrap()[&0],
        None
    );
    // Deleted records are not found.
    storage
        .delete_records("times", &BTreeMap::from([(0, 3)]))
        .await
        .unwrap();
    assert_eq!(
        storage.offsets_for_times("times", &q(0)).await.unwrap()[&0],
        Some(3)
    );
    assert!(storage
        .offsets_for_times("times", &BTreeMap::from([(2, 0)]))
        .await
        .is_err());
}

#[tokio::test]
async fn partition_count_only_increases() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("parts", &spec(3)).await.unwrap();
    for bad in [2, 3, 0, -1] {
        let err = storage.set_partition_count("parts", bad).await.unwrap_err();
        assert!(err.to_string().contains("only be increased"), "{err}");
    }
    assert_eq!(storage.partition_count("parts").await.unwrap(), 3);
    storage.set_partition_count("parts", 5).await.unwrap();
    assert_eq!(storage.partition_count("parts").await.unwrap(), 5);
    assert_eq!(newest_meta(dir.path(), "parts")["partitions"], 5);
    assert_eq!(storage.watermarks("parts").await.unwrap().len(), 5);
    // The new partition takes messages.
    let mut p = storage
        .producer("parts", producer_options(1))
        .await
        .unwrap();
    p.send(value_record(4, "new")).await.unwrap();
    p.close().await.unwrap();
    assert_eq!(storage.watermarks("parts").await.unwrap()[&4], (0, 1));
    // Creating again fails; 0 partitions fails.
    assert!(matches!(
        storage.create_topic("parts", &spec(1)).await,
        Err(Error::TopicExists(_))
    ));
    assert!(storage.create_topic("zero", &spec(0)).await.is_err());
}

#[tokio::test]
async fn watermarks_follow_produce_per_partition() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("wm", &spec(3)).await.unwrap();
    assert_eq!(
        storage.watermarks("wm").await.unwrap(),
        BTreeMap::from([(0, (0, 0)), (1, (0, 0)), (2, (0, 0))])
    );
    let mut p = storage.producer("wm", producer_options(4)).await.unwrap();
    for i in 0..10 {
        p.send(value_record(0, &format!("{i}"))).await.unwrap();
    }
    for i in 0..3 {
        p.send(value_record(2, &format!("{i}"))).await.unwrap();
    }
    p.close().await.unwrap();
    assert_eq!(
        storage.watermarks("wm").await.unwrap(),
        BTreeMap::from([(0, (0, 10)), (1, (0, 0)), (2, (0, 3))])
    );
    let listed = storage.list_topics(Some("w*"), true).await.unwrap();
    let parts = listed[0].partitions.as_ref().unwrap();
    assert_eq!(parts[0].high, 10);
    let seg_bytes: u64 = segment_files(dir.path(), "wm", 0)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert_eq!(parts[0].size_bytes, Some(seg_bytes));
    assert_eq!(parts[1].size_bytes, Some(0));
}

#[tokio::test]
async fn consumer_groups_commit_list_describe_delete() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("gt", &spec(2)).await.unwrap();
    let mut p = storage.producer("gt", producer_options(100)).await.unwrap();
    for i in 0..6 {
        p.send(value_record(i % 2, &format!("{i}"))).await.unwrap();
    }
    p.close().await.unwrap();

    let group = "team/../a b";
    let mut c = storage.consumer("gt", earliest(group)).await.unwrap();
    let first = c.poll(2).await.unwrap();
    assert_eq!(first.len(), 2);
    c.commit(None).await.unwrap();
    let committed = c.positions();
    assert_eq!(committed.values().sum::<i64>(), 2);
    c.close().await.unwrap();

    // The encoded group directory stays inside groups/.
    let file = dir
        .path()
        .join("groups/gteam%2F%2E%2E%2Fa%20b/gt/00000000000000000001.json");
    assert!(file.exists(), "{}", file.display());
    assert_eq!(
        storage.committed_offsets(group, None).await.unwrap(),
        BTreeMap::from([("gt".to_owned(), committed.clone())])
    );
    assert_eq!(storage.list_groups().await.unwrap(), vec![group.to_owned()]);
    let d = storage.describe_group(group).await.unwrap();
    assert_eq!(d.group, group);
    assert_eq!(d.topics, vec!["gt".to_owned()]);

    // A new consumer of the group continues after the committed offsets.
    let mut c = storage.consumer("gt", earliest(group)).await.unwrap();
    let rest = drain(c.as_mut()).await.unwrap();
    assert_eq!(rest.len(), 4);
    for m in &rest {
        assert!(m.offset >= committed[&m.partition]);
    }
    // Explicit commits merge per partition.
    storage
        .commit_offsets(group, "gt", &BTreeMap::from([(1, 3)]))
        .await
        .unwrap();
    let now = storage.committed_offsets(group, Some("gt")).await.unwrap();
    assert_eq!(now["gt"][&1], 3);
    assert_eq!(now["gt"][&0], committed[&0]);
    assert!(storage
        .commit_offsets(group, "gt", &BTreeMap::from([(2, 0)]))
        .await
        .is_err());

    storage.delete_group(group).await.unwrap();
    assert!(storage.list_groups().await.unwrap().is_empty());
    assert!(matches!(
        storage.describe_group(group).await,
        Err(Error::GroupNotFound(_))
    ));
    assert!(matches!(
        storage.delete_group(group).await,
        Err(Error::GroupNotFound(_))
    ));
}

#[tokio::test]
async fn auto_offset_reset_latest_reads_nothing_old() {
    let dir = tempfile::tempdir().unwrap();
    let storage = three_segments(dir.path(), "late").await;
    let mut c = storage
        .consumer(
            "late",
            consumer_options("fresh", StartOffsets::Committed, AutoOffsetReset::Latest),
        )
        .await
        .unwrap();
    assert!(c.poll(1000).await.unwrap().is_empty());
    assert_eq!(c.positions(), BTreeMap::from([(0, 30)]));
    produce_values(&storage, "late", 10, &values(30..33)).await;
    let got = drain(c.as_mut()).await.unwrap();
    assert_eq!(offsets_of(&got), vec![30, 31, 32]);
    // A committed offset wins over latest.
    storage
        .commit_offsets("old", "late", &BTreeMap::from([(0, 28)]))
        .await
        .unwrap();
    let mut c = storage
        .consumer(
            "late",
            consumer_options("old", StartOffsets::Committed, AutoOffsetReset::Latest),
        )
        .await
        .unwrap();
    assert_eq!(
        offsets_of(&drain(c.as_mut()).await.unwrap()),
        vec![28, 29, 30, 31, 32]
    );
}

#[tokio::test]
async fn keyed_records_use_the_java_default_partitioner() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.create_topic("keys", &spec(6)).await.unwrap();
    let mut p = storage.producer("keys", producer_options(1)).await.unwrap();
    for key in ["21", "foobar"] {
        p.send(ProduceRecord::value("v").with_key(key))
            .await
            .unwrap();
    }
    p.close().await.unwrap();
    // Java: Utils.toPositive(Utils.murmur2(key)) % numPartitions.
    let java = |h: i32| (h & 0x7fff_ffff) % 6;
    let expected = BTreeMap::from([
        ("21".to_owned(), java(-973_932_308)),
        ("foobar".to_owned(), java(-790_332_482)),
    ]);
    assert_eq!(expected["21"], murmur2_partition(b"21", 6));
    assert_eq!(expected["foobar"], murmur2_partition(b"foobar", 6));
    let got: BTreeMap<String, i32> = consume_all(&storage, "keys")
        .await
        .unwrap()
        .iter()
        .map(|m| (text(&m.key), m.partition))
        .collect();
    assert_eq!(got, expected);
    // And the segment files are where the partitioner put them.
    for partition in 0..6 {
        let keys = expected.values().filter(|p| **p == partition).count();
        let dir_exists = partition_dir(dir.path(), "keys", partition).exists();
        let files = if dir_exists {
            segment_files(dir.path(), "keys", partition).len()
        } else {
            0
        };
        assert_eq!(files, keys, "partition {partition}");
    }
}
