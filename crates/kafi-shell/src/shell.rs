//! [`Shell`]: one storage with the seed's commands, its codecs and its
//! settings. The commands live in one module per concern:
//!
//! | module | methods |
//! |---|---|
//! | `topics` | `ls`, `l`, `exists`, `touch`, `rm`, `partitions`, `watermarks`, `config`, `delete_records`, `offsets_for_times`, `recreate` |
//! | `groups` | `groups`, `describe_groups`, `delete_groups`, `group_offsets`, `set_group_offsets`, `lags`, `cp_group_offsets` |
//! | `client` | the producer and consumer objects: `producer`, `consumer` |
//! | `produce` | producing lines of text: `line_producer` |
//! | `read` | reading and the functional forms: `cat`, `head`, `tail`, `grep`, `wc`, `foldl`, `map`, ... |
//! | `copy` | `cp`, `copy` and the `_to` forms |
//! | `zip` | `zip`, `zip_foldl`, and `zip_foldl_to` on [`TopicZip`](crate::TopicZip) |
//! | `diff` | `diff`, `diff_with` |
//! | `compact` | `compact`, `compact_with`, `compact_to` |
//! | `registry` | schema registry administration |
//! | `admin` | cluster administration: brokers, broker configs, ACLs |

use std::sync::Arc;

use kafi_config::{KafiSettings, SharedSettings};
use kafi_core::Storage;
use kafi_registry::{RegistryLookup, SchemaRegistry};
use kafi_serde::{Codec, SchemaLookup};

use crate::options::{ReadOptions, WriteOptions};

/// The shell commands and functional operations of one storage.
///
/// Cheap to clone; all clones share the storage and its settings. See the
/// [crate docs](crate#conventions) for the argument order and the naming
/// rules of its methods.
#[derive(Clone, Debug)]
pub struct Shell {
    storage: Arc<dyn Storage>,
    settings: SharedSettings,
    registry: Option<Registry>,
}

/// The schema registry a shell uses, as a lookup (for codecs) and as the
/// administration API.
#[derive(Clone, Debug)]
struct Registry {
    lookup: Arc<dyn SchemaLookup>,
    admin: Arc<dyn SchemaRegistry>,
}

impl Shell {
    /// Wraps a storage, with the run-time settings (the config's `kafi`
    /// section) that every command reads.
    pub fn new(storage: Arc<dyn Storage>, settings: impl Into<SharedSettings>) -> Self {
        Self {
            storage,
            settings: settings.into(),
            registry: None,
        }
    }

    /// Uses `registry` (the REST client or the emulated registry of
    /// `kafi-registry`) for the avro, protobuf and jsonschema types and the
    /// schema registry administration methods.
    pub fn with_schema_registry(mut self, registry: Arc<dyn SchemaRegistry>) -> Self {
        self.registry = Some(Registry {
            lookup: Arc::new(RegistryLookup::new(registry.clone())),
            admin: registry,
        });
        self
    }

    /// The schema registry, if one is attached.
    pub fn schema_registry(&self) -> Option<&Arc<dyn SchemaRegistry>> {
        self.registry.as_ref().map(|r| &r.admin)
    }

    /// The storage.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// The run-time settings.
    pub fn settings(&self) -> &SharedSettings {
        &self.settings
    }

    pub(crate) fn current(&self) -> KafiSettings {
        self.settings.get()
    }

    fn codec_for(&self, codec: Codec) -> Codec {
        match &self.registry {
            Some(r) => codec.with_schema_lookup(r.lookup.clone()),
            None => codec,
        }
    }

    /// The codec reading with `options` decodes with: its types (else this
    /// storage's `key.type`/`value.type`) and the schema registry. Prepare
    /// it ([`Codec::prepare_decode`]) for the messages it decodes.
    pub fn read_codec(&self, options: &ReadOptions) -> Codec {
        let (key, value) = options.schemas();
        self.codec_for(Codec::with_schemas(
            options.resolved_types(&self.current()),
            key,
            value,
        ))
    }

    /// The codec writing with `options` encodes with: its types (else this
    /// storage's settings), schemas or schema ids, and the schema registry.
    /// Prepare it ([`Codec::prepare_encode`]) for the topic it writes.
    pub fn write_codec(&self, options: &WriteOptions) -> Codec {
        let (key, value) = options.schemas();
        self.codec_for(Codec::with_schemas(
            options.resolved_types(&self.current()),
            key,
            value,
        ))
    }
}

macro_rules! accessors {
    ($($(#[$doc:meta])* $get:ident / $set:ident : $ty:ty),* $(,)?) => {
        impl Shell {$(
            $(#[$doc])*
            pub fn $get(&self) -> $ty {
                self.settings.get().$get
            }
            /// Sets the setting of the same name for this storage.
            pub fn $set(&self, value: $ty) {
                self.settings.update(|s| s.$get = value);
            }
        )*}
    };
}

accessors! {
    /// `progress.num.messages`.
    progress_num_messages / set_progress_num_messages: u64,
    /// `consume.batch.size`.
    consume_batch_size / set_consume_batch_size: usize,
    /// `produce.batch.size`.
    produce_batch_size / set_produce_batch_size: usize,
    /// `verbose`.
    verbose / set_verbose: u8,
    /// `auto.offset.reset`.
    auto_offset_reset / set_auto_offset_reset: kafi_config::AutoOffsetReset,
    /// `consumer.group.prefix`.
    consumer_group_prefix / set_consumer_group_prefix: String,
    /// `enable.auto.commit`.
    enable_auto_commit / set_enable_auto_commit: bool,
    /// `commit.after.processing`.
    commit_after_processing / set_commit_after_processing: bool,
    /// `key.type`.
    key_type / set_key_type: kafi_config::SerdeType,
    /// `value.type`.
    value_type / set_value_type: kafi_config::SerdeType,
    /// `flush.timeout`.
    flush_timeout / set_flush_timeout: f64,
    /// `consume.timeout`.
    consume_timeout / set_consume_timeout: f64,
    /// `session.timeout.ms`.
    session_timeout_ms / set_session_timeout_ms: u64,
    /// `jq.max.outputs`.
    jq_max_outputs / set_jq_max_outputs: u64,
}
