//! The API server's one error type, mapped once to a `metav1.Status` response with
//! upstream's code, reason and message.

use axum::response::{IntoResponse, Response};
use berth_api::FieldError;
use berth_api::field_error::aggregate_message;
use berth_api::registry::ResourceType;
use http::StatusCode;
use serde_json::{Value, json};

/// What a request can fail with. Each variant renders as the Status upstream returns.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{}", not_found_message(.rt, .name))]
    NotFound {
        rt: &'static ResourceType,
        name: String,
    },
    /// A namespace or other object named in the request path that is missing.
    #[error("{message}")]
    NotFoundRaw {
        message: String,
        group: String,
        kind: String,
        name: String,
    },
    #[error("the server could not find the requested resource")]
    NoRoute,
    #[error("{} \"{name}\" already exists", .rt.qualified_plural())]
    AlreadyExists {
        rt: &'static ResourceType,
        name: String,
    },
    #[error("Operation cannot be fulfilled on {} \"{name}\": {detail}", .rt.qualified_plural())]
    Conflict {
        rt: &'static ResourceType,
        name: String,
        detail: String,
    },
    /// A conflict whose message is already complete (server-side apply).
    #[error("{message}")]
    ConflictRaw {
        message: String,
        causes: Vec<Value>,
        rt: &'static ResourceType,
        name: String,
    },
    #[error("{} \"{name}\" is invalid: {}", .kind, aggregate_message(.errors))]
    Invalid {
        kind: String,
        group: String,
        kind_only: String,
        name: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    BadRequest(String),
    /// A 422 whose message is already complete (patches that cannot apply).
    #[error("{0}")]
    Unprocessable(String),
    #[error("Unauthorized")]
    Unauthorized,
    #[error("{} \"{name}\" is forbidden: {reason}", .rt.qualified_plural())]
    Forbidden {
        rt: &'static ResourceType,
        name: String,
        reason: String,
    },
    /// A create in a namespace being deleted; controllers look for the cause.
    #[error("{} \"{name}\" is forbidden: unable to create new content in namespace {namespace} because it is being terminated", .rt.qualified_plural())]
    NamespaceTerminating {
        rt: &'static ResourceType,
        name: String,
        namespace: String,
    },
    #[error("the server does not allow this method on the requested resource")]
    MethodNotAllowed,
    #[error("{0}")]
    Expired(String),
    #[error("Request entity too large: limit is {0}")]
    TooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("Internal error occurred: {0}")]
    Internal(String),
    /// A 500 without a reason: upstream's answer to errors it does not classify, such as a
    /// server-side apply of fields the schema does not declare.
    #[error("{0}")]
    Unclassified(String),
    /// A read asked for a resourceVersion the store did not reach in time.
    #[error("Timeout: Too large resource version: {requested}, current: {current}")]
    TooLargeResourceVersion { requested: i64, current: i64 },
}

fn not_found_message(rt: &ResourceType, name: &str) -> String {
    format!("{} \"{name}\" not found", rt.qualified_plural())
}

impl ApiError {
    pub fn invalid(rt: &ResourceType, name: &str, errors: Vec<FieldError>) -> ApiError {
        ApiError::Invalid {
            kind: rt.qualified_kind(),
            group: rt.group.to_string(),
            kind_only: rt.kind.to_string(),
            name: name.to_string(),
            errors,
        }
    }

    /// A 422 for request options (`ListOptions`, `PatchOptions`, ...) of `meta.k8s.io`.
    pub fn invalid_options(kind: &str, errors: Vec<FieldError>) -> ApiError {
        ApiError::Invalid {
            kind: format!("{kind}.meta.k8s.io"),
            group: "meta.k8s.io".into(),
            kind_only: kind.to_string(),
            name: String::new(),
            errors,
        }
    }

    pub fn conflict_modified(rt: &'static ResourceType, name: &str) -> ApiError {
        ApiError::Conflict {
            rt,
            name: name.to_string(),
            detail: "the object has been modified; please apply your changes to the latest version and try again"
                .to_string(),
        }
    }

    pub fn namespace_not_found(ns: &str) -> ApiError {
        ApiError::NotFoundRaw {
            message: format!("namespaces \"{ns}\" not found"),
            group: String::new(),
            kind: "namespaces".into(),
            name: ns.to_string(),
        }
    }

    pub fn code(&self) -> StatusCode {
        match self {
            ApiError::NotFound { .. } | ApiError::NotFoundRaw { .. } | ApiError::NoRoute => {
                StatusCode::NOT_FOUND
            }
            ApiError::AlreadyExists { .. }
            | ApiError::Conflict { .. }
            | ApiError::ConflictRaw { .. } => StatusCode::CONFLICT,
            ApiError::Invalid { .. } | ApiError::Unprocessable(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } | ApiError::NamespaceTerminating { .. } => {
                StatusCode::FORBIDDEN
            }
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Expired(_) => StatusCode::GONE,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::Internal(_) | ApiError::Unclassified(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::TooLargeResourceVersion { .. } => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    pub fn reason(&self) -> &'static str {
        match self {
            ApiError::NotFound { .. } | ApiError::NotFoundRaw { .. } | ApiError::NoRoute => {
                "NotFound"
            }
            ApiError::AlreadyExists { .. } => "AlreadyExists",
            ApiError::Conflict { .. } | ApiError::ConflictRaw { .. } => "Conflict",
            ApiError::Invalid { .. } | ApiError::Unprocessable(_) => "Invalid",
            ApiError::BadRequest(_) => "BadRequest",
            ApiError::Unauthorized => "Unauthorized",
            ApiError::Forbidden { .. } | ApiError::NamespaceTerminating { .. } => "Forbidden",
            ApiError::MethodNotAllowed => "MethodNotAllowed",
            ApiError::Expired(_) => "Expired",
            ApiError::TooLarge(_) => "RequestEntityTooLarge",
            ApiError::UnsupportedMediaType(_) => "UnsupportedMediaType",
            ApiError::NotAcceptable(_) => "NotAcceptable",
            ApiError::Internal(_) => "InternalError",
            ApiError::Unclassified(_) => "",
            ApiError::TooLargeResourceVersion { .. } => "Timeout",
        }
    }

    fn details(&self) -> Option<Value> {
        let named = |rt: &ResourceType, name: &str| {
            let mut d = json!({"name": name, "kind": rt.plural});
            if !rt.group.is_empty() {
                d["group"] = json!(rt.group);
            }
            d
        };
        match self {
            ApiError::NotFound { rt, name }
            | ApiError::AlreadyExists { rt, name }
            | ApiError::Conflict { rt, name, .. }
            | ApiError::Forbidden { rt, name, .. } => Some(named(rt, name)),
            ApiError::ConflictRaw {
                rt, name, causes, ..
            } => {
                let mut d = named(rt, name);
                if !causes.is_empty() {
                    d["causes"] = Value::from(causes.clone());
                }
                Some(d)
            }
            ApiError::NotFoundRaw {
                group, kind, name, ..
            } => {
                let mut d = json!({"name": name, "kind": kind});
                if !group.is_empty() {
                    d["group"] = json!(group);
                }
                Some(d)
            }
            ApiError::NoRoute | ApiError::MethodNotAllowed => Some(json!({})),
            ApiError::NamespaceTerminating {
                rt,
                name,
                namespace,
            } => {
                let mut d = named(rt, name);
                d["causes"] = json!([{
                    "reason": "NamespaceTerminating",
                    "message": format!("namespace {namespace} is being terminated"),
                    "field": "metadata.namespace",
                }]);
                Some(d)
            }
            ApiError::TooLargeResourceVersion { .. } => Some(json!({
                "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                "retryAfterSeconds": 1,
            })),
            ApiError::Invalid {
                group,
                kind_only,
                name,
                errors,
                ..
            } => {
                let causes: Vec<Value> = errors
                    .iter()
                    .map(|e| json!({"reason": e.kind.reason(), "message": e.message_body(), "field": e.field}))
                    .collect();
                // Empty names and kinds are left out, as Go's omitempty does.
                let mut d = json!({"causes": causes});
                for (key, value) in [("name", name), ("kind", kind_only), ("group", group)] {
                    if !value.is_empty() {
                        d[key] = json!(value);
                    }
                }
                Some(d)
            }
            _ => None,
        }
    }

    /// The `metav1.Status` body.
    pub fn status(&self) -> Value {
        let mut s = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.to_string(),
            "reason": self.reason(),
            "code": self.code().as_u16(),
        });
        if self.reason().is_empty() {
            s.as_object_mut().map(|o| o.remove("reason"));
        }
        if let Some(d) = self.details() {
            s["details"] = d;
        }
        s
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        crate::response::json_response(self.code(), &self.status())
    }
}

impl From<berth_store::Error> for ApiError {
    fn from(e: berth_store::Error) -> Self {
        match e {
            berth_store::Error::Compacted {
                requested,
                compacted,
            } => ApiError::Expired(format!(
                "too old resource version: {requested} ({compacted})"
            )),
            berth_store::Error::FutureRevision { requested, current } => {
                ApiError::TooLargeResourceVersion { requested, current }
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
