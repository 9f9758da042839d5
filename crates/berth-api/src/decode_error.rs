//! Upstream's words for a body with a field of the wrong JSON type. kube-apiserver decodes
//! with Go's encoding/json rules, whose error names the JSON type, the innermost Go struct,
//! the field path and the Go type: `json: cannot unmarshal string into Go struct field
//! StatefulSetSpec.spec.replicas of type int32`. serde reports the same mistake in its own
//! words, so the field is found again by walking the object along the kind's schema.

use std::sync::{LazyLock, OnceLock};

use schemars::SchemaGenerator;
use serde_json::{Map, Value};

use crate::registry::{RESOURCES, ResourceType};

/// The kind's schema and the definitions it refers to.
struct KindSchema {
    root: Value,
    definitions: Map<String, Value>,
}

fn kind_schema(rt: &ResourceType) -> Option<&'static KindSchema> {
    static CACHE: LazyLock<Vec<OnceLock<KindSchema>>> =
        LazyLock::new(|| RESOURCES.iter().map(|_| OnceLock::new()).collect());
    let index = RESOURCES
        .iter()
        .position(|r| r.group == rt.group && r.version == rt.version && r.kind == rt.kind)?;
    Some(CACHE[index].get_or_init(|| {
        let mut generator = SchemaGenerator::default();
        let root = rt.codec.schema(&mut generator).to_value();
        KindSchema {
            root,
            definitions: generator.definitions().clone(),
        }
    }))
}

/// Types with their own JSON form in Go (custom unmarshalers): their errors are worded
/// differently, so no message is made up for them.
const CUSTOM_UNMARSHAL: &[&str] = &[
    "io.k8s.apimachinery.pkg.api.resource.Quantity",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
    "io.k8s.apimachinery.pkg.runtime.RawExtension",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
];

/// Go's message for the first field of `object` whose JSON type its Go type cannot take.
pub fn type_mismatch(rt: &ResourceType, object: &Value) -> Option<String> {
    let schema = kind_schema(rt)?;
    let walker = Walker {
        definitions: &schema.definitions,
    };
    walker.walk(&schema.root, object, "", rt.kind)
}

struct Walker<'a> {
    definitions: &'a Map<String, Value>,
}

/// What a Go decoder calls a JSON value.
fn json_kind(value: &Value) -> String {
    match value {
        Value::String(_) => "string".into(),
        Value::Bool(_) => "bool".into(),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
        Value::Number(n) if n.is_f64() => format!("number {n}"),
        Value::Number(_) => "number".into(),
        Value::Null => "null".into(),
    }
}

impl Walker<'_> {
    /// `schema` with its `$ref` (directly or through a one-element `allOf`) resolved, and
    /// the definition's name.
    fn resolve<'s>(&'s self, schema: &'s Value) -> (&'s Value, Option<&'s str>) {
        let reference = schema.get("$ref").and_then(Value::as_str).or_else(|| {
            schema
                .get("allOf")
                .and_then(Value::as_array)
                .and_then(|all| all.first())
                .and_then(|one| one.get("$ref"))
                .and_then(Value::as_str)
        });
        match reference {
            Some(reference) => {
                let name = reference.rsplit('/').next().unwrap_or(reference);
                (self.definitions.get(name).unwrap_or(schema), Some(name))
            }
            None => (schema, None),
        }
    }

    /// The Go type of `schema`: `int32`, `[]v1.Container`, `map[string]string`, `v1.PodSpec`.
    fn go_type(&self, schema: &Value) -> String {
        let (schema, name) = self.resolve(schema);
        if let Some(name) = name {
            let mut segments = name.rsplit('.');
            let (kind, package) = (
                segments.next().unwrap_or(name),
                segments.next().unwrap_or(""),
            );
            return format!("{package}.{kind}");
        }
        let format = schema.get("format").and_then(Value::as_str);
        match schema.get("type").and_then(Value::as_str) {
            Some("integer") => format.unwrap_or("int").to_string(),
            Some("number") => match format {
                Some("float") => "float32".into(),
                _ => "float64".into(),
            },
            Some("boolean") => "bool".into(),
            Some("string") if format == Some("byte") => "[]uint8".into(),
            Some("string") => "string".into(),
            Some("array") => format!(
                "[]{}",
                schema
                    .get("items")
                    .map(|items| self.go_type(items))
                    .unwrap_or_default()
            ),
            Some("object") => match schema.get("additionalProperties") {
                Some(values @ Value::Object(_)) => format!("map[string]{}", self.go_type(values)),
                _ => "map[string]interface {}".into(),
            },
            _ => "interface {}".into(),
        }
    }

    /// The message for the first mismatch in `value` (at JSON `path`, inside Go struct
    /// `owner`), if any.
    fn walk(&self, schema: &Value, value: &Value, path: &str, owner: &str) -> Option<String> {
        if value.is_null() {
            return None;
        }
        let go_type = self.go_type(schema);
        let (schema, name) = self.resolve(schema);
        if name.is_some_and(|n| CUSTOM_UNMARSHAL.contains(&n)) {
            return None;
        }
        let mismatch = || {
            Some(format!(
                "json: cannot unmarshal {} into Go struct field {owner}.{path} of type {go_type}",
                json_kind(value)
            ))
        };
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            let Value::Object(fields) = value else {
                return mismatch();
            };
            let struct_name = name.and_then(|n| n.rsplit('.').next()).unwrap_or(owner);
            return fields.iter().find_map(|(field, inner)| {
                let property = properties.get(field)?;
                let inner_path = if path.is_empty() {
                    field.clone()
                } else {
                    format!("{path}.{field}")
                };
                self.walk(property, inner, &inner_path, struct_name)
            });
        }
        match (schema.get("type").and_then(Value::as_str), value) {
            (Some("string"), Value::String(_)) | (Some("boolean"), Value::Bool(_)) => None,
            (Some("number"), Value::Number(_)) => None,
            (Some("integer"), Value::Number(n)) if !n.is_f64() => None,
            (Some("array"), Value::Array(items)) => {
                let item_schema = schema.get("items")?;
                items
                    .iter()
                    .find_map(|item| self.walk(item_schema, item, path, owner))
            }
            (Some("object"), Value::Object(entries)) => {
                let values = schema
                    .get("additionalProperties")
                    .filter(|v| v.is_object())?;
                entries
                    .values()
                    .find_map(|entry| self.walk(values, entry, path, owner))
            }
            (Some("string" | "boolean" | "number" | "integer" | "array" | "object"), _) => {
                mismatch()
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::find;
    use serde_json::json;

    fn message(plural: &str, group: &str, object: Value) -> Option<String> {
        type_mismatch(find(group, "v1", plural).unwrap(), &object)
    }

    #[test]
    fn names_the_struct_the_path_and_the_go_type() {
        assert_eq!(
            message("statefulsets", "apps", json!({"spec": {"replicas": "3"}})).as_deref(),
            Some(
                "json: cannot unmarshal string into Go struct field StatefulSetSpec.spec.replicas of type int32"
            )
        );
        assert_eq!(
            message(
                "statefulsets",
                "apps",
                json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "ports": [{"containerPort": "80"}]}]}}}})
            )
            .as_deref(),
            Some("json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32")
        );
        assert_eq!(
            message("configmaps", "", json!({"data": {"a": 1}})).as_deref(),
            Some(
                "json: cannot unmarshal number into Go struct field ConfigMap.data of type string"
            )
        );
        assert_eq!(
            message("pods", "", json!({"spec": {"containers": "c"}})).as_deref(),
            Some(
                "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container"
            )
        );
    }

    #[test]
    fn values_go_takes_are_no_mismatch() {
        assert_eq!(
            message(
                "pods",
                "",
                json!({"spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": 1}}}]}})
            ),
            None
        );
        assert_eq!(
            message("configmaps", "", json!({"data": {"a": "1"}, "extra": 1})),
            None
        );
    }
}
