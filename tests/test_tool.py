"""What the tool adds around the diagnosis, in-process against a fake Catena.

The diagnosis's own text and structure are pinned case by case in test_diagnosis_corpus.py; here each
result is checked to carry exactly that diagnosis, and the rest is pinned whole: the envelope, the record
in the structured content, max_logs and logs_omitted, the simulated banner, the token handling.
Error results: test_tool_errors.py. What clients see of the tool: test_tools_list.py.
"""

import json
from typing import Any

import anyio
import httpx
import pytest
from inline_snapshot import Is, snapshot

from catena_mcp import __version__
from catena_mcp.server.app import build_server
from catena_mcp.simulator.catalogue import load_catalogue
from catena_mcp.tools.answer import SIMULATED_BANNER
from catena_mcp.tools.catena.records import ResourceOperation
from catena_mcp.tools.diagnosis import diagnose, render_text
from tests.fakes import (
    ARGS,
    CLIENT_SECRET,
    NOW,
    FakeCatena,
    ServerFactory,
    Sleeps,
    call,
    catena_error,
    make_client,
)
from tests.operations import FAILED_BY_ERROR_TYPE, SUCCEEDED_AFTER_RETRY, log, operation

pytestmark = pytest.mark.anyio


def envelope(result: dict[str, Any], raw: dict[str, Any], banner: str = "") -> dict[str, Any]:
    """`result` with its text and structured diagnosis replaced by placeholders, once they are checked to be
    the diagnosis of `raw` (after `banner`)."""
    record = ResourceOperation.model_validate(raw)
    diagnosis = diagnose(record, now=NOW)
    assert result["content"] == [{"type": "text", "text": banner + render_text(record, diagnosis)}]
    assert result["structuredContent"]["diagnosis"] == diagnosis.model_dump(mode="json")
    return {
        **result,
        "content": [{"type": "text", "text": "<the diagnosis as markdown>"}],
        "structuredContent": {**result["structuredContent"], "diagnosis": "<the diagnosis>"},
    }


async def test_the_result_carries_the_record_and_its_diagnosis(server_factory: ServerFactory) -> None:
    result = await call(server_factory(FakeCatena(SUCCEEDED_AFTER_RETRY)))
    assert envelope(result, SUCCEEDED_AFTER_RETRY) == snapshot(
        {
            "_meta": {
                "io.modelcontextprotocol/serverInfo": {
                    "name": "catena-mcp",
                    "title": "Catena resource operations",
                    "version": Is(__version__),
                }
            },
            "content": [{"type": "text", "text": "<the diagnosis as markdown>"}],
            "structuredContent": {
                "operation": {
                    "id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                    "connection_id": "7b2d0c4e-3f7a-4d0b-9c1e-5a6f8e9d0a11",
                    "created_at": "2026-11-20T09:59:58Z",
                    "updated_at": "2026-11-20T10:30:00Z",
                    "partner_id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
                    "fleet_ref": "acme-logistics",
                    "source_name": "samsara",
                    "resource": "vehicle",
                    "resource_id": "9d8c7b6a-5f4e-4d3c-8b2a-190817263544",
                    "source_id": "281474977292042",
                    "operation_type": "update",
                    "status": "success",
                    "payload": {"name": "Truck 42", "vin": "1FUJGLDR5CLBP8834"},
                    "logs": [
                        {
                            "id": "00000000-0000-4000-8000-000000000001",
                            "created_at": "2026-11-20T10:01:00Z",
                            "updated_at": "2026-11-20T10:01:00Z",
                            "resource_operation_id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                            "status": "failed",
                            "error_type": "tsp",
                            "error_details": "Rate limit exceeded",
                            "response_status_code": 429,
                            "response_headers": {"Retry-After": "30", "X-Request-Id": "req-aa11"},
                        },
                        {
                            "id": "00000000-0000-4000-8000-000000000002",
                            "created_at": "2026-11-20T10:02:00Z",
                            "updated_at": "2026-11-20T10:02:00Z",
                            "resource_operation_id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                            "status": "success",
                            "error_type": None,
                            "error_details": None,
                            "response_status_code": 200,
                            "response_headers": {"X-Request-Id": "req-bb22"},
                        },
                    ],
                },
                "diagnosis": "<the diagnosis>",
                "logs_omitted": 0,
            },
            "isError": False,
            "resultType": "complete",
        }
    )


async def test_a_failed_write_is_a_successful_call(server_factory: ServerFactory) -> None:
    """A failed operation is the answer, not a tool error: the same envelope, whatever the error type."""
    verdicts = {}
    for error_type, raw in FAILED_BY_ERROR_TYPE.items():
        result = await call(server_factory(FakeCatena(raw)))
        verdicts[error_type] = result["structuredContent"]["diagnosis"]["verdict"]
        record = ResourceOperation.model_validate(raw).model_dump(mode="json")
        assert {**envelope(result, raw), "_meta": "<as above>"} == {
            "_meta": "<as above>",
            "content": [{"type": "text", "text": "<the diagnosis as markdown>"}],
            "structuredContent": {"operation": record, "diagnosis": "<the diagnosis>", "logs_omitted": 0},
            "isError": False,
            "resultType": "complete",
        }
    assert verdicts == snapshot(
        {"auth": "failed", "validation": "failed", "network": "pending_with_failures", "tsp": "failed"}
    )


async def test_simulated_answers_say_so_first(sleeps: Sleeps) -> None:
    server = build_server(
        make_client(FakeCatena(SUCCEEDED_AFTER_RETRY), sleeps), simulated=True, now=lambda: NOW
    )
    result = await call(server)
    envelope(result, SUCCEEDED_AFTER_RETRY, banner=SIMULATED_BANNER)
    first_paragraph = result["content"][0]["text"].partition("\n\n")[0]
    assert first_paragraph == snapshot(
        "> Simulated data from the built-in Catena simulator, not a real fleet."
    )


async def test_schema_drift_is_tolerated(server_factory: ServerFactory) -> None:
    drifted = operation(
        "cancelled",
        [
            {
                "id": "00000000-0000-4000-8000-000000000001",
                "created_at": "2026-11-20T10:01:00",
                "status": "failed",
                "error_type": "quota",
                "error_details": "Monthly write quota exhausted",
                "attempt_number": 1,
                "response_headers": {
                    "Set-Cookie": "session=abc",
                    "Authorization": "Bearer leaked",
                    "x-ratelimit-remaining": 0,
                },
            }
        ],
        source_name="brand_new_tsp",
        resource="asset_tag",
        priority="high",
    )
    for field in ("payload", "fleet_ref", "updated_at", "operation_type"):
        drifted.pop(field)
    result = await call(server_factory(FakeCatena(drifted)))
    # Missing fields become None, unknown ones are kept, headers keep only rate limits and request IDs.
    assert envelope(result, drifted)["structuredContent"] == snapshot(
        {
            "operation": {
                "id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                "connection_id": "7b2d0c4e-3f7a-4d0b-9c1e-5a6f8e9d0a11",
                "created_at": "2026-11-20T09:59:58Z",
                "updated_at": None,
                "partner_id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
                "fleet_ref": None,
                "source_name": "brand_new_tsp",
                "resource": "asset_tag",
                "resource_id": None,
                "source_id": None,
                "operation_type": None,
                "status": "cancelled",
                "payload": None,
                "logs": [
                    {
                        "id": "00000000-0000-4000-8000-000000000001",
                        "created_at": "2026-11-20T10:01:00Z",
                        "updated_at": None,
                        "resource_operation_id": None,
                        "status": "failed",
                        "error_type": "quota",
                        "error_details": "Monthly write quota exhausted",
                        "response_status_code": None,
                        "response_headers": {"x-ratelimit-remaining": "0"},
                        "attempt_number": 1,
                    }
                ],
                "priority": "high",
            },
            "diagnosis": "<the diagnosis>",
            "logs_omitted": 0,
        }
    )
    assert "leaked" not in str(result)
    assert "session=abc" not in str(result)


async def test_max_logs_keeps_the_latest(server_factory: ServerFactory) -> None:
    many = operation("failed", [log(n, error_type="tsp", code=503, details="busy") for n in range(1, 31)])
    server = server_factory(FakeCatena(many))
    result = await call(server, {**ARGS, "max_logs": 2})
    structured = result["structuredContent"]
    assert [entry["id"][-2:] for entry in structured["operation"]["logs"]] == ["29", "30"]
    assert structured["logs_omitted"] == 28
    none = await call(server, {**ARGS, "max_logs": 0})
    assert none["structuredContent"]["operation"]["logs"] == []
    assert none["structuredContent"]["logs_omitted"] == 30
    assert none["content"] == result["content"], "the diagnosis always covers every log"


async def test_token_is_cached_across_calls(server_factory: ServerFactory) -> None:
    fake = FakeCatena(SUCCEEDED_AFTER_RETRY)
    server = server_factory(fake)
    for _ in range(3):
        assert (await call(server)).get("isError") is False
    assert len(fake.token_requests) == 1
    (token_request,) = fake.token_requests
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = dict(httpx.QueryParams(token_request.content.decode()))
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "partner-client",
        "client_secret": CLIENT_SECRET,
        "scope": "organization",
    }
    assert {r.headers["authorization"] for r in fake.operation_requests} == {"Bearer token-1"}
    assert fake.operation_requests[0].headers["user-agent"].startswith("catena-mcp/")


async def test_expired_token_is_refreshed_once_on_401(server_factory: ServerFactory) -> None:
    fake = FakeCatena(SUCCEEDED_AFTER_RETRY, replies=[catena_error(401, "Unauthorized", "Token expired")])
    result = await call(server_factory(fake))
    assert result.get("isError") is False
    assert len(fake.token_requests) == 2
    assert [r.headers["authorization"] for r in fake.operation_requests] == [
        "Bearer token-1",
        "Bearer token-2",
    ]


async def test_token_is_refreshed_before_it_expires(server_factory: ServerFactory, sleeps: Sleeps) -> None:
    fake = FakeCatena(SUCCEEDED_AFTER_RETRY, expires_in=60)
    server = server_factory(fake)
    await call(server)
    sleeps.elapsed += 29  # still 31 s left: reused
    await call(server)
    assert len(fake.token_requests) == 1
    sleeps.elapsed += 2  # inside the 30 s margin: refreshed
    await call(server)
    assert len(fake.token_requests) == 2


async def test_concurrent_calls_share_one_token_refresh(server_factory: ServerFactory) -> None:
    fake = FakeCatena(SUCCEEDED_AFTER_RETRY)
    server = server_factory(fake)
    results: list[dict[str, Any]] = []

    async def one() -> None:
        results.append(await call(server))

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(one)
    assert len(results) == 20
    assert all(r.get("isError") is False for r in results)
    assert len(fake.token_requests) == 1
    assert len(fake.operation_requests) == 20


async def test_five_thousand_logs_stay_small(server_factory: ServerFactory) -> None:
    big = load_catalogue()["thousands_of_logs"]
    fake = FakeCatena({**big, "id": ARGS["resource_operation_id"], "connection_id": ARGS["connection_id"]})
    result = await call(server_factory(fake))
    text = result["content"][0]["text"]
    assert len(text) < 6000
    patterns = [
        (g["error_type"], g["status_code"], g["count"])
        for g in result["structuredContent"]["diagnosis"]["failure_groups"]
    ]
    assert sorted(patterns, key=str) == snapshot(
        [
            ("auth", 401, 1200),
            ("network", None, 600),
            ("tsp", 429, 1015),
            ("tsp", 502, 300),
            ("tsp", 503, 1200),
            ("validation", 422, 685),
        ]
    )
    for error_type, status, count in patterns:
        row = f"| `{error_type}` | {status if status is not None else '-'} | {count} |"
        assert row in text
    assert sum(count for *_, count in patterns) == len(big["logs"])
    assert len(json.dumps(result["structuredContent"])) < 200_000


async def test_a_long_value_is_cut_even_when_the_result_is_small(server_factory: ServerFactory) -> None:
    """One long upstream value, in a result far under the size ceiling: it is found and cut all the same,
    in the record and in an undocumented field, with its marker; the rest of the record is echoed as is."""
    details = "Rejected: " + "x" * 1490
    raw = operation(
        "failed", [log(1, error_type="tsp", code=500, details=details)], tsp_trace="t" * 1200, note="short"
    )
    structured = (await call(server_factory(FakeCatena(raw))))["structuredContent"]
    record = structured["operation"]
    assert len(json.dumps(structured)) < 10_000
    assert record["tsp_trace"] == "t" * 1000 + "… [cut by catena-mcp: 1,200 characters in all]"
    assert (
        record["logs"][0]["error_details"]
        == details[:1000] + "… [cut by catena-mcp: 1,500 characters in all]"
    )
    assert {**record, "tsp_trace": "<checked>", "logs": "<checked>"} == {
        **raw,
        "tsp_trace": "<checked>",
        "logs": "<checked>",
    }


async def test_a_long_value_split_by_quotes_is_cut_all_the_same(server_factory: ServerFactory) -> None:
    """Quotes inside a long value (escaped in JSON) break it into short stretches; measured before: echoed
    whole, 1,350 characters past FIELD_LIMIT_CHARS, when no other value was long."""
    quoted = 'say "no" ' * 150
    raw = operation("failed", [log(1, error_type="tsp", code=500, details=quoted)], tsp_quote=quoted)
    record = (await call(server_factory(FakeCatena(raw))))["structuredContent"]["operation"]
    cut = quoted[:1000] + "… [cut by catena-mcp: 1,350 characters in all]"
    assert (record["tsp_quote"], record["logs"][0]["error_details"]) == (cut, cut)


async def test_overlong_header_names_are_dropped(server_factory: ServerFactory) -> None:
    """A rate-limit prefix on a made-up name of 65 characters or more does not pass the allow-list: the
    diagnosis caches its readings per header name, and no cache may keep such names."""
    headers = {"X-RateLimit-" + "n" * 53: "5", "Retry-After": "30", "X-Request-Id": "req-1"}
    raw = operation("failed", [log(1, error_type="tsp", code=429, headers=headers)])
    structured = (await call(server_factory(FakeCatena(raw))))["structuredContent"]
    assert structured["operation"]["logs"][0]["response_headers"] == {
        "Retry-After": "30",
        "X-Request-Id": "req-1",
    }
    assert "nnnn" not in json.dumps(structured["diagnosis"])


async def test_drifted_field_types_cost_only_those_values(server_factory: ServerFactory) -> None:
    drifted = operation(
        "failed",
        [
            {**log(1, error_type="tsp", code=503, details="down"), "response_status_code": "n/a"},
            {
                **log(2, error_type="tsp", code=503),
                "response_headers": ["Retry-After: 5"],
                "error_details": 7,
            },
            {**log(3, error_type="validation", code=422, details="vin"), "id": 3003},
        ],
        fleet_ref={"name": "acme"},
        payload="not an object",
    )
    structured = (await call(server_factory(FakeCatena(drifted))))["structuredContent"]
    logs = structured["operation"]["logs"]
    assert [
        (entry["id"], entry["response_status_code"], entry["response_headers"]) for entry in logs
    ] == snapshot(
        [
            ("00000000-0000-4000-8000-000000000001", None, None),
            ("00000000-0000-4000-8000-000000000002", 503, None),
            ("3003", 422, None),
        ]
    )
    assert [entry["error_details"] for entry in logs] == snapshot(["down", "7", "vin"])
    assert (structured["operation"]["fleet_ref"], structured["operation"]["payload"]) == (None, None)
    assert structured["diagnosis"]["verdict"] == "failed"
