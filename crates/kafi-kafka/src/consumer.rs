//! The cluster consumer: large Fetch requests per leader on connections of
//! its own, records decoded as slices of the response buffer, positions per
//! partition, and group membership only when reading from committed offsets.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use kafi_config::AutoOffsetReset;
use kafi_core::storage::{ConsumerOptions, StartOffsets};
use kafi_core::{Error, RawConsumer, RawMessage, Result};

use crate::client::TopicMeta;
use crate::conn::Connection;
use crate::error::{to_core, Error as KafkaError, ErrorCode};
use crate::group::Membership;
use crate::ops::{self, by_leader};
use crate::records::decode_batches;
use crate::storage::Inner;

/// Bytes asked for per partition and per Fetch.
const PARTITION_MAX_BYTES: i32 = 4 * 1024 * 1024;
const FETCH_MAX_BYTES: i32 = 16 * 1024 * 1024;
/// Longest single broker wait, so timeouts and rebalances are noticed.
const MAX_WAIT: Duration = Duration::from_millis(500);

pub(crate) struct ClusterConsumer {
    inner: Arc<Inner>,
    topic: Arc<str>,
    group: String,
    auto_commit: bool,
    auto_offset_reset: AutoOffsetReset,
    timeout: Option<Duration>,
    meta: TopicMeta,
    /// Next offset to hand out, per assigned partition.
    positions: BTreeMap<i32, i64>,
    /// Next offset to fetch, per assigned partition.
    fetch_positions: BTreeMap<i32, i64>,
    buffered: VecDeque<RawMessage>,
    conns: HashMap<i32, Connection>,
    membership: Option<Membership>,
    generation: i32,
}

impl ClusterConsumer {
    pub(crate) async fn open(
        inner: Arc<Inner>,
        topic: &str,
        options: ConsumerOptions,
    ) -> Result<Self> {
        let client = inner.client.clone();
        let meta = client
            .topic(topic)
            .await
            .map_err(|e| to_core(e, Some(topic), None))?;
        let timeout = if options.consume_timeout < 0.0 {
            None
        } else {
            Some(Duration::from_secs_f64(options.consume_timeout))
        };
        let mut consumer = Self {
            inner,
            topic: Arc::from(topic),
            group: options.group.clone(),
            auto_commit: options.enable_auto_commit,
            auto_offset_reset: options.auto_offset_reset,
            timeout,
            meta,
            positions: BTreeMap::new(),
            fetch_positions: BTreeMap::new(),
            buffered: VecDeque::new(),
            conns: HashMap::new(),
            membership: None,
            generation: -1,
        };
        match &options.start {
            StartOffsets::Explicit(offsets) => {
                let marks = ops::watermarks(&client, topic, &consumer.meta)
                    .await
                    .map_err(|e| to_core(e, Some(topic), None))?;
                for (&partition, &offset) in offsets {
                    let &(low, high) = marks.get(&partition).ok_or(Error::PartitionNotFound {
                        topic: topic.to_owned(),
                        partition,
                        partitions: consumer.meta.count(),
                    })?;
                    let position = if offset < 0 { high + offset } else { offset };
                    consumer
                        .positions
                        .insert(partition, position.clamp(low, high));
                }
            }
            StartOffsets::Committed => {
                let membership = Membership::join(
                    client.clone(),
                    &options.group,
                    topic,
                    options.session_timeout_ms,
                )
                .await
                .map_err(|e| to_core(e, Some(topic), Some(&options.group)))?;
                consumer.membership = Some(membership);
                consumer.apply_assignment().await?;
            }
        }
        consumer.fetch_positions = consumer.positions.clone();
        Ok(consumer)
    }

    /// Takes over a new assignment: keeps positions of retained partitions,
    /// starts others from committed offsets or `auto.offset.reset`.
    async fn apply_assignment(&mut self) -> Result<()> {
        let Some(membership) = &self.membership else {
            return Ok(());
        };
        let assignment = membership.current();
        if assignment.generation == self.generation {
            return Ok(());
        }
        self.generation = assignment.generation;
        let new: Vec<i32> = assignment
            .partitions
            .iter()
            .copied()
            .filter(|p| !self.positions.contains_key(p))
            .collect();
        self.positions
            .retain(|p, _| assignment.partitions.contains(p));
        self.fetch_positions
            .retain(|p, _| assignment.partitions.contains(p));
        self.buffered
            .retain(|m| assignment.partitions.contains(&m.partition));
        if new.is_empty() {
            return Ok(());
        }
        if let Ok(meta) = self.inner.client.topic(&self.topic).await {
            self.meta = meta;
        }
        let committed = ops::fetch_committed(
            &self.inner.client,
            &membership.coordinator,
            &self.group,
            Some((&self.topic, &new)),
        )
        .await
        .map_err(|e| to_core(e, Some(&self.topic), Some(&self.group)))?;
        let committed = committed.get(&*self.topic).cloned().unwrap_or_default();
        let marks = ops::watermarks(&self.inner.client, &self.topic, &self.meta)
            .await
            .map_err(|e| to_core(e, Some(&self.topic), None))?;
        for p in new {
            let (low, high) = marks.get(&p).copied().unwrap_or((0, 0));
            let position = match committed.get(&p) {
                Some(&o) => o.clamp(low, high),
                None => match self.auto_offset_reset {
                    AutoOffsetReset::Earliest => low,
                    AutoOffsetReset::Latest => high,
                },
            };
            self.positions.insert(p, position);
            self.fetch_positions.insert(p, position);
        }
        Ok(())
    }

    async fn conn(&mut self, leader: i32) -> std::result::Result<&mut Connection, KafkaError> {
        if !self.conns.contains_key(&leader) {
            let addr = self.inner.client.broker_addr(leader).await?;
            let conn = self.inner.client.dedicated(&addr).await?;
            self.conns.insert(leader, conn);
        }
        Ok(self.conns.get_mut(&leader).expect("just inserted"))
    }

    /// One round of Fetch requests; appends what arrived to `buffered`.
    async fn fetch_once(&mut self, wait: Duration) -> Result<()> {
        if self.fetch_positions.is_empty() {
            tokio::time::sleep(wait).await;
            return Ok(());
        }
        let groups = by_leader(&self.meta, self.fetch_positions.keys().copied());
        let wait_ms = wait.as_millis().min(i32::MAX as u128) as i32;
        for (leader, partitions) in groups {
            let request = ops::fetch_request(
                &self.topic,
                partitions.iter().map(|p| (*p, self.fetch_positions[p])),
                wait_ms,
                PARTITION_MAX_BYTES,
                FETCH_MAX_BYTES,
            );
            let timeout = wait + crate::conn::REQUEST_TIMEOUT;
            let response = match self.conn(leader).await {
                Ok(conn) => conn.send_timeout(&request, timeout).await,
                Err(e) => Err(e),
            };
            let response = match response {
                Ok(r) => r,
                Err(e @ KafkaError::Io { .. }) => {
                    // Reconnect on the next round; refresh leaders meanwhile.
                    self.conns.remove(&leader);
                    tracing::warn!(error = %e, "fetch failed; retrying");
                    tokio::time::sleep(self.inner.client.config.interval).await;
                    self.refresh_meta_or(e).await?;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let mut reset = Vec::new();
            for t in response.responses {
                for p in t.partitions {
                    let partition = p.partition_index;
                    let Some(&from) = self.fetch_positions.get(&partition) else {
                        continue;
                    };
                    match ErrorCode(p.error_code) {
                        ErrorCode::NONE => {}
                        ErrorCode::OFFSET_OUT_OF_RANGE => {
                            reset.push(partition);
                            continue;
                        }
                        // Leadership moved or metadata is stale: refresh.
                        ErrorCode::NOT_LEADER_OR_FOLLOWER
                        | ErrorCode::LEADER_NOT_AVAILABLE
                        | ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
                        | ErrorCode::FENCED_LEADER_EPOCH
                        | ErrorCode::UNKNOWN_LEADER_EPOCH => {
                            self.refresh_meta_or(KafkaError::broker(
                                "fetch",
                                &self.topic,
                                p.error_code,
                                None,
                            ))
                            .await?;
                            continue;
                        }
                        code => {
                            return Err(KafkaError::broker(
                                "fetch",
                                format!("{} partition {partition}", self.topic),
                                code,
                                None,
                            )
                            .into())
                        }
                    }
                    let Some(records) = p.records else { continue };
                    let mut out = Vec::new();
                    let next = decode_batches(&records, &self.topic, partition, from, &mut out)
                        .map_err(|reason| {
                            Error::backend(
                                "fetch",
                                format!("{} partition {partition}", self.topic),
                                reason,
                            )
                        })?;
                    let mut position = from;
                    if let Some(last) = out.last() {
                        position = last.offset + 1;
                    }
                    if let Some(next) = next {
                        position = position.max(next);
                    }
                    self.fetch_positions.insert(partition, position);
                    if out.is_empty()
                        && position == from
                        && p.high_watermark > from
                        && records.len() as i32 >= PARTITION_MAX_BYTES
                    {
                        return Err(Error::backend(
                            "fetch",
                            format!("{} partition {partition} offset {from}", self.topic),
                            "a record batch is larger than the fetch size",
                        ));
                    }
                    self.buffered.extend(out);
                }
            }
            if !reset.is_empty() {
                let marks = ops::watermarks(&self.inner.client, &self.topic, &self.meta)
                    .await
                    .map_err(|e| to_core(e, Some(&self.topic), None))?;
                for p in reset {
                    let (low, high) = marks.get(&p).copied().unwrap_or((0, 0));
                    let to = match self.auto_offset_reset {
                        AutoOffsetReset::Earliest => low,
                        AutoOffsetReset::Latest => high,
                    };
                    tracing::warn!(topic = %self.topic, partition = p, to, "offset out of range; resetting");
                    self.fetch_positions.insert(p, to);
                    self.positions.insert(p, to);
                }
            }
        }
        Ok(())
    }

    async fn refresh_meta_or(&mut self, e: KafkaError) -> Result<()> {
        match self.inner.client.topic(&self.topic).await {
            Ok(meta) => {
                self.meta = meta;
                Ok(())
            }
            Err(_) => Err(e.into()),
        }
    }
}

#[async_trait]
impl RawConsumer for ClusterConsumer {
    async fn poll(&mut self, max: usize) -> Result<Vec<RawMessage>> {
        let max = max.max(1);
        let start = Instant::now();
        loop {
            self.apply_assignment().await?;
            if !self.buffered.is_empty() {
                break;
            }
            let remaining = match self.timeout {
                None => MAX_WAIT,
                Some(t) => match t.checked_sub(start.elapsed()) {
                    Some(r) if !r.is_zero() => r.min(MAX_WAIT),
                    _ => return Ok(Vec::new()),
                },
            };
            self.fetch_once(remaining).await?;
        }
        let n = max.min(self.buffered.len());
        let out: Vec<RawMessage> = self.buffered.drain(..n).collect();
        for m in &out {
            self.positions.insert(m.partition, m.offset + 1);
        }
        if self.auto_commit && !out.is_empty() {
            self.commit(None).await?;
        }
        Ok(out)
    }

    async fn commit(&mut self, offsets: Option<&BTreeMap<i32, i64>>) -> Result<()> {
        let positions;
        let offsets = match offsets {
            Some(o) => o,
            None => {
                positions = self.positions();
                &positions
            }
        };
        if offsets.is_empty() {
            return Ok(());
        }
        let (coordinator, member) = match &self.membership {
            Some(m) => (m.coordinator.clone(), Some(m.current().member())),
            None => (self.inner.coordinator(&self.group).await?, None),
        };
        let result = ops::commit(
            &self.inner.client,
            &coordinator,
            &self.group,
            member.as_ref(),
            &self.topic,
            offsets,
        )
        .await;
        match result {
            // The group rebalanced under us: commit with the new generation.
            Err(e)
                if matches!(
                    e.code(),
                    Some(
                        ErrorCode::ILLEGAL_GENERATION
                            | ErrorCode::UNKNOWN_MEMBER_ID
                            | ErrorCode::REBALANCE_IN_PROGRESS
                    )
                ) && self.membership.is_some() =>
            {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let member = self.membership.as_ref().map(|m| m.current().member());
                ops::commit(
                    &self.inner.client,
                    &coordinator,
                    &self.group,
                    member.as_ref(),
                    &self.topic,
                    offsets,
                )
                .await
                .map_err(|e| to_core(e, Some(&self.topic), Some(&self.group)))
            }
            other => other.map_err(|e| to_core(e, Some(&self.topic), Some(&self.group))),
        }
    }

    fn positions(&self) -> BTreeMap<i32, i64> {
        self.positions.clone()
    }

    fn group(&self) -> &str {
        &self.group
    }

    async fn close(mut self: Box<Self>) -> Result<()> {
        if let Some(m) = self.membership.take() {
            m.leave().await;
        }
        Ok(())
    }
}
