//! Errors shared by every storage.

use std::fmt;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed error from a backend library (opendal, rskafka, ...).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

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
    /// A configuration error.
    #[error(transparent)]
    Config(#[from] kafi_config::Error),
    /// An I/O or backend failure while doing `operation` on `target`.
    #[error("{operation} {target}: {source}")]
    Backend {
        /// What was being done (e.g. "write segment").
        operation: &'static str,
        /// Path, topic or address it was done on.
        target: String,
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
        Error::Backend {
            operation,
            target: target.to_string(),
            source: source.into(),
        }
    }
}
