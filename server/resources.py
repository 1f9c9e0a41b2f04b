"""MCP resources: the diagnosis of one operation as JSON, and a static guide to error types."""

import json
from typing import Any
from uuid import UUID

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from catena_mcp.tools.catena.errors import CatenaError, NotFoundError
from catena_mcp.tools.context import AppState
from catena_mcp.tools.diagnosis.error_types_guide import ERROR_TYPES_GUIDE, GUIDE_URI
from catena_mcp.tools.resource_operation import explain

OPERATION_URI = "catena://connections/{connection_id}/resource-operations/{resource_operation_id}"


def _uuid(name: str, value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise ResourceNotFoundError(
            f"{name} must be a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6"
        ) from None


def register_resources(mcp: MCPServer[Any]) -> None:
    @mcp.resource(
        OPERATION_URI,
        name="resource_operation",
        title="Resource operation with diagnosis",
        description="One resource operation (latest 20 logs) and its diagnosis, as JSON.",
        mime_type="application/json",
    )
    async def resource_operation(
        connection_id: str, resource_operation_id: str, ctx: Context[AppState]
    ) -> str:
        state = ctx.request_context.lifespan_context
        ids = _uuid("connection_id", connection_id), _uuid("resource_operation_id", resource_operation_id)
        try:
            operation = await state.catena.get_resource_operation(*ids)
        except NotFoundError as error:
            raise ResourceNotFoundError(error.message) from None
        except CatenaError as error:
            raise ResourceError(error.message) from None
        explanation = explain(operation, now=state.now(), simulated=state.simulated, max_logs=20)
        return json.dumps(explanation.structured())

    @mcp.resource(
        GUIDE_URI,
        name="error_types_guide",
        title="Catena error types, statuses and headers",
        description="What each error_type, TSP status code and rate-limit header means, and what to do.",
        mime_type="text/markdown",
    )
    def error_types_guide() -> str:
        return ERROR_TYPES_GUIDE
