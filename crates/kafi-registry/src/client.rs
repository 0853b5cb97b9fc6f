//! The Confluent Schema Registry REST client.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use kafi_config::{redact_user_info, SchemaRegistrySection, REDACTED};
use kafi_serde::{
    Compatibility, RegisteredSchema, Schema, SchemaInfo, SchemaReference, SchemaType,
    SubjectFilter, SubjectVersion,
};
use reqwest::{Method, StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{Error, Result, SchemaRegistry};

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// How to reach a registry.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct ClientConfig {
    /// `schema.registry.url`; its user info, if any, authenticates when
    /// `user_info` is not set, and is never shown.
    pub url: String,
    /// `user:password` from `basic.auth.user.info` (with
    /// `basic.auth.credentials.source: USER_INFO`); `None` with source `URL`.
    pub user_info: Option<String>,
    /// A PEM CA certificate file (`ssl.ca.location`).
    pub ca_location: Option<String>,
    /// How long one request may take (`timeout`, in seconds as in
    /// Confluent's Python client; default [`DEFAULT_TIMEOUT`]); connecting
    /// gives up after at most 10 seconds.
    pub timeout: Option<Duration>,
}

/// The default request timeout: an unreachable or hanging registry is an
/// error, not a hang.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("url", &redact_user_info(&self.url))
            .field("user_info", &self.user_info.as_ref().map(|_| REDACTED))
            .field("ca_location", &self.ca_location)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ClientConfig {
    /// A config for `url` without authentication.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }

    /// From a storage config's `schema_registry` section.
    pub fn from_section(section: &SchemaRegistrySection) -> Result<Self> {
        let url = section
            .url
            .clone()
            .ok_or_else(|| Error::Config("schema.registry.url is missing".into()))?;
        let source = section.basic_auth_credentials_source.as_deref();
        let user_info = match (source, &section.basic_auth_user_info) {
            (Some(s), Some(info)) if s.eq_ignore_ascii_case("USER_INFO") => Some(info.clone()),
            (None, Some(info)) => Some(info.clone()),
            // The user info of the URL authenticates (see `RegistryClient::new`).
            (Some(s), _) if s.eq_ignore_ascii_case("URL") => {
                if !kafi_config::has_user_info(&url) {
                    return Err(Error::Config(
                        "basic.auth.credentials.source is URL but schema.registry.url has no \
                         user info (http://user:password@host)"
                            .into(),
                    ));
                }
                None
            }
            (Some(s), _) if !s.eq_ignore_ascii_case("USER_INFO") => {
                return Err(Error::Config(format!(
                    "basic.auth.credentials.source {s:?} is not supported (only USER_INFO or URL)"
                )))
            }
            (Some(_), None) => return Err(Error::Config(
                "basic.auth.credentials.source is USER_INFO but basic.auth.user.info is missing"
                    .into(),
            )),
            _ => None,
        };
        let timeout = match section.extra.get("timeout") {
            None => None,
            Some(t) => match t.trim().parse::<f64>() {
                Ok(secs) if secs > 0.0 && secs.is_finite() => Some(Duration::from_secs_f64(secs)),
                _ => {
                    return Err(Error::Config(format!(
                        "timeout {t:?} is not a positive number of seconds"
                    )))
                }
            },
        };
        Ok(Self {
            url,
            user_info,
            ca_location: section.extra.get("ssl.ca.location").cloned(),
            timeout,
        })
    }
}

/// (subject, schema type, schema text) of a registered schema.
type RegisteredKey = (String, SchemaType, String);

/// The REST client, with id → schema and (subject, schema) → id caches.
#[derive(Clone)]
pub struct RegistryClient {
    http: reqwest::Client,
    base: Url,
    auth: Option<BasicAuth>,
    by_id: Arc<RwLock<HashMap<i32, Schema>>>,
    registered: Arc<RwLock<HashMap<RegisteredKey, i32>>>,
}

impl fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryClient")
            .field("url", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SchemaBody<'a> {
    schema: &'a str,
    schema_type: SchemaType,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [SchemaReference],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaAnswer {
    schema: String,
    #[serde(default)]
    schema_type: Option<SchemaType>,
    #[serde(default)]
    references: Option<Vec<SchemaReference>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionAnswer {
    subject: String,
    version: i32,
    id: i32,
    schema: String,
    #[serde(default)]
    schema_type: Option<SchemaType>,
    #[serde(default)]
    references: Option<Vec<SchemaReference>>,
}

impl From<VersionAnswer> for RegisteredSchema {
    fn from(a: VersionAnswer) -> Self {
        RegisteredSchema {
            schema_id: a.id,
            schema: SchemaInfo {
                schema_str: a.schema,
                schema_type: a.schema_type.unwrap_or_default(),
                references: a.references.unwrap_or_default(),
            },
            subject: a.subject,
            version: a.version,
        }
    }
}

impl RegistryClient {
    /// A client for `config`.
    ///
    /// User info in the URL (`http://user:password@host`) is taken out of
    /// it: it authenticates requests unless `user_info` is set, and the
    /// URL kept for requests, messages and `Debug` has none.
    pub fn new(config: &ClientConfig) -> Result<Self> {
        let (mut base, url_auth) = parse_base(&config.url)?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let timeout = config.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("kafi/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)));
        if let Some(ca) = &config.ca_location {
            let pem = std::fs::read(ca)
                .map_err(|e| Error::Config(format!("ssl.ca.location {ca}: {e}")))?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .map_err(|e| Error::Config(format!("ssl.ca.location {ca}: {e}")))?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder.build().map_err(|e| Error::Config(e.to_string()))?;
        let auth = config
            .user_info
            .as_ref()
            .map(|info| match info.split_once(':') {
                Some((u, p)) => (u.to_owned(), Some(p.to_owned())),
                None => (info.clone(), None),
            })
            .or(url_auth);
        Ok(Self {
            http,
            base,
            auth,
            by_id: Default::default(),
            registered: Default::default(),
        })
    }

    /// A client from a storage config's `schema_registry` section.
    pub fn from_section(section: &SchemaRegistrySection) -> Result<Self> {
        Self::new(&ClientConfig::from_section(section)?)
    }

    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        {
            let mut path = url.path_segments_mut().expect("http urls have paths");
            path.pop_if_empty();
            for s in segments {
                path.push(s);
            }
        }
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        url
    }

    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        method: Method,
        url: Url,
        body: Option<Value>,
    ) -> Result<T> {
        let mut request = self
            .http
            .request(method, url.clone())
            .header("Accept", CONTENT_TYPE);
        if let Some((user, password)) = &self.auth {
            request = request.basic_auth(user, password.as_deref());
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", CONTENT_TYPE)
                .body(body.to_string());
        }
        let unreachable = |e: reqwest::Error| Error::Unreachable {
            url: self.base.to_string(),
            source: Box::new(e),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let text = response.text().await.map_err(unreachable)?;
        if !status.is_success() {
            #[derive(Deserialize)]
            struct ErrorBody {
                error_code: i32,
                message: String,
            }
            return Err(match serde_json::from_str::<ErrorBody>(&text) {
                Ok(e) => Error::from_code(status.as_u16(), e.error_code, e.message),
                Err(_) => Error::from_code(
                    status.as_u16(),
                    i32::from(status.as_u16()),
                    match status {
                        StatusCode::UNAUTHORIZED => "authentication failed".to_owned(),
                        _ if text.trim().is_empty() => status.to_string(),
                        _ => text.trim().chars().take(300).collect(),
                    },
                ),
            });
        }
        serde_json::from_str(&text).map_err(|e| Error::Server {
            status: status.as_u16(),
            code: 50001,
            message: format!("unexpected answer from {url}: {e}"),
        })
    }

    fn body(schema: &Schema) -> Value {
        serde_json::to_value(SchemaBody {
            schema: &schema.schema,
            schema_type: schema.schema_type,
            references: &schema.references,
        })
        .unwrap_or(Value::Null)
    }
}

/// A user name and an optional password for basic authentication.
type BasicAuth = (String, Option<String>);

/// Parses `schema.registry.url` and moves its user info out of it.
fn parse_base(url: &str) -> Result<(Url, Option<BasicAuth>)> {
    let invalid = |reason: String| {
        Error::Config(format!(
            "schema.registry.url {:?}: {reason}",
            redact_user_info(url)
        ))
    };
    let mut base = Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    if !matches!(base.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "the scheme must be http or https, not {:?}",
            base.scheme()
        )));
    }
    if base.username().is_empty() && base.password().is_none() {
        return Ok((base, None));
    }
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| invalid("the user info is not UTF-8 once percent-decoded".into()))
    };
    let user = decode(base.username())?;
    let password = base.password().map(decode).transpose()?;
    // Cannot fail for http(s) URLs, which have a host.
    let _ = base.set_username("");
    let _ = base.set_password(None);
    Ok((base, Some((user, password))))
}

fn flag(b: bool) -> String {
    b.to_string()
}

#[async_trait]
impl SchemaRegistry for RegistryClient {
    async fn get_subjects(
        &self,
        prefix: Option<&str>,
        filter: SubjectFilter,
    ) -> Result<Vec<String>> {
        let mut query = Vec::new();
        match filter {
            SubjectFilter::Live => {}
            SubjectFilter::WithDeleted => query.push(("deleted", flag(true))),
            SubjectFilter::OnlyDeleted => query.push(("deletedOnly", flag(true))),
        }
        if let Some(p) = prefix {
            query.push(("subjectPrefix", p.to_owned()));
        }
        let mut subjects: Vec<String> = self
            .call(Method::GET, self.url(&["subjects"], &query), None)
            .await?;
        if let Some(p) = prefix {
            subjects.retain(|s| s.starts_with(p));
        }
        subjects.sort();
        Ok(subjects)
    }

    async fn register_schema(&self, subject: &str, schema: &Schema) -> Result<i32> {
        let key = (
            subject.to_owned(),
            schema.schema_type,
            schema.schema.clone(),
        );
        if let Some(id) = self
            .registered
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(*id);
        }
        #[derive(Deserialize)]
        struct Id {
            id: i32,
        }
        let answer: Id = self
            .call(
                Method::POST,
                self.url(&["subjects", subject, "versions"], &[]),
                Some(Self::body(schema)),
            )
            .await?;
        self.registered
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, answer.id);
        self.by_id
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(answer.id, schema.clone());
        Ok(answer.id)
    }

    async fn lookup_schema(
        &self,
        subject: &str,
        schema: &Schema,
        deleted: bool,
    ) -> Result<RegisteredSchema> {
        let answer: VersionAnswer = self
            .call(
                Method::POST,
                self.url(&["subjects", subject], &[("deleted", flag(deleted))]),
                Some(Self::body(schema)),
            )
            .await?;
        Ok(answer.into())
    }

    async fn get_schema(&self, id: i32) -> Result<Schema> {
        if let Some(s) = self
            .by_id
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            return Ok(s.clone());
        }
        let answer: SchemaAnswer = self
            .call(
                Method::GET,
                self.url(&["schemas", "ids", &id.to_string()], &[]),
                None,
            )
            .await?;
        let schema = Schema {
            schema_type: answer.schema_type.unwrap_or_default(),
            schema: answer.schema,
            references: answer.references.unwrap_or_default(),
        };
        self.by_id
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, schema.clone());
        Ok(schema)
    }

    async fn get_schema_versions(&self, id: i32) -> Result<Vec<SubjectVersion>> {
        self.call(
            Method::GET,
            self.url(&["schemas", "ids", &id.to_string(), "versions"], &[]),
            None,
        )
        .await
    }

    async fn get_latest_version(&self, subject: &str) -> Result<RegisteredSchema> {
        let answer: VersionAnswer = self
            .call(
                Method::GET,
                self.url(&["subjects", subject, "versions", "latest"], &[]),
                None,
            )
            .await?;
        Ok(answer.into())
    }

    async fn get_version(
        &self,
        subject: &str,
        version: i32,
        deleted: bool,
    ) -> Result<RegisteredSchema> {
        let answer: VersionAnswer = self
            .call(
                Method::GET,
                self.url(
                    &["subjects", subject, "versions", &version.to_string()],
                    &[("deleted", flag(deleted))],
                ),
                None,
            )
            .await?;
        Ok(answer.into())
    }

    async fn get_versions(&self, subject: &str, deleted: bool) -> Result<Vec<i32>> {
        self.call(
            Method::GET,
            self.url(
                &["subjects", subject, "versions"],
                &[("deleted", flag(deleted))],
            ),
            None,
        )
        .await
    }

    async fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>> {
        self.registered
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k, _| k.0 != subject);
        self.call(
            Method::DELETE,
            self.url(&["subjects", subject], &[("permanent", flag(permanent))]),
            None,
        )
        .await
    }

    async fn delete_version(&self, subject: &str, version: i32, permanent: bool) -> Result<i32> {
        self.registered
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k, _| k.0 != subject);
        self.call(
            Method::DELETE,
            self.url(
                &["subjects", subject, "versions", &version.to_string()],
                &[("permanent", flag(permanent))],
            ),
            None,
        )
        .await
    }

    async fn get_compatibility(&self, subject: Option<&str>) -> Result<Compatibility> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Level {
            compatibility_level: Compatibility,
        }
        let url = match subject {
            Some(s) => self.url(&["config", s], &[("defaultToGlobal", flag(true))]),
            None => self.url(&["config"], &[]),
        };
        let level: Level = self.call(Method::GET, url, None).await?;
        Ok(level.compatibility_level)
    }

    async fn set_compatibility(
        &self,
        subject: Option<&str>,
        level: Compatibility,
    ) -> Result<Compatibility> {
        #[derive(Deserialize)]
        struct Level {
            compatibility: Compatibility,
        }
        let url = match subject {
            Some(s) => self.url(&["config", s], &[]),
            None => self.url(&["config"], &[]),
        };
        let answer: Level = self
            .call(Method::PUT, url, Some(json!({"compatibility": level})))
            .await?;
        Ok(answer.compatibility)
    }

    async fn test_compatibility(
        &self,
        subject: &str,
        schema: &Schema,
        version: Option<i32>,
    ) -> Result<bool> {
        #[derive(Deserialize)]
        struct Answer {
            is_compatible: bool,
        }
        let version = version.map(|v| {
            if v == -1 {
                "latest".to_owned()
            } else {
                v.to_string()
            }
        });
        let url = match &version {
            Some(v) => self.url(&["compatibility", "subjects", subject, "versions", v], &[]),
            None => self.url(&["compatibility", "subjects", subject, "versions"], &[]),
        };
        let answer: Answer = self
            .call(Method::POST, url, Some(Self::body(schema)))
            .await?;
        Ok(answer.is_compatible)
    }
}
