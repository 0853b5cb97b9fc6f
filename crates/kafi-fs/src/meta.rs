//! Topic metadata: versioned objects under `topics/<topic>/meta/`, holding
//! the partition count, the topic config, the low watermarks and the
//! incarnation (the directory holding the topic's segments). Deleting a
//! topic writes a tombstone version.

use std::collections::BTreeMap;

use kafi_core::topic::validate_topic_name;
use kafi_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::layout;
use crate::random::{is_random_id, random_id};
use crate::storage::Inner;
use crate::versioned::{FieldError, Version, VersionedState};

/// The largest partition count a topic may have.
pub(crate) const MAX_PARTITIONS: i32 = 100_000;

/// One version of a topic's metadata.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct TopicMeta {
    /// Random id of the write that created this version.
    #[serde(default)]
    pub writer: String,
    /// Random id naming the directory of this topic's segments; a topic
    /// re-created under the same name gets a new one.
    pub incarnation: String,
    /// A tombstone: the topic was deleted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// Number of partitions, `1..=MAX_PARTITIONS` (0 in a tombstone).
    #[serde(default)]
    pub partitions: i32,
    /// Topic configuration.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Offsets below which records were deleted, per partition (absent: 0).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub low_watermarks: BTreeMap<i32, i64>,
}

impl TopicMeta {
    /// The low watermark recorded for `partition`.
    pub(crate) fn low_watermark(&self, partition: i32) -> i64 {
        self.low_watermarks.get(&partition).copied().unwrap_or(0)
    }
}

impl VersionedState for TopicMeta {
    const WHAT: &'static str = "topic metadata";

    fn writer(&self) -> &str {
        &self.writer
    }

    fn set_writer(&mut self, writer: String) {
        self.writer = writer;
    }

    fn check(&self) -> std::result::Result<(), FieldError> {
        let bad = |field: &str, problem: String| {
            Err(FieldError {
                field: field.to_owned(),
                problem,
            })
        };
        if !is_random_id(&self.incarnation) {
            return bad(
                "incarnation",
                format!(
                    "is {:?}, not an id of 16 hex digits [0-9a-f]",
                    self.incarnation
                ),
            );
        }
        if self.deleted {
            return Ok(());
        }
        if !(1..=MAX_PARTITIONS).contains(&self.partitions) {
            return bad(
                "partitions",
                format!("is {}, not in 1..={MAX_PARTITIONS}", self.partitions),
            );
        }
        for (&partition, &offset) in &self.low_watermarks {
            if !(0..self.partitions).contains(&partition) {
                return bad(
                    "low_watermarks",
                    format!(
                        "names partition {partition}, not one of the topic's {} partition(s)",
                        self.partitions
                    ),
                );
            }
            if offset < 0 {
                return bad(
                    &format!("low_watermarks.{partition}"),
                    format!("is {offset}, a negative offset"),
                );
            }
        }
        Ok(())
    }
}

/// A topic's current metadata: the newest version, never a tombstone.
pub(crate) type TopicVersion = Version<TopicMeta>;

impl Inner {
    /// The current metadata of `topic`.
    pub(crate) async fn topic(&self, topic: &str) -> Result<TopicVersion> {
        validate_topic_name(topic)?;
        match self.newest_meta(topic).await? {
            Some(v) if !v.state.deleted => Ok(v),
            _ => Err(Error::TopicNotFound(topic.to_owned())),
        }
    }

    /// The newest metadata version of `topic` (maybe a tombstone).
    pub(crate) async fn newest_meta(&self, topic: &str) -> Result<Option<TopicVersion>> {
        let newest = self
            .store
            .newest(&layout::topic_meta_dir(topic), None)
            .await?;
        if newest.is_none() {
            self.reject_legacy(topic).await?;
        }
        Ok(newest)
    }

    /// The metadata of `topic` again, reading only versions after `known`;
    /// `None` if the topic was deleted (or deleted and re-created) since.
    pub(crate) async fn refresh_topic(
        &self,
        topic: &str,
        known: &TopicVersion,
    ) -> Result<Option<TopicVersion>> {
        let newest = self
            .store
            .newest(&layout::topic_meta_dir(topic), Some(known))
            .await?
            .expect("at least the known version");
        if newest.state.deleted || newest.state.incarnation != known.state.incarnation {
            return Ok(None);
        }
        Ok(Some(newest))
    }

    /// Changes the metadata of an existing topic with `change` (see
    /// `Store::update`); `TopicNotFound` if there is none.
    pub(crate) async fn update_topic(
        &self,
        topic: &str,
        mut change: impl FnMut(&TopicMeta) -> Result<Option<TopicMeta>>,
    ) -> Result<TopicVersion> {
        validate_topic_name(topic)?;
        let dir = layout::topic_meta_dir(topic);
        let updated = self
            .store
            .update(&dir, None, |current: Option<&TopicMeta>| match current {
                Some(meta) if !meta.deleted => change(meta),
                _ => Err(Error::TopicNotFound(topic.to_owned())),
            })
            .await?;
        match updated {
            Some(v) if !v.state.deleted => Ok(v),
            _ => Err(Error::TopicNotFound(topic.to_owned())),
        }
    }

    /// Creates `topic` with a new incarnation, unless it exists.
    pub(crate) async fn create_topic_meta(
        &self,
        topic: &str,
        partitions: i32,
        config: &BTreeMap<String, String>,
    ) -> Result<()> {
        validate_topic_name(topic)?;
        self.reject_legacy(topic).await?;
        let dir = layout::topic_meta_dir(topic);
        let mut previous = None;
        self.store
            .update(&dir, None, |current: Option<&TopicMeta>| {
                if let Some(meta) = current {
                    if !meta.deleted {
                        return Err(Error::TopicExists(topic.to_owned()));
                    }
                }
                previous = current.map(|m| m.incarnation.clone());
                Ok(Some(TopicMeta {
                    writer: String::new(),
                    incarnation: random_id(),
                    deleted: false,
                    partitions,
                    config: config.clone(),
                    low_watermarks: BTreeMap::new(),
                }))
            })
            .await?;
        // Segments a producer wrote into the deleted incarnation after the
        // deletion's clean-up; nobody reads them.
        if let Some(old) = previous {
            self.remove_incarnation(topic, &old).await;
        }
        Ok(())
    }

    /// Deletes `topic`: the tombstone version is the commit point, the
    /// removal of the data after it is clean-up.
    pub(crate) async fn delete_topic_meta(&self, topic: &str) -> Result<()> {
        validate_topic_name(topic)?;
        let dir = layout::topic_meta_dir(topic);
        let tombstone = self
            .store
            .update(&dir, None, |current: Option<&TopicMeta>| match current {
                Some(meta) if !meta.deleted => Ok(Some(TopicMeta {
                    writer: String::new(),
                    incarnation: meta.incarnation.clone(),
                    deleted: true,
                    partitions: 0,
                    config: BTreeMap::new(),
                    low_watermarks: BTreeMap::new(),
                })),
                _ => Err(Error::TopicNotFound(topic.to_owned())),
            })
            .await?
            .expect("a tombstone was written");
        self.remove_incarnation(topic, &tombstone.state.incarnation)
            .await;
        self.store
            .delete_versions_below(&dir, tombstone.number)
            .await;
        Ok(())
    }

    /// Removes the segments of a deleted incarnation (best effort: a
    /// producer may still be writing there).
    pub(crate) async fn remove_incarnation(&self, topic: &str, incarnation: &str) {
        let dir = layout::incarnation_dir(topic, incarnation);
        if let Err(e) = self.store.delete_all(&dir).await {
            tracing::debug!("clean-up of deleted topic data: {e}");
        }
    }

    /// Storages written before versioned metadata kept `topic.json`: say
    /// so rather than report the topic missing (or create a second one).
    async fn reject_legacy(&self, topic: &str) -> Result<()> {
        let legacy = layout::legacy_topic_meta(topic);
        if self.store.exists(&legacy).await? {
            return Err(Error::Corrupt {
                path: self.store.display(&legacy),
                position: 0,
                reason: "topic metadata in the storage format before versioned metadata, \
                         which this version of kafi does not read"
                    .into(),
            });
        }
        Ok(())
    }

    /// Checks that `partition` is one of the topic's partitions.
    pub(crate) fn check_partition(topic: &str, meta: &TopicMeta, partition: i32) -> Result<()> {
        if partition < 0 || partition >= meta.partitions {
            return Err(Error::PartitionNotFound {
                topic: topic.to_owned(),
                partition,
                partitions: meta.partitions,
            });
        }
        Ok(())
    }

    /// Where version `number` of a topic's metadata is, for messages.
    pub(crate) fn meta_display(&self, topic: &str, number: u64) -> String {
        self.store
            .display(&layout::version(&layout::topic_meta_dir(topic), number))
    }
}
