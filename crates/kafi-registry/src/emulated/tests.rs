//! The emulated registry on an in-memory store.

use super::*;

const AVRO: &str = r#"{"type":"record","name":"myrecord","fields":[{"name":"bla","type":"int"}]}"#;

#[test]
fn subject_encoding() {
    for s in ["topic_avro-value", "a/b c%", "ünï", ".", "..", "../x"] {
        let encoded = encode_subject(s);
        assert!(!encoded.contains(['/', '.']), "{encoded}");
        assert_eq!(decode_subject(&encoded).unwrap(), s);
    }
    assert_eq!(encode_subject("a/b"), "ga%2Fb");
}

#[cfg(feature = "serde-avro")]
#[tokio::test]
async fn the_seeds_administration_session() {
    let r = EmulatedRegistry::in_memory();
    let avro = Schema::new(SchemaType::Avro, AVRO);
    let json = Schema::new(
        SchemaType::Json,
        r#"{"type":"object","properties":{"bla":{"type":"integer"}}}"#,
    );
    assert_eq!(
        r.register_schema("topic_avro-value", &avro).await.unwrap(),
        1
    );
    assert_eq!(
        r.register_schema("topic_avro-value", &avro).await.unwrap(),
        1
    );
    assert_eq!(
        r.register_schema("topic_jsonschema-value", &json)
            .await
            .unwrap(),
        2
    );
    // The same schema under another subject keeps its id.
    assert_eq!(r.register_schema("other-value", &avro).await.unwrap(), 1);
    assert_eq!(
        r.get_subjects(None, SubjectFilter::Live).await.unwrap(),
        ["other-value", "topic_avro-value", "topic_jsonschema-value"]
    );
    assert_eq!(
        r.delete_subject("topic_avro-value", false).await.unwrap(),
        [1]
    );
    assert_eq!(
        r.get_subjects(None, SubjectFilter::Live).await.unwrap(),
        ["other-value", "topic_jsonschema-value"]
    );
    assert_eq!(
        r.get_subjects(None, SubjectFilter::WithDeleted)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        r.get_subjects(None, SubjectFilter::OnlyDeleted)
            .await
            .unwrap(),
        ["topic_avro-value"]
    );
    assert!(matches!(
        r.delete_subject("other-value", true).await,
        Err(Error::SubjectNotSoftDeleted(_))
    ));
    assert!(matches!(
        r.delete_subject("topic_avro-value", false).await,
        Err(Error::SubjectSoftDeleted(_))
    ));
    assert_eq!(
        r.delete_subject("topic_avro-value", true).await.unwrap(),
        [1]
    );
    assert_eq!(
        r.get_subjects(None, SubjectFilter::WithDeleted)
            .await
            .unwrap(),
        ["other-value", "topic_jsonschema-value"]
    );
    let latest = r
        .get_latest_version("topic_jsonschema-value")
        .await
        .unwrap();
    assert_eq!(
        (latest.schema_id, latest.version, latest.schema.schema_type),
        (2, 1, SchemaType::Json)
    );
    assert!(matches!(
        r.get_latest_version("nope").await,
        Err(Error::SubjectNotFound(_))
    ));
    assert!(matches!(
        r.get_schema(99).await,
        Err(Error::SchemaNotFound(_))
    ));
    assert_eq!(
        r.get_schema_versions(1).await.unwrap(),
        [SubjectVersion {
            subject: "other-value".into(),
            version: 1
        }]
    );
    let found = r.lookup_schema("other-value", &avro, false).await.unwrap();
    assert_eq!(found.version, 1);
}

#[cfg(feature = "serde-avro")]
#[tokio::test]
async fn compatibility_on_register() {
    let r = EmulatedRegistry::in_memory();
    let v1 = Schema::new(SchemaType::Avro, AVRO);
    let v2 = Schema::new(
        SchemaType::Avro,
        r#"{"type":"record","name":"myrecord","fields":[{"name":"bla","type":"int"},{"name":"x","type":"string"}]}"#,
    );
    r.register_schema("s", &v1).await.unwrap();
    assert!(!r.test_compatibility("s", &v2, None).await.unwrap());
    let e = r.register_schema("s", &v2).await.unwrap_err();
    assert!(matches!(e, Error::Incompatible(_)), "{e}");
    assert_eq!(
        r.set_compatibility(Some("s"), Compatibility::Forward)
            .await
            .unwrap(),
        Compatibility::Forward
    );
    assert_eq!(
        r.get_compatibility(Some("s")).await.unwrap(),
        Compatibility::Forward
    );
    assert_eq!(
        r.get_compatibility(None).await.unwrap(),
        Compatibility::Backward
    );
    assert_eq!(r.register_schema("s", &v2).await.unwrap(), 2);
    assert_eq!(r.get_versions("s", false).await.unwrap(), [1, 2]);
    assert_eq!(r.delete_version("s", 2, false).await.unwrap(), 2);
    assert_eq!(r.get_versions("s", false).await.unwrap(), [1]);
    assert_eq!(r.get_versions("s", true).await.unwrap(), [1, 2]);
    assert!(matches!(
        r.register_schema("s", &Schema::new(SchemaType::Avro, "{"))
            .await,
        Err(Error::InvalidSchema(_))
    ));
}
