"""The baseline: the least an MCP server can do for this tool.

One `MCPServer`, one tool that fetches the token once, GETs the operation with one shared
`httpx.AsyncClient` and returns Catena's raw JSON as structured output. No diagnosis, no settings
library, no prompts or resources. It is the floor for start-up and per-call cost.

    CATENA_BASE_URL=... CATENA_TOKEN_URL=... CATENA_CLIENT_ID=... CATENA_CLIENT_SECRET=... \\
        python -m bench.thin_proxy                                  # stdio
    python -m bench.thin_proxy --transport streamable-http --port 8001
"""

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
from mcp.server import MCPServer
from mcp.server.mcpserver import Context


@dataclass
class Proxy:
    http: httpx.AsyncClient
    base_url: str
    token_url: str
    form: dict[str, str]
    token: str | None = None
    lock: anyio.Lock = field(default_factory=anyio.Lock)

    async def bearer(self) -> str:
        if self.token is None:
            async with self.lock:
                if self.token is None:
                    response = await self.http.post(self.token_url, data=self.form)
                    response.raise_for_status()
                    self.token = response.json()["access_token"]
        assert self.token is not None
        return self.token


def build(http: httpx.AsyncClient) -> MCPServer[Proxy]:
    env = os.environ
    proxy = Proxy(
        http=http,
        base_url=env["CATENA_BASE_URL"].rstrip("/"),
        token_url=env["CATENA_TOKEN_URL"],
        form={
            "grant_type": "client_credentials",
            "client_id": env["CATENA_CLIENT_ID"],
            "client_secret": env["CATENA_CLIENT_SECRET"],
            "scope": "organization",
        },
    )

    @asynccontextmanager
    async def lifespan(_: MCPServer[Proxy]) -> AsyncIterator[Proxy]:
        yield proxy

    mcp: MCPServer[Proxy] = MCPServer("thin-proxy", lifespan=lifespan, log_level="WARNING")

    @mcp.tool()
    async def get_resource_operation(
        connection_id: str, resource_operation_id: str, ctx: Context[Proxy]
    ) -> dict[str, Any]:
        """Get one Catena resource operation as raw JSON."""
        p = ctx.request_context.lifespan_context
        path = f"/v2/integrations/connections/{connection_id}/resource-operations/{resource_operation_id}"
        response = await p.http.get(
            p.base_url + path, headers={"Authorization": f"Bearer {await p.bearer()}"}
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    return mcp


async def _serve(transport: str, host: str, port: int) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        mcp = build(http)
        if transport == "stdio":
            await mcp.run_stdio_async()
            return
        import uvicorn

        app = mcp.streamable_http_app(host=host)
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
        await uvicorn.Server(config).serve()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.thin_proxy", description=__doc__.splitlines()[0])
    parser.add_argument("--transport", choices=("stdio", "streamable-http"), default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    options = parser.parse_args()
    anyio.run(_serve, options.transport, options.host, options.port)


if __name__ == "__main__":
    main()
