//! Comparing two topics: the seed's `diff`.

use std::collections::BTreeMap;

use kafi_core::RawMessage;
use kafi_serde::{Codec, Message};

use crate::error::as_function_error;
use crate::options::ReadOptions;
use crate::stream::TopicReader;
use crate::{FnError, Result, Shell};

/// One side of a difference: a raw message and the codec that decodes it
/// (prepared for it).
pub type DiffSide<'a> = Option<(&'a Codec, &'a RawMessage)>;

impl Shell {
    /// The seed's `diff`: the differing message pairs (see
    /// [`Shell::diff_with`]).
    pub async fn diff(
        &self,
        topic: &str,
        other: &Shell,
        other_topic: &str,
        options: &ReadOptions,
    ) -> Result<Vec<(Option<Message>, Option<Message>)>> {
        let mut out = Vec::new();
        self.diff_with(topic, other, other_topic, options, |a, b| {
            let decode = |side: DiffSide<'_>| side.map(|(codec, m)| codec.decode(m)).transpose();
            out.push((decode(a)?, decode(b)?));
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Compares `topic` with `other_topic` of `other` partition by
    /// partition (key, value, headers and timestamp; not offsets), from the
    /// start, both read with `options`' types. Calls `f` with each
    /// differing pair, each side with the codec that decodes it (`None`
    /// where one side has no more messages); returns the number of
    /// differences. Streams in bounded memory.
    pub async fn diff_with(
        &self,
        topic: &str,
        other: &Shell,
        other_topic: &str,
        options: &ReadOptions,
        mut f: impl FnMut(DiffSide<'_>, DiffSide<'_>) -> Result<(), FnError>,
    ) -> Result<u64> {
        let left_parts = self.partitions(topic).await?;
        let right_parts = other.partitions(other_topic).await?;
        let mut differences = 0;
        for partition in 0..left_parts.max(right_parts) {
            let mut start = options.clone();
            start.n = None;
            start.group = None;
            start.offsets = Some(BTreeMap::from([(partition, 0)]));
            let mut left = partition_reader(self, topic, &start, partition < left_parts).await?;
            let mut right =
                partition_reader(other, other_topic, &start, partition < right_parts).await?;
            loop {
                let a = match left.as_mut() {
                    Some(r) => r.next_message().await?,
                    None => None,
                };
                let b = match right.as_mut() {
                    Some(r) => r.next_message().await?,
                    None => None,
                };
                let (a, b) = match (a, b) {
                    (None, None) => break,
                    (Some(a), Some(b)) if same_message(&a, &b) => continue,
                    pair => pair,
                };
                differences += 1;
                let at = a.as_ref().or(b.as_ref()).expect("one side present");
                f(side(&left, &a), side(&right, &b))
                    .map_err(|e| as_function_error("diff", at, e))?;
            }
            if let Some(reader) = left {
                reader.close().await?;
            }
            if let Some(reader) = right {
                reader.close().await?;
            }
        }
        Ok(differences)
    }
}

/// A message with the codec of the reader it came from.
fn side<'a>(reader: &'a Option<TopicReader>, m: &'a Option<RawMessage>) -> DiffSide<'a> {
    reader.as_ref().zip(m.as_ref()).map(|(r, m)| (&r.codec, m))
}

/// A reader of the partition `options.offsets` names, if the topic has it.
async fn partition_reader(
    shell: &Shell,
    topic: &str,
    options: &ReadOptions,
    exists: bool,
) -> Result<Option<TopicReader>> {
    if !exists {
        return Ok(None);
    }
    let codec = shell.read_codec(options);
    let reader = TopicReader::open(
        shell.storage().as_ref(),
        &shell.current(),
        topic,
        options,
        codec,
    )
    .await?;
    Ok(Some(reader))
}

fn same_message(a: &RawMessage, b: &RawMessage) -> bool {
    a.key == b.key && a.value == b.value && a.headers == b.headers && a.timestamp == b.timestamp
}
