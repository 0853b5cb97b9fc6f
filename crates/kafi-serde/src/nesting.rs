//! kafi's one nesting limit for JSON values.
//!
//! Parsers, printers and jq all walk JSON values recursively, so a value
//! nested deeply enough overflows the stack. kafi therefore accepts JSON
//! values (keys and values of the `json` type, envelope lines, jq inputs and
//! outputs) only up to [`MAX_JSON_NESTING`] nested arrays and objects: the
//! depth `serde_json` itself reads (its recursion limit of 128 counts the
//! level that fails). The limit applies when producing, so a topic never
//! holds a value kafi cannot read back, and when reading data written by
//! others, where a deeper value is an error naming the message.

use std::fmt;

/// The deepest nesting of arrays and objects kafi accepts in a JSON value:
/// `[[1]]` nests 2 deep. This is the depth `serde_json` parses (its
/// recursion limit is 128).
pub const MAX_JSON_NESTING: usize = 127;

/// A JSON text nests deeper than the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NestingError {
    /// The limit that was exceeded.
    pub max: usize,
    /// Byte offset of the array or object that exceeded it.
    pub offset: usize,
}

impl fmt::Display for NestingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "nests arrays and objects deeper than {} (kafi's nesting limit for JSON values) \
             at byte {}",
            self.max, self.offset
        )
    }
}

impl std::error::Error for NestingError {}

/// Checks that JSON `text` nests at most `max` arrays and objects.
///
/// Only brackets outside strings count, so `text` need not be valid JSON;
/// validity is left to the parser. The common case (no more brackets in
/// the whole text than the limit) is one vectorizable pass without any
/// state.
pub fn check_json_nesting(text: &[u8], max: usize) -> Result<(), NestingError> {
    if text.len() <= max || count_openers(text) <= max {
        return Ok(());
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (offset, &b) in text.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Err(NestingError { max, offset });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Checks a JSON value against [`MAX_JSON_NESTING`].
pub(crate) fn check(text: &[u8]) -> Result<(), NestingError> {
    check_json_nesting(text, MAX_JSON_NESTING)
}

fn count_openers(text: &[u8]) -> usize {
    text.iter()
        .map(|&b| usize::from(b == b'[' || b == b'{'))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn the_limit_is_what_serde_json_reads() {
        let ok = nested(MAX_JSON_NESTING);
        assert!(check(ok.as_bytes()).is_ok());
        assert!(serde_json::from_str::<serde_json::Value>(&ok).is_ok());
        let deep = nested(MAX_JSON_NESTING + 1);
        let err = check(deep.as_bytes()).unwrap_err();
        assert_eq!(err.offset, MAX_JSON_NESTING);
        assert!(serde_json::from_str::<serde_json::Value>(&deep).is_err());
        assert!(err.to_string().contains("deeper than 127"), "{err}");
    }

    #[test]
    fn brackets_in_strings_and_siblings_do_not_count() {
        let in_string = format!("[\"{}\\\"{}\"]", "[".repeat(500), "{".repeat(500));
        assert!(check(in_string.as_bytes()).is_ok());
        let siblings = format!("[{}]", vec!["[1]"; 1000].join(","));
        assert!(check(siblings.as_bytes()).is_ok());
        let objects = format!("{}{}", "{\"a\":".repeat(200), "}".repeat(200));
        assert_eq!(check(objects.as_bytes()).unwrap_err().offset, 127 * 5);
    }
}
