"""Two replicas of the installed `catena-mcp` behind HAProxy (round-robin, no stickiness): what --stateless is for.

A team runs one shared server as several processes behind a load balancer. Every request may land on any
replica, so the server must not keep per-client state between requests.
"""

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from inline_snapshot import snapshot
from mcp import MCPError

from catena_mcp.simulator import SimulatorHandle
from tests.e2e.haproxy import load_balancer, require_haproxy
from tests.e2e.helpers import (
    EXPECTED_VERDICTS,
    MODES,
    HttpServer,
    call_every_operation,
    connect,
    http_server,
    stop,
)

pytestmark = [pytest.mark.anyio]


@pytest.fixture(autouse=True)
def _haproxy() -> None:
    require_haproxy()


@contextlib.contextmanager
def two_replicas(sim: SimulatorHandle, cwd: Path, args: Sequence[str]) -> Iterator[list[HttpServer]]:
    with (
        http_server(sim, cwd, "streamable-http", args=args) as first,
        http_server(sim, cwd, "streamable-http", args=args) as second,
    ):
        yield [first, second]


def leaves(group: BaseExceptionGroup[BaseException]) -> list[MCPError]:
    """The MCP errors inside `group` (the client's task groups nest them)."""
    found: list[MCPError] = []
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            found += leaves(error)
        else:
            assert isinstance(error, MCPError), repr(error)
            found.append(error)
    return found


@pytest.mark.parametrize(("mode", "protocol"), MODES)
async def test_stateless_replicas_answer_every_call_even_after_one_stops(
    sim: SimulatorHandle, tmp_path: Path, mode: str | None, protocol: str
) -> None:
    with (
        two_replicas(sim, tmp_path, ["--stateless"]) as replicas,
        load_balancer(replicas, tmp_path) as balancer,
    ):
        async with connect(f"{balancer.origin}/mcp", mode) as client:
            assert client.protocol_version == protocol
            assert await call_every_operation(client, sim) == EXPECTED_VERDICTS
            # Round-robin per request: both replicas served about half of the session's requests.
            shares = {name: stats.picked for name, stats in balancer.stats().items()}
            assert (
                shares
                == snapshot({"legacy": {"r0": 14, "r1": 13}, "default": {"r0": 13, "r1": 13}})[
                    "legacy" if mode else "default"
                ]
            )

            stop(replicas[0].process)
            assert await call_every_operation(client, sim) == EXPECTED_VERDICTS
            balancer.wait_for(["DOWN", "UP"])
            assert await call_every_operation(client, sim) == EXPECTED_VERDICTS
        replicas[1].assert_alive()
    assert replicas[1].output() == snapshot(
        "catena-mcp: serving streamable-http (stateless) on http://127.0.0.1:PORT/mcp\n"
    )


async def test_stateful_default_breaks_handshake_era_clients_behind_the_balancer(
    sim: SimulatorHandle, tmp_path: Path
) -> None:
    with two_replicas(sim, tmp_path, []) as replicas, load_balancer(replicas, tmp_path) as balancer:
        url = f"{balancer.origin}/mcp"
        # 2025-11-25: `initialize` opens a session on one replica; the next request lands on the other,
        # which has never heard of it.
        with pytest.RaisesGroup(MCPError, flatten_subgroups=True) as refused:
            async with connect(url, "legacy") as client:
                await call_every_operation(client, sim)
        assert [(error.code, error.message) for error in leaves(refused.value)] == snapshot(
            [(-32600, "Session not found")]
        )
        # 2026-07-28 has no session at all: every request stands alone, so even the default works.
        async with connect(url, None) as client:
            assert await call_every_operation(client, sim) == EXPECTED_VERDICTS
