//! [`ClusterStorage`]: the [`Storage`] implementation for a Kafka cluster.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use kafi_config::StorageConfig;
use kafi_core::storage::{ConsumerOptions, ProducerOptions};
use kafi_core::topic::{validate_topic_name, NamePattern};
use kafi_core::{
    Acl, Error, GroupDescription, PartitionInfo, RawConsumer, RawProducer, Result, Storage,
    StorageKind, TopicInfo, TopicSpec,
};
use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::{
    CreatePartitionsRequest, CreateTopicsRequest, DeleteGroupsRequest, DescribeGroupsRequest,
    GroupId, ListGroupsRequest,
};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::OnceCell;

use crate::client::{topic_name, Client};
use crate::config::{ClientConfig, ClusterOptions};
use crate::configs::{RESOURCE_BROKER, RESOURCE_TOPIC};
use crate::consumer::ClusterConsumer;
use crate::deletion::rskafka_error;
use crate::error::{check, to_core, Error as KafkaError, ErrorCode};
use crate::ops;
use crate::producer::ClusterProducer;

const ADMIN_TIMEOUT_MS: i32 = 30_000;

/// A Kafka cluster (the seed's `Cluster`).
#[derive(Debug, Clone)]
pub struct ClusterStorage {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) client: Arc<Client>,
    name: String,
    /// `retention.ms` of topics created without one.
    retention_ms: i64,
    pub(crate) rskafka: OnceCell<rskafka::client::Client>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterStorage")
            .field("name", &self.name)
            .field("client", &self.client.config)
            .finish_non_exhaustive()
    }
}

pub(crate) fn kerr(e: KafkaError) -> Error {
    e.into()
}

impl ClusterStorage {
    /// Connects to the cluster a configuration describes: its `kafka`
    /// section, with the [`ClusterOptions`] of its `kafi` section. Named
    /// `cluster:NAME` in messages.
    pub async fn connect(config: &StorageConfig) -> Result<Self> {
        let client_config = ClientConfig::from_storage(config)?;
        Self::connect_with(
            client_config,
            format!("cluster:{}", config.name),
            &ClusterOptions::from(&config.kafi),
        )
        .await
    }

    /// Connects to a PLAINTEXT cluster at `bootstrap` (comma-separated
    /// `host:port`s) with `options` (or the `kafi` settings they come from).
    pub async fn connect_plaintext(
        bootstrap: &str,
        options: impl Into<ClusterOptions>,
    ) -> Result<Self> {
        let options = options.into();
        let config = ClientConfig::plaintext(bootstrap, &options);
        let name = format!("cluster:{}", config.bootstrap_text);
        Self::connect_with(config, name, &options).await
    }

    async fn connect_with(
        config: ClientConfig,
        name: String,
        options: &ClusterOptions,
    ) -> Result<Self> {
        let client = Client::connect(config).await.map_err(kerr)?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                name,
                retention_ms: options.retention_ms,
                rskafka: OnceCell::new(),
            }),
        })
    }
}

impl Inner {
    pub(crate) fn deadline(&self) -> Duration {
        self.client.config.deadline()
    }

    /// Waits until the topic's existence is `exists` (admin operations are
    /// asynchronous in Kafka).
    async fn wait_topic(&self, topic: &str, exists: bool) -> Result<()> {
        let config = &self.client.config;
        for attempt in 0..config.retries {
            if attempt > 0 {
                tokio::time::sleep(config.interval).await;
            }
            if self.topic_exists(topic).await? == exists {
                return Ok(());
            }
        }
        tracing::warn!(
            topic,
            exists,
            "topic state not visible after block.num.retries"
        );
        Ok(())
    }

    pub(crate) async fn topic_exists(&self, topic: &str) -> Result<bool> {
        match self.client.topic(topic).await {
            Ok(meta) => Ok(meta.count() > 0),
            Err(e) if e.code() == Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION) => Ok(false),
            Err(e) => Err(kerr(e)),
        }
    }

    pub(crate) async fn coordinator(&self, group: &str) -> Result<String> {
        self.client.coordinator(group).await.map_err(kerr)
    }
}

#[async_trait]
impl Storage for ClusterStorage {
    fn kind(&self) -> StorageKind {
        StorageKind::Cluster
    }

    fn name(&self) -> &str {
        &self.inner.name
    }

    async fn list_topics(&self, pattern: Option<&str>, detailed: bool) -> Result<Vec<TopicInfo>> {
        let pattern = NamePattern::new(pattern)?;
        let response = self.inner.client.metadata(None).await.map_err(kerr)?;
        let mut names: Vec<String> = response
            .topics
            .iter()
            .filter(|t| !t.is_internal && ErrorCode(t.error_code).is_ok())
            .filter_map(|t| t.name.as_ref().map(|n| n.0.to_string()))
            .filter(|n| !n.starts_with("__") && pattern.matches(n))
            .collect();
        names.sort();
        names.dedup();
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let partitions = if detailed {
                let meta = self.inner.client.topic(&name).await.map_err(kerr)?;
                let marks = ops::watermarks(&self.inner.client, &name, &meta)
                    .await
                    .map_err(kerr)?;
                Some(
                    marks
                        .into_iter()
                        .map(|(partition, (low, high))| PartitionInfo {
                            partition,
                            low,
                            high,
                            size_bytes: None,
                        })
                        .collect(),
                )
            } else {
                None
            };
            out.push(TopicInfo { name, partitions });
        }
        Ok(out)
    }

    async fn topic_exists(&self, topic: &str) -> Result<bool> {
        validate_topic_name(topic)?;
        self.inner.topic_exists(topic).await
    }

    async fn create_topic(&self, topic: &str, spec: &TopicSpec) -> Result<()> {
        validate_topic_name(topic)?;
        if spec.partitions < 1 {
            return Err(Error::InvalidArgument(format!(
                "a topic needs at least 1 partition, got {}",
                spec.partitions
            )));
        }
        let mut config = spec.config.clone();
        config
            .entry("retention.ms".into())
            .or_insert_with(|| self.inner.retention_ms.to_string());
        let request = CreateTopicsRequest::default()
            .with_timeout_ms(ADMIN_TIMEOUT_MS)
            .with_topics(vec![CreatableTopic::default()
                .with_name(topic_name(topic))
                .with_num_partitions(spec.partitions)
                .with_replication_factor(-1)
                .with_configs(
                    config
                        .iter()
                        .map(|(k, v)| {
                            CreatableTopicConfig::default()
                                .with_name(StrBytes::from_string(k.clone()))
                                .with_value(Some(StrBytes::from_string(v.clone())))
                        })
                        .collect(),
                )]);
        let addr = self.inner.client.controller_addr().await.map_err(kerr)?;
        let response = self
            .inner
            .client
            .request_at(&addr, &request)
            .await
            .map_err(kerr)?;
        for t in response.topics {
            check(
                "create topic",
                topic,
                t.error_code,
                t.error_message.as_deref(),
            )
            .map_err(|e| to_core(e, Some(topic), None))?;
        }
        self.inner.wait_topic(topic, true).await
    }

    async fn delete_topic(&self, topic: &str) -> Result<()> {
        if !self.topic_exists(topic).await? {
            return Err(Error::TopicNotFound(topic.to_owned()));
        }
        let rs = self.inner.rskafka().await?;
        let controller = rs
            .controller_client()
            .map_err(|e| rskafka_error("delete topic", topic, e))?;
        controller
            .delete_topic(topic, ADMIN_TIMEOUT_MS)
            .await
            .map_err(|e| rskafka_error("delete topic", topic, e))?;
        self.inner.wait_topic(topic, false).await
    }

    async fn partition_count(&self, topic: &str) -> Result<i32> {
        validate_topic_name(topic)?;
        let meta = self
            .inner
            .client
            .topic(topic)
            .await
            .map_err(|e| to_core(e, Some(topic), None))?;
        Ok(meta.count())
    }

    async fn set_partition_count(&self, topic: &str, count: i32) -> Result<()> {
        let current = self.partition_count(topic).await?;
        if count <= current {
            return Err(Error::InvalidArgument(format!(
                "topic {topic:?} has {current} partition(s); the count can only be increased, not set to {count}"
            )));
        }
        let request = CreatePartitionsRequest::default()
            .with_timeout_ms(ADMIN_TIMEOUT_MS)
            .with_topics(vec![CreatePartitionsTopic::default()
                .with_name(topic_name(topic))
                .with_count(count)
                .with_assignments(None)]);
        let addr = self.inner.client.controller_addr().await.map_err(kerr)?;
        let response = self
            .inner
            .client
            .request_at(&addr, &request)
            .await
            .map_err(kerr)?;
        for r in response.results {
            check(
                "create partitions",
                topic,
                r.error_code,
                r.error_message.as_deref(),
            )
            .map_err(|e| to_core(e, Some(topic), None))?;
        }
        Ok(())
    }

    async fn watermarks(&self, topic: &str) -> Result<BTreeMap<i32, (i64, i64)>> {
        validate_topic_name(topic)?;
        let meta = self
            .inner
            .client
            .topic(topic)
            .await
            .map_err(|e| to_core(e, Some(topic), None))?;
        ops::watermarks(&self.inner.client, topic, &meta)
            .await
            .map_err(|e| to_core(e, Some(topic), None))
    }

    async fn topic_config(&self, topic: &str) -> Result<BTreeMap<String, String>> {
        validate_topic_name(topic)?;
        self.inner.describe_configs(RESOURCE_TOPIC, topic).await
    }

    async fn alter_topic_config(
        &self,
        topic: &str,
        entries: &BTreeMap<String, String>,
    ) -> Result<()> {
        validate_topic_name(topic)?;
        self.inner
            .alter_configs(RESOURCE_TOPIC, topic, entries)
            .await
    }

    async fn delete_records(
        &self,
        topic: &str,
        offsets: &BTreeMap<i32, i64>,
    ) -> Result<BTreeMap<i32, i64>> {
        let marks = self.watermarks(topic).await?;
        let rs = self.inner.rskafka().await?;
        let mut out = BTreeMap::new();
        for (&partition, &offset) in offsets {
            let &(low, high) = marks.get(&partition).ok_or(Error::PartitionNotFound {
                topic: topic.to_owned(),
                partition,
                partitions: marks.len() as i32,
            })?;
            let target = if offset == -1 { high } else { offset };
            if target < 0 || target > high {
                return Err(Error::InvalidArgument(format!(
                    "cannot delete records of {topic} partition {partition} before offset {offset}: \
                     the partition holds offsets {low}..{high}"
                )));
            }
            let client = rs
                .partition_client(
                    topic,
                    partition,
                    rskafka::client::partition::UnknownTopicHandling::Error,
                )
                .await
                .map_err(|e| rskafka_error("delete records", topic, e))?;
            client
                .delete_records(target, ADMIN_TIMEOUT_MS)
                .await
                .map_err(|e| {
                    rskafka_error(
                        "delete records",
                        format!("{topic} partition {partition}").as_str(),
                        e,
                    )
                })?;
            out.insert(partition, target.max(low));
        }
        Ok(out)
    }

    async fn offsets_for_times(
        &self,
        topic: &str,
        times: &BTreeMap<i32, i64>,
    ) -> Result<BTreeMap<i32, Option<i64>>> {
        validate_topic_name(topic)?;
        let meta = self
            .inner
            .client
            .topic(topic)
            .await
            .map_err(|e| to_core(e, Some(topic), None))?;
        for &p in times.keys() {
            if meta.leader(p).is_none() {
                return Err(Error::PartitionNotFound {
                    topic: topic.to_owned(),
                    partition: p,
                    partitions: meta.count(),
                });
            }
        }
        let offsets = ops::list_offsets(&self.inner.client, topic, &meta, times)
            .await
            .map_err(kerr)?;
        Ok(times
            .keys()
            .map(|p| (*p, offsets.get(p).copied().filter(|o| *o >= 0)))
            .collect())
    }

    async fn list_groups(&self) -> Result<Vec<String>> {
        let brokers = self.inner.brokers().await?;
        let mut out = Vec::new();
        for addr in brokers.values() {
            let response = self
                .inner
                .client
                .request_at(addr, &ListGroupsRequest::default())
                .await
                .map_err(kerr)?;
            check("ListGroups", addr, response.error_code, None).map_err(kerr)?;
            out.extend(
                response
                    .groups
                    .into_iter()
                    .map(|g| g.group_id.0.to_string()),
            );
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    async fn describe_group(&self, group: &str) -> Result<GroupDescription> {
        let coordinator = self.inner.coordinator(group).await?;
        let request = DescribeGroupsRequest::default()
            .with_groups(vec![GroupId(StrBytes::from_string(group.to_owned()))]);
        let response = self
            .inner
            .client
            .request_at(&coordinator, &request)
            .await
            .map_err(kerr)?;
        let described = response
            .groups
            .into_iter()
            .next()
            .ok_or_else(|| Error::GroupNotFound(group.to_owned()))?;
        check(
            "DescribeGroups",
            group,
            described.error_code,
            described.error_message.as_deref(),
        )
        .map_err(|e| to_core(e, None, Some(group)))?;
        let committed = self.committed_offsets(group, None).await?;
        if described.group_state.as_str() == "Dead" && committed.is_empty() {
            return Err(Error::GroupNotFound(group.to_owned()));
        }
        Ok(GroupDescription {
            group: group.to_owned(),
            state: described.group_state.to_string(),
            members: described
                .members
                .iter()
                .map(|m| m.member_id.to_string())
                .collect(),
            protocol: described.protocol_data.to_string(),
            topics: committed.into_keys().collect(),
        })
    }

    async fn delete_group(&self, group: &str) -> Result<()> {
        let coordinator = self.inner.coordinator(group).await?;
        let request = DeleteGroupsRequest::default()
            .with_groups_names(vec![GroupId(StrBytes::from_string(group.to_owned()))]);
        let response = self
            .inner
            .client
            .request_at(&coordinator, &request)
            .await
            .map_err(kerr)?;
        for r in response.results {
            check("delete group", group, r.error_code, None)
                .map_err(|e| to_core(e, None, Some(group)))?;
        }
        Ok(())
    }

    async fn committed_offsets(
        &self,
        group: &str,
        topic: Option<&str>,
    ) -> Result<BTreeMap<String, BTreeMap<i32, i64>>> {
        let coordinator = self.inner.coordinator(group).await?;
        let client = &self.inner.client;
        if let Some(t) = topic {
            // Ask for the topic's partitions explicitly.
            let meta = match client.topic(t).await {
                Ok(meta) => meta,
                Err(e) if e.code() == Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION) => {
                    return Ok(BTreeMap::new())
                }
                Err(e) => return Err(e.into()),
            };
            let partitions: Vec<i32> = meta.partitions.iter().map(|(p, _)| *p).collect();
            let mut one = ops::fetch_committed(client, &coordinator, group, Some((t, &partitions)))
                .await
                .map_err(|e| to_core(e, None, Some(group)))?;
            one.retain(|name, _| name == t);
            return Ok(one);
        }
        match ops::fetch_committed(client, &coordinator, group, None).await {
            Ok(all) => Ok(all),
            // Some brokers (tansu) answer "all topics" with a null array that
            // does not decode: ask topic by topic instead.
            Err(KafkaError::Protocol { .. }) => {
                let mut all = BTreeMap::new();
                for info in self.list_topics(None, false).await? {
                    let found = Box::pin(self.committed_offsets(group, Some(&info.name))).await?;
                    all.extend(found);
                }
                Ok(all)
            }
            Err(e) => Err(to_core(e, None, Some(group))),
        }
    }

    async fn commit_offsets(
        &self,
        group: &str,
        topic: &str,
        offsets: &BTreeMap<i32, i64>,
    ) -> Result<()> {
        validate_topic_name(topic)?;
        let coordinator = self.inner.coordinator(group).await?;
        ops::commit(
            &self.inner.client,
            &coordinator,
            group,
            None,
            topic,
            offsets,
        )
        .await
        .map_err(|e| to_core(e, Some(topic), Some(group)))
    }

    async fn brokers(&self) -> Result<BTreeMap<i32, String>> {
        self.inner.brokers().await
    }

    async fn broker_config(&self, broker: i32) -> Result<BTreeMap<String, String>> {
        self.inner
            .describe_configs(RESOURCE_BROKER, &broker.to_string())
            .await
    }

    async fn alter_broker_config(
        &self,
        broker: i32,
        entries: &BTreeMap<String, String>,
    ) -> Result<()> {
        self.inner
            .alter_configs(RESOURCE_BROKER, &broker.to_string(), entries)
            .await
    }

    async fn acls(&self, filter: &Acl) -> Result<Vec<Acl>> {
        self.inner.describe_acls(filter).await
    }

    async fn create_acl(&self, binding: &Acl) -> Result<()> {
        self.inner.create_acl(binding).await
    }

    async fn delete_acls(&self, filter: &Acl) -> Result<Vec<Acl>> {
        self.inner.delete_acls(filter).await
    }

    async fn producer(
        &self,
        topic: &str,
        options: ProducerOptions,
    ) -> Result<Box<dyn RawProducer>> {
        validate_topic_name(topic)?;
        Ok(Box::new(
            ClusterProducer::open(self.inner.clone(), topic, options).await?,
        ))
    }

    async fn consumer(
        &self,
        topic: &str,
        options: ConsumerOptions,
    ) -> Result<Box<dyn RawConsumer>> {
        validate_topic_name(topic)?;
        Ok(Box::new(
            ClusterConsumer::open(self.inner.clone(), topic, options).await?,
        ))
    }
}
