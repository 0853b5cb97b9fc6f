//! Usage errors, exit codes, and the one `kafi: error:` line.

use std::fmt::Write as _;
use std::io;

use kafi::core::ErrorKind;

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

/// The exit code of a failed command, by the kind of its error: 128 + the
/// signal for an interrupted command (130 for SIGINT, 143 for SIGTERM), 0
/// for a closed output pipe, 2 for usage and configuration errors, 3 for
/// failed operations.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    let kind = error_kind(e);
    if kind == Some(ErrorKind::Interrupted) {
        let signal = e.chain().find_map(|c| as_shell_error(c)?.signal());
        return crate::signals::exit_code(signal.unwrap_or(libc::SIGINT));
    }
    let broken_pipe = e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    });
    match kind {
        _ if broken_pipe => 0,
        Some(kind) if kind.is_usage() => 2,
        _ => 3,
    }
}

/// The kind of the first error in the chain that has one: the CLI's own
/// usage errors, or one of the library's error types.
fn error_kind(e: &anyhow::Error) -> Option<ErrorKind> {
    e.chain().find_map(|cause| {
        if cause.is::<UsageError>() {
            Some(ErrorKind::InvalidArgument)
        } else if let Some(e) = as_shell_error(cause) {
            Some(e.kind())
        } else if let Some(e) = cause.downcast_ref::<kafi::core::Error>() {
            Some(e.kind())
        } else if let Some(e) = cause.downcast_ref::<kafi::config::Error>() {
            Some(e.kind())
        } else if let Some(e) = cause.downcast_ref::<kafi::serde::Error>() {
            Some(e.kind())
        } else {
            cause
                .downcast_ref::<kafi::registry::Error>()
                .map(kafi::registry::Error::kind)
        }
    })
}

/// A cause as a shell error: wrapping errors hold their source boxed, and
/// the chain then shows the box.
fn as_shell_error<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a kafi::Error> {
    cause
        .downcast_ref::<kafi::Error>()
        .or_else(|| cause.downcast_ref::<Box<kafi::Error>>().map(|b| &**b))
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
