"""Upstream faults against a running `catena-mcp` (Streamable HTTP), and the same process serving on after each."""

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from inline_snapshot import snapshot
from mcp import Client

from catena_mcp.simulator import SimulatorHandle
from tests.e2e.helpers import TOOL, HttpServer, arguments, http_server, text_of, verdict_of

pytestmark = pytest.mark.anyio


async def assert_serving(client: Client, sim: SimulatorHandle, server: HttpServer) -> None:
    """A normal operation still gets its diagnosis from the same server process."""
    result = await client.call_tool(TOOL, arguments(sim, "success_first_time"))
    assert verdict_of(sim, "success_first_time", result) == "succeeded_first_time"
    server.assert_alive()


def operation_requests(sim: SimulatorHandle) -> int:
    return int(sim.stats()["operation_requests"])


async def test_expired_token_is_refreshed_once(sim: SimulatorHandle, tmp_path: Path) -> None:
    with http_server(sim, tmp_path, "streamable-http") as server:
        async with Client(f"{server.origin}/mcp") as client:
            await assert_serving(client, sim, server)
            assert sim.stats()["token_requests"] == 1
            # The simulator revokes the cached token and answers 401 to its next use.
            result = await client.call_tool(TOOL, arguments(sim, "fault-token-expired"))
            assert verdict_of(sim, "fault-token-expired", result) == "failed"
            assert sim.stats()["token_requests"] == 2
            await assert_serving(client, sim, server)
    assert sim.stats() == snapshot(
        {"token_requests": 2, "operation_requests": 4, "list_requests": 0, "by_status": {"200": 5, "401": 1}}
    )


async def test_short_rate_limit_is_waited_out(sim: SimulatorHandle, tmp_path: Path) -> None:
    sim.set_fault(
        sim.operations["success_after_retries"].operation_id, {"rate_limit": {"retry_after": 0.5, "times": 1}}
    )
    with http_server(sim, tmp_path, "streamable-http") as server:
        async with Client(f"{server.origin}/mcp") as client:
            started = time.monotonic()
            result = await client.call_tool(TOOL, arguments(sim, "success_after_retries"))
            waited = time.monotonic() - started
            assert verdict_of(sim, "success_after_retries", result) == "succeeded_after_retries"
            assert waited >= 0.4  # it honoured Retry-After rather than hammering
            await assert_serving(client, sim, server)
    assert sim.stats() == snapshot(
        {"token_requests": 1, "operation_requests": 3, "list_requests": 0, "by_status": {"200": 3, "429": 1}}
    )


async def test_long_rate_limit_is_reported_at_once(sim: SimulatorHandle, tmp_path: Path) -> None:
    sim.set_fault(sim.operations["success_after_retries"].operation_id, {"rate_limit": {"retry_after": 120}})
    with http_server(sim, tmp_path, "streamable-http") as server:
        async with Client(f"{server.origin}/mcp") as client:
            started = time.monotonic()
            result = await client.call_tool(TOOL, arguments(sim, "success_after_retries"))
            elapsed = time.monotonic() - started
            asked_at = datetime.now(UTC)
            assert result.is_error is True
            assert result.structured_content is None
            assert elapsed < 5  # loose: a 120 s wait is reported, not waited
            assert operation_requests(sim) == 1
            text = text_of(result)
            moment = re.search(r"\(at (\d\d):(\d\d):(\d\d)Z\)", text)
            assert moment is not None, text
            # The retry moment is about two minutes after the call (compared on the clock face).
            expected = asked_at + timedelta(seconds=120)
            reported = expected.replace(hour=int(moment[1]), minute=int(moment[2]), second=int(moment[3]))
            drift = (reported - expected).total_seconds() % 86400
            assert min(drift, 86400 - drift) < 30
            assert text.replace(moment[0], "(at HH:MM:SSZ)") == snapshot(
                "Catena is rate-limiting this client (HTTP 429): retry after 120 s (at HH:MM:SSZ). Avoid calling the tool in a loop."
            )
            sim.clear_faults()
            await assert_serving(client, sim, server)
    assert operation_requests(sim) == 2


async def test_hung_upstream_is_cut_off_by_the_timeout(sim: SimulatorHandle, tmp_path: Path) -> None:
    env = {"CATENA_TIMEOUT": "0.5", "CATENA_MAX_RETRIES": "0"}
    with http_server(sim, tmp_path, "streamable-http", env=env) as server:
        async with Client(f"{server.origin}/mcp") as client:
            started = time.monotonic()
            result = await client.call_tool(TOOL, arguments(sim, "fault-hang"))  # the simulator holds 120 s
            elapsed = time.monotonic() - started
            assert result.is_error is True
            assert text_of(result) == snapshot(
                "Catena did not answer within 0.5 s on 1 attempt. Try again later, or raise CATENA_TIMEOUT if this keeps happening."
            )
            assert elapsed < 5  # loose: cut off after 0.5 s, not 120
            assert operation_requests(sim) == 1
            await assert_serving(client, sim, server)
    assert operation_requests(sim) == 2


async def test_transient_server_errors_are_retried(sim: SimulatorHandle, tmp_path: Path) -> None:
    with http_server(sim, tmp_path, "streamable-http") as server:
        async with Client(f"{server.origin}/mcp") as client:
            result = await client.call_tool(TOOL, arguments(sim, "fault-503-twice"))
            assert verdict_of(sim, "fault-503-twice", result) == "failed"
            await assert_serving(client, sim, server)
    assert sim.stats() == snapshot(
        {"token_requests": 1, "operation_requests": 4, "list_requests": 0, "by_status": {"200": 3, "503": 2}}
    )
