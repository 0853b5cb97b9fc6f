//! Errors of the Kafka client and their translation into kafi's errors.

use kafka_protocol::error::ResponseError;

/// Errors of the Kafka protocol client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KafkaError {
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
    #[error("{operation}{target}: broker error {name} ({code}){message}")]
    Broker {
        /// What was requested.
        operation: &'static str,
        /// On what (prefixed with a space), may be empty.
        target: String,
        /// Kafka error code.
        code: i16,
        /// Kafka's name for the code.
        name: String,
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
    /// The configuration asks for something this build cannot do.
    #[error("{0}")]
    Unsupported(String),
}

impl KafkaError {
    /// A broker error for `code` (non-zero).
    pub(crate) fn broker(
        operation: &'static str,
        target: impl std::fmt::Display,
        code: i16,
        message: Option<&str>,
    ) -> Self {
        let target = target.to_string();
        KafkaError::Broker {
            operation,
            target: if target.is_empty() {
                target
            } else {
                format!(" {target}")
            },
            code,
            name: code_name(code),
            message: match message {
                Some(m) if !m.is_empty() => format!(": {m}"),
                _ => String::new(),
            },
        }
    }

    /// Whether retrying the request may help (connection trouble, leadership
    /// changes, coordinators loading).
    pub(crate) fn is_retriable(&self) -> bool {
        match self {
            KafkaError::Io { .. } => true,
            KafkaError::Broker { code, .. } => matches!(
                code,
                5 | 6 | 7 | 13 | 14 | 15 | 16 | 19 | 20 | 51 | 56 | 74 | 75
            ),
            _ => false,
        }
    }

    /// The Kafka error code, if the broker sent one.
    pub fn code(&self) -> Option<i16> {
        match self {
            KafkaError::Broker { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Kafka's name for an error code, e.g. `UNKNOWN_TOPIC_OR_PARTITION`.
pub fn code_name(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        Some(e) => screaming(&format!("{e:?}")),
        None => format!("UNKNOWN_CODE_{code}"),
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

/// Checks a response error code.
pub(crate) fn check(
    operation: &'static str,
    target: impl std::fmt::Display,
    code: i16,
    message: Option<&str>,
) -> Result<(), KafkaError> {
    if code == 0 {
        Ok(())
    } else {
        Err(KafkaError::broker(operation, target, code, message))
    }
}

impl From<KafkaError> for kafi_core::Error {
    fn from(e: KafkaError) -> Self {
        kafi_core::Error::backend("request to", "the Kafka cluster", e)
    }
}

/// Translates a broker error into kafi's own error where one fits.
pub(crate) fn to_core(e: KafkaError, topic: Option<&str>, group: Option<&str>) -> kafi_core::Error {
    match (e.code(), topic, group) {
        (Some(3), Some(t), _) => kafi_core::Error::TopicNotFound(t.to_owned()),
        (Some(36), Some(t), _) => kafi_core::Error::TopicExists(t.to_owned()),
        (Some(69), _, Some(g)) => kafi_core::Error::GroupNotFound(g.to_owned()),
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
        let e = KafkaError::broker("create topic", "t", 36, Some("exists"));
        assert_eq!(
            e.to_string(),
            "create topic t: broker error TOPIC_ALREADY_EXISTS (36): exists"
        );
    }
}
