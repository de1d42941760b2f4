"""Each mapping rule of the generated models, with a test that fails when it breaks."""

from __future__ import annotations

import inspect
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pydantic
import pytest
from kubetyped.k8s.apiextensions.v1 import CustomResourceDefinition, JSONSchemaProps
from kubetyped.k8s.apps.v1 import Deployment, RollingUpdateDeployment
from kubetyped.k8s.coordination.v1 import LeaseSpec
from kubetyped.k8s.core.v1 import (
    ConfigMap,
    Container,
    ContainerPort,
    NodeSpec,
    Pod,
    PodSpec,
    ResourceRequirements,
    Secret,
    ServicePort,
)
from kubetyped.k8s.meta.v1 import ListMeta, ManagedFieldsEntry, ObjectMeta, Status
from kubetyped.model import ListMarkers
from kubetyped.types import parse_quantity


def dump(model: pydantic.BaseModel) -> object:
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def test_int_or_string_keeps_the_type() -> None:
    assert ServicePort.model_validate({"port": 80, "targetPort": 8080}).target_port == 8080
    assert ServicePort.model_validate({"port": 80, "targetPort": "http"}).target_port == "http"
    assert ServicePort.model_validate({"port": 80, "targetPort": "8080"}).target_port == "8080"
    update = RollingUpdateDeployment.model_validate({"maxUnavailable": 0, "maxSurge": "25%"})
    assert dump(update) == {"maxUnavailable": 0, "maxSurge": "25%"}
    with pytest.raises(pydantic.ValidationError):
        ServicePort.model_validate({"port": 80, "targetPort": 1.5})


def test_quantity_is_a_string_that_accepts_numbers() -> None:
    req = ResourceRequirements.model_validate({"limits": {"cpu": 1, "memory": "1Gi", "x": 0.5}})
    assert req.limits == {"cpu": "1", "memory": "1Gi", "x": "0.5"}
    assert dump(req) == {"limits": {"cpu": "1", "memory": "1Gi", "x": "0.5"}}
    with pytest.raises(pydantic.ValidationError):
        ResourceRequirements.model_validate({"limits": {"cpu": True}})
    assert parse_quantity("250m") == Decimal("0.25")
    assert parse_quantity("1Gi") == 2**30
    assert parse_quantity("1e3") == 1000
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        parse_quantity("12 apples")


def test_time_is_aware_and_whole_seconds_with_z() -> None:
    meta = ObjectMeta.model_validate({"creationTimestamp": "2024-05-01T10:00:00Z"})
    assert meta.creation_timestamp == datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    later = ObjectMeta(
        creation_timestamp=datetime(2024, 5, 1, 12, 0, 0, 999, tzinfo=timezone(timedelta(hours=2)))
    )
    assert dump(later) == {"creationTimestamp": "2024-05-01T10:00:00Z"}
    with pytest.raises(pydantic.ValidationError):
        ObjectMeta(creation_timestamp=datetime(2024, 5, 1))  # naive: ambiguous, refused


def test_micro_time_has_six_fractional_digits() -> None:
    spec = LeaseSpec.model_validate({"renewTime": "2024-05-01T10:00:00.000000Z"})
    assert dump(spec) == {"renewTime": "2024-05-01T10:00:00.000000Z"}
    spec = LeaseSpec(acquire_time=datetime(2024, 5, 1, 10, 0, 0, 123, tzinfo=timezone.utc))
    assert dump(spec) == {"acquireTime": "2024-05-01T10:00:00.000123Z"}


def test_bytes_are_raw_in_python_and_base64_on_the_wire() -> None:
    raw = bytes(range(256))
    secret = Secret(data={"blob": raw})
    wire = dump(secret)
    assert wire == {
        "apiVersion": "v1",
        "kind": "Secret",
        "data": {"blob": __import__("base64").b64encode(raw).decode()},
    }
    assert Secret.model_validate(wire).data == {"blob": raw}
    cm = ConfigMap.model_validate({"binaryData": {"b": "/wA="}})
    assert cm.binary_data == {"b": b"\xff\x00"}
    with pytest.raises(pydantic.ValidationError, match="invalid base64"):
        Secret.model_validate({"data": {"x": "not base64!"}})


def test_validation_errors_never_quote_their_input() -> None:
    secret = "hunter2-" + "not-base64!"  # built, so this file's source line cannot match
    with pytest.raises(pydantic.ValidationError) as info:
        Secret.model_validate({"data": {"password": secret}})
    for text in (str(info.value), repr(info.value)):
        assert "hunter2-not-base64!" not in text
    assert "data.password" in str(info.value)


def test_free_form_data_is_kept_verbatim() -> None:
    fields = {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}
    entry = ManagedFieldsEntry.model_validate({"fieldsV1": fields, "manager": "m"})
    assert entry.fields_v1 == fields
    crd = CustomResourceDefinition.model_validate(
        {
            "spec": {
                "group": "g",
                "names": {"kind": "K", "plural": "ks"},
                "scope": "Namespaced",
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "default": {"a": [1, 2.5, None]},
                                "example": 3,
                            }
                        },
                    }
                ],
            }
        }
    )
    assert dump(crd)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["default"] == {
        "a": [1, 2.5, None]
    }


def test_json_schema_props_unions_are_typed_and_integers_stay_integers() -> None:
    props = JSONSchemaProps.model_validate(
        {
            "type": "object",
            "minimum": 1,
            "maximum": 1.5,
            "additionalProperties": False,
            "items": {"type": "string"},
            "properties": {"n": {"type": "integer", "additionalProperties": {"type": "string"}}},
            "dependencies": {"a": ["b", "c"], "d": {"type": "object"}},
            "$ref": "#/x",
            "x-kubernetes-preserve-unknown-fields": True,
        }
    )
    assert props.additional_properties is False
    assert isinstance(props.items, JSONSchemaProps)
    nested = props.properties["n"] if props.properties else None
    assert nested is not None and isinstance(nested.additional_properties, JSONSchemaProps)
    assert props.dependencies is not None and props.dependencies["a"] == ["b", "c"]
    assert isinstance(props.dependencies["d"], JSONSchemaProps)
    assert props.minimum == 1 and type(props.minimum) is int
    assert props.maximum == 1.5
    assert props.ref == "#/x" and props.x_kubernetes_preserve_unknown_fields is True
    assert dump(props)["minimum"] == 1 and "1.0" not in props.model_dump_json()


def test_top_level_kinds_carry_api_version_and_kind() -> None:
    assert dump(Deployment()) == {"apiVersion": "apps/v1", "kind": "Deployment"}
    assert Deployment().to_dict() == {"apiVersion": "apps/v1", "kind": "Deployment"}
    assert dump(Pod(metadata=ObjectMeta(name="p"))) == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
    }
    # Wire data keeps exactly what it had: the server leaves both off the items of a list.
    assert dump(Pod.model_validate({"metadata": {"name": "p"}})) == {"metadata": {"name": "p"}}
    assert Pod.model_validate({"metadata": {"name": "p"}}).kind == "Pod"
    with pytest.raises(pydantic.ValidationError, match="Pod"):
        Pod.model_validate({"kind": "Deployment"})
    with pytest.raises(pydantic.ValidationError):
        Deployment.model_validate({"apiVersion": "apps/v1beta1"})
    assert (Deployment.__k8s_group__, Deployment.__k8s_version__, Deployment.__k8s_kind__) == (
        "apps",
        "v1",
        "Deployment",
    )
    # Multi-kind types (Status is served by every group) stay unconstrained where they must.
    assert dump(Status.model_validate({"kind": "Status", "apiVersion": "v1", "code": 404})) == {
        "kind": "Status",
        "apiVersion": "v1",
        "code": 404,
    }


def test_snake_case_names_with_wire_aliases() -> None:
    spec = NodeSpec(pod_cidrs=["10.0.0.0/24"], provider_id="x")
    assert dump(spec) == {"podCIDRs": ["10.0.0.0/24"], "providerID": "x"}
    assert NodeSpec.model_validate({"podCIDRs": ["a"]}).pod_cidrs == ["a"]
    assert NodeSpec(podCIDRs=["a"]).pod_cidrs == ["a"]  # type: ignore[call-arg]
    assert ListMeta(continue_="token").model_dump(exclude_unset=True) == {"continue": "token"}
    assert ListMeta.model_validate({"continue": "t"}).continue_ == "t"
    assert set(JSONSchemaProps.model_fields) >= {
        "not_",
        "ref",
        "schema_",
        "x_kubernetes_list_map_keys",
    }
    assert ContainerPort(container_port=80).model_dump(exclude_unset=True) == {"containerPort": 80}


def test_required_fields_are_required() -> None:
    with pytest.raises(pydantic.ValidationError, match="name"):
        Container.model_validate({"image": "nginx"})


def test_descriptions_become_docstrings() -> None:
    assert "declarative updates for Pods" in (inspect.getdoc(Deployment) or "")
    source = inspect.getsource(PodSpec)
    assert '"""List of containers belonging to the pod.' in source


def test_merge_markers_are_field_metadata() -> None:
    (markers,) = [
        m for m in PodSpec.model_fields["containers"].metadata if isinstance(m, ListMarkers)
    ]
    assert markers == ListMarkers(
        list_type="map", list_map_keys=("name",), patch_strategy="merge", patch_merge_key="name"
    )
    (ports,) = [m for m in Container.model_fields["ports"].metadata if isinstance(m, ListMarkers)]
    assert ports.list_map_keys == ("containerPort", "protocol")
    (labels,) = [
        m for m in PodSpec.model_fields["node_selector"].metadata if isinstance(m, ListMarkers)
    ]
    assert labels.map_type == "atomic"


def test_serialization_never_invents_nulls() -> None:
    pod = Pod(spec=PodSpec(containers=[Container(name="c")]))
    assert dump(pod) == {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "c"}]}}
