"""The kubetyped code generator."""
