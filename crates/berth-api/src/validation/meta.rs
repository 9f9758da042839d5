//! Object metadata, labels, annotations, owner references, finalizers and label selectors
//! (`apimachinery/pkg/api/validation` and `apis/meta/v1/validation`).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use serde_json::Value;

use super::names::{NameFn, is_qualified_name, is_valid_label_value};
use crate::FieldError;
use crate::field_error::{FieldErrorType, Path};

/// Upstream's limit on the summed size of all annotation keys and values.
pub const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES: usize = 256 * 1024;

pub const IS_NEGATIVE_ERROR: &str = "must be greater than or equal to 0";
pub const FIELD_IMMUTABLE_ERROR: &str = "field is immutable";

/// `Too long: may not be more than N bytes` (the value is not printed).
pub fn too_long(path: &Path, max: usize) -> FieldError {
    let unit = if max == 1 { "byte" } else { "bytes" };
    FieldError {
        kind: FieldErrorType::TooLong,
        field: path.into(),
        value: None,
        detail: format!("may not be more than {max} {unit}"),
    }
}

/// Any serializable value as the `value` of an error.
pub fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

pub fn validate_nonnegative(value: i64, path: &Path) -> Vec<FieldError> {
    if value < 0 {
        vec![FieldError::invalid(path, value, IS_NEGATIVE_ERROR)]
    } else {
        Vec::new()
    }
}

/// `Invalid value: <new>: field is immutable` when the two differ.
pub fn validate_immutable<T: PartialEq + serde::Serialize>(
    new: &T,
    old: &T,
    path: &Path,
) -> Vec<FieldError> {
    if new == old {
        Vec::new()
    } else {
        vec![FieldError::invalid(
            path,
            to_value(new),
            FIELD_IMMUTABLE_ERROR,
        )]
    }
}

/// Each message of a name check as an Invalid error at `path`.
pub fn invalid_each(path: &Path, value: &str, messages: Vec<String>) -> Vec<FieldError> {
    messages
        .into_iter()
        .map(|m| FieldError::invalid(path, value, m))
        .collect()
}

/// Label keys and values (`ValidateLabels`); errors point at the map itself, as upstream's do.
pub fn validate_labels(labels: Option<&BTreeMap<String, String>>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (k, v) in labels.into_iter().flatten() {
        errs.extend(invalid_each(path, k, is_qualified_name(k)));
        errs.extend(invalid_each(path, v, is_valid_label_value(v)));
    }
    errs
}

/// Annotation keys (qualified names, case-insensitive) and the 256 KiB total size.
pub fn validate_annotations(
    annotations: Option<&BTreeMap<String, String>>,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut total = 0usize;
    for (k, v) in annotations.into_iter().flatten() {
        errs.extend(invalid_each(path, k, is_qualified_name(&k.to_lowercase())));
        total += k.len() + v.len();
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES {
        errs.push(too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
    }
    errs
}

pub fn validate_owner_references(
    refs: Option<&Vec<OwnerReference>>,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let refs = refs.map(Vec::as_slice).unwrap_or_default();
    let mut first_controller: Option<String> = None;
    for r in refs {
        // schema.ParseGroupVersion: "" has no version, "a/b/c" does not parse
        let version = match r.api_version.split('/').collect::<Vec<_>>().as_slice() {
            [v] => *v,
            [_, v] => *v,
            _ => "",
        };
        if version.is_empty() {
            errs.push(FieldError::invalid(
                path.child("apiVersion"),
                r.api_version.as_str(),
                "version must not be empty",
            ));
        }
        for (field, value) in [("kind", &r.kind), ("name", &r.name), ("uid", &r.uid)] {
            if value.is_empty() {
                errs.push(FieldError::invalid(
                    path.child(field),
                    value.as_str(),
                    "must not be empty",
                ));
            }
        }
        if r.api_version == "v1" && r.kind == "Event" {
            errs.push(FieldError::invalid(
                path,
                to_value(r),
                "/v1, Kind=Event is disallowed from being an owner",
            ));
        }
        if r.controller == Some(true) {
            let name = format!("{}/{}", r.kind, r.name);
            match &first_controller {
                Some(first) => errs.push(FieldError::invalid(
                    path,
                    to_value(&refs),
                    format!(
                        "Only one reference can have Controller set to true. Found \"true\" in references for {first} and {name}"
                    ),
                )),
                None => first_controller = Some(name),
            }
        }
    }
    errs
}

pub fn validate_finalizers(finalizers: Option<&Vec<String>>, path: &Path) -> Vec<FieldError> {
    let finalizers = finalizers.map(Vec::as_slice).unwrap_or_default();
    let mut errs = Vec::new();
    for f in finalizers {
        errs.extend(invalid_each(path, f, is_qualified_name(f)));
    }
    let has = |name: &str| finalizers.iter().any(|f| f == name);
    if has("orphan") && has("foregroundDeletion") {
        errs.push(FieldError::invalid(
            path,
            to_value(&finalizers),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    errs
}

/// `ValidateObjectMeta` minus what the API server checks itself (name presence, generateName,
/// namespace): the name format, labels, annotations, owner references and finalizers.
pub fn validate_object_meta(meta: &ObjectMeta, name_fn: NameFn, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(name) = meta.name.as_deref().filter(|n| !n.is_empty()) {
        errs.extend(invalid_each(
            &path.child("name"),
            name,
            name_fn(name, false),
        ));
    }
    errs.extend(validate_object_meta_fields(meta, path));
    errs
}

/// `ValidateObjectMetaUpdate` minus the immutable identity fields the API server guards.
pub fn validate_object_meta_update(new: &ObjectMeta, path: &Path) -> Vec<FieldError> {
    validate_object_meta_fields(new, path)
}

fn validate_object_meta_fields(meta: &ObjectMeta, path: &Path) -> Vec<FieldError> {
    let mut errs = validate_labels(meta.labels.as_ref(), &path.child("labels"));
    errs.extend(validate_annotations(
        meta.annotations.as_ref(),
        &path.child("annotations"),
    ));
    errs.extend(validate_owner_references(
        meta.owner_references.as_ref(),
        &path.child("ownerReferences"),
    ));
    errs.extend(validate_finalizers(
        meta.finalizers.as_ref(),
        &path.child("finalizers"),
    ));
    errs
}

/// `ValidateLabelSelector` with strict label values.
pub fn validate_label_selector(selector: &LabelSelector, path: &Path) -> Vec<FieldError> {
    let mut errs = validate_labels(selector.match_labels.as_ref(), &path.child("matchLabels"));
    for (i, req) in selector.match_expressions.iter().flatten().enumerate() {
        let p = path.child("matchExpressions").index(i);
        let values = req.values.as_deref().unwrap_or_default();
        match req.operator.as_str() {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(FieldError::required(
                        p.child("values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(FieldError::forbidden(
                        p.child("values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            other => errs.push(FieldError::invalid(
                p.child("operator"),
                other,
                "not a valid selector operator",
            )),
        }
        errs.extend(invalid_each(
            &p.child("key"),
            &req.key,
            is_qualified_name(&req.key),
        ));
        for (j, v) in values.iter().enumerate() {
            errs.extend(invalid_each(
                &p.child("values").index(j),
                v,
                is_valid_label_value(v),
            ));
        }
    }
    errs
}

/// The selector has no requirements at all (selects everything).
pub fn label_selector_is_empty(selector: &LabelSelector) -> bool {
    selector
        .match_labels
        .as_ref()
        .is_none_or(BTreeMap::is_empty)
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(Vec::is_empty)
}

/// Whether a (valid) selector matches a label set, with upstream's operator semantics.
pub fn label_selector_matches(
    selector: &LabelSelector,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    let empty = BTreeMap::new();
    let labels = labels.unwrap_or(&empty);
    let labels_ok = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let exprs_ok = selector.match_expressions.iter().flatten().all(|req| {
        let values: BTreeSet<&str> = req.values.iter().flatten().map(String::as_str).collect();
        let got = labels.get(&req.key).map(String::as_str);
        match req.operator.as_str() {
            "In" => got.is_some_and(|v| values.contains(v)),
            "NotIn" => got.is_none_or(|v| !values.contains(v)),
            "Exists" => got.is_some(),
            "DoesNotExist" => got.is_none(),
            _ => false,
        }
    });
    labels_ok && exprs_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field_error::aggregate_message;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn labels_and_annotations() {
        let errs = validate_labels(
            Some(&map(&[("a/b/c", "ok"), ("k", "-bad")])),
            &Path::new("metadata.labels"),
        );
        assert_eq!(errs.len(), 2);
        assert!(
            errs[0]
                .to_string()
                .starts_with("metadata.labels: Invalid value: \"a/b/c\": a qualified name must")
        );
        assert!(
            errs[1]
                .to_string()
                .starts_with("metadata.labels: Invalid value: \"-bad\": a valid label must")
        );
        let big = map(&[("k", &"x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT_BYTES))]);
        assert_eq!(
            aggregate_message(&validate_annotations(
                Some(&big),
                &Path::new("metadata.annotations")
            )),
            "metadata.annotations: Too long: may not be more than 262144 bytes"
        );
        assert!(
            validate_annotations(Some(&map(&[("Example.COM/Key", "v")])), &Path::new("a"))
                .is_empty()
        );
    }

    #[test]
    fn owner_references_and_finalizers() {
        let owner = |kind: &str, controller| OwnerReference {
            api_version: "apps/v1".into(),
            kind: kind.into(),
            name: "web".into(),
            uid: "u1".into(),
            controller: Some(controller),
            ..Default::default()
        };
        let p = Path::new("metadata.ownerReferences");
        assert!(validate_owner_references(Some(&vec![owner("StatefulSet", true)]), &p).is_empty());
        let errs = validate_owner_references(Some(&vec![owner("A", true), owner("B", true)]), &p);
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0]
                .detail
                .ends_with("Found \"true\" in references for A/web and B/web")
        );
        let bad = OwnerReference {
            api_version: "apps/".into(),
            ..owner("", false)
        };
        let msgs: Vec<String> = validate_owner_references(Some(&vec![bad]), &p)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            msgs,
            vec![
                "metadata.ownerReferences.apiVersion: Invalid value: \"apps/\": version must not be empty",
                "metadata.ownerReferences.kind: Invalid value: \"\": must not be empty"
            ]
        );
        let errs = validate_finalizers(
            Some(&vec!["orphan".into(), "foregroundDeletion".into()]),
            &Path::new("f"),
        );
        assert_eq!(
            errs[0].detail,
            "finalizer orphan and foregroundDeletion cannot be both set"
        );
    }

    #[test]
    fn selectors_validate_and_match() {
        let sel = LabelSelector {
            match_labels: Some(map(&[("app", "web")])),
            match_expressions: Some(vec![
                LabelSelectorRequirement {
                    key: "tier".into(),
                    operator: "In".into(),
                    values: None,
                },
                LabelSelectorRequirement {
                    key: "x".into(),
                    operator: "Maybe".into(),
                    values: None,
                },
            ]),
        };
        let msgs: Vec<String> = validate_label_selector(&sel, &Path::new("spec.selector"))
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            msgs,
            vec![
                "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                "spec.selector.matchExpressions[1].operator: Invalid value: \"Maybe\": not a valid selector operator",
            ]
        );
        let sel = LabelSelector {
            match_labels: Some(map(&[("app", "web")])),
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "tier".into(),
                operator: "NotIn".into(),
                values: Some(vec!["db".into()]),
            }]),
        };
        assert!(label_selector_matches(&sel, Some(&map(&[("app", "web")]))));
        assert!(!label_selector_matches(
            &sel,
            Some(&map(&[("app", "web"), ("tier", "db")]))
        ));
        assert!(!label_selector_matches(&sel, None));
        assert!(label_selector_is_empty(&LabelSelector::default()));
    }
}
