//! The one error type of the agent crate.

/// What the agent could not do; the pod worker logs it and retries with backoff.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request to the API server failed.
    #[error(transparent)]
    Kube(#[from] kube::Error),

    /// A configured quantity or address is not valid.
    #[error("invalid node configuration: {0}")]
    Config(String),

    /// The pod's address range has no free address left.
    #[error("no free pod address left in {0}")]
    AddressesExhausted(String),
}
