"""exec, attach, port-forward and proxy of the generated clients, sync and async: must
type-check with no diagnostics (pyright strict, mypy --strict with and without the plugin)."""

from kubetyped import AsyncClient, Client, ExecError, ForwardError, NonZeroExit
from kubetyped.exec import ExecResult, Output
from kubetyped.k8s.core.v1 import AsyncPods, AsyncServices, Nodes, Pods, Services


def sync_usage(client: Client) -> None:
    pods = Pods(client)
    result: ExecResult = pods.exec("web-0", ["sh", "-c", "exit 3"], namespace="prod")
    code: int = result.exit_code
    out: bytes = result.stdout + result.stderr
    try:
        pods.exec("web-0", ["false"], stdin="text", tty=False, check=True, timeout=10.0)
    except NonZeroExit as exc:
        code = exc.exit_code
    except ExecError as exc:
        print(exc.status.message)
    with pods.exec_stream("web-0", ["sh"], stdin=True, tty=True, container="main") as session:
        session.resize(80, 24)
        session.write(b"exit\n")
        session.close_stdin()
        for output in session:
            chunk: Output = output
            out += chunk.data
        ended: int | None = session.exit_code
        print(ended)
    with pods.attach("web-0", stdin=True, stdout=True, stderr=False) as attached:
        attached.write("hello\n")
        print(attached.wait().exit_code)
    with pods.port_forward("db-0", {5432: 0}, protocol="auto") as forwarder:
        port: int = forwarder.local_port
        failed: list[ForwardError] = forwarder.errors
        print(port, failed, forwarder.protocol)
    status: int = pods.proxy("web-0", "/healthz", port=8080, scheme="https").status_code
    text: str = Services(client).proxy("web", port="http", method="PUT", content=b"{}").text
    Nodes(client).proxy("node-1", "metrics", params={"x": ["a", "b"]}, headers={"A": "b"})
    print(code, status, text)


async def async_usage(client: AsyncClient) -> None:
    pods = AsyncPods(client)
    result = await pods.exec("web-0", ["true"])
    print(result.exit_code)
    session = await pods.exec_stream("web-0", ["cat"], stdin=True)
    async with session:
        await session.write(b"x")
        await session.close_stdin()
        async for output in session:
            print(output.stream, output.data)
    attached = await pods.attach("web-0")
    async with attached:
        print((await attached.wait()).stdout)
    async with pods.port_forward("db-0", 5432, protocol="spdy") as forwarder:
        print(forwarder.local_ports[5432])
    response = await AsyncServices(client).proxy("web", "/", namespace="prod")
    print(response.status_code)
