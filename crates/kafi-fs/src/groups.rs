//! Committed offsets of consumer groups: versioned objects under
//! `groups/<group>/<topic>/`, one state per group and topic, tied to the
//! topic's incarnation so a re-created topic starts without commits.

use std::collections::BTreeMap;

use kafi_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::layout;
use crate::storage::Inner;
use crate::versioned::{FieldError, Version, VersionedState};

/// The committed offsets of one group for one topic.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct GroupOffsets {
    /// Random id of the write that created this version.
    #[serde(default)]
    pub writer: String,
    /// The topic incarnation the offsets belong to.
    pub incarnation: String,
    /// Next offset to read, per partition.
    pub offsets: BTreeMap<i32, i64>,
}

impl VersionedState for GroupOffsets {
    const WHAT: &'static str = "committed offsets";

    fn writer(&self) -> &str {
        &self.writer
    }

    fn set_writer(&mut self, writer: String) {
        self.writer = writer;
    }

    fn check(&self) -> std::result::Result<(), FieldError> {
        for (&partition, &offset) in &self.offsets {
            if partition < 0 {
                return Err(FieldError {
                    field: "offsets".into(),
                    problem: format!("names partition {partition}, a negative partition"),
                });
            }
            if offset < 0 {
                return Err(FieldError {
                    field: format!("offsets.{partition}"),
                    problem: format!("is {offset}, a negative offset"),
                });
            }
        }
        Ok(())
    }
}

/// A group's newest committed-offsets version for a topic.
pub(crate) type GroupVersion = Version<GroupOffsets>;

/// Rejects offsets no consumer can resume from.
pub(crate) fn check_commit(topic: &str, offsets: &BTreeMap<i32, i64>) -> Result<()> {
    for (&partition, &offset) in offsets {
        if offset < 0 {
            return Err(Error::InvalidArgument(format!(
                "cannot commit offset {offset} for {topic} partition {partition}: \
                 offsets are not negative"
            )));
        }
    }
    Ok(())
}

impl Inner {
    /// The group's committed offsets for the given incarnation of `topic`
    /// (commits of an earlier incarnation do not count), with the version
    /// they come from.
    pub(crate) async fn group_offsets(
        &self,
        group: &str,
        topic: &str,
        incarnation: &str,
    ) -> Result<(Option<GroupVersion>, BTreeMap<i32, i64>)> {
        let newest: Option<GroupVersion> = self
            .store
            .newest(&layout::group_offsets_dir(group, topic), None)
            .await?;
        let offsets = match &newest {
            Some(v) if v.state.incarnation == incarnation => v.state.offsets.clone(),
            _ => BTreeMap::new(),
        };
        Ok((newest, offsets))
    }

    /// Merges `offsets` into the group's committed offsets for `topic`
    /// (partitions not mentioned keep theirs). `known` is a version read
    /// before, to read on from. Returns the newest version afterwards.
    pub(crate) async fn commit_group(
        &self,
        group: &str,
        topic: &str,
        incarnation: &str,
        offsets: &BTreeMap<i32, i64>,
        known: Option<&GroupVersion>,
    ) -> Result<Option<GroupVersion>> {
        check_commit(topic, offsets)?;
        let dir = layout::group_offsets_dir(group, topic);
        self.store
            .update(&dir, known, |current: Option<&GroupOffsets>| {
                let mut next = match current {
                    Some(c) if c.incarnation == incarnation => c.clone(),
                    _ => GroupOffsets {
                        writer: String::new(),
                        incarnation: incarnation.to_owned(),
                        offsets: BTreeMap::new(),
                    },
                };
                next.offsets.extend(offsets.iter().map(|(&p, &o)| (p, o)));
                Ok((current != Some(&next)).then_some(next))
            })
            .await
    }
}
