//! Usage errors, exit codes, and the one `kafi: error:` line.

use std::fmt::Write as _;
use std::io;

/// A usage error found by the CLI itself (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Builds a usage error.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(message.into()))
}

/// 0 for a closed output pipe, 2 for usage and configuration errors, 128 +
/// the signal for an interrupted command (130 for SIGINT, 143 for
/// SIGTERM), 3 for failed operations.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if let Some(kafi::Error::Stopped { signal }) = as_shell_error(cause) {
            return crate::signals::exit_code(*signal);
        }
    }
    for cause in e.chain() {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::BrokenPipe {
                return 0;
            }
        }
        if cause.is::<UsageError>() || cause.is::<kafi::config::Error>() {
            return 2;
        }
        if let Some(e) = cause.downcast_ref::<kafi::core::Error>() {
            if is_usage(e) {
                return 2;
            }
        }
        if let Some(e) = cause.downcast_ref::<kafi::Error>() {
            use kafi::Error as E;
            match e {
                E::Regex { .. } | E::Jq { .. } | E::InvalidArgument(_) => return 2,
                E::Storage(inner) if is_usage(inner) => return 2,
                _ => {}
            }
        }
    }
    3
}

/// A cause as a shell error: wrapping errors hold their source boxed, and
/// the chain then shows the box.
fn as_shell_error<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a kafi::Error> {
    cause
        .downcast_ref::<kafi::Error>()
        .or_else(|| cause.downcast_ref::<Box<kafi::Error>>().map(|b| &**b))
}

fn is_usage(e: &kafi::core::Error) -> bool {
    use kafi::core::Error as E;
    matches!(
        e,
        E::Config(_) | E::InvalidTopicName { .. } | E::InvalidArgument(_) | E::Unsupported { .. }
    )
}

/// Prints an error and its causes on one line, skipping causes whose text
/// the message already contains.
pub fn report(e: &anyhow::Error) {
    let mut message = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !message.contains(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            let _ = write!(message, "{text}");
        }
    }
    // Some causes (e.g. regex parse errors) span several lines: keep one line.
    // The crates hide user info of URLs themselves; this catches what a
    // dependency's message might still carry.
    let message = kafi::config::redact_user_info(&message)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!("kafi: error: {message}");
}
