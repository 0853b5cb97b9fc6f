//! The storage-specific sections and the `schema_registry` section.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde_yaml::{Mapping, Value};

use crate::error::{Error, Result};
use crate::{is_secret_key, redact_user_info, REDACTED};

/// The `local` section: Kafka emulated on the local file system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalSection {
    /// `root.dir` (`.`): the directory holding the emulated topics.
    pub root_dir: String,
}

impl Default for LocalSection {
    fn default() -> Self {
        LocalSection {
            root_dir: ".".to_owned(),
        }
    }
}

/// The `s3` section: Kafka emulated on S3-compatible object storage.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Section {
    /// `endpoint`, e.g. `http://localhost:9000` for MinIO; `None` = AWS.
    pub endpoint: Option<String>,
    /// `access.key` (secret).
    pub access_key: Option<String>,
    /// `secret.key` (secret).
    pub secret_key: Option<String>,
    /// `bucket.name` (`test`).
    pub bucket_name: String,
    /// `root.dir` (`""`): prefix inside the bucket.
    pub root_dir: String,
    /// `region`.
    pub region: Option<String>,
}

impl Default for S3Section {
    fn default() -> Self {
        S3Section {
            endpoint: None,
            access_key: None,
            secret_key: None,
            bucket_name: "test".to_owned(),
            root_dir: String::new(),
            region: None,
        }
    }
}

/// The `azure_blob` section: Kafka emulated on Azure Blob Storage.
#[derive(Clone, PartialEq, Eq)]
pub struct AzureBlobSection {
    /// `connection.string` (secret).
    pub connection_string: Option<String>,
    /// `container.name` (`test`).
    pub container_name: String,
    /// `root.dir` (`""`): prefix inside the container.
    pub root_dir: String,
}

impl Default for AzureBlobSection {
    fn default() -> Self {
        AzureBlobSection {
            connection_string: None,
            container_name: "test".to_owned(),
            root_dir: String::new(),
        }
    }
}

/// The optional `schema_registry` section: which Schema Registry a storage
/// uses.
///
/// - `schema.registry.url`: Confluent's Schema Registry (or `kafi registry
///   serve`) over REST;
/// - `emulated: true`: the emulated registry kept in the storage itself
///   (storages on files and object stores); `emulated: false`: none;
/// - neither: the emulated registry where the storage can keep one, else
///   none.
///
/// `emulated` is `true` or `false` (any case); anything else, or `true`
/// together with a URL, is an [`Error::InvalidValue`] at load.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SchemaRegistrySection {
    /// `schema.registry.url`.
    pub url: Option<String>,
    /// `emulated`: `Some(true)` asks for the emulated registry,
    /// `Some(false)` for none; `None` when absent.
    pub emulated: Option<bool>,
    /// `basic.auth.credentials.source`, e.g. `USER_INFO`.
    pub basic_auth_credentials_source: Option<String>,
    /// `basic.auth.user.info` (secret), `user:password`.
    pub basic_auth_user_info: Option<String>,
    /// Every other key (e.g. `ssl.ca.location`), values as strings.
    pub extra: BTreeMap<String, String>,
}

/// The `rest_proxy` section: Kafka reached through the Confluent REST Proxy.
#[derive(Clone, PartialEq, Eq)]
pub struct RestProxySection {
    /// `rest.proxy.url` (required).
    pub url: String,
    /// `basic.auth.user.info` (secret), `user:password`.
    pub basic_auth_user_info: Option<String>,
}

/// The `kafka` section: librdkafka properties, passed through as strings.
///
/// YAML numbers and booleans are stored in their string form (`9092`,
/// `true`). `bootstrap.servers` (or `metadata.broker.list`) is required.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KafkaSection {
    /// librdkafka-style key → value.
    pub properties: BTreeMap<String, String>,
}

impl KafkaSection {
    /// The value of a property.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }

    /// `bootstrap.servers`, falling back to `metadata.broker.list`.
    pub fn bootstrap_servers(&self) -> Option<&str> {
        self.get("bootstrap.servers")
            .or_else(|| self.get("metadata.broker.list"))
    }
}

fn redact(o: &Option<String>) -> Option<&'static str> {
    o.as_ref().map(|_| REDACTED)
}

/// A value as it may be shown: [`REDACTED`] for a secret key, else the
/// value with the user info of its URLs and addresses hidden.
fn shown<'v>(key: &str, value: &'v str) -> Cow<'v, str> {
    if is_secret_key(key) {
        Cow::Borrowed(REDACTED)
    } else {
        redact_user_info(value)
    }
}

/// An optional URL as it may be shown.
fn shown_url(url: &Option<String>) -> Option<Cow<'_, str>> {
    url.as_deref().map(redact_user_info)
}

/// Debug-prints a string map, redacting secret keys and user info.
struct RedactedMap<'a>(&'a BTreeMap<String, String>);

impl fmt::Debug for RedactedMap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (k, shown(k, v))))
            .finish()
    }
}

impl fmt::Debug for S3Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Section")
            .field("endpoint", &shown_url(&self.endpoint))
            .field("access_key", &redact(&self.access_key))
            .field("secret_key", &redact(&self.secret_key))
            .field("bucket_name", &self.bucket_name)
            .field("root_dir", &self.root_dir)
            .field("region", &self.region)
            .finish()
    }
}

impl fmt::Debug for AzureBlobSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureBlobSection")
            .field("connection_string", &redact(&self.connection_string))
            .field("container_name", &self.container_name)
            .field("root_dir", &self.root_dir)
            .finish()
    }
}

impl fmt::Debug for SchemaRegistrySection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaRegistrySection")
            .field("url", &shown_url(&self.url))
            .field("emulated", &self.emulated)
            .field(
                "basic_auth_credentials_source",
                &self.basic_auth_credentials_source,
            )
            .field("basic_auth_user_info", &redact(&self.basic_auth_user_info))
            .field("extra", &RedactedMap(&self.extra))
            .finish()
    }
}

impl fmt::Debug for RestProxySection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestProxySection")
            .field("url", &redact_user_info(&self.url))
            .field("basic_auth_user_info", &redact(&self.basic_auth_user_info))
            .finish()
    }
}

impl fmt::Debug for KafkaSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaSection")
            .field("properties", &RedactedMap(&self.properties))
            .finish()
    }
}

// ---------------------------------------------------------------------------
// Parsing from YAML values.

/// Describes a YAML value's shape for error messages (never its content).
pub(crate) fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "<null>",
        Value::Bool(_) => "<a boolean>",
        Value::Number(_) => "<a number>",
        Value::String(_) => "<a string>",
        Value::Sequence(_) => "<a sequence>",
        Value::Mapping(_) => "<a map>",
        Value::Tagged(_) => "<a tagged value>",
    }
}

/// The entries of a section as (key, value) pairs; a null section is empty.
pub(crate) fn entries<'v>(
    file: &str,
    section: &str,
    v: &'v Value,
) -> Result<Vec<(String, &'v Value)>> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Mapping(m) => m
            .iter()
            .map(|(k, v)| match scalar(k) {
                Some(k) => Ok((k, v)),
                None => Err(Error::invalid_shape(
                    file,
                    section,
                    describe(k),
                    "string keys",
                )),
            })
            .collect(),
        other => Err(Error::invalid_shape(
            file,
            section,
            describe(other),
            "a map of keys to values",
        )),
    }
}

/// The string form of a scalar (strings, numbers, booleans).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

const SCALAR: &str = "a string, number or boolean";

/// A scalar value as a string; null and non-scalars are errors.
pub(crate) fn required_scalar(file: &str, key: &str, v: &Value) -> Result<String> {
    scalar(v).ok_or_else(|| Error::invalid_shape(file, key, describe(v), SCALAR))
}

/// A scalar value as a string; null means "not set".
fn optional_scalar(file: &str, key: &str, v: &Value) -> Result<Option<String>> {
    match v {
        Value::Null => Ok(None),
        v => required_scalar(file, key, v).map(Some),
    }
}

/// `true` or `false`, ignoring ASCII case.
fn parse_bool(file: &str, key: &str, value: &str) -> Result<bool> {
    if value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(Error::invalid(
            file,
            key,
            value,
            "a boolean (true or false)",
        ))
    }
}

/// Parses a section with a fixed set of keys: calls `set` for each known
/// key with its optional string value; unknown keys are errors.
fn fixed_section(
    file: &str,
    section: &'static str,
    v: &Value,
    known: &[&str],
    mut set: impl FnMut(&str, Option<String>),
) -> Result<()> {
    for (key, value) in entries(file, section, v)? {
        let dotted = format!("{section}.{key}");
        if !known.contains(&key.as_str()) {
            return Err(Error::UnknownKey {
                file: file.to_owned(),
                key: dotted,
            });
        }
        set(&key, optional_scalar(file, &dotted, value)?);
    }
    Ok(())
}

impl LocalSection {
    /// The keys accepted in the `local` section.
    pub const KEYS: &'static [&'static str] = &["root.dir"];

    pub(crate) fn from_yaml(file: &str, v: &Value) -> Result<Self> {
        let mut s = LocalSection::default();
        fixed_section(file, "local", v, Self::KEYS, |_, val| {
            if let Some(val) = val {
                s.root_dir = val;
            }
        })?;
        Ok(s)
    }

    pub(crate) fn to_yaml(&self) -> Mapping {
        let mut m = Mapping::new();
        m.insert("root.dir".into(), self.root_dir.as_str().into());
        m
    }
}

impl S3Section {
    /// The keys accepted in the `s3` section.
    pub const KEYS: &'static [&'static str] = &[
        "endpoint",
        "access.key",
        "secret.key",
        "bucket.name",
        "root.dir",
        "region",
    ];

    pub(crate) fn from_yaml(file: &str, v: &Value) -> Result<Self> {
        let mut s = S3Section::default();
        fixed_section(file, "s3", v, Self::KEYS, |key, val| match key {
            "endpoint" => s.endpoint = val,
            "access.key" => s.access_key = val,
            "secret.key" => s.secret_key = val,
            "bucket.name" => s.bucket_name = val.unwrap_or_else(|| "test".to_owned()),
            "root.dir" => s.root_dir = val.unwrap_or_default(),
            _ => s.region = val,
        })?;
        Ok(s)
    }

    pub(crate) fn to_yaml(&self) -> Mapping {
        let mut m = Mapping::new();
        put_opt(&mut m, "endpoint", &self.endpoint, false);
        put_opt(&mut m, "access.key", &self.access_key, true);
        put_opt(&mut m, "secret.key", &self.secret_key, true);
        m.insert("bucket.name".into(), self.bucket_name.as_str().into());
        m.insert("root.dir".into(), self.root_dir.as_str().into());
        put_opt(&mut m, "region", &self.region, false);
        m
    }
}

impl AzureBlobSection {
    /// The keys accepted in the `azure_blob` section.
    pub const KEYS: &'static [&'static str] = &["connection.string", "container.name", "root.dir"];

    pub(crate) fn from_yaml(file: &str, v: &Value) -> Result<Self> {
        let mut s = AzureBlobSection::default();
        fixed_section(file, "azure_blob", v, Self::KEYS, |key, val| match key {
            "connection.string" => s.connection_string = val,
            "container.name" => s.container_name = val.unwrap_or_else(|| "test".to_owned()),
            _ => s.root_dir = val.unwrap_or_default(),
        })?;
        Ok(s)
    }

    pub(crate) fn to_yaml(&self) -> Mapping {
        let mut m = Mapping::new();
        put_opt(&mut m, "connection.string", &self.connection_string, true);
        m.insert("container.name".into(), self.container_name.as_str().into());
        m.insert("root.dir".into(), self.root_dir.as_str().into());
        m
    }
}

impl RestProxySection {
    /// The keys accepted in the `rest_proxy` section.
    pub const KEYS: &'static [&'static str] = &["rest.proxy.url", "basic.auth.user.info"];

    pub(crate) fn from_yaml(file: &str, v: &Value) -> Result<Self> {
        let mut url = None;
        let mut user_info = None;
        fixed_section(file, "rest_proxy", v, Self::KEYS, |key, val| match key {
            "rest.proxy.url" => url = val,
            _ => user_info = val,
        })?;
        let url = url.ok_or_else(|| Error::MissingKey {
            file: file.to_owned(),
            key: "rest_proxy.rest.proxy.url".to_owned(),
        })?;
        if url.trim().is_empty() {
            return Err(Error::invalid(
                file,
                "rest_proxy.rest.proxy.url",
                &url,
                "a non-empty URL",
            ));
        }
        Ok(RestProxySection {
            url,
            basic_auth_user_info: user_info,
        })
    }

    pub(crate) fn to_yaml(&self) -> Mapping {
        let mut m = Mapping::new();
        m.insert(
            "rest.proxy.url".into(),
            redact_user_info(&self.url).as_ref().into(),
        );
        put_opt(
            &mut m,
            "basic.auth.user.info",
            &self.basic_auth_user_info,
            true,
        );
        m
    }
}

impl SchemaRegistrySection {
    pub(crate) fn from_yaml(file: &str, v: &Value) -> Result<Self> {
        let mut s = SchemaRegistrySection::default();
        for (key, value) in entries(file, "schema_registry", v)? {
            let dotted = format!("schema_registry.{key}");
            let value = optional_scalar(file, &dotted, value)?;
            match key.as_str() {
                "schema.registry.url" => s.url = value,
                "emulated" => {
                    s.emulated = value.map(|v| parse_bool(file, &dotted, &v)).transpose()?
                }
                "basic.auth.credentials.source" => s.basic_auth_credentials_source = value,
                "basic.auth.user.info" => s.basic_auth_user_info = value,
                _ => {
                    if let Some(value) = value {
                        s.extra.insert(key, value);
                    }
                }
            }
        }
        if s.url.is_some() && s.emulated == Some(true) {
            return Err(Error::invalid(
                file,
                "schema_registry.emulated",
                "true",
                "false or no value when schema.registry.url is set (a storage uses one registry)",
            ));
        }
        Ok(s)
    }

    pub(crate) fn to_yaml(&self) -> Mapping {
        let mut m = Mapping::new();
        put_opt(&mut m, "schema.registry.url", &self.url, false);
        if let Some(emulated) = self.emulated {
            m.insert("emulated".into(), emulated.into());
        }
        put_opt(
            &mut m,
            "basic.auth.credentials.source",
            &self.basic_auth_credentials_source,
            false,
        );
        put_opt(
            &mut m,
            "basic.auth.user.info",
            &self.basic_auth_user_info,
            true,
        );
        put_map(&mut m, &self.extra);
        m
    }
}

impl KafkaSection {
    pub(crate) fn from_yaml(file: &str, v: &Value) -> Result<Self> {
        let mut properties = BTreeMap::new();
        for (key, value) in entries(file, "kafka", v)? {
            let value = required_scalar(file, &format!("kafka.{key}"), value)?;
            properties.insert(key, value);
        }
        let s = KafkaSection { properties };
        match s.bootstrap_servers() {
            None => Err(Error::MissingKey {
                file: file.to_owned(),
                key: "kafka.bootstrap.servers".to_owned(),
            }),
            Some(b) if b.trim().is_empty() => Err(Error::invalid(
                file,
                "kafka.bootstrap.servers",
                b,
                "a non-empty host:port list",
            )),
            Some(_) => Ok(s),
        }
    }

    pub(crate) fn to_yaml(&self) -> Mapping {
        let mut m = Mapping::new();
        put_map(&mut m, &self.properties);
        m
    }
}

fn put_opt(m: &mut Mapping, key: &str, value: &Option<String>, secret: bool) {
    if let Some(v) = value {
        let v = if secret {
            Cow::Borrowed(REDACTED)
        } else {
            redact_user_info(v)
        };
        m.insert(key.into(), v.as_ref().into());
    }
}

fn put_map(m: &mut Mapping, map: &BTreeMap<String, String>) {
    for (k, v) in map {
        m.insert(k.as_str().into(), shown(k, v).as_ref().into());
    }
}
