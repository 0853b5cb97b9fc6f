//! The `kafi` section: typed settings with the seed's defaults.

use std::io::IsTerminal;
use std::str::FromStr;
use std::sync::{Arc, RwLock};

use crate::error::{Error, Result, RUNTIME_LABEL};
use kafi_core::{AutoOffsetReset, SerdeType};

/// Every item of the `kafi` section (general, cluster and REST proxy items).
///
/// All storages accept every item; each back-end uses the ones that make
/// sense for it. Defaults are those of the original Kafi (see
/// [`KafiSettings::default`]). Items are addressed by their dotted key
/// (e.g. `consume.batch.size`, optionally prefixed with `kafi.`) through
/// [`get`](KafiSettings::get) and [`set`](KafiSettings::set).
#[derive(Clone, Debug, PartialEq)]
pub struct KafiSettings {
    /// `progress.num.messages` (1000): report progress every that many messages.
    pub progress_num_messages: u64,
    /// `consume.batch.size` (1000): maximum number of messages per consume call.
    pub consume_batch_size: usize,
    /// `produce.batch.size` (1000): maximum number of messages per produce batch.
    pub produce_batch_size: usize,
    /// `verbose` (1 if stderr is a terminal, else 0).
    pub verbose: u8,
    /// `auto.offset.reset` (earliest).
    pub auto_offset_reset: AutoOffsetReset,
    /// `consumer.group.prefix` (""): prefix of generated consumer group names.
    pub consumer_group_prefix: String,
    /// `enable.auto.commit` (false).
    pub enable_auto_commit: bool,
    /// `commit.after.processing` (true).
    pub commit_after_processing: bool,
    /// `key.type` (str).
    pub key_type: SerdeType,
    /// `value.type` (json).
    pub value_type: SerdeType,
    /// `flush.timeout` (-1.0): seconds to wait in flush, negative = forever.
    pub flush_timeout: f64,
    /// `retention.ms` (604800000): retention of newly created topics.
    pub retention_ms: i64,
    /// `consume.timeout` (5.0): seconds to wait for messages, -1 = wait forever.
    pub consume_timeout: f64,
    /// `session.timeout.ms` (45000).
    pub session_timeout_ms: u64,
    /// `block.num.retries` (10): retries while waiting for an admin operation.
    pub block_num_retries: u32,
    /// `block.interval` (0.5): seconds between those retries.
    pub block_interval: f64,
    /// `fetch.min.bytes` (-1): REST proxy fetch minimum, -1 = proxy default.
    pub fetch_min_bytes: i64,
    /// `consumer.request.timeout.ms` (1000): REST proxy consumer request timeout.
    pub consumer_request_timeout_ms: u64,
    /// `consume.num.attempts` (3): REST proxy empty-fetch attempts per consume.
    pub consume_num_attempts: u32,
    /// `requests.num.retries` (10): REST proxy retries of failed HTTP requests.
    pub requests_num_retries: u32,
    /// `jq.max.outputs` (10000): most messages a jq `flatmap` may make of one
    /// message; more is an error naming the message (kafi's own item).
    pub jq_max_outputs: u64,
}

impl Default for KafiSettings {
    /// The seed's defaults; `verbose` is 1 if stderr is a terminal, else 0.
    fn default() -> Self {
        KafiSettings {
            progress_num_messages: 1000,
            consume_batch_size: 1000,
            produce_batch_size: 1000,
            verbose: u8::from(std::io::stderr().is_terminal()),
            auto_offset_reset: AutoOffsetReset::Earliest,
            consumer_group_prefix: String::new(),
            enable_auto_commit: false,
            commit_after_processing: true,
            key_type: SerdeType::Str,
            value_type: SerdeType::Json,
            flush_timeout: -1.0,
            retention_ms: 604_800_000,
            consume_timeout: 5.0,
            session_timeout_ms: 45_000,
            block_num_retries: 10,
            block_interval: 0.5,
            fetch_min_bytes: -1,
            consumer_request_timeout_ms: 1000,
            consume_num_attempts: 3,
            requests_num_retries: 10,
            jq_max_outputs: 10_000,
        }
    }
}

const KEYS: &[&str] = &[
    "progress.num.messages",
    "consume.batch.size",
    "produce.batch.size",
    "verbose",
    "auto.offset.reset",
    "consumer.group.prefix",
    "enable.auto.commit",
    "commit.after.processing",
    "key.type",
    "value.type",
    "flush.timeout",
    "retention.ms",
    "consume.timeout",
    "session.timeout.ms",
    "block.num.retries",
    "block.interval",
    "fetch.min.bytes",
    "consumer.request.timeout.ms",
    "consume.num.attempts",
    "requests.num.retries",
    "jq.max.outputs",
];

const NON_NEGATIVE_INTEGER: &str = "a non-negative integer";
const POSITIVE_INTEGER: &str = "a positive integer";
const INTEGER: &str = "an integer";
const NUMBER: &str = "a number";
const NON_NEGATIVE_NUMBER: &str = "a non-negative number";
const BOOLEAN: &str = "a boolean (true or false)";
const VERBOSE: &str = "an integer between 0 and 255";
const SERDE_TYPE: &str = "one of bytes, str, json, avro, protobuf (pb), jsonschema (json_sr)";
const OFFSET_RESET: &str = "earliest or latest";

impl KafiSettings {
    /// The dotted keys of every item, without the `kafi.` prefix, in the
    /// seed's order.
    pub fn keys() -> &'static [&'static str] {
        KEYS
    }

    /// The current value of an item as a string, or `None` for an unknown key.
    ///
    /// `key` may carry a `kafi.` prefix. Floats are shown with a decimal
    /// point (`-1.0`), booleans as `true`/`false`, types by canonical name.
    pub fn get(&self, key: &str) -> Option<String> {
        let key = key.strip_prefix("kafi.").unwrap_or(key);
        Some(match key {
            "progress.num.messages" => self.progress_num_messages.to_string(),
            "consume.batch.size" => self.consume_batch_size.to_string(),
            "produce.batch.size" => self.produce_batch_size.to_string(),
            "verbose" => self.verbose.to_string(),
            "auto.offset.reset" => self.auto_offset_reset.to_string(),
            "consumer.group.prefix" => self.consumer_group_prefix.clone(),
            "enable.auto.commit" => self.enable_auto_commit.to_string(),
            "commit.after.processing" => self.commit_after_processing.to_string(),
            "key.type" => self.key_type.to_string(),
            "value.type" => self.value_type.to_string(),
            "flush.timeout" => format!("{:?}", self.flush_timeout),
            "retention.ms" => self.retention_ms.to_string(),
            "consume.timeout" => format!("{:?}", self.consume_timeout),
            "session.timeout.ms" => self.session_timeout_ms.to_string(),
            "block.num.retries" => self.block_num_retries.to_string(),
            "block.interval" => format!("{:?}", self.block_interval),
            "fetch.min.bytes" => self.fetch_min_bytes.to_string(),
            "consumer.request.timeout.ms" => self.consumer_request_timeout_ms.to_string(),
            "consume.num.attempts" => self.consume_num_attempts.to_string(),
            "requests.num.retries" => self.requests_num_retries.to_string(),
            "jq.max.outputs" => self.jq_max_outputs.to_string(),
            _ => return None,
        })
    }

    /// Sets an item from its string form, parsing it to the item's type.
    ///
    /// `key` may carry a `kafi.` prefix. On error nothing is changed and the
    /// error ([`Error::UnknownKey`] or [`Error::InvalidValue`]) names the key
    /// and the expected type.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let key = key.strip_prefix("kafi.").unwrap_or(key);
        self.set_in(RUNTIME_LABEL, key, value)
    }

    /// [`set`](Self::set) without the `kafi.` prefix handling, with the file
    /// label used in errors.
    pub(crate) fn set_in(&mut self, file: &str, key: &str, value: &str) -> Result<()> {
        let p = Parser { file, key, value };
        match key {
            "progress.num.messages" => {
                self.progress_num_messages = p.parse(NON_NEGATIVE_INTEGER, |_| true)?
            }
            "consume.batch.size" => {
                self.consume_batch_size = p.parse(POSITIVE_INTEGER, |n| *n > 0)?
            }
            "produce.batch.size" => {
                self.produce_batch_size = p.parse(POSITIVE_INTEGER, |n| *n > 0)?
            }
            "verbose" => self.verbose = p.parse(VERBOSE, |_| true)?,
            "auto.offset.reset" => self.auto_offset_reset = p.parse(OFFSET_RESET, |_| true)?,
            "consumer.group.prefix" => self.consumer_group_prefix = value.to_owned(),
            "enable.auto.commit" => self.enable_auto_commit = p.boolean()?,
            "commit.after.processing" => self.commit_after_processing = p.boolean()?,
            "key.type" => self.key_type = p.parse(SERDE_TYPE, |_| true)?,
            "value.type" => self.value_type = p.parse(SERDE_TYPE, |_| true)?,
            "flush.timeout" => self.flush_timeout = p.parse(NUMBER, |x: &f64| x.is_finite())?,
            "retention.ms" => self.retention_ms = p.parse(INTEGER, |_| true)?,
            "consume.timeout" => self.consume_timeout = p.parse(NUMBER, |x: &f64| x.is_finite())?,
            "session.timeout.ms" => {
                self.session_timeout_ms = p.parse(NON_NEGATIVE_INTEGER, |_| true)?
            }
            "block.num.retries" => {
                self.block_num_retries = p.parse(NON_NEGATIVE_INTEGER, |_| true)?
            }
            "block.interval" => {
                self.block_interval =
                    p.parse(NON_NEGATIVE_NUMBER, |x: &f64| x.is_finite() && *x >= 0.0)?
            }
            "fetch.min.bytes" => self.fetch_min_bytes = p.parse(INTEGER, |_| true)?,
            "consumer.request.timeout.ms" => {
                self.consumer_request_timeout_ms = p.parse(NON_NEGATIVE_INTEGER, |_| true)?
            }
            "consume.num.attempts" => {
                self.consume_num_attempts = p.parse(NON_NEGATIVE_INTEGER, |_| true)?
            }
            "requests.num.retries" => {
                self.requests_num_retries = p.parse(NON_NEGATIVE_INTEGER, |_| true)?
            }
            "jq.max.outputs" => self.jq_max_outputs = p.parse(POSITIVE_INTEGER, |n| *n > 0)?,
            _ => {
                return Err(Error::UnknownKey {
                    file: file.to_owned(),
                    key: format!("kafi.{key}"),
                })
            }
        }
        Ok(())
    }

    /// The settings as a YAML map with typed values (for config dumps).
    pub(crate) fn to_yaml(&self) -> serde_yaml::Mapping {
        use serde_yaml::Value;
        let mut m = serde_yaml::Mapping::new();
        let mut put = |k: &str, v: Value| {
            m.insert(Value::from(k), v);
        };
        put("progress.num.messages", self.progress_num_messages.into());
        put(
            "consume.batch.size",
            (self.consume_batch_size as u64).into(),
        );
        put(
            "produce.batch.size",
            (self.produce_batch_size as u64).into(),
        );
        put("verbose", u64::from(self.verbose).into());
        put("auto.offset.reset", self.auto_offset_reset.as_str().into());
        put(
            "consumer.group.prefix",
            self.consumer_group_prefix.as_str().into(),
        );
        put("enable.auto.commit", self.enable_auto_commit.into());
        put(
            "commit.after.processing",
            self.commit_after_processing.into(),
        );
        put("key.type", self.key_type.as_str().into());
        put("value.type", self.value_type.as_str().into());
        put("flush.timeout", self.flush_timeout.into());
        put("retention.ms", self.retention_ms.into());
        put("consume.timeout", self.consume_timeout.into());
        put("session.timeout.ms", self.session_timeout_ms.into());
        put(
            "block.num.retries",
            u64::from(self.block_num_retries).into(),
        );
        put("block.interval", self.block_interval.into());
        put("fetch.min.bytes", self.fetch_min_bytes.into());
        put(
            "consumer.request.timeout.ms",
            self.consumer_request_timeout_ms.into(),
        );
        put(
            "consume.num.attempts",
            u64::from(self.consume_num_attempts).into(),
        );
        put(
            "requests.num.retries",
            u64::from(self.requests_num_retries).into(),
        );
        put("jq.max.outputs", self.jq_max_outputs.into());
        m
    }
}

struct Parser<'a> {
    file: &'a str,
    key: &'a str,
    value: &'a str,
}

impl Parser<'_> {
    fn error(&self, expected: &'static str) -> Error {
        Error::invalid(
            self.file,
            format!("kafi.{}", self.key),
            self.value,
            expected,
        )
    }

    fn parse<T: FromStr>(&self, expected: &'static str, ok: impl Fn(&T) -> bool) -> Result<T> {
        match self.value.trim().parse::<T>() {
            Ok(v) if ok(&v) => Ok(v),
            _ => Err(self.error(expected)),
        }
    }

    fn boolean(&self) -> Result<bool> {
        let v = self.value.trim();
        if v.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if v.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err(self.error(BOOLEAN))
        }
    }
}

/// Settings shared by a storage and everything it opens, settable at run time.
///
/// Cloning is cheap and every clone sees the same settings. A poisoned lock
/// is recovered (the settings are plain data and always consistent).
#[derive(Clone, Debug, Default)]
pub struct SharedSettings(Arc<RwLock<KafiSettings>>);

impl SharedSettings {
    /// Wraps `s` for sharing.
    pub fn new(s: KafiSettings) -> Self {
        SharedSettings(Arc::new(RwLock::new(s)))
    }

    /// A snapshot (clone) of the current settings.
    pub fn get(&self) -> KafiSettings {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Runs `f` with exclusive access to the settings and returns its result.
    ///
    /// ```
    /// use kafi_config::{KafiSettings, SharedSettings};
    /// let shared = SharedSettings::new(KafiSettings::default());
    /// let other = shared.clone();
    /// shared.update(|s| s.set("consume.batch.size", "10")).unwrap();
    /// assert_eq!(other.get().consume_batch_size, 10);
    /// ```
    pub fn update<R>(&self, f: impl FnOnce(&mut KafiSettings) -> R) -> R {
        let mut guard = self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }
}

impl From<KafiSettings> for SharedSettings {
    fn from(s: KafiSettings) -> Self {
        SharedSettings::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_seed() {
        let s = KafiSettings::default();
        assert_eq!(s.progress_num_messages, 1000);
        assert_eq!(s.consume_batch_size, 1000);
        assert_eq!(s.produce_batch_size, 1000);
        assert_eq!(s.verbose, u8::from(std::io::stderr().is_terminal()));
        assert_eq!(s.auto_offset_reset, AutoOffsetReset::Earliest);
        assert_eq!(s.consumer_group_prefix, "");
        assert!(!s.enable_auto_commit);
        assert!(s.commit_after_processing);
        assert_eq!(s.key_type, SerdeType::Str);
        assert_eq!(s.value_type, SerdeType::Json);
        assert_eq!(s.flush_timeout, -1.0);
        assert_eq!(s.retention_ms, 604_800_000);
        assert_eq!(s.consume_timeout, 5.0);
        assert_eq!(s.session_timeout_ms, 45_000);
        assert_eq!(s.block_num_retries, 10);
        assert_eq!(s.block_interval, 0.5);
        assert_eq!(s.fetch_min_bytes, -1);
        assert_eq!(s.consumer_request_timeout_ms, 1000);
        assert_eq!(s.consume_num_attempts, 3);
        assert_eq!(s.requests_num_retries, 10);
    }

    #[test]
    fn defaults_by_key() {
        let s = KafiSettings::default();
        let expected = [
            ("progress.num.messages", "1000"),
            ("consume.batch.size", "1000"),
            ("produce.batch.size", "1000"),
            ("auto.offset.reset", "earliest"),
            ("consumer.group.prefix", ""),
            ("enable.auto.commit", "false"),
            ("commit.after.processing", "true"),
            ("key.type", "str"),
            ("value.type", "json"),
            ("flush.timeout", "-1.0"),
            ("retention.ms", "604800000"),
            ("consume.timeout", "5.0"),
            ("session.timeout.ms", "45000"),
            ("block.num.retries", "10"),
            ("block.interval", "0.5"),
            ("fetch.min.bytes", "-1"),
            ("consumer.request.timeout.ms", "1000"),
            ("consume.num.attempts", "3"),
            ("requests.num.retries", "10"),
            ("jq.max.outputs", "10000"),
        ];
        for (k, v) in expected {
            assert_eq!(s.get(k).as_deref(), Some(v), "{k}");
        }
        assert_eq!(expected.len() + 1, KafiSettings::keys().len());
    }

    #[test]
    fn every_key_round_trips_through_get_and_set() {
        let mut s = KafiSettings::default();
        for key in KafiSettings::keys() {
            let v = s.get(key).unwrap_or_else(|| panic!("no value for {key}"));
            s.set(key, &v).unwrap_or_else(|e| panic!("{key}: {e}"));
        }
        assert_eq!(s, KafiSettings::default());
    }

    #[test]
    fn set_parses_typed_values() {
        let mut s = KafiSettings::default();
        s.set("consume.batch.size", "42").unwrap();
        s.set("kafi.value.type", "pb").unwrap();
        s.set("enable.auto.commit", "True").unwrap();
        s.set("consume.timeout", "-1").unwrap();
        s.set("auto.offset.reset", "latest").unwrap();
        s.set("consumer.group.prefix", "me-").unwrap();
        assert_eq!(s.consume_batch_size, 42);
        assert_eq!(s.value_type, SerdeType::Protobuf);
        assert!(s.enable_auto_commit);
        assert_eq!(s.consume_timeout, -1.0);
        assert_eq!(s.get("kafi.consume.timeout").as_deref(), Some("-1.0"));
        assert_eq!(s.auto_offset_reset, AutoOffsetReset::Latest);
        assert_eq!(s.get("consumer.group.prefix").as_deref(), Some("me-"));
        assert_eq!(s.get("no.such.key"), None);
    }

    #[test]
    fn set_rejects_bad_values_and_keys() {
        let mut s = KafiSettings::default();
        let err = s.set("consume.batch.size", "0").unwrap_err().to_string();
        assert!(err.contains("kafi.consume.batch.size"), "{err}");
        assert!(err.contains("a positive integer"), "{err}");
        let err = s.set("enable.auto.commit", "maybe").unwrap_err();
        assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
        assert!(s.set("block.interval", "NaN").is_err());
        assert!(s.set("verbose", "300").is_err());
        assert!(s.set("key.type", "yaml").is_err());
        let err = s.set("consume.bacth.size", "1").unwrap_err();
        assert!(
            matches!(&err, Error::UnknownKey { key, .. } if key == "kafi.consume.bacth.size"),
            "{err}"
        );
        assert_eq!(s, KafiSettings::default());
    }

    #[test]
    fn shared_settings_are_shared() {
        let a = SharedSettings::new(KafiSettings::default());
        let b = a.clone();
        let old = a.update(|s| std::mem::replace(&mut s.key_type, SerdeType::Avro));
        assert_eq!(old, SerdeType::Str);
        assert_eq!(b.get().key_type, SerdeType::Avro);
    }
}
