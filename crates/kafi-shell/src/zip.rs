//! Walking two topics in lockstep: the seed's `zip_foldl` and
//! `zip_foldl_to` ([`TopicZip`]).

use std::borrow::Cow;

use kafi_core::ProduceRecord;
use kafi_serde::{Codec, Message};

use crate::error::as_function_error;
use crate::options::{ReadOptions, WriteOptions};
use crate::stream::{TopicReader, TopicWriter};
use crate::{Error, FnError, Result, Shell};

impl Shell {
    /// `topic` and `other_topic` of `other` (any storage, this one too),
    /// message by message until either ends: configure with
    /// [`TopicZip::read`], [`TopicZip::other_read`] and [`TopicZip::write`],
    /// then fold with [`TopicZip::zip_foldl`] or [`TopicZip::zip_foldl_to`].
    pub fn zip<'a>(
        &'a self,
        topic: &'a str,
        other: &'a Shell,
        other_topic: &'a str,
    ) -> TopicZip<'a> {
        TopicZip {
            left: self,
            topic,
            right: other,
            other_topic,
            read: Cow::Owned(ReadOptions::default()),
            other_read: None,
            write: Cow::Owned(WriteOptions::default()),
        }
    }

    /// Folds over two topics in lockstep, both read with `options` (the
    /// seed's `zip_foldl`): `(acc, read from topic, read from other_topic)`.
    /// [`Shell::zip`] reads each side with its own options.
    pub async fn zip_foldl<A>(
        &self,
        topic: &str,
        other: &Shell,
        other_topic: &str,
        options: &ReadOptions,
        init: A,
        f: impl FnMut(A, Message, Message) -> Result<A, FnError>,
    ) -> Result<(A, u64, u64)> {
        self.zip(topic, other, other_topic)
            .read(options)
            .zip_foldl(init, f)
            .await
    }
}

/// Two topics read in lockstep, made by [`Shell::zip`].
#[must_use = "a TopicZip does nothing until one of its folds is awaited"]
#[derive(Debug)]
pub struct TopicZip<'a> {
    left: &'a Shell,
    topic: &'a str,
    right: &'a Shell,
    other_topic: &'a str,
    read: Cow<'a, ReadOptions>,
    other_read: Option<Cow<'a, ReadOptions>>,
    write: Cow<'a, WriteOptions>,
}

impl<'a> TopicZip<'a> {
    /// How to read both topics (the other one unless
    /// [`TopicZip::other_read`] is set).
    pub fn read(mut self, options: &'a ReadOptions) -> Self {
        self.read = Cow::Borrowed(options);
        self
    }

    /// How to read the other topic.
    pub fn other_read(mut self, options: &'a ReadOptions) -> Self {
        self.other_read = Some(Cow::Borrowed(options));
        self
    }

    /// How [`TopicZip::zip_foldl_to`] writes its target.
    pub fn write(mut self, options: &'a WriteOptions) -> Self {
        self.write = Cow::Borrowed(options);
        self
    }

    /// Folds over pairs of messages (the seed's `zip_foldl`): `(acc, read
    /// from the topic, read from the other topic)`.
    pub async fn zip_foldl<A>(
        self,
        init: A,
        mut f: impl FnMut(A, Message, Message) -> Result<A, FnError>,
    ) -> Result<(A, u64, u64)> {
        let mut acc = Some(init);
        let (_, left, right) = self
            .run(None, |a, b, _, _| {
                acc = Some(f(acc.take().expect("accumulator present"), a, b)?);
                Ok(())
            })
            .await?;
        Ok((acc.expect("accumulator present"), left, right))
    }

    /// Folds over pairs of messages writing the messages `f` returns to
    /// `target_topic` of `target` (the seed's `zip_foldl_to`): `(acc, read
    /// from the topic, written)`. A missing target topic is created with
    /// the topic's partition count.
    pub async fn zip_foldl_to<A>(
        self,
        target: &Shell,
        target_topic: &str,
        init: A,
        mut f: impl FnMut(A, Message, Message) -> Result<(A, Vec<Message>), FnError>,
    ) -> Result<(A, u64, u64)> {
        let mut acc = Some(init);
        let (written, left, _) = self
            .run(Some((target, target_topic)), |a, b, codec, out| {
                let (next, messages) = f(acc.take().expect("accumulator present"), a, b)?;
                acc = Some(next);
                let codec = codec.expect("a target codec when writing");
                for m in messages {
                    out.push(codec.encode(m)?);
                }
                Ok(())
            })
            .await?;
        Ok((acc.expect("accumulator present"), left, written))
    }

    /// The lockstep loop of both folds; returns `(written, left, right)`.
    async fn run(
        self,
        target: Option<(&Shell, &str)>,
        mut f: impl FnMut(
            Message,
            Message,
            Option<&Codec>,
            &mut Vec<ProduceRecord>,
        ) -> Result<(), FnError>,
    ) -> Result<(u64, u64, u64)> {
        let other_read = self.other_read.as_deref().unwrap_or(&self.read);
        let mut left = TopicReader::open(
            self.left.storage().as_ref(),
            &self.left.current(),
            self.topic,
            &self.read,
            self.left.read_codec(&self.read),
        )
        .await?;
        let mut right = TopicReader::open(
            self.right.storage().as_ref(),
            &self.right.current(),
            self.other_topic,
            other_read,
            self.right.read_codec(other_read),
        )
        .await?;
        let mut writer = match target {
            Some((shell, name)) => {
                let partitions = self.left.partitions(self.topic).await?;
                let codec = shell.write_codec(&self.write);
                Some(
                    TopicWriter::open(
                        shell.storage().as_ref(),
                        &shell.current(),
                        name,
                        codec,
                        partitions,
                        true,
                    )
                    .await?,
                )
            }
            None => None,
        };
        if let Some(w) = writer.as_mut() {
            w.interrupt = left.interrupt().cloned();
        }
        let mut out = Vec::new();
        let result: Result<()> = async {
            loop {
                left.check_interrupt()?;
                let (Some(a), Some(b)) = (left.next_message().await?, right.next_message().await?)
                else {
                    break;
                };
                let (ma, mb) = (left.codec.decode(&a)?, right.codec.decode(&b)?);
                f(ma, mb, writer.as_ref().map(|w| &w.codec), &mut out)
                    .map_err(|e| as_function_error("zip_foldl", &a, e))?;
                if let Some(w) = writer.as_mut() {
                    for record in out.drain(..) {
                        w.write(record).await?;
                    }
                }
                left.done(&a);
                right.done(&b);
            }
            Ok(())
        }
        .await;
        let written = writer.as_ref().map_or(0, |w| w.produced);
        let counts = (written, left.consumed, right.consumed);
        if let Err(e) = result {
            return Err(Error::Interrupted {
                consumed: left.consumed,
                produced: written,
                source: Box::new(e),
            });
        }
        if let Some(w) = writer {
            w.close().await?;
        }
        left.checkpoint().await?;
        right.checkpoint().await?;
        left.close().await?;
        right.close().await?;
        Ok(counts)
    }
}
