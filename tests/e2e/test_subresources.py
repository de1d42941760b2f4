"""The generated subresource methods against a real kube-apiserver, sync and async alike.

Each test runs twice (``api.mode`` is ``sync`` or ``async``). The server runs without a
scheduler, controller manager or kubelet: pods stay Pending and unbound until a test binds
them, and nothing finalizes namespaces, so each effect asserted here is the API server's own.
"""

from __future__ import annotations

import base64
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from _support import Api, collect, run, unique
from kubetyped.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from kubetyped.k8s.apiextensions import v1 as apiextensions_v1
from kubetyped.k8s.certificates import v1 as certificates_v1
from kubetyped.k8s.core import v1 as core_v1
from kubetyped.k8s.meta.v1 import ObjectMeta, Status
from kubetyped.k8s.policy.v1 import Eviction

pytestmark = pytest.mark.e2e

CERT_MANAGER_CRDS = Path(__file__).resolve().parents[1] / "data" / "crds"


def pod(name: str, *containers: str, labels: dict[str, str] | None = None) -> core_v1.Pod:
    return core_v1.Pod(
        metadata=ObjectMeta(name=name, labels=labels),
        spec=core_v1.PodSpec(
            containers=[
                core_v1.Container(
                    name=c,
                    image="busybox:1.36",
                    resources=core_v1.ResourceRequirements(
                        requests={"cpu": "100m", "memory": "32Mi"},
                        limits={"cpu": "100m", "memory": "32Mi"},
                    ),
                )
                for c in containers or ("main",)
            ]
        ),
    )


def binding(pod_name: str, node: str) -> core_v1.Binding:
    return core_v1.Binding(
        metadata=ObjectMeta(name=pod_name), target=core_v1.ObjectReference(kind="Node", name=node)
    )


def raw_status(apiserver: Any, path: str) -> tuple[int, dict[str, Any]]:
    """Ask the server directly (plain httpx, admin token): the code and the Status it sends."""
    response = httpx.get(
        apiserver.url + path,
        headers={"Authorization": f"Bearer {apiserver.admin_token}"},
        verify=ssl.create_default_context(cafile=str(apiserver.ca_path)),
    )
    return response.status_code, response.json()


# --------------------------------------------------------------------------- pods


async def test_pod_binding_sets_node_name(api: Api, namespace: str) -> None:
    pods = api.pods
    created = await run(pods.create(pod("bindme"), namespace=namespace))
    assert created.spec.node_name is None
    answer = await run(
        pods.create_binding("bindme", binding("bindme", "node-e2e"), namespace=namespace)
    )
    # The server answers a binding with a Status, not with the Binding.
    assert isinstance(answer, (core_v1.Binding, Status))
    if isinstance(answer, Status):
        assert answer.status == "Success" and answer.code == 201
    bound = await run(pods.get("bindme", namespace=namespace))
    assert bound.spec.node_name == "node-e2e"
    # A bound pod cannot be bound again.
    with pytest.raises(Conflict) as info:
        await run(
            pods.create_binding("bindme", binding("bindme", "node-other"), namespace=namespace)
        )
    assert info.value.code == 409 and "already assigned to node" in info.value.message
    assert (await run(pods.get("bindme", namespace=namespace))).spec.node_name == "node-e2e"


async def test_pod_eviction(api: Api, namespace: str) -> None:
    pods = api.pods
    eviction = Eviction(metadata=ObjectMeta(name="unbound"))
    await run(pods.create(pod("unbound"), namespace=namespace))
    answer = await run(pods.create_eviction("unbound", eviction, namespace=namespace))
    assert isinstance(answer, (Eviction, Status))
    if isinstance(answer, Status):
        assert answer.status == "Success" and answer.code == 201
    # A pod on no node has nothing to stop: the server deletes it at once.
    with pytest.raises(NotFound):
        await run(pods.get("unbound", namespace=namespace))

    # A pod bound to a node waits for that node's kubelet (there is none): it stays, terminating.
    await run(pods.create(pod("bound"), namespace=namespace))
    await run(pods.create_binding("bound", binding("bound", "node-e2e"), namespace=namespace))
    answer = await run(
        pods.create_eviction(
            "bound", Eviction(metadata=ObjectMeta(name="bound")), namespace=namespace
        )
    )
    assert isinstance(answer, (Eviction, Status))
    terminating = await run(pods.get("bound", namespace=namespace))
    assert terminating.metadata.deletion_timestamp is not None
    assert terminating.metadata.deletion_grace_period_seconds == 30

    with pytest.raises(NotFound) as info:
        await run(
            pods.create_eviction(
                "ghost", Eviction(metadata=ObjectMeta(name="ghost")), namespace=namespace
            )
        )
    assert info.value.message == 'pods "ghost" not found'


async def test_ephemeral_containers(api: Api, namespace: str) -> None:
    pods = api.pods
    await run(pods.create(pod("debugme"), namespace=namespace))
    before = await run(pods.get_ephemeralcontainers("debugme", namespace=namespace))
    assert isinstance(before, core_v1.Pod) and before.spec.ephemeral_containers is None

    patch = {
        "spec": {
            "ephemeralContainers": [
                {"name": "debugger", "image": "busybox:1.36", "targetContainerName": "main"}
            ]
        }
    }
    patched = await run(pods.patch_ephemeralcontainers("debugme", patch, namespace=namespace))
    assert [c.name for c in patched.spec.ephemeral_containers] == ["debugger"]
    assert patched.spec.ephemeral_containers[0].target_container_name == "main"

    # Read-modify-write through the PUT form, with a typed EphemeralContainer.
    current = await run(pods.get_ephemeralcontainers("debugme", namespace=namespace))
    current.spec.ephemeral_containers.append(
        core_v1.EphemeralContainer(
            name="shell", image="busybox:1.36", command=["sh"], stdin=True, tty=True
        )
    )
    replaced = await run(pods.replace_ephemeralcontainers("debugme", current, namespace=namespace))
    assert [c.name for c in replaced.spec.ephemeral_containers] == ["debugger", "shell"]

    stored = await run(pods.get("debugme", namespace=namespace))
    assert [c.name for c in stored.spec.ephemeral_containers] == ["debugger", "shell"]
    assert (
        stored.spec.ephemeral_containers[1].command == ["sh"]
        and stored.spec.ephemeral_containers[1].tty is True
    )
    # The subresource changes ephemeral containers only.
    assert [c.name for c in stored.spec.containers] == ["main"]

    # Ephemeral containers cannot be removed or changed once added.
    with pytest.raises(Invalid) as info:
        await run(
            pods.patch_ephemeralcontainers(
                "debugme",
                [{"op": "remove", "path": "/spec/ephemeralContainers/0"}],
                namespace=namespace,
                patch_type="json",
            )
        )
    assert info.value.code == 422


async def test_resize_of_a_pending_pod(api: Api, namespace: str) -> None:
    pods = api.pods
    await run(pods.create(pod("grow"), namespace=namespace))
    patch = {
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "resources": {"requests": {"cpu": "200m"}, "limits": {"cpu": "200m"}},
                }
            ]
        }
    }
    # A pod on no node is resized in its spec alone; applying it would be the kubelet's job.
    resized = await run(pods.patch_resize("grow", patch, namespace=namespace))
    assert resized.spec.containers[0].resources.requests == {"cpu": "200m", "memory": "32Mi"}
    assert resized.spec.containers[0].resources.limits == {"cpu": "200m", "memory": "32Mi"}

    current = await run(pods.get_resize("grow", namespace=namespace))
    assert current.spec.containers[0].resources.requests["cpu"] == "200m"
    current.spec.containers[0].resources.requests["memory"] = "64Mi"
    current.spec.containers[0].resources.limits["memory"] = "64Mi"
    replaced = await run(pods.replace_resize("grow", current, namespace=namespace))
    assert replaced.spec.containers[0].resources.requests == {"cpu": "200m", "memory": "64Mi"}
    stored = await run(pods.get("grow", namespace=namespace))
    assert stored.spec.containers[0].resources.limits == {"cpu": "200m", "memory": "64Mi"}

    # /resize takes only resources from what it is sent; other changes are dropped.
    ignored = await run(
        pods.patch_resize(
            "grow",
            {"spec": {"containers": [{"name": "main", "image": "busybox:1.37"}]}},
            namespace=namespace,
        )
    )
    assert ignored.spec.containers[0].image == "busybox:1.36"

    # A pod bound to a node is resized only if the node exists (no kubelet, no node here).
    await run(pods.create(pod("bound-grow"), namespace=namespace))
    await run(
        pods.create_binding(
            "bound-grow", binding("bound-grow", "node-missing"), namespace=namespace
        )
    )
    with pytest.raises(Forbidden) as info:
        await run(pods.patch_resize("bound-grow", patch, namespace=namespace))
    assert 'node "node-missing" not found' in info.value.message


async def test_pod_log_without_a_kubelet(api: Api, namespace: str, apiserver: Any) -> None:
    pods = api.pods
    # A pod on no node has no log yet: the server answers 200 with an empty body.
    await run(pods.create(pod("quiet"), namespace=namespace))
    assert await run(pods.log("quiet", namespace=namespace)) == ""
    assert await collect(pods.log_lines("quiet", namespace=namespace, follow=True)) == []

    # Two containers and none named: the server refuses before it would ask a kubelet.
    await run(pods.create(pod("pair", "left", "right"), namespace=namespace))
    path = f"/api/v1/namespaces/{namespace}/pods/pair/log"
    with pytest.raises(BadRequest) as info:
        await run(pods.log("pair", namespace=namespace))
    code, status = raw_status(apiserver, path)
    assert (
        code == 400
        and info.value.code == 400
        and info.value.reason == status["reason"] == "BadRequest"
    )
    assert info.value.message == status["message"]
    assert (
        info.value.message
        == "a container name must be specified for pod pair, choose one of: [left right]"
    )
    assert info.value.url.endswith(path) and info.value.method == "GET"

    with pytest.raises(BadRequest) as info:
        await run(pods.log("pair", namespace=namespace, container="middle"))
    assert info.value.message == "container middle is not valid for pod pair"
    with pytest.raises(BadRequest, match="a container name must be specified"):
        await collect(pods.log_lines("pair", namespace=namespace, follow=True))

    # Bound to a node that does not exist: the server cannot find a kubelet to ask.
    await run(pods.create(pod("stranded"), namespace=namespace))
    await run(
        pods.create_binding("stranded", binding("stranded", "node-gone"), namespace=namespace)
    )
    with pytest.raises(NotFound) as missing:
        await run(pods.log("stranded", namespace=namespace))
    code, status = raw_status(apiserver, f"/api/v1/namespaces/{namespace}/pods/stranded/log")
    assert code == 404 and missing.value.message == status["message"]
    assert "node-gone" in missing.value.message


# --------------------------------------------------------------------- certificates


@pytest.fixture(scope="module")
def csr_pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A certificate signing request, and a certificate for it from a throw-away CA."""
    d = tmp_path_factory.mktemp("csr")

    def openssl(command: str) -> None:
        subprocess.run(["openssl", *command.split()], cwd=d, check=True, capture_output=True)

    ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    openssl(f"req -new {ec} -subj /O=e2e/CN=e2e-user -keyout user.key -out user.csr")
    openssl(f"req -x509 {ec} -subj /CN=e2e-signer -days 1 -keyout ca.key -out ca.crt")
    sign = "x509 -req -in user.csr -CA ca.crt -CAkey ca.key -days 1"
    openssl(f"{sign} -set_serial 7 -out user.crt")
    openssl(f"{sign} -set_serial 8 -out other.crt")
    return {name: (d / f"{name}").read_bytes() for name in ("user.csr", "user.crt", "other.crt")}


async def test_csr_approval_and_status(api: Api, csr_pki: dict[str, bytes]) -> None:
    csrs = api.csrs
    name = unique(f"csr-{api.mode}")
    request = certificates_v1.CertificateSigningRequest(
        metadata=ObjectMeta(name=name),
        spec=certificates_v1.CertificateSigningRequestSpec(
            request=csr_pki["user.csr"], signer_name="example.com/e2e", usages=["client auth"]
        ),
    )
    created = await run(csrs.create(request))
    # format: byte: PEM bytes in Python, base64 on the wire, the same bytes back.
    assert created.spec.request == csr_pki["user.csr"]
    assert created.spec.username == "kubetyped-admin" and created.status.conditions is None

    created.status = certificates_v1.CertificateSigningRequestStatus(
        conditions=[
            certificates_v1.CertificateSigningRequestCondition(
                type="Approved", status="True", reason="E2EApproved", message="approved by the test"
            )
        ]
    )
    approved = await run(csrs.replace_approval(name, created))
    (condition,) = approved.status.conditions
    assert (condition.type, condition.status, condition.reason) == (
        "Approved",
        "True",
        "E2EApproved",
    )
    assert condition.last_update_time is not None  # defaulted by the server
    assert (await run(csrs.get_approval(name))).status.conditions[0].type == "Approved"

    status = await run(csrs.get_status(name))
    assert [c.type for c in status.status.conditions] == ["Approved"]
    assert status.status.certificate is None
    raw = await api.raw_json(
        f"/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}/status"
    )
    assert status.model_dump(mode="json", by_alias=True, exclude_unset=True) == raw

    # The signer's part: put the issued certificate in status (base64 in a merge patch).
    issued = base64.b64encode(csr_pki["user.crt"]).decode()
    signed = await run(
        csrs.patch_status(name, {"status": {"certificate": issued}}, patch_type="merge")
    )
    assert signed.status.certificate == csr_pki["user.crt"]
    assert [c.type for c in signed.status.conditions] == ["Approved"]
    assert (await run(csrs.get(name))).status.certificate == csr_pki["user.crt"]

    # Once issued, the certificate cannot be replaced.
    other = base64.b64encode(csr_pki["other.crt"]).decode()
    with pytest.raises(Invalid) as info:
        await run(csrs.patch_status(name, {"status": {"certificate": other}}, patch_type="merge"))
    assert any(c.field == "status.certificate" for c in info.value.causes)
    await run(csrs.delete(name))


# ----------------------------------------------------------------------- namespaces


async def test_namespace_finalize(api: Api) -> None:
    namespaces = api.namespaces
    name = unique(f"final-{api.mode}")
    await run(namespaces.create(core_v1.Namespace(metadata=ObjectMeta(name=name))))
    deleted = await run(namespaces.delete(name))
    assert (
        isinstance(deleted, core_v1.Namespace) and deleted.metadata.deletion_timestamp is not None
    )

    # Without kube-controller-manager nothing empties the namespace: it stays Terminating.
    await api.sleep(0.5)
    stuck = await run(namespaces.get(name))
    assert stuck.status.phase == "Terminating" and stuck.spec.finalizers == ["kubernetes"]

    stuck.spec.finalizers = []
    finalized = await run(namespaces.replace_finalize(name, stuck))
    assert isinstance(finalized, core_v1.Namespace) and not finalized.spec.finalizers
    with pytest.raises(NotFound):
        await run(namespaces.get(name))


# ------------------------------------------------------------------- delete_collection


async def test_delete_collection_with_label_selector(api: Api, namespace: str) -> None:
    cms = api.configmaps
    for i in range(3):
        cm = core_v1.ConfigMap(metadata=ObjectMeta(name=f"doomed-{i}", labels={"fate": "doomed"}))
        await run(cms.create(cm, namespace=namespace))
    await run(
        cms.create(
            core_v1.ConfigMap(metadata=ObjectMeta(name="spared", labels={"fate": "spared"})),
            namespace=namespace,
        )
    )
    await run(cms.create(core_v1.ConfigMap(metadata=ObjectMeta(name="plain")), namespace=namespace))

    gone = await run(cms.delete_collection(namespace=namespace, label_selector="fate=doomed"))
    assert isinstance(gone, (core_v1.ConfigMapList, Status))
    if isinstance(gone, core_v1.ConfigMapList):
        assert sorted(c.metadata.name for c in gone.items) == ["doomed-0", "doomed-1", "doomed-2"]
    left = await run(cms.list(namespace=namespace))
    assert sorted(c.metadata.name for c in left.items if c.metadata.name != "kube-root-ca.crt") == [
        "plain",
        "spared",
    ]

    # Set-based selectors too, and pods (unbound pods go at once).
    pods = api.pods
    for name, tier in (("web-a", "web"), ("web-b", "web"), ("db", "db")):
        await run(pods.create(pod(name, labels={"tier": tier}), namespace=namespace))
    await run(pods.delete_collection(namespace=namespace, label_selector="tier in (web)"))
    assert [p.metadata.name for p in (await run(pods.list(namespace=namespace))).items] == ["db"]


# -------------------------------------------------------------------- custom resources


def renamed_crd(file: str, group: str) -> dict[str, Any]:
    """A cert-manager CRD moved to ``group``, so tests and sessions never collide on its name."""
    (document,) = [d for d in yaml.safe_load_all((CERT_MANAGER_CRDS / file).read_text()) if d]
    document["spec"]["group"] = group
    document["metadata"] = {
        "name": f"{document['spec']['names']['plural']}.{group}",
        "labels": {"e2e": "subresources"},
    }
    return document


async def test_custom_resource_definition_round_trip(api: Api) -> None:
    crds = api.crds
    group = unique(f"{api.mode}.e2e") + ".kubetyped.test"
    manifest = renamed_crd("cert-manager.io_certificates.yaml", group)
    crd = apiextensions_v1.CustomResourceDefinition.model_validate(manifest)
    # The typed model sends the deep schema exactly as the file has it.
    assert crd.model_dump(mode="json", by_alias=True, exclude_unset=True) == manifest
    name = crd.metadata.name
    created = await run(crds.create(crd))
    assert created.metadata.uid

    deadline = time.monotonic() + 20
    while True:
        status = await run(crds.get_status(name))
        conditions = {c.type: c.status for c in status.status.conditions or []}
        if conditions.get("Established") == "True":
            break
        assert time.monotonic() < deadline, f"CRD {name} not Established: {conditions}"
        await api.sleep(0.1)
    assert conditions.get("NamesAccepted") == "True"
    assert status.status.accepted_names.kind == "Certificate"
    assert status.status.stored_versions == ["v1"]

    got = await run(crds.get(name))
    raw = await api.raw_json(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
    assert got.model_dump(mode="json", by_alias=True, exclude_unset=True) == raw
    schema = got.spec.versions[0].schema_.open_api_v3_schema
    assert "dnsNames" in schema.properties["spec"].properties
    # The schema the server stored is the one sent, to the last nested property.
    (sent,) = manifest["spec"]["versions"]
    assert raw["spec"]["versions"][0]["schema"] == sent["schema"]

    # The new API serves objects: its discovery lists the resource.
    resources = await run(api.client.api_resources(f"{group}/v1"))
    assert "certificates" in {r.name for r in resources}
    await run(crds.delete(name))
