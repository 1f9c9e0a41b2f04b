"""The `get_resource_operation` tool: fetch one operation, diagnose it, return text + structured content."""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from catena_mcp.tools.catena.errors import CatenaError
from catena_mcp.tools.catena.records import ResourceOperation
from catena_mcp.tools.context import AppState
from catena_mcp.tools.diagnosis import Diagnosis, diagnose, render_text
from catena_mcp.tools.schema import COMPACT_SCHEMA, OutputModel

TOOL_NAME = "get_resource_operation"
TOOL_TITLE = "Diagnose a Catena resource operation"
TOOL_DESCRIPTION = """\
Look up one Catena write-back (a create/update sent to a fleet's telematics provider, the TSP) and explain \
its attempts: verdict, failures grouped by error type and HTTP status, rate-limit timing, request IDs to \
quote to TSP support, and next steps. Use it when a partner asks why a resource operation is pending or \
failed. Read-only. Catena's endpoint is provisional, so fields may change."""

logger = logging.getLogger(__name__)

SIMULATED_BANNER = "> Simulated data from the built-in Catena simulator, not a real fleet.\n\n"

ConnectionId = Annotated[
    UUID, Field(description="Catena connection (one fleet + one TSP) the operation belongs to.")
]
OperationId = Annotated[UUID, Field(description="The resource operation's ID.")]
MaxLogs = Annotated[
    int,
    Field(ge=0, le=500, description="How many of the most recent attempt logs to return raw (0-500)."),
]


class ResourceOperationResult(OutputModel):
    """The tool's structured content."""

    model_config = COMPACT_SCHEMA

    # An open object in the schema: Catena's record is provisional and its fields drift; the diagnosis is
    # the typed part.
    operation: dict[str, Any] = Field(
        description="The operation as Catena returned it (ResourceOperationRead), latest max_logs logs only."
    )
    diagnosis: Diagnosis
    logs_omitted: int = Field(description="Older logs left out of operation.logs (see max_logs).")


@dataclass(frozen=True)
class Explanation:
    text: str
    result: ResourceOperationResult

    def structured(self) -> dict[str, Any]:
        return self.result.model_dump(mode="json")


def explain(operation: ResourceOperation, *, now: datetime, simulated: bool, max_logs: int) -> Explanation:
    """The markdown an assistant reads and the structured result, for one fetched operation."""
    diagnosis = diagnose(operation, now=now)
    text = render_text(operation, diagnosis)
    if simulated:
        text = SIMULATED_BANNER + text
    logs = operation.logs
    kept = sorted(logs, key=lambda log: log.created_at)[len(logs) - max_logs :] if max_logs else []
    result = ResourceOperationResult(
        operation=operation.model_copy(update={"logs": kept}).model_dump(mode="json"),
        diagnosis=diagnosis,
        logs_omitted=len(logs) - len(kept),
    )
    return Explanation(text=text, result=result)


def error_result(message: str) -> CallToolResult:
    return CallToolResult(is_error=True, content=[TextContent(type="text", text=message)])


UNEXPECTED_ERROR = (
    "catena-mcp failed unexpectedly while reading this operation. This is a bug in catena-mcp, not in "
    "your IDs: please report it with the catena-mcp version."
)


async def get_resource_operation(
    connection_id: ConnectionId,
    resource_operation_id: OperationId,
    ctx: Context[AppState],
    max_logs: MaxLogs = 20,
) -> Annotated[CallToolResult, ResourceOperationResult]:
    state = ctx.request_context.lifespan_context
    try:
        operation = await state.catena.get_resource_operation(connection_id, resource_operation_id)
        explanation = explain(operation, now=state.now(), simulated=state.simulated, max_logs=max_logs)
        return CallToolResult(
            content=[TextContent(type="text", text=explanation.text)],
            structured_content=explanation.structured(),
        )
    except CatenaError as error:
        return error_result(error.message)
    except Exception as exc:
        # The one place a bug surfaces: the client gets a fixed message, the log only the exception type
        # (a traceback could carry upstream text).
        logger.error("%s failed unexpectedly: %s", TOOL_NAME, type(exc).__name__)
        return error_result(UNEXPECTED_ERROR)


def register_tool(mcp: MCPServer[Any]) -> None:
    mcp.add_tool(
        get_resource_operation,
        name=TOOL_NAME,
        title=TOOL_TITLE,
        description=TOOL_DESCRIPTION,
        annotations=ToolAnnotations(
            title=TOOL_TITLE,
            read_only_hint=True,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=True,
        ),
    )
