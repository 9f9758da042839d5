//! berth-agent (work in progress).
