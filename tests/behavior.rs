//! Storage semantics through the shell, written once and run against every
//! storage `kafi_tests::backends()` provides (see `lib.rs`).

use std::collections::BTreeMap;

use kafi_config::SerdeType;
use kafi_core::TimestampType;
use kafi_serde::{Data, Message};
use kafi_shell::{Error, FnError, ReadOptions, WriteOptions};
use kafi_tests::TestStorage;
use serde_json::json;

/// Runs each case against every backend.
macro_rules! behavior {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            for storage in kafi_tests::backends().await {
                eprintln!("{} on {}", stringify!($name), storage.label);
                cases::$name(&storage).await;
            }
        }
    )*};
}

behavior! {
    readme_cat_returns_the_three_messages,
    readme_grep,
    readme_cp_with_map_and_flatmap,
    wc_counts_messages_words_bytes,
    diff_of_copy_is_empty_and_of_modified_copy_is_not,
    head_and_tail,
    compact_keeps_last_per_key_and_tombstones_remove,
    recreate_empties_and_keeps_partitions_and_config,
    lags_and_group_offsets_after_named_group_commits,
    cp_group_offsets_copies_committed_offsets,
    offsets_for_times_with_replace_not_found,
    delete_records_then_watermarks,
    zip_foldl_walks_two_topics_in_lockstep,
    filter_to_and_foldl_to,
    failed_map_to_commits_what_was_processed,
    reading_a_missing_topic_names_it,
    json_decode_error_names_topic_partition_offset,
    keyed_produce_uses_the_java_partitioner,
}

fn bla(m: &Message) -> i64 {
    m.value
        .as_ref()
        .and_then(Data::as_json)
        .and_then(|v| v["bla"].as_i64())
        .unwrap_or_else(|| panic!("no bla in {m:?}"))
}

fn blas(messages: &[Message]) -> Vec<i64> {
    messages.iter().map(bla).collect()
}

fn keys(messages: &[Message]) -> Vec<Option<String>> {
    messages
        .iter()
        .map(|m| {
            m.key
                .as_ref()
                .map(|k| k.as_str().expect("str key").to_owned())
        })
        .collect()
}

fn err(message: &str) -> FnError {
    message.to_owned().into()
}

mod cases {
    use super::*;

    /// The seed README's flow: `touch` and produce `{"bla": n}` with key `n`
    /// for 123, 456, 789. Returns the topic name.
    pub async fn seed(t: &TestStorage, name: &str) -> String {
        let topic = t.topic(name);
        t.shell.touch(&topic, 1, BTreeMap::new()).await.unwrap();
        let mut p = t
            .shell
            .producer(&topic, &WriteOptions::new())
            .await
            .unwrap();
        for n in [123, 456, 789] {
            p.produce(json!({ "bla": n }))
                .key(n.to_string().as_str())
                .await
                .unwrap();
        }
        assert_eq!(p.close().await.unwrap(), 3);
        topic
    }

    pub async fn readme_cat_returns_the_three_messages(t: &TestStorage) {
        let before = kafi_core::message::now_millis();
        let topic = seed(t, "topic_json").await;
        let after = kafi_core::message::now_millis();
        assert!(t.shell.ls(None).await.unwrap().contains(&topic));
        assert!(t.shell.exists(&topic).await.unwrap());
        let messages = t.shell.cat(&topic, &ReadOptions::new()).await.unwrap();
        assert_eq!(messages.len(), 3);
        for (i, (m, n)) in messages.iter().zip([123, 456, 789]).enumerate() {
            assert_eq!(&*m.topic, topic);
            assert!(m.headers.is_empty());
            assert_eq!(m.partition, 0);
            assert_eq!(m.offset, i as i64);
            assert_eq!(m.timestamp.kind, TimestampType::CreateTime);
            assert!((before..=after).contains(&m.timestamp.millis));
            assert_eq!(m.key, Some(Data::Str(n.to_string())));
            assert_eq!(m.value, Some(Data::Json(json!({ "bla": n }))));
        }
        // n limits, and the JSON form carries the seed's fields.
        let one = t.shell.cat(&topic, &ReadOptions::new().n(1)).await.unwrap();
        assert_eq!(one.len(), 1);
        let j = one[0].to_json();
        assert_eq!(j["key"], json!("123"));
        assert_eq!(j["value"], json!({"bla": 123}));
        assert_eq!(j["offset"], json!(0));
        assert_eq!(j["timestamp"][0], json!(1));
    }

    pub async fn readme_grep(t: &TestStorage) {
        let topic = seed(t, "topic_grep").await;
        let (found, matching, read) = t
            .shell
            .grep(&topic, ".*456.*", &ReadOptions::new())
            .await
            .unwrap();
        assert_eq!((matching, read), (1, 3));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].offset, 1);
        assert_eq!(found[0].key, Some(Data::Str("456".into())));
        assert_eq!(bla(&found[0]), 456);
        let (_, none, read) = t
            .shell
            .grep(&topic, "^nothing$", &ReadOptions::new())
            .await
            .unwrap();
        assert_eq!((none, read), (0, 3));
        assert!(t
            .shell
            .grep(&topic, "(", &ReadOptions::new())
            .await
            .is_err());
    }

    pub async fn readme_cp_with_map_and_flatmap(t: &TestStorage) {
        let topic = seed(t, "topic_json").await;
        let mapped = t.topic("topic_json_mapped");
        let counts = t
            .shell
            .map_to(
                &topic,
                &t.shell,
                &mapped,
                &ReadOptions::new(),
                &WriteOptions::new(),
                |mut m| {
                    let v = m
                        .value
                        .as_mut()
                        .and_then(Data::as_json_mut)
                        .ok_or_else(|| err("no json"))?;
                    v["bla"] = json!(v["bla"].as_i64().unwrap() + 42);
                    Ok(m)
                },
            )
            .await
            .unwrap();
        assert_eq!(counts, (3, 3));
        let out = t.shell.cat(&mapped, &ReadOptions::new()).await.unwrap();
        assert_eq!(blas(&out), vec![165, 498, 831]);
        assert_eq!(
            keys(&out),
            vec![Some("123".into()), Some("456".into()), Some("789".into())]
        );
        assert!(out.iter().all(|m| *m.topic == *mapped));
        assert_eq!(
            out.iter().map(|m| m.offset).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );

        let flat = t.topic("topic_json_flatmapped");
        let counts = t
            .shell
            .flatmap_to(
                &topic,
                &t.shell,
                &flat,
                &ReadOptions::new(),
                &WriteOptions::new(),
                |m| Ok(if bla(&m) == 456 { vec![m] } else { vec![] }),
            )
            .await
            .unwrap();
        assert_eq!(counts, (3, 1));
        let out = t.shell.cat(&flat, &ReadOptions::new()).await.unwrap();
        assert_eq!(blas(&out), vec![456]);

        // Plain cp keeps everything, timestamps included.
        let copy = t.topic("topic_json_copy");
        let counts = t
            .shell
            .cp(
                &topic,
                &t.shell,
                &copy,
                &ReadOptions::new(),
                &WriteOptions::new(),
            )
            .await
            .unwrap();
        assert_eq!(counts, (3, 3));
        let a = t.shell.cat(&topic, &ReadOptions::new()).await.unwrap();
        let b = t.shell.cat(&copy, &ReadOptions::new()).await.unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                (&x.key, &x.value, x.timestamp),
                (&y.key, &y.value, y.timestamp)
            );
        }
    }

    pub async fn wc_counts_messages_words_bytes(t: &TestStorage) {
        let topic = seed(t, "topic_wc").await;
        let count = t.shell.wc(&topic, &ReadOptions::new()).await.unwrap();
        // keys "123" (3 bytes, 1 word), values {"bla":123} (11 bytes, 1 word)
        assert_eq!(count.messages, 3);
        assert_eq!(count.words, 6);
        assert_eq!(count.bytes, 3 * 3 + 3 * 11);
        let mut p = t
            .shell
            .producer(&topic, &WriteOptions::new())
            .await
            .unwrap();
        p.produce(json!("two words")).key("k e y").await.unwrap();
        p.close().await.unwrap();
        let count = t.shell.wc(&topic, &ReadOptions::new()).await.unwrap();
        assert_eq!(count.messages, 4);
        assert_eq!(count.words, 6 + 3 + 2);
        assert_eq!(count.bytes, 42 + 5 + 11);
    }

    pub async fn diff_of_copy_is_empty_and_of_modified_copy_is_not(t: &TestStorage) {
        let topic = seed(t, "topic_diff").await;
        let copy = t.topic("topic_diff_copy");
        t.shell
            .cp(
                &topic,
                &t.shell,
                &copy,
                &ReadOptions::new(),
                &WriteOptions::new(),
            )
            .await
            .unwrap();
        let d = t
            .shell
            .diff(&topic, &t.shell, &copy, &ReadOptions::new())
            .await
            .unwrap();
        assert!(d.is_empty(), "{d:?}");

        let modified = t.topic("topic_diff_modified");
        t.shell
            .map_to(
                &topic,
                &t.shell,
                &modified,
                &ReadOptions::new(),
                &WriteOptions::new(),
                |mut m| {
                    if bla(&m) == 456 {
                        m.value = Some(Data::Json(json!({"bla": 0})));
                    }
                    Ok(m)
                },
            )
            .await
            .unwrap();
        let d = t
            .shell
            .diff(&topic, &t.shell, &modified, &ReadOptions::new())
            .await
            .unwrap();
        assert_eq!(d.len(), 1, "{d:?}");
        let (a, b) = &d[0];
        assert_eq!(bla(a.as_ref().unwrap()), 456);
        assert_eq!(bla(b.as_ref().unwrap()), 0);

        // A longer topic differs by the extra message.
        let mut p = t.shell.producer(&copy, &WriteOptions::new()).await.unwrap();
        p.produce(json!({"bla": 1})).key("1").await.unwrap();
        p.close().await.unwrap();
        let d = t
            .shell
            .diff(&topic, &t.shell, &copy, &ReadOptions::new())
            .await
            .unwrap();
        assert_eq!(d.len(), 1);
        assert!(d[0].0.is_none());
        assert_eq!(bla(d[0].1.as_ref().unwrap()), 1);
    }

    pub async fn head_and_tail(t: &TestStorage) {
        let topic = seed(t, "topic_ht").await;
        let head = t.shell.head(&topic, 2, &ReadOptions::new()).await.unwrap();
        assert_eq!(blas(&head), vec![123, 456]);
        let tail = t.shell.tail(&topic, 2, &ReadOptions::new()).await.unwrap();
        assert_eq!(blas(&tail), vec![456, 789]);
        assert_eq!(
            tail.iter().map(|m| m.offset).collect::<Vec<_>>(),
            vec![1, 2]
        );
        let all = t.shell.tail(&topic, 10, &ReadOptions::new()).await.unwrap();
        assert_eq!(blas(&all), vec![123, 456, 789]);
        assert!(t
            .shell
            .head(&topic, 0, &ReadOptions::new())
            .await
            .unwrap()
            .is_empty());
    }

    pub async fn compact_keeps_last_per_key_and_tombstones_remove(t: &TestStorage) {
        let topic = t.topic("topic_compact");
        t.shell.touch(&topic, 1, BTreeMap::new()).await.unwrap();
        let mut p = t
            .shell
            .producer(&topic, &WriteOptions::new())
            .await
            .unwrap();
        for (k, v) in [
            ("a", Some(1)),
            ("b", Some(1)),
            ("a", Some(2)),
            ("c", Some(1)),
            ("b", None),
        ] {
            p.produce(v.map(|n| json!({ "bla": n })))
                .key(k)
                .await
                .unwrap();
        }
        p.close().await.unwrap();
        let kept = t.shell.compact(&topic, &ReadOptions::new()).await.unwrap();
        assert_eq!(keys(&kept), vec![Some("a".into()), Some("c".into())]);
        assert_eq!(
            kept.iter().map(|m| m.offset).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert_eq!(blas(&kept), vec![2, 1]);
        // The tombstone is stored and read as a null value.
        let all = t.shell.cat(&topic, &ReadOptions::new()).await.unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(all[4].value, None);
    }

    pub async fn recreate_empties_and_keeps_partitions_and_config(t: &TestStorage) {
        let topic = t.topic("topic_recreate");
        let config = BTreeMap::from([("retention.ms".to_owned(), "1000".to_owned())]);
        t.shell.touch(&topic, 2, config.clone()).await.unwrap();
        let mut p = t
            .shell
            .producer(&topic, &WriteOptions::new())
            .await
            .unwrap();
        p.produce(json!(1)).partition(1).await.unwrap();
        p.close().await.unwrap();
        assert_eq!(t.shell.watermarks(&topic).await.unwrap()[&1], (0, 1));
        t.shell.recreate(&topic).await.unwrap();
        assert_eq!(t.shell.partitions(&topic).await.unwrap(), 2);
        assert_eq!(
            t.shell.config(&topic).await.unwrap().get("retention.ms"),
            Some(&"1000".to_owned())
        );
        assert!(t
            .shell
            .cat(&topic, &ReadOptions::new())
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            t.shell.watermarks(&topic).await.unwrap(),
            BTreeMap::from([(0, (0, 0)), (1, (0, 0))])
        );
        // rm removes it.
        assert_eq!(t.shell.rm(&topic).await.unwrap(), vec![topic.clone()]);
        assert!(!t.shell.exists(&topic).await.unwrap());
    }

    pub async fn lags_and_group_offsets_after_named_group_commits(t: &TestStorage) {
        let topic = seed(t, "topic_lags").await;
        let g1 = t.group("g1");
        // cat with a named group commits what it read.
        let read = t
            .shell
            .cat(&topic, &ReadOptions::new().group(&g1).n(2))
            .await
            .unwrap();
        assert_eq!(read.len(), 2);
        let offsets = t.shell.group_offsets(Some(&g1)).await.unwrap();
        assert_eq!(
            offsets,
            BTreeMap::from([(
                g1.clone(),
                BTreeMap::from([(topic.clone(), BTreeMap::from([(0, 2)]))])
            )])
        );
        assert_eq!(
            t.shell.lags(&g1, None).await.unwrap(),
            BTreeMap::from([(topic.clone(), BTreeMap::from([(0, 1)]))])
        );
        // The group continues where it committed.
        let rest = t
            .shell
            .cat(&topic, &ReadOptions::new().group(&g1))
            .await
            .unwrap();
        assert_eq!(blas(&rest), vec![789]);
        assert_eq!(
            t.shell.lags(&g1, Some(&topic)).await.unwrap()[&topic][&0],
            0
        );

        // A consumer object commits explicitly.
        let g2 = t.group("g2");
        let mut c = t
            .shell
            .consumer(&topic, &ReadOptions::new().group(&g2))
            .await
            .unwrap();
        assert_eq!(c.group(), g2);
        let got = c.consume(1).await.unwrap();
        assert_eq!(blas(&got), vec![123]);
        c.commit(None).await.unwrap();
        assert_eq!(c.offsets(), BTreeMap::from([(0, 1)]));
        c.close().await.unwrap();
        assert_eq!(t.shell.lags(&g2, None).await.unwrap()[&topic][&0], 2);
        let groups = t.shell.groups(Some(&t.group("g*"))).await.unwrap();
        assert_eq!(groups, vec![g1.clone(), g2.clone()]);
        let described = t.shell.describe_groups(Some(&g2)).await.unwrap();
        assert_eq!(described.len(), 1);
        assert_eq!(described[0].topics, vec![topic.clone()]);
        assert_eq!(t.shell.delete_groups(&g2).await.unwrap(), vec![g2.clone()]);
        assert_eq!(
            t.shell.groups(Some(&t.group("g*"))).await.unwrap(),
            vec![g1]
        );
        assert!(t.shell.lags(&g2, None).await.is_err());
    }

    pub async fn cp_group_offsets_copies_committed_offsets(t: &TestStorage) {
        let topic = seed(t, "topic_cpgo").await;
        let g = t.group("source_group");
        let target_group = t.group("target_group");
        t.shell
            .set_group_offsets(&g, &topic, &BTreeMap::from([(0, 2)]))
            .await
            .unwrap();
        let n = t
            .shell
            .cp_group_offsets(&g, &t.shell, &target_group)
            .await
            .unwrap();
        assert_eq!(n, 1);
        let offsets = t.shell.group_offsets(Some(&target_group)).await.unwrap();
        assert_eq!(offsets[&target_group][&topic], BTreeMap::from([(0, 2)]));
        let read = t
            .shell
            .cat(&topic, &ReadOptions::new().group(&target_group))
            .await
            .unwrap();
        assert_eq!(blas(&read), vec![789]);
        assert!(t
            .shell
            .cp_group_offsets(&t.group("no_such_group"), &t.shell, "x")
            .await
            .is_err());
    }

    pub async fn offsets_for_times_with_replace_not_found(t: &TestStorage) {
        let topic = t.topic("topic_times");
        t.shell.touch(&topic, 1, BTreeMap::new()).await.unwrap();
        let mut p = t
            .shell
            .producer(&topic, &WriteOptions::new())
            .await
            .unwrap();
        for (n, ts) in [(1, 1_000), (2, 2_000), (3, 3_000)] {
            p.produce(json!({ "bla": n })).timestamp(ts).await.unwrap();
        }
        p.close().await.unwrap();
        let at = |ms: i64| BTreeMap::from([(0, ms)]);
        let o = |m: BTreeMap<i32, i64>| m[&0];
        assert_eq!(
            o(t.shell
                .offsets_for_times(&topic, &at(0), false)
                .await
                .unwrap()),
            0
        );
        if t.is_tansu() {
            t.skip_tansu(
                "offsets_for_times_with_replace_not_found",
                "ListOffsets by timestamp uses the broker's append time, not CreateTime",
            );
            return;
        }
        assert_eq!(
            o(t.shell
                .offsets_for_times(&topic, &at(1_500), false)
                .await
                .unwrap()),
            1
        );
        assert_eq!(
            o(t.shell
                .offsets_for_times(&topic, &at(3_000), false)
                .await
                .unwrap()),
            2
        );
        assert_eq!(
            o(t.shell
                .offsets_for_times(&topic, &at(9_999), false)
                .await
                .unwrap()),
            -1
        );
        assert_eq!(
            o(t.shell
                .offsets_for_times(&topic, &at(9_999), true)
                .await
                .unwrap()),
            3
        );
        let ts = t.shell.cat(&topic, &ReadOptions::new()).await.unwrap();
        assert_eq!(
            ts.iter().map(|m| m.timestamp.millis).collect::<Vec<_>>(),
            vec![1_000, 2_000, 3_000]
        );
    }

    pub async fn delete_records_then_watermarks(t: &TestStorage) {
        let topic = seed(t, "topic_delete").await;
        assert_eq!(
            t.shell.watermarks(&topic).await.unwrap(),
            BTreeMap::from([(0, (0, 3))])
        );
        if t.is_tansu() {
            let e = t
                .shell
                .delete_records(&topic, &BTreeMap::from([(0, 2)]))
                .await
                .unwrap_err()
                .to_string();
            assert!(e.contains("delete records"), "{e}");
            t.skip_tansu(
                "delete_records_then_watermarks",
                &format!("DeleteRecords is not supported (kafi reports: {e})"),
            );
            return;
        }
        let low = t
            .shell
            .delete_records(&topic, &BTreeMap::from([(0, 2)]))
            .await
            .unwrap();
        assert_eq!(low, BTreeMap::from([(0, 2)]));
        assert_eq!(
            t.shell.watermarks(&topic).await.unwrap(),
            BTreeMap::from([(0, (2, 3))])
        );
        let rest = t.shell.cat(&topic, &ReadOptions::new()).await.unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!((rest[0].offset, bla(&rest[0])), (2, 789));
        let low = t
            .shell
            .delete_records(&topic, &BTreeMap::from([(0, -1)]))
            .await
            .unwrap();
        assert_eq!(low, BTreeMap::from([(0, 3)]));
        assert_eq!(
            t.shell.watermarks(&topic).await.unwrap(),
            BTreeMap::from([(0, (3, 3))])
        );
        assert!(t
            .shell
            .cat(&topic, &ReadOptions::new())
            .await
            .unwrap()
            .is_empty());
    }

    pub async fn zip_foldl_walks_two_topics_in_lockstep(t: &TestStorage) {
        let topic = seed(t, "topic_zip").await;
        let mapped = t.topic("topic_zip_mapped");
        t.shell
            .map_to(
                &topic,
                &t.shell,
                &mapped,
                &ReadOptions::new(),
                &WriteOptions::new(),
                |mut m| {
                    let n = bla(&m);
                    m.value = Some(Data::Json(json!({ "bla": n * 10 })));
                    Ok(m)
                },
            )
            .await
            .unwrap();
        let (pairs, left, right) = t
            .shell
            .zip_foldl(
                &topic,
                &t.shell,
                &mapped,
                &ReadOptions::new(),
                Vec::new(),
                |mut acc, a, b| {
                    acc.push((bla(&a), bla(&b), a.offset, b.offset));
                    Ok(acc)
                },
            )
            .await
            .unwrap();
        assert_eq!((left, right), (3, 3));
        assert_eq!(
            pairs,
            vec![(123, 1230, 0, 0), (456, 4560, 1, 1), (789, 7890, 2, 2)]
        );
        // Stops at the shorter topic.
        let (n, left, right) = t
            .shell
            .zip(&topic, &t.shell, &mapped)
            .other_read(&ReadOptions::new().n(2))
            .zip_foldl(0, |acc, _, _| Ok(acc + 1))
            .await
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(right, 2);
        assert_eq!(left, 2);
    }

    pub async fn filter_to_and_foldl_to(t: &TestStorage) {
        let topic = seed(t, "topic_fold").await;
        let big = t.topic("topic_big");
        let counts = t
            .shell
            .filter_to(
                &topic,
                &t.shell,
                &big,
                &ReadOptions::new(),
                &WriteOptions::new(),
                |m| Ok(bla(m) > 200),
            )
            .await
            .unwrap();
        assert_eq!(counts, (3, 2));
        assert_eq!(
            blas(&t.shell.cat(&big, &ReadOptions::new()).await.unwrap()),
            vec![456, 789]
        );

        let sums = t.topic("topic_sums");
        let (total, read, written) = t
            .shell
            .copy(&topic, &t.shell, &sums)
            .foldl_to(0i64, |acc, mut m| {
                let acc = acc + bla(&m);
                m.value = Some(Data::Json(json!({ "bla": acc })));
                Ok((acc, vec![m]))
            })
            .await
            .unwrap();
        assert_eq!((total, read, written), (1368, 3, 3));
        assert_eq!(
            blas(&t.shell.cat(&sums, &ReadOptions::new()).await.unwrap()),
            vec![123, 579, 1368]
        );
        let (sum, n) = t
            .shell
            .foldl(
                &topic,
                &ReadOptions::new(),
                0i64,
                |acc, m| Ok(acc + bla(&m)),
            )
            .await
            .unwrap();
        assert_eq!((sum, n), (1368, 3));
    }

    pub async fn failed_map_to_commits_what_was_processed(t: &TestStorage) {
        assert!(t.shell.commit_after_processing());
        let topic = seed(t, "topic_fail").await;
        let target = t.topic("topic_fail_out");
        let group = t.group("fail_group");
        let mut calls = 0;
        let e = t
            .shell
            .map_to(
                &topic,
                &t.shell,
                &target,
                &ReadOptions::new().group(&group),
                &WriteOptions::new(),
                |m| {
                    calls += 1;
                    if calls == 3 {
                        Err(err("boom on the third message"))
                    } else {
                        Ok(m)
                    }
                },
            )
            .await
            .unwrap_err();
        let shown = e.to_string();
        assert!(
            matches!(
                e,
                Error::Interrupted {
                    consumed: 2,
                    produced: 2,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(shown.contains("offset 2"), "{shown}");
        assert!(shown.contains(&topic), "{shown}");
        assert!(shown.contains("boom on the third message"), "{shown}");
        assert!(
            shown.contains("after consuming 2 and producing 2"),
            "{shown}"
        );
        let out = t.shell.cat(&target, &ReadOptions::new()).await.unwrap();
        assert_eq!(blas(&out), vec![123, 456]);
        let offsets = t.shell.group_offsets(Some(&group)).await.unwrap();
        assert_eq!(offsets[&group][&topic], BTreeMap::from([(0, 2)]));
        // Running again with the same group picks up the failed message only.
        let counts = t
            .shell
            .map_to(
                &topic,
                &t.shell,
                &target,
                &ReadOptions::new().group(&group),
                &WriteOptions::new(),
                Ok,
            )
            .await
            .unwrap();
        assert_eq!(counts, (1, 1));
        assert_eq!(
            blas(&t.shell.cat(&target, &ReadOptions::new()).await.unwrap()),
            vec![123, 456, 789]
        );
        assert_eq!(
            t.shell.group_offsets(Some(&group)).await.unwrap()[&group][&topic][&0],
            3
        );
    }

    pub async fn reading_a_missing_topic_names_it(t: &TestStorage) {
        let missing = t.topic("no_such_topic");
        let e = t
            .shell
            .cat(&missing, &ReadOptions::new())
            .await
            .unwrap_err();
        assert!(e.to_string().contains(&missing), "{e}");
        let e = t.shell.watermarks(&missing).await.unwrap_err();
        assert!(e.to_string().contains(&missing), "{e}");
        let e = t
            .shell
            .producer(&missing, &WriteOptions::new())
            .await
            .unwrap_err();
        assert!(e.to_string().contains(&missing), "{e}");
        assert!(!t.shell.exists(&missing).await.unwrap());
        let e = t
            .shell
            .touch("../escape", 1, BTreeMap::new())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("invalid topic name"), "{e}");
    }

    pub async fn json_decode_error_names_topic_partition_offset(t: &TestStorage) {
        let topic = t.topic("topic_not_json");
        t.shell.touch(&topic, 1, BTreeMap::new()).await.unwrap();
        let mut p = t
            .shell
            .producer(&topic, &WriteOptions::new().value_type(SerdeType::Str))
            .await
            .unwrap();
        p.produce("{\"bla\": 1}").await.unwrap();
        p.produce("this is not json").await.unwrap();
        p.close().await.unwrap();
        let e = t.shell.cat(&topic, &ReadOptions::new()).await.unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains(&topic), "{shown}");
        assert!(shown.contains("partition 0"), "{shown}");
        assert!(shown.contains("offset 1"), "{shown}");
        assert!(shown.contains("json"), "{shown}");
        // Read as str it is fine.
        let ok = t
            .shell
            .cat(&topic, &ReadOptions::new().value_type(SerdeType::Str))
            .await
            .unwrap();
        assert_eq!(ok[1].value, Some(Data::Str("this is not json".into())));
        assert_eq!(
            ok[0].value.as_ref().and_then(Data::as_str),
            Some("{\"bla\": 1}")
        );
    }

    pub async fn keyed_produce_uses_the_java_partitioner(t: &TestStorage) {
        let topic = t.topic("topic_keys");
        t.shell.touch(&topic, 6, BTreeMap::new()).await.unwrap();
        let mut p = t
            .shell
            .producer(&topic, &WriteOptions::new())
            .await
            .unwrap();
        for key in ["21", "foobar", "123"] {
            p.produce(json!({ "k": key })).key(key).await.unwrap();
        }
        p.close().await.unwrap();
        let messages = t.shell.cat(&topic, &ReadOptions::new()).await.unwrap();
        assert_eq!(messages.len(), 3);
        for m in &messages {
            let key = m.key.as_ref().and_then(Data::as_str).unwrap();
            let java = match key {
                "21" => (-973_932_308i32 & 0x7fff_ffff) % 6,
                "foobar" => (-790_332_482i32 & 0x7fff_ffff) % 6,
                other => kafi_core::partitioner::murmur2_partition(other.as_bytes(), 6),
            };
            assert_eq!(m.partition, java, "key {key}");
        }
    }
}
