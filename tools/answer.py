"""How every tool answers: the one boundary between a tool's work and what the client reads.

Whatever goes wrong inside a tool leaves through here: a Catena failure as its fixed, actionable message
(`tools/catena/errors.py`), anything else as the tool's fixed "this is a bug" message, while the log gets
only the exception's type (a traceback could carry upstream text).
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent, ToolAnnotations

from catena_mcp.tools.catena.errors import CatenaError

logger = logging.getLogger(__name__)

SIMULATED_BANNER = "> Simulated data from the built-in Catena simulator, not a real fleet.\n\n"

# Text for the model and the structured content that goes with it.
Answer = tuple[str, dict[str, Any]]


def read_only(title: str) -> ToolAnnotations:
    """Every tool of this server only reads, from a world it does not own (Catena and the TSPs)."""
    return ToolAnnotations(
        title=title, read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
    )


def read_only_tool(
    fn: Callable[..., Awaitable[CallToolResult]], name: str, title: str, description: str
) -> Tool:
    """A tool of this server: read-only, its structured result published with its schema.

    The SDK would also validate every structured result against the model it declares, before sending it.
    Ours are built from those very models (mypy holds the code to them, and the tests hold results to the
    published schema, as clients check it), so the check would only repeat itself, at ~0.2M instructions
    a call on a short operation (~3% of the server's work). A schema without a model is published as is.
    """
    tool = Tool.from_function(fn, name, title, description, annotations=read_only(title))
    tool.fn_metadata.output_model = None
    return tool


def error_result(message: str) -> CallToolResult:
    return CallToolResult(is_error=True, content=[TextContent(type="text", text=message)])


async def answer(tool_name: str, unexpected: str, work: Callable[[], Awaitable[Answer]]) -> CallToolResult:
    """The result of `work`, or the fixed message for how it failed."""
    try:
        text, structured = await work()
    except CatenaError as error:
        return error_result(error.message)
    except Exception as exc:
        logger.error("%s failed unexpectedly: %s", tool_name, type(exc).__name__)
        return error_result(unexpected)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured)
