"""Throughput over Streamable HTTP: 50 concurrent MCP sessions against each server, in alternating rounds.

Both servers run as subprocesses (stateful Streamable HTTP, the SDK's default, SSE-framed replies). The
load generator is a minimal client on `httpx`: each of the 50 clients opens its own MCP session once, then
calls the tool back to back. Rounds alternate between the servers so drift on the shared box hits both; the
reported figure is the median round. Server CPU per call comes from /proc/PID/stat.
"""

import asyncio
import json
import socket
import subprocess
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field

from bench.http1 import Connection, HttpError, json_rpc_reply
from bench.results import Row, Target, median
from bench.stdio import PROTOCOL_VERSION, ServerCommand, cpu_seconds, ours, server_env, thin_proxy
from bench.upstream import Upstream
from bench.warm import SMALL

CLIENTS = 50
TOOL = "get_resource_operation"
_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class HttpServer:
    command: ServerCommand
    url: str
    process: subprocess.Popen[bytes]
    arguments: dict[str, str]
    clients: list[tuple[Connection, bytes]] = field(default_factory=list)


def start_server(
    command: ServerCommand, env: dict[str, str], arguments: dict[str, str], stack: ExitStack
) -> HttpServer:
    port = free_port()
    argv = [*command.argv, "--transport", "streamable-http", "--port", str(port)]
    cwd = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-"))
    process = subprocess.Popen(  # noqa: S603 -- our own commands
        argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )

    def stop() -> None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    stack.callback(stop)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command.label} did not start serving HTTP") from None
            time.sleep(0.02)
    return HttpServer(command, f"http://127.0.0.1:{port}/mcp", process, arguments)


def _host_port(url: str) -> tuple[str, int, str]:
    authority, _, path = url.removeprefix("http://").partition("/")
    host, _, port = authority.partition(":")
    return host, int(port), "/" + path


async def open_session(server: HttpServer) -> tuple[Connection, bytes]:
    """One client: its own connection and MCP session; returns it with its prebuilt tools/call request."""
    host, port, path = _host_port(server.url)
    connection = await Connection(host, port).__aenter__()
    init = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "catena-bench", "version": "1"},
        },
    }
    authority = f"{host}:{port}"
    reply = await connection.send(
        Connection.request_bytes(authority, path, _HEADERS, json.dumps(init).encode())
    )
    json_rpc_reply(*reply)
    headers = _HEADERS | {"Mcp-Protocol-Version": PROTOCOL_VERSION}
    if "mcp-session-id" in reply[1]:  # a stateless server (bench/replicas.py) opens no session
        headers["Mcp-Session-Id"] = reply[1]["mcp-session-id"]
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    status, _, _ = await connection.send(
        Connection.request_bytes(authority, path, headers, json.dumps(note).encode())
    )
    if status != 202:
        raise HttpError(f"notifications/initialized: HTTP {status}")
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": TOOL, "arguments": server.arguments},
    }
    return connection, Connection.request_bytes(authority, path, headers, json.dumps(call).encode())


def _check(status: int, headers: dict[str, str], body: bytes) -> None:
    reply = json_rpc_reply(status, headers, body)
    if "error" in reply or reply["result"].get("isError"):
        raise HttpError(f"call failed: {str(reply)[:300]}")


async def client_loop(connection: Connection, request: bytes, deadline: float) -> int:
    # The first reply is parsed and checked in full; after that a byte check is enough and keeps the load
    # generator's cost flat however large the reply (ours is bigger than the proxy's, and parsing it would
    # take CPU from a server that shares the 2 cores).
    _check(*await connection.send(request))
    done = 1
    while time.perf_counter() < deadline:
        status, headers, body = await connection.send(request)
        if status != 200 or b'"result":' not in body or b'"isError":true' in body:
            _check(status, headers, body)
        done += 1
    return done


async def _round(server: HttpServer, seconds: float) -> tuple[float, float, float]:
    """(calls per second, server CPU ms per call, load generator CPU ms per call) for one round."""
    cpu0, own0 = cpu_seconds(server.process.pid), time.process_time()
    start = time.perf_counter()
    deadline = start + seconds
    counts = await asyncio.gather(*(client_loop(conn, request, deadline) for conn, request in server.clients))
    elapsed = time.perf_counter() - start
    calls = sum(counts)
    cpu = cpu_seconds(server.process.pid) - cpu0
    own = time.process_time() - own0
    return calls / elapsed, cpu / calls * 1000, own / calls * 1000


async def _measure(
    servers: list[HttpServer], rounds: int, seconds: float, warmup: float
) -> dict[str, list[tuple[float, float, float]]]:
    for server in servers:
        server.clients = [await open_session(server) for _ in range(CLIENTS)]
    try:
        for server in servers:  # warm-up: token fetch, connection pools, first-use costs
            await _round(server, warmup)
        results: dict[str, list[tuple[float, float, float]]] = {s.command.label: [] for s in servers}
        for n in range(rounds):
            for server in servers if n % 2 == 0 else servers[::-1]:
                results[server.command.label].append(await _round(server, seconds))
        return results
    finally:
        for server in servers:
            for connection, _ in server.clients:
                await connection.__aexit__(None, None, None)


def run(upstream: Upstream, rounds: int, seconds: float, warmup: float = 1.0) -> list[Row]:
    env = server_env(upstream.env)
    with ExitStack() as stack:
        arguments = upstream.arguments(SMALL)
        servers = [start_server(command, env, arguments, stack) for command in (ours(), thin_proxy())]
        results = asyncio.run(_measure(servers, rounds, seconds, warmup))
    mine, thin = results["catena-mcp"], results["thin proxy"]
    section = f"throughput (Streamable HTTP, {CLIENTS} clients)"
    return [
        Row(
            section,
            f"calls/s, median of {rounds} rounds of {seconds:g} s",
            "calls/s",
            median([r[0] for r in mine]),
            median([r[0] for r in thin]),
            "thin proxy",
            Target(">=", 0.9),
            extra={"ours": mine, "baseline": thin},
        ),
        Row(
            section,
            "server CPU per call",
            "ms",
            median([r[1] for r in mine]),
            median([r[1] for r in thin]),
            "thin proxy",
            note=f"load generator: {median([r[2] for r in mine + thin]):.2f} ms CPU per call",
        ),
    ]
