//! The `jsonschema` type: JSON documents validated against a JSON schema
//! (on produce and, as Confluent's deserializer does, on consume).

use serde_json::Value;

use super::Format;
use crate::json;

/// A compiled JSON schema.
pub(crate) struct JsonSchema {
    validator: ::jsonschema::Validator,
}

impl std::fmt::Debug for JsonSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonSchema").finish_non_exhaustive()
    }
}

/// Parses a JSON schema text.
pub fn parse(text: &str) -> Result<Value, String> {
    let schema: Value =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON schema: not JSON: {e}"))?;
    if !schema.is_object() && !schema.is_boolean() {
        return Err("invalid JSON schema: not an object or boolean".into());
    }
    Ok(schema)
}

impl JsonSchema {
    pub(crate) fn new(text: &str) -> Result<Self, String> {
        let schema = parse(text)?;
        let validator = ::jsonschema::validator_for(&schema)
            .map_err(|e| format!("invalid JSON schema: {e}"))?;
        Ok(Self { validator })
    }

    fn validate(&self, value: &Value) -> Result<(), String> {
        self.validator.validate(value).map_err(|e| {
            let path = e.instance_path().to_string();
            let field = if path.is_empty() {
                "(the whole value)".to_owned()
            } else {
                path
            };
            format!("field {field}: {e}")
        })
    }
}

impl Format for JsonSchema {
    fn decode(&self, payload: &[u8]) -> Result<Value, String> {
        let value: Value =
            serde_json::from_slice(payload).map_err(|e| format!("invalid JSON: {e}"))?;
        self.validate(&value)?;
        Ok(value)
    }

    fn write_json(&self, out: &mut Vec<u8>, payload: &[u8]) -> Result<(), String> {
        let value: Value =
            serde_json::from_slice(payload).map_err(|e| format!("invalid JSON: {e}"))?;
        self.validate(&value)?;
        let text = std::str::from_utf8(payload).map_err(|e| e.to_string())?;
        json::write_json_text(out, text.trim());
        Ok(())
    }

    fn encode(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
        self.validate(value)?;
        serde_json::to_writer(out, value).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SEED: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","title":"myrecord","properties":{"bla":{"type":"integer"}},"required":["bla"],"additionalProperties":false}"#;

    #[test]
    fn round_trip_and_validation() {
        let s = JsonSchema::new(SEED).unwrap();
        let mut out = Vec::new();
        s.encode(&json!({"bla": 123}), &mut out).unwrap();
        assert_eq!(out, br#"{"bla":123}"#);
        assert_eq!(s.decode(&out).unwrap(), json!({"bla": 123}));
        let e = s.encode(&json!({"bla": "x"}), &mut Vec::new()).unwrap_err();
        assert!(e.starts_with("field /bla: "), "{e}");
        assert!(e.contains("integer"), "{e}");
        assert!(s.decode(br#"{"other": 1}"#).is_err());
    }

    #[test]
    fn bad_schema() {
        assert!(JsonSchema::new("{")
            .unwrap_err()
            .starts_with("invalid JSON schema"));
        assert!(JsonSchema::new(r#"{"type": 12}"#)
            .unwrap_err()
            .starts_with("invalid JSON schema"));
    }
}
