//! Helpers over `metadata` of objects held as JSON values.

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

/// `metadata` of an object, created empty if missing.
pub fn metadata_mut(obj: &mut Value) -> &mut Map<String, Value> {
    let map = match obj {
        Value::Object(m) => m,
        other => {
            *other = Value::Object(Map::new());
            let Value::Object(m) = other else {
                unreachable!()
            };
            m
        }
    };
    let meta = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    meta.as_object_mut().expect("metadata is an object")
}

/// A string field of `metadata` (`name`, `namespace`, `uid`, `resourceVersion`, …).
pub fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj.get("metadata")?
        .get(field)?
        .as_str()
        .filter(|s| !s.is_empty())
}

pub fn name(obj: &Value) -> Option<&str> {
    meta_str(obj, "name")
}

pub fn namespace(obj: &Value) -> Option<&str> {
    meta_str(obj, "namespace")
}

pub fn uid(obj: &Value) -> Option<&str> {
    meta_str(obj, "uid")
}

pub fn resource_version(obj: &Value) -> Option<&str> {
    meta_str(obj, "resourceVersion")
}

/// `metadata.labels` as a map (empty when absent).
pub fn labels(obj: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    obj.get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// `metadata.finalizers` as strings.
pub fn finalizers(obj: &Value) -> Vec<String> {
    obj.get("metadata")
        .and_then(|m| m.get("finalizers"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub fn set_finalizers(obj: &mut Value, finalizers: &[String]) {
    let meta = metadata_mut(obj);
    if finalizers.is_empty() {
        meta.remove("finalizers");
    } else {
        meta.insert("finalizers".into(), Value::from(finalizers.to_vec()));
    }
}

pub fn is_deleting(obj: &Value) -> bool {
    meta_str(obj, "deletionTimestamp").is_some()
}

/// Sets `metadata.<field>` to a value, or removes it for `Value::Null`.
pub fn set_meta(obj: &mut Value, field: &str, value: Value) {
    let meta = metadata_mut(obj);
    if value.is_null() {
        meta.remove(field);
    } else {
        meta.insert(field.to_string(), value);
    }
}

/// Copies `metadata.<field>` from `from` into `to` (removing it from `to` if `from` lacks it).
pub fn copy_meta(from: &Value, to: &mut Value, field: &str) {
    let v = from
        .get("metadata")
        .and_then(|m| m.get(field))
        .cloned()
        .unwrap_or(Value::Null);
    set_meta(to, field, v);
}

/// An RFC 3339 timestamp with second precision, as Kubernetes writes `metav1.Time`.
pub fn format_time(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// An RFC 3339 timestamp with microseconds, as Kubernetes writes `metav1.MicroTime`.
pub fn format_micro_time(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_without_managed_fields_drops_only_them() {
        let stored = br#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","managedFields":[{"manager":"m","fieldsV1":{"f:spec":{}}}],"labels":{"x":"y"}},"spec":{"managedFields":[1],"containers":[{"name":"c","n":1.5,"b":true,"z":null}]}}"#;
        let mut expected: Value = serde_json::from_slice(stored).unwrap();
        metadata_mut(&mut expected).remove("managedFields");
        assert_eq!(decode_without_managed_fields(stored).unwrap(), expected);
        assert_eq!(
            decode_without_managed_fields(b"[1,\"a\"]").unwrap(),
            serde_json::json!([1, "a"])
        );
        assert!(decode_without_managed_fields(b"{\"a\":").is_err());
        assert!(decode_without_managed_fields(b"{} x").is_err());
    }
    use serde_json::json;

    #[test]
    fn reads_and_writes_metadata() {
        let mut o = json!({"metadata": {"name": "a", "labels": {"x": "y"}, "finalizers": ["f"]}});
        assert_eq!(name(&o), Some("a"));
        assert_eq!(namespace(&o), None);
        assert_eq!(labels(&o).get("x"), Some(&json!("y")));
        set_finalizers(&mut o, &[]);
        assert!(o["metadata"].get("finalizers").is_none());
        set_meta(&mut o, "namespace", json!("ns"));
        assert_eq!(namespace(&o), Some("ns"));
        let t: jiff::Timestamp = "2026-01-02T03:04:05.123456789Z".parse().unwrap();
        assert_eq!(format_time(t), "2026-01-02T03:04:05Z");
        assert_eq!(format_micro_time(t), "2026-01-02T03:04:05.123456Z");
    }
}

/// The scalar `visit_*` methods of a visitor that builds a `Value`, as serde_json's own.
macro_rules! scalars_as_value {
    () => {
        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_string<E>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_none<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
    };
}

/// Decodes JSON like serde_json, also returning each field an object names twice
/// (`spec.replicas`, `spec.containers[0].image`) as upstream's strict decoder reports
/// them; the last value wins.
pub fn decode_noting_duplicates(json: &[u8]) -> serde_json::Result<(Value, Vec<String>)> {
    let mut duplicates = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let value = NoteDuplicates {
        path: String::new(),
        duplicates: &mut duplicates,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok((value, duplicates))
}

struct NoteDuplicates<'a> {
    path: String,
    duplicates: &'a mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for NoteDuplicates<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NoteDuplicates<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    scalars_as_value!();

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let seed = NoteDuplicates {
                path: format!("{}[{}]", self.path, items.len()),
                duplicates: &mut *self.duplicates,
            };
            match access.next_element_seed(seed)? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            let value = access.next_value_seed(NoteDuplicates {
                path: path.clone(),
                duplicates: &mut *self.duplicates,
            })?;
            if map.insert(key, value).is_some() {
                self.duplicates.push(path);
            }
        }
        Ok(Value::Object(map))
    }
}

/// Decodes an object without `metadata.managedFields`: what Table cells and selectors read,
/// in about half the time (managedFields are often half of an object's bytes).
pub fn decode_without_managed_fields(json: &[u8]) -> serde_json::Result<Value> {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let value = SkipManagedFields { depth: 0 }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// A map visitor: at depth 0 (the object) it descends into `metadata`; at depth 1 (the
/// metadata) it skips `managedFields`.
#[derive(Clone, Copy)]
struct SkipManagedFields {
    depth: u8,
}

impl<'de> DeserializeSeed<'de> for SkipManagedFields {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SkipManagedFields {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            match (self.depth, key.as_str()) {
                (0, "metadata") => {
                    let metadata = access.next_value_seed(SkipManagedFields { depth: 1 })?;
                    map.insert(key, metadata);
                }
                (1, "managedFields") => {
                    access.next_value::<IgnoredAny>()?;
                }
                _ => {
                    map.insert(key, access.next_value::<Value>()?);
                }
            }
        }
        Ok(Value::Object(map))
    }

    // Anything but a map is decoded as it is.
    scalars_as_value!();

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = access.next_element::<Value>()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
}
