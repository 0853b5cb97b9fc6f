//! The `kafka` section's librdkafka-style keys, resolved into a typed
//! client configuration.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kafi_config::{KafiSettings, StorageConfig};

/// What a cluster storage takes from the `kafi` section when it connects
/// (the rest of the section belongs to the shell above it).
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterOptions {
    /// Attempts of connections and of waits for admin operations to show
    /// (`block.num.retries`, at least 1).
    pub retries: u32,
    /// Pause between those attempts (`block.interval`).
    pub interval: Duration,
    /// `retention.ms` of topics created without one (`retention.ms`).
    pub retention_ms: i64,
}

impl Default for ClusterOptions {
    /// The options of the default `kafi` settings.
    fn default() -> Self {
        Self::from(&KafiSettings::default())
    }
}

impl From<&KafiSettings> for ClusterOptions {
    fn from(settings: &KafiSettings) -> Self {
        Self {
            retries: settings.block_num_retries.max(1),
            interval: Duration::from_secs_f64(settings.block_interval.max(0.0)),
            retention_ms: settings.retention_ms,
        }
    }
}

impl From<KafiSettings> for ClusterOptions {
    fn from(settings: KafiSettings) -> Self {
        Self::from(&settings)
    }
}

use crate::error::Error as KafkaError;

/// Keys of the `kafka` section this client understands.
pub const SUPPORTED_KEYS: &[&str] = &[
    "bootstrap.servers",
    "metadata.broker.list",
    "security.protocol",
    "sasl.mechanisms",
    "sasl.mechanism",
    "sasl.username",
    "sasl.password",
    "ssl.ca.location",
    "ssl.certificate.location",
    "ssl.key.location",
    "client.id",
    "compression.type",
    "compression.codec",
];

/// `security.protocol`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecurityProtocol {
    /// No TLS, no SASL.
    Plaintext,
    /// TLS only.
    Ssl,
    /// SASL without TLS.
    SaslPlaintext,
    /// SASL over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    fn parse(s: &str) -> Result<Self, KafkaError> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Self::Plaintext,
            "SSL" => Self::Ssl,
            "SASL_PLAINTEXT" => Self::SaslPlaintext,
            "SASL_SSL" => Self::SaslSsl,
            other => {
                return Err(KafkaError::Unsupported(format!(
                    "security.protocol {other:?} is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"
                )))
            }
        })
    }

    /// Whether the protocol authenticates with SASL.
    pub fn sasl(self) -> bool {
        matches!(self, Self::SaslPlaintext | Self::SaslSsl)
    }

    /// Whether the protocol uses TLS.
    pub fn tls(self) -> bool {
        matches!(self, Self::Ssl | Self::SaslSsl)
    }
}

/// `sasl.mechanisms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaslMechanism {
    /// PLAIN.
    Plain,
    /// SCRAM-SHA-256.
    ScramSha256,
    /// SCRAM-SHA-512.
    ScramSha512,
}

impl SaslMechanism {
    fn parse(s: &str) -> Result<Self, KafkaError> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "PLAIN" => Self::Plain,
            "SCRAM-SHA-256" => Self::ScramSha256,
            "SCRAM-SHA-512" => Self::ScramSha512,
            other => {
                return Err(KafkaError::Unsupported(format!(
                    "sasl.mechanisms {other:?} is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"
                )))
            }
        })
    }

    /// The name Kafka uses.
    pub fn name(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// `compression.type` of produced batches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// none.
    #[default]
    None,
    /// gzip.
    Gzip,
    /// snappy.
    Snappy,
    /// lz4.
    Lz4,
    /// zstd.
    Zstd,
}

impl Compression {
    fn parse(s: &str) -> Result<Self, KafkaError> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "none" | "" => Self::None,
            "gzip" => Self::Gzip,
            "snappy" => Self::Snappy,
            "lz4" => Self::Lz4,
            "zstd" => Self::Zstd,
            other => {
                return Err(KafkaError::Unsupported(format!(
                    "compression.type {other:?} is not one of none, gzip, snappy, lz4, zstd"
                )))
            }
        })
    }

    /// The codec bits of a record batch's attributes.
    pub fn attribute(self) -> i16 {
        match self {
            Self::None => 0,
            Self::Gzip => 1,
            Self::Snappy => 2,
            Self::Lz4 => 3,
            Self::Zstd => 4,
        }
    }
}

/// A resolved client configuration. `Debug` never shows the password.
#[derive(Clone)]
pub struct ClientConfig {
    /// `bootstrap.servers` split at commas.
    pub bootstrap: Vec<String>,
    /// `bootstrap.servers` as written, user info hidden (for messages).
    pub bootstrap_text: String,
    /// `security.protocol`.
    pub security: SecurityProtocol,
    /// `sasl.mechanisms`.
    pub mechanism: SaslMechanism,
    /// `sasl.username`.
    pub username: Option<String>,
    password: Option<String>,
    /// `ssl.ca.location`.
    pub ca_location: Option<String>,
    /// `ssl.certificate.location`.
    pub certificate_location: Option<String>,
    /// `ssl.key.location`.
    pub key_location: Option<String>,
    /// `client.id`.
    pub client_id: String,
    /// `compression.type`.
    pub compression: Compression,
    /// Connection attempts before giving up (`block.num.retries`, at least 1).
    pub retries: u32,
    /// Pause between attempts (`block.interval`).
    pub interval: Duration,
    /// TLS settings when `security.protocol` uses TLS.
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("bootstrap", &self.bootstrap_text)
            .field("security", &self.security)
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "********"))
            .field("client_id", &self.client_id)
            .field("compression", &self.compression)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// Resolves a storage configuration's `kafka` section, with the retry
    /// budget of its `kafi` settings. Unknown keys are named in one warning.
    pub fn from_storage(config: &StorageConfig) -> Result<Self, kafi_core::Error> {
        let section = config.kafka()?;
        let get = |k: &str| section.get(k).map(str::trim).filter(|v| !v.is_empty());
        let unknown: Vec<&str> = section
            .properties
            .keys()
            .map(String::as_str)
            .filter(|k| !SUPPORTED_KEYS.contains(k))
            .collect();
        if !unknown.is_empty() {
            tracing::warn!(
                "kafka section: kafi does not support these keys and ignores them: {}",
                unknown.join(", ")
            );
        }
        let servers = section.bootstrap_servers().unwrap_or("").trim().to_owned();
        let mut c = Self::plaintext(&servers, &ClusterOptions::from(&config.kafi));
        if c.bootstrap.is_empty() {
            return Err(kafi_core::Error::InvalidArgument(format!(
                "{}: the kafka section needs bootstrap.servers",
                config.origin()
            )));
        }
        c.check_bootstrap()
            .map_err(|e| kafi_core::Error::InvalidArgument(format!("{}: {e}", config.origin())))?;
        if let Some(p) = get("security.protocol") {
            c.security = SecurityProtocol::parse(p)?;
        }
        if let Some(m) = get("sasl.mechanisms").or_else(|| get("sasl.mechanism")) {
            c.mechanism = SaslMechanism::parse(m)?;
        }
        c.username = get("sasl.username").map(str::to_owned);
        c.password = section.get("sasl.password").map(str::to_owned);
        c.ca_location = get("ssl.ca.location").map(str::to_owned);
        c.certificate_location = get("ssl.certificate.location").map(str::to_owned);
        c.key_location = get("ssl.key.location").map(str::to_owned);
        if let Some(id) = get("client.id") {
            c.client_id = id.to_owned();
        }
        if let Some(z) = get("compression.type").or_else(|| get("compression.codec")) {
            c.compression = Compression::parse(z)?;
        }
        if c.security.tls() {
            c.tls = Some(c.tls_config().map_err(|e| {
                kafi_core::Error::InvalidArgument(format!("{}: {e}", config.origin()))
            })?);
        }
        if c.security.sasl() && (c.username.is_none() || c.password.is_none()) {
            return Err(kafi_core::Error::InvalidArgument(format!(
                "{}: security.protocol {:?} needs sasl.username and sasl.password",
                config.origin(),
                c.security
            )));
        }
        Ok(c)
    }

    /// Checks that every bootstrap address is `host:port`. Addresses with
    /// user info (`user:password@`) are refused with the address shown
    /// without it: credentials go to `sasl.username` and `sasl.password`.
    pub(crate) fn check_bootstrap(&self) -> Result<(), String> {
        for address in &self.bootstrap {
            if address.contains('@') {
                return Err(format!(
                    "bootstrap.servers entry {:?} carries user info; Kafka addresses are \
                     host:port: give credentials as sasl.username and sasl.password (with \
                     security.protocol SASL_PLAINTEXT or SASL_SSL)",
                    hide_user_info(address)
                ));
            }
            if !is_host_and_port(address) {
                return Err(format!(
                    "bootstrap.servers entry {address:?} is not host:port (e.g. localhost:9092)"
                ));
            }
        }
        Ok(())
    }

    /// A PLAINTEXT configuration for `servers` (comma-separated).
    pub fn plaintext(servers: &str, options: &ClusterOptions) -> Self {
        Self {
            bootstrap: servers
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            bootstrap_text: kafi_config::redact_user_info(servers).into_owned(),
            security: SecurityProtocol::Plaintext,
            mechanism: SaslMechanism::Plain,
            username: None,
            password: None,
            ca_location: None,
            certificate_location: None,
            key_location: None,
            client_id: "kafi".into(),
            compression: Compression::None,
            retries: options.retries.max(1),
            interval: options.interval,
            tls: None,
        }
    }

    /// Builds the TLS client configuration from `ssl.*` (system-independent
    /// Mozilla roots when `ssl.ca.location` is not set).
    fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let mut roots = rustls::RootCertStore::empty();
        match &self.ca_location {
            Some(ca) => {
                let certs = CertificateDer::pem_file_iter(ca)
                    .map_err(|e| format!("ssl.ca.location {ca}: {e}"))?;
                for cert in certs {
                    let cert = cert.map_err(|e| format!("ssl.ca.location {ca}: {e}"))?;
                    roots
                        .add(cert)
                        .map_err(|e| format!("ssl.ca.location {ca}: {e}"))?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_root_certificates(roots);
        let config = match (&self.certificate_location, &self.key_location) {
            (Some(cert), Some(key)) => {
                let certs = CertificateDer::pem_file_iter(cert)
                    .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| format!("ssl.certificate.location {cert}: {e}"))?;
                let key = PrivateKeyDer::from_pem_file(key)
                    .map_err(|e| format!("ssl.key.location {key}: {e}"))?;
                builder
                    .with_client_auth_cert(certs, key)
                    .map_err(|e| format!("client certificate: {e}"))?
            }
            (None, None) => builder.with_no_client_auth(),
            _ => {
                return Err(
                    "ssl.certificate.location and ssl.key.location must be given together".into(),
                )
            }
        };
        Ok(Arc::new(config))
    }

    /// The SASL password.
    pub(crate) fn password(&self) -> &str {
        self.password.as_deref().unwrap_or("")
    }

    /// The retry deadline: `block.num.retries × block.interval` (at least 1 s).
    pub fn deadline(&self) -> Duration {
        (self.interval * self.retries).max(Duration::from_secs(1))
    }
}

/// Whether `address` is `host:port`: a host name, an IPv4 address or a
/// bracketed IPv6 address, and a port from 1 to 65535.
fn is_host_and_port(address: &str) -> bool {
    let Some((host, port)) = address.rsplit_once(':') else {
        return false;
    };
    let host_ok = match host.strip_prefix('[') {
        Some(v6) => v6
            .strip_suffix(']')
            .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok()),
        None => {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        }
    };
    host_ok && port.parse::<u16>().is_ok_and(|p| p > 0)
}

/// `address` with everything before its last `@` (after a `scheme://`)
/// replaced by [`kafi_config::REDACTED`].
fn hide_user_info(address: &str) -> String {
    match address.rfind('@') {
        None => address.to_owned(),
        Some(at) => {
            let start = address.find("://").map_or(0, |i| i + 3).min(at);
            format!(
                "{}{}{}",
                &address[..start],
                kafi_config::REDACTED,
                &address[at..]
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafi_config::StorageKind;

    fn load(yaml: &str) -> Result<ClientConfig, kafi_core::Error> {
        let env = |name: &str| match name {
            "KAFI_KAFKA_SERVER" => Some("pkc-1.example.cloud:9092".to_owned()),
            "KAFI_KAFKA_USERNAME" => Some("key".to_owned()),
            "KAFI_KAFKA_PASSWORD" => Some("s3cr3t-password".to_owned()),
            _ => None,
        };
        let config =
            StorageConfig::from_yaml_str_with_env(StorageKind::Cluster, "t", yaml, None, &env)?;
        ClientConfig::from_storage(&config)
    }

    #[test]
    fn ccloud_style_config_resolves_without_leaking_the_password() {
        let c = load(
            "kafka:\n  bootstrap.servers: ${KAFI_KAFKA_SERVER}\n  security.protocol: SASL_SSL\n  \
             sasl.mechanisms: PLAIN\n  sasl.username: ${KAFI_KAFKA_USERNAME}\n  \
             sasl.password: ${KAFI_KAFKA_PASSWORD}\n",
        )
        .unwrap();
        assert_eq!(c.bootstrap, vec!["pkc-1.example.cloud:9092"]);
        assert_eq!(c.security, SecurityProtocol::SaslSsl);
        assert_eq!(c.mechanism, SaslMechanism::Plain);
        assert!(c.tls.is_some());
        assert_eq!(c.password(), "s3cr3t-password");
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }

    #[test]
    fn bad_security_settings_are_clear_errors() {
        let e = load("kafka:\n  bootstrap.servers: h:1\n  security.protocol: SSL\n  ssl.ca.location: /nonexistent/ca.pem\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
        let e = load("kafka:\n  bootstrap.servers: h:1\n  sasl.mechanisms: GSSAPI\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("GSSAPI"), "{e}");
        let e = load("kafka:\n  bootstrap.servers: h:1\n  security.protocol: SASL_PLAINTEXT\n  sasl.password: x\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("sasl.username"), "{e}");
        let c = load("kafka:\n  bootstrap.servers: a:1, b:2\n  compression.type: zstd\n").unwrap();
        assert_eq!(c.bootstrap, vec!["a:1", "b:2"]);
        assert_eq!(c.compression, Compression::Zstd);
    }

    #[test]
    fn user_info_in_bootstrap_servers_is_refused_without_showing_it() {
        for servers in [
            "kuser:KPASSWORD@127.0.0.1:1",
            "a:1, kuser:KPASSWORD@b:2",
            "SASL_SSL://kuser:KPASSWORD@b:2",
            "kuser:KP@SS@b:2",
        ] {
            let e = load(&format!("kafka:\n  bootstrap.servers: {servers}\n"))
                .unwrap_err()
                .to_string();
            assert!(!e.contains("KPASSWORD") && !e.contains("kuser"), "{e}");
            assert!(
                e.contains("user info") && e.contains("sasl.username"),
                "{e}"
            );
        }
        for servers in [
            "localhost",
            "h:notaport",
            ":9092",
            "h:0",
            "h:65536",
            "[::1",
            "PLAINTEXT://h:1",
        ] {
            let e = load(&format!("kafka:\n  bootstrap.servers: \"{servers}\"\n"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(&format!("{servers:?} is not host:port")), "{e}");
        }
        for servers in [
            "localhost:9092",
            "10.0.0.1:1, [::1]:65535",
            "my_host-1.example:9093",
        ] {
            load(&format!("kafka:\n  bootstrap.servers: \"{servers}\"\n")).unwrap();
        }
        let c = ClientConfig::plaintext("kuser:KPASSWORD@127.0.0.1:1", &ClusterOptions::default());
        assert!(
            !c.bootstrap_text.contains("KPASSWORD"),
            "{}",
            c.bootstrap_text
        );
        assert!(!format!("{c:?}").contains("KPASSWORD"));
        assert!(c.check_bootstrap().is_err());
    }
}
