//! Topic administration: recreate, partitions, offsets by time, deleting records.

use super::*;

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

pub async fn set_partitions_adds_partitions_and_never_removes_them(t: &TestStorage) {
    let case = "set_partitions_adds_partitions_and_never_removes_them";
    let topic = t.topic("topic_grow");
    t.shell.touch(&topic, 1, BTreeMap::new()).await.unwrap();
    // Shrinking is refused before asking the storage, naming the topic.
    let e = t.shell.set_partitions(&topic, 1).await.unwrap_err();
    assert!(e.to_string().contains(&topic), "{e}");
    if !t.caps.create_partitions {
        let e = t.shell.set_partitions(&topic, 3).await.unwrap_err();
        let shown = e.to_string();
        assert!(
            shown.contains("CreatePartitions") || shown.contains("create partitions"),
            "{shown}"
        );
        assert_eq!(t.shell.partitions(&topic).await.unwrap(), 1);
        t.skip_rest(
            case,
            &format!("CreatePartitions is not supported (kafi reports: {shown})"),
        );
        return;
    }
    t.shell.set_partitions(&topic, 3).await.unwrap();
    assert_eq!(t.shell.partitions(&topic).await.unwrap(), 3);
    let mut p = t
        .shell
        .producer(&topic, &WriteOptions::new())
        .await
        .unwrap();
    p.produce(json!({ "bla": 2 })).partition(2).await.unwrap();
    p.close().await.unwrap();
    assert_eq!(
        t.shell.watermarks(&topic).await.unwrap(),
        BTreeMap::from([(0, (0, 0)), (1, (0, 0)), (2, (0, 1))])
    );
    let read = t.shell.cat(&topic, &ReadOptions::new()).await.unwrap();
    assert_eq!(
        read.iter()
            .map(|m| (m.partition, bla(m)))
            .collect::<Vec<_>>(),
        vec![(2, 2)]
    );
    let e = t.shell.set_partitions(&topic, 2).await.unwrap_err();
    assert!(e.to_string().contains(&topic), "{e}");
    assert_eq!(t.shell.partitions(&topic).await.unwrap(), 3);
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
    if !t.caps.timestamp_lookup_by_create_time {
        t.skip_rest(
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
    if !t.caps.delete_records {
        let e = t
            .shell
            .delete_records(&topic, &BTreeMap::from([(0, 2)]))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("delete records"), "{e}");
        t.skip_rest(
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
