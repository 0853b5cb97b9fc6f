//! Typed Schema Registry errors, keeping the registry's error code and message.

pub use kafi_core::BoxError;
use kafi_core::ErrorKind;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A Schema Registry error. The variants with a Confluent error code carry
/// the server's message as it was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 40401: the subject does not exist.
    #[error("{0} (error 40401)")]
    SubjectNotFound(String),
    /// 40402: the version does not exist.
    #[error("{0} (error 40402)")]
    VersionNotFound(String),
    /// 40403: the schema does not exist.
    #[error("{0} (error 40403)")]
    SchemaNotFound(String),
    /// 40404: the subject was soft-deleted.
    #[error("{0} (error 40404)")]
    SubjectSoftDeleted(String),
    /// 40405: a permanent delete of a subject that was not soft-deleted first.
    #[error("{0} (error 40405)")]
    SubjectNotSoftDeleted(String),
    /// 40406: the version was soft-deleted.
    #[error("{0} (error 40406)")]
    VersionSoftDeleted(String),
    /// 40407: a permanent delete of a version that was not soft-deleted first.
    #[error("{0} (error 40407)")]
    VersionNotSoftDeleted(String),
    /// 42201: the schema does not parse.
    #[error("{0} (error 42201)")]
    InvalidSchema(String),
    /// 42202: an invalid version.
    #[error("{0} (error 42202)")]
    InvalidVersion(String),
    /// 42203: an invalid compatibility level.
    #[error("{0} (error 42203)")]
    InvalidCompatibilityLevel(String),
    /// 409: the schema is incompatible with earlier versions.
    #[error("{0} (error 409)")]
    Incompatible(String),
    /// 401: not authenticated.
    #[error("unauthorized: {0} (HTTP 401; check basic.auth.user.info)")]
    Unauthorized(String),
    /// 403: not allowed.
    #[error("forbidden: {0} (HTTP 403)")]
    Forbidden(String),
    /// Any other error answer.
    #[error("{message} (HTTP {status}, error {code})")]
    Server {
        /// HTTP status.
        status: u16,
        /// The registry's error code.
        code: i32,
        /// The registry's message.
        message: String,
    },
    /// The registry could not be reached.
    #[error(
        "schema registry {} is unreachable: {source}",
        kafi_config::redact_user_info(url)
    )]
    Unreachable {
        /// The registry's URL (shown without user info).
        url: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// An invalid client configuration.
    #[error("invalid schema_registry configuration: {0}")]
    Config(String),
    /// The emulated registry's storage failed.
    #[error("emulated schema registry storage: {0}")]
    Storage(#[source] kafi_core::Error),
}

impl Error {
    /// An error from a Confluent error answer.
    pub fn from_code(status: u16, code: i32, message: String) -> Self {
        match (status, code) {
            (401, _) => Error::Unauthorized(message),
            (403, _) => Error::Forbidden(message),
            (_, 40401) => Error::SubjectNotFound(message),
            (_, 40402) => Error::VersionNotFound(message),
            (_, 40403) => Error::SchemaNotFound(message),
            (_, 40404) => Error::SubjectSoftDeleted(message),
            (_, 40405) => Error::SubjectNotSoftDeleted(message),
            (_, 40406) => Error::VersionSoftDeleted(message),
            (_, 40407) => Error::VersionNotSoftDeleted(message),
            (_, 42201) => Error::InvalidSchema(message),
            (_, 42202) => Error::InvalidVersion(message),
            (_, 42203) => Error::InvalidCompatibilityLevel(message),
            (409, _) | (_, 409) => Error::Incompatible(message),
            (status, code) => Error::Server {
                status,
                code,
                message,
            },
        }
    }

    /// The HTTP status and Confluent error code a server answers with.
    pub fn status_and_code(&self) -> (u16, i32) {
        match self {
            Error::SubjectNotFound(_) => (404, 40401),
            Error::VersionNotFound(_) => (404, 40402),
            Error::SchemaNotFound(_) => (404, 40403),
            Error::SubjectSoftDeleted(_) => (404, 40404),
            Error::SubjectNotSoftDeleted(_) => (404, 40405),
            Error::VersionSoftDeleted(_) => (404, 40406),
            Error::VersionNotSoftDeleted(_) => (404, 40407),
            Error::InvalidSchema(_) => (422, 42201),
            Error::InvalidVersion(_) => (422, 42202),
            Error::InvalidCompatibilityLevel(_) => (422, 42203),
            Error::Incompatible(_) => (409, 409),
            Error::Unauthorized(_) => (401, 401),
            Error::Forbidden(_) => (403, 403),
            Error::Server { status, code, .. } => (*status, *code),
            Error::Unreachable { .. } | Error::Config(_) | Error::Storage(_) => (500, 50001),
        }
    }

    /// The message without the code suffix.
    pub fn message(&self) -> String {
        match self {
            Error::SubjectNotFound(m)
            | Error::VersionNotFound(m)
            | Error::SchemaNotFound(m)
            | Error::SubjectSoftDeleted(m)
            | Error::SubjectNotSoftDeleted(m)
            | Error::VersionSoftDeleted(m)
            | Error::VersionNotSoftDeleted(m)
            | Error::InvalidSchema(m)
            | Error::InvalidVersion(m)
            | Error::InvalidCompatibilityLevel(m)
            | Error::Incompatible(m)
            | Error::Unauthorized(m)
            | Error::Forbidden(m) => m.clone(),
            Error::Server { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// What kind of failure this is (Confluent's codes by their meaning:
    /// 404xx not found, 409 and the deletes out of order a conflict, 42201
    /// invalid data, 42202/42203 invalid arguments, 401/403 auth).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::SubjectNotFound(_)
            | Error::VersionNotFound(_)
            | Error::SchemaNotFound(_)
            | Error::SubjectSoftDeleted(_)
            | Error::VersionSoftDeleted(_) => ErrorKind::NotFound,
            Error::SubjectNotSoftDeleted(_)
            | Error::VersionNotSoftDeleted(_)
            | Error::Incompatible(_) => ErrorKind::Conflict,
            Error::InvalidSchema(_) => ErrorKind::InvalidData,
            Error::InvalidVersion(_) | Error::InvalidCompatibilityLevel(_) => {
                ErrorKind::InvalidArgument
            }
            Error::Unauthorized(_) | Error::Forbidden(_) => ErrorKind::Auth,
            Error::Server { status, .. } if *status >= 500 => ErrorKind::Unavailable,
            Error::Server { status: 404, .. } => ErrorKind::NotFound,
            Error::Server { .. } => ErrorKind::Backend,
            Error::Unreachable { .. } => ErrorKind::Unavailable,
            Error::Config(_) => ErrorKind::Config,
            Error::Storage(e) => e.kind(),
        }
    }

    /// Whether retrying may help (unreachable, 5xx).
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }
}
