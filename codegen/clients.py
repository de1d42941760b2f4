"""The Python surface of a resource client: one method per operation the spec lists.

Decided here, rendered by ``templates/clients.py.jinja`` for sync and async alike, so both
flavours always have the same methods, arguments and requests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from .ir import OperationDef, ParamDef, ResourceDef, TypeExpr
from .pytext import docstring

__all__ = ["ClientClass", "Method", "client_class", "client_class_name"]

# Subresources whose answer may be a Status rather than the object named in the spec.
_STATUS_ANSWERS = {"eviction", "binding"}
# connect operations (exec, attach, portforward, proxy) need streaming protocols: not here yet.
_SKIPPED_VERBS = {"connect"}

Mode = Literal["send", "list_all", "watch"]


@dataclass
class Method:
    """One method; ``call`` is the ``_request``/``_apply_request`` expression it sends."""

    name: str
    doc: str
    params: list[str]
    returns: str
    mode: Mode
    call: str


@dataclass
class ClientClass:
    name: str
    async_name: str
    info: str
    doc: str
    methods: list[Method] = field(default_factory=list)


def client_class_name(kind: str, plural: str) -> str:
    """``Deployment``/``deployments`` -> ``Deployments``; ``NetworkPolicy`` -> ``NetworkPolicies``.

    The kind's spelling up to where it and the plural part, then the plural's ending; a name
    equal to the kind (``Endpoints``) gets ``Resource`` so it cannot shadow the model.
    """
    common = 0
    for a, b in zip(kind.lower(), plural.lower(), strict=False):
        if a != b:
            break
        common += 1
    name = kind[:common] + plural[common:]
    name = name[:1].upper() + name[1:]
    return f"{name}Resource" if name == kind else name


def _call(op: OperationDef, resource: ResourceDef, response: str, extra: list[str]) -> str:
    args = [f'"{op.method}"']
    if op.verb in ("get", "replace", "patch", "delete") or op.subresource:
        args.append("name=name")
    if resource.namespaced:
        args.append("namespace=namespace")
    args.extend(extra)
    if op.subresource:
        args.append(f'subresource="{op.subresource}"')
    pairs = ", ".join(f'"{p.wire_name}": {p.name}' for p in op.params)
    if pairs:
        args.append(f"params={{{pairs}}}")
    args.append(f"response={response}")
    return f"self._request({', '.join(args)})"


def _param(p: ParamDef, ann: Callable[[TypeExpr], str]) -> str:
    if p.required:
        return f"{p.name}: {ann(p.type)}"
    return f"{p.name}: {ann(p.type)} | None = None"


def _methods(
    resource: ResourceDef, op: OperationDef, ann: Callable[[TypeExpr], str], has_all: bool
) -> list[Method]:
    model = ann(resource.model) if resource.model else "Any"
    listing = ann(resource.list_model) if resource.list_model else "Any"
    response = ann(op.response) if op.response else model
    sub = op.subresource
    suffix = f"_{sub}" if sub else ""
    text = (op.description or "").strip()
    doc = docstring(text[:1].upper() + text[1:] + "." if text else "", indent=8)
    ns = ["namespace: str | None = None"] if resource.namespaced else []
    every = ["all_namespaces: bool = False"] if has_all and not sub else []
    every_arg = ["all_namespaces=all_namespaces"] if every else []
    query = [_param(p, ann) for p in op.params]
    # Only where a body is sent as typed: a patch body is typed from the response model.
    body = ann(op.body) if op.body and op.verb != "patch" else "Any"

    if op.verb == "get" and sub == "log":
        # log() returns the text at once; following a log needs a streaming call (not here
        # yet), so `follow` is left out rather than offered and blocking until the pod ends.
        kept = [(q, p) for q, p in zip(query, op.params, strict=True) if p.wire_name != "follow"]
        op = replace(op, params=[p for _, p in kept])
        query = [q for q, _ in kept]
        return [
            Method(
                "log",
                doc,
                ["name: str", "*", *ns, *query],
                "str",
                "send",
                _call(op, resource, "str", []),
            )
        ]
    if op.verb == "get":
        return [
            Method(
                f"get{suffix}",
                doc,
                ["name: str", "*", *ns, *query],
                response,
                "send",
                _call(op, resource, response, []),
            )
        ]
    if op.verb == "list":
        list_all_params = [
            q for q, p in zip(query, op.params, strict=True) if p.wire_name != "continue"
        ]
        list_all_call = _call(
            OperationDef(
                op.verb,
                op.method,
                op.path,
                op.scope,
                sub,
                [p for p in op.params if p.wire_name != "continue"],
                None,
                None,
            ),
            resource,
            model,
            every_arg,
        )
        return [
            Method(
                f"list{suffix}",
                doc,
                ["*", *ns, *every, *query],
                response,
                "send",
                _call(op, resource, response, every_arg),
            ),
            Method(
                f"list_all{suffix}",
                docstring(
                    f"Every {resource.gvk.kind}, following ``continue`` across pages.", indent=8
                ),
                ["*", *ns, *every, *list_all_params],
                model,
                "list_all",
                list_all_call,
            ),
        ]
    if op.verb == "watch":
        return [
            Method(
                f"watch{suffix}",
                doc,
                ["*", *ns, *every, *query],
                model,
                "watch",
                _call(op, resource, model, every_arg),
            )
        ]
    if op.verb == "create":
        answer = f"OrStatus({response})" if sub in _STATUS_ANSWERS else response
        returns = f"{response} | Status" if sub in _STATUS_ANSWERS else response
        name_arg = ["name: str"] if sub else []
        return [
            Method(
                f"create{suffix}",
                doc,
                [*name_arg, f"body: {body}", "*", *ns, *query],
                returns,
                "send",
                _call(op, resource, answer, ["body=body"]),
            )
        ]
    if op.verb == "replace":
        return [
            Method(
                f"replace{suffix}",
                doc,
                ["name: str", f"body: {body}", "*", *ns, *query],
                response,
                "send",
                _call(op, resource, response, ["body=body"]),
            )
        ]
    if op.verb == "patch":
        target = response
        # kubectl's default where the server has it; custom resources only take merge patches.
        default_patch = "strategic" if "strategic" in op.patch_types else "merge"
        patch = Method(
            f"patch{suffix}",
            doc,
            [
                "name: str",
                f"body: {target} | dict[str, Any] | Sequence[dict[str, Any]]",
                "*",
                *ns,
                f'patch_type: PatchType = "{default_patch}"',
                *query,
            ],
            response,
            "send",
            _call(op, resource, response, ["body=body", "patch_type=patch_type"]),
        )
        apply_query = [
            q
            for q, p in zip(query, op.params, strict=True)
            if p.wire_name not in ("fieldManager", "force")
        ]
        apply_pairs = ", ".join(
            f'"{p.wire_name}": {p.name}'
            for p in op.params
            if p.wire_name not in ("fieldManager", "force")
        )
        apply_args = [
            f"obj: {target} | dict[str, Any]",
            "*",
            "field_manager: str",
            "force: bool = False",
            *ns,
            *apply_query,
        ]
        call = "self._apply_request(obj, field_manager=field_manager, force=force"
        call += ", namespace=namespace" if resource.namespaced else ""
        call += f', subresource="{sub}"' if sub else ""
        call += f", params={{{apply_pairs}}}" if apply_pairs else ""
        call += f", response={response})"
        apply = Method(
            f"apply{suffix}",
            docstring(
                "Server-side apply: send only the fields set on ``obj``, owned by ``field_manager``.",
                indent=8,
            ),
            apply_args,
            response,
            "send",
            call,
        )
        # apply sends the resource's own apiVersion/kind: right for the object and its status,
        # not for subresources of another kind (scale is an autoscaling/v1 Scale).
        return [patch, apply] if sub in (None, "status") else [patch]
    if op.verb == "delete":
        return [
            Method(
                f"delete{suffix}",
                doc,
                ["name: str", "*", *ns, f"body: {body} | None = None", *query],
                f"{model} | Status",
                "send",
                _call(op, resource, f"OrStatus({model})", ["body=body"]),
            )
        ]
    if op.verb == "deletecollection":
        return [
            Method(
                f"delete_collection{suffix}",
                doc,
                ["*", *ns, f"body: {body} | None = None", *query],
                f"{listing} | Status",
                "send",
                _call(op, resource, f"OrStatus({listing})", ["body=body"]),
            )
        ]
    raise ValueError(f"no client method for {op.verb} {op.path}")


def client_class(resource: ResourceDef, ann: Callable[[TypeExpr], str]) -> ClientClass:
    """The client class of a resource, with its methods in a stable order."""
    assert resource.model is not None
    name = client_class_name(resource.gvk.kind, resource.plural)
    verbs = ", ".join(f'"{v}"' for v in resource.verbs)
    subs = ", ".join(f'"{s}"' for s in resource.subresources)
    info = (
        f'ResourceInfo(group="{resource.gvk.group}", version="{resource.gvk.version}", '
        f'kind="{resource.gvk.kind}", plural="{resource.plural}", '
        f"namespaced={resource.namespaced}, verbs=frozenset({{{verbs}}}), "
        f"subresources=frozenset({{{subs}}}))"
    ).replace("frozenset({})", "frozenset()")
    has_all = any(op.scope == "all-namespaces" for op in resource.operations)
    namespaced_ops = {
        (op.verb, op.subresource) for op in resource.operations if op.scope == "namespaced"
    }
    seen: set[str] = set()
    methods: list[Method] = []
    for op in resource.operations:
        if op.verb in _SKIPPED_VERBS:
            continue
        if op.scope == "all-namespaces" and (op.verb, op.subresource) in namespaced_ops:
            continue  # the namespaced method covers it with all_namespaces=True
        for method in _methods(resource, op, ann, has_all):
            if method.params and method.params[-1] == "*":
                method.params.pop()  # nothing keyword-only follows: a bare * is a syntax error
            if method.name not in seen:
                seen.add(method.name)
                methods.append(method)
    methods.sort(key=lambda m: m.name)
    doc = docstring(
        f"The {resource.plural} API of {resource.gvk.api_version} ({resource.gvk.kind})."
    )
    return ClientClass(name, f"Async{name}", info, doc, methods)
