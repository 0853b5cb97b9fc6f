//! Consumer groups: listing, describing, deleting, offsets and lags.

use std::collections::BTreeMap;

use kafi_core::GroupDescription;

use crate::{Result, Shell};

impl Shell {
    /// Consumer groups matching `pattern`.
    pub async fn groups(&self, pattern: Option<&str>) -> Result<Vec<String>> {
        let pattern = kafi_core::topic::NamePattern::new(pattern)?;
        let mut groups: Vec<String> = self
            .storage()
            .list_groups()
            .await?
            .into_iter()
            .filter(|g| pattern.matches(g))
            .collect();
        groups.sort();
        Ok(groups)
    }

    /// Describes the groups matching `pattern`.
    pub async fn describe_groups(&self, pattern: Option<&str>) -> Result<Vec<GroupDescription>> {
        let mut out = Vec::new();
        for group in self.groups(pattern).await? {
            out.push(self.storage().describe_group(&group).await?);
        }
        Ok(out)
    }

    /// Deletes the groups matching `pattern`; returns their ids.
    pub async fn delete_groups(&self, pattern: &str) -> Result<Vec<String>> {
        let groups = self.groups(Some(pattern)).await?;
        if groups.is_empty() && !pattern.contains(['*', '?', '[']) {
            return Err(kafi_core::Error::GroupNotFound(pattern.to_owned()).into());
        }
        for group in &groups {
            self.storage().delete_group(group).await?;
        }
        Ok(groups)
    }

    /// Committed offsets `{group: {topic: {partition: offset}}}` of the
    /// groups matching `pattern`.
    pub async fn group_offsets(
        &self,
        pattern: Option<&str>,
    ) -> Result<BTreeMap<String, BTreeMap<String, BTreeMap<i32, i64>>>> {
        let mut out = BTreeMap::new();
        for group in self.groups(pattern).await? {
            let offsets = self.storage().committed_offsets(&group, None).await?;
            out.insert(group, offsets);
        }
        Ok(out)
    }

    /// Sets a group's committed offsets for a topic.
    pub async fn set_group_offsets(
        &self,
        group: &str,
        topic: &str,
        offsets: &BTreeMap<i32, i64>,
    ) -> Result<()> {
        Ok(self.storage().commit_offsets(group, topic, offsets).await?)
    }

    /// Lag per partition `{topic: {partition: high - committed}}` of a group
    /// (partitions without a committed offset count from the low watermark).
    pub async fn lags(
        &self,
        group: &str,
        topic: Option<&str>,
    ) -> Result<BTreeMap<String, BTreeMap<i32, i64>>> {
        let committed = self.storage().committed_offsets(group, topic).await?;
        if committed.is_empty() && topic.is_none() {
            return Err(kafi_core::Error::GroupNotFound(group.to_owned()).into());
        }
        let mut out = BTreeMap::new();
        let topics: Vec<String> = match topic {
            Some(t) => vec![t.to_owned()],
            None => committed.keys().cloned().collect(),
        };
        for t in topics {
            let offsets = committed.get(&t).cloned().unwrap_or_default();
            let lags = self
                .watermarks(&t)
                .await?
                .into_iter()
                .map(|(p, (low, high))| {
                    (p, high - offsets.get(&p).copied().unwrap_or(low).max(low))
                })
                .collect();
            out.insert(t, lags);
        }
        Ok(out)
    }

    /// Copies a group's committed offsets to `target` (as `target_group`).
    pub async fn cp_group_offsets(
        &self,
        group: &str,
        target: &Shell,
        target_group: &str,
    ) -> Result<usize> {
        let committed = self.storage().committed_offsets(group, None).await?;
        if committed.is_empty() {
            return Err(kafi_core::Error::GroupNotFound(group.to_owned()).into());
        }
        let mut topics = 0;
        for (topic, offsets) in committed {
            if target.exists(&topic).await? {
                target
                    .set_group_offsets(target_group, &topic, &offsets)
                    .await?;
                topics += 1;
            }
        }
        Ok(topics)
    }
}
