//! The one error type of the controllers crate.

/// What a controller could not do; reconcilers log it and retry with backoff.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request to the API server failed.
    #[error(transparent)]
    Kube(#[from] kube::Error),

    /// An object from the API server did not have the expected shape.
    #[error("cannot decode object: {0}")]
    Decode(String),

    /// An ownerReference names a kind the API server does not serve (yet).
    #[error("cannot resolve owner kind {kind} in {api_version}")]
    UnresolvableKind { api_version: String, kind: String },

    /// A write kept losing optimistic-concurrency races.
    #[error("{0}: the object kept changing; will retry")]
    Conflict(String),
}

impl Error {
    /// A write refused because its namespace is being deleted (the API server's
    /// `NamespaceTerminating` cause, upstream's `HasStatusCause`): retrying cannot succeed,
    /// and the namespace's deletion removes what the item was about.
    pub fn is_namespace_terminating(&self) -> bool {
        match self {
            Error::Kube(kube::Error::Api(status)) => is_namespace_terminating(status),
            _ => false,
        }
    }
}

/// See [`Error::is_namespace_terminating`].
pub fn is_namespace_terminating(status: &kube::core::Status) -> bool {
    status.code == 403
        && status
            .details
            .as_ref()
            .is_some_and(|d| d.causes.iter().any(|c| c.reason == "NamespaceTerminating"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_terminating_is_told_by_its_cause() {
        let mut status: kube::core::Status = serde_json::from_value(serde_json::json!({
            "status": "Failure", "code": 403, "reason": "Forbidden",
            "message": "configmaps \"x\" is forbidden: unable to create new content in namespace ns because it is being terminated",
            "details": {"name": "x", "kind": "configmaps", "causes": [
                {"reason": "NamespaceTerminating", "message": "namespace ns is being terminated", "field": "metadata.namespace"}]},
        }))
        .unwrap();
        assert!(Error::Kube(kube::Error::Api(Box::new(status.clone()))).is_namespace_terminating());
        status.details = None;
        assert!(!is_namespace_terminating(&status));
    }
}
