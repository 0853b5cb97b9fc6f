//! [`FsStorage`]: the [`Storage`] implementation over a [`Store`].

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use kafi_config::{KafiSettings, SharedSettings, StorageConfig, StorageKind};
use kafi_core::storage::{ConsumerOptions, ProducerOptions};
use kafi_core::topic::{validate_topic_name, NamePattern};
use kafi_core::{
    Error, GroupDescription, PartitionInfo, RawConsumer, RawProducer, Result, Storage, TopicInfo,
    TopicSpec,
};

use crate::batch::{self, SegmentReader};
use crate::consumer::FsConsumer;
use crate::layout::{self, TopicMeta};
use crate::producer::FsProducer;
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
    settings: SharedSettings,
}

impl FsStorage {
    /// Opens the local storage described by a config (its `local` section).
    pub fn local(config: &StorageConfig) -> Result<Self> {
        let section = config.local()?;
        let store = Store::local(Path::new(&section.root_dir))?;
        Ok(Self::with_store(
            store,
            StorageKind::Local,
            format!("local:{}", config.name),
            config.kafi.clone(),
        ))
    }

    /// Opens a local storage rooted at `root` with the given settings.
    pub fn local_at(root: &Path, settings: KafiSettings) -> Result<Self> {
        let store = Store::local(root)?;
        Ok(Self::with_store(
            store,
            StorageKind::Local,
            format!("local:{}", root.display()),
            settings,
        ))
    }

    fn with_store(store: Store, kind: StorageKind, name: String, settings: KafiSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                kind,
                name,
                settings: SharedSettings::new(settings),
            }),
        }
    }
}

impl Inner {
    pub(crate) async fn meta(&self, topic: &str) -> Result<TopicMeta> {
        validate_topic_name(topic)?;
        let path = layout::topic_meta(topic);
        let data = self
            .store
            .read(&path)
            .await?
            .ok_or_else(|| Error::TopicNotFound(topic.to_owned()))?;
        serde_json::from_slice(&data).map_err(|e| Error::Corrupt {
            path: self.store.display(&path),
            position: e.column() as u64,
            reason: format!("invalid topic metadata: {e}"),
        })
    }

    async fn write_meta(&self, topic: &str, meta: &TopicMeta) -> Result<()> {
        let data = serde_json::to_vec_pretty(meta).expect("topic metadata serializes");
        self.store
            .put(&layout::topic_meta(topic), Bytes::from(data))
            .await
    }

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

    /// Base offsets of a partition's segments, ascending.
    pub(crate) async fn segments(&self, topic: &str, partition: i32) -> Result<Vec<i64>> {
        let names = self
            .store
            .list(&layout::partition_dir(topic, partition))
            .await?;
        let mut bases: Vec<i64> = names
            .iter()
            .filter_map(|n| layout::segment_base(n))
            .collect();
        bases.sort_unstable();
        Ok(bases)
    }

    /// Reads a segment; `None` if it does not exist.
    pub(crate) async fn read_segment(
        &self,
        topic: &str,
        partition: i32,
        base: i64,
    ) -> Result<Option<Bytes>> {
        self.store
            .read(&layout::segment(topic, partition, base))
            .await
    }

    /// The offset after the last record of the segment at `base`.
    pub(crate) async fn segment_end(
        &self,
        topic: &str,
        partition: i32,
        base: i64,
    ) -> Result<Option<i64>> {
        let Some(data) = self.read_segment(topic, partition, base).await? else {
            return Ok(None);
        };
        SegmentReader::end_offset(&data, base).map_err(|e| self.corrupt(topic, partition, base, e))
    }

    pub(crate) fn corrupt(
        &self,
        topic: &str,
        partition: i32,
        base: i64,
        e: batch::DecodeError,
    ) -> Error {
        Error::Corrupt {
            path: self.store.display(&layout::segment(topic, partition, base)),
            position: e.position,
            reason: e.reason,
        }
    }

    pub(crate) async fn low_watermark_file(&self, topic: &str, partition: i32) -> Result<i64> {
        let path = layout::low_watermark(topic, partition);
        match self.store.read(&path).await? {
            None => Ok(0),
            Some(data) => std::str::from_utf8(&data)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| Error::Corrupt {
                    path: self.store.display(&path),
                    position: 0,
                    reason: "not an offset".into(),
                }),
        }
    }

    /// `(low, high)` of one partition.
    pub(crate) async fn partition_watermarks(
        &self,
        topic: &str,
        partition: i32,
    ) -> Result<(i64, i64)> {
        let segments = self.segments(topic, partition).await?;
        let low_file = self.low_watermark_file(topic, partition).await?;
        let high = match segments.last() {
            Some(&last) => self
                .segment_end(topic, partition, last)
                .await?
                .unwrap_or(last),
            None => low_file,
        };
        let first = segments.first().copied().unwrap_or(high);
        Ok((first.max(low_file).min(high), high))
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

    fn settings(&self) -> &SharedSettings {
        &self.inner.settings
    }

    async fn list_topics(&self, pattern: Option<&str>, detailed: bool) -> Result<Vec<TopicInfo>> {
        let pattern = NamePattern::new(pattern)?;
        let mut out = Vec::new();
        for entry in self.inner.store.list("topics").await? {
            let name = entry.trim_end_matches('/');
            if validate_topic_name(name).is_err() || !pattern.matches(name) {
                continue;
            }
            let meta = match self.inner.meta(name).await {
                Ok(meta) => meta,
                // A directory without metadata is a topic being created or deleted.
                Err(Error::TopicNotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            let partitions = if detailed {
                let mut infos = Vec::with_capacity(meta.partitions as usize);
                for partition in 0..meta.partitions {
                    let (low, high) = self.inner.partition_watermarks(name, partition).await?;
                    let mut size = 0;
                    for base in self.inner.segments(name, partition).await? {
                        size += self
                            .inner
                            .store
                            .size(&layout::segment(name, partition, base))
                            .await?;
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
        validate_topic_name(topic)?;
        self.inner.store.exists(&layout::topic_meta(topic)).await
    }

    async fn create_topic(&self, topic: &str, spec: &TopicSpec) -> Result<()> {
        validate_topic_name(topic)?;
        if spec.partitions < 1 {
            return Err(Error::InvalidArgument(format!(
                "a topic needs at least 1 partition, got {}",
                spec.partitions
            )));
        }
        let meta = TopicMeta {
            partitions: spec.partitions,
            config: spec.config.clone(),
        };
        let data =
            Bytes::from(serde_json::to_vec_pretty(&meta).expect("topic metadata serializes"));
        if !self
            .inner
            .store
            .put_if_absent(&layout::topic_meta(topic), data)
            .await?
        {
            return Err(Error::TopicExists(topic.to_owned()));
        }
        Ok(())
    }

    async fn delete_topic(&self, topic: &str) -> Result<()> {
        if !self.topic_exists(topic).await? {
            return Err(Error::TopicNotFound(topic.to_owned()));
        }
        // Metadata first, so the topic disappears before its data does.
        self.inner.store.delete(&layout::topic_meta(topic)).await?;
        self.inner.store.delete_all(&layout::topic_dir(topic)).await
    }

    async fn partition_count(&self, topic: &str) -> Result<i32> {
        Ok(self.inner.meta(topic).await?.partitions)
    }

    async fn set_partition_count(&self, topic: &str, count: i32) -> Result<()> {
        let mut meta = self.inner.meta(topic).await?;
        if count <= meta.partitions {
            return Err(Error::InvalidArgument(format!(
                "topic {topic:?} has {} partition(s); the count can only be increased, not set to {count}",
                meta.partitions
            )));
        }
        meta.partitions = count;
        self.inner.write_meta(topic, &meta).await
    }

    async fn watermarks(&self, topic: &str) -> Result<BTreeMap<i32, (i64, i64)>> {
        let meta = self.inner.meta(topic).await?;
        let mut out = BTreeMap::new();
        for partition in 0..meta.partitions {
            out.insert(
                partition,
                self.inner.partition_watermarks(topic, partition).await?,
            );
        }
        Ok(out)
    }

    async fn topic_config(&self, topic: &str) -> Result<BTreeMap<String, String>> {
        Ok(self.inner.meta(topic).await?.config)
    }

    async fn alter_topic_config(
        &self,
        topic: &str,
        entries: &BTreeMap<String, String>,
    ) -> Result<()> {
        let mut meta = self.inner.meta(topic).await?;
        meta.config
            .extend(entries.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.inner.write_meta(topic, &meta).await
    }

    async fn delete_records(
        &self,
        topic: &str,
        offsets: &BTreeMap<i32, i64>,
    ) -> Result<BTreeMap<i32, i64>> {
        let meta = self.inner.meta(topic).await?;
        let mut out = BTreeMap::new();
        for (&partition, &offset) in offsets {
            Inner::check_partition(topic, &meta, partition)?;
            let (low, high) = self.inner.partition_watermarks(topic, partition).await?;
            let target = if offset == -1 { high } else { offset };
            if target < 0 || target > high {
                return Err(Error::InvalidArgument(format!(
                    "cannot delete records of {topic} partition {partition} before offset {offset}: \
                     the partition holds offsets {low}..{high}"
                )));
            }
            if target > low {
                self.inner
                    .store
                    .put(
                        &layout::low_watermark(topic, partition),
                        Bytes::from(target.to_string()),
                    )
                    .await?;
                // Drop whole segments below the new low watermark, but keep the
                // last one: it records the high watermark.
                let segments = self.inner.segments(topic, partition).await?;
                for pair in segments.windows(2) {
                    if pair[1] <= target {
                        self.inner
                            .store
                            .delete(&layout::segment(topic, partition, pair[0]))
                            .await?;
                    }
                }
            }
            out.insert(partition, target.max(low));
        }
        Ok(out)
    }

    async fn offsets_for_times(
        &self,
        topic: &str,
        times: &BTreeMap<i32, i64>,
    ) -> Result<BTreeMap<i32, Option<i64>>> {
        let meta = self.inner.meta(topic).await?;
        let topic_arc: Arc<str> = Arc::from(topic);
        let mut out = BTreeMap::new();
        for (&partition, &millis) in times {
            Inner::check_partition(topic, &meta, partition)?;
            let (low, _) = self.inner.partition_watermarks(topic, partition).await?;
            let mut found = None;
            'segments: for base in self.inner.segments(topic, partition).await? {
                let Some(data) = self.inner.read_segment(topic, partition, base).await? else {
                    continue;
                };
                let headers = batch::headers(&data, base)
                    .map_err(|e| self.inner.corrupt(topic, partition, base, e))?;
                if headers.iter().all(|h| h.max_timestamp < millis) {
                    continue;
                }
                let mut reader = SegmentReader::new(data, topic_arc.clone(), partition, base);
                while let Some(m) = reader
                    .next()
                    .map_err(|e| self.inner.corrupt(topic, partition, base, e))?
                {
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
            .filter_map(|n| kafi_core::topic::decode_name(n))
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
                .filter_map(|n| n.strip_suffix(".json").map(str::to_owned))
                .collect(),
        };
        let mut out = BTreeMap::new();
        for t in topics {
            let offsets = self.inner.read_group_offsets(group, &t).await?;
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
        let meta = self.inner.meta(topic).await?;
        for &partition in offsets.keys() {
            Inner::check_partition(topic, &meta, partition)?;
        }
        self.inner.write_group_offsets(group, topic, offsets).await
    }

    async fn producer(
        &self,
        topic: &str,
        options: ProducerOptions,
    ) -> Result<Box<dyn RawProducer>> {
        let meta = self.inner.meta(topic).await?;
        Ok(Box::new(FsProducer::new(
            self.inner.clone(),
            topic,
            meta.partitions,
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

impl Inner {
    pub(crate) async fn read_group_offsets(
        &self,
        group: &str,
        topic: &str,
    ) -> Result<BTreeMap<i32, i64>> {
        let path = layout::group_offsets(group, topic);
        match self.store.read(&path).await? {
            None => Ok(BTreeMap::new()),
            Some(data) => serde_json::from_slice(&data).map_err(|e| Error::Corrupt {
                path: self.store.display(&path),
                position: e.column() as u64,
                reason: format!("invalid committed offsets: {e}"),
            }),
        }
    }

    /// Merges `offsets` into the group's committed offsets for `topic`.
    pub(crate) async fn write_group_offsets(
        &self,
        group: &str,
        topic: &str,
        offsets: &BTreeMap<i32, i64>,
    ) -> Result<()> {
        let mut all = self.read_group_offsets(group, topic).await?;
        all.extend(offsets.iter().map(|(p, o)| (*p, *o)));
        let data = serde_json::to_vec(&all).expect("offsets serialize");
        self.store
            .put(&layout::group_offsets(group, topic), Bytes::from(data))
            .await
    }
}
