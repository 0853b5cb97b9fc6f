//! Data safety of the local storage, end to end on the real `kafi` binary:
//! readers racing writers, concurrent metadata changes from several
//! processes, topic deletion during a produce, damaged and hostile files
//! below the storage root. See `docs/storage-format.md`.

#[path = "data_safety/processes.rs"]
mod processes;
mod support;

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use processes::{
    args, read_in_background, run_together, run_within, spawn_with_stdin, wait_within,
};
use serde_json::{json, Value};
use support::{Run, TestEnv};

// ----- helpers ---------------------------------------------------------------

/// An environment whose `local` storage writes segments of `batch` records.
fn env_with_batch(batch: usize) -> TestEnv {
    let env = TestEnv::new();
    env.write(
        "local.yaml",
        format!("local:\n  root.dir: data\nkafi:\n  produce.batch.size: {batch}\n"),
    );
    env
}

/// `{"i":n}` lines for `range`.
fn json_lines(range: std::ops::Range<usize>) -> String {
    range.map(|i| format!("{{\"i\":{i}}}\n")).collect()
}

fn offsets(run: &Run) -> Vec<i64> {
    run.json_lines()
        .iter()
        .map(|m| m["offset"].as_i64().expect("an offset"))
        .collect()
}

/// The newest metadata version file of `topic` below `root`.
fn newest_meta_file(root: &Path, topic: &str) -> PathBuf {
    let dir = root.join("topics").join(topic).join("meta");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.pop().expect("a metadata version")
}

fn newest_meta(root: &Path, topic: &str) -> Value {
    serde_json::from_slice(&std::fs::read(newest_meta_file(root, topic)).unwrap()).unwrap()
}

/// Writes `meta` as the version after the newest one (as a writer would).
fn write_next_meta(root: &Path, topic: &str, meta: &Value) -> PathBuf {
    let newest = newest_meta_file(root, topic);
    let number: u64 = newest
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let next = newest.with_file_name(format!("{:020}.json", number + 1));
    std::fs::write(&next, serde_json::to_vec_pretty(meta).unwrap()).unwrap();
    next
}

fn segment_file(root: &Path, topic: &str, partition: i32, base: i64) -> PathBuf {
    let meta = newest_meta(root, topic);
    root.join("topics")
        .join(topic)
        .join(meta["incarnation"].as_str().unwrap())
        .join(partition.to_string())
        .join(format!("{base:020}.seg"))
}

// ----- reading while writing -------------------------------------------------

/// A group consumer run in a loop while a producer writes must, over all
/// runs, read every offset exactly once, in order: a run never skips a
/// segment, so the group is never committed past one. Runs on the disk
/// holding the build directory (a real file system, not tmpfs: on ext4 a
/// listing taken while segments are created can show segment N+1 but not
/// N). 6,000 segments were enough to lose records in every trial before
/// readers stopped trusting listings.
#[test]
fn group_reader_following_a_writer_reads_every_offset_once() {
    const N: usize = 60_000;
    let disk = tempfile::Builder::new()
        .prefix("kafi-disk")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let env = TestEnv::new();
    env.write(
        "disk.yaml",
        format!(
            "local:\n  root.dir: {}\nkafi:\n  produce.batch.size: 10\n",
            disk.path().display()
        ),
    );
    env.ok(&["touch", "local:disk", "t"]);
    let (mut producer, stdin) = spawn_with_stdin(&env, &["produce", "local:disk", "t"]);
    let feeder = std::thread::spawn(move || {
        let mut out = BufWriter::new(stdin);
        for i in 0..N {
            // A producer that fails stops reading: its exit code tells.
            if writeln!(out, "{{\"i\":{i}}}").is_err() {
                return;
            }
            if i % 10 == 9 {
                if out.flush().is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    });
    let mut read = Vec::new();
    let mut runs = 0;
    let start = Instant::now();
    loop {
        let done = producer.try_wait().unwrap().is_some();
        let run = env.ok(&["cat", "local:disk", "t", "--group", "fg"]);
        read.extend(offsets(&run));
        runs += 1;
        if done {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the producer hangs"
        );
    }
    feeder.join().unwrap();
    assert_eq!(producer.wait().unwrap().code(), Some(0));
    assert!(runs > 2, "the readers did not overlap the writer");
    let expected: Vec<i64> = (0..N as i64).collect();
    if read != expected {
        let mut seen = BTreeMap::new();
        for o in &read {
            *seen.entry(*o).or_insert(0) += 1;
        }
        let missing: Vec<i64> = expected
            .iter()
            .filter(|o| !seen.contains_key(o))
            .copied()
            .collect();
        let repeated: Vec<i64> = seen
            .iter()
            .filter(|(_, &c)| c > 1)
            .map(|(o, _)| *o)
            .collect();
        panic!(
            "{runs} runs read {} offsets: {} missing (first {:?}), {} repeated (first {:?})",
            read.len(),
            missing.len(),
            &missing[..missing.len().min(20)],
            repeated.len(),
            &repeated[..repeated.len().min(20)]
        );
    }
    assert_eq!(
        env.ok(&["group-offsets", "local:disk", "fg", "--json"])
            .json(),
        json!({"fg": {"t": {"0": N}}})
    );
}

/// A segment missing inside a partition (not below the low watermark) is
/// an error naming the offset range, and readers of a group do not commit
/// past it.
#[test]
fn missing_middle_segment_is_an_error_and_never_committed_past() {
    let env = env_with_batch(10);
    env.ok(&["touch", "local:local", "t"]);
    env.ok_stdin(&["produce", "local:local", "t"], json_lines(0..100));
    let root = env.path("data");
    std::fs::remove_file(segment_file(&root, "t", 0, 30)).unwrap();

    let needles = [
        "offsets 30..40",
        "\"t\" partition 0",
        "00000000000000000030.seg",
    ];
    let run = env.run(&["cat", "local:local", "t"]).error(3, &needles);
    assert_eq!(offsets(&run), (0..30).collect::<Vec<_>>());
    env.run(&["wc", "local:local", "t"]).error(3, &needles);
    // The watermarks still tell the truth: the range was never deleted.
    assert_eq!(
        env.ok(&["watermarks", "local:local", "t", "--json"]).json(),
        json!({"t": {"0": [0, 100]}})
    );
    let run = env
        .run(&["cat", "local:local", "t", "--group", "g"])
        .error(3, &needles);
    assert_eq!(offsets(&run).len(), 30);
    env.run(&[
        "cp",
        "local:local",
        "t",
        "local:local",
        "copy",
        "--group",
        "g2",
    ])
    .error(3, &needles);
    assert_eq!(
        env.ok(&["group-offsets", "local:local", "--json"]).json(),
        json!({"g": {"t": {"0": 30}}, "g2": {"t": {"0": 30}}})
    );
    // Reading again still stops at the gap.
    let run = env
        .run(&["cat", "local:local", "t", "--group", "g"])
        .error(3, &needles);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

// ----- concurrent metadata changes -------------------------------------------

/// Concurrent `config --set` from several processes: every key arrives.
#[test]
fn concurrent_config_changes_lose_nothing() {
    let env = TestEnv::new();
    for round in 0..4 {
        let topic = format!("cfg{round}");
        env.ok(&["touch", "local:local", &topic]);
        let commands: Vec<Vec<String>> = (0..6)
            .map(|i| {
                args(&[
                    "config",
                    "local:local",
                    &topic,
                    "--set",
                    &format!("k{i}=v{i}"),
                ])
            })
            .collect();
        run_together(&env, &commands);
        let expected: serde_json::Map<String, Value> = (0..6)
            .map(|i| (format!("k{i}"), json!(format!("v{i}"))))
            .collect();
        assert_eq!(
            env.ok(&["config", "local:local", &topic, "--json"]).json(),
            json!({ topic.clone(): expected }),
            "round {round}"
        );
    }
}

/// Concurrent `set-group-offsets` of one group and topic on different
/// partitions: every partition's offset arrives.
#[test]
fn concurrent_group_commits_on_different_partitions_lose_nothing() {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "t", "--partitions", "6"]);
    for round in 0..4 {
        let group = format!("g{round}");
        let commands: Vec<Vec<String>> = (0..6)
            .map(|p| {
                args(&[
                    "set-group-offsets",
                    "local:local",
                    &group,
                    "t",
                    "--offsets",
                    &format!("{p}={}", p + 10 * round),
                ])
            })
            .collect();
        run_together(&env, &commands);
        let expected: serde_json::Map<String, Value> = (0..6)
            .map(|p| (p.to_string(), json!(p + 10 * round)))
            .collect();
        assert_eq!(
            env.ok(&["group-offsets", "local:local", &group, "--json"])
                .json(),
            json!({ group.clone(): {"t": expected} }),
            "round {round}"
        );
    }
}

/// `partitions --set` racing `config --set`: neither change is lost, and
/// records written to the new partitions stay visible.
#[test]
fn partition_increase_racing_config_changes_loses_nothing() {
    let env = TestEnv::new();
    for round in 0..4 {
        let topic = format!("grow{round}");
        env.ok(&["touch", "local:local", &topic]);
        let mut commands = vec![args(&["partitions", "local:local", &topic, "--set", "4"])];
        commands.extend((0..3).map(|i| {
            args(&[
                "config",
                "local:local",
                &topic,
                "--set",
                &format!("k{i}=v{i}"),
            ])
        }));
        run_together(&env, &commands);
        assert_eq!(
            env.ok(&["partitions", "local:local", &topic, "--json"])
                .json(),
            json!({ topic.clone(): 4 }),
            "round {round}"
        );
        let config = env.ok(&["config", "local:local", &topic, "--json"]).json();
        assert_eq!(
            config[&topic].as_object().unwrap().len(),
            3,
            "round {round}: {config}"
        );
        env.ok(&[
            "produce",
            "local:local",
            &topic,
            "--partition",
            "3",
            "{\"p\":3}",
        ]);
        // Another config change must not take the new partition away.
        env.ok(&["config", "local:local", &topic, "--set", "late=1"]);
        let messages = env.cat(&["local:local", &topic]);
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0]["partition"], 3);
    }
}

// ----- deleting a topic while it is written ----------------------------------

/// `rm` during a `produce`: `rm` succeeds at once, the producer fails
/// clearly (it checks its topic at least every second and on close), and a
/// topic created later under the same name never shows the old records.
#[test]
fn rm_during_produce_is_atomic() {
    let env = env_with_batch(10);
    env.ok(&["touch", "local:local", "t"]);
    let (mut producer, stdin) = spawn_with_stdin(&env, &["produce", "local:local", "t"]);
    let stderr = read_in_background(producer.stderr.take().unwrap());
    let feeder = std::thread::spawn(move || {
        let mut out = BufWriter::new(stdin);
        // Until the producer exits (EPIPE).
        for i in 0.. {
            if writeln!(out, "{{\"i\":{i}}}").is_err() || (i % 10 == 9 && out.flush().is_err()) {
                return;
            }
        }
    });
    let start = Instant::now();
    loop {
        let marks = env.ok(&["watermarks", "local:local", "t", "--json"]).json();
        if marks["t"]["0"][1].as_i64().unwrap() >= 2000 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "nothing produced"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let old_incarnation = newest_meta(&env.path("data"), "t")["incarnation"]
        .as_str()
        .unwrap()
        .to_owned();
    env.ok(&["rm", "local:local", "t"]);
    env.run(&["exists", "local:local", "t"]).code(1);
    let code = wait_within(&mut producer, "the producer", Duration::from_secs(20));
    feeder.join().unwrap();
    let stderr = stderr.join().unwrap();
    assert_eq!(code, 3, "the producer did not fail: {stderr}");
    assert!(
        stderr.contains("\"t\"") && stderr.contains("deleted"),
        "unclear error: {stderr}"
    );

    env.ok(&["touch", "local:local", "t"]);
    assert_eq!(
        env.ok(&["wc", "local:local", "t", "--json"]).json()["messages"],
        0
    );
    assert_eq!(env.cat(&["local:local", "t"]).len(), 0);
    // The failed producer removed what it wrote after the deletion.
    let old = env.path(&format!("data/topics/t/{old_incarnation}"));
    assert!(!old.exists(), "{} is left behind", old.display());
}

// ----- damaged files and hostile metadata ------------------------------------

/// Zero-byte segments (first, middle, last) are errors naming the file,
/// promptly: no endless loop in readers, and no "too many concurrent
/// writers" from a producer.
#[test]
fn zero_byte_segments_are_errors_naming_the_file() {
    let timeout = Duration::from_secs(20);
    for base in [0, 50, 90] {
        let env = env_with_batch(10);
        env.ok(&["touch", "local:local", "t"]);
        env.ok_stdin(&["produce", "local:local", "t"], json_lines(0..100));
        let seg = segment_file(&env.path("data"), "t", 0, base);
        std::fs::write(&seg, b"").unwrap();
        let name = format!("{base:020}.seg");
        let needles = ["corrupt", name.as_str(), "empty segment"];
        let run = run_within(&env, &["cat", "local:local", "t"], "", timeout).error(3, &needles);
        // A damaged last segment fails already when the end is computed.
        let delivered = if base == 90 { 0 } else { base };
        assert_eq!(offsets(&run), (0..delivered).collect::<Vec<_>>());
        run_within(&env, &["wc", "local:local", "t"], "", timeout).error(3, &needles);
        if base == 90 {
            run_within(
                &env,
                &["produce", "local:local", "t"],
                "{\"more\":1}\n",
                timeout,
            )
            .error(3, &needles);
        }
    }
}

/// Metadata read from storage is validated: errors name the file and the
/// field, and nothing hangs or reads as an empty topic.
#[test]
fn bad_topic_metadata_is_an_error_naming_file_and_field() {
    let timeout = Duration::from_secs(20);
    let env = env_with_batch(10);
    env.ok(&["touch", "local:local", "t"]);
    env.ok_stdin(&["produce", "local:local", "t"], json_lines(0..100));
    let root = env.path("data");
    let good = newest_meta(&root, "t");
    let cases = [
        ("partitions", json!(2_000_000_000)),
        ("partitions", json!(0)),
        ("partitions", json!(-1)),
        ("incarnation", json!("../../escape")),
        ("low_watermarks", json!({"0": 500})),
        ("low_watermarks", json!({"0": -3})),
        ("low_watermarks", json!({"7": 1})),
    ];
    for (field, value) in cases {
        let mut bad = good.clone();
        bad[field] = value.clone();
        let file = write_next_meta(&root, "t", &bad);
        let name = file.file_name().unwrap().to_str().unwrap().to_owned();
        for command in [
            vec!["cat", "local:local", "t"],
            vec!["watermarks", "local:local", "t"],
            vec!["ls", "local:local", "-l"],
            vec!["produce", "local:local", "t", "{\"x\":1}"],
        ] {
            let run = run_within(&env, &command, "", timeout);
            assert!(
                run.stdout.is_empty(),
                "{field}={value}: {command:?} printed {}",
                run.stdout
            );
            run.error(3, &["corrupt", "topic metadata", &name, field]);
        }
        std::fs::remove_file(&file).unwrap();
    }
    assert_eq!(env.cat(&["local:local", "t"]).len(), 100);
}

/// A negative committed offset is refused, and one found in storage is
/// an error naming the file and field.
#[test]
fn negative_committed_offsets_are_errors() {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "t"]);
    env.run(&[
        "set-group-offsets",
        "local:local",
        "g",
        "t",
        "--offsets",
        "0=-7",
    ])
    .error(2, &["-7", "partition 0"]);
    assert_eq!(
        env.ok(&["groups", "local:local", "--json"]).json(),
        json!([])
    );
    env.ok(&[
        "set-group-offsets",
        "local:local",
        "g",
        "t",
        "--offsets",
        "0=0",
    ]);
    let file = env.path("data/groups/gg/t/00000000000000000001.json");
    let mut state: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    state["offsets"]["0"] = json!(-7);
    std::fs::write(&file, serde_json::to_vec(&state).unwrap()).unwrap();
    env.run(&["group-offsets", "local:local", "g"]).error(
        3,
        &["corrupt", "00000000000000000001.json", "offsets.0", "-7"],
    );
    env.run(&["cat", "local:local", "t", "--group", "g"])
        .error(3, &["corrupt", "00000000000000000001.json", "offsets.0"]);
}

// ----- contention, temporary files, the root ---------------------------------

/// Four producers on one partition, one record per segment: all finish,
/// and the partition holds their 40,000 records contiguously, each
/// producer's in its order.
#[test]
fn four_producers_at_batch_size_one_all_finish() {
    const PER: usize = 10_000;
    let env = env_with_batch(1);
    env.ok(&["touch", "local:local", "t"]);
    let producers: Vec<(Child, JoinHandle<()>, JoinHandle<String>)> = (0..4)
        .map(|w| {
            let (mut child, stdin) = spawn_with_stdin(&env, &["produce", "local:local", "t"]);
            let stderr = read_in_background(child.stderr.take().unwrap());
            let feeder = std::thread::spawn(move || {
                let mut out = BufWriter::new(stdin);
                for i in 0..PER {
                    // A producer that fails stops reading: its exit code tells.
                    if writeln!(out, "{{\"w\":{w},\"i\":{i}}}").is_err() {
                        return;
                    }
                }
                let _ = out.flush();
            });
            (child, feeder, stderr)
        })
        .collect();
    for (w, (mut child, feeder, stderr)) in producers.into_iter().enumerate() {
        let code = wait_within(
            &mut child,
            &format!("producer {w}"),
            Duration::from_secs(300),
        );
        feeder.join().unwrap();
        assert_eq!(code, 0, "producer {w}: {}", stderr.join().unwrap());
    }
    let messages = env.cat(&["local:local", "t"]);
    assert_eq!(messages.len(), 4 * PER);
    let mut next = [0i64; 4];
    for (o, m) in messages.iter().enumerate() {
        assert_eq!(m["offset"], o as i64);
        let w = m["value"]["w"].as_u64().unwrap() as usize;
        assert_eq!(m["value"]["i"], next[w], "producer {w} out of order");
        next[w] += 1;
    }
}

/// Temporary files left by killed writers are removed (those older than an
/// hour, by the first write of a process); fresh ones are left alone.
#[test]
fn stale_temporary_files_are_removed() {
    let env = TestEnv::new();
    env.ok(&["touch", "local:local", "t"]);
    let tmp = env.path("data/.tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let stale = tmp.join("4242-0.tmp");
    let fresh = tmp.join("4242-1.tmp");
    std::fs::write(&stale, b"half a batch").unwrap();
    std::fs::write(&fresh, b"being written").unwrap();
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    env.ok(&["produce", "local:local", "t", "{\"a\":1}"]);
    assert!(!stale.exists(), "the stale temporary file is still there");
    assert!(fresh.exists(), "a fresh temporary file was removed");
    assert_eq!(env.cat(&["local:local", "t"]).len(), 1);
}

/// A `root.dir` naming a regular file is an error for every command, and
/// opening a root below a file says why, without opendal's internals.
#[test]
fn root_dir_that_is_a_file_is_an_error() {
    let env = TestEnv::new();
    env.write("afile", "not a directory");
    env.write("file.yaml", "local:\n  root.dir: afile\n");
    for command in [
        vec!["ls", "local:file"],
        vec!["touch", "local:file", "t"],
        vec!["cat", "local:file", "t"],
        vec!["groups", "local:file"],
    ] {
        env.run(&command).error(2, &["afile", "not a directory"]);
    }
    env.write("below.yaml", "local:\n  root.dir: afile/below\n");
    let run = env
        .run(&["ls", "local:below"])
        .error(3, &["afile/below", "storage root"]);
    for internal in ["Unexpected", "permanent", "context:", "Builder::build"] {
        assert!(!run.stderr.contains(internal), "{internal}: {}", run.stderr);
    }
    assert_eq!(
        std::fs::read_to_string(env.path("afile")).unwrap(),
        "not a directory"
    );
}
