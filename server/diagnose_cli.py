"""`catena-mcp diagnose`: the tool's answer for people at a terminal."""

import json
import sys
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from uuid import UUID

import anyio

from catena_mcp.server.config import Settings, settings_for_command
from catena_mcp.server.logs import configure_logging
from catena_mcp.server.serve import demo_settings
from catena_mcp.tools.catena.client import CatenaClient
from catena_mcp.tools.catena.errors import CatenaError
from catena_mcp.tools.resource_operation import explain


def run_diagnose(connection_id: str, operation_id: str, *, as_json: bool, max_logs: int, demo: bool) -> int:
    try:
        ids = UUID(connection_id), UUID(operation_id)
    except ValueError:
        print("catena-mcp diagnose: both IDs must be UUIDs.", file=sys.stderr)
        return 2
    if not 0 <= max_logs <= 500:
        print("catena-mcp diagnose: --max-logs must be between 0 and 500.", file=sys.stderr)
        return 2
    settings = settings_for_command("catena-mcp diagnose")
    if settings is None:
        return 2
    configure_logging(settings.catena_mcp_log_level)
    return anyio.run(_diagnose, settings, ids, as_json, max_logs, demo)


async def _diagnose(
    settings: Settings, ids: tuple[UUID, UUID], as_json: bool, max_logs: int, demo: bool
) -> int:
    async with AsyncExitStack() as stack:
        if demo:
            settings = await stack.enter_async_context(demo_settings(settings))
        catena = await stack.enter_async_context(CatenaClient(settings.client_config()))
        try:
            operation = await catena.get_resource_operation(*ids)
        except CatenaError as error:
            print(f"catena-mcp diagnose: {error.message}", file=sys.stderr)
            return 1
        explanation = explain(operation, now=datetime.now(UTC), simulated=demo, max_logs=max_logs)
    output = json.dumps(explanation.structured(), indent=2) if as_json else explanation.text
    sys.stdout.write(output + "\n")
    return 0
