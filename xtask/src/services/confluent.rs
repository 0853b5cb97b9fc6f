//! PyPI `confluent-kafka` (librdkafka, Confluent's Schema Registry client
//! and serializers) in the services venv, for interoperability tests. Not a
//! process: it exports the Python that has it as `KAFI_TEST_PYTHON`.

use anyhow::{bail, Result};

use super::{python, Service, Started};

/// With the extras Confluent's Avro/Protobuf/JSON serializers and the
/// Schema Registry client need (registry interop tests).
const REQUIREMENT: &str = "confluent-kafka[avro,protobuf,json,schemaregistry]==2.*";

/// The modules the interoperability tests import.
const MODULES: &str = "confluent_kafka, fastavro, google.protobuf, jsonschema";

/// The service entry.
pub const SERVICE: Service = Service {
    name: "confluent-kafka",
    summary: "PyPI confluent-kafka and its serializers (KAFI_TEST_PYTHON)",
    install,
    start,
};

/// Installs confluent-kafka into the venv (skipped when present).
pub fn install() -> Result<()> {
    python::ensure_venv()?;
    if !python::imports(MODULES) {
        python::pip_install(&[REQUIREMENT])?;
    }
    if !python::imports(MODULES) {
        bail!("{REQUIREMENT} installed, but python cannot import {MODULES}");
    }
    Ok(())
}

fn start() -> Result<Started> {
    Ok(Started::without_process().export("KAFI_TEST_PYTHON", python::python().display()))
}
