//! The rskafka client, which kafi uses for topic and record deletion, with
//! the same retry deadline as kafi's own client.

use std::time::Duration;

use kafi_core::{Error, Result};

use crate::storage::Inner;

impl Inner {
    /// The rskafka client (topic deletion, record deletion), built on first
    /// use with the same retry deadline.
    pub(crate) async fn rskafka(&self) -> Result<&rskafka::client::Client> {
        self.rskafka
            .get_or_try_init(|| async {
                let config = &self.client.config;
                let backoff = rskafka::BackoffConfig {
                    init_backoff: config.interval.max(Duration::from_millis(50)),
                    max_backoff: config.interval.max(Duration::from_millis(50)) * 4,
                    base: 2.0,
                    deadline: Some(self.deadline()),
                };
                let mut builder = rskafka::client::ClientBuilder::new(config.bootstrap.clone())
                    .client_id(config.client_id.clone())
                    .backoff_config(backoff);
                if let Some(tls) = &config.tls {
                    builder = builder.tls_config(tls.clone());
                }
                if config.security.sasl() {
                    use rskafka::client::{Credentials, SaslConfig};
                    let credentials = Credentials::new(
                        config.username.clone().unwrap_or_default(),
                        config.password().to_owned(),
                    );
                    builder = builder.sasl_config(match config.mechanism {
                        crate::config::SaslMechanism::Plain => SaslConfig::Plain(credentials),
                        crate::config::SaslMechanism::ScramSha256 => {
                            SaslConfig::ScramSha256(credentials)
                        }
                        crate::config::SaslMechanism::ScramSha512 => {
                            SaslConfig::ScramSha512(credentials)
                        }
                    });
                }
                builder
                    .build()
                    .await
                    .map_err(|e| rskafka_error("connect", &config.bootstrap_text, e))
            })
            .await
    }
}

/// An rskafka failure as kafi's error; a deadline or a poisoned connection
/// (a broker that drops the request) is said so plainly.
pub(crate) fn rskafka_error(
    operation: &'static str,
    target: &str,
    e: rskafka::client::error::Error,
) -> Error {
    let text = e.to_string();
    let reason = if text.contains("deadline") || text.contains("poisoned") {
        format!(
            "the broker did not complete the request within the retry deadline \
             (block.num.retries × block.interval); the broker may not support it: {text}"
        )
    } else {
        text
    };
    Error::backend(operation, target, reason)
}
