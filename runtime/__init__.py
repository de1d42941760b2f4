"""kubetyped: a typed Kubernetes client."""
