"""`catena-mcp triage`: the triage tool's answer for people at a terminal."""

import json
import sys
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from uuid import UUID

import anyio

from catena_mcp.server.config import Settings, settings_for_command
from catena_mcp.server.logs import configure_logging
from catena_mcp.server.serve import demo_settings
from catena_mcp.tools.answer import SIMULATED_BANNER
from catena_mcp.tools.catena.client import CatenaClient
from catena_mcp.tools.catena.errors import CatenaError
from catena_mcp.tools.catena.filters import OperationFilters
from catena_mcp.tools.diagnosis.triage_render import render_triage
from catena_mcp.tools.operation_arguments import filters_from
from catena_mcp.tools.operation_scan import ProgressReporter
from catena_mcp.tools.triage import triage_window


def run_triage(
    *,
    connection_id: str | None,
    source_name: str | None,
    resource: str | None,
    operation_type: str | None,
    fleet_refs: list[str],
    source_id: str | None,
    since: str | None,
    until: str | None,
    as_json: bool,
    demo: bool,
) -> int:
    try:
        connection = None if connection_id is None else UUID(connection_id)
    except ValueError:
        print("catena-mcp triage: --connection-id must be a UUID.", file=sys.stderr)
        return 2
    filters = filters_from(
        connection_id=connection,
        source_name=source_name,
        resource=resource,
        operation_type=operation_type,
        fleet_refs=fleet_refs,
        source_id=source_id,
        since=since,
        until=until,
        now=datetime.now(UTC),
    )
    if isinstance(filters, str):
        print(f"catena-mcp triage: {filters}", file=sys.stderr)
        return 2
    settings = settings_for_command("catena-mcp triage")
    if settings is None:
        return 2
    configure_logging(settings.catena_mcp_log_level)
    return anyio.run(_triage, settings, filters, as_json, demo)


async def _no_progress(_progress: float, _total: float | None, _message: str | None) -> None:
    return None


async def _triage(settings: Settings, filters: OperationFilters, as_json: bool, demo: bool) -> int:
    async with AsyncExitStack() as stack:
        if demo:
            settings = await stack.enter_async_context(demo_settings(settings))
        catena = await stack.enter_async_context(CatenaClient(settings.client_config()))
        try:
            result = await triage_window(catena, filters, ProgressReporter(_no_progress))
        except CatenaError as error:
            print(f"catena-mcp triage: {error.message}", file=sys.stderr)
            return 1
    if as_json:
        output = json.dumps(result.model_dump(mode="json"), indent=2)
    else:
        output = (SIMULATED_BANNER if demo else "") + render_triage(result)
    sys.stdout.write(output + "\n")
    return 0
