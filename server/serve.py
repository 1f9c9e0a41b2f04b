"""Running the MCP server on stdio, SSE or Streamable HTTP, against Catena or the built-in simulator."""

import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Literal

from pydantic import AnyHttpUrl, SecretStr

from catena_mcp.server.auth import StaticTokenVerifier, auth_settings, is_loopback
from catena_mcp.server.config import Settings

Transport = Literal["stdio", "sse", "streamable-http"]


class StartupError(Exception):
    """The server refuses to start; the message says why and what to do."""


def check_bind(settings: Settings, transport: Transport, host: str) -> None:
    if transport != "stdio" and not is_loopback(host) and settings.catena_mcp_auth_token is None:
        raise StartupError(
            f"Refusing to serve {transport} on non-loopback host {host!r} without authentication: "
            "set CATENA_MCP_AUTH_TOKEN to a long random secret (clients send it as "
            "'Authorization: Bearer <token>'), or bind 127.0.0.1."
        )


@asynccontextmanager
async def demo_settings(settings: Settings) -> AsyncIterator[Settings]:
    """Settings that point at an in-process simulator, which runs until the block ends."""
    from catena_mcp.simulator.running import running_simulator

    async with running_simulator() as sim:
        # model_copy does not validate, so every value must already have its field's type.
        yield settings.model_copy(
            update={
                "catena_base_url": AnyHttpUrl(sim.base_url),
                "catena_token_url": AnyHttpUrl(sim.token_url),
                "catena_client_id": sim.client_id,
                "catena_client_secret": SecretStr(sim.client_secret),
                "catena_access_token": None,
            }
        )


async def serve(settings: Settings, transport: Transport, host: str, port: int, demo: bool) -> None:
    check_bind(settings, transport, host)
    from catena_mcp.server.app import build_server
    from catena_mcp.tools.catena.client import CatenaClient

    async with AsyncExitStack() as stack:
        if demo:
            settings = await stack.enter_async_context(demo_settings(settings))
        catena = await stack.enter_async_context(CatenaClient(settings.client_config()))
        token = settings.catena_mcp_auth_token if transport != "stdio" else None
        mcp = build_server(
            catena,
            simulated=demo,
            log_level=settings.catena_mcp_log_level,
            token_verifier=StaticTokenVerifier(token) if token else None,
            auth=auth_settings(host, port) if token else None,
        )
        if transport == "stdio":
            await mcp.run_stdio_async()
            return

        import uvicorn

        if transport == "sse":
            app = mcp.sse_app(host=host)
            path = "/sse"
        else:
            app = mcp.streamable_http_app(host=host)
            path = "/mcp"
        # log_config=None: uvicorn logs through our stderr handler (and its traceback filter).
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level=settings.catena_mcp_log_level.lower(),
            log_config=None,
            access_log=False,
        )
        print(f"catena-mcp: serving {transport} on http://{host}:{port}{path}", file=sys.stderr, flush=True)
        await uvicorn.Server(config).serve()
