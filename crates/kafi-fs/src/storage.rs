//! [`FsStorage`]: the [`Storage`] implementation over a [`Store`].

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use kafi_config::StorageConfig;
use kafi_core::storage::{ConsumerOptions, ProducerOptions};
use kafi_core::topic::{validate_topic_name, NamePattern};
use kafi_core::{
    Error, GroupDescription, ObjectStore, PartitionInfo, RawConsumer, RawProducer, Result, Storage,
    StorageKind, TopicInfo, TopicSpec,
};

use crate::batch::{self, SegmentReader};
use crate::consumer::FsConsumer;
use crate::layout;
use crate::meta::MAX_PARTITIONS;
use crate::objects::FsObjects;
use crate::producer::FsProducer;
use crate::segments::PartitionRef;
use crate::services;
use crate::store::Store;

/// Kafka emulated on a file system or object store.
#[derive(Debug, Clone)]
pub struct FsStorage {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) store: Store,
    kind: StorageKind,
    name: String,
}

impl FsStorage {
    /// Connects to the storage a config describes, on the service its
    /// storage section names (`local` today). Named `KIND:NAME` in messages.
    pub async fn connect(config: &StorageConfig) -> Result<Self> {
        let store = services::open(config).await?;
        let kind = config.kind();
        Ok(Self::with_store(
            store,
            kind,
            format!("{kind}:{}", config.name),
        ))
    }

    /// A local storage rooted at `root` (created on the first write),
    /// without a configuration file.
    pub fn local_at(root: &Path) -> Result<Self> {
        let store = Store::local(root)?;
        Ok(Self::with_store(
            store,
            StorageKind::Local,
            format!("local:{}", root.display()),
        ))
    }

    fn with_store(store: Store, kind: StorageKind, name: String) -> Self {
        Self {
            inner: Arc::new(Inner { store, kind, name }),
        }
    }
}

#[async_trait]
impl Storage for FsStorage {
    fn kind(&self) -> StorageKind {
        self.inner.kind
    }

    fn name(&self) -> &str {
        &self.inner.name
    }

    fn objects(&self, prefix: &str) -> Option<Arc<dyn ObjectStore>> {
        Some(Arc::new(FsObjects::new(self.inner.store.clone(), prefix)))
    }

    async fn list_topics(&self, pattern: Option<&str>, detailed: bool) -> Result<Vec<TopicInfo>> {
        let pattern = NamePattern::new(pattern)?;
        let mut out = Vec::new();
        for entry in self.inner.store.list(layout::topics_dir()).await? {
            let name = entry.trim_end_matches('/');
            if validate_topic_name(name).is_err() || !pattern.matches(name) {
                continue;
            }
            // No metadata yet (being created) or a tombstone: not a topic.
            let meta = match self.inner.newest_meta(name).await? {
                Some(meta) if !meta.state.deleted => meta,
                _ => continue,
            };
            let partitions = if detailed {
                let mut infos = Vec::with_capacity(meta.state.partitions as usize);
                for partition in 0..meta.state.partitions {
                    let (low, high) = self
                        .inner
                        .partition_watermarks(name, &meta, partition)
                        .await?;
                    let p = PartitionRef::new(name, &meta, partition);
                    let mut size = 0;
                    for base in self.inner.segments(p).await? {
                        size += self.inner.store.size(&p.segment(base)).await?;
                    }
                    infos.push(PartitionInfo {
                        partition,
                        low,
                        high,
                        size_bytes: Some(size),
                    });
                }
                Some(infos)
            } else {
                None
            };
            out.push(TopicInfo {
                name: name.to_owned(),
                partitions,
            });
        }
        Ok(out)
    }

    async fn topic_exists(&self, topic: &str) -> Result<bool> {
        match self.inner.topic(topic).await {
            Ok(_) => Ok(true),
            Err(Error::TopicNotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn create_topic(&self, topic: &str, spec: &TopicSpec) -> Result<()> {
        validate_topic_name(topic)?;
        check_partition_count(spec.partitions)?;
        self.inner
            .create_topic_meta(topic, spec.partitions, &spec.config)
            .await
    }

    async fn delete_topic(&self, topic: &str) -> Result<()> {
        self.inner.delete_topic_meta(topic).await
    }

    async fn partition_count(&self, topic: &str) -> Result<i32> {
        Ok(self.inner.topic(topic).await?.state.partitions)
    }

    async fn set_partition_count(&self, topic: &str, count: i32) -> Result<()> {
        self.inner
            .update_topic(topic, |meta| {
                if count <= meta.partitions {
                    return Err(Error::InvalidArgument(format!(
                        "topic {topic:?} has {} partition(s); the count can only be increased, not set to {count}",
                        meta.partitions
                    )));
                }
                check_partition_count(count)?;
                let mut next = meta.clone();
                next.partitions = count;
                Ok(Some(next))
            })
            .await
            .map(|_| ())
    }

    async fn watermarks(&self, topic: &str) -> Result<BTreeMap<i32, (i64, i64)>> {
        let meta = self.inner.topic(topic).await?;
        let mut out = BTreeMap::new();
        for partition in 0..meta.state.partitions {
            out.insert(
                partition,
                self.inner
                    .partition_watermarks(topic, &meta, partition)
                    .await?,
            );
        }
        Ok(out)
    }

    async fn topic_config(&self, topic: &str) -> Result<BTreeMap<String, String>> {
        Ok(self.inner.topic(topic).await?.state.config)
    }

    async fn alter_topic_config(
        &self,
        topic: &str,
        entries: &BTreeMap<String, String>,
    ) -> Result<()> {
        self.inner
            .update_topic(topic, |meta| {
                let mut next = meta.clone();
                next.config
                    .extend(entries.iter().map(|(k, v)| (k.clone(), v.clone())));
                Ok((next != *meta).then_some(next))
            })
            .await
            .map(|_| ())
    }

    async fn delete_records(
        &self,
        topic: &str,
        offsets: &BTreeMap<i32, i64>,
    ) -> Result<BTreeMap<i32, i64>> {
        let meta = self.inner.topic(topic).await?;
        let mut targets = BTreeMap::new();
        for (&partition, &offset) in offsets {
            Inner::check_partition(topic, &meta.state, partition)?;
            let (low, high) = self
                .inner
                .partition_watermarks(topic, &meta, partition)
                .await?;
            let target = if offset == -1 { high } else { offset };
            if target < 0 || target > high {
                return Err(Error::InvalidArgument(format!(
                    "cannot delete records of {topic} partition {partition} before offset {offset}: \
                     the partition holds offsets {low}..{high}"
                )));
            }
            targets.insert(partition, target);
        }
        // The low watermarks only rise; raising them is the commit point,
        // deleting the segments below them is clean-up.
        let incarnation = meta.state.incarnation.clone();
        let updated = self
            .inner
            .update_topic(topic, |current| {
                if current.incarnation != incarnation {
                    return Err(Error::TopicNotFound(topic.to_owned()));
                }
                let mut next = current.clone();
                for (&partition, &target) in &targets {
                    let low = next.low_watermarks.entry(partition).or_insert(0);
                    *low = (*low).max(target);
                }
                Ok((next != *current).then_some(next))
            })
            .await?;
        let mut out = BTreeMap::new();
        for &partition in targets.keys() {
            let low = updated.state.low_watermark(partition);
            // Drop whole segments below the low watermark, but keep the last
            // one: it records the high watermark.
            let p = PartitionRef::new(topic, &updated, partition);
            let segments = self.inner.segments(p).await?;
            for pair in segments.windows(2) {
                if pair[1] <= low {
                    self.inner.store.delete(&p.segment(pair[0])).await?;
                }
            }
            out.insert(partition, low);
        }
        Ok(out)
    }

    async fn offsets_for_times(
        &self,
        topic: &str,
        times: &BTreeMap<i32, i64>,
    ) -> Result<BTreeMap<i32, Option<i64>>> {
        let meta = self.inner.topic(topic).await?;
        let topic_arc: Arc<str> = Arc::from(topic);
        let mut out = BTreeMap::new();
        for (&partition, &millis) in times {
            Inner::check_partition(topic, &meta.state, partition)?;
            let (low, _) = self
                .inner
                .partition_watermarks(topic, &meta, partition)
                .await?;
            let p = PartitionRef::new(topic, &meta, partition);
            let mut found = None;
            'segments: for base in self.inner.segments(p).await? {
                let Some(data) = self.inner.read_segment(p, base).await? else {
                    continue;
                };
                let headers =
                    batch::headers(&data, base).map_err(|e| self.inner.corrupt(p, base, e))?;
                if headers.iter().all(|h| h.max_timestamp < millis) {
                    continue;
                }
                let mut reader = SegmentReader::new(data, topic_arc.clone(), partition, base);
                while let Some(m) = reader.next().map_err(|e| self.inner.corrupt(p, base, e))? {
                    if m.offset >= low && m.timestamp.millis >= millis {
                        found = Some(m.offset);
                        break 'segments;
                    }
                }
            }
            out.insert(partition, found);
        }
        Ok(out)
    }

    async fn list_groups(&self) -> Result<Vec<String>> {
        let names = self.inner.store.list(layout::groups_dir()).await?;
        Ok(names
            .iter()
            .filter_map(|n| kafi_core::topic::decode_name(n.trim_end_matches('/')))
            .collect())
    }

    async fn describe_group(&self, group: &str) -> Result<GroupDescription> {
        let offsets = self.committed_offsets(group, None).await?;
        if offsets.is_empty() && !self.list_groups().await?.iter().any(|g| g == group) {
            return Err(Error::GroupNotFound(group.to_owned()));
        }
        Ok(GroupDescription {
            group: group.to_owned(),
            state: "Empty".into(),
            members: Vec::new(),
            protocol: String::new(),
            topics: offsets.into_keys().collect(),
        })
    }

    async fn delete_group(&self, group: &str) -> Result<()> {
        if !self.list_groups().await?.iter().any(|g| g == group) {
            return Err(Error::GroupNotFound(group.to_owned()));
        }
        self.inner.store.delete_all(&layout::group_dir(group)).await
    }

    async fn committed_offsets(
        &self,
        group: &str,
        topic: Option<&str>,
    ) -> Result<BTreeMap<String, BTreeMap<i32, i64>>> {
        let topics: Vec<String> = match topic {
            Some(t) => {
                validate_topic_name(t)?;
                vec![t.to_owned()]
            }
            None => self
                .inner
                .store
                .list(&layout::group_dir(group))
                .await?
                .iter()
                .map(|n| n.trim_end_matches('/'))
                .filter(|n| validate_topic_name(n).is_ok())
                .map(str::to_owned)
                .collect(),
        };
        let mut out = BTreeMap::new();
        for t in topics {
            // Commits to a deleted topic, or to an earlier topic of the same
            // name, do not count.
            let meta = match self.inner.topic(&t).await {
                Ok(meta) => meta,
                Err(Error::TopicNotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            let (_, offsets) = self
                .inner
                .group_offsets(group, &t, &meta.state.incarnation)
                .await?;
            if !offsets.is_empty() {
                out.insert(t, offsets);
            }
        }
        Ok(out)
    }

    async fn commit_offsets(
        &self,
        group: &str,
        topic: &str,
        offsets: &BTreeMap<i32, i64>,
    ) -> Result<()> {
        let meta = self.inner.topic(topic).await?;
        for &partition in offsets.keys() {
            Inner::check_partition(topic, &meta.state, partition)?;
        }
        self.inner
            .commit_group(group, topic, &meta.state.incarnation, offsets, None)
            .await
            .map(|_| ())
    }

    async fn producer(
        &self,
        topic: &str,
        options: ProducerOptions,
    ) -> Result<Box<dyn RawProducer>> {
        let meta = self.inner.topic(topic).await?;
        Ok(Box::new(FsProducer::new(
            self.inner.clone(),
            topic,
            meta,
            options,
        )))
    }

    async fn consumer(
        &self,
        topic: &str,
        options: ConsumerOptions,
    ) -> Result<Box<dyn RawConsumer>> {
        Ok(Box::new(
            FsConsumer::open(self.inner.clone(), topic, options).await?,
        ))
    }
}

/// Checks a partition count given by a user.
fn check_partition_count(count: i32) -> Result<()> {
    if count < 1 {
        return Err(Error::InvalidArgument(format!(
            "a topic needs at least 1 partition, got {count}"
        )));
    }
    if count > MAX_PARTITIONS {
        return Err(Error::InvalidArgument(format!(
            "a topic can have at most {MAX_PARTITIONS} partitions, got {count}"
        )));
    }
    Ok(())
}
