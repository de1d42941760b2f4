"""The Python surface of a resource client: one method per operation the spec lists.

Decided here, rendered by ``templates/clients.py.jinja`` for sync and async alike, so both
flavours always have the same methods, arguments and requests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from .ir import AnyType, ModelRef, ModuleId, OperationDef, ParamDef, ResourceDef, TypeExpr
from .pytext import docstring

__all__ = ["ClientClass", "Method", "client_class", "client_class_name"]

_STATUS = ModelRef(ModuleId("meta", "v1"), "Status")
# Subresources whose answer may be a Status rather than the object named in the spec.
_STATUS_ANSWERS = {"eviction", "binding"}
# connect operations (exec, attach, portforward, proxy) need streaming protocols: not here yet.
_SKIPPED_VERBS = {"connect"}

Mode = Literal["send", "list_all", "watch", "lines"]


@dataclass
class Method:
    """One method; ``call`` is the ``_request``/``_apply_request`` expression it sends and
    ``uses`` the names its text needs imported (``OrStatus``, ``Status``, ``PatchType`` …)."""

    name: str
    doc: str
    params: list[str]
    returns: str
    mode: Mode
    call: str
    uses: frozenset[str] = frozenset()


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


@dataclass
class _Op:
    """One operation seen from the Python side: names and fragments every builder shares."""

    resource: ResourceDef
    op: OperationDef
    ann: Callable[[TypeExpr], str]
    all_namespaces: bool  # the resource can also be listed across namespaces

    @property
    def suffix(self) -> str:
        return f"_{self.op.subresource}" if self.op.subresource else ""

    @property
    def model(self) -> str:
        return self.ann(self.resource.model or AnyType())

    @property
    def response(self) -> str:
        return self.ann(self.op.response) if self.op.response else self.model

    @property
    def status(self) -> str:
        """The package's own meta/v1 Status, which a delete or an eviction may answer with."""
        return self.ann(_STATUS)

    @property
    def body(self) -> str:
        return self.ann(self.op.body or AnyType())

    @property
    def doc(self) -> str:
        text = (self.op.description or "").strip()
        return docstring(text[:1].upper() + text[1:] + "." if text else "", indent=8)

    @property
    def ns(self) -> list[str]:
        return ["namespace: str | None = None"] if self.resource.namespaced else []

    @property
    def every(self) -> list[str]:
        """``all_namespaces`` for list and watch of a resource listable across namespaces."""
        listable = self.op.verb in ("list", "watch") and not self.op.subresource
        return ["all_namespaces: bool = False"] if self.all_namespaces and listable else []

    def query(self, drop: tuple[str, ...] = ()) -> list[str]:
        """The keyword parameters of the spec's query parameters, less ``drop``."""
        return [_param(p, self.ann) for p in self.op.params if p.wire_name not in drop]

    def call(self, response: str, extra: tuple[str, ...] = (), drop: tuple[str, ...] = ()) -> str:
        """The ``self._request(...)`` expression of this operation."""
        op = self.op
        args = [f'"{op.method}"']
        if op.verb in ("get", "replace", "patch", "delete") or op.subresource:
            args.append("name=name")
        if self.resource.namespaced:
            args.append("namespace=namespace")
        if self.every:
            args.append("all_namespaces=all_namespaces")
        args.extend(extra)
        if op.subresource:
            args.append(f'subresource="{op.subresource}"')
        pairs = _pairs(op.params, drop)
        if pairs:
            args.append(f"params={{{pairs}}}")
        args.append(f"response={response}")
        return f"self._request({', '.join(args)})"


def _param(p: ParamDef, ann: Callable[[TypeExpr], str]) -> str:
    if p.required:
        return f"{p.name}: {ann(p.type)}"
    return f"{p.name}: {ann(p.type)} | None = None"


def _pairs(params: list[ParamDef], drop: tuple[str, ...]) -> str:
    return ", ".join(f'"{p.wire_name}": {p.name}' for p in params if p.wire_name not in drop)


def _get(o: _Op) -> list[Method]:
    if o.op.subresource == "log":
        # log() returns the text at once, so `follow` is left out of it rather than offered
        # and blocking until the pod ends; log_lines() streams, with `follow`.
        drop = ("follow",)
        params = ["name: str", "*", *o.ns, *o.query(drop)]
        doc = docstring(
            "Each line of the log as it arrives (line endings stripped, bytes that are not "
            "UTF-8 replaced); with ``follow=True`` until the container ends.",
            indent=8,
        )
        return [
            Method("log", o.doc, params, "str", "send", o.call("str", drop=drop)),
            Method(
                "log_lines",
                doc,
                ["name: str", "*", *o.ns, *o.query()],
                "str",
                "lines",
                o.call("str"),
            ),
        ]
    params = ["name: str", "*", *o.ns, *o.query()]
    return [Method(f"get{o.suffix}", o.doc, params, o.response, "send", o.call(o.response))]


def _list(o: _Op) -> list[Method]:
    drop = ("continue",)  # list_all follows continue itself
    every_page = docstring(
        f"Every {o.resource.gvk.kind}, following ``continue`` across pages.", indent=8
    )
    return [
        Method(
            f"list{o.suffix}",
            o.doc,
            ["*", *o.ns, *o.every, *o.query()],
            o.response,
            "send",
            o.call(o.response),
        ),
        Method(
            f"list_all{o.suffix}",
            every_page,
            ["*", *o.ns, *o.every, *o.query(drop)],
            o.model,
            "list_all",
            o.call(o.model, drop=drop),
        ),
    ]


def _watch(o: _Op) -> list[Method]:
    params = ["*", *o.ns, *o.every, *o.query()]
    return [
        Method(
            f"watch{o.suffix}",
            o.doc,
            params,
            o.model,
            "watch",
            o.call(o.model),
            frozenset({"WatchEvent"}),
        )
    ]


def _write(o: _Op) -> list[Method]:
    """create and replace: a body of the resource's (or subresource's) kind."""
    name = ["name: str"] if o.op.verb == "replace" or o.op.subresource else []
    params = [*name, f"body: {o.body}", "*", *o.ns, *o.query()]
    returns, answer, uses = o.response, o.response, frozenset[str]()
    if o.op.verb == "create" and o.op.subresource in _STATUS_ANSWERS:
        returns, answer = f"{o.response} | {o.status}", f"OrStatus({o.response}, {o.status})"
        uses = frozenset({"OrStatus"})
    call = o.call(answer, ("body=body",))
    return [Method(f"{o.op.verb}{o.suffix}", o.doc, params, returns, "send", call, uses)]


def _patch(o: _Op) -> list[Method]:
    # kubectl's default where the server has it; custom resources only take merge patches.
    default = "strategic" if "strategic" in o.op.patch_types else "merge"
    body = f"body: {o.response} | dict[str, Any] | Sequence[dict[str, Any]]"
    params = ["name: str", body, "*", *o.ns, f'patch_type: PatchType = "{default}"', *o.query()]
    uses = frozenset({"Any", "PatchType", "Sequence"})
    patch = Method(
        f"patch{o.suffix}",
        o.doc,
        params,
        o.response,
        "send",
        o.call(o.response, ("body=body", "patch_type=patch_type")),
        uses,
    )
    # apply sends the resource's own apiVersion/kind: right for the object and its status,
    # not for subresources of another kind (scale is an autoscaling/v1 Scale).
    if o.op.subresource not in (None, "status"):
        return [patch]
    drop = ("fieldManager", "force")
    args = ["obj", "field_manager=field_manager", "force=force"]
    if o.resource.namespaced:
        args.append("namespace=namespace")
    if o.op.subresource:
        args.append(f'subresource="{o.op.subresource}"')
    pairs = _pairs(o.op.params, drop)
    if pairs:
        args.append(f"params={{{pairs}}}")
    args.append(f"response={o.response}")
    params = [
        f"obj: {o.response} | dict[str, Any]",
        "*",
        "field_manager: str",
        "force: bool = False",
        *o.ns,
        *o.query(drop),
    ]
    doc = docstring(
        "Server-side apply: send only the fields set on ``obj``, owned by ``field_manager``.",
        indent=8,
    )
    apply = Method(
        f"apply{o.suffix}",
        doc,
        params,
        o.response,
        "send",
        f"self._apply_request({', '.join(args)})",
        frozenset({"Any"}),
    )
    return [patch, apply]


def _delete(o: _Op) -> list[Method]:
    """delete answers with the object, delete_collection with the list; either may answer
    with a Status instead."""
    if o.op.verb == "delete":
        name, target, method = ["name: str"], o.model, "delete"
    else:
        name, target, method = [], o.ann(o.resource.list_model or AnyType()), "delete_collection"
    params = [*name, "*", *o.ns, f"body: {o.body} | None = None", *o.query()]
    call = o.call(f"OrStatus({target}, {o.status})", ("body=body",))
    returns = f"{target} | {o.status}"
    return [
        Method(f"{method}{o.suffix}", o.doc, params, returns, "send", call, frozenset({"OrStatus"}))
    ]


_BUILDERS: dict[str, Callable[[_Op], list[Method]]] = {
    "get": _get,
    "list": _list,
    "watch": _watch,
    "create": _write,
    "replace": _write,
    "patch": _patch,
    "delete": _delete,
    "deletecollection": _delete,
}


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
        for method in _BUILDERS[op.verb](_Op(resource, op, ann, has_all)):
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
