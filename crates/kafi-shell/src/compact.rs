//! Compaction: the last message per key, as Kafka's log compaction keeps.

use std::collections::HashMap;

use bytes::Bytes;
use kafi_core::{ProduceRecord, RawMessage};
use kafi_serde::{Codec, Message};

use crate::copy::same_types;
use crate::error::as_function_error;
use crate::options::{ReadOptions, WriteOptions};
use crate::stream::TopicWriter;
use crate::{FnError, Result, Shell};

impl Shell {
    /// The last message per key, tombstones removing their key, ordered by
    /// partition and offset. Unkeyed messages are all kept.
    pub async fn compact(&self, topic: &str, options: &ReadOptions) -> Result<Vec<Message>> {
        let mut out = Vec::new();
        self.compact_with(topic, options, |codec, m| {
            out.push(codec.decode(m)?);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// [`Shell::compact`] streaming: calls `f` with the codec and each
    /// message kept, raw; returns how many were kept. Holds the last
    /// message of every key.
    pub async fn compact_with(
        &self,
        topic: &str,
        options: &ReadOptions,
        mut f: impl FnMut(&Codec, &RawMessage) -> Result<(), FnError>,
    ) -> Result<u64> {
        let (kept, codec) = self.compacted(topic, options).await?;
        for m in &kept {
            f(&codec, m).map_err(|e| as_function_error("compact", m, e))?;
        }
        Ok(kept.len() as u64)
    }

    /// Writes the compacted topic to `target_topic` of `target` (created
    /// with the topic's partition count if missing), as [`Shell::cp`]
    /// writes: the bytes as they are between the same types, else decoded
    /// and re-encoded. Returns `(kept, written)`.
    pub async fn compact_to(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        read: &ReadOptions,
        write: &WriteOptions,
    ) -> Result<(u64, u64)> {
        let partitions = match write.checked_partitions()? {
            Some(p) => p,
            None => self.partitions(topic).await?,
        };
        let (kept, codec) = self.compacted(topic, read).await?;
        let same_types = same_types(self, read, target, write);
        let mut writer = TopicWriter::open(
            target.storage().as_ref(),
            &target.current(),
            target_topic,
            target.write_codec(write),
            partitions,
            write.keep_partitions.unwrap_or(true),
        )
        .await?;
        for m in &kept {
            let record = if same_types {
                ProduceRecord::from_message(m)
            } else {
                writer.codec.encode(codec.decode(m)?)?
            };
            writer.write(record).await?;
        }
        let written = writer.produced;
        writer.close().await?;
        Ok((kept.len() as u64, written))
    }

    /// The messages compaction keeps, in order, and the codec prepared to
    /// decode them.
    async fn compacted(
        &self,
        topic: &str,
        options: &ReadOptions,
    ) -> Result<(Vec<RawMessage>, Codec)> {
        let mut latest: HashMap<Option<Bytes>, RawMessage> = HashMap::new();
        let mut unkeyed = Vec::new();
        let (_, codec) = self
            .read_loop(topic, options, "compact", |_, m| {
                match &m.key {
                    None => unkeyed.push(m.clone()),
                    Some(_) if m.value.is_none() => {
                        latest.remove(&m.key);
                    }
                    Some(_) => {
                        latest.insert(m.key.clone(), m.clone());
                    }
                }
                Ok(())
            })
            .await?;
        let mut kept: Vec<RawMessage> = latest.into_values().chain(unkeyed).collect();
        kept.sort_by_key(|m| (m.partition, m.offset));
        Ok((kept, codec))
    }
}
