//! The emulated producer: buffers records per partition and writes each full
//! buffer as one immutable segment claimed by create-if-absent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use kafi_core::message::now_millis;
use kafi_core::storage::ProducerOptions;
use kafi_core::{Error, Partitioner, ProduceRecord, RawProducer, Result};

use crate::batch::{encode_segment, rebase_segment};
use crate::meta::TopicVersion;
use crate::random::Backoff;
use crate::segments::PartitionRef;
use crate::storage::Inner;

/// Gives up after this many lost races in a row that show no progress
/// (the segment that won is gone and the partition did not advance): the
/// storage refuses writes. A lost race that shows progress never counts.
const MAX_STALLED_CLAIMS: u32 = 100;

/// How often a producer checks that its topic still exists (and always on
/// flush and close).
const TOPIC_CHECK_INTERVAL: Duration = Duration::from_secs(1);

pub(crate) struct FsProducer {
    inner: Arc<Inner>,
    topic: String,
    meta: TopicVersion,
    partitioner: Partitioner,
    batch_size: usize,
    buffers: Vec<Vec<ProduceRecord>>,
    /// Next offset per partition, learnt on the first write.
    next_offsets: Vec<Option<i64>>,
    encoded: Vec<u8>,
    topic_checked_at: Instant,
}

impl FsProducer {
    pub(crate) fn new(
        inner: Arc<Inner>,
        topic: &str,
        meta: TopicVersion,
        options: ProducerOptions,
    ) -> Self {
        let partitioner = Partitioner::new(topic, meta.state.partitions);
        let partitions = partitioner.partitions() as usize;
        Self {
            inner,
            topic: topic.to_owned(),
            meta,
            partitioner,
            batch_size: options.batch_size.max(1),
            buffers: (0..partitions).map(|_| Vec::new()).collect(),
            next_offsets: vec![None; partitions],
            encoded: Vec::new(),
            topic_checked_at: Instant::now(),
        }
    }

    /// Fails if the topic was deleted since the producer was opened, after
    /// removing what was written into the deleted topic's directory.
    async fn check_topic(&mut self) -> Result<()> {
        match self.inner.refresh_topic(&self.topic, &self.meta).await? {
            Some(meta) => {
                self.meta = meta;
                self.topic_checked_at = Instant::now();
                Ok(())
            }
            None => {
                self.inner
                    .remove_incarnation(&self.topic, &self.meta.state.incarnation)
                    .await;
                Err(Error::backend(
                    "cannot write to",
                    format!("topic {:?}", self.topic),
                    "the topic was deleted while this producer was writing to it",
                ))
            }
        }
    }

    async fn write_partition(&mut self, partition: i32) -> Result<()> {
        let index = partition as usize;
        if self.buffers[index].is_empty() {
            return Ok(());
        }
        if self.topic_checked_at.elapsed() >= TOPIC_CHECK_INTERVAL {
            self.check_topic().await?;
        }
        let p = PartitionRef::new(&self.topic, &self.meta, partition);
        let mut base = match self.next_offsets[index] {
            Some(offset) => offset,
            None => {
                self.inner
                    .partition_watermarks(&self.topic, &self.meta, partition)
                    .await?
                    .1
            }
        };
        self.encoded.clear();
        let count = {
            let records = &self.buffers[index];
            encode_segment(&mut self.encoded, base, records, now_millis()) - base
        };
        let mut backoff = Backoff::new(Duration::from_micros(200), Duration::from_millis(20));
        let mut stalled = 0;
        loop {
            if self
                .inner
                .store
                .put_if_absent(&p.segment(base), Bytes::copy_from_slice(&self.encoded))
                .await?
            {
                self.next_offsets[index] = Some(base + count);
                self.buffers[index].clear();
                self.partitioner.batch_written(partition);
                return Ok(());
            }
            // Another writer took this offset: follow the segments it and
            // others wrote, by name, to the first free offset.
            let free = self.inner.chain_end(p, base).await?;
            if free > base {
                stalled = 0;
            } else {
                stalled += 1;
                if stalled >= MAX_STALLED_CLAIMS {
                    return Err(Error::backend(
                        "cannot write segment",
                        self.inner.store.display(&p.segment(base)),
                        format!(
                            "the storage refused {MAX_STALLED_CLAIMS} writes in a row \
                             while the partition did not advance"
                        ),
                    ));
                }
            }
            base = free;
            rebase_segment(&mut self.encoded, base);
            // Jitter, so that racing writers stop colliding in lock step.
            backoff.wait().await;
        }
    }
}

#[async_trait]
impl RawProducer for FsProducer {
    async fn send(&mut self, record: ProduceRecord) -> Result<()> {
        let partition = self.partitioner.partition(&record)?;
        let buffer = &mut self.buffers[partition as usize];
        buffer.push(record);
        if buffer.len() >= self.batch_size {
            self.write_partition(partition).await?;
        }
        Ok(())
    }

    async fn send_all(&mut self, records: Vec<ProduceRecord>) -> Result<()> {
        for record in records {
            let partition = self.partitioner.partition(&record)?;
            let buffer = &mut self.buffers[partition as usize];
            buffer.push(record);
            if buffer.len() >= self.batch_size {
                self.write_partition(partition).await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        for partition in 0..self.partitioner.partitions() {
            self.write_partition(partition).await?;
        }
        // What was written counts only if the topic still exists.
        self.check_topic().await
    }

    async fn close(mut self: Box<Self>) -> Result<()> {
        self.flush().await
    }
}
