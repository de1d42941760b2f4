"""Run commands in containers and attach to them: ``pods/exec`` and ``pods/attach``.

::

    from kubetyped import Client
    from kubetyped import exec as kexec

    with Client() as client:
        result = kexec.run(client, "web-0", ["sh", "-c", "echo hi; exit 3"], namespace="prod")
        result.stdout, result.exit_code            # (b"hi\\n", 3)
        kexec.run(client, "web-0", ["cat"], stdin=b"data").stdout   # b"data"
        with kexec.start(client, "web-0", ["sh"], stdin=True, tty=True) as session:
            session.resize(100, 40)
            session.write(b"stty size; exit\\n")
            for output in session:                 # Output(stream="stdout", data=b"...")
                ...
        session.exit_code

The wire is the Kubernetes channel protocol over a WebSocket (:mod:`kubetyped.websocket`):
``v5.channel.k8s.io`` (stdin half-close) where the server has it, else ``v4.channel.k8s.io``;
each binary message starts with its channel (0 stdin, 1 stdout, 2 stderr, 3 status,
4 resize, 255 close). The exit code comes from the final ``Status`` on channel 3
(``reason: NonZeroExitCode``, the code in ``details.causes[reason=ExitCode]``), never from
its message.

Errors: before the upgrade the ``ApiError`` of the HTTP answer (``NotFound`` for a missing
pod, ``BadRequest`` for a missing container or a container not given in a pod of several,
``Forbidden`` without ``create`` on ``pods/exec``); after it :class:`ExecError` with the
server's ``Status`` (a command that cannot be started, a kubelet that cannot be reached);
:class:`NonZeroExit` for a non-zero exit code when ``check=True``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, NamedTuple

from .errors import ApiError, InvalidRequest
from .status import Status
from .transport import deadline
from .websocket import AsyncWebSocket, WebSocket, connect, connect_async

if TYPE_CHECKING:
    from .client import AsyncClient, Client

__all__ = [
    "CHANNEL_PROTOCOLS",
    "AsyncExecSession",
    "ExecError",
    "ExecResult",
    "ExecSession",
    "NonZeroExit",
    "Output",
    "attach",
    "attach_async",
    "pod_subresource_path",
    "run",
    "run_async",
    "start",
    "start_async",
]

V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
CHANNEL_PROTOCOLS = (V5, V4)
"""Offered in this order: the server picks the first it speaks."""

_STDIN, _STDOUT, _STDERR, _ERROR, _RESIZE, _CLOSE = 0, 1, 2, 3, 4, 255
_NAMES: dict[int, Literal["stdout", "stderr"]] = {_STDOUT: "stdout", _STDERR: "stderr"}


class ExecError(ApiError):
    """Raised when the command could not run, or the stream failed, after the upgrade: the
    ``status`` is the one the server sent on the error channel (``InternalError`` for a
    command that cannot be started, a kubelet that cannot be reached, ...)."""


class NonZeroExit(ExecError):
    """Raised by ``run(..., check=True)`` and :meth:`ExecResult.check` when the command
    exited with a non-zero code: ``exit_code``, and the ``result`` with its output."""

    def __init__(self, status: Status, result: ExecResult, *, url: str = "") -> None:
        self.exit_code = result.exit_code
        self.result = result
        super().__init__(status, method="GET", url=url)


class Output(NamedTuple):
    """A chunk of the command's output, as it arrived."""

    stream: Literal["stdout", "stderr"]
    data: bytes


@dataclass(frozen=True)
class ExecResult:
    """What a finished command gave: its output and exit code (0 for success)."""

    stdout: bytes
    stderr: bytes
    exit_code: int
    status: Status = field(repr=False)
    """The final ``Status`` the server sent."""

    def check(self) -> ExecResult:
        """Return self, or raise :class:`NonZeroExit` if the exit code is not 0."""
        if self.exit_code != 0:
            raise NonZeroExit(self.status, self)
        return self


def pod_subresource_path(namespace: str, name: str, subresource: str) -> str:
    """``/api/v1/namespaces/{namespace}/pods/{name}/{subresource}``, names checked."""
    from urllib.parse import quote

    for what, value in (("namespace", namespace), ("name", name)):
        if not value or value in (".", "..") or "/" in value or "%" in value:
            raise InvalidRequest(f"invalid {what} {value!r}")
    return (
        f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(name, safe='')}/{subresource}"
    )


def _params(
    command: Sequence[str] | None,
    container: str | None,
    stdin: bool,
    stdout: bool,
    stderr: bool,
    tty: bool,
) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    if command is not None:
        if isinstance(command, str):
            raise TypeError("command is a list of arguments, e.g. ['sh', '-c', 'echo hi']")
        if not command:
            raise InvalidRequest("command must not be empty")
        params += [("command", arg) for arg in command]
    if container is not None:
        params.append(("container", container))
    for key, value in (("stdin", stdin), ("stdout", stdout), ("stderr", stderr), ("tty", tty)):
        if value:
            params.append((key, "true"))
    if not (stdin or stdout or stderr):
        raise InvalidRequest("at least one of stdin, stdout and stderr must be requested")
    return params


class _Channels:
    """The channel protocol, without I/O: what to send, and what a message means."""

    def __init__(self, subprotocol: str, url: str) -> None:
        self.subprotocol = subprotocol
        self.url = url
        self.status: Status | None = None
        self.stdin_closed = False

    def stdin(self, data: bytes | str) -> bytes:
        if self.stdin_closed:
            raise InvalidRequest("stdin is closed")
        return bytes([_STDIN]) + (data.encode() if isinstance(data, str) else bytes(data))

    def close_stdin(self) -> bytes:
        if self.subprotocol != V5:
            raise InvalidRequest(
                f"the server speaks {self.subprotocol}, which cannot close stdin alone "
                f"({V5} can); close the whole session instead"
            )
        self.stdin_closed = True
        return bytes([_CLOSE, _STDIN])

    @staticmethod
    def resize(width: int, height: int) -> bytes:
        if not (0 < width < 65536 and 0 < height < 65536):
            raise ValueError(f"terminal size {width}x{height} out of range")
        return bytes([_RESIZE]) + json.dumps({"Width": width, "Height": height}).encode()

    def take(self, message: bytes) -> Output | None:
        """The output a message carries (None for empty frames and the status)."""
        if not message:
            return None
        channel, data = message[0], message[1:]
        if channel == _ERROR:
            self.status = self._parse_status(data)
            return None
        name = _NAMES.get(channel)
        if name is None or not data:
            return None  # the server's empty hello frame, or a channel we did not ask for
        return Output(name, data)

    def _parse_status(self, data: bytes) -> Status:
        try:
            status = Status.model_validate_json(data)
        except ValueError:
            # v1-v3 servers send the error text itself.
            text = data.decode("utf-8", "replace")
            status = Status(status="Failure", reason="InternalError", code=500, message=text)
        return status

    def exit_code(self) -> int:
        """0, or the code of a NonZeroExitCode status; raise ExecError for other failures."""
        status = self.status
        if status is None:
            raise ExecError(
                Status(
                    status="Failure",
                    reason="InternalError",
                    message="the stream ended without a status from the server",
                ),
                method="GET",
                url=self.url,
            )
        if status.status == "Success":
            return 0
        if status.reason == "NonZeroExitCode":
            for cause in status.details.causes if status.details else []:
                if cause.reason == "ExitCode" and cause.message and cause.message.isdigit():
                    return int(cause.message)
        if not status.code:
            status = status.model_copy(update={"code": 500})
        raise ExecError(status, method="GET", url=self.url)


def _success() -> Status:
    return Status(status="Success")


class ExecSession:
    """A running command (or an attachment) with its streams (sync).

    ``write`` / ``close_stdin`` / ``resize`` may be called from another thread than the one
    reading; iterate (or ``read()``) for output; ``wait()`` for the exit code. Closing the
    session ends the connection (the command may go on running in the container, as with a
    real kubelet, until its stdin or terminal closes).
    """

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws
        self._channels = _Channels(ws.subprotocol, ws.url)
        self._ended = False

    @property
    def protocol(self) -> str:
        """The channel protocol the server chose (``v5.channel.k8s.io`` or ``v4...``)."""
        return self._ws.subprotocol

    @property
    def status(self) -> Status | None:
        """The final ``Status`` (None until the command ended)."""
        return self._channels.status

    @property
    def exit_code(self) -> int | None:
        """The exit code once the command ended (None before); raises ExecError if it failed
        to run."""
        return self._channels.exit_code() if self._ended else None

    def write(self, data: bytes | str) -> None:
        """Send ``data`` to the command's stdin (str as UTF-8)."""
        self._ws.send(self._channels.stdin(data))

    def close_stdin(self) -> None:
        """Close the command's stdin (end of input: ``cat`` ends). Needs v5."""
        self._ws.send(self._channels.close_stdin())

    def resize(self, width: int, height: int) -> None:
        """Set the terminal size (columns, rows), for sessions started with ``tty=True``."""
        self._ws.send(self._channels.resize(width, height))

    def read(self) -> Output | None:
        """The next chunk of output; None once the command ended."""
        while not self._ended:
            message = self._ws.receive()
            if message is None:
                self._ended = True
                break
            output = self._channels.take(message)
            if output is not None:
                return output
        return None

    def __iter__(self) -> Iterator[Output]:
        while (output := self.read()) is not None:
            yield output

    def wait(self) -> ExecResult:
        """Read to the end; the output not read yet and the exit code. Raises ExecError if
        the command could not run."""
        out: list[bytes] = []
        err: list[bytes] = []
        for stream, data in self:
            (out if stream == "stdout" else err).append(data)
        code = self._channels.exit_code()
        status = self._channels.status or _success()
        return ExecResult(b"".join(out), b"".join(err), code, status)

    def close(self) -> None:
        """End the connection."""
        self._ws.close()

    def __enter__(self) -> ExecSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ExecSession(url={self._ws.url!r}, protocol={self.protocol!r})"


class AsyncExecSession:
    """The asyncio (or trio) twin of :class:`ExecSession`."""

    def __init__(self, ws: AsyncWebSocket) -> None:
        self._ws = ws
        self._channels = _Channels(ws.subprotocol, ws.url)
        self._ended = False

    @property
    def protocol(self) -> str:
        """The channel protocol the server chose."""
        return self._ws.subprotocol

    @property
    def status(self) -> Status | None:
        """The final ``Status`` (None until the command ended)."""
        return self._channels.status

    @property
    def exit_code(self) -> int | None:
        """The exit code once the command ended (None before)."""
        return self._channels.exit_code() if self._ended else None

    async def write(self, data: bytes | str) -> None:
        """Send ``data`` to the command's stdin."""
        await self._ws.send(self._channels.stdin(data))

    async def close_stdin(self) -> None:
        """Close the command's stdin. Needs v5."""
        await self._ws.send(self._channels.close_stdin())

    async def resize(self, width: int, height: int) -> None:
        """Set the terminal size (columns, rows)."""
        await self._ws.send(self._channels.resize(width, height))

    async def read(self) -> Output | None:
        """The next chunk of output; None once the command ended."""
        while not self._ended:
            message = await self._ws.receive()
            if message is None:
                self._ended = True
                break
            output = self._channels.take(message)
            if output is not None:
                return output
        return None

    async def __aiter__(self) -> AsyncIterator[Output]:
        while (output := await self.read()) is not None:
            yield output

    async def wait(self) -> ExecResult:
        """Read to the end; the output not read yet and the exit code."""
        out: list[bytes] = []
        err: list[bytes] = []
        while (output := await self.read()) is not None:
            (out if output.stream == "stdout" else err).append(output.data)
        code = self._channels.exit_code()
        status = self._channels.status or _success()
        return ExecResult(b"".join(out), b"".join(err), code, status)

    async def aclose(self) -> None:
        """End the connection."""
        await self._ws.aclose()

    async def __aenter__(self) -> AsyncExecSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncExecSession(url={self._ws.url!r}, protocol={self.protocol!r})"


def _exec_target(
    client: Client | AsyncClient,
    name: str,
    command: Sequence[str] | None,
    namespace: str | None,
    container: str | None,
    stdin: bool,
    stdout: bool,
    stderr: bool,
    tty: bool,
) -> tuple[str, list[tuple[str, str]]]:
    subresource = "exec" if command is not None else "attach"
    path = pod_subresource_path(namespace or client.namespace, name, subresource)
    # With a terminal the server merges stderr into stdout and drops the stderr stream.
    return path, _params(command, container, stdin, stdout, stderr and not tty, tty)


def start(
    client: Client,
    name: str,
    command: Sequence[str],
    *,
    namespace: str | None = None,
    container: str | None = None,
    stdin: bool = False,
    stdout: bool = True,
    stderr: bool = True,
    tty: bool = False,
    protocols: Sequence[str] = CHANNEL_PROTOCOLS,
) -> ExecSession:
    """Start ``command`` in a container of pod ``name`` and return its session.

    Args:
        client: the cluster to talk to.
        name: the pod's name.
        command: the program and its arguments (no shell unless you run one).
        namespace: the pod's namespace (default: the client's).
        container: the container (needed when the pod has several).
        stdin: open the command's stdin for ``write`` / ``close_stdin``.
        stdout: stream its stdout.
        stderr: stream its stderr (merged into stdout when ``tty``).
        tty: give it a terminal (``resize`` sets its size).
        protocols: the channel protocols to offer, preferred first (default: v5, then v4).
    """
    path, params = _exec_target(
        client, name, command, namespace, container, stdin, stdout, stderr, tty
    )
    return ExecSession(connect(client, path, params, protocols))


def attach(
    client: Client,
    name: str,
    *,
    namespace: str | None = None,
    container: str | None = None,
    stdin: bool = False,
    stdout: bool = True,
    stderr: bool = True,
    tty: bool = False,
    protocols: Sequence[str] = CHANNEL_PROTOCOLS,
) -> ExecSession:
    """Attach to the main process of a running container of pod ``name``.

    The same session as :func:`start`; closing stdin (or the session) detaches, and the
    process goes on. Arguments as for :func:`start` (``tty`` must match the container's).
    """
    path, params = _exec_target(
        client, name, None, namespace, container, stdin, stdout, stderr, tty
    )
    return ExecSession(connect(client, path, params, protocols))


def run(
    client: Client,
    name: str,
    command: Sequence[str],
    *,
    namespace: str | None = None,
    container: str | None = None,
    stdin: bytes | str | None = None,
    tty: bool = False,
    check: bool = False,
    timeout: float | None = None,
) -> ExecResult:
    """Run ``command`` in a container of pod ``name`` and return its output and exit code.

    Args:
        client: the cluster to talk to.
        name: the pod's name.
        command: the program and its arguments.
        namespace: the pod's namespace (default: the client's).
        container: the container (needed when the pod has several).
        stdin: input for the command; its stdin is closed after it (needs v5).
        tty: run it with a terminal (stderr then arrives merged into stdout).
        check: raise :class:`NonZeroExit` for a non-zero exit code.
        timeout: seconds the whole call may take (None: no limit); ``TransportError`` then.
    """
    with deadline(timeout):
        with start(
            client,
            name,
            command,
            namespace=namespace,
            container=container,
            stdin=stdin is not None,
            tty=tty,
        ) as session:
            if stdin is not None:
                if stdin:
                    session.write(stdin)
                session.close_stdin()
            result = session.wait()
    return result.check() if check else result


async def start_async(
    client: AsyncClient,
    name: str,
    command: Sequence[str],
    *,
    namespace: str | None = None,
    container: str | None = None,
    stdin: bool = False,
    stdout: bool = True,
    stderr: bool = True,
    tty: bool = False,
    protocols: Sequence[str] = CHANNEL_PROTOCOLS,
) -> AsyncExecSession:
    """The asyncio twin of :func:`start`."""
    path, params = _exec_target(
        client, name, command, namespace, container, stdin, stdout, stderr, tty
    )
    return AsyncExecSession(await connect_async(client, path, params, protocols))


async def attach_async(
    client: AsyncClient,
    name: str,
    *,
    namespace: str | None = None,
    container: str | None = None,
    stdin: bool = False,
    stdout: bool = True,
    stderr: bool = True,
    tty: bool = False,
    protocols: Sequence[str] = CHANNEL_PROTOCOLS,
) -> AsyncExecSession:
    """The asyncio twin of :func:`attach`."""
    path, params = _exec_target(
        client, name, None, namespace, container, stdin, stdout, stderr, tty
    )
    return AsyncExecSession(await connect_async(client, path, params, protocols))


async def run_async(
    client: AsyncClient,
    name: str,
    command: Sequence[str],
    *,
    namespace: str | None = None,
    container: str | None = None,
    stdin: bytes | str | None = None,
    tty: bool = False,
    check: bool = False,
    timeout: float | None = None,
) -> ExecResult:
    """The asyncio twin of :func:`run`."""
    with deadline(timeout):
        session = await start_async(
            client,
            name,
            command,
            namespace=namespace,
            container=container,
            stdin=stdin is not None,
            tty=tty,
        )
        async with session:
            if stdin is not None:
                if stdin:
                    await session.write(stdin)
                await session.close_stdin()
            result = await session.wait()
    return result.check() if check else result
