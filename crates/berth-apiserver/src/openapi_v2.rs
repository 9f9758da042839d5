//! OpenAPI v2 (`/openapi/v2`): every served definition, as JSON or as the gnostic protobuf
//! encoding kubectl asks for.
//!
//! The definitions are the OpenAPI v3 component schemas (see [`crate::openapi`]) rewritten
//! the way kube-apiserver writes v2: references point at `#/definitions/`, and a field that
//! references a definition carries `$ref` and its description side by side instead of an
//! `allOf` wrapper. kubectl reads them for `kubectl explain --output plaintext-openapiv2`
//! and to validate the items of a `kind: List` file client-side.
//!
//! The document has no operations on purpose: kubectl 1.27+ finds operations in v3, and when
//! a v2 PATCH operation is present `kubectl apply` takes its patch type and patch metadata
//! from v2 instead of the patch metadata compiled into it (see `PATCH_BODY_TYPES`).

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use crate::discovery;
use crate::openapi;

/// The content type kubectl asks `/openapi/v2` for.
pub const PROTOBUF_CONTENT_TYPE: &str =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

struct Encoded {
    json: Vec<u8>,
    protobuf: Vec<u8>,
}

static DOCUMENT: LazyLock<Encoded> = LazyLock::new(|| {
    let doc = document();
    Encoded {
        json: serde_json::to_vec(&doc).expect("a JSON value always serialises"),
        protobuf: protobuf::document(&doc),
    }
});

/// The JSON document.
pub fn json_bytes() -> &'static [u8] {
    &DOCUMENT.json
}

/// The document as gnostic's `openapi.v2.Document` message.
pub fn protobuf_bytes() -> &'static [u8] {
    &DOCUMENT.protobuf
}

fn document() -> Value {
    let definitions: Map<String, Value> = openapi::all_schemas()
        .into_iter()
        .map(|(name, schema)| {
            let schema = to_v2(schema);
            (name.clone(), string_typed(&name, schema))
        })
        .collect();
    json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": discovery::git_version()},
        "paths": {},
        "definitions": definitions,
        "securityDefinitions": {
            "BearerToken": {"type": "apiKey", "in": "header", "name": "authorization", "description": "Bearer Token authentication"},
        },
        "security": [{"BearerToken": []}],
    })
}

/// v2 has no way to say "integer or string": like kube-apiserver, call `Quantity` a string
/// and `IntOrString` a string of format `int-or-string` (kubectl's v2 validation accepts
/// any value where a string is expected).
fn string_typed(name: &str, schema: Value) -> Value {
    let Value::Object(mut fields) = schema else {
        return schema;
    };
    if fields.remove("x-kubernetes-int-or-string").is_some() && !fields.contains_key("type") {
        fields.insert("type".into(), "string".into());
        if name.ends_with(".IntOrString") {
            fields.insert("format".into(), "int-or-string".into());
        }
    }
    Value::Object(fields)
}

/// One v3 schema as v2 writes it.
fn to_v2(schema: Value) -> Value {
    let Value::Object(mut fields) = schema else {
        return schema;
    };
    if let Some(Value::String(target)) = fields.get_mut("$ref") {
        *target = target.replace("#/components/schemas/", "#/definitions/");
    }
    // `{"allOf": [{"$ref": X}], "description": D}` is v3's way to describe a reference.
    if let Some(Value::Array(all_of)) = fields.get("allOf")
        && let [Value::Object(only)] = all_of.as_slice()
        && only.len() == 1
        && only.contains_key("$ref")
    {
        let only = only.clone();
        fields.remove("allOf");
        fields.extend(only);
        return to_v2(Value::Object(fields));
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = fields.remove(key) {
            fields.insert(key.into(), to_v2(inner));
        }
    }
    if let Some(Value::Object(properties)) = fields.remove("properties") {
        let converted = properties.into_iter().map(|(k, v)| (k, to_v2(v))).collect();
        fields.insert("properties".into(), Value::Object(converted));
    }
    if let Some(Value::Array(all_of)) = fields.remove("allOf") {
        fields.insert("allOf".into(), all_of.into_iter().map(to_v2).collect());
    }
    Value::Object(fields)
}

/// Protocol buffer encoding of the parts of gnostic's OpenAPI v2 messages a Kubernetes
/// document uses (field numbers from gnostic's `openapiv2/OpenAPIv2.proto`).
mod protobuf {
    use serde_json::{Map, Value};

    const VARINT: u64 = 0;
    const FIXED64: u64 = 1;
    const LENGTH_DELIMITED: u64 = 2;

    #[derive(Default)]
    pub(super) struct Message(Vec<u8>);

    impl Message {
        fn key(&mut self, field: u64, wire_type: u64) {
            self.varint((field << 3) | wire_type);
        }

        fn varint(&mut self, mut value: u64) {
            while value >= 0x80 {
                self.0.push((value as u8) | 0x80);
                value >>= 7;
            }
            self.0.push(value as u8);
        }

        fn bytes(&mut self, field: u64, bytes: &[u8]) {
            self.key(field, LENGTH_DELIMITED);
            self.varint(bytes.len() as u64);
            self.0.extend_from_slice(bytes);
        }

        fn string(&mut self, field: u64, value: &str) {
            if !value.is_empty() {
                self.bytes(field, value.as_bytes());
            }
        }

        fn message(&mut self, field: u64, inner: Message) {
            self.bytes(field, &inner.0);
        }

        fn bool(&mut self, field: u64, value: bool) {
            if value {
                self.key(field, VARINT);
                self.varint(1);
            }
        }

        fn int64(&mut self, field: u64, value: i64) {
            if value != 0 {
                self.key(field, VARINT);
                self.varint(value as u64);
            }
        }

        fn double(&mut self, field: u64, value: f64) {
            if value != 0.0 {
                self.key(field, FIXED64);
                self.0.extend_from_slice(&value.to_le_bytes());
            }
        }

        pub(super) fn into_bytes(self) -> Vec<u8> {
            self.0
        }
    }

    /// `Any { yaml = 2 }`: gnostic carries free-form values as YAML text; JSON is YAML.
    fn any(value: &Value) -> Message {
        let mut m = Message::default();
        m.string(2, &value.to_string());
        m
    }

    /// gnostic's maps are lists of `Named<Value> { name = 1, value = 2 }`.
    fn named(name: &str, value: Message) -> Message {
        let mut named = Message::default();
        named.string(1, name);
        named.message(2, value);
        named
    }

    /// The values of a JSON list field, none when it is missing or not a list.
    fn each<'a>(fields: &'a Map<String, Value>, key: &str) -> std::slice::Iter<'a, Value> {
        fields
            .get(key)
            .and_then(Value::as_array)
            .map_or([].iter(), |items| items.iter())
    }

    /// A field that holds one value or a list of them (`type`, `items`).
    fn one_or_many(value: &Value) -> &[Value] {
        match value {
            Value::Array(values) => values,
            one => std::slice::from_ref(one),
        }
    }

    /// `NamedAny` for each `x-` key: vendor extensions.
    fn vendor_extensions(m: &mut Message, field: u64, fields: &Map<String, Value>) {
        for (name, value) in fields.iter().filter(|(k, _)| k.starts_with("x-")) {
            m.message(field, named(name, any(value)));
        }
    }

    pub(super) fn document(doc: &Value) -> Vec<u8> {
        let mut m = Message::default();
        m.string(1, doc["swagger"].as_str().unwrap_or("2.0"));
        let mut info = Message::default();
        info.string(1, doc["info"]["title"].as_str().unwrap_or_default());
        info.string(2, doc["info"]["version"].as_str().unwrap_or_default());
        m.message(2, info);
        // `Paths` is present but empty.
        m.message(8, Message::default());
        let mut definitions = Message::default();
        for (name, value) in doc["definitions"].as_object().into_iter().flatten() {
            definitions.message(1, named_schema(name, value));
        }
        m.message(9, definitions);
        let mut security_definitions = Message::default();
        for (name, value) in doc["securityDefinitions"].as_object().into_iter().flatten() {
            // `SecurityDefinitionsItem { api_key_security = 2 }`.
            let mut api_key = Message::default();
            for (field, key) in [(1, "type"), (2, "name"), (3, "in"), (4, "description")] {
                api_key.string(field, value[key].as_str().unwrap_or_default());
            }
            let mut item = Message::default();
            item.message(2, api_key);
            security_definitions.message(1, named(name, item));
        }
        m.message(13, security_definitions);
        for requirement in doc["security"].as_array().into_iter().flatten() {
            let mut req = Message::default();
            for (name, scopes) in requirement.as_object().into_iter().flatten() {
                let mut array = Message::default();
                for scope in scopes.as_array().into_iter().flatten() {
                    array.string(1, scope.as_str().unwrap_or_default());
                }
                req.message(1, named(name, array));
            }
            m.message(12, req);
        }
        m.into_bytes()
    }

    /// `NamedSchema`.
    fn named_schema(name: &str, value: &Value) -> Message {
        named(name, schema(value))
    }

    /// `Schema`.
    pub(super) fn schema(value: &Value) -> Message {
        let mut m = Message::default();
        let Some(fields) = value.as_object() else {
            return m;
        };
        let str_of = |key: &str| fields.get(key).and_then(Value::as_str).unwrap_or_default();
        let f64_of = |key: &str| fields.get(key).and_then(Value::as_f64).unwrap_or_default();
        let i64_of = |key: &str| fields.get(key).and_then(Value::as_i64).unwrap_or_default();
        let bool_of = |key: &str| fields.get(key).and_then(Value::as_bool).unwrap_or_default();
        m.string(1, str_of("$ref"));
        m.string(2, str_of("format"));
        m.string(3, str_of("title"));
        m.string(4, str_of("description"));
        if let Some(default) = fields.get("default") {
            m.message(5, any(default));
        }
        m.double(6, f64_of("multipleOf"));
        m.double(7, f64_of("maximum"));
        m.bool(8, bool_of("exclusiveMaximum"));
        m.double(9, f64_of("minimum"));
        m.bool(10, bool_of("exclusiveMinimum"));
        for (field, key) in [
            (11, "maxLength"),
            (12, "minLength"),
            (14, "maxItems"),
            (15, "minItems"),
            (17, "maxProperties"),
            (18, "minProperties"),
        ] {
            m.int64(field, i64_of(key));
        }
        m.string(13, str_of("pattern"));
        m.bool(16, bool_of("uniqueItems"));
        for required in each(fields, "required") {
            m.string(19, required.as_str().unwrap_or_default());
        }
        for value in each(fields, "enum") {
            m.message(20, any(value));
        }
        match fields.get("additionalProperties") {
            // `AdditionalPropertiesItem { schema = 1, boolean = 2 }`.
            Some(Value::Bool(allowed)) => {
                let mut item = Message::default();
                item.key(2, VARINT);
                item.varint(u64::from(*allowed));
                m.message(21, item);
            }
            Some(inner @ Value::Object(_)) => {
                let mut item = Message::default();
                item.message(1, schema(inner));
                m.message(21, item);
            }
            _ => {}
        }
        // `TypeItem { repeated string value = 1 }`.
        if let Some(types @ (Value::String(_) | Value::Array(_))) = fields.get("type") {
            let mut item = Message::default();
            for t in one_or_many(types) {
                item.string(1, t.as_str().unwrap_or_default());
            }
            m.message(22, item);
        }
        // `ItemsItem { repeated Schema schema = 1 }`.
        if let Some(items @ (Value::Object(_) | Value::Array(_))) = fields.get("items") {
            let mut item = Message::default();
            for inner in one_or_many(items) {
                item.message(1, schema(inner));
            }
            m.message(23, item);
        }
        for inner in each(fields, "allOf") {
            m.message(24, schema(inner));
        }
        if let Some(Value::Object(properties)) = fields.get("properties") {
            // `Properties { repeated NamedSchema additional_properties = 1 }`.
            let mut props = Message::default();
            for (name, inner) in properties {
                props.message(1, named_schema(name, inner));
            }
            m.message(25, props);
        }
        m.string(26, str_of("discriminator"));
        m.bool(27, bool_of("readOnly"));
        if let Some(example) = fields.get("example") {
            m.message(30, any(example));
        }
        vendor_extensions(&mut m, 31, fields);
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_drop_their_all_of_wrapper_and_point_at_definitions() {
        let v3 = json!({
            "type": "object",
            "properties": {
                "spec": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.apps.v1.StatefulSetSpec"}],
                         "description": "Spec."},
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/X"}},
                "labels": {"type": "object", "additionalProperties": {"allOf": [{"$ref": "#/components/schemas/Y"}]}},
            },
        });
        assert_eq!(
            to_v2(v3),
            json!({
                "type": "object",
                "properties": {
                    "spec": {"$ref": "#/definitions/io.k8s.api.apps.v1.StatefulSetSpec", "description": "Spec."},
                    "items": {"type": "array", "items": {"$ref": "#/definitions/X"}},
                    "labels": {"type": "object", "additionalProperties": {"$ref": "#/definitions/Y"}},
                },
            })
        );
    }

    #[test]
    fn schema_encodes_with_gnostic_field_numbers() {
        let encoded = protobuf::schema(&json!({
            "description": "d",
            "type": "string",
            "required": ["a"],
            "maxLength": 300,
            "additionalProperties": false,
            "x-k": [1],
        }))
        .into_bytes();
        let expected: Vec<u8> = [
            &[0x22, 1, b'd'][..],      // description = 4
            &[0x58, 0xac, 0x02],       // max_length = 11: 300 as a varint
            &[0x9a, 0x01, 1, b'a'],    // required = 19
            &[0xaa, 0x01, 2, 0x10, 0], // additional_properties = 21 { boolean = 2: false }
            &[0xb2, 0x01, 8, 0x0a, 6], // type = 22 { value = 1 }
            b"string",
            &[0xfa, 0x01, 12, 0x0a, 3], // vendor_extension = 31 { name = 1
            b"x-k",
            &[0x12, 5, 0x12, 3], //   value = 2 { yaml = 2 } }
            b"[1]",
        ]
        .concat();
        assert_eq!(encoded, expected);
    }

    #[test]
    fn every_served_kind_has_a_definition_with_its_group_version_kind() {
        let doc = document();
        let sts = &doc["definitions"]["io.k8s.api.apps.v1.StatefulSet"];
        assert_eq!(
            sts["x-kubernetes-group-version-kind"],
            json!([{"group": "apps", "version": "v1", "kind": "StatefulSet"}])
        );
        assert_eq!(
            sts["properties"]["spec"]["$ref"],
            "#/definitions/io.k8s.api.apps.v1.StatefulSetSpec"
        );
        let delete_options =
            &doc["definitions"]["io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"];
        let gvks = delete_options["x-kubernetes-group-version-kind"]
            .as_array()
            .unwrap();
        assert!(gvks.contains(&json!({"group": "apps", "version": "v1", "kind": "DeleteOptions"})));
        assert!(gvks.contains(&json!({"group": "", "version": "v1", "kind": "DeleteOptions"})));
        assert_eq!(
            doc["definitions"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"],
            "int-or-string"
        );
        assert_eq!(
            doc["definitions"]["io.k8s.apimachinery.pkg.api.resource.Quantity"]["type"],
            "string"
        );
        let text = serde_json::to_string(&doc).unwrap();
        assert!(!text.contains("#/components/schemas/"));
    }
}
