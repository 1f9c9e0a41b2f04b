"""The Catena simulator, exercised over real loopback HTTP."""

import base64
import functools
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from inline_snapshot import snapshot

from catena_mcp.simulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    FAULT_OPERATIONS,
    FORBIDDEN_CONNECTION_ID,
    FaultError,
    SimulatorHandle,
    SimulatorThread,
    create_app,
    running_simulator,
)
from catena_mcp.simulator.app import prepare_catalogue
from catena_mcp.simulator.faults import parse_fault

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[1]

CONNECTION = "5f0c8a52-3a1e-4c47-9d55-1f6f0f2b9e01"
OTHER_CONNECTION = "0b7e4b7e-92a7-4d62-8d8e-6f8a1d8a4c02"
FAILED_OP = "8d3e2c1a-6f4b-4e8a-9c2d-7b1a0e5f3d10"
OTHER_OP = "c4a1f0e2-1b3d-4f5a-8e6c-2d9b7a3e1f20"


def _operation(op_id: str, connection_id: str, logs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": op_id,
        "created_at": "2026-03-02T09:00:00Z",
        "updated_at": "2026-03-02T09:05:00Z",
        "partner_id": "3e9b1c4d-2a5f-4b6e-8c7d-9f0a1b2c3d40",
        "connection_id": connection_id,
        "fleet_ref": "acme",
        "source_name": "samsara",
        "resource": "vehicle",
        "resource_id": None,
        "source_id": None,
        "operation_type": "create",
        "status": "failed" if logs else "pending",
        "payload": {"name": "Truck 7 – Zürich"},  # non-ASCII: the bytes must stay UTF-8, not \\u escapes
        "logs": logs,
    }


CATALOGUE = {
    "failed_once": _operation(
        FAILED_OP,
        CONNECTION,
        [
            {
                "id": "a1b2c3d4-0000-4000-8000-000000000001",
                "created_at": "2026-03-02T09:01:00Z",
                "updated_at": "2026-03-02T09:01:00Z",
                "resource_operation_id": FAILED_OP,
                "status": "failed",
                "error_type": "validation",
                "error_details": "VIN must be 17 characters",
                "response_status_code": 422,
                "response_headers": {"X-Request-Id": "req-1"},
            }
        ],
    ),
    "elsewhere": _operation(OTHER_OP, OTHER_CONNECTION, []),
}

TOKEN_FORM = {
    "grant_type": "client_credentials",
    "client_id": DEFAULT_CLIENT_ID,
    "client_secret": DEFAULT_CLIENT_SECRET,
    "scope": "organization",
}


def op_path(connection_id: str, operation_id: str) -> str:
    return f"/v2/integrations/connections/{connection_id}/resource-operations/{operation_id}"


FAILED_PATH = op_path(CONNECTION, FAILED_OP)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def shared_sim() -> AsyncIterator[SimulatorHandle]:
    async with running_simulator(catalogue=CATALOGUE) as sim:
        yield sim


@pytest.fixture
def sim(shared_sim: SimulatorHandle) -> SimulatorHandle:
    shared_sim.reset()
    return shared_sim


@pytest.fixture
async def client(sim: SimulatorHandle) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=5) as client:
        yield client


async def bearer(
    client: httpx.AsyncClient, url: str = "/realms/catena/protocol/openid-connect/token"
) -> dict[str, str]:
    response = await client.post(url, data=TOKEN_FORM)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def eventually(condition: Callable[[], bool], seconds: float = 2) -> None:
    with anyio.fail_after(seconds):
        while not condition():  # noqa: ASYNC110 -- the simulator's state has no event to wait on
            await anyio.sleep(0.01)


def seen(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, response.json()


# --- token endpoint ---------------------------------------------------------------------------------------


async def test_token_success_is_keycloak_shaped(sim: SimulatorHandle, client: httpx.AsyncClient) -> None:
    response = await client.post(sim.token_url, data=TOKEN_FORM)
    body = response.json()
    token = body.pop("access_token")
    assert isinstance(token, str)
    assert len(token) >= 32
    assert (response.status_code, body) == snapshot(
        (
            200,
            {
                "expires_in": 3600,
                "refresh_expires_in": 0,
                "token_type": "Bearer",
                "not-before-policy": 0,
                "scope": "organization",
            },
        )
    )
    assert response.headers["cache-control"] == "no-store"


async def test_tokens_are_opaque_and_distinct(client: httpx.AsyncClient) -> None:
    assert await bearer(client) != await bearer(client)


async def test_token_accepts_http_basic_credentials(sim: SimulatorHandle, client: httpx.AsyncClient) -> None:
    form = {"grant_type": "client_credentials", "scope": "organization"}
    response = await client.post(sim.token_url, data=form, auth=(sim.client_id, sim.client_secret))
    assert response.status_code == 200
    wrong = await client.post(sim.token_url, data=form, auth=(sim.client_id, "nope"))
    assert seen(wrong) == snapshot(
        (
            401,
            {"error": "invalid_client", "error_description": "Invalid client or Invalid client credentials"},
        )
    )


async def test_token_errors_are_keycloak_shaped(sim: SimulatorHandle, client: httpx.AsyncClient) -> None:
    def form(**changes: str | None) -> dict[str, str]:
        return {k: v for k, v in {**TOKEN_FORM, **changes}.items() if v is not None}

    answers = {
        "bad secret": await client.post(sim.token_url, data=form(client_secret="wrong")),
        "unknown client": await client.post(sim.token_url, data=form(client_id="someone")),
        "no credentials": await client.post(sim.token_url, data=form(client_id=None, client_secret=None)),
        "password grant": await client.post(sim.token_url, data=form(grant_type="password")),
        "no grant_type": await client.post(sim.token_url, data=form(grant_type=None)),
        "no scope": await client.post(sim.token_url, data=form(scope=None)),
        "wrong scope": await client.post(sim.token_url, data=form(scope="openid")),
        "json body": await client.post(sim.token_url, json=TOKEN_FORM),
        "GET": await client.get(sim.token_url),
    }
    assert {case: seen(response) for case, response in answers.items()} == snapshot(
        {
            "bad secret": (
                401,
                {
                    "error": "invalid_client",
                    "error_description": "Invalid client or Invalid client credentials",
                },
            ),
            "unknown client": (
                401,
                {
                    "error": "invalid_client",
                    "error_description": "Invalid client or Invalid client credentials",
                },
            ),
            "no credentials": (
                401,
                {
                    "error": "invalid_client",
                    "error_description": "Invalid client or Invalid client credentials",
                },
            ),
            "password grant": (
                400,
                {"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"},
            ),
            "no grant_type": (
                400,
                {"error": "invalid_request", "error_description": "Missing form parameter: grant_type"},
            ),
            "no scope": (400, {"error": "invalid_scope", "error_description": "Invalid scopes: "}),
            "wrong scope": (400, {"error": "invalid_scope", "error_description": "Invalid scopes: openid"}),
            "json body": (
                400,
                {
                    "error": "invalid_request",
                    "error_description": "Content-Type must be application/x-www-form-urlencoded",
                },
            ),
            "GET": (405, {"error": "invalid_request", "error_description": "HTTP method not allowed"}),
        }
    )


async def test_credentials_and_ttl_are_configurable() -> None:
    async with (
        running_simulator(
            catalogue=CATALOGUE, client_id="ci", client_secret="s3cret", token_ttl_seconds=0.3
        ) as sim,
        httpx.AsyncClient(base_url=sim.base_url) as client,
    ):
        assert (sim.client_id, sim.client_secret) == ("ci", "s3cret")
        default = await client.post(sim.token_url, data=TOKEN_FORM)
        assert default.status_code == 401
        response = await client.post(
            sim.token_url, data={**TOKEN_FORM, "client_id": "ci", "client_secret": "s3cret"}
        )
        assert response.json()["expires_in"] == 1  # whole seconds on the wire, rounded up
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        assert (await client.get(FAILED_PATH, headers=headers)).status_code == 200
        await anyio.sleep(0.35)
        assert seen(await client.get(FAILED_PATH, headers=headers)) == snapshot(
            (401, {"code": 401, "message": "Unauthorized", "detail": "Token has expired"})
        )


# --- the get-operation endpoint ---------------------------------------------------------------------------


async def test_operation_is_served_as_the_catalogue_json(client: httpx.AsyncClient) -> None:
    response = await client.get(FAILED_PATH, headers=await bearer(client))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == CATALOGUE["failed_once"]
    assert "Zürich".encode() in response.content


async def test_uuids_are_matched_in_any_spelling(client: httpx.AsyncClient) -> None:
    response = await client.get(op_path(CONNECTION.upper(), FAILED_OP.upper()), headers=await bearer(client))
    assert response.json()["id"] == FAILED_OP


async def test_operation_requires_a_valid_bearer_token(client: httpx.AsyncClient) -> None:
    answers = {
        "no header": await client.get(FAILED_PATH),
        "basic": await client.get(FAILED_PATH, headers={"Authorization": "Basic eDp5"}),
        "unknown token": await client.get(FAILED_PATH, headers={"Authorization": "Bearer forged"}),
    }
    assert all(r.headers["www-authenticate"] == "Bearer" for r in answers.values())
    assert {case: seen(response) for case, response in answers.items()} == snapshot(
        {
            "no header": (401, {"code": 401, "message": "Unauthorized", "detail": "Not authenticated"}),
            "basic": (
                401,
                {"code": 401, "message": "Unauthorized", "detail": "Invalid authentication credentials"},
            ),
            "unknown token": (401, {"code": 401, "message": "Unauthorized", "detail": "Invalid token"}),
        }
    )


async def test_not_found_shapes(client: httpx.AsyncClient) -> None:
    headers = await bearer(client)
    answers = {
        "other connection": await client.get(op_path(OTHER_CONNECTION, FAILED_OP), headers=headers),
        "unknown operation": await client.get(op_path(CONNECTION, OTHER_CONNECTION), headers=headers),
        "unknown path": await client.get("/v2/integrations/connections", headers=headers),
    }
    assert {case: seen(response) for case, response in answers.items()} == snapshot(
        {
            "other connection": (
                404,
                {"code": 404, "message": "Not Found", "detail": "Resource operation not found"},
            ),
            "unknown operation": (
                404,
                {"code": 404, "message": "Not Found", "detail": "Resource operation not found"},
            ),
            "unknown path": (404, {"code": 404, "message": "Not Found", "detail": "Not Found"}),
        }
    )


async def test_non_uuid_path_parameters_get_catena_422(client: httpx.AsyncClient) -> None:
    response = await client.get(op_path("fleet-7", FAILED_OP[:-1]), headers=await bearer(client))
    assert seen(response) == snapshot(
        (
            422,
            {
                "code": 422,
                "message": "Invalid Request Body",
                "detail": [
                    {
                        "path": "path.connection_id",
                        "input": "fleet-7",
                        "message": "Input should be a valid UUID, invalid character: found `l` at 1",
                        "error_type": "uuid_parsing",
                    },
                    {
                        "path": "path.resource_operation_id",
                        "input": "8d3e2c1a-6f4b-4e8a-9c2d-7b1a0e5f3d1",
                        "message": "Input should be a valid UUID, invalid group length in group 4: expected 12, found 11",
                        "error_type": "uuid_parsing",
                    },
                ],
            },
        )
    )


async def test_forbidden_connection_answers_403(client: httpx.AsyncClient) -> None:
    response = await client.get(op_path(FORBIDDEN_CONNECTION_ID, FAILED_OP), headers=await bearer(client))
    assert seen(response) == snapshot(
        (403, {"code": 403, "message": "Forbidden", "detail": "Missing scope resource_operation:read"})
    )


async def test_other_methods_answer_405(client: httpx.AsyncClient) -> None:
    response = await client.delete(FAILED_PATH, headers=await bearer(client))
    assert response.headers["allow"] == "GET"
    assert seen(response) == snapshot(
        (405, {"code": 405, "message": "Method Not Allowed", "detail": "Method DELETE not allowed"})
    )


# --- faults -----------------------------------------------------------------------------------------------


async def test_status_fault_fails_n_times_then_succeeds(
    sim: SimulatorHandle, client: httpx.AsyncClient
) -> None:
    sim.set_fault(FAILED_OP, {"status": 503, "times": 2})
    headers = await bearer(client)
    answers = [await client.get(FAILED_PATH, headers=headers) for _ in range(3)]
    assert [seen(response) for response in answers[:2]] == snapshot(
        [
            (
                503,
                {"code": 503, "message": "Service Unavailable", "detail": "Service temporarily unavailable"},
            ),
            (
                503,
                {"code": 503, "message": "Service Unavailable", "detail": "Service temporarily unavailable"},
            ),
        ]
    )
    assert answers[2].json() == CATALOGUE["failed_once"]


async def test_status_fault_detail_can_be_chosen(sim: SimulatorHandle, client: httpx.AsyncClient) -> None:
    sim.set_fault(FAILED_OP, {"status": 409, "detail": "Operation is being retried"})
    response = await client.get(FAILED_PATH, headers=await bearer(client))
    assert seen(response) == snapshot(
        (409, {"code": 409, "message": "Conflict", "detail": "Operation is being retried"})
    )


async def test_rate_limit_fault_variants(sim: SimulatorHandle, client: httpx.AsyncClient) -> None:
    headers = await bearer(client)
    answers = {}
    for header, body in [(True, True), (True, False), (False, True)]:
        sim.set_fault(
            FAILED_OP, {"rate_limit": {"retry_after": 1.5, "times": 1, "header": header, "body": body}}
        )
        response = await client.get(FAILED_PATH, headers=headers)
        answers[f"header={header} body={body}"] = (*seen(response), response.headers.get("retry-after"))
    assert answers == snapshot(
        {
            "header=True body=True": (
                429,
                {
                    "code": 429,
                    "message": "Too Many Requests",
                    "detail": {
                        "retry_after_seconds": 2,
                        "message": "Rate limit exceeded. Retry after 2 seconds.",
                    },
                },
                "1.5",
            ),
            "header=True body=False": (
                429,
                {"code": 429, "message": "Too Many Requests", "detail": None},
                "1.5",
            ),
            "header=False body=True": (
                429,
                {
                    "code": 429,
                    "message": "Too Many Requests",
                    "detail": {
                        "retry_after_seconds": 2,
                        "message": "Rate limit exceeded. Retry after 2 seconds.",
                    },
                },
                None,
            ),
        }
    )
    assert (await client.get(FAILED_PATH, headers=headers)).status_code == 200


async def test_latency_fault_delays_then_clears(sim: SimulatorHandle, client: httpx.AsyncClient) -> None:
    sim.set_fault(FAILED_OP, {"latency_seconds": 0.3, "times": 1})
    headers = await bearer(client)
    started = time.perf_counter()
    slow = await client.get(FAILED_PATH, headers=headers)
    middle = time.perf_counter()
    fast = await client.get(FAILED_PATH, headers=headers)
    finished = time.perf_counter()
    assert (slow.status_code, fast.status_code) == (200, 200)
    assert middle - started >= 0.3
    assert finished - middle < 0.2


async def test_a_hung_request_ends_when_the_client_gives_up(
    sim: SimulatorHandle, client: httpx.AsyncClient
) -> None:
    sim.set_fault(FAILED_OP, {"latency_seconds": 60})
    headers = await bearer(client)
    with pytest.raises(httpx.ReadTimeout):
        await client.get(FAILED_PATH, headers=headers, timeout=0.2)
    # The handler notices the disconnect and finishes instead of sleeping out its 60 s: the token's 200, then
    # the abandoned operation's.
    await eventually(lambda: sim.stats()["by_status"].get("200", 0) == 2)


async def test_malformed_faults(sim: SimulatorHandle, client: httpx.AsyncClient) -> None:
    headers = await bearer(client)
    sim.set_fault(FAILED_OP, {"malformed": "not-json", "times": 1})
    html = await client.get(FAILED_PATH, headers=headers)
    assert (html.status_code, html.headers["content-type"]) == (200, "text/html; charset=utf-8")
    with pytest.raises(json.JSONDecodeError):
        html.json()
    sim.set_fault(FAILED_OP, {"malformed": "wrong-shape", "times": 1})
    assert seen(await client.get(FAILED_PATH, headers=headers)) == snapshot(
        (200, {"id": "8d3e2c1a-6f4b-4e8a-9c2d-7b1a0e5f3d10", "status": "failed"})
    )


async def test_expire_token_fault_revokes_the_token(sim: SimulatorHandle, client: httpx.AsyncClient) -> None:
    sim.set_fault(FAILED_OP, {"expire_token": {}})
    headers = await bearer(client)
    answers = [seen(await client.get(FAILED_PATH, headers=headers)) for _ in range(2)]
    assert answers == snapshot(
        [
            (401, {"code": 401, "message": "Unauthorized", "detail": "Token has expired"}),
            (401, {"code": 401, "message": "Unauthorized", "detail": "Invalid token"}),
        ]
    )
    assert (await client.get(FAILED_PATH, headers=await bearer(client))).status_code == 200


async def test_built_in_fault_operations(sim: SimulatorHandle, client: httpx.AsyncClient) -> None:
    headers = await bearer(client)
    quick = [op for op in FAULT_OPERATIONS if not op.fault.latency_seconds]
    first = {}
    for fault_op in quick:
        response = await client.get(sim.operations[fault_op.key].path, headers=headers)
        html = response.headers["content-type"].startswith("text/html")
        first[fault_op.key] = (response.status_code, response.text if html else response.json())
    assert first == snapshot(
        {
            "fault-400": (400, {"code": 400, "message": "Bad Request", "detail": "Invalid request"}),
            "fault-409": (
                409,
                {
                    "code": 409,
                    "message": "Conflict",
                    "detail": "Resource operation was modified concurrently",
                },
            ),
            "fault-500": (500, {"message": "Internal Server Error"}),
            "fault-503-twice": (
                503,
                {"code": 503, "message": "Service Unavailable", "detail": "Service temporarily unavailable"},
            ),
            "fault-504": (
                504,
                {"code": 504, "message": "Gateway Timeout", "detail": "Upstream request timed out"},
            ),
            "fault-429": (
                429,
                {
                    "code": 429,
                    "message": "Too Many Requests",
                    "detail": {
                        "retry_after_seconds": 2,
                        "message": "Rate limit exceeded. Retry after 2 seconds.",
                    },
                },
            ),
            "fault-429-bare": (429, {"code": 429, "message": "Too Many Requests", "detail": None}),
            "fault-not-json": (
                200,
                """\
<!DOCTYPE html>
<html>
<head><title>Maintenance</title></head>
<body><h1>We'll be back soon</h1></body>
</html>
""",
            ),
            "fault-wrong-shape": (200, {"id": "00000000-0000-4000-8000-00000000f0a4", "status": "failed"}),
            "fault-token-expired": (
                401,
                {"code": 401, "message": "Unauthorized", "detail": "Token has expired"},
            ),
        }
    )


async def test_transient_built_in_faults_clear_and_come_back_on_reset(
    sim: SimulatorHandle, client: httpx.AsyncClient
) -> None:
    headers = await bearer(client)
    path = sim.operations["fault-503-twice"].path
    statuses = [(await client.get(path, headers=headers)).status_code for _ in range(3)]
    recovered = (await client.get(path, headers=headers)).json()
    # Once the fault lets go, the operation is a catalogue payload re-homed on the fault connection.
    expected = {**CATALOGUE["failed_once"], "id": sim.operations["fault-503-twice"].operation_id}
    expected["connection_id"] = sim.operations["fault-503-twice"].connection_id
    expected["logs"] = [{**log, "resource_operation_id": expected["id"]} for log in expected["logs"]]
    assert recovered == expected
    sim.reset()
    statuses.append((await client.get(path, headers=headers)).status_code)
    assert statuses == [503, 503, 200, 503]


async def test_control_api_over_http(sim: SimulatorHandle, client: httpx.AsyncClient) -> None:
    set_response = await client.post(
        "/_sim/faults", json={"operation_id": FAILED_OP.upper(), "fault": {"status": 504, "times": 3}}
    )
    assert set_response.json()["faults"][FAILED_OP] == snapshot(
        {"fault": {"status": 504, "times": 3}, "remaining": 3}
    )
    await client.get(FAILED_PATH, headers=await bearer(client))
    listed = (await client.get("/_sim/faults")).json()["faults"]
    assert listed[FAILED_OP]["remaining"] == 2
    assert len(listed) == len(FAULT_OPERATIONS) + 1
    assert (await client.delete("/_sim/faults")).json() == {"faults": {}}
    assert (await client.get(FAILED_PATH, headers=await bearer(client))).status_code == 200
    reset = await client.post("/_sim/reset")
    assert reset.json() == snapshot(
        {"token_requests": 0, "operation_requests": 0, "list_requests": 0, "by_status": {}}
    )
    assert len((await client.get("/_sim/faults")).json()["faults"]) == len(FAULT_OPERATIONS)
    operations = (await client.get("/_sim/operations")).json()
    assert operations["failed_once"] == {"connection_id": CONNECTION, "operation_id": FAILED_OP}


async def test_control_api_rejects_bad_fault_specs(client: httpx.AsyncClient) -> None:
    bodies: dict[str, Any] = {
        "not an object": [],
        "missing fault": {"operation_id": FAILED_OP},
        "bad operation id": {"operation_id": "op-1", "fault": {"status": 500}},
        "two effects": {"operation_id": FAILED_OP, "fault": {"status": 500, "malformed": "not-json"}},
        "undocumented status": {"operation_id": FAILED_OP, "fault": {"status": 418}},
        "typo": {"operation_id": FAILED_OP, "fault": {"staus": 500}},
        "times twice": {
            "operation_id": FAILED_OP,
            "fault": {"rate_limit": {"retry_after": 1, "times": 1}, "times": 2},
        },
        "string number": {"operation_id": FAILED_OP, "fault": {"latency_seconds": "1"}},
    }
    answers = {case: seen(await client.post("/_sim/faults", json=body)) for case, body in bodies.items()}
    assert answers == snapshot(
        {
            "not an object": (
                400,
                {
                    "code": 400,
                    "message": "Bad Request",
                    "detail": 'Expected JSON {"operation_id": "<uuid>" or "token", "fault": {...}}',
                },
            ),
            "missing fault": (
                400,
                {
                    "code": 400,
                    "message": "Bad Request",
                    "detail": 'Expected JSON {"operation_id": "<uuid>" or "token", "fault": {...}}',
                },
            ),
            "bad operation id": (
                400,
                {"code": 400, "message": "Bad Request", "detail": "operation_id must be a UUID, got 'op-1'"},
            ),
            "two effects": (
                400,
                {
                    "code": 400,
                    "message": "Bad Request",
                    "detail": "fault: Value error, choose at most one of status, rate_limit, malformed, expire_token, body",
                },
            ),
            "undocumented status": (
                400,
                {
                    "code": 400,
                    "message": "Bad Request",
                    "detail": "status: Input should be 400, 401, 403, 404, 405, 409, 500, 502, 503 or 504",
                },
            ),
            "typo": (
                400,
                {"code": 400, "message": "Bad Request", "detail": "staus: Extra inputs are not permitted"},
            ),
            "times twice": (
                400,
                {
                    "code": 400,
                    "message": "Bad Request",
                    "detail": "fault: Value error, give times once, either at the top level or inside the fault",
                },
            ),
            "string number": (
                400,
                {
                    "code": 400,
                    "message": "Bad Request",
                    "detail": "latency_seconds: Input should be a valid number",
                },
            ),
        }
    )


async def test_handle_set_fault_rejects_bad_specs(sim: SimulatorHandle) -> None:
    with pytest.raises(FaultError, match="at most one"):
        sim.set_fault(FAILED_OP, {"status": 500, "expire_token": {}})
    with pytest.raises(FaultError, match="latency_seconds or one of"):
        parse_fault({"times": 2})


async def test_stats_count_catena_facing_requests(sim: SimulatorHandle, client: httpx.AsyncClient) -> None:
    headers = await bearer(client)
    await client.post(sim.token_url, data={**TOKEN_FORM, "client_secret": "wrong"})
    await client.get(FAILED_PATH, headers=headers)
    await client.get(FAILED_PATH)
    await client.get(op_path(OTHER_CONNECTION, FAILED_OP), headers=headers)
    await client.get("/nowhere")
    await client.get("/_sim/faults")  # the control API is not counted
    stats = (await client.get("/_sim/stats")).json()
    assert stats == sim.stats()
    assert stats == snapshot(
        {
            "token_requests": 2,
            "operation_requests": 3,
            "list_requests": 0,
            "by_status": {"200": 2, "401": 2, "404": 2},
        }
    )


# --- running it -------------------------------------------------------------------------------------------


async def test_stopping_does_not_wait_for_hung_requests() -> None:
    async with httpx.AsyncClient(timeout=30) as client, anyio.create_task_group() as tg:
        async with running_simulator(catalogue=CATALOGUE) as sim:
            sim.set_fault(FAILED_OP, {"latency_seconds": 60})
            headers = await bearer(client, url=sim.token_url)
            tg.start_soon(functools.partial(client.get, sim.base_url + FAILED_PATH, headers=headers))
            await eventually(lambda: sim.stats()["operation_requests"] == 1)
            started = time.perf_counter()
        stopped = time.perf_counter()
    # uvicorn's graceful-shutdown timeout is 1 s; waking the held request must beat it by far.
    assert stopped - started < 0.5


async def test_small_responses_are_not_stalled_by_nagle(client: httpx.AsyncClient) -> None:
    # Without TCP_NODELAY each small response waits ~40 ms for a delayed ACK: 20 would take ~0.9 s.
    started = time.perf_counter()
    for _ in range(20):
        await client.get("/_sim/stats")
    assert time.perf_counter() - started < 0.4


async def test_the_port_is_released_and_errors_propagate_unwrapped() -> None:
    ports = []

    async def fail_while_serving() -> None:
        async with running_simulator(catalogue=CATALOGUE) as sim:
            ports.append(int(sim.base_url.rsplit(":", 1)[1]))
            raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        await fail_while_serving()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[0]))


def test_simulator_thread_serves_sync_callers() -> None:
    with SimulatorThread(catalogue=CATALOGUE) as sim:
        sim.set_fault(FAILED_OP, {"status": 500, "times": 1})
        token = httpx.post(sim.token_url, data=TOKEN_FORM).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        statuses = [httpx.get(sim.base_url + FAILED_PATH, headers=headers).status_code for _ in range(2)]
        assert statuses == [500, 200]
        assert sim.stats()["by_status"] == {"200": 2, "500": 1}


def test_duplicate_operation_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        prepare_catalogue({"a": CATALOGUE["failed_once"], "b": CATALOGUE["failed_once"]})
    with pytest.raises(ValueError, match="appears twice"):  # a key that would hide a built-in fault operation
        prepare_catalogue({"fault-500": CATALOGUE["failed_once"]})


def test_default_catalogue_includes_the_big_operation() -> None:
    from catena_mcp.simulator.catalogue import load_catalogue

    app = create_app()
    refs = app.state.simulator.catalogue.refs
    big = load_catalogue()["thousands_of_logs"]
    assert len(big["logs"]) == 5000
    stored = app.state.simulator.catalogue.bodies[refs["thousands_of_logs"].operation_id]
    assert json.loads(stored.body) == big
    assert {op.key for op in FAULT_OPERATIONS} <= refs.keys()
    fault_body = json.loads(app.state.simulator.catalogue.bodies[refs["fault-504"].operation_id].body)
    assert fault_body["payload"] == load_catalogue()["failed_network"]["payload"]


async def test_cli_prints_one_line_and_stops_on_ctrl_c() -> None:
    command = [sys.executable, "-c", "from simulator.cli import run; run('127.0.0.1', 0)"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    async with await anyio.open_process(command, env=env) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        first = b""
        with anyio.fail_after(10):
            while not first.endswith(b"\n"):
                first += await process.stdout.receive(1)
        line = first.decode()
        assert line.startswith("Catena simulator listening on http://127.0.0.1:")
        base_url = line.rsplit(" ", 1)[1].strip()
        async with httpx.AsyncClient(base_url=base_url) as client:
            headers = await bearer(client)
            assert (await client.get(FAILED_PATH, headers=headers)).status_code == 404
            assert (
                await client.get(op_path(FORBIDDEN_CONNECTION_ID, FAILED_OP), headers=headers)
            ).status_code == 403
        process.send_signal(signal.SIGINT)
        with anyio.fail_after(10):
            assert await process.wait() == 0
        rest = b"".join([chunk async for chunk in process.stdout])
        errors = b"".join([chunk async for chunk in process.stderr]).decode()
    assert rest == b""
    assert "fault-hang" in errors


def test_basic_credentials_are_form_encoded_before_base64() -> None:
    # RFC 6749 §2.3.1: a client whose secret contains ':' or '%' sends it form-encoded inside Basic.
    with SimulatorThread(catalogue=CATALOGUE, client_id="ci", client_secret="a:b%c") as sim:
        encoded = base64.b64encode(b"ci:a%3Ab%25c").decode()
        response = httpx.post(
            sim.token_url,
            data={"grant_type": "client_credentials", "scope": "organization"},
            headers={"Authorization": f"Basic {encoded}"},
        )
        assert response.status_code == 200


async def test_token_faults_over_the_control_api(client: httpx.AsyncClient) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "scope": "organization",
    }
    token_url = "/realms/catena/protocol/openid-connect/token"
    set_fault = {"operation_id": "token", "fault": {"reply": "text-expiry", "times": 1}}
    listed = seen(await client.post("/_sim/faults", json=set_fault))
    odd = await client.post(token_url, data=form)
    normal = await client.post(token_url, data=form)
    rejected = seen(await client.post("/_sim/faults", json={"operation_id": "token", "fault": {}}))
    assert (listed, odd.json(), normal.status_code, rejected) == snapshot(
        (
            (
                200,
                {
                    "faults": {
                        "00000000-0000-4000-8000-00000000f0a1": {
                            "fault": {"latency_seconds": 120.0},
                            "remaining": None,
                        },
                        "00000000-0000-4000-8000-00000000f0a2": {
                            "fault": {"latency_seconds": 1.5},
                            "remaining": None,
                        },
                        "00000000-0000-4000-8000-00000000f0a3": {
                            "fault": {"malformed": "not-json"},
                            "remaining": None,
                        },
                        "00000000-0000-4000-8000-00000000f0a4": {
                            "fault": {"malformed": "wrong-shape"},
                            "remaining": None,
                        },
                        "00000000-0000-4000-8000-00000000f0a5": {
                            "fault": {"expire_token": {}},
                            "remaining": 1,
                        },
                        "00000000-0000-4000-8000-00000000f400": {"fault": {"status": 400}, "remaining": None},
                        "00000000-0000-4000-8000-00000000f409": {"fault": {"status": 409}, "remaining": None},
                        "00000000-0000-4000-8000-00000000f429": {
                            "fault": {"rate_limit": {"retry_after": 2.0}},
                            "remaining": None,
                        },
                        "00000000-0000-4000-8000-00000000f42b": {
                            "fault": {"rate_limit": {"retry_after": 2.0, "header": False, "body": False}},
                            "remaining": None,
                        },
                        "00000000-0000-4000-8000-00000000f500": {"fault": {"status": 500}, "remaining": None},
                        "00000000-0000-4000-8000-00000000f503": {
                            "fault": {"status": 503, "times": 2},
                            "remaining": 2,
                        },
                        "00000000-0000-4000-8000-00000000f504": {"fault": {"status": 504}, "remaining": None},
                        "token": {"fault": {"reply": "text-expiry", "times": 1}, "remaining": 1},
                    }
                },
            ),
            {"access_token": "t0k3n", "expires_in": "soon"},
            200,
            (
                400,
                {
                    "code": 400,
                    "message": "Bad Request",
                    "detail": "fault: Value error, a token fault needs latency_seconds or reply",
                },
            ),
        )
    )
