"""GET /healthz on the HTTP transports, for load balancers and Kubernetes probes.

It answers 200 without authentication (the SDK serves custom routes outside the bearer check) and never
calls Catena: a Catena outage must not take replicas out of rotation or restart them, since the tool
reports it to each caller with what to do.
"""

from typing import Any

from mcp.server import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

HEALTH_PATH = "/healthz"


async def _healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


def add_health_route(mcp: MCPServer[Any]) -> None:
    # The SDK's decorator is untyped; registering the typed handler keeps mypy's view of it.
    mcp.custom_route(HEALTH_PATH, methods=["GET"], include_in_schema=False)(_healthz)
