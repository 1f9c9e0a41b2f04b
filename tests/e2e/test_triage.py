"""The list and triage tools end to end: the installed `catena-mcp` over stdio and Streamable HTTP, reading
the simulator's generated week over real loopback HTTP."""

import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from inline_snapshot import external_file, snapshot
from mcp import Client

from catena_mcp.simulator import LIST_FAULT_ID, SimulatorHandle
from tests.e2e.helpers import LIST, MODES, TOOL, TRIAGE, connect, http_server, stdio_server, text_of

pytestmark = pytest.mark.anyio

# The throttling burst planted in the simulator's week (Samsara, 19 November 08:00-10:30 UTC).
BURST = {"since": "2026-11-19T06:00:00Z", "until": "2026-11-19T12:00:00Z"}
WEEK = {"since": "2026-11-14T00:00:00Z", "until": "2026-11-21T00:00:00Z"}  # 4,119 operations, 5 pages
LISTING = {**BURST, "source_name": "samsara", "status": "failed", "limit": 5}


async def answers(client: Client) -> dict[str, Any]:
    """The triage of the simulator's last day (Catena's default window) and a filtered listing."""
    triage = await client.call_tool(TRIAGE, {})
    listing = await client.call_tool(LIST, LISTING)
    assert (triage.is_error, listing.is_error) == (False, False)
    return {
        "triage": (text_of(triage), triage.structured_content),
        "list": (text_of(listing), listing.structured_content),
    }


def check(found: dict[str, Any]) -> None:
    """Whichever transport carried them, the answers are these."""
    triage_text, triage = found["triage"]
    list_text, listing = found["list"]
    assert triage_text == snapshot("""\
**167 of 570 operations failed or are pending (29.3%)** in the last 24 hours (Catena's default window): 8 patterns.

**Scanned:** 1 page, 570 operations, the whole window  \n\
**Attempts read:** 167 of 167 failing operations

| # | TSP | status | latest error | ops | share | resource · op | first → last (UTC) | fleets | example (operation · connection) |
|---|---|---|---|---|---|---|---|---|---|
| 1 | geotab | failed | auth (HTTP 401) | 90 | 15.8% | vehicle update 25, vehicle create 17, 8 other kinds | 11-20 06:33 → 11-20 23:38 | `acme-freight` | `73f0abb1-3848-5e7f-83aa-29b766134ff9` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c03` |
| 2 | zonar | pending | no attempt yet | 60 | 10.5% | vehicle update 18, user update 9, 7 other kinds | 11-20 09:05 → 11-20 23:37 | `bluewater-haulage` | `37a50e29-142c-5f3d-9725-ca28baf0f78a` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c04` |
| 3 | samsara | failed | tsp (HTTP 500) | 6 | 1.1% | vehicle update 3, fuel_transaction update 1, 2 other kinds | 11-20 02:42 → 11-20 23:09 | `acme-freight`, `northwind-logistics` (2 connections) | `f5076b9c-62ea-5b09-ae45-ee8ebbf20ad0` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c01` |
| 4 | motive | failed | tsp (HTTP 500) | 4 | 0.7% | message update 2, fuel_transaction update 1, 1 other kind | 11-20 12:17 → 11-20 18:17 | `northwind-logistics` | `fc7249cc-4dcf-5ed2-acc1-c7d3520a8b20` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c02` |
| 5 | motive | failed | validation (HTTP 422) | 4 | 0.7% | user create 4 | 11-20 11:09 → 11-20 15:58 | `northwind-logistics` | `f3d6b960-b970-58af-800d-655888117eb8` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c02` |
| 6 | geotab | failed | tsp (HTTP 500) | 1 | 0.2% | vehicle update 1 | 11-20 05:58 → 11-20 05:58 | `acme-freight` | `29911028-b4e3-5954-9fd9-cb62489932db` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c03` |
| 7 | motive | pending | no attempt yet | 1 | 0.2% | user create 1 | 11-20 23:59 → 11-20 23:59 | `northwind-logistics` | `15b01454-fec6-5823-8a4c-d709244c5d9f` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c02` |
| 8 | samsara | pending | no attempt yet | 1 | 0.2% | user update 1 | 11-20 23:57 → 11-20 23:57 | `acme-freight` | `a1217e7a-fa4c-5c91-a392-2273a0d8e20a` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c01` |

**Next steps:**
1. geotab rejects the credentials of connection `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c03` (`acme-freight`) (90 operations failed auth since 2026-11-20T06:33:55Z): the fleet must re-authorize the connection; every write fails until it does.
2. 60 operations to zonar pending with no attempt since 2026-11-20T09:05:09Z: Catena has not tried them; ask Catena support to check the queue of connection `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c04` (`bluewater-haulage`).
3. motive rejects payloads (4 operations, mostly user create): read the field errors of an example with get_resource_operation, fix the payloads, then issue the writes again.
4. 11 operations failed on TSP errors or timeouts (samsara, motive, geotab): usually transient on the TSP's side; issue the writes again once it recovers, and report it to the TSP if it lasts.
5. Open an example with get_resource_operation (connection_id and resource_operation_id from the table) for its attempts, request IDs to quote and rate-limit timing.\
""")
    assert triage == external_file("../golden/e2e_triage_last_day.json")
    assert list_text == snapshot("""\
**The 5 newest of 74 failed operations** in 2026-11-19T06:00:00Z → 2026-11-19T12:00:00Z.

**Scanned:** 1 page, 172 operations, the whole window

**Connections:** C1 = `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c01` (samsara)

| created (UTC) | status | TSP · resource · op | conn | operation ID | attempts · latest error |
|---|---|---|---|---|---|
| 2026-11-19 10:29:05 | failed | samsara · vehicle · update | C1 | `62f135be-ab78-541b-a697-031310e418fd` | - |
| 2026-11-19 10:23:29 | failed | samsara · user · update | C1 | `1b93c29b-6e4e-50cd-827d-8edba9021fbe` | - |
| 2026-11-19 10:21:52 | failed | samsara · vehicle · update | C1 | `a54ec036-9d71-5ac4-971e-3e1b13318330` | - |
| 2026-11-19 10:21:08 | failed | samsara · fuel_transaction · update | C1 | `9b7075bd-c1e6-5765-9c1f-c905212831a7` | - |
| 2026-11-19 10:20:39 | failed | samsara · fuel_transaction · update | C1 | `757e58e7-28f8-50f9-b580-cbf537a3359b` | - |

**Next:** 69 more match: raise limit, or continue with until=2026-11-19T10:20:39Z (same filters). Catena's list does not carry attempts: open an operation with get_resource_operation, or run triage_resource_operation_failures for the error patterns.\
""")
    assert listing == external_file("../golden/e2e_list_samsara_failed.json")
    assert len(triage_text) < 6000
    assert len(list_text) < 6000


@pytest.mark.parametrize(("mode", "protocol"), MODES)
async def test_both_tools_over_stdio(
    sim: SimulatorHandle, tmp_path: Path, mode: str | None, protocol: str
) -> None:
    async with stdio_server(sim, tmp_path, mode=mode) as client:
        assert client.protocol_version == protocol
        check(await answers(client))
    stats = sim.stats()
    assert (stats["list_requests"], stats["operation_requests"]) == snapshot((2, 167))


async def test_both_tools_over_streamable_http(sim: SimulatorHandle, tmp_path: Path) -> None:
    with http_server(sim, tmp_path, "streamable-http") as server:
        async with connect(f"{server.origin}/mcp", None) as client:
            check(await answers(client))
        server.assert_alive()


async def test_bad_filters_never_reach_catena(sim: SimulatorHandle, tmp_path: Path) -> None:
    bad: dict[str, dict[str, Any]] = {
        "naive": {"since": "2026-11-19T06:00:00"},
        "backwards": {"since": "2026-11-19T12:00:00Z", "until": "2026-11-19T06:00:00Z"},
        "too long": {"since": "2026-10-01T00:00:00Z", "until": "2026-11-19T00:00:00Z"},
        "source_id alone": {"source_id": "42"},
        "101 fleets": {"fleet_refs": [f"f{n}" for n in range(101)]},
    }
    async with stdio_server(sim, tmp_path) as client:
        for arguments in bad.values():
            for tool in (TRIAGE, LIST):
                result = await client.call_tool(tool, arguments)
                assert result.is_error is True, (tool, arguments)
                assert result.structured_content is None
    assert sim.stats() == snapshot(
        {"token_requests": 0, "operation_requests": 0, "list_requests": 0, "by_status": {}}
    )


async def test_a_429_mid_paging_is_waited_out(sim: SimulatorHandle, tmp_path: Path) -> None:
    sim.set_fault(LIST_FAULT_ID, {"rate_limit": {"retry_after": 0.5}, "after": 1, "times": 1})
    async with stdio_server(sim, tmp_path) as client:
        result = await client.call_tool(TRIAGE, WEEK)
    assert result.is_error is False, text_of(result)
    structured = result.structured_content
    assert structured is not None
    assert (structured["scanned"], structured["pages"], structured["stop"]) == (4119, 5, None)
    stats = sim.stats()
    assert (stats["list_requests"], stats["by_status"].get("429")) == (6, 1)  # 5 pages, one asked twice


async def test_progress_arrives_per_page_and_during_the_detail_fetches(
    sim: SimulatorHandle, tmp_path: Path
) -> None:
    seen: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total))

    async with stdio_server(sim, tmp_path) as client:
        result = await client.call_tool(TRIAGE, WEEK, progress_callback=on_progress)
    assert result.is_error is False
    progress = [value for value, _ in seen]
    assert progress == sorted(set(progress))  # strictly increasing
    assert seen[:5] == [(1, None), (2, None), (3, None), (4, None), (5, None)]  # one per page
    details = [total for _, total in seen[5:]]
    assert len(details) >= 2
    assert set(details) == {5 + 200}  # the total, once known: pages + detail fetches


async def test_cancellation_stops_paging_at_once(sim: SimulatorHandle, tmp_path: Path) -> None:
    # The first page answers; the second would take a minute.
    sim.set_fault(LIST_FAULT_ID, {"latency_seconds": 60, "after": 1})
    first_page = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        first_page.set()

    async with stdio_server(sim, tmp_path) as client:
        started = time.monotonic()
        async with anyio.create_task_group() as group:

            async def triage() -> None:
                await client.call_tool(TRIAGE, WEEK, progress_callback=on_progress)

            group.start_soon(triage)
            with anyio.fail_after(20):
                await first_page.wait()
            group.cancel_scope.cancel()
        # The server drops the held request: the simulator sees the disconnect and answers into the void.
        with anyio.fail_after(20):
            # token, page 1, the abandoned page 2 (the counters have no event to wait on)
            while sim.stats()["by_status"].get("200", 0) < 3:  # noqa: ASYNC110
                await anyio.sleep(0.05)
        assert time.monotonic() - started < 30
        # No further page was asked for, and the session still answers.
        ref = sim.operations["success_first_time"]
        arguments = {"connection_id": ref.connection_id, "resource_operation_id": ref.operation_id}
        assert (await client.call_tool(TOOL, arguments)).is_error is False
    assert sim.stats()["list_requests"] == 2
