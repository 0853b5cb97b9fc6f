//! The emulated consumer: reads segments in offset order, loading the next
//! segment by name (its name is the offset that follows), so reading costs
//! O(data read) after one listing per partition at the start.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use kafi_config::AutoOffsetReset;
use kafi_core::storage::{ConsumerOptions, StartOffsets};
use kafi_core::topic::validate_topic_name;
use kafi_core::{Error, RawConsumer, RawMessage, Result};

use crate::batch::SegmentReader;
use crate::groups::GroupVersion;
use crate::meta::TopicVersion;
use crate::random::Backoff;
use crate::segments::PartitionRef;
use crate::storage::Inner;

/// How often a consumer at the end of a partition checks, with a listing,
/// that no data appeared behind a missing segment.
const END_RECHECK: Duration = Duration::from_secs(1);

/// How long a missing segment is looked for again before it is reported
/// (a listing can show a segment before the one preceding it, for a
/// moment).
const GAP_PATIENCE: Duration = Duration::from_millis(500);

struct PartitionCursor {
    partition: i32,
    /// Next offset to hand out.
    position: i64,
    /// The open segment: its base offset, a reader, and the position when
    /// it was opened.
    reader: Option<(i64, SegmentReader, i64)>,
    /// The high watermark last computed: a missing segment below it is a
    /// gap, at or above it the end of the data.
    known_high: i64,
    known_high_at: Instant,
}

pub(crate) struct FsConsumer {
    inner: Arc<Inner>,
    topic: Arc<str>,
    meta: TopicVersion,
    group: String,
    /// The newest committed-offsets version seen, to commit on from.
    group_version: Option<GroupVersion>,
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
        let meta = inner.topic(topic).await?;
        let mut cursors = Vec::new();
        let mut group_version = None;
        let cursor = |partition, position: i64, high| PartitionCursor {
            partition,
            position,
            reader: None,
            known_high: high,
            known_high_at: Instant::now(),
        };
        match &options.start {
            StartOffsets::Explicit(offsets) => {
                for (&partition, &offset) in offsets {
                    Inner::check_partition(topic, &meta.state, partition)?;
                    let (low, high) = inner.partition_watermarks(topic, &meta, partition).await?;
                    let position = if offset < 0 { high + offset } else { offset };
                    cursors.push(cursor(partition, position.clamp(low, high), high));
                }
            }
            StartOffsets::Committed => {
                let (version, committed) = inner
                    .group_offsets(&options.group, topic, &meta.state.incarnation)
                    .await?;
                group_version = version;
                for partition in 0..meta.state.partitions {
                    let (low, high) = inner.partition_watermarks(topic, &meta, partition).await?;
                    let position = match committed.get(&partition) {
                        Some(&offset) => offset.clamp(low, high),
                        None => match options.auto_offset_reset {
                            AutoOffsetReset::Earliest => low,
                            AutoOffsetReset::Latest => high,
                        },
                    };
                    cursors.push(cursor(partition, position, high));
                }
            }
        }
        Ok(Self {
            inner,
            topic: Arc::from(topic),
            meta,
            group: options.group,
            group_version,
            auto_commit: options.enable_auto_commit,
            cursors,
            next_cursor: 0,
        })
    }

    /// Finds and opens the segment holding `cursor.position`; `false` at
    /// the end of the data.
    ///
    /// The position only moves forward over missing offsets below the low
    /// watermark (records deleted on purpose). Any other missing segment is
    /// looked for again (a listing may show later segments but not one
    /// being created) and then reported, never skipped.
    async fn open_segment(
        inner: &Inner,
        topic: &Arc<str>,
        meta: &mut TopicVersion,
        cursor: &mut PartitionCursor,
    ) -> Result<bool> {
        let mut backoff = Backoff::new(Duration::from_millis(5), Duration::from_millis(100));
        let mut gap_since: Option<Instant> = None;
        loop {
            let p = PartitionRef::new(topic, meta, cursor.partition);
            // Fast path: the segment named by the position, which is where
            // the previous segment ended. Sequential reading needs nothing else.
            if let Some(data) = inner.read_segment(p, cursor.position).await? {
                let reader =
                    SegmentReader::new(data, topic.clone(), cursor.partition, cursor.position);
                cursor.reader = Some((cursor.position, reader, cursor.position));
                return Ok(true);
            }
            // Segments are created in offset order, so at the end of the data
            // a missing name means "nothing more yet".
            if cursor.position >= cursor.known_high && cursor.known_high_at.elapsed() < END_RECHECK
            {
                return Ok(false);
            }
            // Slow path: starting mid-segment, below deleted records, or a gap.
            *meta = inner.refresh_topic(topic, meta).await?.ok_or_else(|| {
                Error::backend(
                    "cannot read",
                    format!("topic {topic:?}"),
                    "the topic was deleted while it was being read",
                )
            })?;
            let p = PartitionRef::new(topic, meta, cursor.partition);
            let low = meta.state.low_watermark(cursor.partition);
            if cursor.position < low {
                cursor.position = low;
                continue;
            }
            let segments = inner.segments(p).await?;
            let index = segments.partition_point(|&base| base <= cursor.position);
            let mut previous_end = None;
            if index > 0 {
                let base = segments[index - 1];
                if let Some(data) = inner.read_segment(p, base).await? {
                    let end = SegmentReader::end_offset(&data, base)
                        .map_err(|e| inner.corrupt(p, base, e))?
                        .unwrap_or(base);
                    if end > cursor.position {
                        let reader =
                            SegmentReader::new(data, topic.clone(), cursor.partition, base);
                        cursor.reader = Some((base, reader, cursor.position));
                        return Ok(true);
                    }
                    previous_end = Some(end);
                }
            }
            let start = segments.last().copied().unwrap_or(low);
            cursor.known_high = inner.chain_end(p, start).await?;
            cursor.known_high_at = Instant::now();
            let next = segments.get(index).copied();
            if next.is_none() && cursor.position >= cursor.known_high {
                return Ok(false);
            }
            let since = *gap_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= GAP_PATIENCE {
                let to = next.unwrap_or(cursor.known_high);
                let reason = if previous_end.is_none_or(|end| end == cursor.position) {
                    format!(
                        "segment {} not found",
                        inner.store.display(&p.segment(cursor.position))
                    )
                } else {
                    format!("no segment holds offset {}", cursor.position)
                };
                return Err(Error::backend(
                    "missing",
                    format!(
                        "offsets {}..{to} of topic {topic:?} partition {}",
                        cursor.position, cursor.partition
                    ),
                    format!("{reason} (the low watermark is {low})"),
                ));
            }
            tracing::debug!(
                topic = &**topic,
                partition = cursor.partition,
                position = cursor.position,
                "segment not found below the high watermark; looking again"
            );
            backoff.wait().await;
        }
    }

    /// Appends up to `max` messages of one partition to `out`.
    async fn fill(&mut self, index: usize, out: &mut Vec<RawMessage>, max: usize) -> Result<()> {
        let cursor = &mut self.cursors[index];
        while out.len() < max {
            let Some((base, reader, opened_at)) = cursor.reader.as_mut() else {
                if !Self::open_segment(&self.inner, &self.topic, &mut self.meta, cursor).await? {
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
                Ok(None) if cursor.position == *opened_at => {
                    // Nothing at or after the position: reading it again
                    // would find the same segment forever.
                    let (base, opened_at) = (*base, *opened_at);
                    cursor.reader = None;
                    let p = PartitionRef::new(&self.topic, &self.meta, cursor.partition);
                    return Err(Error::Corrupt {
                        path: self.inner.store.display(&p.segment(base)),
                        position: 0,
                        reason: format!(
                            "the segment holds no record at or after offset {opened_at}"
                        ),
                    });
                }
                Ok(None) => cursor.reader = None,
                Err(e) => {
                    let base = *base;
                    cursor.reader = None;
                    let p = PartitionRef::new(&self.topic, &self.meta, cursor.partition);
                    return Err(self.inner.corrupt(p, base, e));
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
        let version = self
            .inner
            .commit_group(
                &self.group,
                &self.topic,
                &self.meta.state.incarnation,
                offsets,
                self.group_version.as_ref(),
            )
            .await?;
        if version.is_some() {
            self.group_version = version;
        }
        Ok(())
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
