//! Consumer groups: committed offsets, lags, copying offsets.

use super::*;

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
