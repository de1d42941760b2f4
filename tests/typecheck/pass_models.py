"""Building models and reading nested optional fields with narrowing: must type-check with
no diagnostics."""

from datetime import datetime, timezone

from kubetyped.k8s.apps.v1 import (
    Deployment,
    DeploymentSpec,
    DeploymentStrategy,
    RollingUpdateDeployment,
)
from kubetyped.k8s.core.v1 import (
    Container,
    ContainerPort,
    EnvVar,
    Pod,
    PodSpec,
    PodTemplateSpec,
    ResourceRequirements,
    Secret,
)
from kubetyped.k8s.meta.v1 import LabelSelector, ObjectMeta, OwnerReference

pod = Pod.model_validate({"metadata": {"name": "web"}, "spec": {"containers": []}})
name: str | None = pod.metadata.name if pod.metadata else None
if pod.spec is not None:
    containers: list[Container] = pod.spec.containers
    for container in pod.spec.containers:
        if container.ports:
            first: int = container.ports[0].container_port
        if container.resources is not None and container.resources.limits is not None:
            cpu: str | None = container.resources.limits.get("cpu")
        image: str | None = container.image
if pod.status and pod.status.pod_ips:
    ips = [p.ip for p in pod.status.pod_ips]
if pod.metadata and pod.metadata.creation_timestamp:
    age = datetime.now(timezone.utc) - pod.metadata.creation_timestamp

deployment = Deployment.model_validate_json(b"{}")
spec = deployment.spec
if spec and spec.strategy and spec.strategy.rolling_update:
    surge: int | str | None = spec.strategy.rolling_update.max_surge

built = Deployment(
    metadata=ObjectMeta(
        name="web",
        namespace="prod",
        owner_references=[OwnerReference(api_version="v1", kind="ConfigMap", name="cfg", uid="1")],
    ),
    spec=DeploymentSpec(
        replicas=2,
        selector=LabelSelector(match_labels={"app": "web"}),
        strategy=DeploymentStrategy(
            type="RollingUpdate",
            rolling_update=RollingUpdateDeployment(max_surge="25%", max_unavailable=1),
        ),
        template=PodTemplateSpec(
            spec=PodSpec(
                containers=[
                    Container(
                        name="web",
                        image="nginx",
                        env=[EnvVar(name="A", value="1")],
                        ports=[ContainerPort(container_port=80, name="http")],
                        resources=ResourceRequirements(limits={"cpu": "500m", "memory": "1Gi"}),
                    )
                ],
            ),
        ),
    ),
)
kind: str = built.kind
api_version: str = built.api_version
secret = Secret(metadata=ObjectMeta(name="s"), data={"key": b"\x00\x01"}, string_data={"b": "text"})
built.spec.set_extra("newFeature", {"enabled": True}) if built.spec else None
wire = built.to_dict()
