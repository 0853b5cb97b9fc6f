//! Errors of the shell layer.

use kafi_core::{ErrorKind, RawMessage};

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a user function returns on failure.
pub type FnError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error from a shell command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The storage failed.
    #[error(transparent)]
    Storage(#[from] kafi_core::Error),
    /// A key or value could not be (de)serialized.
    #[error(transparent)]
    Serde(#[from] kafi_serde::Error),
    /// The schema registry failed; Confluent's error code and message are
    /// kept (see [`kafi_registry::Error::status_and_code`]).
    #[error(transparent)]
    Registry(#[from] kafi_registry::Error),
    /// A user function (map, filter, jq expression, ...) failed on a message.
    #[error("{operation} failed on {topic} partition {partition} offset {offset}: {source}")]
    Function {
        /// The operation (`map`, `flatmap`, `filter`, ...).
        operation: &'static str,
        /// Topic of the message.
        topic: String,
        /// Partition of the message.
        partition: i32,
        /// Offset of the message.
        offset: i64,
        /// The function's error.
        #[source]
        source: FnError,
    },
    /// An invalid regular expression.
    #[error("invalid regular expression {pattern:?}: {source}")]
    Regex {
        /// The pattern.
        pattern: String,
        /// Why it is invalid.
        #[source]
        source: regex::Error,
    },
    /// An invalid jq expression.
    #[error("invalid jq expression {expression:?}: {reason}")]
    Jq {
        /// The expression.
        expression: String,
        /// Why it is invalid.
        reason: String,
    },
    /// An invalid argument.
    #[error("{0}")]
    InvalidArgument(String),
    /// A reading operation (cat, grep, foldl, ...) failed part-way.
    #[error("{source} (after reading {consumed} message(s))")]
    ReadInterrupted {
        /// Messages read and processed before the failure.
        consumed: u64,
        /// The failure.
        #[source]
        source: Box<Error>,
    },
    /// The work was asked to stop (by an [`Interrupt`](crate::Interrupt),
    /// e.g. on a signal); what was processed was written and committed.
    #[error("interrupted by {}", crate::interrupt::signal_name(*signal))]
    Stopped {
        /// The signal number given to [`Interrupt::request`](crate::Interrupt::request).
        signal: i32,
    },
    /// A line of input to a [`LineProducer`](crate::LineProducer) is not a
    /// message; nothing of it was produced.
    #[error("line {line}: {source}")]
    Line {
        /// The line number (1-based, empty lines counted).
        line: u64,
        /// Why the line is not a message.
        #[source]
        source: Box<Error>,
    },
    /// A copying operation failed part-way; counts say how far it got.
    #[error("{source} (after consuming {consumed} and producing {produced} message(s))")]
    Interrupted {
        /// Messages consumed and processed before the failure.
        consumed: u64,
        /// Messages produced before the failure.
        produced: u64,
        /// The failure.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// What kind of failure this is: that of the storage, codec or
    /// registry error inside, of the failure that stopped a copy or read
    /// part-way, [`ErrorKind::Interrupted`] for a stop request, and
    /// [`ErrorKind::InvalidArgument`] for a bad expression or argument.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Storage(e) => e.kind(),
            Error::Serde(e) => e.kind(),
            Error::Registry(e) => e.kind(),
            Error::Function { source, .. } => match source.downcast_ref::<kafi_serde::Error>() {
                Some(e) => e.kind(),
                None => ErrorKind::Other,
            },
            Error::Regex { .. } | Error::Jq { .. } | Error::InvalidArgument(_) => {
                ErrorKind::InvalidArgument
            }
            Error::Line { source, .. }
            | Error::ReadInterrupted { source, .. }
            | Error::Interrupted { source, .. } => source.kind(),
            Error::Stopped { .. } => ErrorKind::Interrupted,
        }
    }

    /// Whether retrying may help.
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// The signal that stopped the work, if it was stopped on request
    /// (also inside the counts of a partial copy or read).
    pub fn signal(&self) -> Option<i32> {
        match self {
            Error::Stopped { signal } => Some(*signal),
            Error::ReadInterrupted { source, .. } | Error::Interrupted { source, .. } => {
                source.signal()
            }
            _ => None,
        }
    }
}

/// A user function's failure on message `m`.
pub(crate) fn function_error(operation: &'static str, m: &RawMessage, source: FnError) -> Error {
    Error::Function {
        operation,
        topic: m.topic.to_string(),
        partition: m.partition,
        offset: m.offset,
        source,
    }
}

/// The error of a callback on message `m`: a decode error names the
/// message itself; every other failure (a user function's, or an output
/// that does not encode) is wrapped with the message it happened on.
pub(crate) fn as_function_error(operation: &'static str, m: &RawMessage, e: FnError) -> Error {
    match e.downcast::<kafi_serde::Error>() {
        Ok(serde) if matches!(*serde, kafi_serde::Error::Decode { .. }) => Error::Serde(*serde),
        Ok(serde) => function_error(operation, m, serde),
        Err(e) => function_error(operation, m, e),
    }
}
