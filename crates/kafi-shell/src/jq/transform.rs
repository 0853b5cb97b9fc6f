//! A jq expression as a map or flatmap between topics, streaming its
//! outputs to the producer.

use jaq_json::Val;
use kafi_core::{ProduceRecord, RawMessage};
use kafi_serde::Codec;

use super::direct::Direct;
use super::{abbreviated, value, Jq};
use crate::copy::{Step, TopicCopy};
use crate::stream::WRITE_CHUNK;
use crate::{FnError, Result};

/// How a jq expression's outputs become messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JqMode {
    /// Exactly one output per message (`cp --map`).
    Map,
    /// Zero or more outputs per message, at most `jq.max.outputs`
    /// (`cp --flatmap`).
    Flatmap,
}

impl JqMode {
    fn operation(self) -> &'static str {
        match self {
            JqMode::Map => "map",
            JqMode::Flatmap => "flatmap",
        }
    }
}

impl TopicCopy<'_> {
    /// Copies through a jq expression (`cp --map` / `cp --flatmap`):
    /// `(read, written)`.
    ///
    /// The expression sees each message's JSON form; each output is a
    /// message object written to the target (a missing partition or
    /// timestamp is the source message's). A map must give exactly one
    /// output per message; a flatmap's outputs are streamed to the producer
    /// as they come, at most `jq.max.outputs` (of the source storage's
    /// settings) per message. A failure names the message; see the
    /// [limits](crate::jq#limits).
    pub async fn jq_to(self, jq: &Jq, mode: JqMode) -> Result<(u64, u64)> {
        let max_outputs = self.source().settings().get().jq_max_outputs;
        let mut run = JqRun::new(jq, mode, max_outputs, WRITE_CHUNK);
        self.transfer(mode.operation(), |source, target, m, out| {
            run.step(source, target, m, out)
        })
        .await
    }
}

type Outputs<'a> = Box<dyn Iterator<Item = Result<Val, FnError>> + 'a>;

/// Runs an expression message by message; a flatmap with many outputs is
/// suspended every `chunk` outputs so that they can be written.
pub(crate) struct JqRun<'a> {
    jq: &'a Jq,
    mode: JqMode,
    max_outputs: u64,
    chunk: usize,
    direct: Direct,
    text: Vec<u8>,
    /// The outputs still to come of a suspended message, and how many came.
    pending: Option<(Outputs<'a>, u64)>,
}

impl<'a> JqRun<'a> {
    pub(crate) fn new(jq: &'a Jq, mode: JqMode, max_outputs: u64, chunk: usize) -> Self {
        Self {
            jq,
            mode,
            max_outputs: max_outputs.max(1),
            chunk: chunk.max(1),
            direct: Direct::new(),
            text: Vec::with_capacity(256),
            pending: None,
        }
    }

    /// Pushes the records of message `m` onto `out`; [`Step::More`] when a
    /// flatmap stopped after a chunk (call again with the same message once
    /// `out` is written).
    pub(crate) fn step(
        &mut self,
        source: &Codec,
        target: &Codec,
        m: &RawMessage,
        out: &mut Vec<ProduceRecord>,
    ) -> Result<Step, FnError> {
        if let Some((mut outputs, mut count)) = self.pending.take() {
            let more = self.flatmap(&mut outputs, &mut count, target, m, out)?;
            if more {
                self.pending = Some((outputs, count));
                return Ok(Step::More);
            }
            return Ok(Step::Done);
        }
        let jq = self.jq;
        let mut outputs = jq.outputs(source, m, &mut self.direct)?;
        match self.mode {
            JqMode::Map => {
                let first = outputs.next().ok_or_else(|| {
                    self.misuse(
                        "gave no result; a map gives exactly one result per message \
                                 (use --flatmap to drop messages)",
                    )
                })??;
                if let Some(second) = outputs.next() {
                    second?;
                    return Err(self.misuse(
                        "gave a second result; a map gives exactly one result per message \
                         (use --flatmap for several)",
                    ));
                }
                out.push(self.record(target, m, &first)?);
                Ok(Step::Done)
            }
            JqMode::Flatmap => {
                let mut count = 0;
                if self.flatmap(&mut outputs, &mut count, target, m, out)? {
                    // Rare: only a message with more than a chunk of outputs
                    // keeps its iterator, boxed.
                    self.pending = Some((Box::new(outputs), count));
                    return Ok(Step::More);
                }
                Ok(Step::Done)
            }
        }
    }

    /// Pulls outputs until they end (false) or a chunk is full (true).
    fn flatmap(
        &mut self,
        outputs: &mut impl Iterator<Item = Result<Val, FnError>>,
        count: &mut u64,
        target: &Codec,
        m: &RawMessage,
        out: &mut Vec<ProduceRecord>,
    ) -> Result<bool, FnError> {
        let start = out.len();
        loop {
            if out.len() - start >= self.chunk {
                return Ok(true);
            }
            let Some(output) = outputs.next() else {
                return Ok(false);
            };
            let output = output?;
            *count += 1;
            if *count > self.max_outputs {
                return Err(self.misuse(&format!(
                    "gave more than {} results for one message (the limit jq.max.outputs, \
                     or --max-outputs)",
                    self.max_outputs
                )));
            }
            out.push(self.record(target, m, &output)?);
        }
    }

    fn record(
        &mut self,
        target: &Codec,
        m: &RawMessage,
        output: &Val,
    ) -> Result<ProduceRecord, FnError> {
        if !matches!(output, Val::Obj(_)) {
            return Err(format!("a transform must return a message object, got {output}").into());
        }
        let mut record = match self.direct.record(target, output) {
            Some(record) => record,
            None => self.parsed_record(target, output)?,
        };
        record.partition = record.partition.or(Some(m.partition));
        record.timestamp = record.timestamp.or(Some(m.timestamp));
        Ok(record)
    }

    /// The record of an output through its JSON text and the envelope
    /// parser, which words every error.
    fn parsed_record(&mut self, target: &Codec, output: &Val) -> Result<ProduceRecord, FnError> {
        self.text.clear();
        value::write_val(&mut self.text, output).map_err(|_| {
            self.misuse(&format!(
                "gave a message nesting arrays and objects deeper than {} (kafi's nesting \
                 limit for JSON values)",
                kafi_serde::MAX_JSON_NESTING
            ))
        })?;
        Ok(target.parse_envelope(&self.text)?)
    }

    fn misuse(&self, what: &str) -> FnError {
        let flag = match self.mode {
            JqMode::Map => "--map",
            JqMode::Flatmap => "--flatmap",
        };
        format!(
            "the {flag} expression {:?} {what}",
            abbreviated(&self.jq.expression)
        )
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use kafi_core::Timestamp;
    use kafi_serde::{KeyValueTypes, SerdeType};

    fn message() -> RawMessage {
        RawMessage {
            topic: "t".into(),
            headers: Vec::new(),
            partition: 0,
            offset: 4,
            timestamp: Timestamp::create_time(1),
            key: Some(Bytes::from_static(b"k")),
            value: Some(Bytes::from_static(br#"{"n":3}"#)),
        }
    }

    fn run(
        expression: &str,
        mode: JqMode,
        max: u64,
        chunk: usize,
    ) -> (Vec<usize>, Result<(), String>) {
        let jq = Jq::new(expression).unwrap();
        let codec = Codec::new(KeyValueTypes::new(SerdeType::Str, SerdeType::Json));
        let mut run = JqRun::new(&jq, mode, max, chunk);
        let mut chunks = Vec::new();
        let m = message();
        loop {
            let mut out = Vec::new();
            let step = run.step(&codec, &codec, &m, &mut out);
            chunks.push(out.len());
            match step {
                Ok(Step::More) => continue,
                Ok(Step::Done) => return (chunks, Ok(())),
                Err(e) => return (chunks, Err(e.to_string())),
            }
        }
    }

    #[test]
    fn a_map_gives_exactly_one_result() {
        assert_eq!(
            run(".value.n += 1", JqMode::Map, 10, 100),
            (vec![1], Ok(()))
        );
        let (_, err) = run("repeat(.)", JqMode::Map, 10, 100);
        let err = err.unwrap_err();
        assert!(err.contains("\"repeat(.)\" gave a second result"), "{err}");
        let err = run("empty", JqMode::Map, 10, 100).1.unwrap_err();
        assert!(err.contains("gave no result"), "{err}");
        let err = run(".value.n | error", JqMode::Map, 10, 100).1.unwrap_err();
        assert!(err.contains('3'), "{err}");
    }

    #[test]
    fn a_flatmap_streams_in_chunks_up_to_its_limit() {
        let (chunks, result) = run(
            "range(.value.n * 3) as $i | .value.i = $i",
            JqMode::Flatmap,
            10,
            4,
        );
        assert_eq!((chunks, result), (vec![4, 4, 1], Ok(())));
        let (chunks, result) = run("repeat(.)", JqMode::Flatmap, 10, 4);
        assert_eq!(chunks, vec![4, 4, 2]);
        let err = result.unwrap_err();
        assert!(
            err.contains("more than 10 results") && err.contains("jq.max.outputs"),
            "{err}"
        );
        assert_eq!(run("empty", JqMode::Flatmap, 10, 4), (vec![0], Ok(())));
    }

    #[test]
    fn outputs_must_be_messages_within_the_nesting_limit() {
        let err = run("1", JqMode::Flatmap, 10, 4).1.unwrap_err();
        assert!(err.contains("message object"), "{err}");
        let err = run(
            ".value = (reduce range(200) as $i (0; [.]))",
            JqMode::Map,
            10,
            4,
        )
        .1
        .unwrap_err();
        assert!(err.contains("deeper than 127"), "{err}");
    }
}
