//! Server-side table printing for `kubectl get` (meta.k8s.io/v1 Table).
