//! jq expressions (on jaq) as message transforms: an expression runs on a
//! message's JSON form (`{"topic", "headers", "partition", "offset",
//! "timestamp", "key", "value"}`) and its outputs are the messages to write.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Native, RcIter};
use jaq_json::Val;

use crate::{Error, Result};

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
            .with_funs(jaq_std::funs().chain(jaq_json::funs()))
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

    /// Runs the expression on `input`; returns every output.
    pub fn run(&self, input: serde_json::Value) -> Result<Vec<serde_json::Value>, String> {
        let inputs = RcIter::new(core::iter::empty());
        let outputs = self.filter.run((Ctx::new([], &inputs), Val::from(input)));
        outputs
            .map(|r| r.map(serde_json::Value::from).map_err(|e| e.to_string()))
            .collect()
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
