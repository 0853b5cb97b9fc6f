//! `${VAR}` / `${VAR:-default}` substitution in YAML string scalars.

use std::borrow::Cow;

use serde_yaml::Value;

use crate::error::{Error, Result};

/// Why a single string could not be substituted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SubstError {
    /// `${VAR}` without default and `VAR` is not set.
    Unset(String),
    /// Malformed reference.
    Invalid(String),
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Expands references in one string.
///
/// * `${VAR}`: the value of `VAR` (may be empty); unset is an error.
/// * `${VAR:-default}`: `default` if `VAR` is unset or empty. The default
///   ends at the first `}` and is not expanded further.
/// * `$${` stands for a literal `${`; any other `$` is literal.
///
/// Substituted text is never re-scanned.
pub(crate) fn substitute<'a>(
    input: &'a str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Cow<'a, str>, SubstError> {
    if !input.contains("${") {
        return Ok(Cow::Borrowed(input));
    }
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        if let Some(after) = rest.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = rest.strip_prefix("${") {
            let end = after
                .find('}')
                .ok_or_else(|| SubstError::Invalid("unterminated `${`".to_owned()))?;
            let inner = &after[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (inner, None),
            };
            if !is_var_name(name) {
                return Err(SubstError::Invalid(format!(
                    "`${{{inner}}}` is not a valid variable reference \
                     (expected `${{NAME}}` or `${{NAME:-default}}`)"
                )));
            }
            match (env(name), default) {
                (Some(v), None) => out.push_str(&v),
                (Some(v), Some(_)) if !v.is_empty() => out.push_str(&v),
                (_, Some(d)) => out.push_str(d),
                (None, None) => return Err(SubstError::Unset(name.to_owned())),
            }
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// Substitutes in every string scalar of `value` (map keys are left alone).
/// `path` is the dotted key of `value`, used in errors.
pub(crate) fn substitute_value(
    value: &mut Value,
    path: &str,
    file: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    match value {
        Value::String(s) => match substitute(s, env) {
            Ok(Cow::Borrowed(_)) => {}
            Ok(Cow::Owned(new)) => *s = new,
            Err(SubstError::Unset(variable)) => {
                return Err(Error::UnsetVariable {
                    variable,
                    file: file.to_owned(),
                    key: path.to_owned(),
                })
            }
            Err(SubstError::Invalid(message)) => {
                // The message quotes the reference; hide it for secret keys.
                let message = if crate::is_secret_key(path) {
                    "malformed `${...}` reference".to_owned()
                } else {
                    message
                };
                return Err(Error::InvalidSubstitution {
                    file: file.to_owned(),
                    key: path.to_owned(),
                    message,
                });
            }
        },
        Value::Sequence(seq) => {
            for (i, v) in seq.iter_mut().enumerate() {
                substitute_value(v, &format!("{path}[{i}]"), file, env)?;
            }
        }
        Value::Mapping(map) => {
            for (k, v) in map.iter_mut() {
                let key = match k {
                    Value::String(s) => s.clone(),
                    other => serde_yaml::to_string(other)
                        .map(|s| s.trim().to_owned())
                        .unwrap_or_default(),
                };
                let child = if path.is_empty() {
                    key
                } else {
                    format!("{path}.{key}")
                };
                substitute_value(v, &child, file, env)?;
            }
        }
        Value::Tagged(t) => substitute_value(&mut t.value, path, file, env)?,
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("broker:9092".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn sub(s: &str) -> Result<String, SubstError> {
        substitute(s, &env).map(Cow::into_owned)
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(substitute("a $ b", &env), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn expands_variables_and_defaults() {
        assert_eq!(sub("${HOST}").unwrap(), "broker:9092");
        assert_eq!(sub("x-${HOST}-y").unwrap(), "x-broker:9092-y");
        assert_eq!(sub("${NOPE:-dflt}").unwrap(), "dflt");
        assert_eq!(sub("${NOPE:-}").unwrap(), "");
        assert_eq!(sub("${HOST:-dflt}").unwrap(), "broker:9092");
        assert_eq!(sub("${EMPTY:-dflt}").unwrap(), "dflt");
        assert_eq!(sub("${EMPTY}").unwrap(), "");
        assert_eq!(sub("${NOPE:-a=b;c:d}").unwrap(), "a=b;c:d");
    }

    #[test]
    fn dollars_are_literal_unless_escaping() {
        assert_eq!(sub("pa$$word ${HOST}").unwrap(), "pa$$word broker:9092");
        assert_eq!(sub("$${HOST} ${HOST}").unwrap(), "${HOST} broker:9092");
        assert_eq!(sub("cost: 5$").unwrap(), "cost: 5$");
    }

    #[test]
    fn substituted_text_is_not_rescanned() {
        let env = |_: &str| Some("${HOST}".to_owned());
        assert_eq!(substitute("${X}", &env).unwrap(), "${HOST}");
    }

    #[test]
    fn errors() {
        assert_eq!(sub("${NOPE}"), Err(SubstError::Unset("NOPE".to_owned())));
        assert!(matches!(sub("${HOST"), Err(SubstError::Invalid(_))));
        assert!(matches!(sub("${}"), Err(SubstError::Invalid(_))));
        assert!(matches!(sub("${1A}"), Err(SubstError::Invalid(_))));
        assert!(matches!(sub("${A B}"), Err(SubstError::Invalid(_))));
    }
}
