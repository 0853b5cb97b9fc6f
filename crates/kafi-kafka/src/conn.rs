//! One connection to one broker: framing (`i32` size + request header +
//! body), version negotiation with ApiVersions, and SASL authentication.
//! Requests on a connection are sequential; callers wanting parallelism open
//! more connections.

use std::collections::HashMap;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, RequestHeader, ResponseHeader, SaslAuthenticateRequest,
    SaslHandshakeRequest,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::config::ClientConfig;
use crate::error::{Error as KafkaError, ErrorCode};

/// A byte stream to a broker (TCP, later TLS).
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> Stream for T {}

/// Timeout of an ordinary request.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The highest version kafi uses per API: versions above these change the
/// message shapes (topic ids, batched groups) in ways kafi does not use.
fn cap(key: i16) -> i16 {
    match ApiKey::try_from(key) {
        Ok(ApiKey::Produce) => 9,
        Ok(ApiKey::Fetch) => 12,
        Ok(ApiKey::ListOffsets) => 7,
        Ok(ApiKey::Metadata) => 12,
        Ok(ApiKey::OffsetCommit) => 8,
        Ok(ApiKey::OffsetFetch) => 7,
        Ok(ApiKey::FindCoordinator) => 3,
        Ok(ApiKey::JoinGroup) => 7,
        Ok(ApiKey::Heartbeat) => 4,
        Ok(ApiKey::LeaveGroup) => 4,
        Ok(ApiKey::SyncGroup) => 5,
        Ok(ApiKey::DescribeGroups) => 5,
        Ok(ApiKey::ListGroups) => 4,
        Ok(ApiKey::SaslHandshake) => 1,
        Ok(ApiKey::ApiVersions) => 3,
        Ok(ApiKey::CreateTopics) => 7,
        Ok(ApiKey::DeleteTopics) => 5,
        Ok(ApiKey::DeleteRecords) => 2,
        Ok(ApiKey::DescribeAcls) => 3,
        Ok(ApiKey::CreateAcls) => 3,
        Ok(ApiKey::DeleteAcls) => 3,
        Ok(ApiKey::DescribeConfigs) => 4,
        Ok(ApiKey::CreatePartitions) => 3,
        Ok(ApiKey::DeleteGroups) => 2,
        Ok(ApiKey::IncrementalAlterConfigs) => 1,
        Ok(ApiKey::SaslAuthenticate) => 2,
        Ok(ApiKey::DescribeCluster) => 1,
        _ => 0,
    }
}

fn api_name(key: i16) -> String {
    ApiKey::try_from(key).map_or_else(|_| format!("API {key}"), |k| format!("{k:?}"))
}

/// A connection to one broker.
pub(crate) struct Connection {
    /// `host:port`.
    pub(crate) addr: String,
    stream: Box<dyn Stream>,
    versions: HashMap<i16, (i16, i16)>,
    correlation: i32,
    client_id: StrBytes,
    out: BytesMut,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects, negotiates versions and authenticates.
    pub(crate) async fn open(
        addr: &str,
        config: &ClientConfig,
        timeout: Duration,
    ) -> Result<Self, KafkaError> {
        let io = |reason: String| KafkaError::Io {
            broker: addr.to_owned(),
            reason,
        };
        let tcp = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| io(format!("connect timed out after {timeout:?}")))?
            .map_err(|e| io(format!("connect: {e}")))?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Stream> = match &config.tls {
            Some(tls) => {
                let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
                let host = host.trim_start_matches('[').trim_end_matches(']');
                let name = rustls_pki_types::ServerName::try_from(host.to_owned())
                    .map_err(|e| io(format!("TLS server name {host:?}: {e}")))?;
                let connector = tokio_rustls::TlsConnector::from(tls.clone());
                let stream = tokio::time::timeout(timeout, connector.connect(name, tcp))
                    .await
                    .map_err(|_| io(format!("TLS handshake timed out after {timeout:?}")))?
                    .map_err(|e| io(format!("TLS handshake: {e}")))?;
                Box::new(stream)
            }
            None if config.security.tls() => {
                return Err(KafkaError::Unsupported(
                    "TLS requested but not configured".into(),
                ))
            }
            None => Box::new(tcp),
        };
        let mut conn = Connection {
            addr: addr.to_owned(),
            stream,
            versions: HashMap::new(),
            correlation: 0,
            client_id: StrBytes::from_string(config.client_id.clone()),
            out: BytesMut::with_capacity(64 * 1024),
        };
        conn.negotiate().await?;
        if config.security.sasl() {
            conn.authenticate(config).await?;
        }
        Ok(conn)
    }

    async fn negotiate(&mut self) -> Result<(), KafkaError> {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("kafi"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let mut response = self.send_v(&request, 3, REQUEST_TIMEOUT).await?;
        if ErrorCode(response.error_code) == ErrorCode::UNSUPPORTED_VERSION {
            // UNSUPPORTED_VERSION: fall back to the version every broker knows.
            response = self
                .send_v(&ApiVersionsRequest::default(), 0, REQUEST_TIMEOUT)
                .await?;
        }
        crate::error::check("ApiVersions", &self.addr, response.error_code, None)?;
        self.versions = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        Ok(())
    }

    async fn authenticate(&mut self, config: &ClientConfig) -> Result<(), KafkaError> {
        let user = config.username.clone().unwrap_or_default();
        let mechanism = config.mechanism.name();
        let broker = self.addr.clone();
        let auth_error = |reason: String| KafkaError::Authentication {
            mechanism: mechanism.to_owned(),
            user: user.clone(),
            broker: broker.clone(),
            reason,
        };
        let handshake = self
            .send(
                &SaslHandshakeRequest::default()
                    .with_mechanism(StrBytes::from_static_str(mechanism)),
            )
            .await?;
        if !ErrorCode(handshake.error_code).is_ok() {
            let offered: Vec<String> = handshake.mechanisms.iter().map(|m| m.to_string()).collect();
            return Err(auth_error(format!(
                "the broker refused the SASL handshake for {mechanism}: {} ({}); it offers: {}",
                ErrorCode(handshake.error_code),
                handshake.error_code,
                if offered.is_empty() {
                    "no mechanism".to_owned()
                } else {
                    offered.join(", ")
                }
            )));
        }
        match config.mechanism {
            crate::config::SaslMechanism::Plain => {
                let mut token = Vec::new();
                token.push(0);
                token.extend_from_slice(user.as_bytes());
                token.push(0);
                token.extend_from_slice(config.password().as_bytes());
                let response = self
                    .send(&SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(token)))
                    .await?;
                if !ErrorCode(response.error_code).is_ok() {
                    return Err(auth_error(format!(
                        "{} ({}){}",
                        ErrorCode(response.error_code),
                        response.error_code,
                        response
                            .error_message
                            .as_ref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    )));
                }
                Ok(())
            }
            scram => {
                let fail = |code: i16, message: Option<&StrBytes>| {
                    format!(
                        "{} ({code}){}",
                        ErrorCode(code),
                        message.map(|m| format!(": {m}")).unwrap_or_default()
                    )
                };
                let (mut exchange, first) = crate::sasl::Scram::start(scram, &user);
                let response = self
                    .send(&SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(first)))
                    .await?;
                if !ErrorCode(response.error_code).is_ok() {
                    return Err(auth_error(fail(
                        response.error_code,
                        response.error_message.as_ref(),
                    )));
                }
                let last = exchange
                    .client_final(&response.auth_bytes, config.password())
                    .map_err(&auth_error)?;
                let response = self
                    .send(&SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(last)))
                    .await?;
                if !ErrorCode(response.error_code).is_ok() {
                    return Err(auth_error(fail(
                        response.error_code,
                        response.error_message.as_ref(),
                    )));
                }
                exchange.verify(&response.auth_bytes).map_err(auth_error)
            }
        }
    }

    /// The version kafi uses for request `R` with this broker.
    pub(crate) fn version<R: Request>(&self) -> Result<i16, KafkaError> {
        let unsupported = || {
            KafkaError::Unsupported(format!(
                "broker {} does not offer {} in a version kafi speaks",
                self.addr,
                api_name(R::KEY)
            ))
        };
        let &(min, max) = self.versions.get(&R::KEY).ok_or_else(unsupported)?;
        let version = max.min(R::VERSIONS.max).min(cap(R::KEY));
        if version < min.max(R::VERSIONS.min) {
            return Err(unsupported());
        }
        Ok(version)
    }

    /// Sends a request with the negotiated version and reads the response.
    pub(crate) async fn send<R: Request>(
        &mut self,
        request: &R,
    ) -> Result<R::Response, KafkaError> {
        let version = self.version::<R>()?;
        self.send_v(request, version, REQUEST_TIMEOUT).await
    }

    /// [`send`](Self::send) with an explicit timeout.
    pub(crate) async fn send_timeout<R: Request>(
        &mut self,
        request: &R,
        timeout: Duration,
    ) -> Result<R::Response, KafkaError> {
        let version = self.version::<R>()?;
        self.send_v(request, version, timeout).await
    }

    /// Sends a request with the given version.
    pub(crate) async fn send_v<R: Request>(
        &mut self,
        request: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<R::Response, KafkaError> {
        let operation = api_name(R::KEY);
        let protocol = |reason: String| KafkaError::Io {
            broker: String::new(),
            reason,
        };
        self.correlation = self.correlation.wrapping_add(1);
        let correlation = self.correlation;
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(correlation)
            .with_client_id(Some(self.client_id.clone()));
        self.out.clear();
        self.out.put_i32(0);
        header
            .encode(&mut self.out, R::header_version(version))
            .map_err(|e| protocol(format!("encoding {operation} header: {e}")))?;
        request
            .encode(&mut self.out, version)
            .map_err(|e| protocol(format!("encoding {operation} v{version}: {e:#}")))?;
        let size = (self.out.len() - 4) as i32;
        self.out[..4].copy_from_slice(&size.to_be_bytes());
        let addr = self.addr.clone();
        let io = |what: &str, e: std::io::Error| KafkaError::Io {
            broker: addr.clone(),
            reason: format!("{what} ({operation}): {e}"),
        };
        let exchange = async {
            self.stream
                .write_all(&self.out)
                .await
                .map_err(|e| io("write", e))?;
            self.stream.flush().await.map_err(|e| io("write", e))?;
            let size = self.stream.read_i32().await.map_err(|e| io("read", e))?;
            if size < 4 {
                return Err(io(
                    "read",
                    std::io::Error::other(format!("invalid frame size {size}")),
                ));
            }
            let mut frame = BytesMut::zeroed(size as usize);
            self.stream
                .read_exact(&mut frame)
                .await
                .map_err(|e| io("read", e))?;
            Ok(frame.freeze())
        };
        let mut frame: Bytes = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| KafkaError::Io {
                broker: self.addr.clone(),
                reason: format!("{operation} timed out after {timeout:?}"),
            })??;
        let bad = |reason: String| KafkaError::Protocol {
            broker: self.addr.clone(),
            operation: "request",
            reason: format!("{operation} v{version}: {reason}"),
        };
        let header = ResponseHeader::decode(&mut frame, R::Response::header_version(version))
            .map_err(|e| bad(format!("response header: {e}")))?;
        if header.correlation_id != correlation {
            return Err(bad(format!(
                "correlation id {} instead of {correlation}",
                header.correlation_id
            )));
        }
        let response =
            R::Response::decode(&mut frame, version).map_err(|e| bad(format!("{e:#}")))?;
        if frame.has_remaining() {
            tracing::trace!(
                operation,
                left = frame.remaining(),
                "response has trailing bytes"
            );
        }
        Ok(response)
    }
}
