//! Helpers over `metadata` of objects held as JSON values.
