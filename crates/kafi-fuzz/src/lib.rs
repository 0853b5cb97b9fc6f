//! Fuzz targets for kafi's decoders and parsers.
//!
//! Each target is a plain `fn(&[u8])` that feeds arbitrary bytes to one
//! decoder or parser and panics when an invariant breaks: not only "does
//! not panic", but round trips (encode → decode gives the input back) and
//! consistency between the functions that read the same bytes. The same
//! functions serve two drivers:
//!
//! - the cargo-fuzz binaries in `fuzz/fuzz_targets/` (`cargo xtask fuzz
//!   TARGET --seconds N`), which search for inputs that break them, and
//! - `tests/replay.rs` (plain `cargo test`), which replays the committed
//!   seeds (`fuzz/seeds/TARGET/`) and the inputs that once found a bug
//!   (`fuzz/regressions/TARGET/`).
//!
//! See `fuzz/README.md` for how to run them.

mod config;
mod envelope;
mod jq;
mod protobuf;
mod record_batch;
mod wire;

pub use config::config;
pub use envelope::envelope;
pub use jq::jq;
pub use protobuf::protobuf;
pub use record_batch::record_batch;
pub use wire::wire;

/// A fuzz target: arbitrary bytes in, a panic when an invariant breaks.
pub type Target = fn(&[u8]);

/// Every target by name (a module of this crate and a binary of `fuzz/`
/// each).
pub const TARGETS: &[(&str, Target)] = &[
    ("config", config),
    ("envelope", envelope),
    ("jq", jq),
    ("protobuf", protobuf),
    ("record_batch", record_batch),
    ("wire", wire),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|t| t.1)
}
