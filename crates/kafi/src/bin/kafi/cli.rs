//! Command-line arguments.

use clap::{Args, Parser, Subcommand};

const EXAMPLES: &str = "\
Examples:
  kafi touch local:local topic_json --partitions 3
  kafi produce local:local topic_json --key 123 '{\"bla\": 123}'
  printf '456:{\"bla\": 456}\\n' | kafi produce local:local topic_json --key-separator :
  kafi cat local:local topic_json -n 10
  kafi cp local:local topic_json local:backup topic_json_copy --map '.value.bla += 42'
  kafi cp local:local topic_json local:local filtered --flatmap 'select(.value.bla == 456)'
  kafi grep local:local topic_json '.*456.*'
  kafi cat local:local t --type bytes | kafi produce local:other t2 --envelope --type bytes

A storage is KIND:CONFIG, KIND one of cluster, restproxy, local, s3, azureblob; CONFIG is
looked up as CONFIG.yaml/.yml in $KAFI_HOME (else .), then in configs/<kind>s/.

Exit codes: 0 success, 1 a false answer (exists: no; diff: differences),
2 usage or configuration error, 3 the operation failed.";

/// kafi: a Swiss army knife for Kafka and files.
#[derive(Debug, Parser)]
#[command(name = "kafi", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// Log more (repeat for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// Key and value types (the seed's type, key_type, value_type).
#[derive(Debug, Args, Clone, Default)]
pub struct TypeArgs {
    /// Type of key and value: bytes, str, json, avro, protobuf (pb), jsonschema (json_sr).
    #[arg(long = "type", value_name = "TYPE")]
    pub ty: Option<String>,
    /// Key type (default: the config's key.type, str).
    #[arg(long, value_name = "TYPE")]
    pub key_type: Option<String>,
    /// Value type (default: the config's value.type, json).
    #[arg(long, value_name = "TYPE")]
    pub value_type: Option<String>,
    /// Key schema to produce with (a file or the schema text); registered under TOPIC-key.
    #[arg(long, value_name = "FILE_OR_STRING")]
    pub key_schema: Option<String>,
    /// Value schema to produce with (a file or the schema text); registered under TOPIC-value.
    #[arg(long, value_name = "FILE_OR_STRING")]
    pub value_schema: Option<String>,
    /// Registered key schema id to produce with.
    #[arg(long, value_name = "ID")]
    pub key_schema_id: Option<i32>,
    /// Registered value schema id to produce with.
    #[arg(long, value_name = "ID")]
    pub value_schema_id: Option<i32>,
}

/// Source and target types of cp.
#[derive(Debug, Args, Clone, Default)]
pub struct CpTypeArgs {
    /// Type of key and value on both sides.
    #[arg(long = "type", value_name = "TYPE")]
    pub ty: Option<String>,
    /// Type of source key and value.
    #[arg(long, value_name = "TYPE")]
    pub source_type: Option<String>,
    /// Source key type.
    #[arg(long, value_name = "TYPE")]
    pub source_key_type: Option<String>,
    /// Source value type.
    #[arg(long, value_name = "TYPE")]
    pub source_value_type: Option<String>,
    /// Type of target key and value.
    #[arg(long, value_name = "TYPE")]
    pub target_type: Option<String>,
    /// Target key type.
    #[arg(long, value_name = "TYPE")]
    pub target_key_type: Option<String>,
    /// Target value type.
    #[arg(long, value_name = "TYPE")]
    pub target_value_type: Option<String>,
    /// Source key schema (unused when reading; ids come with the messages).
    #[arg(long, value_name = "FILE_OR_STRING")]
    pub source_key_schema: Option<String>,
    /// Source value schema (unused when reading).
    #[arg(long, value_name = "FILE_OR_STRING")]
    pub source_value_schema: Option<String>,
    /// Source key schema id (unused when reading).
    #[arg(long, value_name = "ID")]
    pub source_key_schema_id: Option<i32>,
    /// Source value schema id (unused when reading).
    #[arg(long, value_name = "ID")]
    pub source_value_schema_id: Option<i32>,
    /// Target key schema (a file or the schema text).
    #[arg(long, value_name = "FILE_OR_STRING")]
    pub target_key_schema: Option<String>,
    /// Target value schema (a file or the schema text).
    #[arg(long, value_name = "FILE_OR_STRING")]
    pub target_value_schema: Option<String>,
    /// Registered target key schema id.
    #[arg(long, value_name = "ID")]
    pub target_key_schema_id: Option<i32>,
    /// Registered target value schema id.
    #[arg(long, value_name = "ID")]
    pub target_value_schema_id: Option<i32>,
}

/// How to read a topic.
#[derive(Debug, Args, Clone, Default)]
pub struct ReadArgs {
    /// Read at most N messages.
    #[arg(short = 'n', long = "num", value_name = "N")]
    pub n: Option<u64>,
    /// Start offsets per partition, e.g. 0=5,1=3 (only these partitions are read).
    #[arg(long, value_name = "P=OFFSET,...")]
    pub offsets: Option<String>,
    /// Consumer group (offsets are committed for a named group).
    #[arg(long, short = 'g')]
    pub group: Option<String>,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once; the cp variant carries many options
pub enum Command {
    /// List topics (`l`/`ll` for partitions, watermarks and sizes).
    #[command(visible_alias = "topics")]
    Ls {
        storage: String,
        /// Shell glob(s), e.g. 'topic_*'.
        pattern: Option<String>,
        /// Long listing: partitions, watermarks, sizes.
        #[arg(short = 'l', long)]
        long: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Long listing (same as ls -l).
    #[command(visible_alias = "ll")]
    L {
        storage: String,
        pattern: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Exit 0 if the topic exists, 1 if not.
    Exists { storage: String, topic: String },
    /// Create a topic.
    #[command(visible_alias = "create")]
    Touch {
        storage: String,
        topic: String,
        /// Number of partitions.
        #[arg(long, short = 'p', default_value_t = 1)]
        partitions: i32,
        /// Topic config entries KEY=VALUE (repeatable).
        #[arg(long = "config", short = 'c', value_name = "KEY=VALUE")]
        config: Vec<String>,
    },
    /// Delete topics (globs allowed).
    #[command(visible_alias = "delete")]
    Rm { storage: String, pattern: String },
    /// Show (or increase with --set) the number of partitions.
    Partitions {
        storage: String,
        topic: String,
        /// New, larger partition count.
        #[arg(long)]
        set: Option<i32>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Low and high watermarks per partition.
    Watermarks {
        storage: String,
        topic: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show (or change with --set) a topic's config.
    Config {
        storage: String,
        topic: String,
        /// Entries KEY=VALUE to set (repeatable).
        #[arg(long, value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete records before offsets per partition (-1 = all).
    DeleteRecords {
        storage: String,
        topic: String,
        /// P=OFFSET,...
        #[arg(long)]
        offsets: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// First offsets at or after timestamps (ms) per partition.
    OffsetsForTimes {
        storage: String,
        topic: String,
        /// P=MILLIS,...
        #[arg(long)]
        times: String,
        /// Report the high watermark instead of -1 where none is found.
        #[arg(long)]
        replace_not_found: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List consumer groups.
    Groups {
        storage: String,
        pattern: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Describe consumer groups.
    DescribeGroups {
        storage: String,
        pattern: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete consumer groups.
    DeleteGroups { storage: String, pattern: String },
    /// Committed offsets of consumer groups.
    GroupOffsets {
        storage: String,
        pattern: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set a group's committed offsets.
    SetGroupOffsets {
        storage: String,
        group: String,
        topic: String,
        /// P=OFFSET,...
        #[arg(long)]
        offsets: String,
    },
    /// Lag per partition of a consumer group.
    Lags {
        storage: String,
        group: String,
        topic: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Copy a group's committed offsets to another storage/group.
    CpGroupOffsets {
        storage: String,
        group: String,
        target_storage: String,
        target_group: Option<String>,
    },
    /// Produce messages: VALUEs given, else one per line from stdin (empty lines are skipped).
    Produce {
        storage: String,
        topic: String,
        /// Values (default: read lines from stdin).
        values: Vec<String>,
        /// Key for the given values.
        #[arg(long, short = 'k')]
        key: Option<String>,
        /// Split each stdin line at the first SEP (not empty) into key and value.
        #[arg(long, value_name = "SEP")]
        key_separator: Option<String>,
        /// Read lines as printed by `kafi cat` (keys, headers, partitions, timestamps kept;
        /// each line needs a "value" field, null for a tombstone).
        #[arg(long)]
        envelope: bool,
        /// Partition to produce to.
        #[arg(long, short = 'p')]
        partition: Option<i32>,
        /// Header KEY=VALUE (repeatable).
        #[arg(long = "header", short = 'H', value_name = "KEY=VALUE")]
        headers: Vec<String>,
        /// Timestamp in milliseconds (default: now).
        #[arg(long)]
        timestamp: Option<i64>,
        #[command(flatten)]
        types: TypeArgs,
    },
    /// Print messages as JSON lines.
    Cat {
        storage: String,
        topic: String,
        #[command(flatten)]
        read: ReadArgs,
        #[command(flatten)]
        types: TypeArgs,
    },
    /// Print the first N messages.
    Head {
        storage: String,
        topic: String,
        #[command(flatten)]
        read: ReadArgs,
        #[command(flatten)]
        types: TypeArgs,
    },
    /// Print the last N messages.
    Tail {
        storage: String,
        topic: String,
        /// Number of messages.
        #[arg(short = 'n', long = "num", default_value_t = 10)]
        n: u64,
        #[command(flatten)]
        types: TypeArgs,
    },
    /// Copy a topic to any storage, optionally through a jq map or flatmap.
    Cp {
        storage: String,
        topic: String,
        target_storage: String,
        target_topic: String,
        /// jq expression applied to each message (one output message).
        #[arg(long, conflicts_with = "flatmap")]
        map: Option<String>,
        /// jq expression whose outputs (zero or more) are written.
        #[arg(long)]
        flatmap: Option<String>,
        /// Most outputs of --flatmap per message (default: the setting
        /// jq.max.outputs, 10000); more is an error.
        #[arg(long, value_name = "N", requires = "flatmap", value_parser = clap::value_parser!(u64).range(1..))]
        max_outputs: Option<u64>,
        /// Partitions of the target topic if it is created, at least 1 (default: as the source).
        #[arg(long)]
        partitions: Option<i32>,
        #[command(flatten)]
        read: ReadArgs,
        #[command(flatten)]
        types: CpTypeArgs,
    },
    /// Print messages whose key or value matches a regular expression.
    Grep {
        storage: String,
        topic: String,
        pattern: String,
        #[command(flatten)]
        read: ReadArgs,
        #[command(flatten)]
        types: TypeArgs,
    },
    /// Print messages for which a jq expression is true.
    Filter {
        storage: String,
        topic: String,
        expression: String,
        #[command(flatten)]
        read: ReadArgs,
        #[command(flatten)]
        types: TypeArgs,
    },
    /// Count messages, words and bytes.
    Wc {
        storage: String,
        topic: String,
        #[command(flatten)]
        read: ReadArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Compare two topics; exit 1 if they differ.
    Diff {
        storage: String,
        topic: String,
        other_storage: String,
        other_topic: String,
        #[command(flatten)]
        types: TypeArgs,
    },
    /// Keep the last message per key (print, or write to a target).
    Compact {
        storage: String,
        topic: String,
        target_storage: Option<String>,
        target_topic: Option<String>,
        #[command(flatten)]
        types: TypeArgs,
    },
    /// Delete and re-create a topic with the same partitions and config.
    Recreate { storage: String, topic: String },
    /// List the configs available for a storage kind.
    Configs { kind: String },
    #[command(flatten)]
    Registry(crate::registry_cmd::RegistryCommand),
    /// List the brokers of a cluster (id and address).
    Brokers(crate::cluster_cmd::BrokersArgs),
    /// Show (or change with --set) a broker's config.
    BrokerConfig(crate::cluster_cmd::BrokerConfigArgs),
    /// List ACLs matching a filter (every given option must match).
    Acls(crate::cluster_cmd::AclsArgs),
    /// Create an ACL.
    CreateAcl(crate::cluster_cmd::CreateAclArgs),
    /// Delete the ACLs matching a filter.
    DeleteAcls(crate::cluster_cmd::AclsArgs),
    /// Walk through the seed's examples on a local emulated storage.
    Quickstart {
        /// Storage to use (default: local:local, else ./kafi-data).
        storage: Option<String>,
    },
}
