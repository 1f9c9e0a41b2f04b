"""The list and triage tools in-process, against Catena's list endpoint faked at the HTTP layer."""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import pytest
from inline_snapshot import snapshot
from mcp import Client
from mcp.server import MCPServer

from catena_mcp.server.app import build_server
from catena_mcp.tools.catena.client import CatenaClient
from catena_mcp.tools.catena.filters import OperationFilters
from catena_mcp.tools.operation_scan import ProgressReporter, inspect_failing, scan_window
from tests.fakes import CLIENT_SECRET, NOW, TOKEN_URL, Sleeps, catena_error, make_client, make_settings

pytestmark = pytest.mark.anyio

LIST_PATH = "/v2/integrations/connections/resource-operations"
SAMSARA = "11111111-1111-4111-8111-111111111111"
GEOTAB = "22222222-2222-4222-8222-222222222222"
TRIAGE = "triage_resource_operation_failures"
LIST = "list_resource_operations"
WINDOW = {"since": "2026-11-20T00:00:00Z", "until": "2026-11-20T12:00:00+00:00"}

Reply = httpx.Response | list[dict[str, Any]] | Callable[[httpx.Request], httpx.Response]


def attempt(
    op_id: str, n: int, status: str, error_type: str | None, code: int, **headers: str
) -> dict[str, Any]:
    return {
        "id": f"{op_id[:-4]}{n:04d}",
        "created_at": f"2026-11-20T08:{n:02d}:00Z",
        "resource_operation_id": op_id,
        "status": status,
        "error_type": error_type,
        "error_details": None if status == "success" else f"{code} from the TSP",
        "response_status_code": code,
        "response_headers": {"X-Request-Id": f"req-{n}", **headers},
    }


def op(
    n: int, status: str, *, connection: str = SAMSARA, tsp: str = "samsara", **extra: Any
) -> dict[str, Any]:
    """Operation n (created at 2026-11-20T0n:00Z), without logs as the list endpoint sends it."""
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "created_at": f"2026-11-20T{n:02d}:00:00Z",
        "updated_at": f"2026-11-20T{n:02d}:05:00Z",
        "connection_id": connection,
        "fleet_ref": "acme" if connection == SAMSARA else "globex",
        "source_name": tsp,
        "resource": "vehicle",
        "operation_type": "update",
        "status": status,
        **extra,
    }


THROTTLED = [op(1, "failed"), op(2, "failed"), op(3, "success")]
REVOKED = [
    op(4, "failed", connection=GEOTAB, tsp="geotab", resource="user"),
    op(5, "pending", connection=GEOTAB, tsp="geotab"),
]


def with_logs(operation: dict[str, Any]) -> dict[str, Any]:
    op_id, n = operation["id"], int(operation["id"][-2:])
    if operation["source_name"] == "geotab":
        logs = [] if operation["status"] == "pending" else [attempt(op_id, n, "failed", "auth", 401)]
    elif operation["status"] == "failed":
        logs = [
            attempt(
                op_id,
                n,
                "failed",
                "tsp",
                429,
                **{"X-RateLimit-Limit": "150", "X-RateLimit-Remaining": "0", "Retry-After": "2"},
            )
        ]
    else:
        logs = [attempt(op_id, n, "success", None, 200)]
    return {**operation, "logs": logs}


@dataclass
class FakeListing:
    """Catena's token, list and detail endpoints. `pages` answer list requests in order; a list of items
    becomes a page whose `next_page` is `cursor-<k>` unless it is the last reply."""

    pages: list[Reply]
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if str(request.url) == TOKEN_URL:
            return httpx.Response(200, json={"access_token": "token-1", "expires_in": 3600})
        if request.url.path == LIST_PATH:
            reply = self.pages.pop(0)
            if isinstance(reply, list):
                cursor = None if not self.pages else f"cursor-{len(self.requests)}"
                return httpx.Response(200, json={"items": reply, "current_page": None, "next_page": cursor})
            return reply(request) if callable(reply) else reply
        operation_id = request.url.path.rsplit("/", 1)[-1]
        if operation_id in self.details:
            return httpx.Response(200, content=json.dumps(self.details[operation_id]).encode())
        return catena_error(404, "Not Found", "Resource operation not found")

    def log(self) -> list[str]:
        """Every request after the token, as `GET path?query` (details by operation number)."""
        lines = []
        for request in self.requests:
            if str(request.url) == TOKEN_URL:
                continue
            if request.url.path == LIST_PATH:
                lines.append(f"list {request.url.query.decode()}")
            else:
                lines.append(f"detail {int(request.url.path[-12:])}")
        return lines


def details(*operations: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {operation["id"]: with_logs(operation) for operation in operations}


async def call(
    fake: FakeListing, sleeps: Sleeps, tool: str, arguments: dict[str, Any], seen: list[Any] | None = None
) -> tuple[str, Any]:
    server: MCPServer[Any] = build_server(make_client(fake, sleeps), now=lambda: NOW)

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if seen is not None:
            seen.append((progress, total, message))

    async with Client(server) as client:
        result = await client.call_tool(tool, arguments, progress_callback=on_progress)
    dumped = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert CLIENT_SECRET not in str(dumped)
    (block,) = result.content
    assert block.type == "text"
    assert len(block.text) < 6000
    return block.text, result.structured_content if not result.is_error else "error"


async def test_triage_pages_until_the_cursor_ends_and_reads_the_failures(sleeps: Sleeps) -> None:
    fake = FakeListing(
        pages=[THROTTLED[:2], [], THROTTLED[2:] + REVOKED], details=details(*THROTTLED, *REVOKED)
    )
    progress: list[Any] = []
    text, structured = await call(
        fake, sleeps, TRIAGE, {**WINDOW, "fleet_refs": ["acme", "globex"]}, progress
    )
    assert text == snapshot("""\
**4 of 5 operations failed or are pending (80.0%)** in 2026-11-20T00:00:00Z → 2026-11-20T12:00:00Z: 3 patterns.

**Scanned:** 3 pages, 5 operations, the whole window  \n\
**Attempts read:** 4 of 4 failing operations

| # | TSP | status | latest error | ops | share | resource · op | first → last (UTC) | fleets | example (operation · connection) |
|---|---|---|---|---|---|---|---|---|---|
| 1 | samsara | failed | tsp (HTTP 429) | 2 | 40.0% | vehicle update 2 | 11-20 01:00 → 11-20 02:00 | `acme` | `00000000-0000-4000-8000-000000000002` · `11111111-1111-4111-8111-111111111111` |
| 2 | geotab | failed | auth (HTTP 401) | 1 | 20.0% | user update 1 | 11-20 04:00 → 11-20 04:00 | `globex` | `00000000-0000-4000-8000-000000000004` · `22222222-2222-4222-8222-222222222222` |
| 3 | geotab | pending | no attempt yet | 1 | 20.0% | vehicle update 1 | 11-20 05:00 → 11-20 05:00 | `globex` | `00000000-0000-4000-8000-000000000005` · `22222222-2222-4222-8222-222222222222` |

**Rate-limit headers, latest per TSP:**
- samsara at 2026-11-20T08:02:00Z: 0 of 150 left, retry from 2026-11-20T08:02:02Z

**Next steps:**
1. samsara throttled writes (HTTP 429, 2 operations, 11-20 01:00 → 11-20 02:00): pace writes to it and issue the failed ones again after the retry moment.
2. geotab rejects the credentials of connection `22222222-2222-4222-8222-222222222222` (`globex`) (1 operation failed auth since 2026-11-20T04:00:00Z): the fleet must re-authorize the connection; every write fails until it does.
3. 1 operation to geotab pending with no attempt since 2026-11-20T05:00:00Z: Catena has not tried them; ask Catena support to check the queue of connection `22222222-2222-4222-8222-222222222222` (`globex`).
4. Open an example with get_resource_operation (connection_id and resource_operation_id from the table) for its attempts, request IDs to quote and rate-limit timing.\
""")
    assert structured == snapshot(
        {
            "since": "2026-11-20T00:00:00Z",
            "until": "2026-11-20T12:00:00Z",
            "scanned": 5,
            "failing": 4,
            "pages": 3,
            "stop": None,
            "inspected": 4,
            "inspect_stop": None,
            "unreadable": 0,
            "patterns": [
                {
                    "tsp": "samsara",
                    "status": "failed",
                    "error": "error",
                    "error_type": "tsp",
                    "http": 429,
                    "count": 2,
                    "share": 0.4,
                    "first": "2026-11-20T01:00:00Z",
                    "last": "2026-11-20T02:00:00Z",
                    "kinds": [{"resource": "vehicle", "op": "update", "count": 2}],
                    "kinds_omitted": 0,
                    "connections": 1,
                    "fleets": ["acme"],
                    "examples": [
                        {
                            "connection_id": "11111111-1111-4111-8111-111111111111",
                            "id": "00000000-0000-4000-8000-000000000002",
                        },
                        {
                            "connection_id": "11111111-1111-4111-8111-111111111111",
                            "id": "00000000-0000-4000-8000-000000000001",
                        },
                    ],
                },
                {
                    "tsp": "geotab",
                    "status": "failed",
                    "error": "error",
                    "error_type": "auth",
                    "http": 401,
                    "count": 1,
                    "share": 0.2,
                    "first": "2026-11-20T04:00:00Z",
                    "last": "2026-11-20T04:00:00Z",
                    "kinds": [{"resource": "user", "op": "update", "count": 1}],
                    "kinds_omitted": 0,
                    "connections": 1,
                    "fleets": ["globex"],
                    "examples": [
                        {
                            "connection_id": "22222222-2222-4222-8222-222222222222",
                            "id": "00000000-0000-4000-8000-000000000004",
                        }
                    ],
                },
                {
                    "tsp": "geotab",
                    "status": "pending",
                    "error": "no_attempts",
                    "error_type": None,
                    "http": None,
                    "count": 1,
                    "share": 0.2,
                    "first": "2026-11-20T05:00:00Z",
                    "last": "2026-11-20T05:00:00Z",
                    "kinds": [{"resource": "vehicle", "op": "update", "count": 1}],
                    "kinds_omitted": 0,
                    "connections": 1,
                    "fleets": ["globex"],
                    "examples": [
                        {
                            "connection_id": "22222222-2222-4222-8222-222222222222",
                            "id": "00000000-0000-4000-8000-000000000005",
                        }
                    ],
                },
            ],
            "patterns_omitted": 0,
            "operations_omitted": 0,
            "rate_limits": [
                {
                    "tsp": "samsara",
                    "observed_at": "2026-11-20T08:02:00Z",
                    "operation_id": "00000000-0000-4000-8000-000000000002",
                    "limit": 150,
                    "remaining": 0,
                    "reset_at": None,
                    "retry_at": "2026-11-20T08:02:02Z",
                }
            ],
            "next_steps": [
                "samsara throttled writes (HTTP 429, 2 operations, 11-20 01:00 → 11-20 02:00): pace writes to it and issue the failed ones again after the retry moment.",
                "geotab rejects the credentials of connection `22222222-2222-4222-8222-222222222222` (`globex`) (1 operation failed auth since 2026-11-20T04:00:00Z): the fleet must re-authorize the connection; every write fails until it does.",
                "1 operation to geotab pending with no attempt since 2026-11-20T05:00:00Z: Catena has not tried them; ask Catena support to check the queue of connection `22222222-2222-4222-8222-222222222222` (`globex`).",
                "Open an example with get_resource_operation (connection_id and resource_operation_id from the table) for its attempts, request IDs to quote and rate-limit timing.",
            ],
        }
    )
    assert fake.log() == snapshot(
        [
            "list fleet_refs=acme&fleet_refs=globex&from_datetime=2026-11-20T00%3A00%3A00%2B00%3A00&to_datetime=2026-11-20T12%3A00%3A00%2B00%3A00&size=1000",
            "list fleet_refs=acme&fleet_refs=globex&from_datetime=2026-11-20T00%3A00%3A00%2B00%3A00&to_datetime=2026-11-20T12%3A00%3A00%2B00%3A00&size=1000&cursor=cursor-2",
            "list fleet_refs=acme&fleet_refs=globex&from_datetime=2026-11-20T00%3A00%3A00%2B00%3A00&to_datetime=2026-11-20T12%3A00%3A00%2B00%3A00&size=1000&cursor=cursor-3",
            "detail 5",
            "detail 4",
            "detail 2",
            "detail 1",
        ]
    )
    # At least one notification per page and during the detail fetches, never going down.
    assert progress == snapshot(
        [
            (1, None, "Read 1 page: 2 operations"),
            (2, None, "Read 2 pages: 2 operations"),
            (3, None, "Read 3 pages: 5 operations"),
            (7, 7, "Read the attempts of 4/4 operations"),
        ]
    )
    assert [value for value, _, _ in progress] == sorted({value for value, _, _ in progress})


async def test_list_is_newest_first_whatever_order_catena_pages_in(sleeps: Sleeps) -> None:
    fake = FakeListing(pages=[THROTTLED, REVOKED])
    text, structured = await call(fake, sleeps, LIST, {**WINDOW, "status": "not_success", "limit": 3})
    assert text == snapshot("""\
**The 3 newest of 4 failed or pending operations** in 2026-11-20T00:00:00Z → 2026-11-20T12:00:00Z.

**Scanned:** 2 pages, 5 operations, the whole window

**Connections:** C1 = `22222222-2222-4222-8222-222222222222` (geotab) · C2 = `11111111-1111-4111-8111-111111111111` (samsara)

| created (UTC) | status | TSP · resource · op | conn | operation ID | attempts · latest error |
|---|---|---|---|---|---|
| 2026-11-20 05:00:00 | pending | geotab · vehicle · update | C1 | `00000000-0000-4000-8000-000000000005` | - |
| 2026-11-20 04:00:00 | failed | geotab · user · update | C1 | `00000000-0000-4000-8000-000000000004` | - |
| 2026-11-20 02:00:00 | failed | samsara · vehicle · update | C2 | `00000000-0000-4000-8000-000000000002` | - |

**Next:** 1 more match: raise limit, or continue with until=2026-11-20T02:00:00Z (same filters). Catena's list does not carry attempts: open an operation with get_resource_operation, or run triage_resource_operation_failures for the error patterns.\
""")
    assert structured == snapshot(
        {
            "since": "2026-11-20T00:00:00Z",
            "until": "2026-11-20T12:00:00Z",
            "status": "not_success",
            "scanned": 5,
            "matched": 4,
            "pages": 2,
            "stop": None,
            "unreadable": 0,
            "rows": [
                {
                    "id": "00000000-0000-4000-8000-000000000005",
                    "connection_id": "22222222-2222-4222-8222-222222222222",
                    "tsp": "geotab",
                    "resource": "vehicle",
                    "op": "update",
                    "status": "pending",
                    "attempts": None,
                    "error_type": None,
                    "http": None,
                    "created": "2026-11-20T05:00:00Z",
                    "updated": "2026-11-20T05:05:00Z",
                },
                {
                    "id": "00000000-0000-4000-8000-000000000004",
                    "connection_id": "22222222-2222-4222-8222-222222222222",
                    "tsp": "geotab",
                    "resource": "user",
                    "op": "update",
                    "status": "failed",
                    "attempts": None,
                    "error_type": None,
                    "http": None,
                    "created": "2026-11-20T04:00:00Z",
                    "updated": "2026-11-20T04:05:00Z",
                },
                {
                    "id": "00000000-0000-4000-8000-000000000002",
                    "connection_id": "11111111-1111-4111-8111-111111111111",
                    "tsp": "samsara",
                    "resource": "vehicle",
                    "op": "update",
                    "status": "failed",
                    "attempts": None,
                    "error_type": None,
                    "http": None,
                    "created": "2026-11-20T02:00:00Z",
                    "updated": "2026-11-20T02:05:00Z",
                },
            ],
            "omitted": 1,
        }
    )
    assert fake.log() == snapshot(
        [
            "list from_datetime=2026-11-20T00%3A00%3A00%2B00%3A00&to_datetime=2026-11-20T12%3A00%3A00%2B00%3A00&size=1000",
            "list from_datetime=2026-11-20T00%3A00%3A00%2B00%3A00&to_datetime=2026-11-20T12%3A00%3A00%2B00%3A00&size=1000&cursor=cursor-2",
        ]
    )


async def test_list_items_that_carry_logs_are_used_as_they_are(sleeps: Sleeps) -> None:
    fake = FakeListing(pages=[[with_logs(operation) for operation in THROTTLED]])
    text, structured = await call(fake, sleeps, TRIAGE, WINDOW)
    assert fake.log() == snapshot(
        [
            "list from_datetime=2026-11-20T00%3A00%3A00%2B00%3A00&to_datetime=2026-11-20T12%3A00%3A00%2B00%3A00&size=1000"
        ]
    )
    assert structured["inspected"] == 2
    assert text.splitlines()[0] == snapshot(
        "**2 of 3 operations failed or are pending (66.7%)** in 2026-11-20T00:00:00Z → 2026-11-20T12:00:00Z: 1 pattern."
    )


async def test_a_short_429_mid_paging_is_waited_out(sleeps: Sleeps) -> None:
    throttled = catena_error(
        429, "Too Many Requests", {"retry_after_seconds": 1, "message": "slow down"}, **{"Retry-After": "1"}
    )
    fake = FakeListing(pages=[THROTTLED[:2], throttled, THROTTLED[2:]], details=details(*THROTTLED))
    _, structured = await call(fake, sleeps, TRIAGE, WINDOW)
    assert sleeps.waits == [1.0]
    assert (structured["pages"], structured["stop"], structured["scanned"]) == (2, None, 3)
    assert fake.log() == snapshot(
        [
            "list from_datetime=2026-11-20T00%3A00%3A00%2B00%3A00&to_datetime=2026-11-20T12%3A00%3A00%2B00%3A00&size=1000",
            "list from_datetime=2026-11-20T00%3A00%3A00%2B00%3A00&to_datetime=2026-11-20T12%3A00%3A00%2B00%3A00&size=1000&cursor=cursor-2",
            "list from_datetime=2026-11-20T00%3A00%3A00%2B00%3A00&to_datetime=2026-11-20T12%3A00%3A00%2B00%3A00&size=1000&cursor=cursor-2",
            "detail 2",
            "detail 1",
        ]
    )


async def test_a_long_429_mid_paging_stops_the_scan_with_what_was_read(sleeps: Sleeps) -> None:
    throttled = catena_error(429, "Too Many Requests", None, **{"Retry-After": "120"})
    fake = FakeListing(pages=[THROTTLED[:2], throttled], details=details(*THROTTLED))
    text, structured = await call(fake, sleeps, TRIAGE, WINDOW)
    assert sleeps.waits == []
    assert text == snapshot("""\
**2 of 2 operations failed or are pending (100.0%)** in 2026-11-20T00:00:00Z → 2026-11-20T12:00:00Z: 1 pattern.

**Scanned:** 1 page, 2 operations: **stopped early at Catena's rate limit (HTTP 429)**, more operations exist  \n\
**Attempts read:** 2 of 2 failing operations

| # | TSP | status | latest error | ops | share | resource · op | first → last (UTC) | fleets | example (operation · connection) |
|---|---|---|---|---|---|---|---|---|---|
| 1 | samsara | failed | tsp (HTTP 429) | 2 | 100.0% | vehicle update 2 | 11-20 01:00 → 11-20 02:00 | `acme` | `00000000-0000-4000-8000-000000000002` · `11111111-1111-4111-8111-111111111111` |

**Rate-limit headers, latest per TSP:**
- samsara at 2026-11-20T08:02:00Z: 0 of 150 left, retry from 2026-11-20T08:02:02Z

**Next steps:**
1. samsara throttled writes (HTTP 429, 2 operations, 11-20 01:00 → 11-20 02:00): pace writes to it and issue the failed ones again after the retry moment.
2. The scan stopped at Catena's rate limit (HTTP 429): narrow since/until or add filters to cover the whole window.
3. Open an example with get_resource_operation (connection_id and resource_operation_id from the table) for its attempts, request IDs to quote and rate-limit timing.\
""")
    assert (structured["stop"], structured["next_steps"][-2]) == snapshot(
        (
            "rate_limited",
            "The scan stopped at Catena's rate limit (HTTP 429): narrow since/until or add filters to cover the whole window.",
        )
    )


async def test_a_429_on_the_first_page_is_the_answer(sleeps: Sleeps) -> None:
    fake = FakeListing(pages=[catena_error(429, "Too Many Requests", None, **{"Retry-After": "120"})])
    assert await call(fake, sleeps, LIST, {}) == snapshot(
        (
            "Catena is rate-limiting this client (HTTP 429): retry after 120 s (at 12:02:00Z). Avoid calling the tool in a loop.",
            "error",
        )
    )


async def test_filters_catena_rejects_are_named(sleeps: Sleeps) -> None:
    rejected = catena_error(
        422,
        "Invalid Request Body",
        [
            {
                "path": "query.resource",
                "input": "spaceship",
                "message": "Input should be 'asset', 'vehicle' or 'user'",
                "error_type": "literal_error",
            }
        ],
    )
    fake = FakeListing(pages=[rejected])
    assert await call(fake, sleeps, TRIAGE, {"resource": "spaceship"}) == snapshot(
        (
            "Catena rejected the filters (HTTP 422): check resource, source_name and the time window. Fields rejected: `query.resource`: `Input should be 'asset', 'vehicle' or 'user'`.",
            "error",
        )
    )


async def test_a_quiet_window_says_so(sleeps: Sleeps) -> None:
    fake = FakeListing(pages=[[op(3, "success")], []])
    assert await call(fake, sleeps, TRIAGE, WINDOW) == snapshot(
        (
            """\
**Nothing failing:** the one operation in 2026-11-20T00:00:00Z → 2026-11-20T12:00:00Z succeeded.

**Scanned:** 2 pages, 1 operation, the whole window\
""",
            {
                "since": "2026-11-20T00:00:00Z",
                "until": "2026-11-20T12:00:00Z",
                "scanned": 1,
                "failing": 0,
                "pages": 2,
                "stop": None,
                "inspected": 0,
                "inspect_stop": None,
                "unreadable": 0,
                "patterns": [],
                "patterns_omitted": 0,
                "operations_omitted": 0,
                "rate_limits": [],
                "next_steps": [],
            },
        )
    )
    empty = FakeListing(pages=[[]])
    assert (await call(empty, sleeps, TRIAGE, {}))[0] == snapshot("""\
**No operations** in the last 24 hours (Catena's default window): widen the window with since/until, or loosen the filters.

**Scanned:** 1 page, 0 operations, the whole window\
""")
    assert empty.log() == snapshot(["list size=1000"])


BAD_ARGUMENTS: dict[str, dict[str, Any]] = {
    "naive since": {"since": "2026-11-20T00:00:00"},
    "not a datetime": {"since": "yesterday"},
    "until before since": {"since": "2026-11-20T12:00:00Z", "until": "2026-11-20T00:00:00Z"},
    "46 days": {"since": "2026-10-01T00:00:00Z", "until": "2026-11-16T00:00:00Z"},
    "since long ago": {"since": "2026-09-01T00:00:00Z"},
    "source_id alone": {"source_id": "281474976710656"},
    "101 fleets": {"fleet_refs": [f"fleet-{n}" for n in range(101)]},
    "bad connection": {"connection_id": "../../etc/passwd"},
    "bad TSP name": {"source_name": "Samsara; DROP"},
    "bad operation type": {"operation_type": "delete"},
    "limit 0": {"limit": 0},
    "limit 101": {"limit": 101},
    "unknown status": {"status": "broken"},
}


async def test_bad_arguments_never_reach_catena(sleeps: Sleeps) -> None:
    answers = {}
    for case, arguments in BAD_ARGUMENTS.items():
        fake = FakeListing(pages=[])
        text, structured = await call(fake, sleeps, LIST, arguments)
        assert structured == "error"
        assert fake.requests == [], case
        # The pydantic version in its help links is not part of what this test pins down.
        answers[case] = re.sub(r"errors\.pydantic\.dev/[0-9.]+/", "errors.pydantic.dev/VERSION/", text)
    assert answers == snapshot(
        {
            "naive since": "Invalid arguments: since (`2026-11-20T00:00:00`) has no time zone; add one, like 2026-11-19T08:00:00Z or +02:00.",
            "not a datetime": "Invalid arguments: since (`yesterday`) is not an ISO 8601 datetime; write it like 2026-11-19T08:00:00Z.",
            "until before since": "Invalid arguments: until must be after since (since `2026-11-20T12:00:00Z`, until `2026-11-20T00:00:00Z`).",
            "46 days": "Invalid arguments: the window from since to until is longer than Catena's 45 days.",
            "since long ago": "Invalid arguments: since is more than 45 days ago; give until too (at most 45 days after since).",
            "source_id alone": "Invalid arguments: source_id needs resource too (a TSP's record ID is unique per resource).",
            "101 fleets": """\
Error executing tool list_resource_operations: 1 validation error for list_resource_operationsArguments
fleet_refs
  List should have at most 100 items after validation, not 101 [type=too_long, input_value=['fleet-0', 'fleet-1', 'f...'fleet-99', 'fleet-100'], input_type=list]
    For further information visit https://errors.pydantic.dev/VERSION/v/too_long\
""",
            "bad connection": """\
Error executing tool list_resource_operations: 1 validation error for list_resource_operationsArguments
connection_id
  Input should be a valid UUID, invalid character: found `.` at 0 [type=uuid_parsing, input_value='../../etc/passwd', input_type=str]
    For further information visit https://errors.pydantic.dev/VERSION/v/uuid_parsing\
""",
            "bad TSP name": """\
Error executing tool list_resource_operations: 1 validation error for list_resource_operationsArguments
source_name
  String should match pattern '^[a-z0-9_]{1,64}$' [type=string_pattern_mismatch, input_value='Samsara; DROP', input_type=str]
    For further information visit https://errors.pydantic.dev/VERSION/v/string_pattern_mismatch\
""",
            "bad operation type": """\
Error executing tool list_resource_operations: 1 validation error for list_resource_operationsArguments
operation_type
  Input should be 'create' or 'update' [type=literal_error, input_value='delete', input_type=str]
    For further information visit https://errors.pydantic.dev/VERSION/v/literal_error\
""",
            "limit 0": """\
Error executing tool list_resource_operations: 1 validation error for list_resource_operationsArguments
limit
  Input should be greater than or equal to 1 [type=greater_than_equal, input_value=0, input_type=int]
    For further information visit https://errors.pydantic.dev/VERSION/v/greater_than_equal\
""",
            "limit 101": """\
Error executing tool list_resource_operations: 1 validation error for list_resource_operationsArguments
limit
  Input should be less than or equal to 100 [type=less_than_equal, input_value=101, input_type=int]
    For further information visit https://errors.pydantic.dev/VERSION/v/less_than_equal\
""",
            "unknown status": """\
Error executing tool list_resource_operations: 1 validation error for list_resource_operationsArguments
status
  Input should be 'failed', 'pending', 'success' or 'not_success' [type=literal_error, input_value='broken', input_type=str]
    For further information visit https://errors.pydantic.dev/VERSION/v/literal_error\
""",
        }
    )


async def test_the_page_cap_stops_an_endless_cursor_and_says_so(sleeps: Sleeps) -> None:
    endless = FakeListing(pages=[[op(1, "success")] for _ in range(30)])
    text, structured = await call(endless, sleeps, TRIAGE, WINDOW)
    assert (structured["pages"], structured["stop"]) == (20, "page_cap")
    assert len(endless.log()) == 20
    assert text.splitlines()[2] == snapshot(
        "**Scanned:** 20 pages, 20 operations: **stopped early at the page cap**, more operations exist"
    )


async def test_the_time_budgets_cut_paging_and_fetching_short(sleeps: Sleeps) -> None:
    fake = FakeListing(pages=[THROTTLED, []], details=details(*THROTTLED))
    never = anyio.Event()

    async def first_page_then_silence(request: httpx.Request) -> httpx.Response:
        if str(request.url) != TOKEN_URL and fake.log():
            fake.requests.append(request)
            await never.wait()
        return fake(request)

    async def ignore(progress: float, total: float | None, message: str | None) -> None:
        return None

    catena = CatenaClient(
        make_settings().client_config(),
        transport=httpx.MockTransport(first_page_then_silence),
        sleep=sleeps,
        clock=sleeps.monotonic,
    )
    reporter = ProgressReporter(ignore)
    async with catena:
        with anyio.fail_after(10):
            scan = await scan_window(catena, OperationFilters(), reporter, budget=0.5)
            assert (scan.pages, scan.stop, len(scan.rows)) == (1, "time_budget", 3)
            await inspect_failing(catena, scan, reporter, deadline=anyio.current_time() + 0.5)
    assert (scan.fetched, scan.detail_stop) == (0, "time_budget")
    assert fake.log() == snapshot(
        ["list size=1000", "list size=1000&cursor=cursor-2", "detail 2", "detail 1"]
    )


async def test_a_broken_item_costs_itself_and_a_broken_page_is_an_error(sleeps: Sleeps) -> None:
    broken = {key: value for key, value in op(2, "failed").items() if key != "id"}
    drifted = {**op(1, "failed"), "updated_at": "yesterday-ish"}  # an optional field drifted: kept
    fake = FakeListing(pages=[[drifted, broken, op(3, "success")]], details=details(op(1, "failed")))
    text, structured = await call(fake, sleeps, TRIAGE, WINDOW)
    assert (structured["scanned"], structured["unreadable"]) == (2, 1)
    assert text.splitlines()[2:5] == snapshot(
        [
            "**Scanned:** 1 page, 2 operations, the whole window  ",
            "**Attempts read:** 1 of 1 failing operations  ",
            "**Unreadable items:** 1 (left out)",
        ]
    )
    html = FakeListing(pages=[httpx.Response(200, text="<html>maintenance</html>")])
    assert await call(html, sleeps, LIST, WINDOW) == snapshot(
        (
            "Catena's reply could not be read (not JSON). The provisional endpoint may have changed shape: upgrade catena-mcp, or report it with the IDs you used.",
            "error",
        )
    )


async def test_a_long_429_while_reading_attempts_stops_the_reading(sleeps: Sleeps) -> None:
    throttled = catena_error(429, "Too Many Requests", None, **{"Retry-After": "120"})
    fake = FakeListing(pages=[THROTTLED], details={})
    fake.details = {operation["id"]: with_logs(operation) for operation in THROTTLED}
    original = fake.__call__

    def details_throttled(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(THROTTLED[1]["id"]):  # the newest failing one, read first
            fake.requests.append(request)
            return throttled
        return original(request)

    server: MCPServer[Any] = build_server(make_client(details_throttled, sleeps), now=lambda: NOW)
    async with Client(server) as client:
        result = await client.call_tool(TRIAGE, WINDOW)
    structured = result.structured_content
    assert structured is not None
    # The other fetch, already in flight, may or may not land first.
    assert structured["inspected"] in (0, 1)
    assert structured["inspect_stop"] == "rate_limited"
    (block,) = result.content
    assert block.type == "text"
    assert block.text.splitlines()[3].endswith(", cut by Catena's rate limit (HTTP 429)")
