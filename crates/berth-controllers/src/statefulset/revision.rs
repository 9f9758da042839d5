//! ControllerRevisions of a StatefulSet (upstream `pkg/controller/history` and the revision
//! helpers of `stateful_set_utils.go`): only the pod template is versioned, as the strategic
//! merge patch `{"spec":{"template":{…,"$patch":"replace"}}}` that `kubectl rollout undo`
//! sends back to the set.

use std::fmt::Write;

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use serde_json::{Value, json};

use super::identity::{set_controller_ref, set_name, set_namespace};

/// Label holding a revision's hash.
pub const HASH_LABEL: &str = "controller.kubernetes.io/hash";

/// Upstream's `SafeEncodeString` alphabet: no vowels, no confusable characters.
const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// Longest set-name prefix of a revision name.
const MAX_PREFIX: usize = 223;

/// The revision data for a template.
pub fn revision_data(template: &PodTemplateSpec) -> Value {
    let mut template = serde_json::to_value(template).unwrap_or_else(|_| json!({}));
    if let Value::Object(fields) = &mut template {
        fields.insert("$patch".into(), "replace".into());
    }
    json!({ "spec": { "template": template } })
}

/// The template stored in a revision, if its data has the expected shape.
pub fn template_of(revision: &ControllerRevision) -> Option<PodTemplateSpec> {
    let mut template = revision.data.0.pointer("/spec/template")?.clone();
    template.as_object_mut()?.remove("$patch");
    serde_json::from_value(template).ok()
}

/// Encodes like Go's `json.Marshal` of the decoded map does: object keys sorted at every
/// level, and `<`, `>`, `&`, U+2028, U+2029 escaped. Upstream hashes these bytes, so equal
/// templates give equal hashes whatever order the fields arrived in.
pub fn go_json(value: &Value) -> String {
    let mut out = String::new();
    write_go_json(value, &mut out);
    out
}

fn write_go_json(value: &Value, out: &mut String) {
    match value {
        Value::Object(fields) => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_string(key, out);
                out.push(':');
                write_go_json(&fields[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json(item, out);
            }
            out.push(']');
        }
        Value::String(s) => write_go_string(s, out),
        other => out.push_str(&other.to_string()),
    }
}

fn write_go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// 32-bit FNV-1 (multiply, then xor), as Go's `hash/fnv.New32`.
fn fnv1_32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |hash, byte| {
        hash.wrapping_mul(0x0100_0193) ^ u32::from(*byte)
    })
}

/// Upstream `rand.SafeEncodeString`: each byte mapped into the safe alphabet.
fn safe_encode(s: &str) -> String {
    s.bytes()
        .map(|b| char::from(SAFE_ALPHABET[usize::from(b) % SAFE_ALPHABET.len()]))
        .collect()
}

/// The hash of a revision: FNV-1 over the encoded data followed by the decimal collision
/// count, written in decimal and safe-encoded.
pub fn revision_hash(data: &Value, collision_count: i32) -> String {
    let mut bytes = go_json(data).into_bytes();
    bytes.extend_from_slice(collision_count.to_string().as_bytes());
    safe_encode(&fnv1_32(&bytes).to_string())
}

/// `<set name, at most 223 bytes>-<hash>`.
pub fn revision_name(set_name: &str, hash: &str) -> String {
    let mut end = set_name.len().min(MAX_PREFIX);
    while !set_name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}-{hash}", &set_name[..end])
}

/// A new revision of `set` holding `data`.
pub fn new_revision(
    set: &StatefulSet,
    data: Value,
    collision_count: i32,
    number: i64,
) -> ControllerRevision {
    let hash = revision_hash(&data, collision_count);
    let mut labels = set
        .spec
        .template
        .metadata
        .as_ref()
        .and_then(|meta| meta.labels.clone())
        .unwrap_or_default();
    labels.insert(HASH_LABEL.into(), hash.clone());
    ControllerRevision {
        metadata: ObjectMeta {
            name: Some(revision_name(set_name(set), &hash)),
            namespace: Some(set_namespace(set).into()),
            labels: Some(labels),
            // Carries `kubernetes.io/change-cause` for `kubectl rollout history`.
            annotations: set.metadata.annotations.clone(),
            owner_references: Some(vec![set_controller_ref(set)]),
            ..ObjectMeta::default()
        },
        data: RawExtension(data),
        revision: Some(number),
    }
}

pub fn revision_number(revision: &ControllerRevision) -> i64 {
    revision.revision.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statefulset::identity::tests::web;

    #[test]
    fn fnv1_matches_the_reference_vectors() {
        assert_eq!(fnv1_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1_32(b"a"), 0x050c_5d7e);
        assert_eq!(fnv1_32(b"foobar"), 0x31f0_b262);
    }

    #[test]
    fn safe_encoding_maps_digits_into_the_alphabet() {
        // '0' is byte 48, 48 % 27 = 21 → '4'; '9' is 57 → 3 → 'f'.
        assert_eq!(safe_encode("0"), "4");
        assert_eq!(safe_encode("9"), "f");
        assert_eq!(safe_encode("1234567890").len(), 10);
    }

    #[test]
    fn go_encoding_sorts_keys_and_escapes_html() {
        let value = json!({"b": 1, "a": {"z": [true, null], "y": "<a&b>"}, "$patch": "x"});
        assert_eq!(
            go_json(&value),
            r#"{"$patch":"x","a":{"y":"\u003ca\u0026b\u003e","z":[true,null]},"b":1}"#
        );
        assert_eq!(go_json(&json!("tab\tquote\"")), r#""tab\tquote\"""#);
    }

    #[test]
    fn data_is_the_replace_patch_and_round_trips() {
        let set = web(1);
        let template = set.spec.template.clone();
        let data = revision_data(&template);
        assert_eq!(data["spec"]["template"]["$patch"], "replace");
        let revision = new_revision(&set, data, 0, 1);
        assert_eq!(template_of(&revision), Some(template));
    }

    #[test]
    fn hashes_are_stable_and_depend_on_template_and_collisions() {
        let set = web(1);
        let mut template = set.spec.template.clone();
        let data = revision_data(&template);
        let first = revision_hash(&data, 0);
        assert_eq!(first, revision_hash(&data.clone(), 0));
        assert!(first.len() <= 10 && !first.is_empty());
        assert!(first.bytes().all(|b| SAFE_ALPHABET.contains(&b)));
        assert_ne!(first, revision_hash(&data, 1));
        template.spec.as_mut().unwrap().containers[0].image = Some("nginx:2".into());
        assert_ne!(first, revision_hash(&revision_data(&template), 0));
    }

    #[test]
    fn revisions_are_named_labelled_annotated_and_owned() {
        let mut set = web(1);
        set.metadata.annotations = Some(
            [("kubernetes.io/change-cause".to_string(), "v2".to_string())]
                .into_iter()
                .collect(),
        );
        let data = revision_data(&set.spec.template);
        let hash = revision_hash(&data, 0);
        let revision = new_revision(&set, data, 0, 3);
        assert_eq!(revision.metadata.name, Some(format!("web-{hash}")));
        let labels = revision.metadata.labels.as_ref().unwrap();
        assert_eq!(
            (labels["app"].as_str(), &labels[HASH_LABEL]),
            ("web", &hash)
        );
        assert_eq!(
            revision.metadata.annotations.as_ref().unwrap()["kubernetes.io/change-cause"],
            "v2"
        );
        assert_eq!(revision_number(&revision), 3);
        let owner = &revision.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.controller),
            ("StatefulSet", Some(true))
        );
        let long = "a".repeat(300);
        assert_eq!(revision_name(&long, "h").len(), 223 + 2);
    }
}
