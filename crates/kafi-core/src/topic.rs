//! Kafka's topic naming rules, enforced on every storage so no name can
//! escape a storage's root directory.

use crate::{Error, Result};

/// Kafka's maximum topic name length.
pub const MAX_TOPIC_NAME_LEN: usize = 249;

/// Checks a topic name against Kafka's rules: 1 to 249 characters from
/// `[a-zA-Z0-9._-]`, and neither `.` nor `..`.
pub fn validate_topic_name(name: &str) -> Result<()> {
    let invalid = |reason| {
        Err(Error::InvalidTopicName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return invalid("it is empty");
    }
    if name == "." || name == ".." {
        return invalid("'.' and '..' are not allowed");
    }
    if name.len() > MAX_TOPIC_NAME_LEN {
        return invalid("it is longer than 249 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return invalid("only ASCII letters, digits, '.', '_' and '-' are allowed");
    }
    Ok(())
}

/// A compiled topic or group name pattern: shell-style globs (`*`, `?`,
/// `[abc]`); several patterns may be given separated by whitespace or commas.
#[derive(Debug, Clone)]
pub struct NamePattern(Option<globset::GlobSet>);

impl NamePattern {
    /// Compiles `pattern`; `None` matches everything.
    pub fn new(pattern: Option<&str>) -> Result<Self> {
        let Some(pattern) = pattern else {
            return Ok(Self(None));
        };
        let mut builder = globset::GlobSetBuilder::new();
        for part in pattern
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
        {
            let glob = globset::GlobBuilder::new(part)
                .literal_separator(false)
                .build()
                .map_err(|e| Error::InvalidArgument(format!("invalid pattern {part:?}: {e}")))?;
            builder.add(glob);
        }
        let set = builder
            .build()
            .map_err(|e| Error::InvalidArgument(format!("invalid pattern {pattern:?}: {e}")))?;
        Ok(Self(Some(set)))
    }

    /// Whether `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        self.0.as_ref().is_none_or(|set| set.is_match(name))
    }
}

/// Encodes a free-form name (a group id, a subject) as one path segment:
/// a leading `g`, then everything but `[A-Za-z0-9_-]` percent-encoded, so
/// a name can never be empty, `.`/`..`, or contain `/` and escape its
/// directory.
pub fn encode_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 1);
    // A leading marker keeps the empty id a valid, distinct name.
    out.push('g');
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Inverse of [`encode_name`]; `None` for names it did not produce.
pub fn decode_name(name: &str) -> Option<String> {
    let rest = name.trim_end_matches('/').strip_prefix('g')?;
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = rest.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_kafka_names() {
        for ok in [
            "a",
            "topic_json",
            "my.topic-1",
            ".hidden",
            "..x",
            &"a".repeat(249),
        ] {
            assert!(validate_topic_name(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_escaping_and_bad_names() {
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "a\\b",
            "a b",
            "ü",
            &"a".repeat(250),
            "x\0",
        ] {
            let err = validate_topic_name(bad).unwrap_err();
            assert!(
                err.to_string().contains("invalid topic name"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn patterns_glob() {
        let p = NamePattern::new(Some("topic_*")).unwrap();
        assert!(p.matches("topic_json"));
        assert!(!p.matches("other"));
        let p = NamePattern::new(Some("a?, b*")).unwrap();
        assert!(p.matches("ax") && p.matches("bcd") && !p.matches("c"));
        assert!(NamePattern::new(None).unwrap().matches("anything"));
        assert!(NamePattern::new(Some("[")).is_err());
    }
}
