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
    overloads: list[list[str]] = field(default_factory=list)  # parameters of @overload stubs


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
    def kind(self) -> str:
        return self.resource.gvk.kind

    @property
    def sub(self) -> str:
        """``" status"`` of a subresource's summary line, or ``""``."""
        return f" {self.op.subresource}" if self.op.subresource else ""

    def doc(
        self,
        summary: str,
        args: list[tuple[str, str]],
        drop: tuple[str, ...] = (),
        details: str = "",
        after: tuple[tuple[str, str], ...] = (),
    ) -> str:
        """The method's docstring: the one-line ``summary``, ``details``, then ``Args:`` for
        ``args`` (the parameters before the query parameters, with their text), the query
        parameters less ``drop`` (with the spec's descriptions), and ``after``."""
        query = [(p.name, p.description) for p in self.op.params if p.wire_name not in drop]
        return method_docstring(summary, [*args, *query, *after], details)

    def doc_ns(self, body: bool = False) -> list[tuple[str, str]]:
        """The Args entries of ``namespace`` and ``all_namespaces``, where the method has them."""
        if not self.resource.namespaced:
            return []
        default = (
            "the body's ``metadata.namespace``, else the client's namespace"
            if body
            else "the client's namespace"
        )
        args = [("namespace", f"Namespace of the {self.kind}; default: {default}.")]
        if self.every:
            args.append(("all_namespaces", "Every namespace instead of one."))
        return args

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


def method_docstring(
    summary: str, args: list[tuple[str, str]], details: str = "", indent: int = 8
) -> str:
    """A Google-style docstring: the summary line, the details, then each argument with the
    first paragraph of its description (hover text in editors)."""
    lines = [summary, *(["", details] if details else [])]
    if args:
        lines += ["", "Args:"]
        for name, text in args:
            first = " ".join((text.strip().split("\n\n")[0]).split())
            first = first[:1].upper() + first[1:] if first else "(not described by the API)"
            lines.append(f"    {name}: {first}")
    return docstring("\n".join(lines), indent=indent, hanging=True)


def _param(p: ParamDef, ann: Callable[[TypeExpr], str]) -> str:
    if p.required:
        return f"{p.name}: {ann(p.type)}"
    return f"{p.name}: {ann(p.type)} | None = None"


def _pairs(params: list[ParamDef], drop: tuple[str, ...]) -> str:
    return ", ".join(f'"{p.wire_name}": {p.name}' for p in params if p.wire_name not in drop)


def _name_arg(o: _Op) -> tuple[str, str]:
    return ("name", f"Name of the {o.kind}.")


def _get(o: _Op) -> list[Method]:
    if o.op.subresource == "log":
        # log() returns the text at once, so `follow` is left out of it rather than offered
        # and blocking until the pod ends; log_lines() streams, with `follow`.
        drop = ("follow",)
        params = ["name: str", "*", *o.ns, *o.query(drop)]
        args = [_name_arg(o), *o.doc_ns()]
        whole = o.doc(f"Read the log of a container of the {o.kind} ``name``.", args, drop)
        lines = o.doc(
            f"Stream the log of a container of the {o.kind} ``name``, line by line.",
            args,
            details="Line endings are stripped and bytes that are not UTF-8 replaced; with "
            "``follow=True`` the lines come until the container ends.",
        )
        return [
            Method("log", whole, params, "str", "send", o.call("str", drop=drop)),
            Method(
                "log_lines",
                lines,
                ["name: str", "*", *o.ns, *o.query()],
                "str",
                "lines",
                o.call("str"),
            ),
        ]
    params = ["name: str", "*", *o.ns, *o.query()]
    what = f"the{o.sub} of the {o.kind}" if o.sub else f"the {o.kind}"
    doc = o.doc(f"Read {what} ``name``.", [_name_arg(o), *o.doc_ns()])
    return [Method(f"get{o.suffix}", doc, params, o.response, "send", o.call(o.response))]


def _list(o: _Op) -> list[Method]:
    drop = ("continue",)  # list_all follows continue itself
    where = " in a namespace (or in every namespace)" if o.every else ""
    where = where or (" in a namespace" if o.resource.namespaced else "")
    one_page = o.doc(
        f"List {o.kind} objects, one page at a time.",
        o.doc_ns(),
        details=f"The {o.kind} objects{where}: at most ``limit`` of them; pass the answer's "
        "``metadata.continue_`` as ``continue_`` for the next page.",
    )
    every_page = o.doc(
        f"Every {o.kind}, following ``continue`` across pages.",
        o.doc_ns(),
        drop,
        details=f"The {o.kind} objects{where}, ``limit`` per request (500 by default). Once "
        "exhausted, the iterator's ``resource_version`` is the list's, to watch from; an "
        "expired continue token starts the list again from a fresh snapshot.",
    )
    return [
        Method(
            f"list{o.suffix}",
            one_page,
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
            frozenset({"ListIterator", "AsyncListIterator"}),
        ),
    ]


def _watch(o: _Op) -> list[Method]:
    params = ["*", *o.ns, *o.every, *o.query(), "resume: bool = True"]
    doc = o.doc(
        f"Watch {o.kind} objects: an event each time one changes.",
        o.doc_ns(),
        details="``ADDED``, ``MODIFIED`` and ``DELETED`` events, resumed across server "
        "timeouts and dropped connections; after 410 Gone the difference from a fresh list "
        "arrives as events. Without ``resource_version`` every current object comes first "
        "as ``ADDED``.",
        after=(
            (
                "resume",
                "False for one raw stream: the parameters as given, ``BOOKMARK`` events "
                "yielded, an ``ERROR`` event raised as its ``ApiError`` (``Gone``: list again).",
            ),
        ),
    )
    return [
        Method(
            f"watch{o.suffix}",
            doc,
            params,
            o.model,
            "watch",
            o.call(o.model),
            frozenset({"Watch", "AsyncWatch"}),
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
    details = ""
    if o.op.verb == "create" and not o.sub:
        summary, body = f"Create a {o.kind}.", f"The {o.kind} to create."
    elif o.op.verb == "create":
        summary = f"Create the{o.sub} of the {o.kind} ``name``."
        body = f"The{o.sub} to create."
    elif not o.sub:
        summary = f"Replace the {o.kind} ``name`` with ``body``."
        body = f"The whole {o.kind} to store."
        details = (
            "Its ``metadata.resource_version``, if set, guards against overwriting a change "
            "made since it was read (``Conflict``)."
        )
    else:
        summary = f"Replace the{o.sub} of the {o.kind} ``name``."
        body = f"The object holding the new{o.sub}."
    args = [*([_name_arg(o)] if name else []), ("body", body), *o.doc_ns(body=True)]
    doc = o.doc(summary, args, details=details)
    return [Method(f"{o.op.verb}{o.suffix}", doc, params, returns, "send", call, uses)]


_PATCH_TYPE_DOC = {
    "json": '``"json"``: a JSON patch (RFC 6902), a list of operations',
    "merge": '``"merge"``: a JSON merge patch (RFC 7386)',
    "strategic": (
        '``"strategic"``: a strategic merge patch (lists merged by their keys, as kubectl does)'
    ),
}


def _patch(o: _Op) -> list[Method]:
    # kubectl's default where the server has it; custom resources only take merge patches.
    merges = [t for t in ("merge", "strategic") if t in o.op.patch_types] or ["merge"]
    default = merges[-1]
    kinds = [*(["json"] if "json" in o.op.patch_types else []), *merges]
    drop: tuple[str, ...] = ("force",)  # only for apply, which has a method of its own
    head = ["name: str"]
    tail = ["*", *o.ns]
    query = o.query(drop)
    merge_literal = ", ".join(f'"{t}"' for t in merges)
    mapping = f"body: {o.response} | Mapping[str, Any]"
    overloads = [[*head, mapping, *tail, f'patch_type: Literal[{merge_literal}] = "{default}"']]
    body = mapping
    if "json" in kinds:
        json_patch = "body: Sequence[JsonPatchOperation]"
        overloads.insert(0, [*head, json_patch, *tail, 'patch_type: Literal["json"]'])
        body = f"{mapping} | Sequence[JsonPatchOperation]"
    for stub in overloads:
        stub.extend(query)
    all_literal = ", ".join(f'"{t}"' for t in kinds)
    params = [*head, body, *tail, f'patch_type: Literal[{all_literal}] = "{default}"', *query]
    what = f"the{o.sub} of the {o.kind}" if o.sub else f"the {o.kind}"
    doc = o.doc(
        f"Patch {what} ``name``.",
        [
            _name_arg(o),
            (
                "body",
                'The patch: JSON patch operations for ``patch_type="json"``, else a mapping, '
                f"or a {o.response.rpartition('.')[2]} holding only the fields to change.",
            ),
            *o.doc_ns(),
            ("patch_type", "; ".join(_PATCH_TYPE_DOC[t] for t in kinds) + "."),
        ],
        drop,
        details="Only what ``body`` says changes; the answer is the whole object.",
    )
    uses = frozenset({"Any", "Literal", "Mapping", "overload"})
    if "json" in kinds:
        uses |= {"JsonPatchOperation", "Sequence"}
    patch = Method(
        f"patch{o.suffix}",
        doc,
        params,
        o.response,
        "send",
        o.call(o.response, ("body=body", "patch_type=patch_type"), drop),
        uses,
        overloads,
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
        f"obj: {o.response}",
        "*",
        "field_manager: str",
        "force: bool = False",
        *o.ns,
        *o.query(drop),
    ]
    described = {p.wire_name: p.description for p in o.op.params}
    doc = o.doc(
        f"Server-side apply of {'the status of ' if o.sub else ''}``obj``, as ``field_manager``.",
        [
            ("obj", f"The {o.kind} as this field manager wants it."),
            (
                "field_manager",
                "Who owns the applied fields: a name for your program, the same on every apply.",
            ),
            ("force", described.get("force", "")),
            *o.doc_ns(body=True),
        ],
        drop,
        details="Only the fields set on ``obj`` are sent, and owned by ``field_manager``; "
        "``obj.metadata.name`` names the object.",
    )
    apply = Method(
        f"apply{o.suffix}",
        doc,
        params,
        o.response,
        "send",
        f"self._apply_request({', '.join(args)})",
    )
    return [patch, apply]


def _delete(o: _Op) -> list[Method]:
    """delete answers with the object, delete_collection with the list; either may answer
    with a Status instead."""
    if o.op.verb == "delete":
        name, target, method = ["name: str"], o.model, "delete"
        summary = f"Delete the {o.kind} ``name``."
    else:
        name, target, method = [], o.ann(o.resource.list_model or AnyType()), "delete_collection"
        where = " in a namespace" if o.resource.namespaced else ""
        summary = f"Delete every {o.kind}{where} that the selectors match."
    details = (
        "Answers with the object while finalizers keep it, else with a ``Status``."
        if method == "delete"
        else "Answers with the deleted objects' list, or with a ``Status``."
    )
    params = [*name, "*", *o.ns, f"body: {o.body} | None = None", *o.query()]
    call = o.call(f"OrStatus({target}, {o.status})", ("body=body",))
    returns = f"{target} | {o.status}"
    args = [
        *([_name_arg(o)] if name else []),
        *o.doc_ns(),
        ("body", "Delete options; the keyword arguments below set the same, more simply."),
    ]
    doc = o.doc(summary, args, details=details)
    return [
        Method(f"{method}{o.suffix}", doc, params, returns, "send", call, frozenset({"OrStatus"}))
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
