//! The errors of this crate.

use kafi_config::SerdeType;
pub use kafi_core::BoxError;
use kafi_core::ErrorKind;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error while decoding or encoding a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A stored key or value could not be decoded with its type.
    #[error(
        "cannot decode {field} of {topic} partition {partition} offset {offset} as {serde_type}: {reason}"
    )]
    Decode {
        /// Topic of the message.
        topic: String,
        /// Partition of the message.
        partition: i32,
        /// Offset of the message.
        offset: i64,
        /// `"key"` or `"value"`.
        field: &'static str,
        /// The type it was decoded as.
        serde_type: SerdeType,
        /// What is wrong.
        reason: String,
    },
    /// A key or value could not be encoded with its type.
    #[error("cannot encode {field} as {serde_type}: {reason}")]
    Encode {
        /// `"key"` or `"value"`.
        field: &'static str,
        /// The type it was encoded as.
        serde_type: SerdeType,
        /// What is wrong.
        reason: String,
    },
    /// A message in its JSON form (an envelope line or a transformed JSON
    /// object) is malformed; `reason` names the field and the problem.
    #[error("invalid message envelope: {reason}")]
    Envelope {
        /// Which field is wrong and why.
        reason: String,
    },
    /// A schema registry type was used without a schema registry.
    #[error("the {serde_type} type needs a schema registry: configure the schema_registry section (schema.registry.url, or emulated: true)")]
    Unsupported {
        /// The requested type.
        serde_type: SerdeType,
    },
    /// A schema given for producing does not parse.
    #[error("invalid {serde_type} schema for the {field}: {reason}")]
    InvalidSchema {
        /// `"key"` or `"value"`.
        field: &'static str,
        /// The type.
        serde_type: SerdeType,
        /// What is wrong.
        reason: String,
    },
    /// The schema registry has no schema with this id.
    #[error("schema {id} not found in the schema registry")]
    SchemaNotFound {
        /// The schema id.
        id: i32,
    },
    /// The schema registry (or its emulation) failed while doing `operation`.
    #[error("schema registry: {operation}: {source}")]
    Registry {
        /// What was being done (e.g. "register subject topic-value").
        operation: String,
        /// What kind of failure the registry reported.
        kind: ErrorKind,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// What kind of failure this is: a key, value, envelope or schema that
    /// does not fit is [`ErrorKind::InvalidData`], a missing schema id
    /// [`ErrorKind::NotFound`], a schema type without a registry
    /// [`ErrorKind::Config`]; a registry failure is of the kind the
    /// registry reported.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Decode { .. }
            | Error::Encode { .. }
            | Error::Envelope { .. }
            | Error::InvalidSchema { .. } => ErrorKind::InvalidData,
            Error::Unsupported { .. } => ErrorKind::Config,
            Error::SchemaNotFound { .. } => ErrorKind::NotFound,
            Error::Registry { kind, .. } => *kind,
        }
    }

    /// Whether retrying may help (a registry that was unreachable).
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// Wraps a schema registry failure of `kind` with the operation that
    /// failed.
    pub fn registry(
        operation: impl Into<String>,
        kind: ErrorKind,
        source: impl Into<BoxError>,
    ) -> Self {
        Error::Registry {
            operation: operation.into(),
            kind,
            source: source.into(),
        }
    }

    pub(crate) fn envelope(field: &str, reason: impl std::fmt::Display) -> Self {
        Error::Envelope {
            reason: format!("{field}: {reason}"),
        }
    }
}
