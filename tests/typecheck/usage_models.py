"""Typed usage of the generated models: checked by mypy in tests/typing/test_types.py."""

from kubetyped.k8s.apps.v1 import Deployment
from kubetyped.k8s.core.v1 import Container, ContainerPort, Pod, PodSpec

pod = Pod.model_validate({"metadata": {"name": "web"}, "spec": {"containers": []}})
assert pod.spec is not None
reveal_type(pod.spec.containers)  # list[kubetyped.k8s.core.v1.Container]
reveal_type(pod.spec.containers[0].ports)  # list[kubetyped.k8s.core.v1.ContainerPort] | None
reveal_type(pod.metadata)  # kubetyped.k8s.meta.v1.ObjectMeta | None
reveal_type(pod.api_version)  # Literal['v1']
reveal_type(pod.kind)  # Literal['Pod']
reveal_type(pod.spec.containers[0].resources.limits if pod.spec.containers[0].resources else None)  # dict[str, str] | None
reveal_type(pod.status.pod_ips if pod.status else None)  # list[kubetyped.k8s.core.v1.PodIP] | None
reveal_type(pod.metadata.creation_timestamp if pod.metadata else None)  # datetime.datetime | None
port = ContainerPort(container_port=80, name="http")
reveal_type(port.container_port)  # int
spec = PodSpec(containers=[Container(name="web", image="nginx", ports=[port])])
deployment = Deployment.model_validate_json(b"{}")
reveal_type(deployment.spec.strategy.rolling_update.max_surge if deployment.spec and deployment.spec.strategy and deployment.spec.strategy.rolling_update else None)  # int | str | None
