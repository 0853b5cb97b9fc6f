//! The error type of this crate.

use std::path::PathBuf;

use kafi_core::{ErrorKind, StorageKind};

/// Shorthand for results whose error is this crate's [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Label used in error messages for configurations that did not come from a file.
pub const INLINE_LABEL: &str = "inline config";

/// Label used in error messages for settings changed at run time.
pub const RUNTIME_LABEL: &str = "kafi settings";

/// Everything that can go wrong while locating, reading and validating a
/// storage configuration.
///
/// Every message names the file (or [`INLINE_LABEL`]) and, where there is
/// one, the dotted key (`section.key`). Values of secret keys (see
/// [`is_secret_key`](crate::is_secret_key)) never appear in a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No configuration file with that name exists.
    #[error(
        "no {kind} configuration named `{name}` found (searched: {})",
        display_paths(searched)
    )]
    NotFound {
        /// The storage kind that was requested.
        kind: StorageKind,
        /// The configuration name that was requested.
        name: String,
        /// Every path that was looked at, in search order.
        searched: Vec<PathBuf>,
    },

    /// The configuration path names a directory (or another non-file).
    #[error("configuration path {} is a directory, not a YAML file", path.display())]
    NotAFile {
        /// The path that was found.
        path: PathBuf,
    },

    /// A configuration file exists but could not be read.
    #[error("cannot read configuration file {}", path.display())]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// The text is not valid YAML.
    #[error("invalid YAML in {file}: {message}")]
    Yaml {
        /// The file (or [`INLINE_LABEL`]).
        file: String,
        /// The parser's message, including line and column when known.
        message: String,
    },

    /// A `${VAR}` reference names an unset environment variable and has no default.
    #[error("environment variable {variable} is not set (used by `{key}` in {file})")]
    UnsetVariable {
        /// The variable name.
        variable: String,
        /// The file (or [`INLINE_LABEL`]).
        file: String,
        /// The dotted key whose value contains the reference.
        key: String,
    },

    /// A `${...}` reference is malformed (unterminated or a bad variable name).
    #[error("invalid variable reference in `{key}` in {file}: {message}")]
    InvalidSubstitution {
        /// The file (or [`INLINE_LABEL`]).
        file: String,
        /// The dotted key whose value contains the reference.
        key: String,
        /// What is wrong with it.
        message: String,
    },

    /// A top-level section is unknown or belongs to another storage kind.
    #[error(
        "unknown section `{section}` in {file} (expected one of: {})",
        expected.join(", ")
    )]
    UnknownSection {
        /// The file (or [`INLINE_LABEL`]).
        file: String,
        /// The offending section name.
        section: String,
        /// The sections allowed at this place.
        expected: Vec<&'static str>,
    },

    /// A mandatory section is absent (or an optional one was asked for but is absent).
    #[error("missing section `{section}` in {file}")]
    MissingSection {
        /// The file (or [`INLINE_LABEL`]).
        file: String,
        /// The missing section.
        section: &'static str,
    },

    /// A mandatory key is absent.
    #[error("missing required key `{key}` in {file}")]
    MissingKey {
        /// The file (or [`INLINE_LABEL`]).
        file: String,
        /// The dotted key.
        key: String,
    },

    /// A value has the wrong type or is out of range.
    #[error("invalid value {value} for `{key}` in {file}: expected {expected}")]
    InvalidValue {
        /// The file (or [`INLINE_LABEL`], or [`RUNTIME_LABEL`]).
        file: String,
        /// The dotted key.
        key: String,
        /// The offending value, quoted, or `"********"` for secret keys, or a
        /// description such as `<a map>` for non-scalars.
        value: String,
        /// What was expected, e.g. `a positive integer`.
        expected: &'static str,
    },

    /// A key is not known in a section whose keys are fixed (everything but `kafka`
    /// and `schema_registry`).
    #[error("unknown key `{key}` in {file}")]
    UnknownKey {
        /// The file (or [`INLINE_LABEL`], or [`RUNTIME_LABEL`]).
        file: String,
        /// The dotted key.
        key: String,
    },
}

fn display_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "nothing".to_owned();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Error {
    /// What kind of failure this is: always [`ErrorKind::Config`], a
    /// configuration that is missing, unreadable or invalid.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Config
    }

    /// Whether retrying may help: never, the file must change first.
    pub fn is_retryable(&self) -> bool {
        false
    }

    /// Builds an [`Error::InvalidValue`], hiding the value if `key` is
    /// secret and the user info of URLs and addresses in any value.
    pub(crate) fn invalid(
        file: &str,
        key: impl Into<String>,
        value: &str,
        expected: &'static str,
    ) -> Self {
        let key = key.into();
        let value = if crate::is_secret_key(&key) {
            format!("\"{}\"", crate::REDACTED)
        } else {
            format!("{:?}", crate::redact_user_info(value))
        };
        Error::InvalidValue {
            file: file.to_owned(),
            key,
            value,
            expected,
        }
    }

    /// Builds an [`Error::InvalidValue`] for a non-scalar value described by `what`.
    pub(crate) fn invalid_shape(
        file: &str,
        key: impl Into<String>,
        what: &str,
        expected: &'static str,
    ) -> Self {
        Error::InvalidValue {
            file: file.to_owned(),
            key: key.into(),
            value: what.to_owned(),
            expected,
        }
    }
}

/// A configuration error met by a storage becomes the storage's
/// [`kafi_core::Error::Config`] (kind [`ErrorKind::Config`]), keeping this
/// error as its source.
impl From<Error> for kafi_core::Error {
    fn from(e: Error) -> Self {
        kafi_core::Error::Config(Box::new(e))
    }
}
