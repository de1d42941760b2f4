"""The naming rules: wire names to Python attributes, API groups to module paths."""

from __future__ import annotations

import keyword
import re

__all__ = ["attribute_name", "group_module", "module_alias"]

# Acronyms stay whole ("podIPs" -> pod_ips, "stubPKCS10Request" -> stub_pkcs10_request) and an
# acronym before a version is split from it ("openAPIV3Schema" -> open_api_v3_schema).
_WORD = re.compile(
    r"[A-Z]{2,}s(?![a-z])"  # plural acronym: IPs, CIDRs, WWNs
    r"|[A-Z]+(?=V\d)"  # acronym before a version: API in APIV3
    r"|V\d+(?![a-z])"  # the version itself: V3
    r"|[A-Z]+\d*(?![a-z])"  # acronym, possibly numbered: CPU, PKCS10
    r"|[A-Z]?[a-z]+\d*"  # ordinary word
    r"|\d+"
)

# Names a field must not take: keywords, pydantic's own attributes, and builtins that the
# generated annotations use (a class attribute of that name would shadow them).
_RESERVED = frozenset(
    {
        "bool",
        "bytes",
        "dict",
        "float",
        "int",
        "list",
        "str",
        "schema",
        "schema_json",
        "json",
        "copy",
        "construct",
        "validate",
        "from_orm",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "update_forward_refs",
        "model_config",
        "set_extra",
        "to_dict",
        "to_json",
        "model_fields",
        "Any",
        "Annotated",
        "Field",
        "Literal",
        "ClassVar",
    }
)


def attribute_name(wire: str) -> str:
    """The snake_case attribute for a wire name; keywords and reserved names get a ``_``."""
    words = [w.lower() for part in re.split(r"[^A-Za-z0-9]+", wire) for w in _WORD.findall(part)]
    name = "_".join(words) or "field"
    if name[0].isdigit():
        name = f"n{name}"
    if keyword.iskeyword(name) or name in _RESERVED or name.startswith("model_"):
        name += "_"
    return name


def group_module(group: str) -> str:
    """The module segment of an API group: ``""`` -> core, ``rbac.authorization.k8s.io`` ->
    rbac_authorization, ``cert-manager.io`` -> cert_manager_io."""
    if not group:
        return "core"
    name = group.removesuffix(".k8s.io")
    name = re.sub(r"[.\-]", "_", name)
    name = re.sub(r"[^A-Za-z0-9_]", "", name)
    if name[0].isdigit() or keyword.iskeyword(name):
        name = f"g_{name}"
    return name


def module_alias(segment: str, version: str) -> str:
    """The name a generated module imports another group-version module under."""
    return f"{segment}_{version}"
