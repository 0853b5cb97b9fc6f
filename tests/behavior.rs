//! Storage semantics through the shell: every case is written once (in
//! [`cases`]) and run on every storage kind, one test per (backend, case)
//! named `BACKEND::CASE` (`local::readme_grep`, `cluster::readme_grep`, ...),
//! so `cargo test -p kafi-tests --test behavior -- s3::` runs one backend
//! and a failure names both. A backend that is not configured skips each of
//! its tests with one line naming the unset variable (see `lib.rs`).

use std::collections::BTreeMap;

use kafi_config::{SerdeType, StorageKind};
use kafi_core::TimestampType;
use kafi_serde::{Data, Message};
use kafi_shell::{Error, FnError, ReadOptions, WriteOptions};
use kafi_tests::TestStorage;
use serde_json::json;

/// Generates `mod BACKEND { #[tokio::test] async fn CASE() }` for every
/// backend and case, and [`BACKENDS`].
macro_rules! behavior {
    (backends: [$($backend:ident),* $(,)?], cases: $cases:tt) => {
        /// The backends tests are generated for (module names).
        const BACKENDS: &[&str] = &[$(stringify!($backend)),*];
        $( behavior!(@backend $backend $cases); )*
    };
    (@backend $backend:ident [$($case:ident),* $(,)?]) => {
        mod $backend {
            use kafi_config::StorageKind;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $case() {
                    let kind = StorageKind::parse(stringify!($backend))
                        .expect("a backend module is named after its storage kind");
                    let storage =
                        kafi_tests::maybe_skip!(kafi_tests::TestStorage::for_backend(kind).await);
                    super::cases::$case(&storage).await;
                }
            )*
        }
    };
}

behavior! {
    backends: [local, cluster, restproxy, s3, azureblob],
    cases: [
        readme_cat_returns_the_three_messages,
        readme_grep,
        readme_cp_with_map_and_flatmap,
        wc_counts_messages_words_bytes,
        diff_of_copy_is_empty_and_of_modified_copy_is_not,
        head_and_tail,
        compact_keeps_last_per_key_and_tombstones_remove,
        recreate_empties_and_keeps_partitions_and_config,
        set_partitions_adds_partitions_and_never_removes_them,
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
    ]
}

/// A new storage kind gets its tests: every kind has a backend module.
#[test]
fn every_storage_kind_is_a_backend() {
    let mut expected: Vec<&str> = StorageKind::ALL.iter().map(StorageKind::as_str).collect();
    expected.sort_unstable();
    let mut backends = BACKENDS.to_vec();
    backends.sort_unstable();
    assert_eq!(backends, expected, "add the missing kinds to `behavior!`");
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
    //! The cases, each run on every backend (one module per concern).

    mod admin;
    mod groups;
    mod reading;
    mod transforms;

    pub use admin::*;
    pub use groups::*;
    pub use reading::*;
    pub use transforms::*;

    use super::*;
}
