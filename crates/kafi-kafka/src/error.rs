//! Errors of the Kafka client, Kafka's error codes by name, and their
//! translation into kafi's errors.

use std::fmt;

use kafi_core::ErrorKind;
use kafka_protocol::error::ResponseError;

/// A Kafka protocol error code, shown by Kafka's name
/// (`UNKNOWN_TOPIC_OR_PARTITION`); the constants name the codes kafi
/// itself acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ErrorCode(pub i16);

impl ErrorCode {
    /// 0: no error.
    pub const NONE: Self = Self(0);
    /// 1: the requested offset is outside the partition's range.
    pub const OFFSET_OUT_OF_RANGE: Self = Self(1);
    /// 3: the topic or partition does not exist on the broker.
    pub const UNKNOWN_TOPIC_OR_PARTITION: Self = Self(3);
    /// 5: the partition has no leader right now.
    pub const LEADER_NOT_AVAILABLE: Self = Self(5);
    /// 6: the broker is no longer the partition's leader.
    pub const NOT_LEADER_OR_FOLLOWER: Self = Self(6);
    /// 7: the request timed out on the broker.
    pub const REQUEST_TIMED_OUT: Self = Self(7);
    /// 13: the broker closed the connection before answering.
    pub const NETWORK_EXCEPTION: Self = Self(13);
    /// 14: the group coordinator is still loading.
    pub const COORDINATOR_LOAD_IN_PROGRESS: Self = Self(14);
    /// 15: no group coordinator is available.
    pub const COORDINATOR_NOT_AVAILABLE: Self = Self(15);
    /// 16: the broker is not the group's coordinator.
    pub const NOT_COORDINATOR: Self = Self(16);
    /// 17: the topic name is invalid.
    pub const INVALID_TOPIC_EXCEPTION: Self = Self(17);
    /// 19: fewer in-sync replicas than `min.insync.replicas`.
    pub const NOT_ENOUGH_REPLICAS: Self = Self(19);
    /// 20: written, but fewer in-sync replicas than required.
    pub const NOT_ENOUGH_REPLICAS_AFTER_APPEND: Self = Self(20);
    /// 22: the group generation is stale (the group rebalanced).
    pub const ILLEGAL_GENERATION: Self = Self(22);
    /// 25: the group does not know this member.
    pub const UNKNOWN_MEMBER_ID: Self = Self(25);
    /// 27: the group is rebalancing; rejoin.
    pub const REBALANCE_IN_PROGRESS: Self = Self(27);
    /// 29: not allowed to access the topic.
    pub const TOPIC_AUTHORIZATION_FAILED: Self = Self(29);
    /// 30: not allowed to access the group.
    pub const GROUP_AUTHORIZATION_FAILED: Self = Self(30);
    /// 31: not allowed to act on the cluster.
    pub const CLUSTER_AUTHORIZATION_FAILED: Self = Self(31);
    /// 33: the broker does not offer the SASL mechanism.
    pub const UNSUPPORTED_SASL_MECHANISM: Self = Self(33);
    /// 35: the broker does not support the request's version.
    pub const UNSUPPORTED_VERSION: Self = Self(35);
    /// 36: the topic exists already.
    pub const TOPIC_ALREADY_EXISTS: Self = Self(36);
    /// 37: the number of partitions is invalid.
    pub const INVALID_PARTITIONS: Self = Self(37);
    /// 38: the replication factor is invalid.
    pub const INVALID_REPLICATION_FACTOR: Self = Self(38);
    /// 40: a configuration entry is invalid.
    pub const INVALID_CONFIG: Self = Self(40);
    /// 41: the broker is not the controller.
    pub const NOT_CONTROLLER: Self = Self(41);
    /// 44: the request breaks a broker policy.
    pub const POLICY_VIOLATION: Self = Self(44);
    /// 51: a concurrent transaction is in progress.
    pub const CONCURRENT_TRANSACTIONS: Self = Self(51);
    /// 56: the broker's log directory is being moved or failed.
    pub const KAFKA_STORAGE_ERROR: Self = Self(56);
    /// 58: SASL authentication failed.
    pub const SASL_AUTHENTICATION_FAILED: Self = Self(58);
    /// 68: the group still has members.
    pub const NON_EMPTY_GROUP: Self = Self(68);
    /// 69: the group does not exist.
    pub const GROUP_ID_NOT_FOUND: Self = Self(69);
    /// 74: the broker's leader epoch is older than the client's.
    pub const FENCED_LEADER_EPOCH: Self = Self(74);
    /// 75: the broker's leader epoch is newer than the client's.
    pub const UNKNOWN_LEADER_EPOCH: Self = Self(75);
    /// 79: the broker assigned a member id; join again with it.
    pub const MEMBER_ID_REQUIRED: Self = Self(79);

    /// Whether the code means success.
    pub fn is_ok(self) -> bool {
        self == Self::NONE
    }

    /// Whether retrying the request may help (connection trouble,
    /// leadership changes, coordinators loading).
    pub fn is_retriable(self) -> bool {
        matches!(
            self,
            Self::LEADER_NOT_AVAILABLE
                | Self::NOT_LEADER_OR_FOLLOWER
                | Self::REQUEST_TIMED_OUT
                | Self::NETWORK_EXCEPTION
                | Self::COORDINATOR_LOAD_IN_PROGRESS
                | Self::COORDINATOR_NOT_AVAILABLE
                | Self::NOT_COORDINATOR
                | Self::NOT_ENOUGH_REPLICAS
                | Self::NOT_ENOUGH_REPLICAS_AFTER_APPEND
                | Self::CONCURRENT_TRANSACTIONS
                | Self::KAFKA_STORAGE_ERROR
                | Self::FENCED_LEADER_EPOCH
                | Self::UNKNOWN_LEADER_EPOCH
        )
    }

    /// What kind of failure the code reports.
    pub fn kind(self) -> ErrorKind {
        match self {
            c if c.is_retriable() => ErrorKind::Unavailable,
            Self::UNKNOWN_TOPIC_OR_PARTITION | Self::GROUP_ID_NOT_FOUND => ErrorKind::NotFound,
            Self::TOPIC_ALREADY_EXISTS | Self::NON_EMPTY_GROUP => ErrorKind::Conflict,
            Self::TOPIC_AUTHORIZATION_FAILED
            | Self::GROUP_AUTHORIZATION_FAILED
            | Self::CLUSTER_AUTHORIZATION_FAILED
            | Self::SASL_AUTHENTICATION_FAILED
            | Self::UNSUPPORTED_SASL_MECHANISM => ErrorKind::Auth,
            Self::INVALID_TOPIC_EXCEPTION
            | Self::INVALID_PARTITIONS
            | Self::INVALID_REPLICATION_FACTOR
            | Self::INVALID_CONFIG
            | Self::POLICY_VIOLATION => ErrorKind::InvalidArgument,
            Self::UNSUPPORTED_VERSION => ErrorKind::Unsupported,
            _ => ErrorKind::Backend,
        }
    }

    /// Kafka's name for the code, e.g. `UNKNOWN_TOPIC_OR_PARTITION`
    /// (`UNKNOWN_CODE_<n>` for a code this build does not know).
    pub fn name(self) -> String {
        match ResponseError::try_from_code(self.0) {
            None => "NONE".to_owned(),
            Some(ResponseError::Unknown(code)) => format!("UNKNOWN_CODE_{code}"),
            Some(e) => screaming(&format!("{e:?}")),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl From<i16> for ErrorCode {
    fn from(code: i16) -> Self {
        Self(code)
    }
}

fn screaming(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 8);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// Errors of the Kafka protocol client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No bootstrap server could be reached within the retry budget.
    #[error(
        "cannot reach the Kafka cluster at {servers} after {attempts} attempt(s) over {seconds:.1} s \
         (block.num.retries × block.interval): {last}"
    )]
    Unreachable {
        /// `bootstrap.servers` as configured.
        servers: String,
        /// Connection attempts made.
        attempts: u32,
        /// Seconds spent.
        seconds: f64,
        /// The last failure.
        last: String,
    },
    /// The broker answered with an error code.
    #[error("{operation}{target}: broker error {code} ({}){message}", code.0)]
    Broker {
        /// What was requested.
        operation: &'static str,
        /// On what (prefixed with a space), may be empty.
        target: String,
        /// Kafka's error code (its `Display` is Kafka's name).
        code: ErrorCode,
        /// The broker's message (prefixed with ": "), may be empty.
        message: String,
    },
    /// SASL authentication failed (never contains the password).
    #[error("SASL {mechanism} authentication as user {user:?} at {broker} failed: {reason}")]
    Authentication {
        /// Mechanism used.
        mechanism: String,
        /// User name.
        user: String,
        /// Broker address.
        broker: String,
        /// The broker's explanation.
        reason: String,
    },
    /// A network failure talking to a broker.
    #[error("broker {broker}: {reason}")]
    Io {
        /// Broker address.
        broker: String,
        /// What failed.
        reason: String,
    },
    /// A response that could not be decoded or made no sense.
    #[error("invalid response from broker {broker} to {operation}: {reason}")]
    Protocol {
        /// Broker address.
        broker: String,
        /// Request.
        operation: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The configuration asks for something this build cannot do, or the
    /// broker does not offer a request kafi needs.
    #[error("{0}")]
    Unsupported(String),
}

impl Error {
    /// A broker error for `code` (non-zero).
    pub(crate) fn broker(
        operation: &'static str,
        target: impl fmt::Display,
        code: impl Into<ErrorCode>,
        message: Option<&str>,
    ) -> Self {
        let target = target.to_string();
        Error::Broker {
            operation,
            target: if target.is_empty() {
                target
            } else {
                format!(" {target}")
            },
            code: code.into(),
            message: match message {
                Some(m) if !m.is_empty() => format!(": {m}"),
                _ => String::new(),
            },
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Unreachable { .. } | Error::Io { .. } => ErrorKind::Unavailable,
            Error::Broker { code, .. } => code.kind(),
            Error::Authentication { .. } => ErrorKind::Auth,
            Error::Protocol { .. } => ErrorKind::Backend,
            Error::Unsupported(_) => ErrorKind::Unsupported,
        }
    }

    /// Whether retrying the request may help (connection trouble,
    /// leadership changes, coordinators loading): the kind is
    /// [`ErrorKind::Unavailable`].
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// The Kafka error code, if the broker sent one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Broker { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Kafka's name for an error code, e.g. `UNKNOWN_TOPIC_OR_PARTITION`.
pub fn code_name(code: i16) -> String {
    ErrorCode(code).name()
}

/// Checks a response error code.
pub(crate) fn check(
    operation: &'static str,
    target: impl fmt::Display,
    code: i16,
    message: Option<&str>,
) -> Result<(), Error> {
    if ErrorCode(code).is_ok() {
        Ok(())
    } else {
        Err(Error::broker(operation, target, code, message))
    }
}

impl From<Error> for kafi_core::Error {
    fn from(e: Error) -> Self {
        kafi_core::Error::backend_as(e.kind(), "request to", "the Kafka cluster", e)
    }
}

/// Translates a broker error into kafi's own error where one fits.
pub(crate) fn to_core(e: Error, topic: Option<&str>, group: Option<&str>) -> kafi_core::Error {
    match (e.code(), topic, group) {
        (Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION), Some(t), _) => {
            kafi_core::Error::TopicNotFound(t.to_owned())
        }
        (Some(ErrorCode::TOPIC_ALREADY_EXISTS), Some(t), _) => {
            kafi_core::Error::TopicExists(t.to_owned())
        }
        (Some(ErrorCode::GROUP_ID_NOT_FOUND), _, Some(g)) => {
            kafi_core::Error::GroupNotFound(g.to_owned())
        }
        _ => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_codes_like_kafka() {
        assert_eq!(code_name(3), "UNKNOWN_TOPIC_OR_PARTITION");
        assert_eq!(code_name(36), "TOPIC_ALREADY_EXISTS");
        assert_eq!(ErrorCode::NONE.to_string(), "NONE");
        assert_eq!(ErrorCode(-999).to_string(), "UNKNOWN_CODE_-999");
        let e = Error::broker("create topic", "t", 36, Some("exists"));
        assert_eq!(
            e.to_string(),
            "create topic t: broker error TOPIC_ALREADY_EXISTS (36): exists"
        );
        assert_eq!(e.code(), Some(ErrorCode::TOPIC_ALREADY_EXISTS));
    }

    #[test]
    fn the_named_constants_are_kafkas_codes() {
        for (code, name) in [
            (ErrorCode::OFFSET_OUT_OF_RANGE, "OFFSET_OUT_OF_RANGE"),
            (
                ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                "UNKNOWN_TOPIC_OR_PARTITION",
            ),
            (ErrorCode::LEADER_NOT_AVAILABLE, "LEADER_NOT_AVAILABLE"),
            (ErrorCode::NOT_LEADER_OR_FOLLOWER, "NOT_LEADER_OR_FOLLOWER"),
            (ErrorCode::REQUEST_TIMED_OUT, "REQUEST_TIMED_OUT"),
            (ErrorCode::NETWORK_EXCEPTION, "NETWORK_EXCEPTION"),
            (
                ErrorCode::COORDINATOR_LOAD_IN_PROGRESS,
                "COORDINATOR_LOAD_IN_PROGRESS",
            ),
            (
                ErrorCode::COORDINATOR_NOT_AVAILABLE,
                "COORDINATOR_NOT_AVAILABLE",
            ),
            (ErrorCode::NOT_COORDINATOR, "NOT_COORDINATOR"),
            (
                ErrorCode::INVALID_TOPIC_EXCEPTION,
                "INVALID_TOPIC_EXCEPTION",
            ),
            (ErrorCode::NOT_ENOUGH_REPLICAS, "NOT_ENOUGH_REPLICAS"),
            (
                ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND,
                "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            ),
            (ErrorCode::ILLEGAL_GENERATION, "ILLEGAL_GENERATION"),
            (ErrorCode::UNKNOWN_MEMBER_ID, "UNKNOWN_MEMBER_ID"),
            (ErrorCode::REBALANCE_IN_PROGRESS, "REBALANCE_IN_PROGRESS"),
            (
                ErrorCode::TOPIC_AUTHORIZATION_FAILED,
                "TOPIC_AUTHORIZATION_FAILED",
            ),
            (
                ErrorCode::GROUP_AUTHORIZATION_FAILED,
                "GROUP_AUTHORIZATION_FAILED",
            ),
            (
                ErrorCode::CLUSTER_AUTHORIZATION_FAILED,
                "CLUSTER_AUTHORIZATION_FAILED",
            ),
            (
                ErrorCode::UNSUPPORTED_SASL_MECHANISM,
                "UNSUPPORTED_SASL_MECHANISM",
            ),
            (ErrorCode::UNSUPPORTED_VERSION, "UNSUPPORTED_VERSION"),
            (ErrorCode::TOPIC_ALREADY_EXISTS, "TOPIC_ALREADY_EXISTS"),
            (ErrorCode::INVALID_PARTITIONS, "INVALID_PARTITIONS"),
            (
                ErrorCode::INVALID_REPLICATION_FACTOR,
                "INVALID_REPLICATION_FACTOR",
            ),
            (ErrorCode::INVALID_CONFIG, "INVALID_CONFIG"),
            (ErrorCode::NOT_CONTROLLER, "NOT_CONTROLLER"),
            (ErrorCode::POLICY_VIOLATION, "POLICY_VIOLATION"),
            (
                ErrorCode::CONCURRENT_TRANSACTIONS,
                "CONCURRENT_TRANSACTIONS",
            ),
            (ErrorCode::KAFKA_STORAGE_ERROR, "KAFKA_STORAGE_ERROR"),
            (
                ErrorCode::SASL_AUTHENTICATION_FAILED,
                "SASL_AUTHENTICATION_FAILED",
            ),
            (ErrorCode::NON_EMPTY_GROUP, "NON_EMPTY_GROUP"),
            (ErrorCode::GROUP_ID_NOT_FOUND, "GROUP_ID_NOT_FOUND"),
            (ErrorCode::FENCED_LEADER_EPOCH, "FENCED_LEADER_EPOCH"),
            (ErrorCode::UNKNOWN_LEADER_EPOCH, "UNKNOWN_LEADER_EPOCH"),
            (ErrorCode::MEMBER_ID_REQUIRED, "MEMBER_ID_REQUIRED"),
        ] {
            assert_eq!(code.to_string(), name, "code {}", code.0);
        }
    }

    #[test]
    fn kinds_and_retries() {
        let broker = |code: ErrorCode| Error::broker("produce", "t", code, None);
        assert!(broker(ErrorCode::NOT_LEADER_OR_FOLLOWER).is_retryable());
        assert_eq!(
            broker(ErrorCode::NOT_LEADER_OR_FOLLOWER).kind(),
            ErrorKind::Unavailable
        );
        assert!(!broker(ErrorCode::TOPIC_ALREADY_EXISTS).is_retryable());
        assert_eq!(
            broker(ErrorCode::TOPIC_AUTHORIZATION_FAILED).kind(),
            ErrorKind::Auth
        );
        assert_eq!(
            broker(ErrorCode::INVALID_CONFIG).kind(),
            ErrorKind::InvalidArgument
        );
        let io = Error::Io {
            broker: "b:9092".into(),
            reason: "reset".into(),
        };
        assert!(io.is_retryable());
        // The kind survives the translation into kafi's storage error.
        let core: kafi_core::Error = io.into();
        assert_eq!(core.kind(), ErrorKind::Unavailable);
        assert!(core.is_retryable());
        let core = to_core(
            broker(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
            Some("t"),
            None,
        );
        assert!(matches!(core, kafi_core::Error::TopicNotFound(ref t) if t == "t"));
    }
}
