//! Copying a topic to a target topic on any storage: `cp` and the seed's
//! `_to` forms, all on one read-transform-write loop ([`TopicCopy`]).

use std::borrow::Cow;

use kafi_core::{ProduceRecord, RawMessage};
use kafi_serde::{Codec, Message};

use crate::error::as_function_error;
use crate::options::{ReadOptions, WriteOptions};
use crate::stream::{TopicReader, TopicWriter, WRITE_CHUNK};
use crate::{Error, FnError, Result, Shell};

/// What a transform did with a message.
pub(crate) enum Step {
    /// All outputs of the message are pushed.
    Done,
    /// Some outputs are pushed and more will come: write them, then call
    /// again with the same message. Only jq's streaming flatmap does this.
    #[cfg_attr(not(feature = "jq"), allow(dead_code))]
    More,
}

impl Shell {
    /// A copy of `topic` to `target_topic` of `target` (any storage, this
    /// one too), to configure with [`TopicCopy::read`] and
    /// [`TopicCopy::write`] and run with one of its methods: as it is
    /// ([`TopicCopy::run`], the seed's `cp`) or through a transform
    /// ([`TopicCopy::map_to`], [`TopicCopy::foldl_to`], ...).
    ///
    /// ```no_run
    /// # async fn demo(shell: &kafi_shell::Shell) -> kafi_shell::Result<()> {
    /// use kafi_shell::ReadOptions;
    /// let (total, read, written) = shell
    ///     .copy("orders", shell, "orders_running_total")
    ///     .read(&ReadOptions::new().group("totals"))
    ///     .foldl_to(0i64, |acc, m| Ok((acc + 1, vec![m])))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn copy<'a>(
        &'a self,
        topic: &'a str,
        target: &'a Shell,
        target_topic: &'a str,
    ) -> TopicCopy<'a> {
        TopicCopy {
            source: self,
            topic,
            target,
            target_topic,
            read: Cow::Owned(ReadOptions::default()),
            write: Cow::Owned(WriteOptions::default()),
        }
    }

    /// Copies a topic to `target` (any storage): `(read, written)`. With the
    /// same types on both sides the bytes are copied as they are; otherwise
    /// each message is decoded and re-encoded. Partitions and timestamps are
    /// kept; the target topic is created if missing (with the source's
    /// partition count, or `write.partitions`).
    pub async fn cp(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        read: &ReadOptions,
        write: &WriteOptions,
    ) -> Result<(u64, u64)> {
        self.copy(topic, target, target_topic)
            .read(read)
            .write(write)
            .run()
            .await
    }

    /// Copies with a map function (the seed's `map_to`): `(read, written)`.
    pub async fn map_to(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        read: &ReadOptions,
        write: &WriteOptions,
        f: impl FnMut(Message) -> Result<Message, FnError>,
    ) -> Result<(u64, u64)> {
        self.copy(topic, target, target_topic)
            .read(read)
            .write(write)
            .map_to(f)
            .await
    }

    /// Copies with a flat-map function (the seed's `flatmap_to`).
    pub async fn flatmap_to(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        read: &ReadOptions,
        write: &WriteOptions,
        f: impl FnMut(Message) -> Result<Vec<Message>, FnError>,
    ) -> Result<(u64, u64)> {
        self.copy(topic, target, target_topic)
            .read(read)
            .write(write)
            .flatmap_to(f)
            .await
    }

    /// Copies the messages for which `f` is true (the seed's `filter_to`).
    pub async fn filter_to(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        read: &ReadOptions,
        write: &WriteOptions,
        f: impl FnMut(&Message) -> Result<bool, FnError>,
    ) -> Result<(u64, u64)> {
        self.copy(topic, target, target_topic)
            .read(read)
            .write(write)
            .filter_to(f)
            .await
    }

    /// Copies with a function over raw messages that pushes the records to
    /// write (see [`TopicCopy::flatmap_raw_to`]).
    pub async fn flatmap_raw_to(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        read: &ReadOptions,
        write: &WriteOptions,
        f: impl FnMut(&Codec, &Codec, &RawMessage, &mut Vec<ProduceRecord>) -> Result<(), FnError>,
    ) -> Result<(u64, u64)> {
        self.copy(topic, target, target_topic)
            .read(read)
            .write(write)
            .flatmap_raw_to(f)
            .await
    }
}

/// A copy of one topic to another, made by [`Shell::copy`]: set the
/// options, then run it as it is or through a transform. Every form
/// returns `(read, written)` (the folds also their accumulator), keeps
/// partitions (when the target has them, unless
/// [`WriteOptions::keep_partitions`] says otherwise) and timestamps,
/// creates a missing target topic, and for a named group commits what was
/// written after each batch (at-least-once); a failure part-way is an
/// [`Error::Interrupted`] with the counts.
#[must_use = "a TopicCopy does nothing until one of its running methods is awaited"]
#[derive(Debug)]
pub struct TopicCopy<'a> {
    source: &'a Shell,
    topic: &'a str,
    target: &'a Shell,
    target_topic: &'a str,
    read: Cow<'a, ReadOptions>,
    write: Cow<'a, WriteOptions>,
}

impl<'a> TopicCopy<'a> {
    /// How to read the source (default: [`ReadOptions::default`]).
    pub fn read(mut self, options: &'a ReadOptions) -> Self {
        self.read = Cow::Borrowed(options);
        self
    }

    /// How to write the target (default: [`WriteOptions::default`]).
    pub fn write(mut self, options: &'a WriteOptions) -> Self {
        self.write = Cow::Borrowed(options);
        self
    }

    /// Copies the messages as they are (the seed's `cp`; see [`Shell::cp`]).
    pub async fn run(self) -> Result<(u64, u64)> {
        // Copy bytes as they are when nothing changes; a target schema (or
        // id) re-encodes even between equal types.
        let same_types = same_types(self.source, &self.read, self.target, &self.write);
        self.transfer("cp", |source, target, m, out| {
            out.push(if same_types {
                ProduceRecord::from_message(m)
            } else {
                target.encode(source.decode(m)?)?
            });
            Ok(Step::Done)
        })
        .await
    }

    /// Writes `f` of each message (the seed's `map_to`).
    #[doc(alias = "map")]
    pub async fn map_to(
        self,
        mut f: impl FnMut(Message) -> Result<Message, FnError>,
    ) -> Result<(u64, u64)> {
        self.transfer("map", |source, target, m, out| {
            out.push(target.encode(f(source.decode(m)?)?)?);
            Ok(Step::Done)
        })
        .await
    }

    /// Writes every message `f` returns for each message (the seed's
    /// `flatmap_to`).
    #[doc(alias = "flatmap")]
    pub async fn flatmap_to(
        self,
        mut f: impl FnMut(Message) -> Result<Vec<Message>, FnError>,
    ) -> Result<(u64, u64)> {
        self.transfer("flatmap", |source, target, m, out| {
            for message in f(source.decode(m)?)? {
                out.push(target.encode(message)?);
            }
            Ok(Step::Done)
        })
        .await
    }

    /// Writes the messages for which `f` is true (the seed's `filter_to`).
    #[doc(alias = "filter")]
    pub async fn filter_to(
        self,
        mut f: impl FnMut(&Message) -> Result<bool, FnError>,
    ) -> Result<(u64, u64)> {
        self.transfer("filter", |source, target, m, out| {
            let message = source.decode(m)?;
            if f(&message)? {
                out.push(target.encode(message)?);
            }
            Ok(Step::Done)
        })
        .await
    }

    /// Folds while writing (the seed's `foldl_to`): `f` returns the new
    /// accumulator and the messages to write. Returns `(acc, read,
    /// written)`.
    #[doc(alias = "foldl")]
    pub async fn foldl_to<A>(
        self,
        init: A,
        mut f: impl FnMut(A, Message) -> Result<(A, Vec<Message>), FnError>,
    ) -> Result<(A, u64, u64)> {
        let mut acc = Some(init);
        let (read, written) = self
            .transfer("foldl", |source, target, m, out| {
                let (next, messages) =
                    f(acc.take().expect("accumulator present"), source.decode(m)?)?;
                acc = Some(next);
                for message in messages {
                    out.push(target.encode(message)?);
                }
                Ok(Step::Done)
            })
            .await?;
        Ok((acc.expect("accumulator present"), read, written))
    }

    /// Copies with a function over raw messages that pushes the records to
    /// write: the fast path for transforms that build records themselves
    /// (such as jq expressions over the JSON form). `f` gets the source and
    /// target codecs.
    pub async fn flatmap_raw_to(
        self,
        mut f: impl FnMut(&Codec, &Codec, &RawMessage, &mut Vec<ProduceRecord>) -> Result<(), FnError>,
    ) -> Result<(u64, u64)> {
        self.transfer("flatmap", |source, target, m, out| {
            f(source, target, m, out).map(|()| Step::Done)
        })
        .await
    }

    /// The read-transform-write loop of every copy: `f` turns each message
    /// into records pushed onto the output, which are written at the end of
    /// each batch or every [`WRITE_CHUNK`] records; [`Step::More`] streams
    /// the outputs of one message in several calls.
    pub(crate) async fn transfer(
        self,
        operation: &'static str,
        mut f: impl FnMut(&Codec, &Codec, &RawMessage, &mut Vec<ProduceRecord>) -> Result<Step, FnError>,
    ) -> Result<(u64, u64)> {
        let (read, write) = (&*self.read, &*self.write);
        let partitions = match write.checked_partitions()? {
            Some(p) => p,
            None => self.source.partitions(self.topic).await?,
        };
        let mut reader = TopicReader::open(
            self.source.storage().as_ref(),
            &self.source.current(),
            self.topic,
            read,
            self.source.read_codec(read),
        )
        .await?;
        let mut writer = TopicWriter::open(
            self.target.storage().as_ref(),
            &self.target.current(),
            self.target_topic,
            self.target.write_codec(write),
            partitions,
            write.keep_partitions.unwrap_or(true),
        )
        .await?;
        writer.interrupt = reader.interrupt().cloned();
        let mut out = Vec::new();
        let result: Result<()> = async {
            while let Some(batch) = reader.next_batch().await? {
                for m in &batch {
                    reader.check_interrupt()?;
                    loop {
                        let before = out.len();
                        match f(&reader.codec, &writer.codec, m, &mut out) {
                            Ok(Step::Done) => break,
                            Ok(Step::More) => {
                                writer.write_all(&mut out).await?;
                                reader.check_interrupt()?;
                            }
                            Err(e) => {
                                // Outputs of the failed message not yet
                                // written are dropped.
                                out.truncate(before);
                                return Err(as_function_error(operation, m, e));
                            }
                        }
                    }
                    reader.done(m);
                    if out.len() >= WRITE_CHUNK {
                        writer.write_all(&mut out).await?;
                    }
                }
                writer.write_all(&mut out).await?;
                // Flush before committing (at-least-once); without commits the
                // producer keeps batching on its own.
                if reader.commits() {
                    writer.flush().await?;
                    reader.checkpoint().await?;
                }
            }
            Ok(())
        }
        .await;
        match result {
            Ok(()) => {
                let (consumed, produced) = (reader.consumed, writer.produced);
                writer.close().await?;
                reader.checkpoint().await?;
                reader.close().await?;
                Ok((consumed, produced))
            }
            Err(e) => {
                // Keep what was processed: write it out, then commit it.
                let written = writer.write_all(&mut out).await;
                if written.is_ok() && writer.flush().await.is_ok() {
                    let _ = reader.checkpoint().await;
                }
                Err(Error::Interrupted {
                    consumed: reader.consumed,
                    produced: writer.produced,
                    source: Box::new(e),
                })
            }
        }
    }

    /// The source storage's settings (for transforms that read them).
    #[cfg(feature = "jq")]
    pub(crate) fn source(&self) -> &Shell {
        self.source
    }
}

/// Whether reading with `read` and writing with `write` leave the bytes as
/// they are: the same key and value types and no target schema.
pub(crate) fn same_types(
    source: &Shell,
    read: &ReadOptions,
    target: &Shell,
    write: &WriteOptions,
) -> bool {
    read.resolved_types(&source.current()) == write.resolved_types(&target.current())
        && !write.has_schemas()
}
