//! The objects a file storage keeps beside its topics
//! (`Storage::objects`), on the local file system.

use std::sync::Arc;

use bytes::Bytes;
use kafi_core::{ObjectStore, Storage};
use kafi_fs::FsStorage;

#[tokio::test(flavor = "multi_thread")]
async fn objects_below_a_prefix_are_files_of_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FsStorage::local_at(dir.path()).unwrap();
    let objects = storage
        .objects("schemas/")
        .expect("a file storage has objects");
    assert_eq!(objects.read("ids/1.json").await.unwrap(), None);
    assert!(objects.list("ids").await.unwrap().is_empty());

    assert!(objects
        .put_if_absent("ids/1.json", Bytes::from_static(b"one"))
        .await
        .unwrap());
    // Create-if-absent never overwrites.
    assert!(!objects
        .put_if_absent("ids/1.json", Bytes::from_static(b"other"))
        .await
        .unwrap());
    assert_eq!(
        std::fs::read(dir.path().join("schemas/ids/1.json")).unwrap(),
        b"one"
    );
    objects
        .put("config/x.json", Bytes::from_static(b"a"))
        .await
        .unwrap();
    objects
        .put("config/x.json", Bytes::from_static(b"b"))
        .await
        .unwrap();
    assert_eq!(
        objects.read("config/x.json").await.unwrap().as_deref(),
        Some(&b"b"[..])
    );
    assert_eq!(objects.list("").await.unwrap(), ["config/", "ids/"]);
    objects.delete("ids/1.json").await.unwrap();
    objects.delete("ids/1.json").await.unwrap();
    assert_eq!(objects.read("ids/1.json").await.unwrap(), None);
    let shown = objects.display("ids/1.json");
    assert!(shown.ends_with("schemas/ids/1.json"), "{shown}");
    // The objects are not topics.
    assert!(storage.list_topics(None, false).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn racing_creators_of_one_object_have_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FsStorage::local_at(dir.path()).unwrap();
    let objects: Arc<dyn ObjectStore> = storage.objects("schemas").unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|n| {
            let objects = objects.clone();
            tokio::spawn(async move {
                objects
                    .put_if_absent("ids/7.json", Bytes::from(format!("writer {n}")))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
}
