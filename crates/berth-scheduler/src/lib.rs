//! berth-scheduler (work in progress).
