"""Running the MCP server on stdio, SSE or Streamable HTTP, against Catena or the built-in simulator."""

import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Literal

from mcp.server.transport_security import TransportSecuritySettings
from pydantic import AnyHttpUrl, SecretStr

from catena_mcp.server.auth import StaticTokenVerifier, auth_settings, is_loopback
from catena_mcp.server.config import Settings

Transport = Literal["stdio", "sse", "streamable-http"]

# What the SDK accepts on a loopback bind by default; kept there when CATENA_MCP_ALLOWED_HOSTS adds names.
LOOPBACK_HOSTS = ("127.0.0.1:*", "localhost:*", "[::1]:*")
LOOPBACK_ORIGINS = ("http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*")


class StartupError(Exception):
    """The server refuses to start; the message says why and what to do."""


def check_bind(settings: Settings, transport: Transport, host: str) -> None:
    if transport != "stdio" and not is_loopback(host) and settings.catena_mcp_auth_token is None:
        raise StartupError(
            f"Refusing to serve {transport} on non-loopback host {host!r} without authentication: "
            "set CATENA_MCP_AUTH_TOKEN to a long random secret (clients send it as "
            "'Authorization: Bearer <token>'), or bind 127.0.0.1."
        )


_NOT_REPLICABLE = {
    "sse": "SSE keeps each client's session in one process, so it runs as a single process",
    "stdio": "stdio serves the one client that started it",
}


def check_stateless(transport: Transport, stateless: bool) -> None:
    if stateless and transport != "streamable-http":
        why = _NOT_REPLICABLE[transport]
        raise StartupError(
            f"--stateless (CATENA_MCP_STATELESS) applies to Streamable HTTP only: {why}. "
            "For replicas, serve --transport streamable-http --stateless."
        )


def transport_security(settings: Settings, host: str) -> TransportSecuritySettings | None:
    """The Host/Origin check of the HTTP transports for a bind on `host`; None keeps the SDK's default.

    On its own the SDK checks only on a loopback bind, and only for loopback names, so a reverse proxy
    that forwards its own Host gets 421 on every request. Naming hosts turns the check on for any bind.
    """
    hosts, origins = settings.catena_mcp_allowed_hosts, settings.catena_mcp_allowed_origins
    if not hosts and not origins:
        return None
    loopback = is_loopback(host)
    if not hosts and not loopback:
        raise StartupError(
            "CATENA_MCP_ALLOWED_ORIGINS is set without CATENA_MCP_ALLOWED_HOSTS: on a non-loopback bind "
            "every request would be refused (421). List the Host names clients use in "
            "CATENA_MCP_ALLOWED_HOSTS (name, or name:* for any port)."
        )
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*hosts, *(LOOPBACK_HOSTS if loopback else ())],
        allowed_origins=[*origins, *(LOOPBACK_ORIGINS if loopback else ())],
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


async def serve(
    settings: Settings, transport: Transport, host: str, port: int, *, demo: bool, stateless: bool = False
) -> None:
    stateless = stateless or settings.catena_mcp_stateless
    check_bind(settings, transport, host)
    check_stateless(transport, stateless)
    security = transport_security(settings, host) if transport != "stdio" else None
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
            from catena_mcp.server.stdio import run_stdio

            await run_stdio(mcp)
            return

        import uvicorn

        from catena_mcp.server.gc_tuning import tune_for_serving
        from catena_mcp.server.health import add_health_route

        add_health_route(mcp)
        if transport == "sse":
            app = mcp.sse_app(host=host, transport_security=security)
            path = "/sse"
        else:
            # Replies stay SSE-framed when stateless: JSON replies would drop progress notifications and
            # never deliver cancellation to the handler.
            app = mcp.streamable_http_app(
                host=host, stateless_http=stateless, json_response=False, transport_security=security
            )
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
        mode = " (stateless)" if stateless else ""
        url = f"http://{host}:{port}{path}"
        print(f"catena-mcp: serving {transport}{mode} on {url}", file=sys.stderr, flush=True)
        tune_for_serving()
        await uvicorn.Server(config).serve()
