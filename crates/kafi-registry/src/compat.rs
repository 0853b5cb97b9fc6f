//! Schema compatibility checks of the emulated registry.
//!
//! `can_read(reader, writer)` says whether data written with `writer` can be
//! read with `reader`. BACKWARD checks `can_read(new, old)`, FORWARD
//! `can_read(old, new)`, FULL both; the `_TRANSITIVE` levels check every
//! live version instead of the latest only.
//!
//! - **Avro**: apache-avro's schema resolution check
//!   (`SchemaCompatibility::can_read`).
//! - **JSON schema** (structural rules, like Confluent's main ones): a
//!   `type` of the reader must cover the writer's (`number` covers
//!   `integer`); a property required by the reader must be required by the
//!   writer; a reader with `additionalProperties: false` must declare every
//!   property the writer declares; a reader's `enum` must contain the
//!   writer's; `properties` and `items` are compared recursively.
//! - **Protobuf** (wire rules): every message of the writer's file that the
//!   reader's file also has (by full name) is compared field by field
//!   number: both kinds must share a wire encoding (varint integers, bool
//!   and enums together; `sint*`, `fixed32`/`sfixed32`,
//!   `fixed64`/`sfixed64`, `string`/`bytes`, messages of the same name),
//!   and a field the reader declares `required` must exist in the writer.
//!   The writer's first message must still exist in the reader.

use kafi_serde::{Compatibility, Schema, SchemaType};

/// Why two schemas are incompatible.
pub type Incompatibility = String;

/// Checks `new` against `olds` (oldest first) for `level`.
pub fn check(level: Compatibility, new: &Schema, olds: &[Schema]) -> Result<(), Incompatibility> {
    if level == Compatibility::None {
        return Ok(());
    }
    let olds: &[Schema] = if level.transitive() {
        olds
    } else {
        olds.last().map(std::slice::from_ref).unwrap_or(&[])
    };
    for old in olds {
        if old.schema_type != new.schema_type {
            return Err(format!(
                "the schema type changed from {} to {}",
                old.schema_type, new.schema_type
            ));
        }
        if level.backward() {
            can_read(new, old).map_err(|e| {
                format!("the new schema cannot read data written with an earlier one: {e}")
            })?;
        }
        if level.forward() {
            can_read(old, new).map_err(|e| {
                format!("an earlier schema cannot read data written with the new one: {e}")
            })?;
        }
    }
    Ok(())
}

/// Whether data written with `writer` can be read with `reader`.
pub fn can_read(reader: &Schema, writer: &Schema) -> Result<(), Incompatibility> {
    match reader.schema_type {
        SchemaType::Avro => avro(reader, writer),
        SchemaType::Json => json(reader, writer),
        SchemaType::Protobuf => protobuf(reader, writer),
    }
}

#[cfg(feature = "serde-avro")]
fn avro(reader: &Schema, writer: &Schema) -> Result<(), Incompatibility> {
    let r = apache_avro::Schema::parse_str(&reader.schema).map_err(|e| e.to_string())?;
    let w = apache_avro::Schema::parse_str(&writer.schema).map_err(|e| e.to_string())?;
    apache_avro::schema_compatibility::SchemaCompatibility::can_read(&w, &r)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "serde-avro"))]
fn avro(_: &Schema, _: &Schema) -> Result<(), Incompatibility> {
    Err("built without the serde-avro feature: Avro compatibility cannot be checked".into())
}

fn json(reader: &Schema, writer: &Schema) -> Result<(), Incompatibility> {
    let r: serde_json::Value = serde_json::from_str(&reader.schema).map_err(|e| e.to_string())?;
    let w: serde_json::Value = serde_json::from_str(&writer.schema).map_err(|e| e.to_string())?;
    json_node("#", &r, &w)
}

fn types_of(v: &serde_json::Value) -> Option<Vec<String>> {
    match v.get("type")? {
        serde_json::Value::String(s) => Some(vec![s.clone()]),
        serde_json::Value::Array(a) => Some(
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}

fn json_node(
    path: &str,
    r: &serde_json::Value,
    w: &serde_json::Value,
) -> Result<(), Incompatibility> {
    use serde_json::Value;
    if let (Some(rt), Some(wt)) = (types_of(r), types_of(w)) {
        for t in &wt {
            let covered = rt.contains(t) || (t == "integer" && rt.iter().any(|x| x == "number"));
            if !covered {
                return Err(format!(
                    "{path}: type {t} of the writer is not accepted by the reader ({})",
                    rt.join(", ")
                ));
            }
        }
    }
    if let (Some(Value::Array(re)), Some(Value::Array(we))) = (r.get("enum"), w.get("enum")) {
        if let Some(missing) = we.iter().find(|x| !re.contains(x)) {
            return Err(format!(
                "{path}: enum value {missing} of the writer is missing in the reader"
            ));
        }
    }
    let empty = serde_json::Map::new();
    let rprops = r
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let wprops = w
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let required = |v: &Value| -> Vec<String> {
        v.get("required")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let wreq = required(w);
    for p in required(r) {
        if !wreq.contains(&p) {
            return Err(format!(
                "{path}/properties/{p}: required by the reader but not by the writer"
            ));
        }
    }
    if r.get("additionalProperties") == Some(&Value::Bool(false)) {
        if let Some(p) = wprops.keys().find(|p| !rprops.contains_key(*p)) {
            return Err(format!(
                "{path}/properties/{p}: declared by the writer but the reader allows no additional properties"
            ));
        }
    }
    for (name, rp) in rprops {
        if let Some(wp) = wprops.get(name) {
            json_node(&format!("{path}/properties/{name}"), rp, wp)?;
        }
    }
    if let (Some(ri), Some(wi)) = (r.get("items"), w.get("items")) {
        json_node(&format!("{path}/items"), ri, wi)?;
    }
    Ok(())
}

#[cfg(feature = "serde-protobuf")]
fn protobuf(reader: &Schema, writer: &Schema) -> Result<(), Incompatibility> {
    use kafi_serde::formats::protobuf::{
        parse,
        prost_reflect::{Cardinality, Kind},
    };
    let r = parse(&reader.schema)?;
    let w = parse(&writer.schema)?;
    let wire = |k: &Kind| -> String {
        match k {
            Kind::Int32
            | Kind::Int64
            | Kind::Uint32
            | Kind::Uint64
            | Kind::Bool
            | Kind::Enum(_) => "varint".into(),
            Kind::Sint32 | Kind::Sint64 => "zigzag varint".into(),
            Kind::Fixed32 | Kind::Sfixed32 => "fixed32".into(),
            Kind::Fixed64 | Kind::Sfixed64 => "fixed64".into(),
            Kind::Float => "float".into(),
            Kind::Double => "double".into(),
            Kind::String | Kind::Bytes => "length-delimited".into(),
            Kind::Message(m) => format!("message {}", m.full_name()),
        }
    };
    if let Some(first) = w.messages().next() {
        if r.parent_pool()
            .get_message_by_name(first.full_name())
            .is_none()
        {
            return Err(format!("message {} was removed", first.full_name()));
        }
    }
    let rpool = r.parent_pool();
    for wm in w
        .parent_pool()
        .all_messages()
        .filter(|m| m.parent_file().name() == w.name())
    {
        let Some(rm) = rpool.get_message_by_name(wm.full_name()) else {
            continue;
        };
        for rf in rm.fields() {
            match wm.get_field(rf.number()) {
                Some(wf) => {
                    let (a, b) = (wire(&rf.kind()), wire(&wf.kind()));
                    if a != b
                        || rf.is_list() != wf.is_list() && !matches!(a.as_str(), "length-delimited")
                    {
                        return Err(format!(
                            "field {} = {} of {} changed from {:?} to {:?}",
                            rf.name(),
                            rf.number(),
                            wm.full_name(),
                            wf.kind(),
                            rf.kind()
                        ));
                    }
                }
                None if rf.cardinality() == Cardinality::Required => {
                    return Err(format!(
                        "required field {} = {} of {} is not in the writer's schema",
                        rf.name(),
                        rf.number(),
                        rm.full_name()
                    ))
                }
                None => {}
            }
        }
    }
    Ok(())
}

#[cfg(not(feature = "serde-protobuf"))]
fn protobuf(_: &Schema, _: &Schema) -> Result<(), Incompatibility> {
    Err("built without the serde-protobuf feature: Protobuf compatibility cannot be checked".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avro(s: &str) -> Schema {
        Schema::new(SchemaType::Avro, s)
    }

    #[cfg(feature = "serde-avro")]
    #[test]
    fn avro_rules() {
        let v1 = avro(r#"{"type":"record","name":"r","fields":[{"name":"a","type":"int"}]}"#);
        let v2 = avro(
            r#"{"type":"record","name":"r","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":""}]}"#,
        );
        let v3 = avro(
            r#"{"type":"record","name":"r","fields":[{"name":"a","type":"int"},{"name":"c","type":"string"}]}"#,
        );
        assert!(check(Compatibility::Backward, &v2, std::slice::from_ref(&v1)).is_ok());
        assert!(check(Compatibility::Backward, &v3, std::slice::from_ref(&v1)).is_err());
        assert!(check(Compatibility::Forward, &v3, std::slice::from_ref(&v1)).is_ok());
        assert!(check(Compatibility::Full, &v3, std::slice::from_ref(&v1)).is_err());
        assert!(check(Compatibility::None, &v3, &[v1]).is_ok());
    }

    #[test]
    fn json_rules() {
        let js = |s: &str| Schema::new(SchemaType::Json, s);
        let v1 = js(r#"{"type":"object","properties":{"a":{"type":"integer"}}}"#);
        let v2 = js(
            r#"{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"string"}},"required":["b"]}"#,
        );
        let v3 = js(r#"{"type":"object","properties":{"a":{"type":"number"}}}"#);
        assert!(
            check(Compatibility::Backward, &v2, std::slice::from_ref(&v1))
                .unwrap_err()
                .contains("required")
        );
        assert!(check(Compatibility::Backward, &v3, std::slice::from_ref(&v1)).is_ok());
        assert!(check(Compatibility::Forward, &v3, &[v1])
            .unwrap_err()
            .contains("type number"));
    }

    #[cfg(feature = "serde-protobuf")]
    #[test]
    fn protobuf_rules() {
        let pb = |s: &str| Schema::new(SchemaType::Protobuf, s);
        let v1 = pb("syntax = \"proto3\"; message M { int32 a = 1; }");
        let v2 = pb("syntax = \"proto3\"; message M { int64 a = 1; string b = 2; }");
        let v3 = pb("syntax = \"proto3\"; message M { string a = 1; }");
        assert!(check(Compatibility::Full, &v2, std::slice::from_ref(&v1)).is_ok());
        assert!(check(Compatibility::Backward, &v3, std::slice::from_ref(&v1)).is_err());
        let v4 = pb("message M { required int32 a = 1; required int32 z = 2; }");
        let v5 = pb("message M { required int32 a = 1; }");
        assert!(check(Compatibility::Backward, &v4, &[v5])
            .unwrap_err()
            .contains("required field z"));
        let v6 = pb("syntax = \"proto3\"; message N { int32 a = 1; }");
        assert!(check(Compatibility::Backward, &v6, &[v1])
            .unwrap_err()
            .contains("removed"));
    }
}
