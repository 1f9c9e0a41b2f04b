"""Resources and prompts, read through the official client in-process."""

import json

import pytest
from inline_snapshot import snapshot
from mcp import Client, MCPError

from catena_mcp.tools.resource_operation import TOOL_NAME
from tests.fakes import ARGS, CONNECTION_ID, OPERATION_ID, FakeCatena, ServerFactory, catena_error
from tests.operations import FAILED_BY_ERROR_TYPE

pytestmark = pytest.mark.anyio

URI = f"catena://connections/{CONNECTION_ID}/resource-operations/{OPERATION_ID}"


async def test_listing(server_factory: ServerFactory) -> None:
    async with Client(server_factory(FakeCatena(FAILED_BY_ERROR_TYPE["auth"]))) as client:
        resources = (await client.list_resources()).resources
        templates = (await client.list_resource_templates()).resource_templates
        prompts = (await client.list_prompts()).prompts
    assert [(r.uri, r.mime_type) for r in resources] == snapshot(
        [("catena://guides/error-types", "text/markdown")]
    )
    assert [(t.uri_template, t.mime_type) for t in templates] == snapshot(
        [
            (
                "catena://connections/{connection_id}/resource-operations/{resource_operation_id}",
                "application/json",
            )
        ]
    )
    assert [(p.name, [a.name for a in p.arguments or []]) for p in prompts] == snapshot(
        [
            ("diagnose_resource_operation", ["connection_id", "resource_operation_id"]),
            ("triage_rate_limits", ["connection_id", "resource_operation_id"]),
            ("triage_failing_writes", ["filters"]),
        ]
    )


async def test_operation_resource_is_the_structured_result(server_factory: ServerFactory) -> None:
    fake = FakeCatena(FAILED_BY_ERROR_TYPE["validation"])
    async with Client(server_factory(fake)) as client:
        (content,) = (await client.read_resource(URI)).contents
        result = await client.call_tool(TOOL_NAME, ARGS)
    assert content.mime_type == "application/json"
    assert json.loads(content.text) == result.structured_content  # type: ignore[union-attr]


async def test_operation_resource_errors(server_factory: ServerFactory) -> None:
    fake = FakeCatena(FAILED_BY_ERROR_TYPE["auth"], replies=[catena_error(404, "Not Found")])
    async with Client(server_factory(fake)) as client:
        with pytest.raises(MCPError) as not_found:
            await client.read_resource(URI)
        with pytest.raises(MCPError) as bad_id:
            await client.read_resource(f"catena://connections/nope/resource-operations/{OPERATION_ID}")
    assert (not_found.value.code, not_found.value.message) == snapshot(
        (
            -32602,
            "No resource operation 3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77 on connection 7b2d0c4e-3f7a-4d0b-9c1e-5a6f8e9d0a11: check both IDs; an operation belongs to exactly one connection.",
        )
    )
    assert (bad_id.value.code, bad_id.value.message) == snapshot(
        (-32602, "connection_id must be a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6")
    )
    assert len(fake.operation_requests) == 1


async def test_error_types_guide(server_factory: ServerFactory) -> None:
    async with Client(server_factory(FakeCatena(FAILED_BY_ERROR_TYPE["auth"]))) as client:
        (content,) = (await client.read_resource("catena://guides/error-types")).contents
    assert content.mime_type == "text/markdown"
    for term in ("`auth`", "`validation`", "`network`", "`tsp`", "Retry-After", "X-Request-Id"):
        assert term in content.text  # type: ignore[union-attr]
