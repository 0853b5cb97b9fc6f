//! The emulated producer: buffers records per partition and writes each full
//! buffer as one immutable segment claimed by create-if-absent.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use kafi_core::message::now_millis;
use kafi_core::partitioner::murmur2_partition;
use kafi_core::storage::ProducerOptions;
use kafi_core::{Error, ProduceRecord, RawProducer, Result};

use crate::batch::{encode_segment, rebase_segment};
use crate::layout::{self, TopicMeta};
use crate::storage::Inner;

/// Gives up after this many lost races for one segment name; each lost race
/// means another writer advanced the partition, so this only trips if the
/// storage keeps refusing writes without a segment appearing.
const MAX_CLAIM_ATTEMPTS: usize = 10_000;

pub(crate) struct FsProducer {
    inner: Arc<Inner>,
    topic: String,
    partitions: i32,
    batch_size: usize,
    buffers: Vec<Vec<ProduceRecord>>,
    /// Next offset per partition, learnt on the first write.
    next_offsets: Vec<Option<i64>>,
    /// Partition for unkeyed records until its batch is written (sticky).
    sticky: i32,
    encoded: Vec<u8>,
}

impl FsProducer {
    pub(crate) fn new(
        inner: Arc<Inner>,
        topic: &str,
        partitions: i32,
        options: ProducerOptions,
    ) -> Self {
        let partitions = partitions.max(1);
        Self {
            inner,
            topic: topic.to_owned(),
            partitions,
            batch_size: options.batch_size.max(1),
            buffers: (0..partitions).map(|_| Vec::new()).collect(),
            next_offsets: vec![None; partitions as usize],
            sticky: (now_millis() % partitions as i64) as i32,
            encoded: Vec::new(),
        }
    }

    fn choose_partition(&self, record: &ProduceRecord) -> Result<i32> {
        match (record.partition, &record.key) {
            (Some(p), _) if p >= 0 => {
                let meta = TopicMeta {
                    partitions: self.partitions,
                    config: Default::default(),
                };
                Inner::check_partition(&self.topic, &meta, p)?;
                Ok(p)
            }
            (_, Some(key)) => Ok(murmur2_partition(key, self.partitions)),
            (_, None) => Ok(self.sticky),
        }
    }

    async fn high_watermark(&self, partition: i32) -> Result<i64> {
        Ok(self
            .inner
            .partition_watermarks(&self.topic, partition)
            .await?
            .1)
    }

    async fn write_partition(&mut self, partition: i32) -> Result<()> {
        let index = partition as usize;
        if self.buffers[index].is_empty() {
            return Ok(());
        }
        let mut base = match self.next_offsets[index] {
            Some(offset) => offset,
            None => self.high_watermark(partition).await?,
        };
        self.encoded.clear();
        let count = {
            let records = &self.buffers[index];
            encode_segment(&mut self.encoded, base, records, now_millis()) - base
        };
        for _ in 0..MAX_CLAIM_ATTEMPTS {
            let path = layout::segment(&self.topic, partition, base);
            if self
                .inner
                .store
                .put_if_absent(&path, Bytes::copy_from_slice(&self.encoded))
                .await?
            {
                self.next_offsets[index] = Some(base + count);
                self.buffers[index].clear();
                if partition == self.sticky {
                    self.sticky = (self.sticky + 1) % self.partitions;
                }
                return Ok(());
            }
            // Another writer took this offset: continue after its segment.
            base = match self.inner.segment_end(&self.topic, partition, base).await? {
                Some(end) => end,
                None => self.high_watermark(partition).await?,
            };
            rebase_segment(&mut self.encoded, base);
        }
        Err(Error::backend(
            "cannot write segment",
            format!("{} partition {partition}", self.topic),
            "too many concurrent writers",
        ))
    }
}

#[async_trait]
impl RawProducer for FsProducer {
    async fn send(&mut self, record: ProduceRecord) -> Result<()> {
        let partition = self.choose_partition(&record)?;
        let buffer = &mut self.buffers[partition as usize];
        buffer.push(record);
        if buffer.len() >= self.batch_size {
            self.write_partition(partition).await?;
        }
        Ok(())
    }

    async fn send_all(&mut self, records: Vec<ProduceRecord>) -> Result<()> {
        for record in records {
            let partition = self.choose_partition(&record)?;
            let buffer = &mut self.buffers[partition as usize];
            buffer.push(record);
            if buffer.len() >= self.batch_size {
                self.write_partition(partition).await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        for partition in 0..self.partitions {
            self.write_partition(partition).await?;
        }
        Ok(())
    }

    async fn close(mut self: Box<Self>) -> Result<()> {
        self.flush().await
    }
}
