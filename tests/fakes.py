"""The test support module: a fake Catena behind httpx.MockTransport, and the constants and helpers the
in-process tests share."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from mcp import Client
from mcp.server import MCPServer

from catena_mcp.server.config import Settings
from catena_mcp.tools.catena.client import CatenaClient
from catena_mcp.tools.resource_operation import TOOL_NAME

BASE_URL = "https://catena.test"
TOKEN_URL = "https://auth.catena.test/realms/catena/protocol/openid-connect/token"
CLIENT_ID = "partner-client"
CLIENT_SECRET = "s3cr3t-client-secret-value"  # must never appear in any output
CONNECTION_ID = "7b2d0c4e-3f7a-4d0b-9c1e-5a6f8e9d0a11"
OPERATION_ID = "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77"
ARGS = {"connection_id": CONNECTION_ID, "resource_operation_id": OPERATION_ID}
# A fixed "now" so diagnoses (retry moments, "already passed") are reproducible.
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

Responder = Callable[[httpx.Request], httpx.Response]
# The `server_factory` fixture (conftest.py): an in-process server on a FakeCatena.
ServerFactory = Callable[..., MCPServer[Any]]


def catena_error(status: int, message: str, detail: Any = None, **headers: str) -> httpx.Response:
    body: dict[str, Any] = {"code": status, "message": message, "detail": detail}
    return httpx.Response(status, json=body, headers=headers)


@dataclass
class FakeCatena:
    """Catena's token endpoint and resource-operation endpoint, as an httpx MockTransport handler.

    `replies` are consumed one per operation request; when empty, `operation` is served.
    """

    operation: dict[str, Any]
    replies: list[Responder | httpx.Response] = field(default_factory=list)
    token_replies: list[Responder | httpx.Response] = field(default_factory=list)
    expires_in: int = 3600
    requests: list[httpx.Request] = field(default_factory=list)
    issued: int = 0

    @property
    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url) == TOKEN_URL]

    @property
    def operation_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url) != TOKEN_URL]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if str(request.url) == TOKEN_URL:
            if self.token_replies:
                reply = self.token_replies.pop(0)
                return reply(request) if callable(reply) else reply
            self.issued += 1
            return httpx.Response(
                200,
                json={
                    "access_token": f"token-{self.issued}",
                    "expires_in": self.expires_in,
                    "refresh_expires_in": 0,
                    "token_type": "Bearer",
                    "scope": "organization",
                },
            )
        if self.replies:
            reply = self.replies.pop(0)
            return reply(request) if callable(reply) else reply
        if request.headers.get("authorization") != f"Bearer token-{self.issued}":
            return catena_error(401, "Unauthorized", "Invalid or expired token")
        expected = f"/v2/integrations/connections/{CONNECTION_ID}/resource-operations/{OPERATION_ID}"
        if request.url.path != expected:
            return catena_error(404, "Not Found", "Resource operation not found")
        return httpx.Response(200, content=json.dumps(self.operation).encode())


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "catena_base_url": BASE_URL,
        "catena_token_url": TOKEN_URL,
        "catena_client_id": CLIENT_ID,
        "catena_client_secret": CLIENT_SECRET,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class Sleeps:
    """A fake monotonic clock: records the waits the client asks for and advances time instantly."""

    waits: list[float] = field(default_factory=list)
    elapsed: float = 1000.0

    async def __call__(self, seconds: float) -> None:
        self.waits.append(round(seconds, 3))
        self.elapsed += seconds

    def monotonic(self) -> float:
        return self.elapsed


def make_client(
    fake: Callable[[httpx.Request], httpx.Response], sleeps: Sleeps, **settings: Any
) -> CatenaClient:
    return CatenaClient(
        make_settings(**settings).client_config(),
        transport=httpx.MockTransport(fake),
        sleep=sleeps,
        clock=sleeps.monotonic,
        jitter=lambda: 0.5,
        now=lambda: NOW,
    )


async def call(server: MCPServer[Any], arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    """Calls the tool through the official client; the whole result as JSON, checked free of the secret."""
    async with Client(server) as client:
        result = await client.call_tool(TOOL_NAME, ARGS if arguments is None else arguments)
    dumped = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert CLIENT_SECRET not in str(dumped)
    return dumped
