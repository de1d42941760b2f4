"""Typed usage of exec, attach, port-forward and proxy: checked by mypy in tests/typecheck/test_types.py."""

from kubetyped import AsyncClient, Client
from kubetyped.exec import run
from kubetyped.k8s.core.v1 import AsyncPods, Nodes, Pods, Services
from kubetyped.portforward import forward

client = Client()
pods = Pods(client)
reveal_type(pods.exec("web-0", ["ls"], stdin=b"x", check=True))  # kubetyped.exec.ExecResult
reveal_type(pods.exec("web-0", ["ls"]).exit_code)  # int
reveal_type(pods.exec_stream("web-0", ["sh"], stdin=True, tty=True))  # kubetyped.exec.ExecSession
reveal_type(pods.attach("web-0", container="main").read())  # tuple[Literal['stdout'] | Literal['stderr'], bytes, fallback=kubetyped.exec.Output] | None
reveal_type(pods.port_forward("db-0", [5432, 8080], protocol="websocket"))  # kubetyped.portforward.PortForwarder
reveal_type(pods.proxy("web-0", "/healthz", port=8080))  # httpx._models.Response
reveal_type(Services(client).proxy("web", port="http", method="POST"))  # httpx._models.Response
reveal_type(Nodes(client).proxy("node-1", "/metrics"))  # httpx._models.Response
reveal_type(run(client, "web-0", ["true"]))  # kubetyped.exec.ExecResult
with forward(client, "db-0", 5432) as local_port:
    reveal_type(local_port)  # int


async def main(aclient: AsyncClient) -> None:
    apods = AsyncPods(aclient)
    reveal_type(await apods.exec("web-0", ["ls"]))  # kubetyped.exec.ExecResult
    session = await apods.exec_stream("web-0", ["cat"], stdin=True)
    reveal_type(session)  # kubetyped.exec.AsyncExecSession
    reveal_type(await session.wait())  # kubetyped.exec.ExecResult
    async with apods.port_forward("db-0", {5432: 15432}) as forwarder:
        reveal_type(forwarder.local_ports)  # dict[int, int]
