//! The emulated consumer: reads segments in offset order, loading the next
//! segment by name (its name is the offset that follows), so reading costs
//! O(data read) after one listing at the start.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use kafi_config::AutoOffsetReset;
use kafi_core::storage::{ConsumerOptions, StartOffsets};
use kafi_core::topic::validate_topic_name;
use kafi_core::{RawConsumer, RawMessage, Result};

use crate::batch::SegmentReader;
use crate::storage::Inner;

struct PartitionCursor {
    partition: i32,
    /// Next offset to hand out.
    position: i64,
    reader: Option<(i64, SegmentReader)>,
}

pub(crate) struct FsConsumer {
    inner: Arc<Inner>,
    topic: Arc<str>,
    group: String,
    auto_commit: bool,
    cursors: Vec<PartitionCursor>,
    next_cursor: usize,
}

impl FsConsumer {
    pub(crate) async fn open(
        inner: Arc<Inner>,
        topic: &str,
        options: ConsumerOptions,
    ) -> Result<Self> {
        validate_topic_name(topic)?;
        let meta = inner.meta(topic).await?;
        let mut cursors = Vec::new();
        match &options.start {
            StartOffsets::Explicit(offsets) => {
                for (&partition, &offset) in offsets {
                    Inner::check_partition(topic, &meta, partition)?;
                    let (low, high) = inner.partition_watermarks(topic, partition).await?;
                    let position = if offset < 0 { high + offset } else { offset };
                    cursors.push(PartitionCursor {
                        partition,
                        position: position.clamp(low, high),
                        reader: None,
                    });
                }
            }
            StartOffsets::Committed => {
                let committed = inner.read_group_offsets(&options.group, topic).await?;
                for partition in 0..meta.partitions {
                    let (low, high) = inner.partition_watermarks(topic, partition).await?;
                    let position = match committed.get(&partition) {
                        Some(&offset) => offset.clamp(low, high),
                        None => match options.auto_offset_reset {
                            AutoOffsetReset::Earliest => low,
                            AutoOffsetReset::Latest => high,
                        },
                    };
                    cursors.push(PartitionCursor {
                        partition,
                        position,
                        reader: None,
                    });
                }
            }
        }
        Ok(Self {
            inner,
            topic: Arc::from(topic),
            group: options.group,
            auto_commit: options.enable_auto_commit,
            cursors,
            next_cursor: 0,
        })
    }

    /// Finds and opens the segment holding `cursor.position`; `false` at the end.
    async fn open_segment(
        inner: &Inner,
        topic: &Arc<str>,
        cursor: &mut PartitionCursor,
    ) -> Result<bool> {
        // Fast path: the segment starting exactly where we are.
        if let Some(data) = inner
            .read_segment(topic, cursor.partition, cursor.position)
            .await?
        {
            cursor.reader = Some((
                cursor.position,
                SegmentReader::new(data, topic.clone(), cursor.partition, cursor.position),
            ));
            return Ok(true);
        }
        // Otherwise list once: we start mid-segment, or records were deleted.
        let low = inner.low_watermark_file(topic, cursor.partition).await?;
        cursor.position = cursor.position.max(low);
        let segments = inner.segments(topic, cursor.partition).await?;
        let index = segments.partition_point(|&base| base <= cursor.position);
        let candidates = segments[index.saturating_sub(1)..].iter().take(2);
        for &base in candidates {
            let Some(end) = inner.segment_end(topic, cursor.partition, base).await? else {
                continue;
            };
            if end > cursor.position {
                let Some(data) = inner.read_segment(topic, cursor.partition, base).await? else {
                    continue;
                };
                cursor.position = cursor.position.max(base);
                cursor.reader = Some((
                    base,
                    SegmentReader::new(data, topic.clone(), cursor.partition, base),
                ));
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Appends up to `max` messages of one partition to `out`.
    async fn fill(&mut self, index: usize, out: &mut Vec<RawMessage>, max: usize) -> Result<()> {
        let cursor = &mut self.cursors[index];
        while out.len() < max {
            let Some((base, reader)) = cursor.reader.as_mut() else {
                if !Self::open_segment(&self.inner, &self.topic, cursor).await? {
                    return Ok(());
                }
                continue;
            };
            match reader.next() {
                Ok(Some(message)) => {
                    if message.offset >= cursor.position {
                        cursor.position = message.offset + 1;
                        out.push(message);
                    }
                }
                Ok(None) => cursor.reader = None,
                Err(e) => {
                    let base = *base;
                    cursor.reader = None;
                    return Err(self.inner.corrupt(&self.topic, cursor.partition, base, e));
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl RawConsumer for FsConsumer {
    async fn poll(&mut self, max: usize) -> Result<Vec<RawMessage>> {
        let max = max.max(1);
        let mut out = Vec::with_capacity(max.min(4096));
        let count = self.cursors.len();
        for step in 0..count {
            if out.len() >= max {
                break;
            }
            let index = (self.next_cursor + step) % count;
            if let Err(e) = self.fill(index, &mut out, max).await {
                // Hand out what was read; positions cover exactly these, and
                // the next poll meets the error again.
                if out.is_empty() {
                    return Err(e);
                }
                break;
            }
        }
        if count > 0 {
            self.next_cursor = (self.next_cursor + 1) % count;
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
        self.inner
            .write_group_offsets(&self.group, &self.topic, offsets)
            .await
    }

    fn positions(&self) -> BTreeMap<i32, i64> {
        self.cursors
            .iter()
            .map(|c| (c.partition, c.position))
            .collect()
    }

    fn group(&self) -> &str {
        &self.group
    }

    async fn close(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}
