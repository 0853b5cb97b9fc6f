//! Schema Registry administration (the seed's names) and `kafi registry
//! serve`. STORAGE is KIND:CONFIG: its `schema_registry` section, or the
//! emulated registry of a storage on files, is used. Every result prints as
//! JSON.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use kafi::serde::{Compatibility, Schema, SchemaType};
use serde_json::json;

use crate::error::usage;
use crate::render::Rendered;
use crate::resolve::{open, schema_text};

/// The registry subcommands.
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// List subjects (sorted), optionally those starting with PREFIX.
    Subjects {
        /// Storage, KIND:CONFIG (e.g. local:local).
        storage: String,
        /// Only subjects starting with this.
        prefix: Option<String>,
        /// Also soft-deleted subjects.
        #[arg(long)]
        deleted: bool,
        /// Only soft-deleted subjects.
        #[arg(long)]
        deleted_only: bool,
    },
    /// Print the schema with ID.
    Schema {
        /// Storage, KIND:CONFIG (e.g. local:local).
        storage: String,
        /// Schema id.
        id: i32,
    },
    /// Print the subjects and versions using schema ID.
    SchemaVersions {
        /// Storage, KIND:CONFIG (e.g. local:local).
        storage: String,
        /// Schema id.
        id: i32,
    },
    /// Print the latest version of SUBJECT.
    LatestVersion(SubjectArgs),
    /// Print one version of SUBJECT.
    Version {
        /// Storage, KIND:CONFIG (e.g. local:local).
        storage: String,
        /// Subject, e.g. TOPIC-value.
        subject: String,
        /// Version number.
        version: i32,
    },
    /// List the versions of SUBJECT.
    Versions {
        /// Storage, KIND:CONFIG (e.g. local:local).
        storage: String,
        /// Subject, e.g. TOPIC-value.
        subject: String,
        /// Include soft-deleted versions.
        #[arg(long)]
        deleted: bool,
    },
    /// Register SCHEMA (a file or the text) under SUBJECT; prints its id.
    Register(SchemaArgs),
    /// Print the version of SUBJECT holding SCHEMA.
    Lookup(SchemaArgs),
    /// Delete SUBJECT (soft, or --permanent after a soft delete); prints the versions.
    DeleteSubject {
        /// Storage, KIND:CONFIG (e.g. local:local).
        storage: String,
        /// Subject, e.g. TOPIC-value.
        subject: String,
        /// Delete for good (after a soft delete).
        #[arg(long)]
        permanent: bool,
    },
    /// Delete one VERSION of SUBJECT (-1: the latest).
    DeleteVersion {
        /// Storage, KIND:CONFIG (e.g. local:local).
        storage: String,
        /// Subject, e.g. TOPIC-value.
        subject: String,
        /// Version number (-1: the latest).
        #[arg(allow_negative_numbers = true)]
        version: i32,
        /// Delete for good (after a soft delete).
        #[arg(long)]
        permanent: bool,
    },
    /// Print (or --set) the compatibility level of SUBJECT or the global one.
    Compatibility {
        /// Storage, KIND:CONFIG (e.g. local:local).
        storage: String,
        /// Subject (default: the global level).
        subject: Option<String>,
        /// NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE.
        #[arg(long, value_name = "LEVEL")]
        set: Option<Compatibility>,
    },
    /// Test SCHEMA against SUBJECT (exit 1 when incompatible).
    TestCompatibility {
        #[command(flatten)]
        schema: SchemaArgs,
        /// One version to test against (default: as the subject's level asks).
        #[arg(long)]
        version: Option<i32>,
    },
    /// The emulated registry over Confluent's REST API.
    #[command(subcommand)]
    Registry(ServeCommand),
}

/// A storage and a subject.
#[derive(Debug, Args)]
pub struct SubjectArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Subject, e.g. TOPIC-value.
    subject: String,
}

/// A storage, a subject and a schema.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Subject, e.g. TOPIC-value.
    subject: String,
    /// The schema: a file or the text.
    schema: String,
    /// AVRO, PROTOBUF or JSON.
    #[arg(long = "schema-type", default_value = "AVRO", value_parser = schema_type)]
    schema_type: SchemaType,
}

impl SchemaArgs {
    fn schema(&self) -> Result<Schema> {
        Ok(Schema::new(self.schema_type, schema_text(&self.schema)?))
    }
}

/// `kafi registry ...`.
#[derive(Debug, Subcommand)]
pub enum ServeCommand {
    /// Serve the schema registry of a storage (the emulated one of a
    /// storage on files, e.g. `local:NAME`).
    Serve {
        /// The storage whose registry to serve, KIND:CONFIG.
        storage: String,
        /// Port on 127.0.0.1 (0: any free port; the address is printed).
        #[arg(long, default_value_t = 8081)]
        port: u16,
        /// Address to bind.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
    },
}

/// A schema type by name, ignoring case (also PB, JSONSCHEMA, JSON_SR).
fn schema_type(name: &str) -> Result<SchemaType, String> {
    match name.to_ascii_uppercase().as_str() {
        "AVRO" => Ok(SchemaType::Avro),
        "PROTOBUF" | "PB" => Ok(SchemaType::Protobuf),
        "JSON" | "JSONSCHEMA" | "JSON_SR" => Ok(SchemaType::Json),
        _ => Err("use AVRO, PROTOBUF or JSON".into()),
    }
}

fn print(value: serde_json::Value) -> Result<u8> {
    Rendered::json(value).print(true)
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
        } => {
            let shell = open(&storage).await?;
            let subjects = shell
                .get_subjects(prefix.as_deref(), deleted, deleted_only)
                .await?;
            print(json!(subjects))
        }
        C::Schema { storage, id } => {
            let s = open(&storage).await?.get_schema(id).await?;
            print(json!({"schema_str": s.schema, "schema_type": s.schema_type}))
        }
        C::SchemaVersions { storage, id } => {
            print(json!(open(&storage).await?.get_schema_versions(id).await?))
        }
        C::LatestVersion(a) => {
            let shell = open(&a.storage).await?;
            print(json!(shell.get_latest_version(&a.subject).await?))
        }
        C::Version {
            storage,
            subject,
            version,
        } => {
            let shell = open(&storage).await?;
            print(json!(shell.get_version(&subject, version).await?))
        }
        C::Versions {
            storage,
            subject,
            deleted,
        } => {
            let shell = open(&storage).await?;
            print(json!(shell.get_versions(&subject, deleted).await?))
        }
        C::Register(a) => {
            let schema = a.schema()?;
            let shell = open(&a.storage).await?;
            print(json!(shell.register_schema(&a.subject, &schema).await?))
        }
        C::Lookup(a) => {
            let schema = a.schema()?;
            let shell = open(&a.storage).await?;
            print(json!(shell.lookup_schema(&a.subject, &schema).await?))
        }
        C::DeleteSubject {
            storage,
            subject,
            permanent,
        } => {
            let shell = open(&storage).await?;
            print(json!(shell.delete_subject(&subject, permanent).await?))
        }
        C::DeleteVersion {
            storage,
            subject,
            version,
            permanent,
        } => {
            let shell = open(&storage).await?;
            print(json!(
                shell.delete_version(&subject, version, permanent).await?
            ))
        }
        C::Compatibility {
            storage,
            subject,
            set,
        } => {
            let shell = open(&storage).await?;
            let level = match set {
                Some(level) => shell.set_compatibility(subject.as_deref(), level).await?,
                None => shell.get_compatibility(subject.as_deref()).await?,
            };
            print(json!(level))
        }
        C::TestCompatibility { schema: a, version } => {
            let schema = a.schema()?;
            let shell = open(&a.storage).await?;
            let ok = shell
                .test_compatibility(&a.subject, &schema, version)
                .await?;
            print(json!(ok))?;
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
