"""HTTP transport security of the running `catena-mcp`: bind policy, bearer token, DNS rebinding, bad bodies."""

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from inline_snapshot import snapshot
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from catena_mcp.simulator import SimulatorHandle
from tests.e2e.helpers import TOOL, arguments, free_port, http_server, run, server_env, verdict_of

MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
INITIALIZE: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw-e2e", "version": "0"},
    },
}
MAX_BODY = 4 * 1024 * 1024
AUTH_TOKEN = "e2e-mcp-auth-token-6c0d2a9e41f7b385"


def oversized_body() -> bytes:
    """A well-formed JSON-RPC request just over the 4 MiB limit."""
    padding = "a" * MAX_BODY
    return json.dumps({**INITIALIZE, "params": {**INITIALIZE["params"], "padding": padding}}).encode()


# Bodies that are not a JSON-RPC message, each with the content type it is sent as.
BAD_BODIES = {
    "oversized": (oversized_body(), "application/json"),
    "not json": (b'{"jsonrpc": "2.0", "id": 1, "method": ', "application/json"),
    "not json-rpc": (b'{"hello": "world"}', "application/json"),
    "json array of junk": (b"[1, 2, 3]", "application/json"),
    "empty": (b"", "application/json"),
    "binary": (bytes(range(256)), "application/json"),
    "wrong content type": (json.dumps(INITIALIZE).encode(), "text/plain"),
}


async def raw_request(method: str, url: str, **kwargs: Any) -> httpx2.Response:
    """One request on a fresh connection (a refused request may close its connection)."""
    async with httpx2.AsyncClient(timeout=10) as http:
        return await http.request(method, url, **kwargs)


async def assert_serving(client: Client, sim: SimulatorHandle) -> None:
    result = await client.call_tool(TOOL, arguments(sim, "success_first_time"))
    assert verdict_of(sim, "success_first_time", result) == "succeeded_first_time"


@pytest.mark.parametrize("transport", ["sse", "streamable-http"])
def test_non_loopback_bind_without_auth_token_refuses_to_start(
    sim: SimulatorHandle, tmp_path: Path, transport: str
) -> None:
    port = str(free_port())
    args = ["--transport", transport, "--host", "0.0.0.0", "--port", port]
    result = run(args, env=server_env(sim), cwd=tmp_path, timeout=30)
    assert result.returncode == 2
    assert result.stdout == ""
    assert (
        result.stderr
        == snapshot(
            {
                "sse": "catena-mcp: Refusing to serve sse on non-loopback host '0.0.0.0' without authentication: set CATENA_MCP_AUTH_TOKEN to a long random secret (clients send it as 'Authorization: Bearer <token>'), or bind 127.0.0.1.\n",
                "streamable-http": "catena-mcp: Refusing to serve streamable-http on non-loopback host '0.0.0.0' without authentication: set CATENA_MCP_AUTH_TOKEN to a long random secret (clients send it as 'Authorization: Bearer <token>'), or bind 127.0.0.1.\n",
            }
        )[transport]
    )


@pytest.mark.anyio
async def test_bearer_token_guards_streamable_http_on_a_non_loopback_bind(
    sim: SimulatorHandle, tmp_path: Path
) -> None:
    env = {"CATENA_MCP_AUTH_TOKEN": AUTH_TOKEN}
    # Bound to every interface, but the test only ever connects over loopback.
    with http_server(sim, tmp_path, "streamable-http", host="0.0.0.0", env=env) as server:
        url = f"{server.origin}/mcp"
        refused = {}
        for case, headers in {
            "no token": {},
            "wrong token": {"Authorization": "Bearer not-the-token"},
            "token without Bearer": {"Authorization": AUTH_TOKEN},
            "token as Basic": {"Authorization": f"Basic {AUTH_TOKEN}"},
            "token with a suffix": {"Authorization": f"Bearer {AUTH_TOKEN}x"},
        }.items():
            response = await raw_request("POST", url, json=INITIALIZE, headers={**MCP_HEADERS, **headers})
            refused[case] = (response.status_code, response.headers.get("www-authenticate"))
        assert refused == snapshot(
            {
                "no token": (
                    401,
                    'Bearer error="invalid_token", error_description="Authentication required"',
                ),
                "wrong token": (
                    401,
                    'Bearer error="invalid_token", error_description="Authentication required"',
                ),
                "token without Bearer": (
                    401,
                    'Bearer error="invalid_token", error_description="Authentication required"',
                ),
                "token as Basic": (
                    401,
                    'Bearer error="invalid_token", error_description="Authentication required"',
                ),
                "token with a suffix": (
                    401,
                    'Bearer error="invalid_token", error_description="Authentication required"',
                ),
            }
        )
        accepted = await raw_request(
            "POST", url, json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": f"Bearer {AUTH_TOKEN}"}
        )
        assert accepted.status_code == 200
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {AUTH_TOKEN}"}) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            await assert_serving(client, sim)
        server.assert_alive()
        assert AUTH_TOKEN not in server.output()
    assert sim.stats()["operation_requests"] == 1


@pytest.mark.anyio
async def test_bearer_token_guards_sse_on_a_non_loopback_bind(sim: SimulatorHandle, tmp_path: Path) -> None:
    env = {"CATENA_MCP_AUTH_TOKEN": AUTH_TOKEN}
    with http_server(sim, tmp_path, "sse", host="0.0.0.0", env=env) as server:
        url = f"{server.origin}/sse"
        statuses = {
            "no token": (await raw_request("GET", url)).status_code,
            "wrong token": (
                await raw_request("GET", url, headers={"Authorization": "Bearer nope"})
            ).status_code,
            "post without token": (
                await raw_request("POST", f"{server.origin}/messages/?session_id=0", json=INITIALIZE)
            ).status_code,
        }
        assert statuses == snapshot({"no token": 401, "wrong token": 401, "post without token": 401})
        async with Client(sse_client(url, headers={"Authorization": f"Bearer {AUTH_TOKEN}"})) as client:
            await assert_serving(client, sim)
        server.assert_alive()
    assert sim.stats()["operation_requests"] == 1


@pytest.mark.anyio
async def test_foreign_host_and_origin_are_refused_on_loopback_streamable_http(
    sim: SimulatorHandle, tmp_path: Path
) -> None:
    with http_server(sim, tmp_path, "streamable-http") as server:
        url = f"{server.origin}/mcp"
        statuses = {}
        for case, headers in {
            "foreign Host": {"Host": "evil.example"},
            "foreign Host with a loopback port": {"Host": f"evil.example:{server.port}"},
            "foreign Origin": {"Origin": "http://evil.example"},
            "foreign Origin on a loopback port": {"Origin": f"http://evil.example:{server.port}"},
            "localhost Host": {"Host": f"localhost:{server.port}"},
            "loopback Origin": {"Origin": f"http://127.0.0.1:{server.port}"},
        }.items():
            response = await raw_request("POST", url, json=INITIALIZE, headers={**MCP_HEADERS, **headers})
            statuses[case] = response.status_code
        assert statuses == snapshot(
            {
                "foreign Host": 421,
                "foreign Host with a loopback port": 421,
                "foreign Origin": 403,
                "foreign Origin on a loopback port": 403,
                "localhost Host": 200,
                "loopback Origin": 200,
            }
        )
        async with Client(url) as client:
            await assert_serving(client, sim)
        server.assert_alive()


@pytest.mark.anyio
async def test_foreign_host_and_origin_are_refused_on_loopback_sse(
    sim: SimulatorHandle, tmp_path: Path
) -> None:
    with http_server(sim, tmp_path, "sse") as server:
        url = f"{server.origin}/sse"
        statuses = {
            "foreign Host": (await raw_request("GET", url, headers={"Host": "evil.example"})).status_code,
            "foreign Origin": (
                await raw_request("GET", url, headers={"Origin": "http://evil.example"})
            ).status_code,
        }
        assert statuses == snapshot({"foreign Host": 421, "foreign Origin": 403})
        async with Client(sse_client(url)) as client:
            await assert_serving(client, sim)
        server.assert_alive()


@pytest.mark.anyio
async def test_bad_bodies_get_a_clean_4xx_on_streamable_http(sim: SimulatorHandle, tmp_path: Path) -> None:
    with http_server(sim, tmp_path, "streamable-http") as server:
        url = f"{server.origin}/mcp"
        statuses = {}
        for case, (body, content_type) in BAD_BODIES.items():
            headers = {**MCP_HEADERS, "Content-Type": content_type}
            statuses[case] = (await raw_request("POST", url, content=body, headers=headers)).status_code
        assert statuses == snapshot(
            {
                "oversized": 413,
                "not json": 400,
                "not json-rpc": 400,
                "json array of junk": 400,
                "empty": 400,
                "binary": 400,
                "wrong content type": 400,
            }
        )
        async with Client(url) as client:
            await assert_serving(client, sim)
        server.assert_alive()
        assert "Traceback" not in server.output()
    assert sim.stats()["operation_requests"] == 1


@pytest.mark.anyio
async def test_bad_bodies_get_a_clean_4xx_on_sse(sim: SimulatorHandle, tmp_path: Path) -> None:
    with http_server(sim, tmp_path, "sse") as server:
        async with (
            httpx2.AsyncClient(timeout=10) as http,
            http.stream("GET", f"{server.origin}/sse") as stream,
        ):
            # Keep the line iterator referenced: a dropped one is finalized, which closes the stream.
            lines = stream.aiter_lines()
            endpoint = None
            while endpoint is None:
                line = await anext(lines)
                if line.startswith("data:"):
                    endpoint = line.removeprefix("data:").strip()
            assert endpoint.startswith("/messages/?session_id=")
            statuses = {}
            for case, (body, content_type) in BAD_BODIES.items():
                response = await raw_request(
                    "POST", server.origin + endpoint, content=body, headers={"Content-Type": content_type}
                )
                statuses[case] = response.status_code
            # The session itself survived all of it.
            statuses["then a good message"] = (
                await raw_request("POST", server.origin + endpoint, json=INITIALIZE)
            ).status_code
        assert statuses == snapshot(
            {
                "oversized": 413,
                "not json": 400,
                "not json-rpc": 400,
                "json array of junk": 400,
                "empty": 400,
                "binary": 400,
                "wrong content type": 400,
                "then a good message": 202,
            }
        )
        async with Client(sse_client(f"{server.origin}/sse")) as client:
            await assert_serving(client, sim)
        server.assert_alive()
    assert sim.stats()["operation_requests"] == 1
