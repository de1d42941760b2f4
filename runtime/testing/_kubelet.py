"""A test kubelet: exec, attach and port-forward served through the real kube-apiserver.

``kubelet/main.go`` (shipped with this package) serves the kubelet's streaming paths with
Kubernetes' own handlers (``k8s.io/cri-streaming``); its containers are processes on this
machine and its pods' ports are this machine's. :class:`TestKubelet` starts it, registers it
as a Node and binds Pods to it (status ``Running``), so the API server's ``pods/exec``,
``pods/attach`` and ``pods/portforward`` reach it as they would a real kubelet.

Stdlib only at import (the pytest plugin imports this module lazily).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Generator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Protocol

from ._binaries import DEFAULT_K8S_VERSION, cache_dir

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._server import ApiServer


class _Go(Protocol):
    """What :func:`build_kubelet` needs of ``_build``'s go runner."""

    scratch: Path

    def log(self, message: str) -> None: ...

    def build(
        self, work: Path, package: str, out: Path, ldflags: str, tags: str | None, expect: str
    ) -> None: ...


__all__ = ["KubeletNotFound", "TestKubelet", "build_kubelet", "find_kubelet", "kubelet_name"]

SOURCE_DIR = Path(__file__).parent / "kubelet"
_SOURCES = ("go.mod", "go.sum", "main.go")
_VERSION = "test-kubelet v0.36.3"
NODE_NAME = "test-node"


class KubeletNotFound(RuntimeError):
    """Raised when the test kubelet has not been built (``python -m kubetyped.testing build``)."""


def kubelet_name() -> str:
    """The binary's name in the cache: ``test-kubelet-<hash of its sources>``, so a change
    to ``main.go`` builds a new one instead of using a stale one."""
    digest = hashlib.sha256()
    for name in _SOURCES:
        digest.update(name.encode() + b"\0" + (SOURCE_DIR / name).read_bytes() + b"\0")
    return f"test-kubelet-{digest.hexdigest()[:12]}"


def find_kubelet(version: str = DEFAULT_K8S_VERSION) -> Path:
    """The built test kubelet in the cache, or :class:`KubeletNotFound` saying how to build."""
    path = cache_dir(version) / kubelet_name()
    if path.is_file() and os.access(path, os.X_OK):
        return path
    go = shutil.which("go")
    how = "python -m kubetyped.testing build" + ("" if go else " (needs Go >= 1.26)")
    raise KubeletNotFound(f"no test kubelet at {path}; build it: {how}")


def build_kubelet(go: _Go, out: Path) -> None:
    """Build ``kubelet/`` into ``out`` (Go modules only: k8s.io/cri-streaming, creack/pty)."""
    work = go.scratch / "test-kubelet"
    work.mkdir()
    for name in _SOURCES:
        shutil.copyfile(SOURCE_DIR / name, work / name)
    go.log(">>> test-kubelet (k8s.io/cri-streaming)")
    go.build(work, ".", out, "-s -w", tags=None, expect=_VERSION)


class TestKubelet:
    """The test kubelet process, registered as Node ``test-node`` of ``apiserver``.

    ``with TestKubelet(apiserver) as kubelet:``; then ``kubelet.pod(namespace, name,
    {"main": ["cat"]})`` creates a Pod bound to it, status Running, whose containers' main
    processes run here (``attach`` reaches them); ``exec`` runs commands on this machine.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, apiserver: ApiServer, *, binary: Path | None = None) -> None:
        self.apiserver = apiserver
        self.binary = binary if binary is not None else find_kubelet()
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.port = 0
        self._ssl: ssl.SSLContext | None = None

    # ---- the process

    def start(self) -> Self:
        """Start the kubelet and register its Node."""
        self._dir = Path(tempfile.mkdtemp(prefix="kubetyped-kubelet-"))
        self._log = (self._dir / "kubelet.log").open("wb")
        self._proc = subprocess.Popen(
            [str(self.binary), "--listen", "127.0.0.1:0", "--cert-dir", str(self._dir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            start_new_session=True,  # its commands too are ended with its group
        )
        try:
            assert self._proc.stdout is not None
            line = self._read_line(self._proc.stdout, 30)
            if not line.startswith("listening on "):
                raise RuntimeError(f"test kubelet did not start: {line!r}\n{self.log_tail()}")
            self.port = int(line.rsplit(":", 1)[1])
            self._ssl = ssl.create_default_context(cafile=str(self._dir / "kubelet.crt"))
            self._register_node()
        except BaseException:
            self.stop()
            raise
        return self

    @staticmethod
    def _read_line(stream: IO[bytes], timeout: float) -> str:
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        return result[0].decode().strip() if result else ""

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the kubelet's log."""
        if self._dir is None:
            return ""
        try:
            text = (self._dir / "kubelet.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the kubelet and every process it started; delete its Node."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(Exception):
                self._api("DELETE", f"/api/v1/nodes/{NODE_NAME}")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- the API server, with the admin token

    def _api(self, method: str, path: str, body: Any = None) -> Any:
        ctx = ssl.create_default_context(cafile=str(self.apiserver.ca_path))
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.apiserver.url + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.apiserver.admin_token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        with urllib.request.urlopen(request, context=ctx, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def _kubelet(self, method: str, path: str, body: Any = None) -> None:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"https://127.0.0.1:{self.port}{path}", data=data, method=method
        )
        with urllib.request.urlopen(request, context=self._ssl, timeout=30):
            pass

    def _register_node(self) -> None:
        with contextlib.suppress(Exception):
            self._api("DELETE", f"/api/v1/nodes/{NODE_NAME}")  # a leftover of a killed run
        node = self._api(
            "POST",
            "/api/v1/nodes",
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": NODE_NAME}},
        )
        node["status"] = {
            "addresses": [
                {"type": "InternalIP", "address": "127.0.0.1"},
                {"type": "Hostname", "address": "localhost"},
            ],
            # Go's field name, capitalized: DaemonEndpoint has no json tag for it.
            "daemonEndpoints": {"kubeletEndpoint": {"Port": self.port}},
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "test"}
            ],
        }
        self._api("PUT", f"/api/v1/nodes/{NODE_NAME}/status", node)

    # ---- pods

    @contextlib.contextmanager
    def pod(
        self,
        namespace: str,
        name: str,
        containers: Mapping[str, Sequence[str]],
        *,
        ports: Sequence[int] = (),
        pod_ip: str = "127.0.0.1",
    ) -> Generator[dict[str, Any], None, None]:
        """A Pod bound to this kubelet, status Running, each container's main process
        started here (``{"main": ["cat"]}``); deleted again on leaving. Yields the Pod.

        ``pod_ip`` is its ``status.podIP`` (``pods/proxy`` refuses loopback addresses)."""
        pod = self._api(
            "POST",
            f"/api/v1/namespaces/{namespace}/pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name},
                "spec": {
                    "nodeName": NODE_NAME,
                    "containers": [
                        {
                            "name": cname,
                            "image": "test-kubelet/local-process",
                            "command": list(command),
                            "stdin": True,
                            "ports": [{"containerPort": p} for p in ports],
                        }
                        for cname, command in containers.items()
                    ],
                },
            },
        )
        started: list[str] = []
        try:
            for cname, command in containers.items():
                self._kubelet(
                    "POST",
                    f"/testing/containers/{namespace}/{name}/{cname}",
                    {"command": list(command)},
                )
                started.append(cname)
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            pod["status"] = {
                "phase": "Running",
                "hostIP": "127.0.0.1",
                "podIP": pod_ip,
                "podIPs": [{"ip": pod_ip}],
                "startTime": now,
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [
                    {
                        "name": cname,
                        "ready": True,
                        "started": True,
                        "restartCount": 0,
                        "image": "test-kubelet/local-process",
                        "imageID": "",
                        "state": {"running": {"startedAt": now}},
                    }
                    for cname in containers
                ],
            }
            pod = self._api("PUT", f"/api/v1/namespaces/{namespace}/pods/{name}/status", pod)
            yield pod
        finally:
            for cname in started:
                with contextlib.suppress(Exception):
                    self._kubelet("DELETE", f"/testing/containers/{namespace}/{name}/{cname}")
            with contextlib.suppress(Exception):
                self._api(
                    "DELETE",
                    f"/api/v1/namespaces/{namespace}/pods/{name}",
                    {"gracePeriodSeconds": 0},
                )

    def __repr__(self) -> str:
        return f"TestKubelet(port={self.port}, binary={str(self.binary)!r})"
