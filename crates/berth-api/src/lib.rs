//! berth-api: the Kubernetes object model berth serves, without I/O.
//!
//! Holds the resource registry (which kinds exist, their names, scopes and subresources),
//! defaulting and validation with upstream's messages, strategic merge patch, label and
//! field selectors, and the server-side table printers used by `kubectl get`.

pub mod apply;
pub mod decode_error;
pub mod defaults;
mod error;
pub mod events;
pub mod field_error;
pub mod meta;
pub mod pods;
pub mod printers;
pub mod protobuf;
pub mod registry;
pub mod selectors;
pub mod smp;
pub mod validation;

pub use error::Error;
pub use field_error::{FieldError, FieldErrorType};
