"""Models used wrongly: each marked line must fail, as its comment says, in every checker."""

from kubetyped.k8s.apps.v1 import Deployment, DeploymentSpec
from kubetyped.k8s.core.v1 import Container, Pod, PodTemplateSpec
from kubetyped.k8s.meta.v1 import LabelSelector, ObjectMeta

# One statement and its expectations per line, as written:
# fmt: off
ObjectMeta(nmae="web")  # expect pyright: No parameter named "nmae" | mypy: Unexpected keyword argument "nmae" for "ObjectMeta"
DeploymentSpec(replica=2, selector=LabelSelector(), template=PodTemplateSpec())  # expect pyright: No parameter named "replica" | mypy: Unexpected keyword argument "replica" for "DeploymentSpec"; did you mean "replicas"?
DeploymentSpec(replicas="2", selector=LabelSelector(), template=PodTemplateSpec())  # expect pyright: "Literal['2']" cannot be assigned to parameter "replicas" of type "int | None" | mypy: Argument "replicas" to "DeploymentSpec" has incompatible type "str"; expected "int | None"
DeploymentSpec(selector=LabelSelector())  # expect pyright: Argument missing for parameter "template" | mypy: Missing named argument "template" for "DeploymentSpec"
Container(image="nginx")  # expect pyright: Argument missing for parameter "name" | mypy: Missing named argument "name" for "Container"
Deployment(kind="Pod")  # expect pyright: "Literal['Pod']" cannot be assigned to parameter "kind" of type "Literal['Deployment']" | mypy: Argument "kind" to "Deployment" has incompatible type "Literal['Pod']"; expected "Literal['Deployment']"

pod = Pod.model_validate({})
containers = pod.spec.containers  # expect pyright: "containers" is not a known attribute of "None" | mypy: Item "None" of "PodSpec | None" has no attribute "containers"
name: str = pod.metadata.name if pod.metadata else ""  # expect pyright: Type "str | None" is not assignable to declared type "str" | mypy: Incompatible types in assignment (expression has type "str | None", variable has type "str")
# fmt: on
