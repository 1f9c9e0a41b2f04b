"""The cross-operation tools, and every tool as agent frameworks run it: through the official Python client.

1. Triage of a 2,000-operation window against the simulator with realistic injected latency (150 ms per
   list page, 50 ms per operation fetched): wall time of the call and the upstream requests it made.
2. Each tool through the official client (`mcp.Client` over stdio), whose `call_tool` validates every
   structured result against the tool's outputSchema: median call time with that default validation, next
   to the same calls with the validation switched off, plus the size of each outputSchema.
"""

import json
import statistics
import time
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.session import ClientSession

from bench.results import Row, Target, median
from bench.stdio import ours, server_env
from bench.upstream import Upstream
from catena_mcp.simulator.faults import EVERY_OPERATION_FAULT_ID, LIST_FAULT_ID

PAGE_LATENCY = 0.15
DETAIL_LATENCY = 0.05
# 2,020 operations of the simulator's week, 271 of them failing (3 pages, 200 operations fetched).
WINDOW = {"since": "2026-11-17T17:00:00Z", "until": "2026-11-21T00:00:00Z"}
BURST = {"since": "2026-11-19T06:00:00Z", "until": "2026-11-19T12:00:00Z"}
TRIAGE = "triage_resource_operation_failures"
LIST = "list_resource_operations"
GET = "get_resource_operation"


def _control(upstream: Upstream, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(  # noqa: S310 -- the simulator on loopback
        upstream.base_url + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        return json.load(response)


def _upstream_requests(stats: dict[str, Any]) -> int:
    return int(stats["token_requests"] + stats["operation_requests"] + stats["list_requests"])


async def _session(upstream: Upstream, use: Callable[[Client], Awaitable[None]]) -> None:
    command = ours()
    params = StdioServerParameters(
        command=command.argv[0], args=list(command.argv[1:]), env=server_env(upstream.env)
    )
    async with Client(params) as client:
        await client.list_tools()
        await use(client)


def triage_rows(upstream: Upstream, rounds: int) -> list[Row]:
    seconds: list[float] = []
    found: dict[str, Any] = {}

    async def measure(client: Client) -> None:
        await client.call_tool(GET, upstream.arguments("success_first_time"))  # token, pool: unmeasured
        for _ in range(rounds):
            _control(upstream, "POST", "/_sim/reset")
            pace = {LIST_FAULT_ID: PAGE_LATENCY, EVERY_OPERATION_FAULT_ID: DETAIL_LATENCY}
            for fault_id, latency in pace.items():
                _control(
                    upstream,
                    "POST",
                    "/_sim/faults",
                    {"operation_id": fault_id, "fault": {"latency_seconds": latency}},
                )
            started = time.perf_counter()
            result = await client.call_tool(TRIAGE, WINDOW)
            seconds.append(time.perf_counter() - started)
            assert result.structured_content is not None, result.content
            found.update(result.structured_content, stats=_control(upstream, "GET", "/_sim/stats"))
        _control(upstream, "DELETE", "/_sim/faults")
        _control(upstream, "POST", "/_sim/reset")

    anyio.run(_session, upstream, measure)
    stats = found["stats"]
    section = "triage (stdio, simulator with 150 ms/page and 50 ms/operation)"
    label = f"{found['scanned']:,}-operation window, {found['failing']} failing"
    note = f"{found['pages']} pages + {found['inspected']} operations read at 8 in flight"
    return [
        Row(
            section,
            f"{label}: median of {rounds}",
            "s",
            median(seconds),
            target=Target("<=", 10, "absolute"),
            note=note,
        ),
        Row(
            section,
            f"{label}: upstream requests",
            "requests",
            _upstream_requests(stats),
            note=f"{stats['list_requests']} list pages, {stats['operation_requests']} operations, "
            f"{stats['token_requests']} token",
        ),
    ]


def client_rows(upstream: Upstream, calls: int) -> list[Row]:
    """Each tool's median call time through the official client, validating or not, and schema sizes."""
    arguments: dict[str, dict[str, Any]] = {
        GET: upstream.arguments("success_after_retries"),
        TRIAGE: BURST,
        LIST: {**BURST, "limit": 50},
    }
    timings: dict[tuple[str, bool], list[float]] = {}
    sizes: dict[str, int] = {}
    original = ClientSession.validate_tool_result

    async def skip_validation(self: ClientSession, name: str, result: Any) -> None:
        return None

    async def measure(client: Client) -> None:
        for listed in (await client.list_tools()).tools:
            sizes[listed.name] = len(json.dumps(listed.output_schema))
        for tool, args in arguments.items():
            for _ in range(3):  # warm-up: the validator compiles once per schema
                await client.call_tool(tool, args)
            for n in range(calls * 2):
                validate = n % 2 == 0
                ClientSession.validate_tool_result = original if validate else skip_validation  # type: ignore[method-assign]
                started = time.perf_counter()
                result = await client.call_tool(tool, args)
                timings.setdefault((tool, validate), []).append((time.perf_counter() - started) * 1000)
                assert not result.is_error
        ClientSession.validate_tool_result = original  # type: ignore[method-assign]

    try:
        anyio.run(_session, upstream, measure)
    finally:
        ClientSession.validate_tool_result = original  # type: ignore[method-assign]
    section = "official Python client (stdio, default outputSchema validation)"
    rows = []
    for tool in arguments:
        with_validation = statistics.median(timings[(tool, True)])
        without = statistics.median(timings[(tool, False)])
        rows.append(
            Row(
                section,
                f"{tool}: median of {calls}",
                "ms",
                with_validation,
                without,
                "same calls, validation off",
                Target("<=", 1.25),
            )
        )
        rows.append(
            Row(section, f"{tool}: outputSchema", "bytes", sizes[tool], target=Target("<=", 6000, "absolute"))
        )
    return rows
