//! Schema Registry administration subcommands and `kafi registry serve`.

use anyhow::{Context, Result};
use clap::Subcommand;
use kafi::serde::{Compatibility, Schema, SchemaType};
use serde_json::json;

use crate::commands::{open, schema_text};
use crate::output::{usage, Out};

/// The registry subcommands (STORAGE is KIND:CONFIG; its `schema_registry`
/// section, or the emulated registry of a local storage, is used).
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// List subjects (sorted), optionally those starting with PREFIX.
    Subjects {
        storage: String,
        prefix: Option<String>,
        /// Also soft-deleted subjects.
        #[arg(long)]
        deleted: bool,
        /// Only soft-deleted subjects.
        #[arg(long)]
        deleted_only: bool,
    },
    /// Print the schema with ID.
    Schema { storage: String, id: i32 },
    /// Print the subjects and versions using schema ID.
    SchemaVersions { storage: String, id: i32 },
    /// Print the latest version of SUBJECT.
    LatestVersion { storage: String, subject: String },
    /// Print one version of SUBJECT.
    Version {
        storage: String,
        subject: String,
        version: i32,
    },
    /// List the versions of SUBJECT.
    Versions {
        storage: String,
        subject: String,
        /// Include soft-deleted versions.
        #[arg(long)]
        deleted: bool,
    },
    /// Register SCHEMA (a file or the text) under SUBJECT; prints its id.
    Register {
        storage: String,
        subject: String,
        schema: String,
        /// AVRO, PROTOBUF or JSON.
        #[arg(long = "schema-type", default_value = "AVRO")]
        schema_type: String,
    },
    /// Print the version of SUBJECT holding SCHEMA.
    Lookup {
        storage: String,
        subject: String,
        schema: String,
        /// AVRO, PROTOBUF or JSON.
        #[arg(long = "schema-type", default_value = "AVRO")]
        schema_type: String,
    },
    /// Delete SUBJECT (soft, or --permanent after a soft delete); prints the versions.
    DeleteSubject {
        storage: String,
        subject: String,
        #[arg(long)]
        permanent: bool,
    },
    /// Delete one VERSION of SUBJECT (-1: the latest).
    DeleteVersion {
        storage: String,
        subject: String,
        #[arg(allow_negative_numbers = true)]
        version: i32,
        #[arg(long)]
        permanent: bool,
    },
    /// Print (or --set) the compatibility level of SUBJECT or the global one.
    Compatibility {
        storage: String,
        subject: Option<String>,
        /// NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE.
        #[arg(long, value_name = "LEVEL")]
        set: Option<String>,
    },
    /// Test SCHEMA against SUBJECT (exit 1 when incompatible).
    TestCompatibility {
        storage: String,
        subject: String,
        schema: String,
        /// AVRO, PROTOBUF or JSON.
        #[arg(long = "schema-type", default_value = "AVRO")]
        schema_type: String,
        /// One version to test against (default: as the subject's level asks).
        #[arg(long)]
        version: Option<i32>,
    },
    /// The emulated registry over Confluent's REST API.
    #[command(subcommand)]
    Registry(ServeCommand),
}

/// `kafi registry ...`.
#[derive(Debug, Subcommand)]
pub enum ServeCommand {
    /// Serve the schema registry of a storage (the emulated one of a
    /// storage on files, e.g. `local:NAME`).
    Serve {
        storage: String,
        /// Port on 127.0.0.1 (0: any free port; the address is printed).
        #[arg(long, default_value_t = 8081)]
        port: u16,
        /// Address to bind.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
    },
}

fn schema_type(name: &str) -> Result<SchemaType> {
    match name.to_ascii_uppercase().as_str() {
        "AVRO" => Ok(SchemaType::Avro),
        "PROTOBUF" | "PB" => Ok(SchemaType::Protobuf),
        "JSON" | "JSONSCHEMA" | "JSON_SR" => Ok(SchemaType::Json),
        other => Err(usage(format!(
            "unknown schema type {other:?} (AVRO, PROTOBUF or JSON)"
        ))),
    }
}

fn print(value: &serde_json::Value) -> Result<u8> {
    let mut out = Out::new();
    out.line(&value.to_string())?;
    out.flush()?;
    Ok(0)
}

/// Runs a registry subcommand.
pub async fn run(command: RegistryCommand) -> Result<u8> {
    use RegistryCommand as C;
    match command {
        C::Subjects {
            storage,
            prefix,
            deleted,
            deleted_only,
        } => print(&json!(
            open(&storage)
                .await?
                .get_subjects(prefix.as_deref(), deleted, deleted_only)
                .await?
        )),
        C::Schema { storage, id } => {
            let s = open(&storage).await?.get_schema(id).await?;
            print(&json!({"schema_str": s.schema, "schema_type": s.schema_type}))
        }
        C::SchemaVersions { storage, id } => {
            print(&json!(open(&storage).await?.get_schema_versions(id).await?))
        }
        C::LatestVersion { storage, subject } => print(&json!(
            open(&storage).await?.get_latest_version(&subject).await?
        )),
        C::Version {
            storage,
            subject,
            version,
        } => print(&json!(
            open(&storage).await?.get_version(&subject, version).await?
        )),
        C::Versions {
            storage,
            subject,
            deleted,
        } => print(&json!(
            open(&storage)
                .await?
                .get_versions(&subject, deleted)
                .await?
        )),
        C::Register {
            storage,
            subject,
            schema,
            schema_type: t,
        } => {
            let schema = Schema::new(schema_type(&t)?, schema_text(&schema)?);
            print(&json!(
                open(&storage)
                    .await?
                    .register_schema(&subject, &schema)
                    .await?
            ))
        }
        C::Lookup {
            storage,
            subject,
            schema,
            schema_type: t,
        } => {
            let schema = Schema::new(schema_type(&t)?, schema_text(&schema)?);
            print(&json!(
                open(&storage)
                    .await?
                    .lookup_schema(&subject, &schema)
                    .await?
            ))
        }
        C::DeleteSubject {
            storage,
            subject,
            permanent,
        } => print(&json!(
            open(&storage)
                .await?
                .delete_subject(&subject, permanent)
                .await?
        )),
        C::DeleteVersion {
            storage,
            subject,
            version,
            permanent,
        } => print(&json!(
            open(&storage)
                .await?
                .delete_version(&subject, version, permanent)
                .await?
        )),
        C::Compatibility {
            storage,
            subject,
            set,
        } => {
            let shell = open(&storage).await?;
            let level = match set {
                Some(level) => {
                    let level: Compatibility = level.parse().map_err(usage)?;
                    shell.set_compatibility(subject.as_deref(), level).await?
                }
                None => shell.get_compatibility(subject.as_deref()).await?,
            };
            print(&json!(level))
        }
        C::TestCompatibility {
            storage,
            subject,
            schema,
            schema_type: t,
            version,
        } => {
            let schema = Schema::new(schema_type(&t)?, schema_text(&schema)?);
            let ok = open(&storage)
                .await?
                .test_compatibility(&subject, &schema, version)
                .await?;
            print(&json!(ok))?;
            Ok(if ok { 0 } else { 1 })
        }
        C::Registry(ServeCommand::Serve {
            storage,
            port,
            host,
        }) => serve(&storage, &host, port).await,
    }
}

async fn serve(storage: &str, host: &str, port: u16) -> Result<u8> {
    let addr: std::net::SocketAddr = format!("{host}:{port}")
        .parse()
        .map_err(|e| usage(format!("invalid address {host}:{port}: {e}")))?;
    let shell = open(storage).await?;
    let registry = shell.schema_registry().cloned().ok_or_else(|| {
        usage(format!(
            "{storage} has no schema registry to serve: its schema_registry section says \
             emulated: false, or the storage keeps no objects of its own (a cluster); \
             give it schema.registry.url or serve a storage on files"
        ))
    })?;
    kafi::registry::server::serve(registry, addr, |bound| {
        println!("serving the schema registry of {storage} on http://{bound}");
    })
    .await
    .with_context(|| format!("cannot serve on {addr}"))?;
    Ok(0)
}
