"""The naming rules: attribute names and module names."""

import pytest
from kubetyped.codegen.naming import attribute_name, group_module


@pytest.mark.parametrize(
    ("wire", "attribute"),
    [
        ("apiVersion", "api_version"),
        ("podIPs", "pod_ips"),
        ("podCIDRs", "pod_cidrs"),
        ("hostIPC", "host_ipc"),
        ("openAPIV3Schema", "open_api_v3_schema"),
        ("currentCPUUtilizationPercentage", "current_cpu_utilization_percentage"),
        ("stubPKCS10Request", "stub_pkcs10_request"),
        ("setHostnameAsFQDN", "set_hostname_as_fqdn"),
        ("targetWWNs", "target_wwns"),
        ("nonResourceURLs", "non_resource_urls"),
        ("x-kubernetes-list-map-keys", "x_kubernetes_list_map_keys"),
        ("$ref", "ref"),
        ("$schema", "schema_"),
        ("continue", "continue_"),
        ("from", "from_"),
        ("not", "not_"),
        ("int", "int_"),
        ("type", "type"),
    ],
)
def test_attribute_names(wire: str, attribute: str) -> None:
    assert attribute_name(wire) == attribute


def test_no_field_takes_the_name_of_a_models_method() -> None:
    # A field named like a method would hide it on every instance (``obj.set_extra``).
    from kubetyped.model import K8sObject

    public = [name for name in dir(K8sObject) if not name.startswith("_")]
    assert public and all(attribute_name(name) == f"{name}_" for name in public)


@pytest.mark.parametrize(
    ("group", "module"),
    [
        ("", "core"),
        ("apps", "apps"),
        ("rbac.authorization.k8s.io", "rbac_authorization"),
        ("networking.k8s.io", "networking"),
        ("flowcontrol.apiserver.k8s.io", "flowcontrol_apiserver"),
        ("cert-manager.io", "cert_manager_io"),
        ("acme.cert-manager.io", "acme_cert_manager_io"),
    ],
)
def test_group_modules(group: str, module: str) -> None:
    assert group_module(group) == module
