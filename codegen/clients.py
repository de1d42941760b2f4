"""The Python surface of a resource client: its operations as methods of the IR.

``resource_methods`` turns the operations of a resource (what the spec lists, with the
Kubernetes rules ``parse`` decided for each: ``takes_name``, ``answers_status``, ``text``,
``follow``, ``apply``) into ``MethodDef``\\ s, each with ONE parameter list. The templates render
that list twice, into the signature and into the request call, for sync and async alike, so
both flavours always have the same methods, arguments and requests, and no argument can be in
a signature without being sent. Nothing here is Python text: types are IR type expressions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .ir import (
    NONE,
    AnyType,
    ConnectCall,
    Default,
    LiteralOf,
    MethodDef,
    MethodParam,
    ModelRef,
    ModuleId,
    NamedType,
    OperationDef,
    Primitive,
    RequestDef,
    ResourceDef,
    TypeExpr,
    UnionOf,
)

__all__ = ["STATUS", "client_class_name", "resource_methods"]

STATUS = ModelRef(ModuleId("meta", "v1"), "Status")
"""The package's own meta/v1 Status, which a delete or an eviction may answer with."""

_STR = Primitive("str")
_BOOL = Primitive("bool")
_MAPPING = NamedType("collections.abc", "Mapping", (_STR, AnyType()))
_JSON_PATCH = NamedType(
    "collections.abc", "Sequence", (NamedType("kubetyped.types", "JsonPatchOperation"),)
)


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


def _optional(t: TypeExpr) -> TypeExpr:
    return UnionOf((t, NONE))


@dataclass
class _Op:
    """One operation seen from the Python side: the parameters every builder shares."""

    resource: ResourceDef
    op: OperationDef
    all_namespaces: bool  # the resource can also be listed across namespaces

    @property
    def suffix(self) -> str:
        return f"_{self.op.subresource}" if self.op.subresource else ""

    @property
    def kind(self) -> str:
        return self.resource.gvk.kind

    @property
    def sub(self) -> str:
        """``" status"`` of a subresource's summary line, or ``""``."""
        return f" {self.op.subresource}" if self.op.subresource else ""

    @property
    def model(self) -> TypeExpr:
        return self.resource.model or AnyType()

    @property
    def response(self) -> TypeExpr:
        return self.op.response or self.model

    @property
    def body(self) -> TypeExpr:
        return self.op.body or AnyType()

    def name(self) -> list[MethodParam]:
        """``name``, where the path names one object: decided by the path, in parse."""
        if not self.op.takes_name:
            return []
        return [
            MethodParam(
                "name",
                "name",
                _STR,
                "path",
                "keyword",
                keyword="name",
                required=True,
                doc=f"Name of the {self.kind}.",
                positional=True,
            )
        ]

    def namespace(self, body: bool = False) -> list[MethodParam]:
        """``namespace``, and ``all_namespaces`` for list and watch across namespaces."""
        if not self.resource.namespaced:
            return []
        default = (
            "the body's ``metadata.namespace``, else the client's namespace"
            if body
            else "the client's namespace"
        )
        params = [
            MethodParam(
                "namespace",
                "namespace",
                _optional(_STR),
                "path",
                "keyword",
                keyword="namespace",
                doc=f"Namespace of the {self.kind}; default: {default}.",
            )
        ]
        listable = self.op.verb in ("list", "watch") and not self.op.subresource
        if self.all_namespaces and listable:
            params.append(
                MethodParam(
                    "all_namespaces",
                    "all_namespaces",
                    _BOOL,
                    "path",
                    "keyword",
                    keyword="all_namespaces",
                    default=False,
                    doc="Every namespace instead of one.",
                )
            )
        return params

    def body_param(self, t: TypeExpr, doc: str, required: bool = True) -> MethodParam:
        return MethodParam(
            "body",
            "body",
            t if required else _optional(t),
            "body",
            "keyword",
            keyword="body",
            required=required,
            doc=doc,
            positional=required,
        )

    def query(self, drop: tuple[str, ...] = ()) -> list[MethodParam]:
        """The keyword parameters of the spec's query parameters, less ``drop``."""
        return [
            MethodParam(
                p.name,
                p.wire_name,
                p.type if p.required else _optional(p.type),
                "query",
                "query",
                required=p.required,
                doc=p.description,
            )
            for p in self.op.params
            if p.wire_name not in drop
        ]

    def request(self, apply: bool = False) -> RequestDef:
        if apply:
            return RequestDef((self.op.method,), self.op.subresource, "_apply_request")
        return RequestDef((self.op.method,), self.op.subresource)

    def send(
        self,
        name: str,
        summary: str,
        params: list[MethodParam],
        response: TypeExpr,
        details: str = "",
    ) -> MethodDef:
        """A method that sends its request and answers with the decoded response."""
        or_status = STATUS if self.op.answers_status else None
        returns = UnionOf((response, or_status)) if or_status else response
        return MethodDef(
            name,
            self.op.verb,
            "send",
            summary,
            params,
            self.request(),
            response,
            returns,
            returns,
            or_status,
            details,
        )


def _get(o: _Op) -> list[MethodDef]:
    if o.op.text and o.op.follow:
        # log() returns the text at once, so `follow` is left out of it rather than offered
        # and blocking until the pod ends; log_lines() streams, with `follow`.
        sub = o.op.subresource or "text"
        whole = o.send(
            sub,
            f"Read the {sub} of a container of the {o.kind} ``name``.",
            [*o.name(), *o.namespace(), *o.query((o.op.follow,))],
            o.response,
        )
        lines = MethodDef(
            f"{sub}_lines",
            o.op.verb,
            "lines",
            f"Stream the {sub} of a container of the {o.kind} ``name``, line by line.",
            [*o.name(), *o.namespace(), *o.query()],
            o.request(),
            o.response,
            NamedType("collections.abc", "Generator", (_STR, NONE, NONE)),
            NamedType("collections.abc", "AsyncGenerator", (_STR, NONE)),
            details="Line endings are stripped and bytes that are not UTF-8 replaced; with "
            f"``{o.op.follow}=True`` the lines come until the container ends.",
        )
        return [whole, lines]
    what = f"the{o.sub} of the {o.kind}" if o.sub else f"the {o.kind}"
    return [
        o.send(
            f"get{o.suffix}",
            f"Read {what} ``name``.",
            [*o.name(), *o.namespace(), *o.query()],
            o.response,
        )
    ]


def _list(o: _Op) -> list[MethodDef]:
    drop = ("continue",)  # list_all follows continue itself
    every = any(p.name == "all_namespaces" for p in o.namespace())
    where = " in a namespace (or in every namespace)" if every else ""
    where = where or (" in a namespace" if o.resource.namespaced else "")
    one_page = o.send(
        f"list{o.suffix}",
        f"List {o.kind} objects, one page at a time.",
        [*o.namespace(), *o.query()],
        o.response,
        details=f"The {o.kind} objects{where}: at most ``limit`` of them; pass the answer's "
        "``metadata.continue_`` as ``continue_`` for the next page.",
    )
    every_page = MethodDef(
        f"list_all{o.suffix}",
        o.op.verb,
        "list_all",
        f"Every {o.kind}, following ``continue`` across pages.",
        [*o.namespace(), *o.query(drop)],
        o.request(),
        o.model,
        NamedType("kubetyped.listwatch", "ListIterator", (o.model,)),
        NamedType("kubetyped.listwatch", "AsyncListIterator", (o.model,)),
        details=f"The {o.kind} objects{where}, ``limit`` per request (500 by default). Once "
        "exhausted, the iterator's ``resource_version`` is the list's, to watch from; an "
        "expired continue token starts the list again from a fresh snapshot.",
    )
    return [one_page, every_page]


def _watch(o: _Op) -> list[MethodDef]:
    resume = MethodParam(
        "resume",
        "resume",
        _BOOL,
        "client",
        "wrapper",
        keyword="resume",
        default=True,
        doc="False for one raw stream: the parameters as given, ``BOOKMARK`` events "
        "yielded, an ``ERROR`` event raised as its ``ApiError`` (``Gone``: list again).",
    )
    return [
        MethodDef(
            f"watch{o.suffix}",
            o.op.verb,
            "watch",
            f"Watch {o.kind} objects: an event each time one changes.",
            [*o.namespace(), *o.query(), resume],
            o.request(),
            o.model,
            NamedType("kubetyped.listwatch", "Watch", (o.model,)),
            NamedType("kubetyped.listwatch", "AsyncWatch", (o.model,)),
            details="``ADDED``, ``MODIFIED`` and ``DELETED`` events, resumed across server "
            "timeouts and dropped connections; after 410 Gone the difference from a fresh "
            "list arrives as events. Without ``resource_version`` every current object comes "
            "first as ``ADDED``.",
        )
    ]


def _write(o: _Op) -> list[MethodDef]:
    """create and replace: a body of the resource's (or subresource's) kind."""
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
    params = [*o.name(), o.body_param(o.body, body), *o.namespace(body=True), *o.query()]
    return [o.send(f"{o.op.verb}{o.suffix}", summary, params, o.response, details)]


_PATCH_TYPE_DOC = {
    "json": '``"json"``: a JSON patch (RFC 6902), a list of operations',
    "merge": '``"merge"``: a JSON merge patch (RFC 7386)',
    "strategic": (
        '``"strategic"``: a strategic merge patch (lists merged by their keys, as kubectl does)'
    ),
}


def _patch(o: _Op) -> list[MethodDef]:
    # kubectl's default where the server has it; custom resources only take merge patches.
    merges = tuple(t for t in ("merge", "strategic") if t in o.op.patch_types) or ("merge",)
    default = merges[-1]
    kinds = (*(("json",) if "json" in o.op.patch_types else ()), *merges)
    drop = ("force",)  # only for apply, which has a method of its own
    response = o.response
    short = response.name if isinstance(response, ModelRef) else "object"

    def patch_type(values: tuple[str, ...], required: bool = False) -> MethodParam:
        return MethodParam(
            "patch_type",
            "Content-Type",
            LiteralOf(values),
            "header",
            "keyword",
            keyword="patch_type",
            required=required,
            default=None if required else default,
            doc="; ".join(_PATCH_TYPE_DOC[t] for t in kinds) + ".",
        )

    body_doc = (
        'The patch: JSON patch operations for ``patch_type="json"``, else a mapping, '
        f"or a {short} holding only the fields to change."
    )
    mapping = UnionOf((response, _MAPPING))
    body = UnionOf((response, _MAPPING, _JSON_PATCH)) if "json" in kinds else mapping

    def signature(body_type: TypeExpr, patch: MethodParam) -> list[MethodParam]:
        return [
            *o.name(),
            o.body_param(body_type, body_doc),
            *o.namespace(),
            patch,
            *o.query(drop),
        ]

    what = f"the{o.sub} of the {o.kind}" if o.sub else f"the {o.kind}"
    patch = o.send(
        f"patch{o.suffix}",
        f"Patch {what} ``name``.",
        signature(body, patch_type(kinds)),
        response,
        details="Only what ``body`` says changes; the answer is the whole object.",
    )
    patch.overloads = [signature(mapping, patch_type(merges))]
    if "json" in kinds:
        patch.overloads.insert(0, signature(_JSON_PATCH, patch_type(("json",), required=True)))
    if not o.op.apply:
        return [patch]
    described = {p.wire_name: p.description for p in o.op.params}
    params = [
        MethodParam(
            "obj",
            "body",
            response,
            "body",
            "positional",
            required=True,
            doc=f"The {o.kind} as this field manager wants it.",
            positional=True,
        ),
        MethodParam(
            "field_manager",
            "fieldManager",
            _STR,
            "query",
            "keyword",
            keyword="field_manager",
            required=True,
            doc="Who owns the applied fields: a name for your program, the same on every apply.",
        ),
        MethodParam(
            "force",
            "force",
            _BOOL,
            "query",
            "keyword",
            keyword="force",
            default=False,
            doc=described.get("force", ""),
        ),
        *o.namespace(body=True),
        *o.query(("fieldManager", "force")),
    ]
    apply = MethodDef(
        f"apply{o.suffix}",
        o.op.verb,
        "send",
        f"Server-side apply of {'the status of ' if o.sub else ''}``obj``, as ``field_manager``.",
        params,
        o.request(apply=True),
        response,
        response,
        response,
        details="Only the fields set on ``obj`` are sent, and owned by ``field_manager``; "
        "``obj.metadata.name`` names the object.",
    )
    return [patch, apply]


def _delete(o: _Op) -> list[MethodDef]:
    """delete answers with the object, delete_collection with the list; either may answer
    with a Status instead (``answers_status``, decided in parse)."""
    if o.op.takes_name:
        target, method = o.model, "delete"
        summary = f"Delete the {o.kind} ``name``."
        details = "Answers with the object while finalizers keep it, else with a ``Status``."
    else:
        target, method = o.resource.list_model or AnyType(), "delete_collection"
        where = " in a namespace" if o.resource.namespaced else ""
        summary = f"Delete every {o.kind}{where} that the selectors match."
        details = "Answers with the deleted objects' list, or with a ``Status``."
    body = o.body_param(
        o.body,
        "Delete options; the keyword arguments below set the same, more simply.",
        required=False,
    )
    params = [*o.name(), *o.namespace(), body, *o.query()]
    return [o.send(f"{method}{o.suffix}", summary, params, target, details)]


_CONNECT = "kubetyped.connect"
_BYTES = Primitive("bytes")
_SEQUENCE_STR = NamedType("collections.abc", "Sequence", (_STR,))
_EXEC_RESULT = NamedType(_CONNECT, "ExecResult")
_SESSION = NamedType(_CONNECT, "ExecSession")
_ASYNC_SESSION = NamedType(_CONNECT, "AsyncExecSession")
# The connect subresources the runtime speaks, of the core group's resources (their paths
# are fixed): exec and attach (the channel protocol), portforward, proxy.
_CONNECT_RESOURCES = {
    "pods": {"exec", "attach", "portforward", "proxy"},
    "services": {"proxy"},
    "nodes": {"proxy"},
}


def _keyword(
    name: str, t: TypeExpr, doc: str, default: Default = None, *, required: bool = False
) -> MethodParam:
    """A connect method's parameter, passed to the runtime call by its own name; a required
    one comes before the ``*`` of the signature."""
    return MethodParam(
        name,
        name,
        t,
        "query",
        "keyword",
        keyword=name,
        required=required,
        default=default,
        doc=doc,
        positional=required,
    )


def _streams(kind: str) -> list[MethodParam]:
    return [
        _keyword(
            "container",
            _optional(_STR),
            f"The container to {kind}; needed when the pod has several.",
        ),
        _keyword("stdin", _BOOL, "Open stdin, for ``write`` and ``close_stdin``.", False),
        _keyword("stdout", _BOOL, "Stream stdout.", True),
        _keyword("stderr", _BOOL, "Stream stderr (merged into stdout with ``tty``).", True),
        _keyword("tty", _BOOL, "A terminal (``resize`` sets its size).", False),
    ]


def _connect(resource: ResourceDef, ops: list[OperationDef]) -> list[MethodDef]:
    """exec, attach, port-forward and proxy of one object, where the spec serves ``connect``
    for them and the runtime speaks their protocol (the core group's pods, services and
    nodes): the simple and the streaming exec, attach, ``port_forward`` (a listener) and
    ``proxy`` (one HTTP request, every method the spec lists). Others: the spec's operation
    as it is, in the IR only (``connect`` None: not rendered)."""
    first = ops[0]
    sub = first.subresource or ""
    core = not resource.gvk.group and resource.gvk.version == "v1"
    if not core or sub not in _CONNECT_RESOURCES.get(resource.plural, set()):
        return [_connect_generic(resource, ops)]
    o = _Op(resource, first, False)
    name = o.name()  # positional and required
    where = [*name, *o.namespace()]
    request = RequestDef(
        tuple(sorted({op.method for op in ops}, key=lambda m: (m != "GET", m))), sub
    )
    kind = resource.gvk.kind

    def method(
        method_name: str,
        summary: str,
        params: list[MethodParam],
        returns: TypeExpr,
        async_returns: TypeExpr,
        call: ConnectCall,
        details: str = "",
    ) -> MethodDef:
        return MethodDef(
            method_name,
            "connect",
            "connect",
            summary,
            params,
            request,
            returns,
            returns,
            async_returns,
            details=details,
            connect=call,
        )

    def call(function: str, async_function: str, *fixed: str, awaited: bool = True) -> ConnectCall:
        return ConnectCall(
            NamedType(_CONNECT, function), NamedType(_CONNECT, async_function), awaited, fixed
        )

    command = _keyword(
        "command",
        _SEQUENCE_STR,
        "The program and its arguments (no shell unless you run one).",
        required=True,
    )
    if sub == "exec":
        simple = [
            *name,
            command,
            *o.namespace(),
            _keyword(
                "container",
                _optional(_STR),
                "The container to run it in; needed when the pod has several.",
            ),
            _keyword(
                "stdin",
                UnionOf((_BYTES, _STR, NONE)),
                "Input for the command; its stdin is closed after it.",
            ),
            _keyword(
                "tty", _BOOL, "Run it with a terminal (stderr then arrives in stdout).", False
            ),
            _keyword("check", _BOOL, "Raise ``NonZeroExit`` for a non-zero exit code.", False),
            _keyword("timeout", _optional(Primitive("float")), "Seconds the whole call may take."),
        ]
        return [
            method(
                "exec",
                f"Run ``command`` in a container of the {kind} ``name``; its output and exit code.",
                simple,
                _EXEC_RESULT,
                _EXEC_RESULT,
                call("pod_exec", "pod_exec_async"),
                "A non-zero exit is a result (``exit_code``), or ``NonZeroExit`` with ``check``; "
                "a command that cannot run raises ``ExecError``. Over ``v5.channel.k8s.io``, "
                "else ``v4.channel.k8s.io``.",
            ),
            method(
                "exec_stream",
                f"Start ``command`` in a container of the {kind} ``name``; its streams.",
                [*name, command, *o.namespace(), *_streams("run it in")],
                _SESSION,
                _ASYNC_SESSION,
                call("pod_exec_stream", "pod_exec_stream_async"),
                "Write to stdin, close it, resize the terminal, read stdout and stderr as they "
                "come, ``wait()`` for the exit code; close the session when done.",
            ),
        ]
    if sub == "attach":
        return [
            method(
                "attach",
                f"Attach to the main process of a container of the {kind} ``name``.",
                [*where, *_streams("attach to")],
                _SESSION,
                _ASYNC_SESSION,
                call("pod_attach", "pod_attach_async"),
                "The session of ``exec_stream``; closing stdin (or the session) detaches.",
            )
        ]
    if sub == "portforward":
        ports = _keyword(
            "ports",
            UnionOf(
                (
                    Primitive("int"),
                    NamedType("collections.abc", "Sequence", (Primitive("int"),)),
                    NamedType("collections.abc", "Mapping", (Primitive("int"), Primitive("int"))),
                )
            ),
            "A port of the pod, several, or ``{pod_port: local_port}`` (0: any free one).",
            required=True,
        )
        return [
            method(
                "port_forward",
                f"Forward local ports to ports of the {kind} ``name``.",
                [
                    *name,
                    ports,
                    *o.namespace(),
                    _keyword("address", _STR, "The local address to listen on.", "127.0.0.1"),
                    _keyword(
                        "protocol",
                        NamedType(_CONNECT, "PortForwardProtocol"),
                        "``auto`` (SPDY in WebSocket where the server has it, else WebSocket), ``spdy`` or ``websocket``.",
                        "auto",
                    ),
                ],
                NamedType(_CONNECT, "PortForwarder"),
                NamedType(_CONNECT, "AsyncPortForwarder"),
                call("PortForwarder", "AsyncPortForwarder", awaited=False),
                "Use it with ``with`` (``async with``): ``local_ports`` maps each pod port to "
                "its local one, ``errors`` lists the connections that failed.",
            )
        ]
    path = MethodParam(
        "path",
        "path",
        _STR,
        "query",
        "keyword",
        keyword="path",
        default="",
        doc=f"The path on the {kind} (``/healthz``).",
        positional=True,
    )
    return [
        method(
            "proxy",
            f"Send an HTTP request to the {kind} ``name`` through the API server's proxy.",
            [
                *name,
                path,
                *o.namespace(),
                _keyword(
                    "port",
                    UnionOf((Primitive("int"), _STR, NONE)),
                    "The target port (a number, or a port's name).",
                ),
                _keyword(
                    "scheme",
                    _optional(LiteralOf(("http", "https"))),
                    "``http`` (default) or ``https`` to the target.",
                ),
                _keyword("method", LiteralOf(request.methods), "The HTTP method.", "GET"),
                _keyword(
                    "params",
                    _optional(
                        NamedType(
                            "collections.abc",
                            "Mapping",
                            (_STR, NamedType("kubetyped.request", "ParamValue")),
                        )
                    ),
                    "Query parameters for the target.",
                ),
                _keyword("content", UnionOf((_BYTES, _STR, NONE)), "The request body."),
                _keyword(
                    "headers",
                    _optional(NamedType("collections.abc", "Mapping", (_STR, _STR))),
                    "Extra request headers.",
                ),
            ],
            NamedType("httpx", "Response"),
            NamedType("httpx", "Response"),
            call("proxy_request", "proxy_request_async", resource.plural),
            "The target's answer whatever its status; the API server's own errors (no such "
            "object, forbidden, unreachable) raise the matching ``ApiError``.",
        )
    ]


def _connect_generic(resource: ResourceDef, ops: list[OperationDef]) -> MethodDef:
    """exec, attach, portforward or proxy of one object: the HTTP methods and parameters of
    every path the spec lists for it (``/proxy`` and ``/proxy/{path}`` are one method with an
    optional ``path``), as the spec gives them. Carried in the IR but not rendered: the
    runtime does not speak the protocol of a connect subresource it does not know."""
    first = ops[0]
    o = _Op(resource, first, False)
    sub = first.subresource or "connect"
    params = [*o.name(), *o.namespace()]
    if any("path" in op.path_params for op in ops):
        params.append(
            MethodParam(
                "path",
                "path",
                _optional(_STR),
                "path",
                "keyword",
                keyword="path",
                doc="The path to proxy to, after the object's URL.",
            )
        )
    taken = {p.name for p in params}
    for op in ops:
        for q in _Op(resource, op, False).query():
            if q.name not in taken:  # the deprecated ?path= of proxy: the path says it
                taken.add(q.name)
                params.append(q)
    methods = sorted({op.method for op in ops}, key=lambda m: (m != "GET", m))
    response = first.response or _STR
    return MethodDef(
        "port_forward" if sub == "portforward" else sub,
        "connect",
        "connect",
        f"Connect to the {sub} of the {resource.gvk.kind} ``name``.",
        params,
        RequestDef(tuple(methods), first.subresource),
        response,
        response,
        response,
    )


_BUILDERS: dict[str, Callable[[_Op], list[MethodDef]]] = {
    "get": _get,
    "list": _list,
    "watch": _watch,
    "create": _write,
    "replace": _write,
    "patch": _patch,
    "delete": _delete,
    "deletecollection": _delete,
}


def resource_methods(resource: ResourceDef) -> list[MethodDef]:
    """The methods of a resource's client, sorted by name; the first operation to give a
    name wins (a resource listed at two scopes has one ``list``)."""
    has_all = any(op.scope == "all-namespaces" for op in resource.operations)
    namespaced_ops = {
        (op.verb, op.subresource) for op in resource.operations if op.scope == "namespaced"
    }
    methods: dict[str, MethodDef] = {}
    connects: dict[str | None, list[OperationDef]] = {}
    for op in resource.operations:
        if op.scope == "all-namespaces" and (op.verb, op.subresource) in namespaced_ops:
            continue  # the namespaced method covers it with all_namespaces=True
        if op.verb == "connect":
            connects.setdefault(op.subresource, []).append(op)
            continue
        for method in _BUILDERS[op.verb](_Op(resource, op, has_all)):
            methods.setdefault(method.name, method)
    for ops in connects.values():
        for method in _connect(resource, ops):
            methods.setdefault(method.name, method)
    return [methods[name] for name in sorted(methods)]
