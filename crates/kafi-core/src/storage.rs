//! The traits every storage implements.
//!
//! A storage holds topics made of partitions of offset-ordered messages, and
//! consumer groups with committed offsets. Backends speak raw bytes; typing
//! (str, json, avro, ...) happens above, in `kafi-serde` and `kafi-shell`.

use std::collections::BTreeMap;
use std::fmt;

use std::sync::Arc;

use async_trait::async_trait;

use crate::{AutoOffsetReset, ObjectStore, ProduceRecord, RawMessage, Result, StorageKind};

/// A partition's state as listed by `ls -l`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionInfo {
    /// Partition number.
    pub partition: i32,
    /// Low watermark: the first offset still stored.
    pub low: i64,
    /// High watermark: the offset the next message gets.
    pub high: i64,
    /// Stored bytes, when the storage knows them.
    pub size_bytes: Option<u64>,
}

/// A topic as listed by `ls`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicInfo {
    /// Topic name.
    pub name: String,
    /// Per-partition details when asked for (`ls -l`).
    pub partitions: Option<Vec<PartitionInfo>>,
}

/// How to create a topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicSpec {
    /// Number of partitions (at least 1).
    pub partitions: i32,
    /// Topic configuration (e.g. `retention.ms`).
    pub config: BTreeMap<String, String>,
}

impl Default for TopicSpec {
    fn default() -> Self {
        Self {
            partitions: 1,
            config: BTreeMap::new(),
        }
    }
}

/// What `describe_groups` reports of a consumer group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupDescription {
    /// Group id.
    pub group: String,
    /// Group state (`Empty`, `Stable`, ...).
    pub state: String,
    /// Member ids.
    pub members: Vec<String>,
    /// Partition assignor, when known.
    pub protocol: String,
    /// Topics with committed offsets.
    pub topics: Vec<String>,
}

/// An access control entry on a resource (Kafka's ACL binding). Fields are
/// Kafka's names in lower case (`topic`, `literal`, `read`, `allow`, ...).
/// As a filter, an empty field or `any` matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Acl {
    /// `topic`, `group`, `cluster`, `transactional_id`, `delegation_token`, `user` (or `any`).
    pub resource_type: String,
    /// The resource name (`kafka-cluster` for the cluster).
    pub resource_name: String,
    /// `literal`, `prefixed` (or `match`, `any` in filters).
    pub pattern_type: String,
    /// The principal, e.g. `User:alice`.
    pub principal: String,
    /// The host, `*` for any.
    pub host: String,
    /// `all`, `read`, `write`, `create`, `delete`, `alter`, `describe`, ...
    pub operation: String,
    /// `allow` or `deny`.
    pub permission: String,
}

/// Where a consumer starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StartOffsets {
    /// From the group's committed offsets, else `auto.offset.reset`.
    #[default]
    Committed,
    /// From these offsets per partition (only these partitions are read).
    /// Negative offsets count from the high watermark (`-1` = last message).
    Explicit(BTreeMap<i32, i64>),
}

/// Options for opening a consumer.
#[derive(Clone, Debug)]
pub struct ConsumerOptions {
    /// Consumer group id (already prefixed by `consumer.group.prefix`).
    pub group: String,
    /// Where to start.
    pub start: StartOffsets,
    /// Where to start when the group has no committed offset.
    pub auto_offset_reset: AutoOffsetReset,
    /// Commit positions automatically on every poll.
    pub enable_auto_commit: bool,
    /// Seconds to wait for new messages before a poll returns empty; `< 0`
    /// waits forever. Emulated storages return at the end of the data.
    pub consume_timeout: f64,
    /// Session timeout for group membership (cluster storages).
    pub session_timeout_ms: u64,
}

/// Options for opening a producer.
#[derive(Clone, Debug)]
pub struct ProducerOptions {
    /// Messages buffered per partition before they are written.
    pub batch_size: usize,
    /// Seconds `flush` may take; `< 0` waits forever.
    pub flush_timeout: f64,
}

/// Writes messages to one topic. Writes are buffered up to the batch size;
/// [`RawProducer::flush`] makes every buffered message durable or reports
/// the failure.
#[async_trait]
pub trait RawProducer: Send {
    /// Buffers one record, writing a batch when the buffer is full.
    async fn send(&mut self, record: ProduceRecord) -> Result<()>;

    /// Buffers many records.
    async fn send_all(&mut self, records: Vec<ProduceRecord>) -> Result<()> {
        for record in records {
            self.send(record).await?;
        }
        Ok(())
    }

    /// Writes everything buffered.
    async fn flush(&mut self) -> Result<()>;

    /// Flushes and releases the producer.
    async fn close(self: Box<Self>) -> Result<()>;
}

/// Reads messages of one topic for a consumer group.
#[async_trait]
pub trait RawConsumer: Send {
    /// Returns up to `max` messages; an empty batch means there is nothing
    /// more to read now (end of data on emulated storages, `consume.timeout`
    /// on clusters).
    async fn poll(&mut self, max: usize) -> Result<Vec<RawMessage>>;

    /// Commits `offsets` (the next offset to read, per partition), or the
    /// current positions when `None`.
    async fn commit(&mut self, offsets: Option<&BTreeMap<i32, i64>>) -> Result<()>;

    /// The next offset to read per assigned partition.
    fn positions(&self) -> BTreeMap<i32, i64>;

    /// The consumer group id.
    fn group(&self) -> &str;

    /// Leaves the group and releases resources.
    async fn close(self: Box<Self>) -> Result<()>;
}

/// A connection to one storage: a Kafka cluster, a REST proxy, or Kafka
/// emulated on files. All operations are async; implementations are
/// `Send + Sync` so one storage serves many tasks.
///
/// A storage knows nothing of the `kafi` section's settings: each backend
/// takes the typed options it needs when it connects, and per-call options
/// ([`ProducerOptions`], [`ConsumerOptions`]) come with each producer and
/// consumer.
#[async_trait]
pub trait Storage: Send + Sync + fmt::Debug {
    /// The storage kind.
    fn kind(&self) -> StorageKind;

    /// A short name for messages, e.g. `local:local`.
    fn name(&self) -> &str;

    /// The objects below `prefix` (e.g. `"schemas"`) beside the topics, on
    /// storages built on files or object stores; `None` (the default) on
    /// the others. The emulated Schema Registry lives there.
    fn objects(&self, prefix: &str) -> Option<Arc<dyn ObjectStore>> {
        let _ = prefix;
        None
    }

    /// Lists topics matching `pattern` (globs), sorted, with per-partition
    /// details when `detailed`.
    async fn list_topics(&self, pattern: Option<&str>, detailed: bool) -> Result<Vec<TopicInfo>>;

    /// Whether the topic exists.
    async fn topic_exists(&self, topic: &str) -> Result<bool>;

    /// Creates a topic.
    async fn create_topic(&self, topic: &str, spec: &TopicSpec) -> Result<()>;

    /// Deletes a topic with all its messages.
    async fn delete_topic(&self, topic: &str) -> Result<()>;

    /// The number of partitions.
    async fn partition_count(&self, topic: &str) -> Result<i32>;

    /// Increases the number of partitions to `count`.
    async fn set_partition_count(&self, topic: &str, count: i32) -> Result<()>;

    /// `(low, high)` watermarks per partition.
    async fn watermarks(&self, topic: &str) -> Result<BTreeMap<i32, (i64, i64)>>;

    /// The topic's configuration.
    async fn topic_config(&self, topic: &str) -> Result<BTreeMap<String, String>>;

    /// Sets configuration entries of a topic.
    async fn alter_topic_config(
        &self,
        topic: &str,
        entries: &BTreeMap<String, String>,
    ) -> Result<()>;

    /// Deletes messages before the given offset per partition; returns the
    /// new low watermarks.
    async fn delete_records(
        &self,
        topic: &str,
        offsets: &BTreeMap<i32, i64>,
    ) -> Result<BTreeMap<i32, i64>>;

    /// The first offset per partition whose timestamp is at least the given
    /// one; `None` where there is none.
    async fn offsets_for_times(
        &self,
        topic: &str,
        times: &BTreeMap<i32, i64>,
    ) -> Result<BTreeMap<i32, Option<i64>>>;

    /// Consumer group ids.
    async fn list_groups(&self) -> Result<Vec<String>>;

    /// Describes a consumer group.
    async fn describe_group(&self, group: &str) -> Result<GroupDescription>;

    /// Deletes a consumer group and its committed offsets.
    async fn delete_group(&self, group: &str) -> Result<()>;

    /// Committed offsets of a group: topic → partition → next offset.
    async fn committed_offsets(
        &self,
        group: &str,
        topic: Option<&str>,
    ) -> Result<BTreeMap<String, BTreeMap<i32, i64>>>;

    /// Sets committed offsets of a group for one topic.
    async fn commit_offsets(
        &self,
        group: &str,
        topic: &str,
        offsets: &BTreeMap<i32, i64>,
    ) -> Result<()>;

    /// Brokers of a cluster: id → `host:port`.
    async fn brokers(&self) -> Result<BTreeMap<i32, String>> {
        Err(self.unsupported("brokers"))
    }

    /// A broker's configuration.
    async fn broker_config(&self, broker: i32) -> Result<BTreeMap<String, String>> {
        let _ = broker;
        Err(self.unsupported("broker configs"))
    }

    /// Sets configuration entries of a broker.
    async fn alter_broker_config(
        &self,
        broker: i32,
        entries: &BTreeMap<String, String>,
    ) -> Result<()> {
        let _ = (broker, entries);
        Err(self.unsupported("broker configs"))
    }

    /// ACLs matching `filter`.
    async fn acls(&self, filter: &Acl) -> Result<Vec<Acl>> {
        let _ = filter;
        Err(self.unsupported("ACLs"))
    }

    /// Creates an ACL.
    async fn create_acl(&self, acl: &Acl) -> Result<()> {
        let _ = acl;
        Err(self.unsupported("ACLs"))
    }

    /// Deletes the ACLs matching `filter`; returns them.
    async fn delete_acls(&self, filter: &Acl) -> Result<Vec<Acl>> {
        let _ = filter;
        Err(self.unsupported("ACLs"))
    }

    /// The error for an operation this storage does not offer.
    fn unsupported(&self, operation: &'static str) -> crate::Error {
        crate::Error::Unsupported {
            storage: self.kind().as_str(),
            operation,
        }
    }

    /// Opens a producer for `topic`.
    async fn producer(&self, topic: &str, options: ProducerOptions)
        -> Result<Box<dyn RawProducer>>;

    /// Opens a consumer of `topic`.
    async fn consumer(&self, topic: &str, options: ConsumerOptions)
        -> Result<Box<dyn RawConsumer>>;
}
