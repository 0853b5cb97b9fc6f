//! Any [`SchemaRegistry`] (usually the emulated one) over Confluent's
//! Schema Registry REST API: the endpoints
//! [`RegistryClient`](crate::RegistryClient) and Confluent's own clients
//! use, with Confluent's status codes and `{"error_code": N, "message":
//! "..."}` error bodies.
//!
//! | endpoint | answer |
//! | --- | --- |
//! | `GET /subjects[?deleted&deletedOnly&subjectPrefix]` | `["s", ...]` |
//! | `POST /subjects/{s}/versions` | `{"id": N}` |
//! | `POST /subjects/{s}[?deleted]` (lookup) | `{"subject","version","id","schema","schemaType"}` |
//! | `GET /subjects/{s}/versions[?deleted]` | `[1, 2]` |
//! | `GET /subjects/{s}/versions/{v or latest}[?deleted]` | as lookup |
//! | `GET /subjects/{s}/versions/{v}/schema` | the schema text |
//! | `DELETE /subjects/{s}[?permanent]`, `DELETE /subjects/{s}/versions/{v}[?permanent]` | `[1]`, `1` |
//! | `GET /schemas/ids/{id}[?format=serialized]`, `GET /schemas/ids/{id}/versions`, `GET /schemas/types` | |
//! | `GET/PUT /config`, `GET/PUT /config/{s}` | `{"compatibilityLevel"}` / `{"compatibility"}` |
//! | `POST /compatibility/subjects/{s}/versions[/{v}]` | `{"is_compatible": bool}` |
//!
//! `?format=serialized` on a Protobuf schema answers the base64
//! `FileDescriptorProto` (what Confluent's Python deserializer asks for).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use kafi_serde::{
    Compatibility, RegisteredSchema, Schema, SchemaReference, SchemaType, SubjectFilter,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{Error, SchemaRegistry};

type Shared = State<Arc<dyn SchemaRegistry>>;
type Params = Query<HashMap<String, String>>;

struct ApiError(Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

fn answer(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            "application/vnd.schemaregistry.v1+json",
        )],
        body.to_string(),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.0.status_and_code();
        answer(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            json!({"error_code": code, "message": self.0.message()}),
        )
    }
}

type Answer = Result<Response, ApiError>;

fn ok(body: Value) -> Answer {
    Ok(answer(StatusCode::OK, body))
}

fn flag(q: &HashMap<String, String>, name: &str) -> bool {
    q.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaBody {
    schema: String,
    #[serde(default)]
    schema_type: Option<SchemaType>,
    #[serde(default)]
    references: Option<Vec<SchemaReference>>,
}

fn parse_schema(body: &Bytes) -> Result<Schema, ApiError> {
    let b: SchemaBody = serde_json::from_slice(body).map_err(|e| Error::Server {
        status: 422,
        code: 422,
        message: format!("Unrecognized request body: {e}"),
    })?;
    Ok(Schema {
        schema_type: b.schema_type.unwrap_or_default(),
        schema: b.schema,
        references: b.references.unwrap_or_default(),
    })
}

fn version_of(v: &str) -> Result<i32, ApiError> {
    if v == "latest" {
        return Ok(-1);
    }
    v.parse::<i32>().map_err(|_| {
        ApiError(Error::InvalidVersion(format!(
            "The specified version '{v}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
        )))
    })
}

fn registered_json(r: RegisteredSchema) -> Value {
    let mut v = json!({
        "subject": r.subject,
        "version": r.version,
        "id": r.schema_id,
        "schema": r.schema.schema_str,
    });
    if r.schema.schema_type != SchemaType::Avro {
        v["schemaType"] = json!(r.schema.schema_type);
    }
    if !r.schema.references.is_empty() {
        v["references"] = json!(r.schema.references);
    }
    v
}

async fn root() -> Answer {
    ok(json!({}))
}

async fn subjects(State(r): Shared, Query(q): Params) -> Answer {
    let filter = if flag(&q, "deletedOnly") || flag(&q, "deleted_only") {
        SubjectFilter::OnlyDeleted
    } else if flag(&q, "deleted") {
        SubjectFilter::WithDeleted
    } else {
        SubjectFilter::Live
    };
    let prefix = q
        .get("subjectPrefix")
        .filter(|p| !p.is_empty() && *p != ":*:");
    ok(json!(
        r.get_subjects(prefix.map(String::as_str), filter).await?
    ))
}

async fn register(State(r): Shared, Path(subject): Path<String>, body: Bytes) -> Answer {
    let schema = parse_schema(&body)?;
    let id = r.register_schema(&subject, &schema).await?;
    ok(json!({"id": id}))
}

async fn lookup(
    State(r): Shared,
    Path(subject): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Answer {
    let schema = parse_schema(&body)?;
    ok(registered_json(
        r.lookup_schema(&subject, &schema, flag(&q, "deleted"))
            .await?,
    ))
}

async fn delete_subject(State(r): Shared, Path(subject): Path<String>, Query(q): Params) -> Answer {
    ok(json!(
        r.delete_subject(&subject, flag(&q, "permanent")).await?
    ))
}

async fn versions(State(r): Shared, Path(subject): Path<String>, Query(q): Params) -> Answer {
    ok(json!(r.get_versions(&subject, flag(&q, "deleted")).await?))
}

async fn version(
    State(r): Shared,
    Path((subject, v)): Path<(String, String)>,
    Query(q): Params,
) -> Answer {
    let v = version_of(&v)?;
    ok(registered_json(
        r.get_version(&subject, v, flag(&q, "deleted")).await?,
    ))
}

async fn version_schema(State(r): Shared, Path((subject, v)): Path<(String, String)>) -> Answer {
    let v = version_of(&v)?;
    let found = r.get_version(&subject, v, false).await?;
    Ok(found.schema.schema_str.into_response())
}

async fn delete_version(
    State(r): Shared,
    Path((subject, v)): Path<(String, String)>,
    Query(q): Params,
) -> Answer {
    let v = version_of(&v)?;
    ok(json!(
        r.delete_version(&subject, v, flag(&q, "permanent")).await?
    ))
}

async fn schema_by_id(State(r): Shared, Path(id): Path<i32>, Query(q): Params) -> Answer {
    let schema = r.get_schema(id).await?;
    // Rewritten only for Protobuf's `?format=serialized`.
    #[cfg_attr(not(feature = "serde-protobuf"), allow(unused_mut))]
    let mut text = schema.schema.clone();
    #[cfg(feature = "serde-protobuf")]
    if schema.schema_type == SchemaType::Protobuf
        && q.get("format").is_some_and(|f| f == "serialized")
    {
        text = kafi_serde::formats::protobuf::to_serialized(&schema.schema)
            .map_err(Error::InvalidSchema)?;
    }
    let _ = &q;
    let mut v = json!({"schema": text});
    if schema.schema_type != SchemaType::Avro {
        v["schemaType"] = json!(schema.schema_type);
    }
    if !schema.references.is_empty() {
        v["references"] = json!(schema.references);
    }
    ok(v)
}

async fn schema_versions(State(r): Shared, Path(id): Path<i32>) -> Answer {
    ok(json!(r.get_schema_versions(id).await?))
}

async fn types() -> Answer {
    ok(json!(["AVRO", "JSON", "PROTOBUF"]))
}

#[derive(Deserialize)]
struct LevelBody {
    compatibility: String,
}

async fn set_level(r: &dyn SchemaRegistry, subject: Option<&str>, body: &Bytes) -> Answer {
    let level: Compatibility = serde_json::from_slice::<LevelBody>(body)
        .map_err(|e| e.to_string())
        .and_then(|b| b.compatibility.parse())
        .map_err(|e| {
            ApiError(Error::InvalidCompatibilityLevel(format!(
                "Invalid compatibility level: {e}"
            )))
        })?;
    ok(json!({"compatibility": r.set_compatibility(subject, level).await?}))
}

async fn global_config(State(r): Shared) -> Answer {
    ok(json!({"compatibilityLevel": r.get_compatibility(None).await?}))
}

async fn put_global_config(State(r): Shared, body: Bytes) -> Answer {
    set_level(r.as_ref(), None, &body).await
}

async fn subject_config(State(r): Shared, Path(subject): Path<String>) -> Answer {
    ok(json!({"compatibilityLevel": r.get_compatibility(Some(&subject)).await?}))
}

async fn put_subject_config(State(r): Shared, Path(subject): Path<String>, body: Bytes) -> Answer {
    set_level(r.as_ref(), Some(&subject), &body).await
}

async fn compatibility_all(State(r): Shared, Path(subject): Path<String>, body: Bytes) -> Answer {
    let schema = parse_schema(&body)?;
    ok(json!({"is_compatible": r.test_compatibility(&subject, &schema, None).await?}))
}

async fn compatibility_version(
    State(r): Shared,
    Path((subject, v)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let schema = parse_schema(&body)?;
    let v = version_of(&v)?;
    ok(json!({"is_compatible": r.test_compatibility(&subject, &schema, Some(v)).await?}))
}

async fn not_found() -> Answer {
    Err(ApiError(Error::Server {
        status: 404,
        code: 404,
        message: "HTTP 404 Not Found".into(),
    }))
}

/// The REST API's routes over `registry`.
pub fn router(registry: Arc<dyn SchemaRegistry>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/subjects", get(subjects))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route("/subjects/{subject}/versions", get(versions).post(register))
        .route(
            "/subjects/{subject}/versions/{version}",
            get(version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(version_schema),
        )
        .route("/schemas/ids/{id}", get(schema_by_id))
        .route("/schemas/ids/{id}/versions", get(schema_versions))
        .route("/schemas/types", get(types))
        .route("/config", get(global_config).put(put_global_config))
        .route(
            "/config/{subject}",
            get(subject_config).put(put_subject_config),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(compatibility_all),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(compatibility_version),
        )
        .fallback(not_found)
        .with_state(registry)
}

/// Serves `registry` on `addr` until the process ends; calls `ready` with
/// the bound address (useful with port 0).
pub async fn serve(
    registry: Arc<dyn SchemaRegistry>,
    addr: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    ready(listener.local_addr()?);
    axum::serve(listener, router(registry)).await
}
