"""The simulator's list endpoint and its generated history, over real loopback HTTP."""

import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from inline_snapshot import snapshot

from catena_mcp.simulator import SimulatorHandle, running_simulator
from catena_mcp.simulator.faults import EVERY_OPERATION_FAULT_ID, LIST_FAULT_ID
from catena_mcp.simulator.history import (
    GEOTAB_ACME,
    HISTORY_END,
    HISTORY_START,
    MOTIVE_NORTHWIND,
    SAMSARA_ACME,
    generate_history,
)
from tests.test_simulator import bearer

pytestmark = pytest.mark.anyio

LIST = "/v2/integrations/connections/resource-operations"
WEEK = {"from_datetime": HISTORY_START.isoformat(), "to_datetime": HISTORY_END.isoformat()}


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def shared_sim() -> AsyncIterator[SimulatorHandle]:
    async with running_simulator() as sim:
        yield sim


@pytest.fixture
def sim(shared_sim: SimulatorHandle) -> SimulatorHandle:
    shared_sim.reset()
    shared_sim.clear_faults()
    return shared_sim


@pytest.fixture
async def client(sim: SimulatorHandle) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=10) as client:
        client.headers.update(await bearer(client))
        yield client


async def all_pages(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    pages = []
    cursor = None
    for _ in range(100):
        page = (await client.get(LIST, params={**params, **({"cursor": cursor} if cursor else {})})).json()
        pages.append(page)
        cursor = page["next_page"]
        if cursor is None:
            return pages
    raise AssertionError("the cursor never ended")


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def summary(operations: list[dict[str, Any]]) -> dict[str, int]:
    """How many operations per TSP, fleet, status and last attempt's error: where the patterns show."""
    counts: Counter[str] = Counter()
    for op in operations:
        last = op["logs"][-1] if op["logs"] else {}
        error = (
            f"{last.get('error_type')} {last.get('response_status_code')}" if last.get("error_type") else ""
        )
        counts[f"{op['source_name']} {op['fleet_ref']} {op['status']} {error}".strip()] += 1
    return dict(sorted(counts.items()))


def test_the_generated_week_holds_the_planted_patterns() -> None:
    history = list(generate_history())
    assert summary(history) == snapshot(
        {
            "geotab acme-freight failed auth 401": 90,
            "geotab acme-freight failed tsp 500": 6,
            "geotab acme-freight success": 571,
            "motive northwind-logistics failed tsp 500": 11,
            "motive northwind-logistics failed validation 422": 46,
            "motive northwind-logistics pending": 1,
            "motive northwind-logistics success": 781,
            "samsara acme-freight failed tsp 429": 74,
            "samsara acme-freight failed tsp 500": 20,
            "samsara acme-freight pending": 1,
            "samsara acme-freight success": 1516,
            "samsara northwind-logistics failed tsp 500": 6,
            "samsara northwind-logistics success": 496,
            "zonar bluewater-haulage failed tsp 500": 7,
            "zonar bluewater-haulage pending": 60,
            "zonar bluewater-haulage success": 433,
        }
    )
    assert [op["created_at"] for op in history] == sorted(op["created_at"] for op in history)
    assert generate_history.__wrapped__() == generate_history()


async def test_paging_visits_every_operation_once_oldest_first(client: httpx.AsyncClient) -> None:
    pages = await all_pages(client, size=1000, **WEEK)
    items = [item for page in pages for item in page["items"]]
    assert [len(page["items"]) for page in pages] == snapshot([1000, 1000, 1000, 1000, 119])
    assert ids(items) == ids(list(generate_history()))
    assert all("logs" not in item for item in items)
    assert pages[0]["previous_page"] is None
    assert all(page["previous_page"] for page in pages[1:])


async def test_cursors_page_backwards_and_replay_a_page(client: httpx.AsyncClient) -> None:
    first, second = (await all_pages(client, size=400, **WEEK))[:2]
    back = (await client.get(LIST, params={**WEEK, "size": 400, "cursor": second["previous_page"]})).json()
    assert ids(back["items"]) == ids(first["items"])
    again = (await client.get(LIST, params={**WEEK, "size": 400, "cursor": second["current_page"]})).json()
    assert again == second
    backwards = second["current_page_backwards"]
    replayed = (await client.get(LIST, params={**WEEK, "size": 400, "cursor": backwards})).json()
    assert ids(replayed["items"]) == ids(second["items"])


async def test_the_default_window_is_the_last_day_of_the_simulated_clock(client: httpx.AsyncClient) -> None:
    pages = await all_pages(client)
    items = [item for page in pages for item in page["items"]]
    assert [len(page["items"]) for page in pages] == snapshot([300, 270])
    last_day = [op for op in generate_history() if op["created_at"] >= "2026-11-20T00:00:00Z"]
    assert ids(items) == ids(last_day)


async def test_filters_narrow_and_status_is_not_one_of_them(client: httpx.AsyncClient) -> None:
    async def count(**params: Any) -> int:
        return sum(len(page["items"]) for page in await all_pages(client, size=1000, **WEEK, **params))

    counts = {
        "connection": await count(connection_id=GEOTAB_ACME.connection_id),
        "tsp": await count(source_name="samsara"),
        "resource + operation": await count(resource="user", operation="create"),
        "two fleets": await count(fleet_refs=["acme-freight", "bluewater-haulage"]),
        "unknown fleet": await count(fleet_refs=["nobody"]),
        "status is ignored": await count(status="failed"),
    }
    assert counts == snapshot(
        {
            "connection": 667,
            "tsp": 2113,
            "resource + operation": 343,
            "two fleets": 2778,
            "unknown fleet": 0,
            "status is ignored": 4119,
        }
    )
    succeeded = next(op for op in generate_history() if op["connection_id"] == MOTIVE_NORTHWIND.connection_id)
    record = {"resource": succeeded["resource"], "source_id": succeeded["source_id"]}
    pages = await all_pages(client, **WEEK, **record)
    same_record = [op for op in generate_history() if {k: op[k] for k in record} == record]
    assert ids(pages[0]["items"]) == ids(same_record)
    assert len(same_record) == snapshot(3)


async def test_an_empty_window_is_one_empty_page(client: httpx.AsyncClient) -> None:
    page = (
        await client.get(
            LIST, params={"from_datetime": "2026-10-01T00:00:00Z", "to_datetime": "2026-10-02T00:00:00Z"}
        )
    ).json()
    assert page == snapshot(
        {
            "items": [],
            "current_page": None,
            "current_page_backwards": None,
            "previous_page": None,
            "next_page": None,
        }
    )


async def test_listed_operations_are_served_with_their_logs(client: httpx.AsyncClient) -> None:
    page = (
        await client.get(LIST, params={"connection_id": SAMSARA_ACME.connection_id, **WEEK, "size": 1})
    ).json()
    (item,) = page["items"]
    detail = await client.get(
        f"/v2/integrations/connections/{item['connection_id']}/resource-operations/{item['id']}"
    )
    assert detail.status_code == 200
    assert detail.json() == {
        **item,
        "logs": next(op["logs"] for op in generate_history() if op["id"] == item["id"]),
    }
    assert len(detail.json()["logs"]) >= 1


async def test_bad_queries_are_refused_in_catenas_shape(client: httpx.AsyncClient) -> None:
    cases: dict[str, dict[str, Any]] = {
        "size 0": {"size": 0},
        "size 1001": {"size": 1001},
        "bad types": {
            "size": "ten",
            "connection_id": "conn-1",
            "operation": "delete",
            "from_datetime": "yesterday",
        },
        "unknown resource": {"resource": "spaceship"},
        "101 fleets": {"fleet_refs": [f"f{n}" for n in range(101)]},
        "source_id alone": {"source_id": "281474976710656"},
        "46 days": {"from_datetime": "2026-10-01T00:00:00Z", "to_datetime": "2026-11-16T00:00:00+00:00"},
        "backwards": {"from_datetime": "2026-11-20T00:00:00Z", "to_datetime": "2026-11-19T00:00:00Z"},
        "from too old for the default end": {"from_datetime": "2026-10-01T00:00:00Z"},
        "bad cursor": {"cursor": "not a cursor"},
    }
    answers = {}
    for case, params in cases.items():
        response = await client.get(LIST, params=params)
        body = response.json()
        if case == "101 fleets":
            body["detail"][0]["input"] = f"<{len(body['detail'][0]['input'])} values>"
        answers[case] = (response.status_code, body)
    assert answers == snapshot(
        {
            "size 0": (
                422,
                {
                    "code": 422,
                    "message": "Invalid Request Body",
                    "detail": [
                        {
                            "path": "query.size",
                            "input": "0",
                            "message": "Input should be greater than or equal to 1",
                            "error_type": "greater_than_equal",
                        }
                    ],
                },
            ),
            "size 1001": (
                422,
                {
                    "code": 422,
                    "message": "Invalid Request Body",
                    "detail": [
                        {
                            "path": "query.size",
                            "input": "1001",
                            "message": "Input should be less than or equal to 1000",
                            "error_type": "less_than_equal",
                        }
                    ],
                },
            ),
            "bad types": (
                422,
                {
                    "code": 422,
                    "message": "Invalid Request Body",
                    "detail": [
                        {
                            "path": "query.connection_id",
                            "input": "conn-1",
                            "message": "Input should be a valid UUID, invalid character: found `o` at 1",
                            "error_type": "uuid_parsing",
                        },
                        {
                            "path": "query.operation",
                            "input": "delete",
                            "message": "Input should be 'create' or 'update'",
                            "error_type": "literal_error",
                        },
                        {
                            "path": "query.from_datetime",
                            "input": "yesterday",
                            "message": "Input should be a valid datetime or date, input is too short",
                            "error_type": "datetime_from_date_parsing",
                        },
                        {
                            "path": "query.size",
                            "input": "ten",
                            "message": "Input should be a valid integer, unable to parse string as an integer",
                            "error_type": "int_parsing",
                        },
                    ],
                },
            ),
            "unknown resource": (
                422,
                {
                    "code": 422,
                    "message": "Invalid Request Body",
                    "detail": [
                        {
                            "path": "query.resource",
                            "input": "spaceship",
                            "message": "Input should be 'asset', 'driver_association', 'driver_vehicle_association', 'driver_event_log', 'driver_safety_event', 'dvir_log', 'dvir_log_defect', 'engine_log', 'engine_status', 'fuel_transaction', 'fleet_info', 'hos_availability', 'hos_daily_snapshot', 'hos_event', 'hos_event_annotation', 'hos_event_attachment', 'hos_violation', 'ifta_summary', 'location_segment', 'message', 'group_message', 'user', 'vehicle', 'vehicle_location', 'vehicle_sensor', 'vehicle_region_segment', 'trailer', 'trailer_association', 'trailer_vehicle_association' or 'trailer_location'",
                            "error_type": "literal_error",
                        }
                    ],
                },
            ),
            "101 fleets": (
                422,
                {
                    "code": 422,
                    "message": "Invalid Request Body",
                    "detail": [
                        {
                            "path": "query.fleet_refs",
                            "input": "<101 values>",
                            "message": "List should have at most 100 items after validation, not 101",
                            "error_type": "too_long",
                        }
                    ],
                },
            ),
            "source_id alone": (
                422,
                {
                    "code": 422,
                    "message": "Invalid Request Body",
                    "detail": [
                        {
                            "path": "query.source_id",
                            "input": "281474976710656",
                            "message": "Value error, source_id requires resource",
                            "error_type": "value_error",
                        }
                    ],
                },
            ),
            "46 days": (
                422,
                {
                    "code": 422,
                    "message": "Invalid Request Body",
                    "detail": [
                        {
                            "path": "query.to_datetime",
                            "input": "2026-11-16T00:00:00+00:00",
                            "message": "Value error, the window from from_datetime to to_datetime must not exceed 45 days",
                            "error_type": "value_error",
                        }
                    ],
                },
            ),
            "backwards": (
                422,
                {
                    "code": 422,
                    "message": "Invalid Request Body",
                    "detail": [
                        {
                            "path": "query.to_datetime",
                            "input": "2026-11-19T00:00:00Z",
                            "message": "Value error, to_datetime must be after from_datetime",
                            "error_type": "value_error",
                        }
                    ],
                },
            ),
            "from too old for the default end": (
                422,
                {
                    "code": 422,
                    "message": "Invalid Request Body",
                    "detail": [
                        {
                            "path": "query.from_datetime",
                            "input": "2026-10-01T00:00:00Z",
                            "message": "Value error, the window from from_datetime to to_datetime must not exceed 45 days",
                            "error_type": "value_error",
                        }
                    ],
                },
            ),
            "bad cursor": (400, {"code": 400, "message": "Bad Request", "detail": "Invalid cursor value"}),
        }
    )


async def test_the_list_needs_a_token_and_a_get(sim: SimulatorHandle) -> None:
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=5) as anonymous:
        refused = await anonymous.get(LIST)
        posted = await anonymous.post(LIST)
    assert (refused.status_code, refused.json()) == snapshot(
        (401, {"code": 401, "message": "Unauthorized", "detail": "Not authenticated"})
    )
    assert (posted.status_code, posted.json()) == snapshot(
        (405, {"code": 405, "message": "Method Not Allowed", "detail": "Method POST not allowed"})
    )


async def test_a_list_fault_can_answer_429_mid_paging(
    sim: SimulatorHandle, client: httpx.AsyncClient
) -> None:
    sim.set_fault(LIST_FAULT_ID, {"rate_limit": {"retry_after": 0.5}, "after": 1, "times": 1})
    first = await client.get(LIST, params={**WEEK, "size": 1000})
    second = await client.get(LIST, params={**WEEK, "size": 1000, "cursor": first.json()["next_page"]})
    again = await client.get(LIST, params={**WEEK, "size": 1000, "cursor": first.json()["next_page"]})
    assert (first.status_code, second.status_code, again.status_code) == (200, 429, 200)
    assert (second.headers["retry-after"], second.json()) == snapshot(
        (
            "0.5",
            {
                "code": 429,
                "message": "Too Many Requests",
                "detail": {
                    "retry_after_seconds": 1,
                    "message": "Rate limit exceeded. Retry after 1 seconds.",
                },
            },
        )
    )
    assert sim.stats() == snapshot(
        {"token_requests": 1, "operation_requests": 0, "list_requests": 3, "by_status": {"200": 3, "429": 1}}
    )


async def test_latency_can_be_injected_per_page_and_per_detail(
    sim: SimulatorHandle, client: httpx.AsyncClient
) -> None:
    sim.set_fault(LIST_FAULT_ID, {"latency_seconds": 0.3})
    sim.set_fault(EVERY_OPERATION_FAULT_ID, {"latency_seconds": 0.2})
    item = (await client.get(LIST, params={**WEEK, "size": 1})).json()["items"][0]
    started = time.perf_counter()
    page = await client.get(LIST, params={**WEEK, "size": 1})
    listed = time.perf_counter()
    detail = await client.get(
        f"/v2/integrations/connections/{item['connection_id']}/resource-operations/{item['id']}"
    )
    fetched = time.perf_counter()
    assert (page.status_code, detail.status_code) == (200, 200)
    assert listed - started >= 0.3
    assert fetched - listed >= 0.2


async def test_the_clock_and_history_can_be_injected() -> None:
    operation = {**generate_history()[0], "created_at": "2026-01-01T11:00:00Z"}
    async with (
        running_simulator(history=[operation], now=datetime(2026, 1, 1, 12, tzinfo=UTC)) as sim,
        httpx.AsyncClient(base_url=sim.base_url, timeout=5) as client,
    ):
        client.headers.update(await bearer(client))
        page = (await client.get(LIST)).json()
    assert ids(page["items"]) == [operation["id"]]
    assert page["next_page"] is None
