//! Where things live below a storage root.
//!
//! ```text
//! topics/<topic>/topic.json                  partitions and topic config
//! topics/<topic>/<partition>/<offset>.seg    immutable segments (20-digit base offset)
//! topics/<topic>/<partition>/low-watermark   raised by delete_records
//! groups/<group>/<topic>.json                committed offsets {partition: offset}
//! ```

use std::collections::BTreeMap;

use kafi_core::topic::encode_name;
use serde::{Deserialize, Serialize};

/// Suffix of segment objects.
pub(crate) const SEGMENT_SUFFIX: &str = ".seg";
const LOW_WATERMARK: &str = "low-watermark";

/// Contents of `topic.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct TopicMeta {
    pub partitions: i32,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

pub(crate) fn topic_dir(topic: &str) -> String {
    format!("topics/{topic}")
}

pub(crate) fn topic_meta(topic: &str) -> String {
    format!("topics/{topic}/topic.json")
}

pub(crate) fn partition_dir(topic: &str, partition: i32) -> String {
    format!("topics/{topic}/{partition}")
}

pub(crate) fn segment(topic: &str, partition: i32, base_offset: i64) -> String {
    format!("topics/{topic}/{partition}/{base_offset:020}{SEGMENT_SUFFIX}")
}

pub(crate) fn low_watermark(topic: &str, partition: i32) -> String {
    format!("topics/{topic}/{partition}/{LOW_WATERMARK}")
}

/// The base offset named by a segment object name.
pub(crate) fn segment_base(name: &str) -> Option<i64> {
    name.strip_suffix(SEGMENT_SUFFIX)?.parse().ok()
}

pub(crate) fn groups_dir() -> &'static str {
    "groups"
}

pub(crate) fn group_dir(group: &str) -> String {
    format!("groups/{}", encode_name(group))
}

pub(crate) fn group_offsets(group: &str, topic: &str) -> String {
    format!("groups/{}/{topic}.json", encode_name(group))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafi_core::topic::decode_name;

    #[test]
    fn group_names_round_trip_and_stay_inside() {
        for g in [
            "",
            ".",
            "..",
            "../../etc",
            "a/b",
            "grp 1",
            "ümlaut",
            "plain-group_1",
        ] {
            let enc = encode_name(g);
            assert!(!enc.contains('/') && !enc.contains('.'), "{enc}");
            assert_eq!(decode_name(&enc).as_deref(), Some(g));
        }
    }

    #[test]
    fn segment_names_sort_by_offset() {
        let a = segment("t", 0, 9);
        let b = segment("t", 0, 10);
        assert!(a < b);
        assert_eq!(segment_base(a.rsplit('/').next().unwrap()), Some(9));
    }
}
