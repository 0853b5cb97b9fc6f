//! Copies and transforms between topics: cp, map/flatmap/filter/foldl
//! `_to`, diff, compact, zip, and committing what was processed.

use super::*;

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
