//! The one error type of berth-api. Each message is upstream's text; [`Error::code`] is the
//! HTTP status kube-apiserver answers with, so the API server maps every failure one way.

use crate::apply::ApplyConflict;

/// Why a selector, patch, apply or protobuf body could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// 400 BadRequest: a patch or applied object that is not well formed.
    #[error("{0}")]
    BadRequest(String),
    /// 422: a patch that is well formed but cannot apply.
    #[error("{0}")]
    Unprocessable(String),
    /// 409 Conflict (reason `Conflict`) from server-side apply, one cause per conflict.
    #[error("{message}")]
    Conflicts {
        message: String,
        conflicts: Vec<ApplyConflict>,
    },
    /// 500: an object or managedFields entry that cannot be interpreted; other patch failures
    /// upstream surfaces with an empty reason.
    #[error("{0}")]
    Internal(String),

    /// A label selector that does not parse, or names an invalid key or value.
    #[error("{0}")]
    LabelSelector(String),
    /// A field selector that does not parse.
    #[error("{0}")]
    FieldSelector(String),
    /// A field selector names a field the kind does not offer for selection.
    #[error("{0}")]
    UnsupportedFieldSelector(String),

    /// A protobuf body that was empty.
    #[error("empty data")]
    EmptyProtobufData,
    /// A protobuf body that did not start with the `k8s\0` magic.
    #[error(
        "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
    )]
    MissingProtobufPrefix,
    /// A protobuf body that held the magic and nothing else.
    #[error("empty body")]
    EmptyProtobufBody,
    /// A protobuf envelope that named no kind.
    #[error("Object 'Kind' is missing in the protobuf envelope")]
    MissingProtobufKind,
    /// Protobuf bytes that are not a well-formed message of the named kind.
    #[error("{0}")]
    MalformedProtobuf(String),
    /// A protobuf kind with no known layout; answered like any unreadable media type (415).
    #[error(
        "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml"
    )]
    UnsupportedProtobufKind { api_version: String, kind: String },
}

impl Error {
    /// The HTTP status upstream answers this failure with.
    pub fn code(&self) -> u16 {
        match self {
            Error::BadRequest(_)
            | Error::LabelSelector(_)
            | Error::FieldSelector(_)
            | Error::UnsupportedFieldSelector(_)
            | Error::EmptyProtobufData
            | Error::MissingProtobufPrefix
            | Error::EmptyProtobufBody
            | Error::MissingProtobufKind
            | Error::MalformedProtobuf(_) => 400,
            Error::Conflicts { .. } => 409,
            Error::UnsupportedProtobufKind { .. } => 415,
            Error::Unprocessable(_) => 422,
            Error::Internal(_) => 500,
        }
    }

    /// True when the answer should be 415 Unsupported Media Type rather than 400 Bad Request.
    pub fn is_unsupported_media_type(&self) -> bool {
        self.code() == 415
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_upstream_statuses() {
        assert_eq!(Error::BadRequest("x".into()).code(), 400);
        assert_eq!(Error::LabelSelector("x".into()).code(), 400);
        assert_eq!(Error::MalformedProtobuf("x".into()).code(), 400);
        assert_eq!(Error::MissingProtobufKind.code(), 400);
        let conflicts = Error::Conflicts {
            message: "x".into(),
            conflicts: vec![],
        };
        assert_eq!(conflicts.code(), 409);
        let unsupported = Error::UnsupportedProtobufKind {
            api_version: "v1".into(),
            kind: "Foo".into(),
        };
        assert_eq!(unsupported.code(), 415);
        assert!(unsupported.is_unsupported_media_type());
        assert!(!Error::MalformedProtobuf("x".into()).is_unsupported_media_type());
        assert_eq!(Error::Unprocessable("x".into()).code(), 422);
        assert_eq!(Error::Internal("x".into()).code(), 500);
    }
}
