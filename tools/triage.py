"""The `triage_resource_operation_failures` tool: the failure patterns across a window of operations."""

from typing import Annotated

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult

from catena_mcp.tools.answer import SIMULATED_BANNER, Answer, answer, error_result, read_only_tool
from catena_mcp.tools.catena.client import CatenaClient
from catena_mcp.tools.catena.filters import OperationFilters
from catena_mcp.tools.context import AppState
from catena_mcp.tools.diagnosis.triage import TriageResult, triage
from catena_mcp.tools.diagnosis.triage_render import render_triage, triage_steps
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
from catena_mcp.tools.operation_scan import (
    TOTAL_BUDGET_SECONDS,
    ProgressReporter,
    inspect_failing,
    scan_window,
)

TOOL_NAME = "triage_resource_operation_failures"
TOOL_TITLE = "Triage failing Catena write-backs"
TOOL_DESCRIPTION = """\
Find out what is failing across many Catena write-backs (creates/updates sent to fleets' telematics \
providers, TSPs): pages through a time window (default: the last 24 hours) and groups the failed and \
pending operations by TSP, resource, operation type, status and latest error type / HTTP status, with \
counts, share, first/last seen, example operation IDs for get_resource_operation, the latest rate-limit \
headers per TSP and next steps. Use it for "writes to Samsara keep failing since this morning" or "what is \
failing for fleet X this week". Read-only; bounded to about 40 s."""


UNEXPECTED_ERROR = (
    "catena-mcp failed unexpectedly while triaging these operations. This is a bug in catena-mcp, not in "
    "your filters: please report it with the catena-mcp version."
)


async def triage_window(
    catena: CatenaClient, filters: OperationFilters, reporter: ProgressReporter
) -> TriageResult:
    """Read the window (bounded), read a sample of the failing operations' attempts, find the patterns."""
    deadline = anyio.current_time() + TOTAL_BUDGET_SECONDS
    scan = await scan_window(catena, filters, reporter)
    await inspect_failing(catena, scan, reporter, deadline=deadline)
    found = triage(scan.rows)
    result = TriageResult(
        since=filters.since,
        until=filters.until,
        scanned=found.scanned,
        failing=found.failing,
        pages=scan.pages,
        stop=scan.stop,
        inspected=found.inspected,
        inspect_stop=scan.detail_stop,
        unreadable=scan.unreadable,
        patterns=found.patterns,
        patterns_omitted=found.patterns_omitted,
        operations_omitted=found.omitted_operations,
        rate_limits=found.rate_limits,
        next_steps=[],
    )
    result.next_steps = triage_steps(result)
    return result


async def triage_resource_operation_failures(
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
) -> Annotated[CallToolResult, TriageResult]:
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
        result = await triage_window(state.catena, filters, ProgressReporter(ctx.report_progress))
        text = render_triage(result)
        return (SIMULATED_BANNER + text if state.simulated else text), result.model_dump(mode="json")

    return await answer(TOOL_NAME, UNEXPECTED_ERROR, work)


def triage_tool() -> Tool:
    return read_only_tool(triage_resource_operation_failures, TOOL_NAME, TOOL_TITLE, TOOL_DESCRIPTION)
