"""`catena-mcp demo`: the whole product end to end, with no credentials.

It starts the Catena simulator on loopback, spawns the real `catena-mcp` on stdio against it, connects
with the official MCP client and prints what an assistant would read: a triage of the simulated last 24
hours, the diagnosis of its largest pattern's example, then a few hand-picked operations.
"""

import shutil
import sys
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult, TextContent

from catena_mcp.simulator.running import SimulatorHandle, running_simulator
from catena_mcp.tools.resource_operation import TOOL_NAME
from catena_mcp.tools.triage import TOOL_NAME as TRIAGE_TOOL

# A success after retries, a rate-limited failure, a validation failure.
DEMO_OPERATIONS = ("success_after_retries", "rate_limit_x_variants", "failed_validation")
RULE = "─" * 78


def _server_command() -> tuple[str, list[str]]:
    # Prefer the console script installed beside this interpreter: that is what MCP clients launch.
    script = Path(sys.executable).with_name("catena-mcp")
    if script.exists():
        return str(script), []
    found = shutil.which("catena-mcp")
    return (found, []) if found else (sys.executable, ["-m", "catena_mcp"])


async def _demo() -> int:
    out = sys.stdout
    async with running_simulator() as sim:
        command, args = _server_command()
        params = StdioServerParameters(command=command, args=args, env=_server_env(sim))
        out.write(f"Catena simulator on {sim.base_url}; spawning `{Path(command).name}` on stdio.\n")
        async with Client(params) as client:
            tools = (await client.list_tools()).tools
            out.write(f"Tools: {', '.join(tool.name for tool in tools)}\n")
            triage = await client.call_tool(TRIAGE_TOOL, {})
            out.write(f"\n{RULE}\n{TRIAGE_TOOL}  (the last 24 hours)\n{RULE}\n{_text(triage)}\n")
            if triage.is_error or triage.structured_content is None:
                return 1
            calls = [("largest pattern's example", _example(triage.structured_content))]
            calls += [(key, _arguments(sim, key)) for key in DEMO_OPERATIONS]
            for label, arguments in calls:
                result = await client.call_tool(TOOL_NAME, arguments)
                out.write(f"\n{RULE}\n{TOOL_NAME}  ({label})\n{RULE}\n{_text(result)}\n")
                if result.is_error:
                    return 1
    out.write(f"\n{RULE}\nAll simulated. Wire it into a client with: catena-mcp --demo\n")
    return 0


def _text(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


def _example(triage: dict[str, Any]) -> dict[str, str]:
    example = triage["patterns"][0]["examples"][0]
    return {"connection_id": example["connection_id"], "resource_operation_id": example["id"]}


def _arguments(sim: SimulatorHandle, key: str) -> dict[str, str]:
    ref = sim.operations[key]
    return {"connection_id": ref.connection_id, "resource_operation_id": ref.operation_id}


def _server_env(sim: SimulatorHandle) -> dict[str, str]:
    return {
        "CATENA_BASE_URL": sim.base_url,
        "CATENA_TOKEN_URL": sim.token_url,
        "CATENA_CLIENT_ID": sim.client_id,
        "CATENA_CLIENT_SECRET": sim.client_secret,
    }


def run_demo() -> int:
    return anyio.run(_demo)
