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
