//! jq values in and out: a message's JSON line parsed into a jq value and
//! outputs printed back as compact JSON, both within kafi's nesting limit.

use jaq_json::Val;
use kafi_serde::MAX_JSON_NESTING;

/// The nesting a message's JSON form may have: its object plus a key or
/// value of [`MAX_JSON_NESTING`].
pub(crate) const MAX_MESSAGE_NESTING: usize = MAX_JSON_NESTING + 1;

/// Parses a message's JSON line into a jq value. The nesting is checked
/// first: the parser recurses.
pub(crate) fn parse_line(line: &[u8]) -> Result<Val, String> {
    use hifijson::token::Lex;
    kafi_serde::check_json_nesting(line, MAX_MESSAGE_NESTING).map_err(|e| {
        format!(
            "cannot read the message as jq input: a key, value or header nests arrays and \
             objects deeper than {MAX_JSON_NESTING} (kafi's nesting limit for JSON values), at \
             byte {} of its JSON form",
            e.offset
        )
    })?;
    let mut lexer = hifijson::SliceLexer::new(line);
    let token = lexer.ws_token().ok_or("empty message line")?;
    Val::parse(token, &mut lexer).map_err(|e| format!("cannot read message as jq input: {e:?}"))
}

/// An output nests deeper than a message may.
#[derive(Debug)]
pub(crate) struct TooDeep;

/// Writes a jq value as compact JSON (faster than its `Display`); fails on
/// a value nested deeper than a message may be, as jq can build them.
pub(crate) fn write_val(out: &mut Vec<u8>, v: &Val) -> Result<(), TooDeep> {
    write_nested(out, v, MAX_MESSAGE_NESTING)
}

fn write_nested(out: &mut Vec<u8>, v: &Val, levels: usize) -> Result<(), TooDeep> {
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
            let levels = levels.checked_sub(1).ok_or(TooDeep)?;
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_nested(out, item, levels)?;
            }
            out.push(b']');
        }
        Val::Obj(fields) => {
            let levels = levels.checked_sub(1).ok_or(TooDeep)?;
            out.push(b'{');
            for (i, (key, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, key);
                out.push(b':');
                write_nested(out, value, levels)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
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
    fn values_print_as_compact_json() {
        let input = json!({"a": [1, 2.5, "x\"y", null, true], "b": {"c": -3}, "d": 12345678901234567890u64});
        let mut text = Vec::new();
        write_val(&mut text, &Val::from(input.clone())).unwrap();
        let back: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(back, input);
    }

    #[test]
    fn nesting_is_limited_both_ways() {
        let nested = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        let ok = format!("{{\"value\":{}}}", nested(MAX_JSON_NESTING));
        let v = parse_line(ok.as_bytes()).unwrap();
        let mut out = Vec::new();
        write_val(&mut out, &v).unwrap();
        assert_eq!(out, ok.as_bytes());
        let deep = format!("{{\"value\":{}}}", nested(30_000));
        let err = parse_line(deep.as_bytes()).unwrap_err();
        assert!(err.contains("deeper than 127"), "{err}");
        let mut v = Val::Int(1);
        for _ in 0..=MAX_MESSAGE_NESTING {
            v = Val::Arr(std::rc::Rc::new(vec![v]));
        }
        assert!(write_val(&mut Vec::new(), &v).is_err());
    }
}
