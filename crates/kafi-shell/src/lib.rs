//! Shell-like commands (`ls`, `cat`, `cp`, `grep`, `wc`, `diff`, ...) and
//! functional stream processing (`map`, `flatmap`, `filter`, `foldl`,
//! `zip_foldl` and their `_to` forms) over any kafi [`Storage`].
//!
//! Everything here speaks to storages through the traits of `kafi-core`
//! only; the backends live in their own crates. Reading commands stream:
//! `cp`, `grep`, `wc`, `diff` and the `_to` forms hold one batch at a time.
//!
//! # Layout
//!
//! [`Shell`] is one storage (plus its schema registry and settings); its
//! methods live in one module per concern (see `shell.rs`). Under it, a
//! stream layer reads and writes in batches on a storage and a
//! [`Codec`](kafi_serde::Codec), knowing nothing of [`Shell`]: every
//! reading path opens its consumer by one rule (below) and every writing
//! path creates a missing topic the same way, on every storage.
//!
//! # Conventions
//!
//! - **Argument order**: `(topic, [target, target_topic], options…, [init,] f)`:
//!   what to read, where to write, how (the [`ReadOptions`] and
//!   [`WriteOptions`], the seed's keyword arguments), and the callback
//!   last.
//! - **`_to`**: writes to a target topic on any storage (the seed's
//!   `map_to`, `foldl_to`, ...). Copies are [`TopicCopy`] values
//!   ([`Shell::copy`]) and zips [`TopicZip`] values ([`Shell::zip`]):
//!   set their options, then await one of their methods. [`Shell::cp`],
//!   [`Shell::map_to`], [`Shell::flatmap_to`], [`Shell::filter_to`] and
//!   [`Shell::zip_foldl`] are shortcuts taking the options as arguments.
//! - **`_with`**: the streaming form of the command of the same name
//!   ([`Shell::cat_with`], [`Shell::tail_with`], [`Shell::grep_with`],
//!   [`Shell::diff_with`], [`Shell::compact_with`]): instead of returning
//!   decoded [`Message`](kafi_serde::Message)s, it calls `f` with each
//!   raw message and the codec prepared to decode it (schema ids
//!   resolved), e.g. to print it with
//!   [`Codec::write_json_line`](kafi_serde::Codec::write_json_line).
//! - **`_raw`**: raw messages or records, not decoded
//!   ([`Shell::foreach_raw`], [`TopicCopy::flatmap_raw_to`]).
//!
//! # Reading and committing
//!
//! Every reading path (the commands, the functional forms, copies, and the
//! [`Consumer`] objects) follows one rule. With a named group
//! ([`ReadOptions::group`], prefixed with `consumer.group.prefix`), reading
//! starts at [`ReadOptions::offsets`] if given, else at the group's
//! committed offsets (`auto.offset.reset` where it has none), and the
//! group's offsets are committed: after each batch is processed
//! (`commit.after.processing`), or by the storage on every poll
//! (`enable.auto.commit`). Without a group, the partitions are assigned
//! directly (those of [`ReadOptions::offsets`], else every partition from
//! the end `auto.offset.reset` names): there is no group to join and
//! nothing is committed.
//!
//! # Limits and stopping
//!
//! - jq transforms ([`jq`], feature `jq`): a map gives exactly one output
//!   per message, a flatmap streams at most `jq.max.outputs` (default
//!   10000) per message, expressions are at most 32 KiB long and 256 deep,
//!   and inputs and outputs are JSON values within kafi's nesting limit of
//!   127 ([`kafi_serde::MAX_JSON_NESTING`]); see [the jq limits](jq#limits).
//! - An [`Interrupt`] in [`ReadOptions::interrupt`] stops a reading command
//!   before its next message: what was processed is written, flushed and
//!   committed, and the command fails with [`Error::Stopped`] inside the
//!   usual counts ([`Error::Interrupted`] / [`Error::ReadInterrupted`]).
//!   The `kafi` command sets it on SIGINT/SIGTERM (exit 130/143).
//!
//! [`Storage`]: kafi_core::Storage

// docs.rs (`--cfg docsrs`, nightly) labels feature-gated items with their features.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod admin;
mod client;
mod compact;
mod copy;
mod diff;
mod error;
mod groups;
mod interrupt;
#[cfg(feature = "jq")]
pub mod jq;
mod options;
mod produce;
mod read;
mod registry;
mod shell;
mod stream;
mod topics;
mod zip;

pub use client::{Consumer, Payload, Produce, Producer};
pub use copy::TopicCopy;
pub use diff::DiffSide;
pub use error::{Error, FnError, Result};
pub use interrupt::{signal_name, Interrupt};
pub use options::{ProgressFn, ReadOptions, WordCount, WriteOptions};
pub use produce::{LineFormat, LineProducer};
pub use shell::Shell;
pub use zip::TopicZip;
