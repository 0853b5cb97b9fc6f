//! Segments of a partition: listing, reading, end offsets and watermarks.

use bytes::Bytes;
use kafi_core::{Error, Result};

use crate::batch::{self, SegmentReader};
use crate::layout;
use crate::meta::TopicVersion;
use crate::storage::Inner;

/// One partition of one topic incarnation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PartitionRef<'a> {
    pub topic: &'a str,
    pub incarnation: &'a str,
    pub partition: i32,
}

impl<'a> PartitionRef<'a> {
    pub(crate) fn new(topic: &'a str, meta: &'a TopicVersion, partition: i32) -> Self {
        Self {
            topic,
            incarnation: &meta.state.incarnation,
            partition,
        }
    }

    pub(crate) fn segment(&self, base: i64) -> String {
        layout::segment(self.topic, self.incarnation, self.partition, base)
    }

    fn dir(&self) -> String {
        layout::partition_dir(self.topic, self.incarnation, self.partition)
    }
}

impl Inner {
    /// Base offsets of a partition's segments, ascending, as listed (a
    /// listing may miss segments being created).
    pub(crate) async fn segments(&self, p: PartitionRef<'_>) -> Result<Vec<i64>> {
        let names = self.store.list(&p.dir()).await?;
        let mut bases: Vec<i64> = names
            .iter()
            .filter_map(|n| layout::segment_base(n))
            .collect();
        bases.sort_unstable();
        Ok(bases)
    }

    /// Reads a segment; `None` if it does not exist. An empty segment is
    /// corrupt: every segment holds at least one batch.
    pub(crate) async fn read_segment(
        &self,
        p: PartitionRef<'_>,
        base: i64,
    ) -> Result<Option<Bytes>> {
        let data = self.store.read(&p.segment(base)).await?;
        if data.as_ref().is_some_and(Bytes::is_empty) {
            return Err(Error::Corrupt {
                path: self.store.display(&p.segment(base)),
                position: 0,
                reason: "empty segment (0 bytes): a segment holds at least one record batch".into(),
            });
        }
        Ok(data)
    }

    /// The offset after the last record of the segment at `base`; `None`
    /// if there is no such segment.
    pub(crate) async fn segment_end(&self, p: PartitionRef<'_>, base: i64) -> Result<Option<i64>> {
        let Some(data) = self.read_segment(p, base).await? else {
            return Ok(None);
        };
        SegmentReader::end_offset(&data, base).map_err(|e| self.corrupt(p, base, e))
    }

    pub(crate) fn corrupt(&self, p: PartitionRef<'_>, base: i64, e: batch::DecodeError) -> Error {
        Error::Corrupt {
            path: self.store.display(&p.segment(base)),
            position: e.position,
            reason: e.reason,
        }
    }

    /// Follows the chain of segments by name from `offset` (each segment
    /// is named by the end of the previous one) to the first missing name:
    /// the high watermark, without trusting a listing to be complete.
    pub(crate) async fn chain_end(&self, p: PartitionRef<'_>, mut offset: i64) -> Result<i64> {
        while let Some(end) = self.segment_end(p, offset).await? {
            offset = end;
        }
        Ok(offset)
    }

    /// `(low, high)` of one partition: the low watermark from the metadata,
    /// the high watermark from the last segment (one listing, then reads by
    /// name from the last listed segment on).
    pub(crate) async fn partition_watermarks(
        &self,
        topic: &str,
        meta: &TopicVersion,
        partition: i32,
    ) -> Result<(i64, i64)> {
        let p = PartitionRef::new(topic, meta, partition);
        let low = meta.state.low_watermark(partition);
        let start = match self.segments(p).await?.last() {
            Some(&last) => last,
            None => low,
        };
        let high = self.chain_end(p, start).await?;
        if low > high {
            return Err(Error::Corrupt {
                path: self.meta_display(topic, meta.number),
                position: 0,
                reason: format!(
                    "invalid topic metadata: field `low_watermarks.{partition}` is {low}, \
                     above the partition's high watermark {high}"
                ),
            });
        }
        Ok((low, high))
    }
}
