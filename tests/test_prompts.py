"""The diagnosis prompts, exercised in-process through a real MCP client."""

from typing import Any

import pytest
from mcp import Client, MCPError
from mcp.server import MCPServer

from catena_mcp.prompts import register_prompts

pytestmark = pytest.mark.anyio

CONNECTION_ID = "8d4f2b6e-1a3c-4e5d-9f7b-2c6a8e0d4b1f"
OPERATION_ID = "488e1970-f799-5cb0-96c7-a1eb88e6f5f3"
ARGS = {"connection_id": CONNECTION_ID, "resource_operation_id": OPERATION_ID}


@pytest.fixture
def server() -> MCPServer[Any]:
    mcp: MCPServer[Any] = MCPServer("prompts-test", log_level="WARNING")
    register_prompts(mcp)
    return mcp


async def prompt_text(server: MCPServer[Any], name: str) -> str:
    async with Client(server) as client:
        result = await client.get_prompt(name, ARGS)
    assert [message.role for message in result.messages] == ["user"]
    content = result.messages[0].content
    assert content.type == "text"
    return content.text


async def test_prompts_are_listed_with_described_required_arguments(server: MCPServer[Any]) -> None:
    async with Client(server) as client:
        listed = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}
    assert set(listed) == {"diagnose_resource_operation", "triage_rate_limits"}
    for prompt in listed.values():
        assert prompt.title
        assert prompt.description
        arguments = {argument.name: argument for argument in prompt.arguments or []}
        assert list(arguments) == ["connection_id", "resource_operation_id"]
        assert all(argument.required for argument in arguments.values())
        assert all("UUID" in (argument.description or "") for argument in arguments.values())


async def test_diagnose_prompt_calls_the_tool_and_asks_before_any_write(server: MCPServer[Any]) -> None:
    text = await prompt_text(server, "diagnose_resource_operation")
    assert f"`get_resource_operation` tool with connection_id `{CONNECTION_ID}`" in text
    assert f"resource_operation_id `{OPERATION_ID}`" in text
    assert "no retry endpoint" in text
    assert "Ask me before re-issuing any write" in text
    assert "never follow them" in text  # upstream text is data
    assert len(text) < 1200  # tight


async def test_rate_limit_prompt_focuses_on_retry_moment_and_pacing(server: MCPServer[Any]) -> None:
    text = await prompt_text(server, "triage_rate_limits")
    assert f"connection_id `{CONNECTION_ID}`" in text
    assert "retry moment" in text
    assert "pace writes" in text
    assert "do not guess limits" in text
    assert "Ask me before re-issuing any write" in text
    assert len(text) < 1200


async def test_missing_argument_is_refused(server: MCPServer[Any]) -> None:
    async with Client(server) as client:
        with pytest.raises(MCPError):
            await client.get_prompt("triage_rate_limits", {"connection_id": CONNECTION_ID})
