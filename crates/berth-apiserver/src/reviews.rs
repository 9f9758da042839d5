//! The self reviews a client asks about itself, answered without storing anything:
//! `SelfSubjectAccessReview` and `SelfSubjectRulesReview` (`kubectl auth can-i`) and
//! `SelfSubjectReview` (`kubectl auth whoami`).
//!
//! berth authorizes every authenticated request (there is no RBAC enforcement yet), so
//! every access review is allowed and the rules review grants everything.

use http::StatusCode;
use serde_json::{Value, json};

use crate::auth::User;
use crate::error::{ApiError, ApiResult};

/// The review a `POST` path creates, if it is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    Access,
    Rules,
    Subject,
}

impl Review {
    pub fn from_path(path: &str) -> Option<Review> {
        match path.trim_end_matches('/') {
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" => Some(Review::Access),
            "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews" => Some(Review::Rules),
            "/apis/authentication.k8s.io/v1/selfsubjectreviews" => Some(Review::Subject),
            _ => None,
        }
    }

    fn kind(self) -> (&'static str, &'static str) {
        match self {
            Review::Access => ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
            Review::Rules => ("authorization.k8s.io/v1", "SelfSubjectRulesReview"),
            Review::Subject => ("authentication.k8s.io/v1", "SelfSubjectReview"),
        }
    }
}

/// The answer to `body` (the review as the client sent it) for `user`.
pub fn answer(review: Review, user: &User, body: &Value) -> ApiResult<(StatusCode, Value)> {
    let (api_version, kind) = review.kind();
    if !body.is_object() {
        return Err(ApiError::BadRequest(format!(
            "the object provided is unrecognized (must be of type {kind})"
        )));
    }
    let spec = body.get("spec").cloned().unwrap_or_else(|| json!({}));
    let status = match review {
        Review::Access => {
            let attributes = spec
                .get("resourceAttributes")
                .or_else(|| spec.get("nonResourceAttributes"));
            if attributes.is_none() {
                return Err(ApiError::Invalid {
                    kind: format!("{kind}.authorization.k8s.io"),
                    group: "authorization.k8s.io".into(),
                    kind_only: kind.into(),
                    name: String::new(),
                    errors: vec![berth_api::FieldError::invalid(
                        "spec.resourceAttributes",
                        Value::Null,
                        "exactly one of nonResourceAttributes or resourceAttributes must be specified",
                    )],
                });
            }
            json!({"allowed": true, "reason": "berth allows every authenticated user"})
        }
        Review::Rules => json!({
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": false,
        }),
        Review::Subject => json!({
            "userInfo": {"username": user.name, "groups": user.groups},
        }),
    };
    let mut out = json!({
        "kind": kind,
        "apiVersion": api_version,
        "metadata": {"creationTimestamp": null},
        "status": status,
    });
    if review != Review::Subject {
        out["spec"] = spec;
    }
    Ok((StatusCode::CREATED, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin() -> User {
        User {
            name: "admin".into(),
            groups: vec!["system:masters".into(), "system:authenticated".into()],
        }
    }

    #[test]
    fn access_reviews_are_allowed_and_echo_their_spec() {
        let review =
            Review::from_path("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews").unwrap();
        let spec = json!({"resourceAttributes": {"verb": "list", "resource": "pods"}});
        let (code, out) = answer(review, &admin(), &json!({"spec": spec})).unwrap();
        assert_eq!(code, StatusCode::CREATED);
        assert_eq!(out["status"]["allowed"], true);
        assert_eq!(out["spec"], spec);
        assert!(answer(review, &admin(), &json!({"spec": {}})).is_err());
    }

    #[test]
    fn subject_reviews_name_the_user() {
        let review =
            Review::from_path("/apis/authentication.k8s.io/v1/selfsubjectreviews").unwrap();
        let (_, out) = answer(review, &admin(), &json!({})).unwrap();
        assert_eq!(out["status"]["userInfo"]["username"], "admin");
        assert_eq!(out["kind"], "SelfSubjectReview");
        assert_eq!(
            Review::from_path("/apis/authentication.k8s.io/v1/tokenreviews"),
            None
        );
    }
}
