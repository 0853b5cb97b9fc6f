//! Reading a topic: the seed's reading commands (`cat`, `head`, `tail`,
//! `grep`, `wc`) and functional forms (`foldl`, `flatmap`, `map`, `filter`,
//! `foreach`), all on one read loop.

use kafi_core::RawMessage;
use kafi_serde::{Codec, Message};

use crate::error::as_function_error;
use crate::options::{ReadOptions, WordCount};
use crate::stream::TopicReader;
use crate::{Error, FnError, Result, Shell};

impl Shell {
    /// The read loop of every reading command: `f` sees each raw message
    /// with the codec prepared to decode it; what was processed is
    /// committed at every batch end and at a failure (for a named group).
    /// Returns the messages read and the codec (every schema it resolved
    /// stays cached in it).
    pub(crate) async fn read_loop(
        &self,
        topic: &str,
        options: &ReadOptions,
        operation: &'static str,
        mut f: impl FnMut(&Codec, &RawMessage) -> Result<(), FnError>,
    ) -> Result<(u64, Codec)> {
        let codec = self.read_codec(options);
        let mut reader = TopicReader::open(
            self.storage().as_ref(),
            &self.current(),
            topic,
            options,
            codec,
        )
        .await?;
        let result: Result<()> = async {
            while let Some(batch) = reader.next_batch().await? {
                for m in &batch {
                    reader.check_interrupt()?;
                    f(&reader.codec, m).map_err(|e| as_function_error(operation, m, e))?;
                    reader.done(m);
                }
                reader.checkpoint().await?;
            }
            Ok(())
        }
        .await;
        let consumed = reader.consumed;
        match result {
            Ok(()) => {
                reader.checkpoint().await?;
                Ok((consumed, reader.close().await?))
            }
            Err(e) => {
                let _ = reader.checkpoint().await;
                if consumed == 0 && !matches!(e, Error::Stopped { .. }) {
                    return Err(e);
                }
                Err(Error::ReadInterrupted {
                    consumed,
                    source: Box::new(e),
                })
            }
        }
    }

    /// Calls `f` with every raw message, undecoded; returns how many were
    /// read.
    pub async fn foreach_raw(
        &self,
        topic: &str,
        options: &ReadOptions,
        mut f: impl FnMut(&RawMessage) -> Result<(), FnError>,
    ) -> Result<u64> {
        let (n, _) = self
            .read_loop(topic, options, "foreach", |_, m| f(m))
            .await?;
        Ok(n)
    }

    /// Calls `f` for every message; returns how many were read.
    pub async fn foreach(
        &self,
        topic: &str,
        options: &ReadOptions,
        mut f: impl FnMut(Message) -> Result<(), FnError>,
    ) -> Result<u64> {
        let (n, _) = self
            .read_loop(topic, options, "foreach", |codec, m| f(codec.decode(m)?))
            .await?;
        Ok(n)
    }

    /// Folds over the messages: `(acc, messages read)`.
    pub async fn foldl<A>(
        &self,
        topic: &str,
        options: &ReadOptions,
        init: A,
        mut f: impl FnMut(A, Message) -> Result<A, FnError>,
    ) -> Result<(A, u64)> {
        let mut acc = Some(init);
        let (n, _) = self
            .read_loop(topic, options, "foldl", |codec, m| {
                let message = codec.decode(m)?;
                acc = Some(f(acc.take().expect("accumulator present"), message)?);
                Ok(())
            })
            .await?;
        Ok((acc.expect("accumulator present"), n))
    }

    /// Flat-maps the messages into a list.
    pub async fn flatmap<T>(
        &self,
        topic: &str,
        options: &ReadOptions,
        mut f: impl FnMut(Message) -> Result<Vec<T>, FnError>,
    ) -> Result<Vec<T>> {
        let (out, _) = self
            .foldl(topic, options, Vec::new(), |mut acc, m| {
                acc.extend(f(m)?);
                Ok(acc)
            })
            .await?;
        Ok(out)
    }

    /// Maps the messages into a list.
    pub async fn map<T>(
        &self,
        topic: &str,
        options: &ReadOptions,
        mut f: impl FnMut(Message) -> Result<T, FnError>,
    ) -> Result<Vec<T>> {
        self.flatmap(topic, options, |m| Ok(vec![f(m)?])).await
    }

    /// The messages for which `f` is true.
    pub async fn filter(
        &self,
        topic: &str,
        options: &ReadOptions,
        mut f: impl FnMut(&Message) -> Result<bool, FnError>,
    ) -> Result<Vec<Message>> {
        self.flatmap(topic, options, |m| {
            Ok(if f(&m)? { vec![m] } else { Vec::new() })
        })
        .await
    }

    /// All messages (or `options.n`), decoded.
    pub async fn cat(&self, topic: &str, options: &ReadOptions) -> Result<Vec<Message>> {
        self.map(topic, options, Ok).await
    }

    /// [`Shell::cat`] streaming: calls `f` with the codec and each raw
    /// message instead of collecting decoded ones (the fast path for
    /// printing, e.g. with [`Codec::write_json_line`]); returns how many
    /// were read.
    pub async fn cat_with(
        &self,
        topic: &str,
        options: &ReadOptions,
        f: impl FnMut(&Codec, &RawMessage) -> Result<(), FnError>,
    ) -> Result<u64> {
        let (n, _) = self.read_loop(topic, options, "cat", f).await?;
        Ok(n)
    }

    /// The first `n` messages.
    pub async fn head(&self, topic: &str, n: u64, options: &ReadOptions) -> Result<Vec<Message>> {
        self.cat(topic, &options.clone().n(n)).await
    }

    /// The last `n` messages across partitions, oldest first (ordered by
    /// timestamp, then partition and offset).
    pub async fn tail(&self, topic: &str, n: u64, options: &ReadOptions) -> Result<Vec<Message>> {
        let mut out = Vec::new();
        self.tail_with(topic, n, options, |codec, m| {
            out.push(codec.decode(m)?);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// [`Shell::tail`] streaming: calls `f` with the codec and each of the
    /// last `n` raw messages, in order. Holds at most `n` messages per
    /// partition.
    pub async fn tail_with(
        &self,
        topic: &str,
        n: u64,
        options: &ReadOptions,
        mut f: impl FnMut(&Codec, &RawMessage) -> Result<(), FnError>,
    ) -> Result<u64> {
        let offsets = self
            .watermarks(topic)
            .await?
            .into_iter()
            .map(|(p, (low, high))| (p, high.saturating_sub(n as i64).max(low)))
            .collect();
        let mut read = options.clone();
        read.offsets = Some(offsets);
        read.n = None;
        let mut last = Vec::new();
        let (_, codec) = self
            .read_loop(topic, &read, "tail", |_, m| {
                last.push(m.clone());
                Ok(())
            })
            .await?;
        last.sort_by_key(|m| (m.timestamp.millis, m.partition, m.offset));
        let skip = last.len().saturating_sub(n as usize);
        for m in &last[skip..] {
            f(&codec, m).map_err(|e| as_function_error("tail", m, e))?;
        }
        Ok((last.len() - skip) as u64)
    }

    /// Counts messages, words and bytes of keys and values.
    pub async fn wc(&self, topic: &str, options: &ReadOptions) -> Result<WordCount> {
        let mut count = WordCount::default();
        self.foreach_raw(topic, options, |m| {
            count.messages += 1;
            for field in [&m.key, &m.value].into_iter().flatten() {
                count.bytes += field.len() as u64;
                count.words += count_words(field);
            }
            Ok(())
        })
        .await?;
        Ok(count)
    }

    /// The seed's `grep`: the messages whose key or value bytes match the
    /// regular expression `pattern`, `(matching messages, matching, read)`.
    pub async fn grep(
        &self,
        topic: &str,
        pattern: &str,
        options: &ReadOptions,
    ) -> Result<(Vec<Message>, u64, u64)> {
        let mut found = Vec::new();
        let (matching, read) = self
            .grep_with(topic, pattern, options, |codec, m| {
                found.push(codec.decode(m)?);
                Ok(())
            })
            .await?;
        Ok((found, matching, read))
    }

    /// [`Shell::grep`] streaming: calls `f` with the codec and each
    /// matching raw message; returns `(matching, read)`.
    pub async fn grep_with(
        &self,
        topic: &str,
        pattern: &str,
        options: &ReadOptions,
        mut f: impl FnMut(&Codec, &RawMessage) -> Result<(), FnError>,
    ) -> Result<(u64, u64)> {
        let regex = regex::bytes::Regex::new(pattern).map_err(|source| Error::Regex {
            pattern: pattern.to_owned(),
            source,
        })?;
        let mut matching = 0;
        let (read, _) = self
            .read_loop(topic, options, "grep", |codec, m| {
                let hit = m.key.as_ref().is_some_and(|k| regex.is_match(k))
                    || m.value.as_ref().is_some_and(|v| regex.is_match(v));
                if hit {
                    matching += 1;
                    f(codec, m)?;
                }
                Ok(())
            })
            .await?;
        Ok((matching, read))
    }
}

fn count_words(data: &[u8]) -> u64 {
    let mut words = 0;
    let mut in_word = false;
    for &b in data {
        let space = b.is_ascii_whitespace();
        if !space && !in_word {
            words += 1;
        }
        in_word = !space;
    }
    words
}
