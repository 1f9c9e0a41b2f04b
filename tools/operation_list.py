"""The `list_resource_operations` tool: the newest operations of a window, filtered, in compact rows."""

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult
from pydantic import Field

from catena_mcp.tools.answer import SIMULATED_BANNER, Answer, answer, error_result, read_only_tool
from catena_mcp.tools.context import AppState
from catena_mcp.tools.diagnosis.listing import ListResult, StatusFilter, listed, render_listing
from catena_mcp.tools.operation_arguments import (
    ConnectionFilter,
    FleetRefs,
    OperationType,
    Resource,
    Since,
    SourceId,
    SourceName,
    Until,
    filters_from,
)
from catena_mcp.tools.operation_scan import ProgressReporter, scan_window

TOOL_NAME = "list_resource_operations"
TOOL_TITLE = "List Catena resource operations"
TOOL_DESCRIPTION = """\
List Catena write-backs (creates/updates sent to fleets' telematics providers) in a time window (default: \
the last 24 hours), newest first: ID, connection, TSP, resource, operation type, status, attempts and \
latest error when Catena's list carries them, created/updated times. Filter by status on our side (Catena \
cannot). Use it to find operation IDs for get_resource_operation; for "what is failing" prefer \
triage_resource_operation_failures. Read-only."""

# 100 rows are ~30 kB of structured content, about 8,000 tokens: well under what clients accept in one result.
MAX_LIMIT = 100


Status = Annotated[
    StatusFilter | None,
    Field(description="Only this status; not_success = failed, pending or any undocumented status."),
]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="How many rows at most (1-100).")]

UNEXPECTED_ERROR = (
    "catena-mcp failed unexpectedly while listing these operations. This is a bug in catena-mcp, not in "
    "your filters: please report it with the catena-mcp version."
)


async def list_resource_operations(
    ctx: Context[AppState],
    *,
    connection_id: ConnectionFilter = None,
    source_name: SourceName = None,
    resource: Resource = None,
    operation_type: OperationType = None,
    fleet_refs: FleetRefs = None,
    source_id: SourceId = None,
    since: Since = None,
    until: Until = None,
    status: Status = None,
    limit: Limit = 50,
) -> Annotated[CallToolResult, ListResult]:
    state = ctx.request_context.lifespan_context
    filters = filters_from(
        connection_id=connection_id,
        source_name=source_name,
        resource=resource,
        operation_type=operation_type,
        fleet_refs=fleet_refs,
        source_id=source_id,
        since=since,
        until=until,
        now=state.now(),
    )
    if isinstance(filters, str):
        return error_result(filters)

    async def work() -> Answer:
        scan = await scan_window(state.catena, filters, ProgressReporter(ctx.report_progress))
        rows, matched = listed(scan.rows, status, limit)
        result = ListResult(
            since=filters.since,
            until=filters.until,
            status=status,
            scanned=len(scan.rows),
            matched=matched,
            pages=scan.pages,
            stop=scan.stop,
            unreadable=scan.unreadable,
            rows=rows,
            omitted=matched - len(rows),
        )
        text = render_listing(result)
        return (SIMULATED_BANNER + text if state.simulated else text), result.model_dump(mode="json")

    return await answer(TOOL_NAME, UNEXPECTED_ERROR, work)


def list_tool() -> Tool:
    return read_only_tool(list_resource_operations, TOOL_NAME, TOOL_TITLE, TOOL_DESCRIPTION)
