"""Unknown fields: an error when a model is built in Python, kept when they come from the wire."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubetyped.k8s.apps.v1 import Deployment, DeploymentSpec
from kubetyped.k8s.core.v1 import Container, Pod, PodSpec, PodTemplateSpec
from kubetyped.k8s.meta.v1 import LabelSelector, ObjectMeta
from kubetyped.model import UnknownFieldError
from kubetyped.status import Status
from kubetyped.watch import WatchDecoder


def _spec(**extra: Any) -> DeploymentSpec:
    return DeploymentSpec(selector=LabelSelector(), template=PodTemplateSpec(), **extra)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: _spec(replica=2),
            "DeploymentSpec has no field 'replica'; did you mean 'replicas'?",
        ),
        (lambda: ObjectMeta(nmae="x"), "ObjectMeta has no field 'nmae'; did you mean 'name'?"),
        # a misspelled wire name suggests the attribute
        (lambda: ObjectMeta(generatName="x"), "did you mean 'generate_name'?"),
        # the wire name in another case: the attribute it means
        (lambda: ObjectMeta(GenerateName="x"), "did you mean 'generate_name'?"),
        (lambda: Container(name="c", imgae="nginx"), "did you mean 'image'?"),
        (lambda: Pod(spce=PodSpec(containers=[])), "Pod has no field 'spce'; did you mean 'spec'?"),
        (
            lambda: ObjectMeta(zzzzzz=1),
            "ObjectMeta has no field 'zzzzzz' (set a field the bindings do not know with set_extra)",
        ),
        (lambda: Status(cod=404), "Status has no field 'cod'; did you mean 'code'?"),
    ],
)
def test_unknown_keyword_is_refused_with_the_closest_field(build: Any, message: str) -> None:
    with pytest.raises(UnknownFieldError) as caught:
        build()
    assert message in str(caught.value)
    assert isinstance(caught.value, TypeError)  # what Python raises for a bad keyword


def test_error_carries_model_name_and_suggestion() -> None:
    with pytest.raises(UnknownFieldError) as caught:
        _spec(replica=2)
    assert (caught.value.model, caught.value.name, caught.value.suggestion) == (
        "DeploymentSpec",
        "replica",
        "replicas",
    )


def test_attribute_and_wire_names_both_construct() -> None:
    meta = ObjectMeta(name="web", generateName="w-", resource_version="1")
    assert meta.generate_name == "w-" and meta.resource_version == "1"
    assert meta.to_dict() == {"name": "web", "generateName": "w-", "resourceVersion": "1"}


WIRE = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "futureMeta": {"a": 1}},
    "spec": {
        "replica": 3,
        "selector": {},
        "template": {"spec": {"containers": [{"name": "c", "futureField": [1, 2]}]}},
    },
    "futureTop": "x",
}


def test_wire_data_keeps_unknown_fields_at_every_depth() -> None:
    for obj in (
        Deployment.model_validate(WIRE),
        Deployment.model_validate_json(json.dumps(WIRE)),
    ):
        assert obj.to_dict() == WIRE
        assert obj.model_extra == {"futureTop": "x"}


def test_watch_events_keep_unknown_fields() -> None:
    decoder = WatchDecoder(Deployment, method="GET", url="http://x")
    event = decoder.decode(json.dumps({"type": "ADDED", "object": WIRE}).encode())
    assert event.object.to_dict() == WIRE


def test_set_extra_sets_a_field_the_bindings_do_not_know() -> None:
    spec = _spec(replicas=1)
    spec.set_extra("newFeature", {"enabled": True})
    assert spec.model_extra == {"newFeature": {"enabled": True}}
    assert spec.to_dict()["newFeature"] == {"enabled": True}
    web = Deployment(metadata=ObjectMeta(name="web"), spec=spec)
    assert web.to_dict()["spec"]["newFeature"] == {"enabled": True}
    assert Deployment.model_validate(web.to_dict()).to_dict() == web.to_dict()


@pytest.mark.parametrize("name", ["replicas", "minReadySeconds", "min_ready_seconds"])
def test_set_extra_refuses_a_known_field(name: str) -> None:
    with pytest.raises(ValueError, match="DeploymentSpec has a field"):
        _spec().set_extra(name, 1)
