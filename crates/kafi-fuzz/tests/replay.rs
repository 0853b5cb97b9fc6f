//! Replays the committed fuzz inputs through the targets, so that plain
//! `cargo test` (CI) checks them without cargo-fuzz: the seeds of every
//! target, and each input that once found a bug as a named test.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files directly in `dir`, sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.expect("listing fuzz inputs").path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs `target` on `path`, turning a panic into the file's name and message.
fn replay(target: &str, path: &Path) -> Result<(), String> {
    let run = kafi_fuzz::target(target).unwrap_or_else(|| panic!("no fuzz target {target}"));
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    catch_unwind(AssertUnwindSafe(|| run(&data))).map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("(no message)");
        format!("{target} on {}: {message}", path.display())
    })
}

#[test]
fn seeds_pass_every_target() {
    let mut failures = Vec::new();
    for (target, _) in kafi_fuzz::TARGETS {
        let seeds = files(&fuzz_dir().join("seeds").join(target));
        assert!(!seeds.is_empty(), "target {target} has no seeds");
        failures.extend(seeds.iter().filter_map(|p| replay(target, p).err()));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Each file under `fuzz/regressions/TARGET/` with the test that replays it.
macro_rules! regressions {
    ($($(#[$attr:meta])* $test:ident: $target:literal / $file:literal;)*) => {
        const REGRESSIONS: &[(&str, &str)] = &[$(($target, $file)),*];
        $(
            $(#[$attr])*
            #[test]
            fn $test() {
                let path = fuzz_dir().join("regressions").join($target).join($file);
                if let Err(failure) = replay($target, &path) {
                    panic!("{failure}");
                }
            }
        )*
    };
}

regressions! {
    /// A fetched batch claiming 2^31 records made decode_records reserve 171 GB.
    record_batch_huge_record_count: "record_batch" / "huge-record-count-reserve";
    /// A record whose offset delta put it at offset 85 of a batch of 100..102.
    record_batch_offset_delta_outside_batch: "record_batch" / "offset-delta-outside-batch";
    /// A protobuf `float` decoded as -0.007835148833692074 but printed as -0.007835149.
    protobuf_float_widened_to_f64: "protobuf" / "float-widened-to-f64";
    /// serde_json's default float parsing read -1.9490533726147452e+164 one ULP off,
    /// so a decoded double re-encoded to a different double.
    protobuf_double_off_by_one_ulp: "protobuf" / "double-off-by-one-ulp";
    /// A json value nested 30,000 deep overflowed the stack (SIGSEGV) in
    /// jaq-json's recursive `Val::parse`; jq inputs are now checked against
    /// kafi's nesting limit first, so it is an error.
    jq_value_nested_30000_deep: "jq" / "value-nested-30000-deep";
}

#[test]
fn every_regression_input_has_a_test() {
    let mut untested = Vec::new();
    for (target, _) in kafi_fuzz::TARGETS {
        for path in files(&fuzz_dir().join("regressions").join(target)) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !REGRESSIONS.contains(&(target, name.as_str())) {
                untested.push(format!("{target}/{name}"));
            }
        }
    }
    assert!(
        untested.is_empty(),
        "add these to the regressions! list in tests/replay.rs: {untested:?}"
    );
}
