"""Spawning the INSTALLED `catena-mcp` console script and talking to it the way an MCP client does.

Nothing here builds the server in-process: every test reaches a child process over stdio or loopback HTTP,
and that child reaches a simulator over loopback HTTP.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from inline_snapshot import snapshot
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult, TextContent

from catena_mcp.simulator import SimulatorHandle

SCRIPT = Path(sys.executable).with_name("catena-mcp")
TOOL = "get_resource_operation"
TRIAGE = "triage_resource_operation_failures"
LIST = "list_resource_operations"
TOOLS = [TOOL, TRIAGE, LIST]
START_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 5.0
# What the subprocess may inherit from the test runner; CATENA_* never is (the tests' env is hermetic anyway).
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")

# Every catalogue operation's verdict, whichever transport and protocol era carried the call.
EXPECTED_VERDICTS = snapshot(
    {
        "drifted_fields": "failed",
        "failed_auth": "failed",
        "failed_network": "failed",
        "failed_tsp_conflict": "failed",
        "failed_tsp_outage": "failed",
        "failed_validation": "failed",
        "hostile_error_details": "failed",
        "leaked_headers": "failed",
        "many_failure_kinds": "failed",
        "one_request_id_many_attempts": "pending_with_failures",
        "pending_no_logs": "pending",
        "pending_with_failures": "pending_with_failures",
        "progression_auth_tsp_validation": "failed",
        "rate_limit_both_kinds": "pending_with_failures",
        "rate_limit_combined_header": "failed",
        "rate_limit_ietf_headers": "pending_with_failures",
        "rate_limit_structured_header": "pending_with_failures",
        "rate_limit_x_variants": "failed",
        "success_after_retries": "succeeded_after_retries",
        "success_first_time": "succeeded_first_time",
        "thousands_of_logs": "failed",
        "undocumented_next_attempt": "unknown_status",
        "unknown_enums": "unknown_status",
        "validation_payload_fields": "failed",
    }
)


# Both protocol eras: the `initialize` handshake, and the SDK's default (which probes `server/discover`).
MODES = [
    pytest.param("legacy", "2025-11-25", id="legacy"),
    pytest.param(None, "2026-07-28", id="default"),
]


def connect(target: Any, mode: str | None) -> Client:
    """The official client on `target`, in `mode` (None: whatever the SDK does by default)."""
    return Client(target) if mode is None else Client(target, mode=mode)


def catalogue_keys(sim: SimulatorHandle) -> list[str]:
    """The catalogue entries: every operation key except the built-in fault operations."""
    return sorted(key for key in sim.operations if not key.startswith("fault-"))


def arguments(sim: SimulatorHandle, key: str, **extra: Any) -> dict[str, Any]:
    ref = sim.operations[key]
    return {"connection_id": ref.connection_id, "resource_operation_id": ref.operation_id, **extra}


def server_env(sim: SimulatorHandle, **extra: str) -> dict[str, str]:
    """The CATENA_* settings of a server that reads from `sim`, plus `extra`."""
    return {
        "CATENA_BASE_URL": sim.base_url,
        "CATENA_TOKEN_URL": sim.token_url,
        "CATENA_CLIENT_ID": sim.client_id,
        "CATENA_CLIENT_SECRET": sim.client_secret,
        **extra,
    }


def process_env(settings: Mapping[str, str] = {}) -> dict[str, str]:
    """A whole environment for `subprocess`: the bare minimum of the runner's plus `settings`."""
    return {name: os.environ[name] for name in _INHERITED if name in os.environ} | dict(settings)


def text_of(result: CallToolResult) -> str:
    (block,) = result.content
    assert isinstance(block, TextContent)
    return block.text


def verdict_of(sim: SimulatorHandle, key: str, result: CallToolResult) -> str:
    """The diagnosis verdict, after checking the answer is about the operation that was asked for."""
    assert result.is_error is False, text_of(result)
    structured = result.structured_content
    assert structured is not None
    assert structured["operation"]["id"] == sim.operations[key].operation_id
    assert text_of(result).startswith("**")
    return str(structured["diagnosis"]["verdict"])


async def call_every_operation(client: Client, sim: SimulatorHandle) -> dict[str, str]:
    """Lists the tools, then calls the tool on every catalogue operation; key -> verdict."""
    tools = (await client.list_tools()).tools
    assert [tool.name for tool in tools] == TOOLS
    verdicts = {}
    for key in catalogue_keys(sim):
        verdicts[key] = verdict_of(sim, key, await client.call_tool(TOOL, arguments(sim, key)))
    return verdicts


@contextlib.asynccontextmanager
async def stdio_server(
    sim: SimulatorHandle,
    cwd: Path,
    *,
    mode: str | None = None,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[Client]:
    """`catena-mcp` on stdio, connected with the official client; its stderr goes to `cwd/stderr.log`.

    `cwd` matters: the server reads a `.env` from its working directory, so it runs in an empty one.
    """
    params = StdioServerParameters(
        command=str(SCRIPT),
        args=list(args),
        env=server_env(sim) if env is None else dict(env),
        cwd=cwd,
    )
    with (cwd / "stderr.log").open("w", encoding="utf-8") as errlog:
        async with connect(stdio_client(params, errlog=errlog), mode) as client:
            yield client


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class HttpServer:
    process: "subprocess.Popen[bytes]"
    port: int
    log: Path

    @property
    def origin(self) -> str:
        """Where to reach it: always loopback, whatever address it is bound to."""
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        """Everything it printed so far (stdout and stderr), with its port shown as PORT."""
        return self.log.read_text("utf-8", errors="replace").replace(f":{self.port}", ":PORT")

    def assert_alive(self) -> None:
        assert self.process.poll() is None, self.output()


def run(
    args: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Runs `catena-mcp ARGS` to completion (killed after `timeout`)."""
    return subprocess.run(
        [str(SCRIPT), *args],
        env=process_env(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def stop(process: "subprocess.Popen[Any]") -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_SECONDS)


@contextlib.contextmanager
def http_server(
    sim: SimulatorHandle,
    cwd: Path,
    transport: str,
    *,
    host: str = "127.0.0.1",
    env: Mapping[str, str] = {},
    args: Sequence[str] = (),
) -> Iterator[HttpServer]:
    """`catena-mcp --transport TRANSPORT --host HOST --port <free> ARGS` until the block ends (then killed)."""
    port = free_port("0.0.0.0" if host == "0.0.0.0" else "127.0.0.1")
    log = cwd / f"{transport}-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(SCRIPT), "--transport", transport, "--host", host, "--port", str(port), *args],
            env=process_env(server_env(sim, **env)),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = HttpServer(process, port, log)
    try:
        _wait_until_listening(server)
        yield server
    finally:
        stop(process)


def _wait_until_listening(server: HttpServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                return
        except OSError:
            pass
        # Waiting on the process doubles as the pause between attempts and notices an early exit.
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(0.02)
        assert server.process.returncode is None, f"catena-mcp exited early:\n{server.output()}"
    raise AssertionError(f"catena-mcp did not listen on port {server.port} in time:\n{server.output()}")


def issued_tokens(sim: SimulatorHandle) -> list[str]:
    """The access tokens the simulator has handed out (and not revoked): what must never be logged."""
    return sim._call(lambda: list(sim._state._tokens))
