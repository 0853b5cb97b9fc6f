//! jq expressions (on jaq) as message transforms: an expression runs on a
//! message's JSON form (`{"topic", "headers", "partition", "offset",
//! "timestamp", "key", "value"}`) and its outputs are the messages to write
//! ([`TopicCopy::jq_to`](crate::TopicCopy::jq_to), `kafi cp --map/--flatmap`) or
//! decide whether a message is kept ([`Jq::test`], `kafi filter`).
//!
//! # Limits
//!
//! jq programs can run away, and jaq has no limits of its own, so kafi sets
//! these:
//!
//! - An expression is at most [`MAX_EXPRESSION_BYTES`] (32 KiB) long and
//!   nests parentheses, brackets, braces and strings at most
//!   [`MAX_EXPRESSION_NESTING`] (256) deep; it is checked before jaq parses
//!   it. Parse errors give the line, column and what was expected.
//! - Inputs and outputs are JSON values within kafi's nesting limit
//!   ([`kafi_serde::MAX_JSON_NESTING`], 127 nested arrays and objects).
//! - A map ([`JqMode::Map`]) gives exactly one output per message: no
//!   output, or a second one, is an error naming the message (the second
//!   is not waited for beyond being produced).
//! - A flatmap ([`JqMode::Flatmap`]) streams its outputs to the producer in
//!   chunks as jq produces them, at most `jq.max.outputs` (default 10000)
//!   per message; more is an error naming the message. Outputs streamed
//!   before a failure stay written; the failing message is not committed.
//! - Evaluation itself (recursion, e.g. `def f: 1 + f; f`) is bounded only
//!   by the stack of the thread running it: jaq needs roughly 2–30 KiB of
//!   stack per level. Run untrusted expressions on a thread with a large
//!   stack; the `kafi` command uses 256 MiB and turns an overflow into an
//!   error. A program that loops without end (`def f: f; f`,
//!   `[range(1e9)]`) is stopped by an [`Interrupt`](crate::Interrupt) only
//!   between messages, so the `kafi` command also exits on SIGINT/SIGTERM
//!   when the work does not come back.

mod direct;
mod source;
mod transform;
mod value;

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Native, RcIter, ValR};
use jaq_json::Val;
use kafi_core::{ProduceRecord, RawMessage};
use kafi_serde::Codec;

use crate::{Error, FnError, Result};

pub use source::{MAX_EXPRESSION_BYTES, MAX_EXPRESSION_NESTING};
pub use transform::JqMode;

/// kafi's own jq functions:
///
/// - `tobytes`: the bytes form of a value (`--type bytes`: a string, or
///   `{"base64": "..."}` for bytes that are not UTF-8) as an array of byte
///   numbers, e.g. the seed's missing-magic-byte check
///   `kafi filter STORAGE TOPIC --type bytes '(.value | tobytes)[0] != 0'`.
fn kafi_funs() -> impl Iterator<Item = jaq_std::Filter<Native<Val>>> {
    let tobytes: jaq_std::Filter<jaq_core::RunPtr<Val>> = ("tobytes", jaq_std::v(0), |_, cv| {
        let bytes = bytes_of(&cv.1).map(|b| b.into_iter().map(|x| Val::Int(x as isize)).collect());
        Box::new(std::iter::once(bytes.map_err(|e| {
            jaq_core::Exn::from(jaq_core::Error::str(format!("tobytes: {e}")))
        })))
    });
    [jaq_std::run(tobytes)].into_iter()
}

/// The bytes of a bytes-form value.
fn bytes_of(v: &Val) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    match v {
        Val::Str(s) => Ok(s.as_bytes().to_vec()),
        Val::Obj(o) if o.len() == 1 => match o.get(&std::rc::Rc::new("base64".to_owned())) {
            Some(Val::Str(b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64.as_bytes())
                .map_err(|e| format!("invalid base64: {e}")),
            _ => Err("expected a string or {\"base64\": \"...\"}".into()),
        },
        Val::Null => Ok(Vec::new()),
        other => Err(format!(
            "expected a string or {{\"base64\": \"...\"}}, got {other}"
        )),
    }
}

/// A compiled jq expression.
pub struct Jq {
    filter: jaq_core::Filter<Native<Val>>,
    /// The (empty) `input`s of every run; kept here so that a run borrows
    /// only the expression.
    inputs: RcIter<core::iter::Empty<Result<Val, String>>>,
    expression: String,
}

impl std::fmt::Debug for Jq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Jq").field(&self.expression).finish()
    }
}

impl Jq {
    /// Compiles `expression` with jq's standard library.
    ///
    /// An expression that is too long or too deeply nested (see the
    /// [limits](self#limits)), does not parse (the error gives line, column
    /// and what was expected and found) or calls an undefined function is
    /// an [`Error::Jq`].
    pub fn new(expression: &str) -> Result<Self> {
        let invalid = |reason: String| Error::Jq {
            expression: abbreviated(expression),
            reason,
        };
        source::check(expression).map_err(invalid)?;
        let loader = Loader::new(jaq_std::defs().chain(jaq_json::defs()));
        let arena = Arena::default();
        let modules = loader
            .load(
                &arena,
                File {
                    code: expression,
                    path: (),
                },
            )
            .map_err(|errors| {
                let reasons: Vec<String> = errors
                    .iter()
                    .map(|(_, e)| source::describe_load_error(expression, e))
                    .collect();
                invalid(format!("cannot parse: {}", reasons.join("; ")))
            })?;
        let filter = Compiler::default()
            .with_funs(jaq_std::funs().chain(jaq_json::funs()).chain(kafi_funs()))
            .compile(modules)
            .map_err(|errors| {
                let names: Vec<String> = errors
                    .into_iter()
                    .flat_map(|(_, errs)| errs)
                    .map(|(name, undefined)| {
                        let what = match undefined {
                            jaq_core::compile::Undefined::Filter(arity) => {
                                format!("function {name}/{arity}")
                            }
                            other => format!("{} {name}", other.as_str()),
                        };
                        match source::offset_in(expression, name) {
                            Some(at) => {
                                let (line, column) = source::position(expression, at);
                                format!("{what} at line {line}, column {column}")
                            }
                            None => what,
                        }
                    })
                    .collect();
                invalid(format!("undefined {}", names.join(", ")))
            })?;
        Ok(Self {
            filter,
            inputs: RcIter::new(core::iter::empty()),
            expression: expression.to_owned(),
        })
    }

    /// The expression's text.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// Runs the expression on a raw message's JSON form and appends each
    /// output message to `out` as a record for `target`. With `exactly_one`
    /// (a map), any other number of outputs is an error; otherwise (a
    /// flatmap) more than the default `jq.max.outputs` is one.
    ///
    /// The message is printed in its JSON-lines form and parsed straight
    /// into jq values, and outputs are printed and read back as envelopes:
    /// no intermediate JSON trees, and byte-exact for values jq leaves alone.
    /// [`TopicCopy::jq_to`](crate::TopicCopy::jq_to) does the same while
    /// streaming.
    pub fn transform(
        &self,
        source: &Codec,
        target: &Codec,
        m: &RawMessage,
        exactly_one: bool,
        out: &mut Vec<ProduceRecord>,
    ) -> Result<(), FnError> {
        let mode = if exactly_one {
            JqMode::Map
        } else {
            JqMode::Flatmap
        };
        let max = kafi_config::KafiSettings::default().jq_max_outputs;
        transform::JqRun::new(self, mode, max, usize::MAX).step(source, target, m, out)?;
        Ok(())
    }

    /// Whether the expression gives a true value (not `false` or `null`) for
    /// the message; the first true output decides.
    pub fn test(&self, source: &Codec, m: &RawMessage) -> Result<bool, FnError> {
        let mut direct = direct::Direct::new();
        for output in self.outputs(source, m, &mut direct)? {
            if !matches!(output?, Val::Null | Val::Bool(false)) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The outputs of the expression on the message's JSON form: built
    /// directly for plain types, else printed into `direct.line` and parsed.
    fn outputs<'a>(
        &'a self,
        source: &Codec,
        m: &RawMessage,
        direct: &mut direct::Direct,
    ) -> Result<impl Iterator<Item = Result<Val, FnError>> + 'a, FnError> {
        let input = match direct.input(source, m) {
            Some(input) => input,
            None => {
                direct.line.clear();
                source.write_json_line(&mut direct.line, m)?;
                value::parse_line(&direct.line)?
            }
        };
        Ok(self
            .run_val(input)
            .map(|r| r.map_err(|e| e.to_string().into())))
    }

    fn run_val(&self, input: Val) -> impl Iterator<Item = ValR<Val>> + '_ {
        self.filter.run((Ctx::new([], &self.inputs), input))
    }

    /// Runs the expression on `input`; returns every output.
    pub fn run(&self, input: serde_json::Value) -> Result<Vec<serde_json::Value>, String> {
        self.run_val(Val::from(input))
            .map(|r| r.map(serde_json::Value::from).map_err(|e| e.to_string()))
            .collect()
    }
}

/// The expression for messages: long ones are cut.
fn abbreviated(expression: &str) -> String {
    const SHOWN: usize = 80;
    match expression.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}...", &expression[..cut]),
        None => expression.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn map_and_select() {
        let add = Jq::new(".value.bla += 42").unwrap();
        assert_eq!(
            add.run(json!({"value": {"bla": 1}})).unwrap(),
            vec![json!({"value": {"bla": 43}})]
        );
        let select = Jq::new("select(.value.bla == 456)").unwrap();
        assert!(select.run(json!({"value": {"bla": 1}})).unwrap().is_empty());
        assert_eq!(select.run(json!({"value": {"bla": 456}})).unwrap().len(), 1);
    }

    #[test]
    fn tobytes_reads_the_bytes_form() {
        let first = Jq::new("(.value | tobytes)[0]").unwrap();
        assert_eq!(
            first
                .run(json!({"value": {"base64": "AAAAAAEM/w=="}}))
                .unwrap(),
            vec![json!(0)]
        );
        assert_eq!(
            first.run(json!({"value": "\"plain\""})).unwrap(),
            vec![json!(34)]
        );
        let all = Jq::new(".value | tobytes").unwrap();
        assert_eq!(
            all.run(json!({"value": {"base64": "AAH/"}})).unwrap(),
            vec![json!([0, 1, 255])]
        );
        assert!(all.run(json!({"value": 12})).is_err());
    }

    #[test]
    fn bad_expressions_are_errors() {
        for bad in [".value +", "nosuchfunction(1)"] {
            let err = Jq::new(bad).unwrap_err().to_string();
            assert!(err.contains("invalid jq expression"), "{err}");
        }
        for (bad, expected) in [
            (
                ".value +",
                "expected term, found the end of the expression at line 1, column 9",
            ),
            (
                ".a |\n  (.b",
                "expected a closing parenthesis for the \"(\" at line 2, column 3, found the end",
            ),
            (".a | ]", "found \"]\" at line 1, column 6"),
            (".a | f(1)", "undefined function f/1 at line 1, column 6"),
            ("$x", "undefined variable $x at line 1, column 1"),
            ("\"\\q\"", "expected a string escape sequence"),
        ] {
            let err = Jq::new(bad).unwrap_err().to_string();
            assert!(err.contains(expected), "{bad}: {err}");
        }
        let err = Jq::new(".value.x + 1")
            .unwrap()
            .run(json!({"value": {"x": "s"}}))
            .unwrap_err();
        assert!(!err.is_empty());
    }
}
