"""A CRD package (cert-manager, generated with --crd alone, on top of kubetyped.k8s): models
and every verb of a namespaced (Certificates) and a cluster-scoped (ClusterIssuers) custom
resource, sync and async."""

from crds.cert_manager_io.v1 import (
    AsyncCertificates,
    Certificate,
    Certificates,
    CertificateSpec,
    ClusterIssuer,
    ClusterIssuers,
)
from kubetyped import AsyncClient, Client
from kubetyped.k8s.meta.v1 import ObjectMeta, Status


def build() -> Certificate:
    cert = Certificate(
        metadata=ObjectMeta(name="web-tls", namespace="prod"),
        spec=CertificateSpec.model_validate({"secretName": "web-tls", "issuerRef": {"name": "le"}}),
    )
    if cert.spec is not None:
        secret: str = cert.spec.secret_name
        names: list[str] | None = cert.spec.dns_names
        print(secret, names, cert.spec.issuer_ref.name)
    return cert


def sync(client: Client) -> None:
    certs = Certificates(client)
    cert = certs.create(build(), field_validation="Strict")
    cert = certs.get("web-tls", namespace="prod")
    cert = certs.replace("web-tls", cert)
    cert = certs.patch("web-tls", {"spec": {"dnsNames": ["a.example"]}})
    cert = certs.patch(
        "web-tls", [{"op": "replace", "path": "/spec/secretName", "value": "x"}], patch_type="json"
    )
    cert = certs.apply(cert, field_manager="me")
    cert = certs.get_status("web-tls")
    cert = certs.replace_status("web-tls", cert)
    cert = certs.patch_status("web-tls", {"status": {}})
    cert = certs.apply_status(cert, field_manager="me")
    for c in certs.list_all(all_namespaces=True):
        print(c.status.conditions if c.status else None)
    print(certs.list(namespace="prod", limit=5).items)
    for event in certs.watch(namespace="prod"):
        print(event.object.spec)
    deleted: Certificate | Status = certs.delete("web-tls", propagation_policy="Foreground")
    print(deleted)
    certs.delete_collection(namespace="prod")
    issuers = ClusterIssuers(client)
    issuer = issuers.create(ClusterIssuer.model_validate({"metadata": {"name": "le"}, "spec": {}}))
    issuer = issuers.get("le")
    issuer = issuers.replace("le", issuer)
    issuer = issuers.patch("le", {"spec": {}}, patch_type="merge")
    issuer = issuers.apply(issuer, field_manager="me")
    print([i.metadata.name for i in issuers.list_all() if i.metadata], issuers.list().items)
    for e in issuers.watch():
        print(e.type)
    issuers.delete("le")
    issuers.delete_collection()


async def asynchronous(aclient: AsyncClient) -> None:
    certs = AsyncCertificates(aclient)
    cert = await certs.get("web-tls")
    cert = await certs.apply(cert, field_manager="me")
    async for c in certs.list_all():
        print(c.spec.secret_name if c.spec else None)
    await certs.delete("web-tls")
