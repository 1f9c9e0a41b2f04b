"""The installed `catena-mcp` over Streamable HTTP and SSE, on a real loopback port."""

from pathlib import Path

import anyio
import pytest
from inline_snapshot import snapshot
from mcp import Client
from mcp.client.sse import sse_client
from mcp.types import CallToolResult

from catena_mcp.simulator import SimulatorHandle
from tests.e2e.helpers import (
    EXPECTED_VERDICTS,
    MODES,
    TOOL,
    arguments,
    call_every_operation,
    catalogue_keys,
    connect,
    http_server,
    verdict_of,
)

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(("mode", "protocol"), MODES)
async def test_every_catalogue_operation_over_streamable_http(
    sim: SimulatorHandle, tmp_path: Path, mode: str | None, protocol: str
) -> None:
    with http_server(sim, tmp_path, "streamable-http") as server:
        async with connect(f"{server.origin}/mcp", mode) as client:
            assert client.protocol_version == protocol
            assert await call_every_operation(client, sim) == EXPECTED_VERDICTS
        server.assert_alive()
        assert server.output() == snapshot(
            "catena-mcp: serving streamable-http on http://127.0.0.1:PORT/mcp\n"
        )
    assert sim.stats() == snapshot(
        {"token_requests": 1, "operation_requests": 24, "list_requests": 0, "by_status": {"200": 25}}
    )


@pytest.mark.parametrize(("mode", "protocol"), MODES)
async def test_every_catalogue_operation_over_sse(
    sim: SimulatorHandle, tmp_path: Path, mode: str | None, protocol: str
) -> None:
    with http_server(sim, tmp_path, "sse") as server:
        async with connect(sse_client(f"{server.origin}/sse"), mode) as client:
            assert client.protocol_version == protocol
            assert await call_every_operation(client, sim) == EXPECTED_VERDICTS
        # The SDK enters the lifespan once per SSE connection; the token cache must outlive it.
        async with connect(sse_client(f"{server.origin}/sse"), mode) as client:
            result = await client.call_tool(TOOL, arguments(sim, "success_first_time"))
            assert verdict_of(sim, "success_first_time", result) == "succeeded_first_time"
        server.assert_alive()
    assert sim.stats() == snapshot(
        {"token_requests": 1, "operation_requests": 25, "list_requests": 0, "by_status": {"200": 26}}
    )


async def test_fifty_concurrent_calls_share_one_token(sim: SimulatorHandle, tmp_path: Path) -> None:
    keys = catalogue_keys(sim)
    calls = [keys[n % len(keys)] for n in range(50)]
    results: dict[int, CallToolResult] = {}
    with http_server(sim, tmp_path, "streamable-http") as server:
        async with Client(f"{server.origin}/mcp") as client:

            async def call(n: int) -> None:
                results[n] = await client.call_tool(TOOL, arguments(sim, calls[n]))

            # The server starts cold: all 50 calls race for the first token.
            async with anyio.create_task_group() as tg:
                for n in range(len(calls)):
                    tg.start_soon(call, n)
        server.assert_alive()
    assert {calls[n]: verdict_of(sim, calls[n], result) for n, result in results.items()} == EXPECTED_VERDICTS
    assert len(results) == 50
    assert sim.stats() == snapshot(
        {"token_requests": 1, "operation_requests": 50, "list_requests": 0, "by_status": {"200": 51}}
    )
