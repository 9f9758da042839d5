//! The one error type of the scheduler crate.

/// What the scheduler could not do; it logs it and retries with backoff.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request to the API server failed.
    #[error(transparent)]
    Kube(#[from] kube::Error),
}
