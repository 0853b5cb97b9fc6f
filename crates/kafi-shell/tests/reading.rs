//! The shell's reading rule, line producer and builders on a real local
//! storage.

use std::sync::Arc;

use kafi_config::{KafiSettings, SerdeType};
use kafi_serde::Data;
use kafi_shell::{Error, LineFormat, ReadOptions, Shell, WriteOptions};
use serde_json::json;

fn shell(dir: &std::path::Path) -> Shell {
    let settings = KafiSettings {
        verbose: 0,
        ..KafiSettings::default()
    };
    let storage = kafi_fs::FsStorage::local_at(dir).expect("open local storage");
    Shell::new(Arc::new(storage), settings)
}

/// A topic `t` with `n` JSON messages `{"n": i}` keyed `i`, on `partitions`.
async fn seeded(shell: &Shell, partitions: i32, n: usize) {
    shell
        .touch("t", partitions, Default::default())
        .await
        .unwrap();
    let mut producer = shell.producer("t", &WriteOptions::new()).await.unwrap();
    producer
        .produce_list((0..n).map(|i| (i.to_string(), json!({ "n": i }))))
        .await
        .unwrap();
    producer.close().await.unwrap();
}

fn n(m: &kafi_serde::Message) -> i64 {
    m.value.as_ref().and_then(Data::as_json).unwrap()["n"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_consumer_without_a_group_is_assigned_partitions_and_commits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let shell = shell(dir.path());
    seeded(&shell, 3, 9).await;
    // Even with enable.auto.commit, reading without a group commits nothing.
    shell.set_enable_auto_commit(true);
    let mut consumer = shell.consumer("t", &ReadOptions::new()).await.unwrap();
    let mut seen = Vec::new();
    loop {
        let batch = consumer.consume(4).await.unwrap();
        if batch.is_empty() {
            break;
        }
        seen.extend(batch.iter().map(n));
    }
    seen.sort();
    assert_eq!(seen, (0..9).collect::<Vec<_>>());
    let e = consumer.commit(None).await.unwrap_err();
    assert!(
        matches!(&e, Error::InvalidArgument(m) if m.contains("without a consumer group")),
        "{e}"
    );
    consumer.close().await.unwrap();
    assert_eq!(shell.cat("t", &ReadOptions::new()).await.unwrap().len(), 9);
    assert_eq!(shell.groups(None).await.unwrap(), Vec::<String>::new());

    // With a group: committed by the storage on every poll.
    let mut consumer = shell
        .consumer("t", &ReadOptions::new().group("g"))
        .await
        .unwrap();
    assert_eq!(consumer.group(), "g");
    while !consumer.consume(100).await.unwrap().is_empty() {}
    consumer.close().await.unwrap();
    assert_eq!(shell.groups(None).await.unwrap(), ["g"]);
    let lags = shell.lags("g", Some("t")).await.unwrap();
    assert!(lags["t"].values().all(|lag| *lag == 0), "{lags:?}");
}

#[tokio::test]
async fn a_consumer_without_a_group_starts_where_auto_offset_reset_says() {
    let dir = tempfile::tempdir().unwrap();
    let shell = shell(dir.path());
    seeded(&shell, 1, 3).await;
    shell.set_auto_offset_reset(kafi_config::AutoOffsetReset::Latest);
    let mut consumer = shell.consumer("t", &ReadOptions::new()).await.unwrap();
    assert!(consumer.consume(10).await.unwrap().is_empty());
    assert_eq!(consumer.offsets()[&0], 3);
    consumer.close().await.unwrap();
    assert!(shell
        .cat("t", &ReadOptions::new())
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn lines_create_the_topic_skip_empty_lines_and_name_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let shell = shell(dir.path());
    let format = LineFormat {
        key_separator: Some("::".into()),
        key: Some("fixed".into()),
        ..LineFormat::default()
    };
    let mut lines = shell
        .line_producer("lines", &format, &WriteOptions::new())
        .await
        .unwrap();
    for line in ["a::{\"n\":1}\n", "\n", "{\"n\":2}\r\n"] {
        lines.push_line(line.as_bytes()).await.unwrap();
    }
    assert_eq!(lines.lines(), (3, 1));
    assert_eq!(lines.close().await.unwrap(), 2);
    assert_eq!(shell.partitions("lines").await.unwrap(), 1);
    let messages = shell.cat("lines", &ReadOptions::new()).await.unwrap();
    let keys: Vec<_> = messages.iter().map(|m| m.key.clone()).collect();
    assert_eq!(
        keys,
        [Some(Data::Str("a".into())), Some(Data::Str("fixed".into()))]
    );
    assert_eq!(messages.iter().map(n).collect::<Vec<_>>(), [1, 2]);

    // A bad line is named by its number, empty lines counted; nothing of
    // the call is written.
    let mut lines = shell
        .line_producer("lines", &LineFormat::default(), &WriteOptions::new())
        .await
        .unwrap();
    lines.push_line(b"{\"n\":3}\n").await.unwrap();
    lines.push_line(b"\n").await.unwrap();
    let e = lines.push_line(b"not json\n").await.unwrap_err();
    assert!(matches!(e, Error::Line { line: 3, .. }), "{e:?}");
    assert!(e.to_string().starts_with("line 3: "), "{e}");
    drop(lines);
    assert_eq!(shell.watermarks("lines").await.unwrap()[&0], (0, 2));

    // A format that cannot work is refused before the topic is created.
    let bad = LineFormat {
        envelope: true,
        key: Some("k".into()),
        ..LineFormat::default()
    };
    let e = shell
        .line_producer("never", &bad, &WriteOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    assert!(!shell.exists("never").await.unwrap());
}

#[tokio::test]
async fn copies_and_zips_take_their_options_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let shell = shell(dir.path());
    seeded(&shell, 1, 5).await;
    let (total, read, written) = shell
        .copy("t", &shell, "running")
        .write(&WriteOptions::new().value_type(SerdeType::Str))
        .read(&ReadOptions::new().n(4))
        .foldl_to(0i64, |acc, mut m| {
            let acc = acc + n(&m);
            m.value = Some(Data::Str(acc.to_string()));
            Ok((acc, vec![m]))
        })
        .await
        .unwrap();
    assert_eq!((total, read, written), (6, 4, 4));
    let sums = shell
        .cat("running", &ReadOptions::new().value_type(SerdeType::Str))
        .await
        .unwrap();
    let sums: Vec<_> = sums.iter().map(|m| m.value.clone().unwrap()).collect();
    assert_eq!(sums, ["0", "1", "3", "6"].map(|s| Data::Str(s.into())));

    let (pairs, left, right) = shell
        .zip("t", &shell, "t")
        .other_read(&ReadOptions::new().offsets([(0, 2)].into()))
        .zip_foldl(Vec::new(), |mut acc, a, b| {
            acc.push((n(&a), n(&b)));
            Ok(acc)
        })
        .await
        .unwrap();
    assert_eq!(pairs, [(0, 2), (1, 3), (2, 4)]);
    assert_eq!((left, right), (3, 3));
    let (count, read, written) = shell
        .zip("t", &shell, "t")
        .zip_foldl_to(&shell, "zipped", 0, |acc, a, _| Ok((acc + 1, vec![a])))
        .await
        .unwrap();
    assert_eq!((count, read, written), (5, 5, 5));
    assert_eq!(shell.watermarks("zipped").await.unwrap()[&0], (0, 5));

    // A target topic needs a partition.
    let none = WriteOptions {
        partitions: Some(0),
        ..WriteOptions::new()
    };
    for e in [
        shell
            .cp("t", &shell, "nowhere", &ReadOptions::new(), &none)
            .await
            .unwrap_err(),
        shell
            .compact_to("t", &shell, "nowhere", &ReadOptions::new(), &none)
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(&e, Error::InvalidArgument(m) if m.contains("at least 1 partition")),
            "{e:?}"
        );
    }
    assert!(!shell.exists("nowhere").await.unwrap());
}
