//! Checks of a jq expression's text before jaq parses it, and parse errors
//! with their position.
//!
//! jaq's parser, compiler and evaluator recurse over the expression, so its
//! size and nesting bound the stack they need; both are limited here so
//! that a hostile or mistaken expression is a clear error, not a crash.

use jaq_core::load::{lex, parse};

/// The longest jq expression accepted, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 32 * 1024;

/// The deepest nesting of parentheses, brackets, braces and strings
/// (with their `\(...)` interpolations) accepted in a jq expression.
pub const MAX_EXPRESSION_NESTING: usize = 256;

/// Rejects an expression too long or too deeply nested to parse safely.
pub(crate) fn check(code: &str) -> Result<(), String> {
    if code.len() > MAX_EXPRESSION_BYTES {
        return Err(format!(
            "the expression is {} bytes long, more than the limit of {MAX_EXPRESSION_BYTES}",
            code.len()
        ));
    }
    // What encloses the current position: '(', '[', '{', '"' (a string) or
    // 'i' (an interpolation inside a string).
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut bytes = code.bytes().enumerate();
    while let Some((at, b)) = bytes.next() {
        let in_string = matches!(open.last(), Some((b'"', _)));
        let opened = if in_string {
            match b {
                b'\\' => match bytes.next() {
                    Some((_, b'(')) => Some(b'i'),
                    _ => None,
                },
                b'"' => {
                    open.pop();
                    None
                }
                _ => None,
            }
        } else {
            match b {
                b'#' => {
                    // A comment runs to the end of the line.
                    for (_, c) in bytes.by_ref() {
                        if c == b'\n' {
                            break;
                        }
                    }
                    None
                }
                b'(' | b'[' | b'{' | b'"' => Some(b),
                b')' | b']' | b'}' => {
                    open.pop();
                    None
                }
                _ => None,
            }
        };
        if let Some(kind) = opened {
            open.push((kind, at));
            if open.len() > MAX_EXPRESSION_NESTING {
                let (line, column) = position(code, at);
                return Err(format!(
                    "the expression nests parentheses, brackets, braces and strings deeper \
                     than the limit of {MAX_EXPRESSION_NESTING} (at line {line}, column {column})"
                ));
            }
        }
    }
    Ok(())
}

/// 1-based line and column (in characters) of byte `at` of `code`.
pub(crate) fn position(code: &str, at: usize) -> (usize, usize) {
    let before = &code[..floor_char_boundary(code, at)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn floor_char_boundary(code: &str, mut at: usize) -> usize {
    at = at.min(code.len());
    while !code.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Where `part` (a slice of `code`) starts in `code`, if it is one.
pub(crate) fn offset_in(code: &str, part: &str) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(code.as_ptr() as usize)?;
    (start + part.len() <= code.len()).then_some(start)
}

/// `line L, column C` of a slice of `code`.
fn at(code: &str, part: &str) -> String {
    match offset_in(code, part) {
        Some(offset) => {
            let (line, column) = position(code, offset);
            format!("line {line}, column {column}")
        }
        None => "an unknown position".into(),
    }
}

/// A short quote of what was found at an error.
fn found(text: &str) -> String {
    let token: String = text
        .split(char::is_whitespace)
        .next()
        .unwrap_or_default()
        .chars()
        .take(24)
        .collect();
    if token.is_empty() {
        "the end of the expression".into()
    } else {
        format!("{token:?}")
    }
}

/// One parse error per line-free sentence, with positions, as jq prints them.
pub(crate) fn describe_load_error(code: &str, error: &jaq_core::load::Error<&str>) -> String {
    use jaq_core::load::Error;
    let messages: Vec<String> = match error {
        Error::Io(errors) => errors
            .iter()
            .map(|(path, e)| format!("cannot load module {path:?}: {e}"))
            .collect(),
        Error::Lex(errors) => errors
            .iter()
            .map(|(expect, rest)| {
                let expected = match expect {
                    lex::Expect::Delim(open) => {
                        return format!(
                            "{} for the {open:?} at {}, found {} at {}",
                            closing(open),
                            at(code, open),
                            found(rest),
                            at(code, rest)
                        )
                    }
                    lex::Expect::Digit => "a digit",
                    lex::Expect::Ident => "an identifier",
                    lex::Expect::Escape => "a string escape sequence",
                    lex::Expect::Unicode => "a 4-digit hexadecimal code point",
                    _ => "a token",
                };
                format!(
                    "expected {expected}, found {} at {}",
                    found(rest),
                    at(code, rest)
                )
            })
            .collect(),
        Error::Parse(errors) => errors
            .iter()
            .map(|(expect, token)| {
                let expected = match expect {
                    parse::Expect::Just(s) => format!("{s:?}"),
                    other => other.as_str().to_owned(),
                };
                format!(
                    "expected {expected}, found {} at {}",
                    found(token),
                    at(code, token)
                )
            })
            .collect(),
    };
    messages.join("; ")
}

fn closing(open: &str) -> &'static str {
    match open {
        "(" => "expected a closing parenthesis",
        "[" => "expected a closing bracket",
        "{" => "expected a closing brace",
        "\"" => "expected a closing quote",
        _ => "expected a closing delimiter",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_or_deep_expressions_are_rejected_before_parsing() {
        let deep = format!("{}.{}", "(".repeat(10_000), ")".repeat(10_000));
        let err = check(&deep).unwrap_err();
        assert!(err.contains("deeper than the limit of 256"), "{err}");
        assert!(err.contains("line 1, column 257"), "{err}");
        let pipe = vec!["."; 30_000].join(" | ");
        let err = check(&pipe).unwrap_err();
        assert!(err.contains("more than the limit of 32768"), "{err}");
        // Brackets in strings and comments do not count; interpolations do.
        let ok = format!("\"{}\" # {}\n| .", "(".repeat(1000), "[".repeat(1000));
        assert!(check(&ok).is_ok());
        let interpolated = format!("{}.{}", "\"\\(".repeat(200), ")\"".repeat(200));
        assert!(check(&interpolated).unwrap_err().contains("deeper"));
        assert!(check(&format!("{}.{}", "[".repeat(256), "]".repeat(256))).is_ok());
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let code = "é.a |\n  .b";
        assert_eq!(position(code, 0), (1, 1));
        assert_eq!(position(code, 2), (1, 2));
        assert_eq!(position(code, code.len() - 2), (2, 3));
    }
}
