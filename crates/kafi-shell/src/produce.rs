//! Producing lines of text (`kafi produce`): each line a value, a
//! `KEY<sep>VALUE` pair or a message in the JSON-lines form.

use bytes::Bytes;
use kafi_core::{Headers, ProduceRecord, Timestamp};
use kafi_serde::{Codec, Data};

use crate::client::Producer;
use crate::options::WriteOptions;
use crate::stream::ensure_topic;
use crate::{Error, Result, Shell};

/// Records handed to the producer in one call.
const CHUNK: usize = 1024;

/// How lines become messages.
#[derive(Clone, Debug, Default)]
pub struct LineFormat {
    /// The key of every message (unless a line carries its own).
    pub key: Option<String>,
    /// Split each line at the first occurrence of this (non-empty) text
    /// into key and value; a line without it keeps [`LineFormat::key`].
    pub key_separator: Option<String>,
    /// Each line is a message in the JSON-lines form `kafi cat` prints (it
    /// carries its key, headers, partition and timestamp, and needs a
    /// `value` field, `null` for a tombstone). Excludes `key` and
    /// `key_separator`.
    pub envelope: bool,
    /// The partition of every message (default: the partitioner's choice,
    /// or an envelope's own).
    pub partition: Option<i32>,
    /// Headers of every message (not of envelope lines).
    pub headers: Headers,
    /// The create time in milliseconds of every message (default: now; not
    /// of envelope lines).
    pub timestamp: Option<i64>,
}

impl LineFormat {
    fn validate(&self) -> Result<()> {
        if self.key_separator.as_deref() == Some("") {
            return Err(Error::InvalidArgument(
                "the key separator must not be empty".into(),
            ));
        }
        if self.envelope && (self.key.is_some() || self.key_separator.is_some()) {
            return Err(Error::InvalidArgument(
                "envelope lines carry their keys: no key or key separator with them".into(),
            ));
        }
        Ok(())
    }
}

impl Shell {
    /// A producer of lines to `topic`, encoding with `write`. A missing
    /// topic is created with one partition first, on every storage (as a
    /// broker with `auto.create.topics.enable` does); `format` is checked
    /// before that.
    pub async fn line_producer(
        &self,
        topic: &str,
        format: &LineFormat,
        write: &WriteOptions,
    ) -> Result<LineProducer> {
        format.validate()?;
        ensure_topic(self.storage().as_ref(), topic, 1).await?;
        let producer = self.producer(topic, write).await?;
        let fixed_key = format
            .key
            .as_deref()
            .map(|k| producer.codec().encode_key(&Data::Str(k.to_owned())))
            .transpose()?;
        Ok(LineProducer {
            producer,
            format: format.clone(),
            fixed_key,
            pending: Vec::with_capacity(CHUNK),
            lines: 0,
            empty_lines: 0,
            made: 0,
        })
    }
}

/// Turns lines into messages and produces them in chunks (made by
/// [`Shell::line_producer`]). Nothing reaches the storage before
/// [`LineProducer::close`] or a full chunk, so an error in the first lines
/// writes nothing.
pub struct LineProducer {
    producer: Producer,
    format: LineFormat,
    fixed_key: Option<Bytes>,
    pending: Vec<ProduceRecord>,
    lines: u64,
    empty_lines: u64,
    made: u64,
}

impl std::fmt::Debug for LineProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineProducer")
            .field("format", &self.format)
            .field("lines", &self.lines)
            .field("made", &self.made)
            .finish_non_exhaustive()
    }
}

impl LineProducer {
    /// The next line of input, with or without its `\n` or `\r\n`. An empty
    /// line is no message (as kcat does) but counts for the line numbers: a
    /// line that is not a message is an [`Error::Line`] naming it.
    pub async fn push_line(&mut self, line: &[u8]) -> Result<()> {
        self.lines += 1;
        let text = trim_newline(line);
        if text.is_empty() {
            self.empty_lines += 1;
            return Ok(());
        }
        match self.record(text) {
            Ok(record) => self.stage(record),
            Err(e) => {
                return Err(Error::Line {
                    line: self.lines,
                    source: Box::new(e),
                })
            }
        }
        if self.pending.len() >= CHUNK {
            self.send_pending().await?;
        }
        Ok(())
    }

    /// One value given as it is (an empty one too): a message like a line.
    pub async fn push_value(&mut self, value: &[u8]) -> Result<()> {
        let record = self.record(value)?;
        self.stage(record);
        if self.pending.len() >= CHUNK {
            self.send_pending().await?;
        }
        Ok(())
    }

    /// Messages made so far (produced, or waiting for the next chunk).
    pub fn count(&self) -> u64 {
        self.made
    }

    /// The lines pushed so far, and how many of them were empty.
    pub fn lines(&self) -> (u64, u64) {
        (self.lines, self.empty_lines)
    }

    /// Produces what is pending, flushes and closes; returns how many
    /// messages were produced.
    pub async fn close(mut self) -> Result<u64> {
        let pending = std::mem::take(&mut self.pending);
        self.producer.produce_records(pending).await?;
        if self.empty_lines > 0 {
            tracing::info!(empty_lines = self.empty_lines, "skipped empty lines");
        }
        self.producer.close().await
    }

    #[inline]
    fn stage(&mut self, record: ProduceRecord) {
        self.pending.push(record);
        self.made += 1;
    }

    /// Hands the pending chunk to the producer.
    async fn send_pending(&mut self) -> Result<()> {
        let chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK));
        self.producer.produce_records(chunk).await
    }

    #[inline]
    fn record(&self, line: &[u8]) -> Result<ProduceRecord> {
        let codec: &Codec = self.producer.codec();
        let format = &self.format;
        if format.envelope {
            let mut record = codec.parse_envelope(line)?;
            if format.partition.is_some() {
                record.partition = format.partition;
            }
            return Ok(record);
        }
        let (key, value) = match format
            .key_separator
            .as_deref()
            .and_then(|sep| find(line, sep.as_bytes()).map(|at| (at, sep.len())))
        {
            Some((at, len)) => (
                Some(codec.encode_key(&Data::Bytes(Bytes::copy_from_slice(&line[..at])))?),
                &line[at + len..],
            ),
            None => (self.fixed_key.clone(), line),
        };
        Ok(ProduceRecord {
            key,
            value: Some(codec.encode_value(&Data::Bytes(Bytes::copy_from_slice(value)))?),
            headers: format.headers.clone(),
            partition: format.partition,
            timestamp: format.timestamp.map(Timestamp::create_time),
        })
    }
}

#[inline]
fn trim_newline(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_lose_their_line_ends_and_keys_split_at_the_first_separator() {
        assert_eq!(trim_newline(b"a\r\n"), b"a");
        assert_eq!(trim_newline(b"a\n"), b"a");
        assert_eq!(trim_newline(b"a"), b"a");
        assert_eq!(find(b"k::v", b"::"), Some(1));
        assert_eq!(find(b"k:v:w", b":"), Some(1));
        assert_eq!(find(b"kv", b":"), None);
    }

    #[test]
    fn formats_are_checked() {
        let empty = LineFormat {
            key_separator: Some(String::new()),
            ..LineFormat::default()
        };
        assert!(empty.validate().unwrap_err().to_string().contains("empty"));
        let both = LineFormat {
            envelope: true,
            key: Some("k".into()),
            ..LineFormat::default()
        };
        assert!(both
            .validate()
            .unwrap_err()
            .to_string()
            .contains("envelope"));
        assert!(LineFormat::default().validate().is_ok());
    }
}
