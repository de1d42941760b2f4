"""Clients used wrongly: each marked line must fail, as its comment says, in every checker."""

from kubetyped import Client
from kubetyped.k8s.apps.v1 import Deployments
from kubetyped.k8s.core.v1 import Pod

# One statement and its expectations per line, as written:
# fmt: off
deployments = Deployments(Client())
deployments.patch("web", {"spec": {"replicas": 3}}, patch_type="json")  # expect pyright: No overloads for "patch" match | mypy: No overload variant of "patch" of "Deployments" matches argument types
deployments.patch("web", [{"op": "replace", "path": "/spec/replicas", "value": 3}])  # expect pyright: cannot be assigned to parameter "body" of type "Deployment | Mapping[str, Any]" | mypy: No overload variant of "patch" of "Deployments" matches argument types
deployments.patch("web", [{"op": "rename", "path": "/x"}], patch_type="json")  # expect pyright: No overloads for "patch" match | mypy: No overload variant of "patch" of "Deployments" matches argument types
deployments.delete("web", propagation_policy="Cascade")  # expect pyright: "Literal['Cascade']" cannot be assigned to parameter "propagation_policy" | mypy: Argument "propagation_policy" to "delete" of "Deployments" has incompatible type "Literal['Cascade']"
deployments.create(Pod())  # expect pyright: "Pod" cannot be assigned to parameter "body" of type "Deployment" | mypy: Argument 1 to "create" of "Deployments" has incompatible type "Pod"; expected "Deployment"
deployments.apply({"metadata": {"name": "web"}}, field_manager="me")  # expect pyright: cannot be assigned to parameter "obj" of type "Deployment" | mypy: Argument 1 to "apply" of "Deployments" has incompatible type "dict[str, dict[str, str]]"; expected "Deployment"
deployments.list(pretty="true")  # expect pyright: No parameter named "pretty" | mypy: Unexpected keyword argument "pretty" for "list" of "Deployments"
deployments.create(deployments.get("web"), dry_run="all")  # expect pyright: "Literal['all']" cannot be assigned to parameter "dry_run" | mypy: Argument "dry_run" to "create" of "Deployments" has incompatible type "Literal['all']"
replicas = deployments.get("web").spec.replicas  # expect pyright: "replicas" is not a known attribute of "None" | mypy: Item "None" of "DeploymentSpec | None" has no attribute "replicas"
# fmt: on
