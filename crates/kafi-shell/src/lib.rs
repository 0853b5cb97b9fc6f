//! Shell-like commands (`ls`, `cat`, `cp`, `grep`, `wc`, `diff`, ...) and
//! functional stream processing (`map`, `flatmap`, `filter`, `foldl`,
//! `zip_foldl` and their `_to` forms) over any kafi [`Storage`].
//!
//! Everything here speaks to storages through the traits of `kafi-core`
//! only; the backends live in their own crates. Reading commands stream:
//! `cp`, `grep`, `wc`, `diff` and the `_to` forms hold one batch at a time.
//!
//! [`Storage`]: kafi_core::Storage

// docs.rs (`--cfg docsrs`, nightly) labels feature-gated items with their features.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod admin;
mod client;
mod error;
#[cfg(feature = "jq")]
pub mod jq;
mod options;
mod shell;
mod stream;

pub use client::{Consumer, Payload, Produce, Producer};
pub use error::{Error, FnError, Result};
pub use options::{ProgressFn, ReadOptions, WordCount, WriteOptions};
pub use shell::Shell;
