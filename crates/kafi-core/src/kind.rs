//! Small enums every layer names: storage kinds, serialisation types and
//! the offset-reset policy, parsed from and shown as their canonical names.

use std::fmt;
use std::str::FromStr;

/// The kind of back-end ("storage") a configuration file describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StorageKind {
    /// A real Kafka cluster reached through the Kafka API (section `kafka`).
    Cluster,
    /// A Kafka cluster reached through the Confluent REST Proxy (section `rest_proxy`).
    RestProxy,
    /// Kafka emulated on the local file system (section `local`).
    Local,
    /// Kafka emulated on S3-compatible object storage (section `s3`).
    S3,
    /// Kafka emulated on Azure Blob Storage (section `azure_blob`).
    AzureBlob,
}

impl StorageKind {
    /// Every storage kind, in a stable order.
    pub const ALL: [StorageKind; 5] = [
        StorageKind::Cluster,
        StorageKind::RestProxy,
        StorageKind::Local,
        StorageKind::S3,
        StorageKind::AzureBlob,
    ];

    /// Parses `cluster`, `restproxy`, `local`, `s3`, `azureblob` (or `azblob`),
    /// ignoring ASCII case.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "cluster" => StorageKind::Cluster,
            "restproxy" => StorageKind::RestProxy,
            "local" => StorageKind::Local,
            "s3" => StorageKind::S3,
            "azureblob" | "azblob" => StorageKind::AzureBlob,
            _ => return None,
        })
    }

    /// The canonical name, as accepted by [`StorageKind::parse`].
    pub fn as_str(&self) -> &'static str {
        match self {
            StorageKind::Cluster => "cluster",
            StorageKind::RestProxy => "restproxy",
            StorageKind::Local => "local",
            StorageKind::S3 => "s3",
            StorageKind::AzureBlob => "azureblob",
        }
    }

    /// The sub-directories of `<home>/configs/` searched for this kind, in order.
    pub fn config_dirs(&self) -> &'static [&'static str] {
        match self {
            StorageKind::Cluster => &["clusters"],
            StorageKind::RestProxy => &["restproxies"],
            StorageKind::Local => &["locals"],
            StorageKind::S3 => &["s3s"],
            StorageKind::AzureBlob => &["azureblobs", "azblobs"],
        }
    }

    /// The name of the mandatory top-level section for this kind.
    pub fn section(&self) -> &'static str {
        match self {
            StorageKind::Cluster => "kafka",
            StorageKind::RestProxy => "rest_proxy",
            StorageKind::Local => "local",
            StorageKind::S3 => "s3",
            StorageKind::AzureBlob => "azure_blob",
        }
    }
}

impl fmt::Display for StorageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StorageKind {
    type Err = ParseEnumError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StorageKind::parse(s).ok_or_else(|| ParseEnumError {
            what: "storage kind",
            input: s.to_owned(),
            expected: "cluster, restproxy, local, s3, azureblob (azblob)",
        })
    }
}

/// Error returned when parsing one of this crate's enums from a string fails.
///
/// The message names the rejected input and lists every valid name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{input}` (expected one of: {expected})")]
pub struct ParseEnumError {
    /// What was being parsed, e.g. `serde type`.
    pub what: &'static str,
    /// The rejected input.
    pub input: String,
    /// The valid names, comma separated.
    pub expected: &'static str,
}

/// How keys and values of messages are (de)serialised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SerdeType {
    /// Raw bytes, passed through unchanged.
    Bytes,
    /// UTF-8 text.
    Str,
    /// JSON without a schema.
    Json,
    /// Avro with a Schema Registry schema.
    Avro,
    /// Protobuf with a Schema Registry schema.
    Protobuf,
    /// JSON with a Schema Registry JSON schema.
    JsonSchema,
}

impl SerdeType {
    /// Every serde type, in a stable order.
    pub const ALL: [SerdeType; 6] = [
        SerdeType::Bytes,
        SerdeType::Str,
        SerdeType::Json,
        SerdeType::Avro,
        SerdeType::Protobuf,
        SerdeType::JsonSchema,
    ];

    /// The valid names as shown in error messages.
    pub const VALID_NAMES: &'static str =
        "bytes, str, json, avro, protobuf (pb), jsonschema (json_sr)";

    /// The canonical name (`bytes`, `str`, `json`, `avro`, `protobuf`, `jsonschema`).
    pub fn as_str(&self) -> &'static str {
        match self {
            SerdeType::Bytes => "bytes",
            SerdeType::Str => "str",
            SerdeType::Json => "json",
            SerdeType::Avro => "avro",
            SerdeType::Protobuf => "protobuf",
            SerdeType::JsonSchema => "jsonschema",
        }
    }

    /// Whether this type needs a Schema Registry.
    pub fn uses_schema_registry(&self) -> bool {
        matches!(
            self,
            SerdeType::Avro | SerdeType::Protobuf | SerdeType::JsonSchema
        )
    }
}

impl fmt::Display for SerdeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SerdeType {
    type Err = ParseEnumError;

    /// Accepts the canonical names plus the aliases `pb` (protobuf) and
    /// `json_sr` (jsonschema), ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "bytes" => SerdeType::Bytes,
            "str" => SerdeType::Str,
            "json" => SerdeType::Json,
            "avro" => SerdeType::Avro,
            "protobuf" | "pb" => SerdeType::Protobuf,
            "jsonschema" | "json_sr" => SerdeType::JsonSchema,
            _ => {
                return Err(ParseEnumError {
                    what: "serde type",
                    input: s.to_owned(),
                    expected: SerdeType::VALID_NAMES,
                })
            }
        })
    }
}

/// Where a new consumer group starts reading when it has no committed offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AutoOffsetReset {
    /// Start at the earliest available offset.
    Earliest,
    /// Start at the end of the partition.
    Latest,
}

impl AutoOffsetReset {
    /// The valid names as shown in error messages.
    pub const VALID_NAMES: &'static str = "earliest (smallest, beginning), latest (largest, end)";

    /// The canonical name (`earliest` or `latest`).
    pub fn as_str(&self) -> &'static str {
        match self {
            AutoOffsetReset::Earliest => "earliest",
            AutoOffsetReset::Latest => "latest",
        }
    }
}

impl fmt::Display for AutoOffsetReset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AutoOffsetReset {
    type Err = ParseEnumError;

    /// Accepts `earliest`/`latest` and librdkafka's aliases `smallest`,
    /// `beginning`, `largest`, `end`, ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "earliest" | "smallest" | "beginning" => AutoOffsetReset::Earliest,
            "latest" | "largest" | "end" => AutoOffsetReset::Latest,
            _ => {
                return Err(ParseEnumError {
                    what: "auto.offset.reset policy",
                    input: s.to_owned(),
                    expected: AutoOffsetReset::VALID_NAMES,
                })
            }
        })
    }
}

/// Serializes as the canonical name; deserializes with `FromStr`.
#[cfg(feature = "serde")]
macro_rules! serde_via_str {
    ($($ty:ty),*) => {$(
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

#[cfg(feature = "serde")]
serde_via_str!(StorageKind, SerdeType, AutoOffsetReset);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_kind_round_trips() {
        for kind in StorageKind::ALL {
            assert_eq!(StorageKind::parse(kind.as_str()), Some(kind));
            assert_eq!(kind.to_string().parse::<StorageKind>(), Ok(kind));
        }
        assert_eq!(StorageKind::parse("azblob"), Some(StorageKind::AzureBlob));
        assert_eq!(
            StorageKind::parse("AzureBlob"),
            Some(StorageKind::AzureBlob)
        );
        assert_eq!(StorageKind::parse("kafka"), None);
        assert_eq!(
            StorageKind::AzureBlob.config_dirs(),
            ["azureblobs", "azblobs"]
        );
        assert_eq!(StorageKind::RestProxy.config_dirs(), ["restproxies"]);
        assert_eq!(StorageKind::S3.section(), "s3");
        assert_eq!(StorageKind::Cluster.section(), "kafka");
    }

    #[test]
    fn serde_type_names_and_aliases() {
        for t in SerdeType::ALL {
            assert_eq!(t.to_string().parse::<SerdeType>(), Ok(t));
        }
        assert_eq!("pb".parse::<SerdeType>(), Ok(SerdeType::Protobuf));
        assert_eq!("json_sr".parse::<SerdeType>(), Ok(SerdeType::JsonSchema));
        assert_eq!("JSON".parse::<SerdeType>(), Ok(SerdeType::Json));
        assert_eq!(SerdeType::JsonSchema.to_string(), "jsonschema");
        let err = "yaml".parse::<SerdeType>().unwrap_err().to_string();
        assert!(err.contains("`yaml`"), "{err}");
        for name in ["bytes", "str", "json", "avro", "protobuf", "jsonschema"] {
            assert!(err.contains(name), "{err} lacks {name}");
        }
    }

    #[test]
    fn auto_offset_reset_parses() {
        assert_eq!("earliest".parse(), Ok(AutoOffsetReset::Earliest));
        assert_eq!("LATEST".parse(), Ok(AutoOffsetReset::Latest));
        assert_eq!("smallest".parse(), Ok(AutoOffsetReset::Earliest));
        assert_eq!(AutoOffsetReset::Latest.to_string(), "latest");
        assert!("middle".parse::<AutoOffsetReset>().is_err());
    }
}
