"""What every MCP client sees of our tools: the whole `tools/list` entry of each, output schema included.

Any client-visible change (a description, an argument, an annotation, a field of the structured output)
shows up here as a diff of `golden/tools_list.json`; review it with `pytest --inline-snapshot=review`.
"""

from collections.abc import Callable
from typing import Any

import pytest
from inline_snapshot import external_file
from mcp import Client
from mcp.server import MCPServer

from tests.fakes import FakeCatena
from tests.operations import SUCCEEDED_AFTER_RETRY

pytestmark = pytest.mark.anyio


async def test_tools_list(server_factory: Callable[..., MCPServer[Any]]) -> None:
    async with Client(server_factory(FakeCatena(SUCCEEDED_AFTER_RETRY))) as client:
        tools = (await client.list_tools()).tools
    listed = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]
    assert listed == external_file("golden/tools_list.json")
