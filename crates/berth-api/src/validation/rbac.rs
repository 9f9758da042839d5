//! Roles, ClusterRoles and their bindings (`pkg/apis/rbac/validation`).

use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::meta::{invalid_each, to_value, validate_object_meta};
use super::names::{is_valid_path_segment_name, name_is_dns_subdomain, name_is_path_segment};
use crate::FieldError;
use crate::field_error::Path;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

fn validate_policy_rule(rule: &PolicyRule, namespaced: bool, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if rule.verbs.is_empty() {
        errs.push(FieldError::required(
            path.child("verbs"),
            "verbs must contain at least one value",
        ));
    }
    let urls = rule.non_resource_urls.as_deref().unwrap_or_default();
    let none = |v: &Option<Vec<String>>| v.as_ref().is_none_or(Vec::is_empty);
    if !urls.is_empty() {
        if namespaced {
            errs.push(FieldError::invalid(
                path.child("nonResourceURLs"),
                to_value(&urls),
                "namespaced rules cannot apply to non-resource URLs",
            ));
        }
        if !none(&rule.api_groups) || !none(&rule.resources) || !none(&rule.resource_names) {
            errs.push(FieldError::invalid(
                path.child("nonResourceURLs"),
                to_value(&urls),
                "rules cannot apply to both regular resources and non-resource URLs",
            ));
        }
        return errs;
    }
    if none(&rule.api_groups) {
        errs.push(FieldError::required(
            path.child("apiGroups"),
            "resource rules must supply at least one api group",
        ));
    }
    if none(&rule.resources) {
        errs.push(FieldError::required(
            path.child("resources"),
            "resource rules must supply at least one resource",
        ));
    }
    errs
}

fn validate_rules(rules: Option<&Vec<PolicyRule>>, namespaced: bool) -> Vec<FieldError> {
    rules
        .into_iter()
        .flatten()
        .enumerate()
        .flat_map(|(i, r)| validate_policy_rule(r, namespaced, &Path::new("rules").index(i)))
        .collect()
}

/// The metadata of RBAC objects, whose names need only be path segments.
fn validate_rbac_meta(meta: &ObjectMeta) -> Vec<FieldError> {
    validate_object_meta(meta, name_is_path_segment, &Path::new("metadata"))
}

pub fn validate_role(role: &Role) -> Vec<FieldError> {
    let mut errs = validate_rbac_meta(&role.metadata);
    errs.extend(validate_rules(role.rules.as_ref(), true));
    errs
}

pub fn validate_cluster_role(role: &ClusterRole) -> Vec<FieldError> {
    let mut errs = validate_rbac_meta(&role.metadata);
    errs.extend(validate_rules(role.rules.as_ref(), false));
    errs
}

fn validate_subject(subject: &Subject, namespaced: bool, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if subject.name.is_empty() {
        errs.push(FieldError::required(path.child("name"), ""));
    }
    let group = subject.api_group.as_deref().unwrap_or_default();
    match subject.kind.as_str() {
        "ServiceAccount" => {
            if !subject.name.is_empty() {
                errs.extend(invalid_each(
                    &path.child("name"),
                    &subject.name,
                    name_is_dns_subdomain(&subject.name, false),
                ));
            }
            if !group.is_empty() {
                errs.push(FieldError::not_supported(
                    path.child("apiGroup"),
                    group,
                    &[""],
                ));
            }
            if !namespaced && subject.namespace.as_deref().unwrap_or_default().is_empty() {
                errs.push(FieldError::required(path.child("namespace"), ""));
            }
        }
        "User" | "Group" => {
            if group != RBAC_GROUP {
                errs.push(FieldError::not_supported(
                    path.child("apiGroup"),
                    group,
                    &[RBAC_GROUP],
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            path.child("kind"),
            other,
            &["ServiceAccount", "User", "Group"],
        )),
    }
    errs
}

/// A RoleBinding or ClusterRoleBinding: `kinds` are the roles it may grant.
fn validate_binding(
    meta: &ObjectMeta,
    role_ref: &RoleRef,
    subjects: Option<&Vec<Subject>>,
    kinds: &[&str],
    namespaced: bool,
) -> Vec<FieldError> {
    let mut errs = validate_rbac_meta(meta);
    let group = role_ref.api_group.as_deref().unwrap_or_default();
    if group != RBAC_GROUP {
        errs.push(FieldError::not_supported(
            "roleRef.apiGroup",
            group,
            &[RBAC_GROUP],
        ));
    }
    if !kinds.contains(&role_ref.kind.as_str()) {
        errs.push(FieldError::not_supported(
            "roleRef.kind",
            role_ref.kind.as_str(),
            kinds,
        ));
    }
    if role_ref.name.is_empty() {
        errs.push(FieldError::required("roleRef.name", ""));
    } else {
        errs.extend(invalid_each(
            &Path::new("roleRef.name"),
            &role_ref.name,
            is_valid_path_segment_name(&role_ref.name),
        ));
    }
    for (i, subject) in subjects.into_iter().flatten().enumerate() {
        errs.extend(validate_subject(
            subject,
            namespaced,
            &Path::new("subjects").index(i),
        ));
    }
    errs
}

pub fn validate_role_binding(binding: &RoleBinding) -> Vec<FieldError> {
    validate_binding(
        &binding.metadata,
        &binding.role_ref,
        binding.subjects.as_ref(),
        &["Role", "ClusterRole"],
        true,
    )
}

pub fn validate_cluster_role_binding(binding: &ClusterRoleBinding) -> Vec<FieldError> {
    validate_binding(
        &binding.metadata,
        &binding.role_ref,
        binding.subjects.as_ref(),
        &["ClusterRole"],
        false,
    )
}

/// The role a binding grants may not change.
pub fn validate_role_ref_update(new: &RoleRef, old: &RoleRef) -> Vec<FieldError> {
    if new == old {
        Vec::new()
    } else {
        vec![FieldError::invalid(
            "roleRef",
            to_value(new),
            "cannot change roleRef",
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defaults::Defaulting;
    use serde_json::json;

    fn messages(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn roles_and_bindings() {
        let role: Role = serde_json::from_value(json!({"metadata": {"name": "a/b"},
            "rules": [{"verbs": []}, {"verbs": ["get"], "nonResourceURLs": ["/healthz"]}]}))
        .unwrap();
        assert_eq!(
            messages(&validate_role(&role)),
            vec![
                "metadata.name: Invalid value: \"a/b\": may not contain '/'",
                "rules[0].verbs: Required value: verbs must contain at least one value",
                "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
                "rules[0].resources: Required value: resource rules must supply at least one resource",
                "rules[1].nonResourceURLs: Invalid value: [\"/healthz\"]: namespaced rules cannot apply to non-resource URLs",
            ]
        );
        let mut binding: ClusterRoleBinding = serde_json::from_value(json!({"metadata": {"name": "b"},
            "roleRef": {"kind": "Role", "name": "r"},
            "subjects": [{"kind": "ServiceAccount", "name": "sa"}, {"kind": "Robot", "name": "x"}]}))
        .unwrap();
        binding.apply_defaults();
        assert_eq!(
            messages(&validate_cluster_role_binding(&binding)),
            vec![
                "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
                "subjects[0].namespace: Required value",
                "subjects[1].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
            ]
        );
        let mut changed = binding.role_ref.clone();
        changed.name = "other".into();
        assert_eq!(
            validate_role_ref_update(&changed, &binding.role_ref)[0].detail,
            "cannot change roleRef"
        );
    }
}
