//! Reading: the seed README's flow, counting, head and tail, errors that
//! name what was read, the partitioner.

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
