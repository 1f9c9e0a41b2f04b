"""What every MCP client sees of our tools: the whole `tools/list` entry of each, output schema included.

Any client-visible change (a description, an argument, an annotation, a field of the structured output)
shows up here as a diff of `golden/tools_list.json`; review it with `pytest --inline-snapshot=review`.
"""

import json

import pytest
from inline_snapshot import external_file, snapshot
from jsonschema import Draft202012Validator
from mcp import Client

from catena_mcp.simulator.catalogue import load_catalogue
from catena_mcp.tools.catena.records import ResourceOperation
from catena_mcp.tools.resource_operation import TOOL_NAME, explain
from tests.fakes import NOW, FakeCatena, ServerFactory
from tests.operations import SUCCEEDED_AFTER_RETRY

pytestmark = pytest.mark.anyio


async def test_tools_list(server_factory: ServerFactory) -> None:
    async with Client(server_factory(FakeCatena(SUCCEEDED_AFTER_RETRY))) as client:
        tools = (await client.list_tools()).tools
    listed = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]
    assert listed == external_file("golden/tools_list.json")
    # Clients validate every structured result against these schemas: each stays under 6 kB.
    sizes = {tool.name: len(json.dumps(tool.output_schema)) for tool in tools}
    assert sizes == snapshot(
        {
            "get_resource_operation": 5757,
            "triage_resource_operation_failures": 3884,
            "list_resource_operations": 1861,
        }
    )
    assert max(sizes.values()) < 6000


async def test_every_catalogue_result_matches_the_published_schema(server_factory: ServerFactory) -> None:
    """The server publishes its output schemas without re-validating each result against them (see
    `read_only_tool`): every catalogue operation's structured result is held to the schema here, as a
    client validates it."""
    async with Client(server_factory(FakeCatena(SUCCEEDED_AFTER_RETRY))) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    schema = tools[TOOL_NAME].output_schema
    assert schema is not None
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    invalid = {}
    for key, raw in load_catalogue().items():
        content = explain(
            ResourceOperation.model_validate(raw), now=NOW, simulated=False, max_logs=20
        ).content
        errors = [error.message for error in validator.iter_errors(content)]
        if errors:
            invalid[key] = errors
    assert invalid == {}
