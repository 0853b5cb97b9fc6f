//! jq expressions (on jaq) as message transforms: an expression runs on a
//! message's JSON form (`{"topic", "headers", "partition", "offset",
//! "timestamp", "key", "value"}`) and its outputs are the messages to write.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Native, RcIter};
use jaq_json::Val;
use kafi_core::{ProduceRecord, RawMessage};
use kafi_serde::Codec;

use crate::{Error, FnError, Result};

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
    expression: String,
}

impl std::fmt::Debug for Jq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Jq").field(&self.expression).finish()
    }
}

impl Jq {
    /// Compiles `expression` with jq's standard library.
    pub fn new(expression: &str) -> Result<Self> {
        let invalid = |reason: String| Error::Jq {
            expression: expression.to_owned(),
            reason,
        };
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
            .map_err(|errors| invalid(format!("cannot parse ({} error(s))", errors.len())))?;
        let filter = Compiler::default()
            .with_funs(jaq_std::funs().chain(jaq_json::funs()).chain(kafi_funs()))
            .compile(modules)
            .map_err(|errors| {
                let names: Vec<String> = errors
                    .into_iter()
                    .flat_map(|(_, errs)| errs.into_iter().map(|(name, _)| name.to_string()))
                    .collect();
                invalid(format!("undefined: {}", names.join(", ")))
            })?;
        Ok(Self {
            filter,
            expression: expression.to_owned(),
        })
    }

    /// Runs the expression on a raw message's JSON form and appends each
    /// output message to `out` as a record for `target`. With `exactly_one`
    /// (a map), any other number of outputs is an error.
    ///
    /// The message is printed in its JSON-lines form and parsed straight
    /// into jq values, and outputs are printed and read back as envelopes:
    /// no intermediate JSON trees, and byte-exact for values jq leaves alone.
    pub fn transform(
        &self,
        source: &Codec,
        target: &Codec,
        m: &RawMessage,
        exactly_one: bool,
        out: &mut Vec<ProduceRecord>,
    ) -> Result<(), FnError> {
        let outputs = self.run_message(source, m)?;
        if exactly_one && outputs.len() != 1 {
            return Err(format!(
                "the --map expression gave {} results (expected exactly 1; use --flatmap to filter or explode)",
                outputs.len()
            )
            .into());
        }
        for output in outputs {
            if !matches!(output, Val::Obj(_)) {
                return Err(
                    format!("a transform must return a message object, got {output}").into(),
                );
            }
            let mut text = Vec::with_capacity(256);
            write_val(&mut text, &output);
            let mut record = target.parse_envelope(&text)?;
            record.partition = record.partition.or(Some(m.partition));
            record.timestamp = record.timestamp.or(Some(m.timestamp));
            out.push(record);
        }
        Ok(())
    }

    /// Whether the expression gives a true value (not `false` or `null`) for the message.
    pub fn test(&self, source: &Codec, m: &RawMessage) -> Result<bool, FnError> {
        Ok(self
            .run_message(source, m)?
            .iter()
            .any(|v| !matches!(v, Val::Null | Val::Bool(false))))
    }

    fn run_message(&self, source: &Codec, m: &RawMessage) -> Result<Vec<Val>, FnError> {
        let mut line = Vec::with_capacity(256);
        source.write_json_line(&mut line, m)?;
        let mut lexer = hifijson::SliceLexer::new(&line);
        let input = {
            use hifijson::token::Lex;
            let token = lexer.ws_token().ok_or("empty message line")?;
            Val::parse(token, &mut lexer)
                .map_err(|e| format!("cannot read message as jq input: {e:?}"))?
        };
        let inputs = RcIter::new(core::iter::empty());
        let outputs = self.filter.run((Ctx::new([], &inputs), input));
        outputs
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string().into())
    }

    /// Runs the expression on `input`; returns every output.
    pub fn run(&self, input: serde_json::Value) -> Result<Vec<serde_json::Value>, String> {
        let inputs = RcIter::new(core::iter::empty());
        let outputs = self.filter.run((Ctx::new([], &inputs), Val::from(input)));
        outputs
            .map(|r| r.map(serde_json::Value::from).map_err(|e| e.to_string()))
            .collect()
    }
}

/// Writes a jq value as compact JSON (faster than its `Display`).
fn write_val(out: &mut Vec<u8>, v: &Val) {
    use std::io::Write;
    match v {
        Val::Null => out.extend_from_slice(b"null"),
        Val::Bool(true) => out.extend_from_slice(b"true"),
        Val::Bool(false) => out.extend_from_slice(b"false"),
        Val::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Val::Float(x) if x.is_finite() => {
            let _ = write!(out, "{x:?}");
        }
        Val::Float(_) => out.extend_from_slice(b"null"),
        Val::Num(n) => out.extend_from_slice(n.as_bytes()),
        Val::Str(s) => write_str(out, s),
        Val::Arr(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_val(out, item);
            }
            out.push(b']');
        }
        Val::Obj(fields) => {
            out.push(b'{');
            for (i, (key, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, key);
                out.push(b':');
                write_val(out, value);
            }
            out.push(b'}');
        }
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
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
    fn values_print_as_compact_json() {
        let input = json!({"a": [1, 2.5, "x\"y", null, true], "b": {"c": -3}, "d": 12345678901234567890u64});
        let mut text = Vec::new();
        write_val(&mut text, &Val::from(input.clone()));
        let back: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(back, input);
    }

    #[test]
    fn bad_expressions_are_errors() {
        for bad in [".value +", "nosuchfunction(1)"] {
            let err = Jq::new(bad).unwrap_err().to_string();
            assert!(err.contains("invalid jq expression"), "{err}");
        }
        let err = Jq::new(".value.x + 1")
            .unwrap()
            .run(json!({"value": {"x": "s"}}))
            .unwrap_err();
        assert!(!err.is_empty());
    }
}
