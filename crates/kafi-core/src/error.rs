//! Errors shared by every storage, and the [`ErrorKind`] every kafi error
//! type reports so callers (the `kafi` command's exit codes, retry loops)
//! decide by kind instead of by type.

use std::fmt;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed error from a backend library (opendal, rskafka, ...), the one
/// boxed error type of the workspace.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What kind of failure an error is, independent of the crate that raised
/// it. Every library error of kafi has a `kind()`.
///
/// The `kafi` command maps kinds to exit codes: [`InvalidArgument`],
/// [`Config`] and [`Unsupported`] are usage errors (2), [`Interrupted`] is
/// 128 + the signal, every other kind a failed operation (3).
///
/// [`InvalidArgument`]: ErrorKind::InvalidArgument
/// [`Config`]: ErrorKind::Config
/// [`Unsupported`]: ErrorKind::Unsupported
/// [`Interrupted`]: ErrorKind::Interrupted
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A malformed or out-of-range argument: a bad name, pattern,
    /// expression, offset or option value.
    InvalidArgument,
    /// A configuration that is missing, malformed or inconsistent.
    Config,
    /// The topic, partition, group, subject, version or schema does not exist.
    NotFound,
    /// It exists already, or the request conflicts with the current state
    /// (an incompatible schema, a permanent delete without a soft one).
    Conflict,
    /// A key, value, message line or schema does not match its type or
    /// format.
    InvalidData,
    /// Stored data failed its checksum or does not decode.
    Corrupt,
    /// The storage (or this build of kafi) does not offer the operation.
    Unsupported,
    /// Authentication or authorization failed.
    Auth,
    /// The storage or service could not be reached, or answered "try again
    /// later": retrying may help.
    Unavailable,
    /// The storage, the file system or the network failed otherwise.
    Backend,
    /// The work was asked to stop (a signal); what was done is kept.
    Interrupted,
    /// Anything else, e.g. a user function that failed on a message.
    Other,
}

impl ErrorKind {
    /// Whether retrying the same request may succeed.
    pub fn is_retryable(self) -> bool {
        self == ErrorKind::Unavailable
    }

    /// Whether the error is the caller's: a bad argument, configuration or
    /// an operation the storage does not offer (exit code 2 in the CLI).
    pub fn is_usage(self) -> bool {
        matches!(
            self,
            ErrorKind::InvalidArgument | ErrorKind::Config | ErrorKind::Unsupported
        )
    }
}

/// An error raised by a storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The topic name breaks Kafka's naming rules.
    #[error("invalid topic name {name:?}: {reason}")]
    InvalidTopicName {
        /// The offending name.
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// The topic does not exist.
    #[error("topic {0:?} does not exist")]
    TopicNotFound(String),
    /// The topic exists already.
    #[error("topic {0:?} already exists")]
    TopicExists(String),
    /// The partition does not exist.
    #[error("partition {partition} of topic {topic:?} does not exist (the topic has {partitions} partition(s))")]
    PartitionNotFound {
        /// Topic name.
        topic: String,
        /// Requested partition.
        partition: i32,
        /// How many partitions the topic has.
        partitions: i32,
    },
    /// The consumer group does not exist.
    #[error("consumer group {0:?} does not exist")]
    GroupNotFound(String),
    /// An argument is out of range or malformed.
    #[error("{0}")]
    InvalidArgument(String),
    /// Stored data failed its checksum or could not be decoded.
    #[error("corrupt data in {path} at byte {position}: {reason}")]
    Corrupt {
        /// The object or file holding the data.
        path: String,
        /// Byte position inside it.
        position: u64,
        /// What is wrong.
        reason: String,
    },
    /// The storage does not offer this operation.
    #[error("{storage} does not support {operation}")]
    Unsupported {
        /// Storage kind.
        storage: &'static str,
        /// Operation name.
        operation: &'static str,
    },
    /// A configuration error (a `kafi_config::Error`, which converts into
    /// this variant).
    #[error(transparent)]
    Config(BoxError),
    /// An I/O or backend failure while doing `operation` on `target`.
    #[error("{operation} {target}: {source}")]
    Backend {
        /// What was being done (e.g. "write segment").
        operation: &'static str,
        /// Path, topic or address it was done on.
        target: String,
        /// What kind of failure the backend reported
        /// ([`ErrorKind::Backend`] unless the backend knew better).
        kind: ErrorKind,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// Wraps a backend error with the operation and its target.
    pub fn backend(
        operation: &'static str,
        target: impl fmt::Display,
        source: impl Into<BoxError>,
    ) -> Self {
        Self::backend_as(ErrorKind::Backend, operation, target, source)
    }

    /// [`backend`](Self::backend) for a failure whose kind the backend
    /// knows (e.g. [`ErrorKind::Unavailable`] for an unreachable broker).
    pub fn backend_as(
        kind: ErrorKind,
        operation: &'static str,
        target: impl fmt::Display,
        source: impl Into<BoxError>,
    ) -> Self {
        Error::Backend {
            operation,
            target: target.to_string(),
            kind,
            source: source.into(),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidTopicName { .. } | Error::InvalidArgument(_) => {
                ErrorKind::InvalidArgument
            }
            Error::TopicNotFound(_) | Error::PartitionNotFound { .. } | Error::GroupNotFound(_) => {
                ErrorKind::NotFound
            }
            Error::TopicExists(_) => ErrorKind::Conflict,
            Error::Corrupt { .. } => ErrorKind::Corrupt,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::Config(_) => ErrorKind::Config,
            Error::Backend { kind, .. } => *kind,
        }
    }

    /// Whether retrying the same operation may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_storage_errors() {
        assert_eq!(Error::TopicNotFound("t".into()).kind(), ErrorKind::NotFound);
        assert_eq!(Error::TopicExists("t".into()).kind(), ErrorKind::Conflict);
        assert!(Error::InvalidArgument("x".into()).kind().is_usage());
        let io = std::io::Error::other("disk on fire");
        let e = Error::backend("cannot write", "/data/t", io);
        assert_eq!(e.kind(), ErrorKind::Backend);
        assert!(!e.is_retryable());
        assert_eq!(e.to_string(), "cannot write /data/t: disk on fire");
        let e = Error::backend_as(ErrorKind::Unavailable, "connect to", "b:9092", "refused");
        assert!(e.is_retryable());
        assert!(!e.kind().is_usage());
    }
}
