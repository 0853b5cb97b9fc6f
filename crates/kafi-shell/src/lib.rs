//! Shell-like commands (`ls`, `cat`, `cp`, `grep`, `wc`, `diff`, ...) and
//! functional stream processing (`map`, `flatmap`, `filter`, `foldl`,
//! `zip_foldl` and their `_to` forms) over any kafi [`Storage`].
//!
//! Everything here speaks to storages through the traits of `kafi-core`
//! only; the backends live in their own crates. Reading commands stream:
//! `cp`, `grep`, `wc`, `diff` and the `_to` forms hold one batch at a time.
//!
//! Limits and stopping:
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
mod error;
mod interrupt;
#[cfg(feature = "jq")]
pub mod jq;
mod options;
mod shell;
mod stream;

pub use client::{Consumer, Payload, Produce, Producer};
pub use error::{Error, FnError, Result};
pub use interrupt::{signal_name, Interrupt};
pub use options::{ProgressFn, ReadOptions, WordCount, WriteOptions};
pub use shell::Shell;
