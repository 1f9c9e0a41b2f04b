"""Builds the MCP server: the tool, the prompts and the resources around one shared Catena client."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from mcp.server import MCPServer
from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings

from catena_mcp import __version__
from catena_mcp.prompts import register_prompts
from catena_mcp.server.config import LogLevel
from catena_mcp.server.resources import register_resources
from catena_mcp.tools.catena.client import CatenaClient
from catena_mcp.tools.context import AppState, utc_now
from catena_mcp.tools.operation_list import list_tool
from catena_mcp.tools.resource_operation import resource_operation_tool
from catena_mcp.tools.triage import triage_tool

INSTRUCTIONS = """\
Explains Catena Telematics resource operations: write-backs (vehicle, driver, message, ...) that Catena \
forwards to a fleet's telematics provider. Call get_resource_operation with a connection ID and an operation \
ID to get the verdict, grouped failures, rate-limit timing, request IDs and next steps. Without an ID, start \
with triage_resource_operation_failures (what is failing across a window, by TSP, resource and error) or \
list_resource_operations (the newest operations, filtered). Read-only: it never re-issues a write."""

SIMULATED_INSTRUCTIONS = (
    INSTRUCTIONS + " This server runs in demo mode against a built-in simulator: all data is simulated."
)


def build_server(
    catena: CatenaClient,
    *,
    simulated: bool = False,
    log_level: LogLevel = "WARNING",
    now: Callable[[], datetime] = utc_now,
    token_verifier: TokenVerifier | None = None,
    auth: AuthSettings | None = None,
) -> MCPServer[AppState]:
    """The server, sharing `catena` across every connection.

    The client is created by the caller, not in the lifespan: the SDK enters the lifespan once per SSE
    connection, and one process must keep one connection pool and one token cache.
    """
    state = AppState(catena=catena, simulated=simulated, now=now)

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        yield state

    mcp: MCPServer[AppState] = MCPServer(
        "catena-mcp",
        title="Catena resource operations",
        instructions=SIMULATED_INSTRUCTIONS if simulated else INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        log_level=log_level,
        token_verifier=token_verifier,
        auth=auth,
        tools=[resource_operation_tool(), triage_tool(), list_tool()],
    )
    server: MCPServer[Any] = mcp
    register_prompts(server)
    register_resources(server)
    return mcp
