//! The cluster producer: per-partition buffers of `produce.batch.size`
//! records, sent as one RecordBatch per partition in one Produce request
//! per leader.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::BytesMut;
use kafi_core::message::now_millis;
use kafi_core::storage::ProducerOptions;
use kafi_core::{Error, Partitioner, ProduceRecord, RawProducer, Result};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::ProduceRequest;

use crate::client::{topic_name, TopicMeta};
use crate::error::{to_core, Error as KafkaError, ErrorCode};
use crate::ops::by_leader;
use crate::records::encode_batch;
use crate::storage::Inner;

pub(crate) struct ClusterProducer {
    inner: Arc<Inner>,
    topic: String,
    meta: TopicMeta,
    partitioner: Partitioner,
    batch_size: usize,
    buffers: Vec<Vec<ProduceRecord>>,
    timeout: Duration,
}

impl ClusterProducer {
    pub(crate) async fn open(
        inner: Arc<Inner>,
        topic: &str,
        options: ProducerOptions,
    ) -> Result<Self> {
        let meta = inner
            .client
            .topic(topic)
            .await
            .map_err(|e| to_core(e, Some(topic), None))?;
        let partitioner = Partitioner::new(topic, meta.count());
        let partitions = partitioner.partitions();
        let timeout = if options.flush_timeout < 0.0 {
            Duration::from_secs(3600 * 24 * 365)
        } else {
            Duration::from_secs_f64(options.flush_timeout.max(0.001))
        };
        Ok(Self {
            inner,
            topic: topic.to_owned(),
            meta,
            partitioner,
            batch_size: options.batch_size.max(1),
            buffers: (0..partitions).map(|_| Vec::new()).collect(),
            timeout,
        })
    }

    /// Sends the buffers of `partitions`; failures are collected per
    /// partition and reported together.
    async fn send_partitions(&mut self, partitions: Vec<i32>) -> Result<()> {
        let partitions: Vec<i32> = partitions
            .into_iter()
            .filter(|p| !self.buffers[*p as usize].is_empty())
            .collect();
        if partitions.is_empty() {
            return Ok(());
        }
        let mut failures: Vec<(i32, usize, KafkaError)> = Vec::new();
        let mut pending = partitions;
        for attempt in 0..self.inner.client.config.retries {
            if attempt > 0 {
                tokio::time::sleep(self.inner.client.config.interval).await;
                if let Ok(meta) = self.inner.client.topic(&self.topic).await {
                    self.meta = meta;
                }
            }
            failures.clear();
            let now = now_millis();
            for (leader, group) in by_leader(&self.meta, pending.iter().copied()) {
                let mut data = Vec::with_capacity(group.len());
                for &p in &group {
                    let mut buf =
                        BytesMut::with_capacity(self.buffers[p as usize].len() * 128 + 128);
                    encode_batch(
                        &mut buf,
                        &self.buffers[p as usize],
                        self.inner.client.config.compression,
                        now,
                    )
                    .map_err(|e| Error::backend("produce", &self.topic, e))?;
                    data.push(
                        PartitionProduceData::default()
                            .with_index(p)
                            .with_records(Some(buf.freeze())),
                    );
                }
                let request = ProduceRequest::default()
                    .with_acks(-1)
                    .with_timeout_ms(self.timeout.as_millis().min(i32::MAX as u128) as i32)
                    .with_topic_data(vec![TopicProduceData::default()
                        .with_name(topic_name(&self.topic))
                        .with_partition_data(data)]);
                match self.inner.client.request_broker(leader, &request).await {
                    Ok(response) => {
                        for t in response.responses {
                            for r in t.partition_responses {
                                let p = r.index;
                                if ErrorCode(r.error_code).is_ok() {
                                    self.buffers[p as usize].clear();
                                    self.partitioner.batch_written(p);
                                } else {
                                    let message =
                                        r.error_message.as_ref().map(|m| m.to_string()).or_else(
                                            || {
                                                r.record_errors.first().and_then(|e| {
                                                    e.batch_index_error_message
                                                        .as_ref()
                                                        .map(|m| m.to_string())
                                                })
                                            },
                                        );
                                    failures.push((
                                        p,
                                        self.buffers[p as usize].len(),
                                        KafkaError::broker(
                                            "produce",
                                            format!("{} partition {p}", self.topic),
                                            r.error_code,
                                            message.as_deref(),
                                        ),
                                    ));
                                }
                            }
                        }
                    }
                    Err(e) => {
                        for &p in &group {
                            failures.push((p, self.buffers[p as usize].len(), clone_error(&e)));
                        }
                    }
                }
            }
            // Partitions the broker did not answer for count as failed.
            for &p in &pending {
                if !self.buffers[p as usize].is_empty() && !failures.iter().any(|f| f.0 == p) {
                    failures.push((
                        p,
                        self.buffers[p as usize].len(),
                        KafkaError::Protocol {
                            broker: String::new(),
                            operation: "Produce",
                            reason: format!("no result for partition {p}"),
                        },
                    ));
                }
            }
            if failures.iter().all(|f| !f.2.is_retryable()) {
                break;
            }
            pending = failures.iter().map(|f| f.0).collect();
        }
        if failures.is_empty() {
            return Ok(());
        }
        let total: usize = failures.iter().map(|f| f.1).sum();
        let detail: Vec<String> = failures
            .iter()
            .map(|(p, n, e)| format!("partition {p}: {n} record(s): {e}"))
            .collect();
        // The failed records are dropped so that a retrying caller does not
        // send them twice without knowing.
        for (p, _, _) in &failures {
            self.buffers[*p as usize].clear();
        }
        Err(Error::backend(
            "produce",
            &self.topic,
            format!("{total} record(s) failed: {}", detail.join("; ")),
        ))
    }
}

fn clone_error(e: &KafkaError) -> KafkaError {
    match e {
        KafkaError::Io { broker, reason } => KafkaError::Io {
            broker: broker.clone(),
            reason: reason.clone(),
        },
        KafkaError::Broker {
            operation,
            target,
            code,
            message,
        } => KafkaError::Broker {
            operation,
            target: target.clone(),
            code: *code,
            message: message.clone(),
        },
        other => KafkaError::Protocol {
            broker: String::new(),
            operation: "Produce",
            reason: other.to_string(),
        },
    }
}

#[async_trait]
impl RawProducer for ClusterProducer {
    async fn send(&mut self, record: ProduceRecord) -> Result<()> {
        let partition = self.partitioner.partition(&record)?;
        let buffer = &mut self.buffers[partition as usize];
        buffer.push(record);
        if buffer.len() >= self.batch_size {
            self.send_partitions(vec![partition]).await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        let all: Vec<i32> = (0..self.partitioner.partitions()).collect();
        let timeout = self.timeout;
        match tokio::time::timeout(timeout, self.send_partitions(all)).await {
            Ok(r) => r,
            Err(_) => Err(Error::backend(
                "flush",
                &self.topic,
                format!("flush.timeout of {timeout:?} elapsed"),
            )),
        }
    }

    async fn close(mut self: Box<Self>) -> Result<()> {
        self.flush().await
    }
}
