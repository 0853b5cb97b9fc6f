//! jq values in and out: a message's JSON line parsed into a jq value and
//! outputs printed back as compact JSON, both within kafi's nesting limit.

use std::rc::Rc;

use jaq_json::Val;
use kafi_serde::MAX_JSON_NESTING;

/// An object of jq values, as jaq-json keeps them.
pub(crate) type Map = indexmap::IndexMap<Rc<String>, Val, foldhash::fast::RandomState>;

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

/// Parses one JSON value, already checked to be valid JSON within the
/// nesting limit, into the jq value hifijson would give (integers that fit
/// as `Int`, every other number as its literal, duplicate keys keeping
/// their first place and last value); `None` if it does not read as one
/// value, which valid JSON always does.
pub(crate) fn parse_value(bytes: &[u8]) -> Option<Val> {
    let mut at = 0;
    let val = parse_at(bytes, &mut at)?;
    skip_ws(bytes, &mut at);
    (at == bytes.len()).then_some(val)
}

fn skip_ws(bytes: &[u8], at: &mut usize) {
    while bytes
        .get(*at)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        *at += 1;
    }
}

fn parse_at(bytes: &[u8], at: &mut usize) -> Option<Val> {
    skip_ws(bytes, at);
    let literal = |at: &mut usize, word: &[u8], val: Val| {
        bytes[*at..].starts_with(word).then(|| {
            *at += word.len();
            val
        })
    };
    match *bytes.get(*at)? {
        b'n' => literal(at, b"null", Val::Null),
        b't' => literal(at, b"true", Val::Bool(true)),
        b'f' => literal(at, b"false", Val::Bool(false)),
        b'"' => Some(Val::Str(Rc::new(parse_str(bytes, at)?))),
        b'[' => {
            *at += 1;
            let mut items = Vec::new();
            skip_ws(bytes, at);
            if bytes.get(*at) == Some(&b']') {
                *at += 1;
                return Some(Val::Arr(Rc::new(items)));
            }
            loop {
                items.push(parse_at(bytes, at)?);
                skip_ws(bytes, at);
                match bytes.get(*at)? {
                    b',' => *at += 1,
                    b']' => {
                        *at += 1;
                        return Some(Val::Arr(Rc::new(items)));
                    }
                    _ => return None,
                }
            }
        }
        b'{' => {
            *at += 1;
            let mut map = Map::default();
            skip_ws(bytes, at);
            if bytes.get(*at) == Some(&b'}') {
                *at += 1;
                return Some(Val::obj(map));
            }
            loop {
                skip_ws(bytes, at);
                if bytes.get(*at) != Some(&b'"') {
                    return None;
                }
                let key = parse_str(bytes, at)?;
                skip_ws(bytes, at);
                if bytes.get(*at) != Some(&b':') {
                    return None;
                }
                *at += 1;
                map.insert(Rc::new(key), parse_at(bytes, at)?);
                skip_ws(bytes, at);
                match bytes.get(*at)? {
                    b',' => *at += 1,
                    b'}' => {
                        *at += 1;
                        return Some(Val::obj(map));
                    }
                    _ => return None,
                }
            }
        }
        _ => {
            let start = *at;
            let mut integer = true;
            while let Some(b) = bytes.get(*at) {
                match b {
                    b'0'..=b'9' | b'-' | b'+' => {}
                    b'.' | b'e' | b'E' => integer = false,
                    _ => break,
                }
                *at += 1;
            }
            let text = std::str::from_utf8(&bytes[start..*at]).ok()?;
            if text.is_empty() {
                return None;
            }
            if integer {
                if let Ok(i) = text.parse() {
                    return Some(Val::Int(i));
                }
            }
            Some(Val::Num(Rc::new(text.to_owned())))
        }
    }
}

/// The string starting at the quote at `at`, unescaped.
fn parse_str(bytes: &[u8], at: &mut usize) -> Option<String> {
    let start = *at + 1;
    let mut end = start;
    let mut escaped = false;
    loop {
        end += memchr::memchr2(b'"', b'\\', &bytes[end..])?;
        if bytes[end] == b'"' {
            break;
        }
        escaped = true;
        // Skip the backslash and the character it escapes.
        end += 2;
    }
    *at = end + 1;
    if escaped {
        serde_json::from_slice(&bytes[start - 1..=end]).ok()
    } else {
        String::from_utf8(bytes[start..end].to_vec()).ok()
    }
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
    fn values_parse_as_hifijson_parses_them() {
        for text in [
            r#"{"id": 1, "name": "snack", "price": 1.23, "tags": ["a", "b"], "none": null}"#,
            r#"{"a": 1, "b": 2, "a": 3}"#,
            r#""esc \" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00 é""#,
            r#"[-0, 0, -1, 1E5, 1e-3, 0.5, -2.50, 9223372036854775807, 9223372036854775808]"#,
            r#"[[], {}, [[{"x": [true, false]}]]]"#,
            " \t\n { \"spaced\" : [ 1 , 2 ] } \r\n",
            "123456789012345678901234567890",
            "\"\"",
        ] {
            let ours = parse_value(text.as_bytes()).expect(text);
            let theirs = parse_line(text.as_bytes()).expect(text);
            assert_eq!(format!("{ours:?}"), format!("{theirs:?}"), "{text}");
        }
        for bad in ["", "[1,", "{\"a\" 1}", "1 2", "tru"] {
            assert!(parse_value(bad.as_bytes()).is_none(), "{bad}");
        }
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
