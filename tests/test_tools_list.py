"""What every MCP client sees of our tools: the whole `tools/list` entry of each, output schema included.

Any client-visible change (a description, an argument, an annotation, a field of the structured output)
shows up here as a diff of `golden/tools_list.json`; review it with `pytest --inline-snapshot=review`.
"""

import json

import pytest
from inline_snapshot import external_file, snapshot
from mcp import Client

from tests.fakes import FakeCatena, ServerFactory
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
            "get_resource_operation": 5991,
            "triage_resource_operation_failures": 3884,
            "list_resource_operations": 1861,
        }
    )
    assert max(sizes.values()) < 6000
