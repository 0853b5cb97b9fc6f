//! Topics: listing, creating, deleting, partitions, watermarks, configs and
//! offsets.

use std::collections::BTreeMap;

use kafi_core::{TopicInfo, TopicSpec};

use crate::{Result, Shell};

impl Shell {
    /// Topic names matching `pattern` (shell globs), sorted.
    pub async fn ls(&self, pattern: Option<&str>) -> Result<Vec<String>> {
        Ok(self
            .storage()
            .list_topics(pattern, false)
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect())
    }

    /// Topics with partitions, watermarks and sizes (`ls -l`).
    pub async fn l(&self, pattern: Option<&str>) -> Result<Vec<TopicInfo>> {
        Ok(self.storage().list_topics(pattern, true).await?)
    }

    /// Whether the topic exists.
    pub async fn exists(&self, topic: &str) -> Result<bool> {
        Ok(self.storage().topic_exists(topic).await?)
    }

    /// Creates a topic with `partitions` partitions and `config`.
    pub async fn touch(
        &self,
        topic: &str,
        partitions: i32,
        config: BTreeMap<String, String>,
    ) -> Result<()> {
        self.storage()
            .create_topic(topic, &TopicSpec { partitions, config })
            .await?;
        Ok(())
    }

    /// Deletes topics matching `pattern`; returns their names.
    pub async fn rm(&self, pattern: &str) -> Result<Vec<String>> {
        let topics = if pattern.contains(['*', '?', '[']) {
            self.ls(Some(pattern)).await?
        } else {
            vec![pattern.to_owned()]
        };
        for topic in &topics {
            self.storage().delete_topic(topic).await?;
        }
        Ok(topics)
    }

    /// Number of partitions.
    pub async fn partitions(&self, topic: &str) -> Result<i32> {
        Ok(self.storage().partition_count(topic).await?)
    }

    /// Increases the number of partitions.
    pub async fn set_partitions(&self, topic: &str, count: i32) -> Result<()> {
        Ok(self.storage().set_partition_count(topic, count).await?)
    }

    /// `{partition: (low, high)}`.
    pub async fn watermarks(&self, topic: &str) -> Result<BTreeMap<i32, (i64, i64)>> {
        Ok(self.storage().watermarks(topic).await?)
    }

    /// The topic configuration.
    pub async fn config(&self, topic: &str) -> Result<BTreeMap<String, String>> {
        Ok(self.storage().topic_config(topic).await?)
    }

    /// Sets topic configuration entries.
    pub async fn set_config(&self, topic: &str, entries: &BTreeMap<String, String>) -> Result<()> {
        Ok(self.storage().alter_topic_config(topic, entries).await?)
    }

    /// Deletes records before the given offsets (`-1` = all); returns the
    /// new low watermarks.
    pub async fn delete_records(
        &self,
        topic: &str,
        offsets: &BTreeMap<i32, i64>,
    ) -> Result<BTreeMap<i32, i64>> {
        Ok(self.storage().delete_records(topic, offsets).await?)
    }

    /// The first offset at or after each timestamp; not found is `-1`, or the
    /// high watermark when `replace_not_found`.
    pub async fn offsets_for_times(
        &self,
        topic: &str,
        times: &BTreeMap<i32, i64>,
        replace_not_found: bool,
    ) -> Result<BTreeMap<i32, i64>> {
        let found = self.storage().offsets_for_times(topic, times).await?;
        let watermarks = if replace_not_found && found.values().any(Option::is_none) {
            self.watermarks(topic).await?
        } else {
            BTreeMap::new()
        };
        Ok(found
            .into_iter()
            .map(|(p, o)| {
                (
                    p,
                    o.unwrap_or_else(|| watermarks.get(&p).map_or(-1, |w| w.1)),
                )
            })
            .collect())
    }

    /// Deletes and re-creates a topic with the same partitions and config.
    pub async fn recreate(&self, topic: &str) -> Result<()> {
        let partitions = self.partitions(topic).await?;
        let config = self.config(topic).await?;
        self.storage().delete_topic(topic).await?;
        self.touch(topic, partitions, config).await
    }
}
