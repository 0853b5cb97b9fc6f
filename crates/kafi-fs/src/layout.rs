//! Where things live below a storage root (see `docs/storage-format.md`).
//!
//! ```text
//! topics/<topic>/meta/<version>.json                      topic metadata, append-only
//! topics/<topic>/<incarnation>/<partition>/<offset>.seg   immutable segments
//! groups/<group>/<topic>/<version>.json                   committed offsets, append-only
//! ```
//!
//! Versions and offsets are zero-padded to 20 digits, so names sort like
//! numbers.

use kafi_core::topic::encode_name;

/// Suffix of segment objects.
pub(crate) const SEGMENT_SUFFIX: &str = ".seg";
/// Suffix of versioned metadata objects.
pub(crate) const VERSION_SUFFIX: &str = ".json";
/// The directory of a topic's metadata versions.
const META_DIR: &str = "meta";

pub(crate) fn topics_dir() -> &'static str {
    "topics"
}

pub(crate) fn topic_meta_dir(topic: &str) -> String {
    format!("topics/{topic}/{META_DIR}")
}

/// The metadata file of storages written before versioned metadata.
pub(crate) fn legacy_topic_meta(topic: &str) -> String {
    format!("topics/{topic}/topic.json")
}

pub(crate) fn incarnation_dir(topic: &str, incarnation: &str) -> String {
    format!("topics/{topic}/{incarnation}")
}

pub(crate) fn partition_dir(topic: &str, incarnation: &str, partition: i32) -> String {
    format!("topics/{topic}/{incarnation}/{partition}")
}

pub(crate) fn segment(topic: &str, incarnation: &str, partition: i32, base_offset: i64) -> String {
    format!("topics/{topic}/{incarnation}/{partition}/{base_offset:020}{SEGMENT_SUFFIX}")
}

/// The base offset named by a segment object name.
pub(crate) fn segment_base(name: &str) -> Option<i64> {
    let digits = name.strip_suffix(SEGMENT_SUFFIX)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `dir/<version:020>.json`.
pub(crate) fn version(dir: &str, number: u64) -> String {
    format!("{dir}/{number:020}{VERSION_SUFFIX}")
}

/// The version number named by a versioned object name.
pub(crate) fn version_number(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(VERSION_SUFFIX)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

pub(crate) fn groups_dir() -> &'static str {
    "groups"
}

pub(crate) fn group_dir(group: &str) -> String {
    format!("groups/{}", encode_name(group))
}

pub(crate) fn group_offsets_dir(group: &str, topic: &str) -> String {
    format!("groups/{}/{topic}", encode_name(group))
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
    fn segment_and_version_names_sort_by_number() {
        let a = segment("t", "0123456789abcdef", 0, 9);
        let b = segment("t", "0123456789abcdef", 0, 10);
        assert!(a < b);
        assert_eq!(segment_base(a.rsplit('/').next().unwrap()), Some(9));
        assert_eq!(segment_base("9.seg"), None);
        assert_eq!(segment_base("0000000000000000000x.seg"), None);
        let v = version("d", 7);
        assert_eq!(v, "d/00000000000000000007.json");
        assert_eq!(version_number(v.rsplit('/').next().unwrap()), Some(7));
        assert_eq!(version_number("7.json"), None);
        assert!(version("d", 9) < version("d", 10));
    }
}
