//! Reading and writing in batches, with the seed's commit semantics.
//!
//! This layer stands on a [`Storage`] and a [`Codec`] only (not on
//! [`Shell`](crate::Shell)): every reading path of the crate opens its
//! consumer through [`read_plan`], which holds the one rule of how kafi
//! consumes, and every writing path creates a missing topic through
//! [`ensure_topic`].
//!
//! A [`TopicReader`] polls a consumer and remembers, per partition, the
//! offset after the last message the caller has finished with; a checkpoint
//! commits exactly that (for a named group with `commit.after.processing`),
//! so a failure part-way commits what was processed and nothing more.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use kafi_config::{AutoOffsetReset, KafiSettings};
use kafi_core::message::now_millis;
use kafi_core::storage::{ConsumerOptions, ProducerOptions, StartOffsets};
use kafi_core::{ProduceRecord, RawConsumer, RawMessage, RawProducer, Storage, TopicSpec};
use kafi_serde::Codec;

use crate::options::{ProgressFn, ReadOptions};
use crate::{Error, Interrupt, Result};

/// Records a transfer collects before handing them to the producer even in
/// the middle of a batch (a flatmap with many outputs per message).
pub(crate) const WRITE_CHUNK: usize = 4096;

/// How a reading path consumes a topic: the consumer's options and whether
/// the reader commits what it processed.
pub(crate) struct ReadPlan {
    pub(crate) consumer: ConsumerOptions,
    /// A named group was given.
    pub(crate) named: bool,
    /// Commit after processing: a named group, `commit.after.processing`
    /// and no `enable.auto.commit`.
    pub(crate) commit_after_processing: bool,
}

/// The one rule of how kafi reads (every reading path, the
/// [`Consumer`](crate::Consumer) objects included, opens its consumer with
/// this):
///
/// - With a named group (`options.group`, prefixed with
///   `consumer.group.prefix`), reading starts at `options.offsets` if
///   given, else at the group's committed offsets (`auto.offset.reset`
///   where it has none), and the group's offsets are committed: after
///   processing (`commit.after.processing`), or by the storage on every
///   poll (`enable.auto.commit`).
/// - Without a group, the partitions are assigned directly: those of
///   `options.offsets` from there, else every partition from the end
///   `auto.offset.reset` names. There is no group to join and nothing is
///   committed (the storage sees a throw-away group name,
///   `<prefix><milliseconds>`).
pub(crate) async fn read_plan(
    storage: &dyn Storage,
    topic: &str,
    settings: &KafiSettings,
    options: &ReadOptions,
) -> Result<ReadPlan> {
    let named = options.group.is_some();
    let group = format!(
        "{}{}",
        settings.consumer_group_prefix,
        options
            .group
            .clone()
            .unwrap_or_else(|| now_millis().to_string())
    );
    let start = match (&options.offsets, named) {
        (Some(offsets), _) => StartOffsets::Explicit(offsets.clone()),
        (None, true) => StartOffsets::Committed,
        (None, false) => StartOffsets::Explicit(
            storage
                .watermarks(topic)
                .await?
                .into_iter()
                .map(|(p, (low, high))| match settings.auto_offset_reset {
                    AutoOffsetReset::Earliest => (p, low),
                    AutoOffsetReset::Latest => (p, high),
                })
                .collect(),
        ),
    };
    Ok(ReadPlan {
        consumer: ConsumerOptions {
            group,
            start,
            auto_offset_reset: settings.auto_offset_reset,
            enable_auto_commit: named && settings.enable_auto_commit,
            consume_timeout: settings.consume_timeout,
            session_timeout_ms: settings.session_timeout_ms,
        },
        named,
        commit_after_processing: named
            && settings.commit_after_processing
            && !settings.enable_auto_commit,
    })
}

/// Creates `topic` with `partitions` partitions if it does not exist (a
/// concurrent creation is fine): the same rule on every storage, whatever
/// the broker's `auto.create.topics.enable`.
pub(crate) async fn ensure_topic(
    storage: &dyn Storage,
    topic: &str,
    partitions: i32,
) -> Result<()> {
    if storage.topic_exists(topic).await? {
        return Ok(());
    }
    let spec = TopicSpec {
        partitions,
        ..TopicSpec::default()
    };
    match storage.create_topic(topic, &spec).await {
        Ok(()) => {
            tracing::info!(topic, partitions, "created topic");
            Ok(())
        }
        Err(kafi_core::Error::TopicExists(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The producer options of a storage's settings.
pub(crate) fn producer_options(settings: &KafiSettings) -> ProducerOptions {
    ProducerOptions {
        batch_size: settings.produce_batch_size,
        flush_timeout: settings.flush_timeout,
    }
}

pub(crate) struct TopicReader {
    consumer: Box<dyn RawConsumer>,
    remaining: Option<u64>,
    batch_size: usize,
    commit: bool,
    processed: BTreeMap<i32, i64>,
    dirty: bool,
    pub(crate) consumed: u64,
    pending: VecDeque<RawMessage>,
    progress: Option<(ProgressFn, u64, Arc<str>)>,
    interrupt: Option<Interrupt>,
    /// Decodes the messages read; [`TopicReader::next_batch`] prepares it
    /// for each batch (schema ids resolved).
    pub(crate) codec: Codec,
}

impl TopicReader {
    /// Opens a reader of `topic` as [`read_plan`] says, decoding with `codec`.
    pub(crate) async fn open(
        storage: &dyn Storage,
        settings: &KafiSettings,
        topic: &str,
        options: &ReadOptions,
        codec: Codec,
    ) -> Result<Self> {
        let plan = read_plan(storage, topic, settings, options).await?;
        let consumer = storage.consumer(topic, plan.consumer).await?;
        let progress = options
            .progress
            .clone()
            .map(|p| (p, settings.progress_num_messages.max(1), Arc::from(topic)));
        if let Some(interrupt) = &options.interrupt {
            interrupt.set_consumed(0);
            interrupt.set_produced(0);
            interrupt.track();
        }
        Ok(Self {
            consumer,
            remaining: options.n,
            batch_size: options
                .batch_size
                .unwrap_or(settings.consume_batch_size)
                .max(1),
            commit: plan.commit_after_processing,
            processed: BTreeMap::new(),
            dirty: false,
            consumed: 0,
            pending: VecDeque::new(),
            progress,
            interrupt: options.interrupt.clone(),
            codec,
        })
    }

    /// The stop request this reader checks, if any.
    pub(crate) fn interrupt(&self) -> Option<&Interrupt> {
        self.interrupt.as_ref()
    }

    /// [`Error::Stopped`] once a stop was requested: call between messages;
    /// the caller then commits what was processed and stops.
    #[inline]
    pub(crate) fn check_interrupt(&self) -> Result<()> {
        match self.interrupt.as_ref().and_then(Interrupt::acknowledge) {
            Some(signal) => Err(Error::Stopped { signal }),
            None => Ok(()),
        }
    }

    /// The next batch, `None` when done (end of data or `n` reached).
    pub(crate) async fn next_batch(&mut self) -> Result<Option<Vec<RawMessage>>> {
        self.check_interrupt()?;
        let max = match self.remaining {
            Some(0) => return Ok(None),
            Some(r) => (r.min(self.batch_size as u64)) as usize,
            None => self.batch_size,
        };
        let batch = self.consumer.poll(max).await?;
        self.codec.prepare_decode(&batch).await?;
        if batch.is_empty() {
            return Ok(None);
        }
        if let Some(r) = &mut self.remaining {
            *r -= batch.len() as u64;
        }
        Ok(Some(batch))
    }

    /// The next single message (buffering a batch), `None` when done.
    pub(crate) async fn next_message(&mut self) -> Result<Option<RawMessage>> {
        if self.pending.is_empty() {
            match self.next_batch().await? {
                Some(batch) => self.pending.extend(batch),
                None => return Ok(None),
            }
        }
        Ok(self.pending.pop_front())
    }

    /// Marks a message as processed.
    #[inline]
    pub(crate) fn done(&mut self, message: &RawMessage) {
        self.consumed += 1;
        if let Some(interrupt) = &self.interrupt {
            interrupt.set_consumed(self.consumed);
        }
        if self.commit {
            self.processed.insert(message.partition, message.offset + 1);
            self.dirty = true;
        }
        if let Some((progress, every, topic)) = &self.progress {
            if self.consumed % *every == 0 {
                progress(topic, self.consumed);
            }
        }
    }

    /// Whether this reader commits offsets (a named group).
    pub(crate) fn commits(&self) -> bool {
        self.commit
    }

    /// Commits what was processed, if this reader commits.
    pub(crate) async fn checkpoint(&mut self) -> Result<()> {
        if self.dirty {
            self.consumer.commit(Some(&self.processed)).await?;
            self.dirty = false;
        }
        Ok(())
    }

    /// Closes the consumer; the codec (with every schema it resolved) stays.
    pub(crate) async fn close(self) -> Result<Codec> {
        self.consumer.close().await?;
        Ok(self.codec)
    }
}

/// Writes to a topic, keeping source partitions when the target has them.
pub(crate) struct TopicWriter {
    producer: Box<dyn RawProducer>,
    partitions: i32,
    keep_partitions: bool,
    pub(crate) produced: u64,
    /// Encodes the messages to write (schemas registered, ids resolved).
    pub(crate) codec: Codec,
    /// Where to report `produced`.
    pub(crate) interrupt: Option<Interrupt>,
}

impl TopicWriter {
    /// Opens a producer encoding with `codec`, creating the topic with
    /// `create_partitions` partitions if it is missing.
    pub(crate) async fn open(
        storage: &dyn Storage,
        settings: &KafiSettings,
        topic: &str,
        codec: Codec,
        create_partitions: i32,
        keep_partitions: bool,
    ) -> Result<Self> {
        codec.prepare_encode(topic).await?;
        ensure_topic(storage, topic, create_partitions).await?;
        let partitions = storage.partition_count(topic).await?;
        let producer = storage.producer(topic, producer_options(settings)).await?;
        Ok(Self {
            producer,
            partitions,
            keep_partitions,
            produced: 0,
            codec,
            interrupt: None,
        })
    }

    /// Drops a source partition the target cannot keep.
    #[inline]
    fn route(&self, record: &mut ProduceRecord) {
        if !self.keep_partitions || record.partition.is_some_and(|p| p >= self.partitions) {
            record.partition = None;
        }
    }

    pub(crate) async fn write(&mut self, mut record: ProduceRecord) -> Result<()> {
        self.route(&mut record);
        self.producer.send(record).await?;
        self.produced += 1;
        self.report();
        Ok(())
    }

    /// Writes and empties `records` in one call to the producer.
    pub(crate) async fn write_all(&mut self, records: &mut Vec<ProduceRecord>) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        for record in records.iter_mut() {
            self.route(record);
        }
        let count = records.len() as u64;
        let batch = std::mem::replace(records, Vec::with_capacity(count as usize));
        self.producer.send_all(batch).await?;
        self.produced += count;
        self.report();
        Ok(())
    }

    #[inline]
    fn report(&self) {
        if let Some(interrupt) = &self.interrupt {
            interrupt.set_produced(self.produced);
        }
    }

    pub(crate) async fn flush(&mut self) -> Result<()> {
        self.producer.flush().await?;
        Ok(())
    }

    pub(crate) async fn close(self) -> Result<()> {
        self.producer.close().await?;
        Ok(())
    }
}
