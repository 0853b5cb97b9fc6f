//! Hiding the user info (`user:password@`) of URLs and broker addresses.
//!
//! Every crate that prints, logs or dumps a URL or an address list runs it
//! through [`redact_user_info`], so a password written into
//! `schema.registry.url` or `bootstrap.servers` never reaches a terminal.

use std::borrow::Cow;
use std::ops::Range;

use crate::REDACTED;

/// Replaces the user info of every URL and broker address in `text` with
/// [`REDACTED`], keeping the rest as it is.
///
/// Two forms are recognised:
///
/// - `scheme://USERINFO@host…`: everything between `://` and the last `@`
///   of the authority (which ends at the next `/`, `?`, `#`, whitespace or
///   the end) is hidden, whatever characters it holds;
/// - `USERINFO@host:port` without a scheme, as in a `bootstrap.servers`
///   list: hidden when `USERINFO` has a `:` (a password) and a port
///   follows the host. `User:alice@EXAMPLE.COM` (a Kerberos principal, no
///   port) is left alone.
///
/// A `USERINFO` of the second form starts after the last whitespace,
/// quote, bracket or `=` before it, so in a list such as `a:1,u:p@b:2`
/// the preceding items are hidden too: the helper errs on the side of
/// hiding. Text without `@` is returned borrowed, without copying.
///
/// ```
/// use kafi_config::redact_user_info;
///
/// assert_eq!(
///     redact_user_info("schema registry http://sr:hunter2@localhost:8081/ is unreachable"),
///     "schema registry http://********@localhost:8081/ is unreachable"
/// );
/// assert_eq!(redact_user_info("kafka:s3cr3t@broker:9092"), "********@broker:9092");
/// assert_eq!(redact_user_info("localhost:9092"), "localhost:9092");
/// ```
pub fn redact_user_info(text: &str) -> Cow<'_, str> {
    if !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut hidden: Vec<Range<usize>> = Vec::new();
    let mut token_start = 0;
    // ASCII whitespace only: every separator is one byte, so offsets add up.
    for token in text.split(|c: char| c.is_ascii_whitespace()) {
        let start = token_start;
        token_start += token.len() + 1;
        if token.contains('@') {
            user_info_ranges(token, start, &mut hidden);
        }
    }
    if hidden.is_empty() {
        return Cow::Borrowed(text);
    }
    hidden.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for range in hidden {
        if range.start < copied {
            // Overlaps a range already hidden: hide what is left of it.
            if range.end > copied {
                copied = range.end;
            }
            continue;
        }
        out.push_str(&text[copied..range.start]);
        out.push_str(REDACTED);
        copied = range.end;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Whether `text` holds user info that [`redact_user_info`] would hide.
pub fn has_user_info(text: &str) -> bool {
    matches!(redact_user_info(text), Cow::Owned(_))
}

/// Pushes the byte ranges (offset by `base`) of the user info in `token`,
/// a piece of text without whitespace.
fn user_info_ranges(token: &str, base: usize, hidden: &mut Vec<Range<usize>>) {
    let bytes = token.as_bytes();
    // URLs with a scheme: the user info is what precedes the authority's last '@'.
    let mut url_parts: Vec<Range<usize>> = Vec::new();
    let mut from = 0;
    while let Some(found) = token[from..].find("://") {
        let authority = from + found + 3;
        let end = token[authority..]
            .find(['/', '?', '#'])
            .map_or(token.len(), |e| authority + e);
        if let Some(at) = token[authority..end].rfind('@') {
            if at > 0 {
                hidden.push(base + authority..base + authority + at);
            }
        }
        url_parts.push(authority..end);
        // The next URL may start right at `end` ("…@h1,http://…": its "://"
        // begins one byte before the '/' that ended this authority).
        from = end.saturating_sub(1).max(authority);
    }
    // Addresses without a scheme: `user:password@host:port`.
    for (at, _) in token.match_indices('@') {
        if url_parts.iter().any(|r| r.contains(&at)) {
            continue;
        }
        let start = token[..at]
            .rfind(['"', '\'', '`', '(', '[', '{', '<', '=', '/'])
            .map_or(0, |i| i + 1);
        let info = &token[start..at];
        if info.contains(':') && followed_by_host_and_port(&bytes[at + 1..]) {
            hidden.push(base + start..base + at);
        }
    }
}

/// Whether `rest` starts with `host:port` (a host name, IPv4 or bracketed
/// IPv6 address, a colon and at least one digit).
fn followed_by_host_and_port(rest: &[u8]) -> bool {
    let host_len = if rest.first() == Some(&b'[') {
        match rest.iter().position(|&b| b == b']') {
            Some(close) => close + 1,
            None => return false,
        }
    } else {
        rest.iter()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'%'))
            .count()
    };
    host_len > 0
        && rest.get(host_len) == Some(&b':')
        && rest.get(host_len + 1).is_some_and(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::{has_user_info, redact_user_info};

    #[track_caller]
    fn check(text: &str, expected: &str) {
        assert_eq!(redact_user_info(text), expected, "{text}");
    }

    #[test]
    fn urls_lose_their_user_info() {
        check("http://user:pw@host:8081/", "http://********@host:8081/");
        check("https://user@host", "https://********@host");
        check("http://u:p@ss@host/x@y", "http://********@host/x@y");
        check("http://u:p,w;x@host?q=a@b", "http://********@host?q=a@b");
        check(
            "\"http://u:p\\\"w@h:1\", \"https://v:q@h:2/\"",
            "\"http://********@h:1\", \"https://********@h:2/\"",
        );
        check(
            "http://a:1@h1,http://b:2@h2/",
            "http://********@h1,http://********@h2/",
        );
        check(
            "SASL_SSL://k:v@broker:9092",
            "SASL_SSL://********@broker:9092",
        );
        check(
            "url (http://h:1/subjects/x@y)",
            "url (http://h:1/subjects/x@y)",
        );
    }

    #[test]
    fn bare_addresses_lose_user_info_with_a_password() {
        check("kuser:KPASS@127.0.0.1:1", "********@127.0.0.1:1");
        check(
            "broker kuser:KPASS@127.0.0.1:1: connect",
            "broker ********@127.0.0.1:1: connect",
        );
        check("u:p@[::1]:9092", "********@[::1]:9092");
        check("servers=u:p@h:1", "servers=********@h:1");
        check("a:1,u:p@b:2", "********@b:2");
    }

    #[test]
    fn other_text_is_left_alone() {
        for text in [
            "",
            "localhost:9092,other:9093",
            "User:alice@EXAMPLE.COM",
            "mail alice@example.com",
            "http://host:8081/path",
            "group g@1 at offset 5: x",
            "é@ü:1",
        ] {
            check(text, text);
            assert!(!has_user_info(text), "{text}");
        }
        assert!(has_user_info("http://u@h"));
    }

    #[test]
    fn multibyte_text_around_user_info() {
        check("é http://ü:ö@h/ ü", "é http://********@h/ ü");
        check("→u:ö@h:1", "********@h:1");
    }
}
