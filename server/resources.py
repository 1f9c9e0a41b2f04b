"""MCP resources: the diagnosis of one operation as JSON, and a static guide to error types."""

import json
from typing import Any
from uuid import UUID

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from server.state import AppState
from tools.diagnosis.guide import ERROR_TYPES_GUIDE
from tools.errors import CatenaError
from tools.resource_operation import explain

OPERATION_URI = "catena://connections/{connection_id}/resource-operations/{resource_operation_id}"
GUIDE_URI = "catena://guides/error-types"


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
        except CatenaError as error:
            missing = error.status == 404
            raise (ResourceNotFoundError if missing else ResourceError)(error.message) from None
        return json.dumps(explain(operation, state, max_logs=20).structured())

    @mcp.resource(
        GUIDE_URI,
        name="error_types_guide",
        title="Catena error types, statuses and headers",
        description="What each error_type, TSP status code and rate-limit header means, and what to do.",
        mime_type="text/markdown",
    )
    def error_types_guide() -> str:
        return ERROR_TYPES_GUIDE
