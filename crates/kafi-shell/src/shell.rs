//! [`Shell`]: the seed's storage methods over any [`Storage`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use kafi_config::{KafiSettings, SharedSettings};
use kafi_core::message::now_millis;
use kafi_core::storage::{ConsumerOptions, ProducerOptions, StartOffsets};
use kafi_core::{GroupDescription, ProduceRecord, RawMessage, Storage, TopicInfo, TopicSpec};
use kafi_registry::{RegistryLookup, SchemaRegistry};
use kafi_serde::{
    Codec, Compatibility, Message, RegisteredSchema, Schema, SchemaLookup, SubjectFilter,
    SubjectVersion,
};

use crate::client::{Consumer, Producer};
use crate::options::{ReadOptions, WordCount, WriteOptions};
use crate::stream::{TopicReader, TopicWriter};
use crate::{Error, FnError, Result};

/// The shell commands and functional operations of one storage.
///
/// Cheap to clone; all clones share the storage and its settings.
#[derive(Clone, Debug)]
pub struct Shell {
    storage: Arc<dyn Storage>,
    settings: SharedSettings,
    registry: Option<Registry>,
}

/// The schema registry a shell uses, as a lookup (for codecs) and as the
/// administration API.
#[derive(Clone, Debug)]
struct Registry {
    lookup: Arc<dyn SchemaLookup>,
    admin: Arc<dyn SchemaRegistry>,
}

/// What a transform did with a message.
pub(crate) enum Step {
    /// All outputs of the message are pushed.
    Done,
    /// Some outputs are pushed and more will come: write them, then call
    /// again with the same message.
    More,
}

fn function_error(operation: &'static str, m: &RawMessage, source: FnError) -> Error {
    Error::Function {
        operation,
        topic: m.topic.to_string(),
        partition: m.partition,
        offset: m.offset,
        source,
    }
}

impl Shell {
    /// Wraps a storage, with the run-time settings (the config's `kafi`
    /// section) that every command reads.
    pub fn new(storage: Arc<dyn Storage>, settings: impl Into<SharedSettings>) -> Self {
        Self {
            storage,
            settings: settings.into(),
            registry: None,
        }
    }

    /// Uses `registry` (the REST client or the emulated registry of
    /// `kafi-registry`) for the avro, protobuf and jsonschema types and the
    /// schema registry administration methods.
    pub fn with_schema_registry(mut self, registry: Arc<dyn SchemaRegistry>) -> Self {
        self.registry = Some(Registry {
            lookup: Arc::new(RegistryLookup::new(registry.clone())),
            admin: registry,
        });
        self
    }

    /// The schema registry, if one is attached.
    pub fn schema_registry(&self) -> Option<&Arc<dyn SchemaRegistry>> {
        self.registry.as_ref().map(|r| &r.admin)
    }

    fn registry(&self) -> Result<&Arc<dyn SchemaRegistry>> {
        self.schema_registry().ok_or_else(|| {
            Error::InvalidArgument(
                "no schema registry: configure the schema_registry section (schema.registry.url, \
                 or emulated: true)"
                    .into(),
            )
        })
    }

    fn codec_for(&self, codec: Codec) -> Codec {
        match &self.registry {
            Some(r) => codec.with_schema_lookup(r.lookup.clone()),
            None => codec,
        }
    }

    /// The codec for reading with `options`.
    pub(crate) fn read_codec(&self, options: &ReadOptions) -> Codec {
        let (key, value) = options.schemas();
        self.codec_for(Codec::with_schemas(
            options.resolved_types(&self.current()),
            key,
            value,
        ))
    }

    /// The codec for writing with `options`.
    pub(crate) fn write_codec(&self, options: &WriteOptions) -> Codec {
        let (key, value) = options.schemas();
        self.codec_for(Codec::with_schemas(
            options.resolved_types(&self.current()),
            key,
            value,
        ))
    }

    // ----- schema registry administration (the seed's names) -------------

    /// Subjects, optionally those starting with `prefix`; `deleted` adds
    /// soft-deleted ones, `deleted_only` lists only those.
    pub async fn get_subjects(
        &self,
        prefix: Option<&str>,
        deleted: bool,
        deleted_only: bool,
    ) -> Result<Vec<String>> {
        let filter = match (deleted, deleted_only) {
            (_, true) => SubjectFilter::OnlyDeleted,
            (true, false) => SubjectFilter::WithDeleted,
            _ => SubjectFilter::Live,
        };
        Ok(self.registry()?.get_subjects(prefix, filter).await?)
    }

    /// Deletes a subject (soft, or `permanent`); the deleted versions.
    pub async fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>> {
        Ok(self.registry()?.delete_subject(subject, permanent).await?)
    }

    /// Deletes one version of a subject (`-1`: the latest).
    pub async fn delete_version(
        &self,
        subject: &str,
        version: i32,
        permanent: bool,
    ) -> Result<i32> {
        Ok(self
            .registry()?
            .delete_version(subject, version, permanent)
            .await?)
    }

    /// The latest version of a subject.
    pub async fn get_latest_version(&self, subject: &str) -> Result<RegisteredSchema> {
        Ok(self.registry()?.get_latest_version(subject).await?)
    }

    /// One version of a subject.
    pub async fn get_version(&self, subject: &str, version: i32) -> Result<RegisteredSchema> {
        Ok(self
            .registry()?
            .get_version(subject, version, false)
            .await?)
    }

    /// The versions of a subject.
    pub async fn get_versions(&self, subject: &str, deleted: bool) -> Result<Vec<i32>> {
        Ok(self.registry()?.get_versions(subject, deleted).await?)
    }

    /// The schema with `id`.
    pub async fn get_schema(&self, id: i32) -> Result<Schema> {
        Ok(self.registry()?.get_schema(id).await?)
    }

    /// The subjects and versions using schema `id`.
    pub async fn get_schema_versions(&self, id: i32) -> Result<Vec<SubjectVersion>> {
        Ok(self.registry()?.get_schema_versions(id).await?)
    }

    /// Registers a schema under a subject; its id.
    pub async fn register_schema(&self, subject: &str, schema: &Schema) -> Result<i32> {
        Ok(self.registry()?.register_schema(subject, schema).await?)
    }

    /// The version of a subject holding `schema`.
    pub async fn lookup_schema(&self, subject: &str, schema: &Schema) -> Result<RegisteredSchema> {
        Ok(self
            .registry()?
            .lookup_schema(subject, schema, false)
            .await?)
    }

    /// The compatibility level of a subject (or the global one).
    pub async fn get_compatibility(&self, subject: Option<&str>) -> Result<Compatibility> {
        Ok(self.registry()?.get_compatibility(subject).await?)
    }

    /// Sets the compatibility level of a subject (or the global one).
    pub async fn set_compatibility(
        &self,
        subject: Option<&str>,
        level: Compatibility,
    ) -> Result<Compatibility> {
        Ok(self.registry()?.set_compatibility(subject, level).await?)
    }

    /// Whether `schema` is compatible with a subject (`version`: one
    /// version, `None`: as the subject's level asks).
    pub async fn test_compatibility(
        &self,
        subject: &str,
        schema: &Schema,
        version: Option<i32>,
    ) -> Result<bool> {
        Ok(self
            .registry()?
            .test_compatibility(subject, schema, version)
            .await?)
    }

    /// The storage.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// The run-time settings.
    pub fn settings(&self) -> &SharedSettings {
        &self.settings
    }

    fn current(&self) -> KafiSettings {
        self.settings.get()
    }

    // ----- topics -------------------------------------------------------

    /// Topic names matching `pattern` (shell globs), sorted.
    pub async fn ls(&self, pattern: Option<&str>) -> Result<Vec<String>> {
        Ok(self
            .storage
            .list_topics(pattern, false)
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect())
    }

    /// Topics with partitions, watermarks and sizes (`ls -l`).
    pub async fn l(&self, pattern: Option<&str>) -> Result<Vec<TopicInfo>> {
        Ok(self.storage.list_topics(pattern, true).await?)
    }

    /// Whether the topic exists.
    pub async fn exists(&self, topic: &str) -> Result<bool> {
        Ok(self.storage.topic_exists(topic).await?)
    }

    /// Creates a topic with `partitions` partitions and `config`.
    pub async fn touch(
        &self,
        topic: &str,
        partitions: i32,
        config: BTreeMap<String, String>,
    ) -> Result<()> {
        self.storage
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
            self.storage.delete_topic(topic).await?;
        }
        Ok(topics)
    }

    /// Number of partitions.
    pub async fn partitions(&self, topic: &str) -> Result<i32> {
        Ok(self.storage.partition_count(topic).await?)
    }

    /// Increases the number of partitions.
    pub async fn set_partitions(&self, topic: &str, count: i32) -> Result<()> {
        Ok(self.storage.set_partition_count(topic, count).await?)
    }

    /// `{partition: (low, high)}`.
    pub async fn watermarks(&self, topic: &str) -> Result<BTreeMap<i32, (i64, i64)>> {
        Ok(self.storage.watermarks(topic).await?)
    }

    /// The topic configuration.
    pub async fn config(&self, topic: &str) -> Result<BTreeMap<String, String>> {
        Ok(self.storage.topic_config(topic).await?)
    }

    /// Sets topic configuration entries.
    pub async fn set_config(&self, topic: &str, entries: &BTreeMap<String, String>) -> Result<()> {
        Ok(self.storage.alter_topic_config(topic, entries).await?)
    }

    /// Deletes records before the given offsets (`-1` = all); returns the
    /// new low watermarks.
    pub async fn delete_records(
        &self,
        topic: &str,
        offsets: &BTreeMap<i32, i64>,
    ) -> Result<BTreeMap<i32, i64>> {
        Ok(self.storage.delete_records(topic, offsets).await?)
    }

    /// The first offset at or after each timestamp; not found is `-1`, or the
    /// high watermark when `replace_not_found`.
    pub async fn offsets_for_times(
        &self,
        topic: &str,
        times: &BTreeMap<i32, i64>,
        replace_not_found: bool,
    ) -> Result<BTreeMap<i32, i64>> {
        let found = self.storage.offsets_for_times(topic, times).await?;
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

    // ----- groups -------------------------------------------------------

    /// Consumer groups matching `pattern`.
    pub async fn groups(&self, pattern: Option<&str>) -> Result<Vec<String>> {
        let pattern = kafi_core::topic::NamePattern::new(pattern)?;
        let mut groups: Vec<String> = self
            .storage
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
            out.push(self.storage.describe_group(&group).await?);
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
            self.storage.delete_group(group).await?;
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
            let offsets = self.storage.committed_offsets(&group, None).await?;
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
        Ok(self.storage.commit_offsets(group, topic, offsets).await?)
    }

    /// Lag per partition `{topic: {partition: high - committed}}` of a group
    /// (partitions without a committed offset count from the low watermark).
    pub async fn lags(
        &self,
        group: &str,
        topic: Option<&str>,
    ) -> Result<BTreeMap<String, BTreeMap<i32, i64>>> {
        let committed = self.storage.committed_offsets(group, topic).await?;
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
        let committed = self.storage.committed_offsets(group, None).await?;
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

    // ----- producer and consumer objects --------------------------------

    /// A producer with the storage's default types.
    pub async fn producer(&self, topic: &str) -> Result<Producer> {
        self.producer_with(topic, &WriteOptions::default()).await
    }

    /// A producer with explicit types.
    pub async fn producer_with(&self, topic: &str, options: &WriteOptions) -> Result<Producer> {
        let settings = self.current();
        let producer = self
            .storage
            .producer(
                topic,
                ProducerOptions {
                    batch_size: settings.produce_batch_size,
                    flush_timeout: settings.flush_timeout,
                },
            )
            .await?;
        let codec = self.write_codec(options);
        codec.prepare_encode(topic).await?;
        Ok(Producer {
            producer,
            codec,
            produced: 0,
        })
    }

    /// A consumer; without a group in `options`, a new group named by the
    /// current time (as the seed does).
    pub async fn consumer(&self, topic: &str, options: &ReadOptions) -> Result<Consumer> {
        let settings = self.current();
        let group = format!(
            "{}{}",
            settings.consumer_group_prefix,
            options
                .group
                .clone()
                .unwrap_or_else(|| now_millis().to_string())
        );
        let consumer = self
            .storage
            .consumer(
                topic,
                ConsumerOptions {
                    group,
                    start: options
                        .offsets
                        .clone()
                        .map_or(StartOffsets::Committed, StartOffsets::Explicit),
                    auto_offset_reset: settings.auto_offset_reset,
                    enable_auto_commit: settings.enable_auto_commit,
                    consume_timeout: settings.consume_timeout,
                    session_timeout_ms: settings.session_timeout_ms,
                },
            )
            .await?;
        Ok(Consumer {
            consumer,
            codec: self.read_codec(options),
        })
    }

    // ----- the functional core ------------------------------------------

    /// Calls `f` with every raw message (the fast path for printing).
    pub async fn foreach_raw(
        &self,
        topic: &str,
        options: &ReadOptions,
        mut f: impl FnMut(&RawMessage) -> Result<(), FnError>,
    ) -> Result<u64> {
        self.consume_loop(topic, options, "foreach", |_, m| f(m))
            .await
    }

    /// Calls `f` with the reading codec (its schema ids resolved for the
    /// current batch) and every raw message: the fast path for printing
    /// typed messages.
    pub async fn foreach_raw_with(
        &self,
        topic: &str,
        options: &ReadOptions,
        f: impl FnMut(&Codec, &RawMessage) -> Result<(), FnError>,
    ) -> Result<u64> {
        self.consume_loop(topic, options, "foreach", f).await
    }

    /// Shared read loop: `f` sees each raw message; commits what was
    /// processed at every batch end and at a failure.
    async fn consume_loop(
        &self,
        topic: &str,
        options: &ReadOptions,
        operation: &'static str,
        mut f: impl FnMut(&Codec, &RawMessage) -> Result<(), FnError>,
    ) -> Result<u64> {
        let mut reader = TopicReader::open(self, topic, options).await?;
        let result: Result<()> = async {
            while let Some(batch) = reader.next_batch().await? {
                for m in &batch {
                    reader.check_interrupt()?;
                    f(&reader.codec, m).map_err(|e| as_function_error(operation, m, e))?;
                    reader.done(m);
                }
                reader.checkpoint().await?;
            }
            Ok(())
        }
        .await;
        let consumed = reader.consumed;
        match result {
            Ok(()) => {
                reader.checkpoint().await?;
                reader.close().await?;
                Ok(consumed)
            }
            Err(e) => {
                let _ = reader.checkpoint().await;
                if consumed == 0 && !matches!(e, Error::Stopped { .. }) {
                    return Err(e);
                }
                Err(Error::ReadInterrupted {
                    consumed,
                    source: Box::new(e),
                })
            }
        }
    }

    /// Shared read-transform-write loop for `cp` and the `_to` forms: `f`
    /// turns each message into records pushed onto the output, which are
    /// written at the end of each batch or every [`WRITE_CHUNK`] records;
    /// [`Step::More`] streams the outputs of one message in several calls.
    ///
    /// [`WRITE_CHUNK`]: crate::stream::WRITE_CHUNK
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn transfer(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        read: &ReadOptions,
        write: &WriteOptions,
        operation: &'static str,
        mut f: impl FnMut(&Codec, &Codec, &RawMessage, &mut Vec<ProduceRecord>) -> Result<Step, FnError>,
    ) -> Result<(u64, u64)> {
        let partitions = match write.partitions {
            Some(p) => p,
            None => self.partitions(topic).await?,
        };
        let mut reader = TopicReader::open(self, topic, read).await?;
        let mut writer = TopicWriter::open(
            target,
            target_topic,
            write,
            partitions,
            write.keep_partitions.unwrap_or(true),
        )
        .await?;
        writer.interrupt = reader.interrupt().cloned();
        let mut out = Vec::new();
        let result: Result<()> = async {
            while let Some(batch) = reader.next_batch().await? {
                for m in &batch {
                    reader.check_interrupt()?;
                    loop {
                        let before = out.len();
                        match f(&reader.codec, &writer.codec, m, &mut out) {
                            Ok(Step::Done) => break,
                            Ok(Step::More) => {
                                writer.write_all(&mut out).await?;
                                reader.check_interrupt()?;
                            }
                            Err(e) => {
                                // Outputs of the failed message not yet
                                // written are dropped.
                                out.truncate(before);
                                return Err(as_function_error(operation, m, e));
                            }
                        }
                    }
                    reader.done(m);
                    if out.len() >= crate::stream::WRITE_CHUNK {
                        writer.write_all(&mut out).await?;
                    }
                }
                writer.write_all(&mut out).await?;
                // Flush before committing (at-least-once); without commits the
                // producer keeps batching on its own.
                if reader.commits() {
                    writer.flush().await?;
                    reader.checkpoint().await?;
                }
            }
            Ok(())
        }
        .await;
        match result {
            Ok(()) => {
                let (consumed, produced) = (reader.consumed, writer.produced);
                writer.close().await?;
                reader.checkpoint().await?;
                reader.close().await?;
                Ok((consumed, produced))
            }
            Err(e) => {
                // Keep what was processed: write it out, then commit it.
                let written = writer.write_all(&mut out).await;
                if written.is_ok() && writer.flush().await.is_ok() {
                    let _ = reader.checkpoint().await;
                }
                Err(Error::Interrupted {
                    consumed: reader.consumed,
                    produced: writer.produced,
                    source: Box::new(e),
                })
            }
        }
    }

    /// Folds over the messages: `(acc, messages read)`.
    pub async fn foldl<A>(
        &self,
        topic: &str,
        init: A,
        mut f: impl FnMut(A, Message) -> Result<A, FnError>,
        options: &ReadOptions,
    ) -> Result<(A, u64)> {
        let mut acc = Some(init);
        let n = self
            .consume_loop(topic, options, "foldl", |codec, m| {
                let message = codec.decode(m)?;
                acc = Some(f(acc.take().expect("accumulator present"), message)?);
                Ok(())
            })
            .await?;
        Ok((acc.expect("accumulator present"), n))
    }

    /// Flat-maps the messages into a list.
    pub async fn flatmap<T>(
        &self,
        topic: &str,
        mut f: impl FnMut(Message) -> Result<Vec<T>, FnError>,
        options: &ReadOptions,
    ) -> Result<Vec<T>> {
        let (out, _) = self
            .foldl(
                topic,
                Vec::new(),
                |mut acc, m| {
                    acc.extend(f(m)?);
                    Ok(acc)
                },
                options,
            )
            .await?;
        Ok(out)
    }

    /// Maps the messages into a list.
    pub async fn map<T>(
        &self,
        topic: &str,
        mut f: impl FnMut(Message) -> Result<T, FnError>,
        options: &ReadOptions,
    ) -> Result<Vec<T>> {
        self.flatmap(topic, |m| Ok(vec![f(m)?]), options).await
    }

    /// The messages for which `f` is true.
    pub async fn filter(
        &self,
        topic: &str,
        mut f: impl FnMut(&Message) -> Result<bool, FnError>,
        options: &ReadOptions,
    ) -> Result<Vec<Message>> {
        self.flatmap(
            topic,
            |m| Ok(if f(&m)? { vec![m] } else { Vec::new() }),
            options,
        )
        .await
    }

    /// Calls `f` for every message; returns how many were read.
    pub async fn foreach(
        &self,
        topic: &str,
        mut f: impl FnMut(Message) -> Result<(), FnError>,
        options: &ReadOptions,
    ) -> Result<u64> {
        self.consume_loop(topic, options, "foreach", |codec, m| f(codec.decode(m)?))
            .await
    }

    /// All messages (or `n`), decoded.
    pub async fn cat(&self, topic: &str, options: &ReadOptions) -> Result<Vec<Message>> {
        self.map(topic, Ok, options).await
    }

    /// The first `n` messages.
    pub async fn head(&self, topic: &str, n: u64, options: &ReadOptions) -> Result<Vec<Message>> {
        self.cat(topic, &options.clone().n(n)).await
    }

    /// The last `n` messages across partitions, oldest first (ordered by
    /// timestamp, then partition and offset).
    pub async fn tail(&self, topic: &str, n: u64, options: &ReadOptions) -> Result<Vec<Message>> {
        let offsets = self
            .watermarks(topic)
            .await?
            .into_iter()
            .map(|(p, (low, high))| (p, (high - n as i64).max(low)))
            .collect();
        let mut read = options.clone();
        read.offsets = Some(offsets);
        read.n = None;
        let mut messages = self.cat(topic, &read).await?;
        messages.sort_by_key(|m| (m.timestamp.millis, m.partition, m.offset));
        let skip = messages.len().saturating_sub(n as usize);
        Ok(messages.split_off(skip))
    }

    /// Counts messages, words and bytes of keys and values.
    pub async fn wc(&self, topic: &str, options: &ReadOptions) -> Result<WordCount> {
        let mut count = WordCount::default();
        self.foreach_raw(topic, options, |m| {
            count.messages += 1;
            for field in [&m.key, &m.value].into_iter().flatten() {
                count.bytes += field.len() as u64;
                count.words += count_words(field);
            }
            Ok(())
        })
        .await?;
        Ok(count)
    }

    /// Calls `on_match` for each message whose key or value text matches
    /// the regular expression; returns `(matching, read)`.
    pub async fn grep_with(
        &self,
        topic: &str,
        pattern: &str,
        options: &ReadOptions,
        mut on_match: impl FnMut(&Codec, &RawMessage) -> Result<(), FnError>,
    ) -> Result<(u64, u64)> {
        let regex = regex::bytes::Regex::new(pattern).map_err(|source| Error::Regex {
            pattern: pattern.to_owned(),
            source,
        })?;
        let mut matching = 0;
        let read = self
            .consume_loop(topic, options, "grep", |codec, m| {
                let hit = m.key.as_ref().is_some_and(|k| regex.is_match(k))
                    || m.value.as_ref().is_some_and(|v| regex.is_match(v));
                if hit {
                    matching += 1;
                    on_match(codec, m)?;
                }
                Ok(())
            })
            .await?;
        Ok((matching, read))
    }

    /// The seed's `grep`: `(matching messages, matching, read)`.
    pub async fn grep(
        &self,
        topic: &str,
        pattern: &str,
        options: &ReadOptions,
    ) -> Result<(Vec<Message>, u64, u64)> {
        let mut found = Vec::new();
        let (matching, read) = self
            .grep_with(topic, pattern, options, |codec, m| {
                found.push(codec.decode(m)?);
                Ok(())
            })
            .await?;
        Ok((found, matching, read))
    }

    /// Copies a topic to `target` (any storage): `(read, written)`. With the
    /// same types on both sides the bytes are copied as they are; otherwise
    /// each message is decoded and re-encoded. Partitions and timestamps are
    /// kept; the target topic is created if missing.
    pub async fn cp(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        read: &ReadOptions,
        write: &WriteOptions,
    ) -> Result<(u64, u64)> {
        // Copy bytes as they are when nothing changes; a target schema (or
        // id) re-encodes even between equal types.
        let same_types = read.resolved_types(&self.current())
            == write.resolved_types(&target.current())
            && !write.has_schemas();
        self.transfer(
            topic,
            target,
            target_topic,
            read,
            write,
            "cp",
            |source, target, m, out| {
                out.push(if same_types {
                    ProduceRecord::from_message(m)
                } else {
                    target.encode(source.decode(m)?)?
                });
                Ok(Step::Done)
            },
        )
        .await
    }

    /// Copies with a function over raw messages that pushes the records to
    /// write; the fast path for transforms that build records themselves
    /// (such as jq expressions over the JSON form). `f` gets the source and
    /// target codecs.
    pub async fn flatmap_raw_to(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        read: &ReadOptions,
        write: &WriteOptions,
        mut f: impl FnMut(&Codec, &Codec, &RawMessage, &mut Vec<ProduceRecord>) -> Result<(), FnError>,
    ) -> Result<(u64, u64)> {
        self.transfer(
            topic,
            target,
            target_topic,
            read,
            write,
            "flatmap",
            |source, target, m, out| f(source, target, m, out).map(|()| Step::Done),
        )
        .await
    }

    /// Copies with a flat-map function (`cp` with `flatmap_function`).
    pub async fn flatmap_to(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        mut f: impl FnMut(Message) -> Result<Vec<Message>, FnError>,
        read: &ReadOptions,
        write: &WriteOptions,
    ) -> Result<(u64, u64)> {
        self.transfer(
            topic,
            target,
            target_topic,
            read,
            write,
            "flatmap",
            |source, target, m, out| {
                for message in f(source.decode(m)?)? {
                    out.push(target.encode(message)?);
                }
                Ok(Step::Done)
            },
        )
        .await
    }

    /// Copies with a map function (`cp` with `map_function`).
    pub async fn map_to(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        mut f: impl FnMut(Message) -> Result<Message, FnError>,
        read: &ReadOptions,
        write: &WriteOptions,
    ) -> Result<(u64, u64)> {
        self.flatmap_to(
            topic,
            target,
            target_topic,
            |m| Ok(vec![f(m)?]),
            read,
            write,
        )
        .await
    }

    /// Copies the messages for which `f` is true.
    pub async fn filter_to(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        mut f: impl FnMut(&Message) -> Result<bool, FnError>,
        read: &ReadOptions,
        write: &WriteOptions,
    ) -> Result<(u64, u64)> {
        self.flatmap_to(
            topic,
            target,
            target_topic,
            |m| Ok(if f(&m)? { vec![m] } else { Vec::new() }),
            read,
            write,
        )
        .await
    }

    /// Folds while writing: `f` returns the new accumulator and messages to
    /// write. Returns `(acc, read, written)`.
    #[allow(clippy::too_many_arguments)]
    pub async fn foldl_to<A>(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        init: A,
        mut f: impl FnMut(A, Message) -> Result<(A, Vec<Message>), FnError>,
        read: &ReadOptions,
        write: &WriteOptions,
    ) -> Result<(A, u64, u64)> {
        let mut acc = Some(init);
        let (r, w) = self
            .transfer(
                topic,
                target,
                target_topic,
                read,
                write,
                "foldl",
                |source, target, m, out| {
                    let (next, messages) =
                        f(acc.take().expect("accumulator present"), source.decode(m)?)?;
                    acc = Some(next);
                    for message in messages {
                        out.push(target.encode(message)?);
                    }
                    Ok(Step::Done)
                },
            )
            .await?;
        Ok((acc.expect("accumulator present"), r, w))
    }

    /// Folds over two topics in lockstep (message by message, until either
    /// ends): `(acc, read from self, read from other)`.
    #[allow(clippy::too_many_arguments)]
    pub async fn zip_foldl<A>(
        &self,
        topic: &str,
        other: &Shell,
        other_topic: &str,
        init: A,
        mut f: impl FnMut(A, Message, Message) -> Result<A, FnError>,
        options: &ReadOptions,
        other_options: &ReadOptions,
    ) -> Result<(A, u64, u64)> {
        let mut acc = Some(init);
        let (_, left, right) = self
            .zip_transfer(
                topic,
                other,
                other_topic,
                None,
                options,
                other_options,
                |a, b, _, _| {
                    acc = Some(f(acc.take().expect("accumulator present"), a, b)?);
                    Ok(())
                },
            )
            .await?;
        Ok((acc.expect("accumulator present"), left, right))
    }

    /// Like [`Shell::zip_foldl`], writing the messages `f` returns to a
    /// target topic: `(acc, read from self, written)`.
    #[allow(clippy::too_many_arguments)]
    pub async fn zip_foldl_to<A>(
        &self,
        topic: &str,
        other: &Shell,
        other_topic: &str,
        target: &Shell,
        target_topic: &str,
        init: A,
        mut f: impl FnMut(A, Message, Message) -> Result<(A, Vec<Message>), FnError>,
        options: &ReadOptions,
        write: &WriteOptions,
    ) -> Result<(A, u64, u64)> {
        let mut acc = Some(init);
        let (written, left, _) = self
            .zip_transfer(
                topic,
                other,
                other_topic,
                Some((target, target_topic, write)),
                options,
                options,
                |a, b, codec, out| {
                    let (next, messages) = f(acc.take().expect("accumulator present"), a, b)?;
                    acc = Some(next);
                    let codec = codec.expect("a target codec when writing");
                    for m in messages {
                        out.push(codec.encode(m)?);
                    }
                    Ok(())
                },
            )
            .await?;
        Ok((acc.expect("accumulator present"), left, written))
    }

    /// Shared lockstep loop of the zip forms; returns `(written, left, right)`.
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    async fn zip_transfer(
        &self,
        topic: &str,
        other: &Shell,
        other_topic: &str,
        target: Option<(&Shell, &str, &WriteOptions)>,
        options: &ReadOptions,
        other_options: &ReadOptions,
        mut f: impl FnMut(
            Message,
            Message,
            Option<&Codec>,
            &mut Vec<ProduceRecord>,
        ) -> Result<(), FnError>,
    ) -> Result<(u64, u64, u64)> {
        let mut left = TopicReader::open(self, topic, options).await?;
        let mut right = TopicReader::open(other, other_topic, other_options).await?;
        let mut writer = match target {
            Some((shell, name, write)) => {
                let partitions = self.partitions(topic).await?;
                Some(TopicWriter::open(shell, name, write, partitions, true).await?)
            }
            None => None,
        };
        if let Some(w) = writer.as_mut() {
            w.interrupt = left.interrupt().cloned();
        }
        let mut out = Vec::new();
        let result: Result<()> = async {
            loop {
                left.check_interrupt()?;
                let (Some(a), Some(b)) = (left.next_message().await?, right.next_message().await?)
                else {
                    break;
                };
                let (ma, mb) = (left.codec.decode(&a)?, right.codec.decode(&b)?);
                f(ma, mb, writer.as_ref().map(|w| &w.codec), &mut out)
                    .map_err(|e| as_function_error("zip_foldl", &a, e))?;
                if let Some(w) = writer.as_mut() {
                    for record in out.drain(..) {
                        w.write(record).await?;
                    }
                }
                left.done(&a);
                right.done(&b);
            }
            Ok(())
        }
        .await;
        let written = writer.as_ref().map_or(0, |w| w.produced);
        let counts = (written, left.consumed, right.consumed);
        if let Err(e) = result {
            return Err(Error::Interrupted {
                consumed: left.consumed,
                produced: written,
                source: Box::new(e),
            });
        }
        if let Some(w) = writer {
            w.close().await?;
        }
        left.checkpoint().await?;
        right.checkpoint().await?;
        left.close().await?;
        right.close().await?;
        Ok(counts)
    }

    /// Compares two topics partition by partition (key, value, headers,
    /// timestamp; not offsets). Calls `on_diff` with each differing pair
    /// (`None` where one side has no more messages); returns the number of
    /// differences. Streams in bounded memory.
    pub async fn diff_with(
        &self,
        topic: &str,
        other: &Shell,
        other_topic: &str,
        options: &ReadOptions,
        mut on_diff: impl FnMut(&Codec, Option<&RawMessage>, Option<&RawMessage>) -> Result<(), FnError>,
    ) -> Result<u64> {
        let left_parts = self.partitions(topic).await?;
        let right_parts = other.partitions(other_topic).await?;
        let codec = self.read_codec(options);
        let mut differences = 0;
        for partition in 0..left_parts.max(right_parts) {
            let mut start = options.clone();
            start.n = None;
            start.group = None;
            start.offsets = Some(BTreeMap::from([(partition, 0)]));
            let mut left = match partition < left_parts {
                true => Some(TopicReader::open(self, topic, &start).await?),
                false => None,
            };
            let mut right = match partition < right_parts {
                true => Some(TopicReader::open(other, other_topic, &start).await?),
                false => None,
            };
            loop {
                let a = match left.as_mut() {
                    Some(r) => r.next_message().await?,
                    None => None,
                };
                let b = match right.as_mut() {
                    Some(r) => r.next_message().await?,
                    None => None,
                };
                let (a, b) = match (a, b) {
                    (None, None) => break,
                    (Some(a), Some(b)) if same_message(&a, &b) => continue,
                    pair => pair,
                };
                differences += 1;
                let at = a.as_ref().or(b.as_ref()).expect("one side present");
                let pair: Vec<RawMessage> = a.iter().chain(b.iter()).cloned().collect();
                codec.prepare_decode(&pair).await?;
                on_diff(&codec, a.as_ref(), b.as_ref())
                    .map_err(|e| as_function_error("diff", at, e))?;
            }
        }
        Ok(differences)
    }

    /// The seed's `diff`: the differing message pairs.
    pub async fn diff(
        &self,
        topic: &str,
        other: &Shell,
        other_topic: &str,
        options: &ReadOptions,
    ) -> Result<Vec<(Option<Message>, Option<Message>)>> {
        let mut out = Vec::new();
        self.diff_with(topic, other, other_topic, options, |codec, a, b| {
            out.push((
                a.map(|m| codec.decode(m)).transpose()?,
                b.map(|m| codec.decode(m)).transpose()?,
            ));
            Ok(())
        })
        .await?;
        Ok(out)
    }

    // ----- add-ons ------------------------------------------------------

    /// The last message per key, tombstones removing their key, ordered by
    /// partition and offset. Unkeyed messages are all kept.
    pub async fn compact(&self, topic: &str, options: &ReadOptions) -> Result<Vec<Message>> {
        let mut latest: HashMap<Option<Bytes>, RawMessage> = HashMap::new();
        let mut unkeyed = Vec::new();
        let mut codec = None;
        self.consume_loop(topic, options, "compact", |c, m| {
            codec.get_or_insert_with(|| c.clone());
            match &m.key {
                None => unkeyed.push(m.clone()),
                Some(_) if m.value.is_none() => {
                    latest.remove(&m.key);
                }
                Some(_) => {
                    latest.insert(m.key.clone(), m.clone());
                }
            }
            Ok(())
        })
        .await?;
        let mut kept: Vec<RawMessage> = latest.into_values().chain(unkeyed).collect();
        kept.sort_by_key(|m| (m.partition, m.offset));
        let Some(codec) = codec else {
            return Ok(Vec::new());
        };
        kept.iter()
            .map(|m| codec.decode(m).map_err(Error::from))
            .collect()
    }

    /// Writes the compacted topic to `target`: `(kept, written)`.
    pub async fn compact_to(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        options: &ReadOptions,
        write: &WriteOptions,
    ) -> Result<(u64, u64)> {
        let messages = self.compact(topic, options).await?;
        let partitions = self.partitions(topic).await?;
        let mut writer = TopicWriter::open(target, target_topic, write, partitions, true).await?;
        let kept = messages.len() as u64;
        for m in messages {
            let record = writer.codec.encode(m)?;
            writer.write(record).await?;
        }
        let written = writer.produced;
        writer.close().await?;
        Ok((kept, written))
    }

    /// Deletes and re-creates a topic with the same partitions and config.
    pub async fn recreate(&self, topic: &str) -> Result<()> {
        let partitions = self.partitions(topic).await?;
        let config = self.config(topic).await?;
        self.storage.delete_topic(topic).await?;
        self.touch(topic, partitions, config).await
    }
}

fn as_function_error(operation: &'static str, m: &RawMessage, e: FnError) -> Error {
    // A decode error names the message itself; every other failure (a user
    // function's, or an output that does not encode) is wrapped with the
    // message it happened on.
    match e.downcast::<kafi_serde::Error>() {
        Ok(serde) if matches!(*serde, kafi_serde::Error::Decode { .. }) => Error::Serde(*serde),
        Ok(serde) => function_error(operation, m, serde),
        Err(e) => function_error(operation, m, e),
    }
}

fn same_message(a: &RawMessage, b: &RawMessage) -> bool {
    a.key == b.key && a.value == b.value && a.headers == b.headers && a.timestamp == b.timestamp
}

fn count_words(data: &[u8]) -> u64 {
    let mut words = 0;
    let mut in_word = false;
    for &b in data {
        let space = b.is_ascii_whitespace();
        if !space && !in_word {
            words += 1;
        }
        in_word = !space;
    }
    words
}

macro_rules! accessors {
    ($($(#[$doc:meta])* $get:ident / $set:ident : $ty:ty),* $(,)?) => {
        impl Shell {$(
            $(#[$doc])*
            pub fn $get(&self) -> $ty {
                self.settings.get().$get
            }
            /// Sets the setting of the same name for this storage.
            pub fn $set(&self, value: $ty) {
                self.settings.update(|s| s.$get = value);
            }
        )*}
    };
}

accessors! {
    /// `progress.num.messages`.
    progress_num_messages / set_progress_num_messages: u64,
    /// `consume.batch.size`.
    consume_batch_size / set_consume_batch_size: usize,
    /// `produce.batch.size`.
    produce_batch_size / set_produce_batch_size: usize,
    /// `verbose`.
    verbose / set_verbose: u8,
    /// `auto.offset.reset`.
    auto_offset_reset / set_auto_offset_reset: kafi_config::AutoOffsetReset,
    /// `consumer.group.prefix`.
    consumer_group_prefix / set_consumer_group_prefix: String,
    /// `enable.auto.commit`.
    enable_auto_commit / set_enable_auto_commit: bool,
    /// `commit.after.processing`.
    commit_after_processing / set_commit_after_processing: bool,
    /// `key.type`.
    key_type / set_key_type: kafi_config::SerdeType,
    /// `value.type`.
    value_type / set_value_type: kafi_config::SerdeType,
    /// `flush.timeout`.
    flush_timeout / set_flush_timeout: f64,
    /// `consume.timeout`.
    consume_timeout / set_consume_timeout: f64,
    /// `session.timeout.ms`.
    session_timeout_ms / set_session_timeout_ms: u64,
}
