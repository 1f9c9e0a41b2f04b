"""What a shared deployment relies on, over real HTTP: /healthz, allowed hosts behind a proxy, --stateless."""

from pathlib import Path
from typing import Any

import httpx2
import pytest
from inline_snapshot import snapshot
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from catena_mcp.simulator import SimulatorHandle
from tests.e2e.helpers import TOOL, HttpServer, arguments, free_port, http_server, run, server_env, verdict_of

pytestmark = pytest.mark.anyio

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
AUTH_TOKEN = "e2e-deploy-auth-token-0f4b8c2d7e91a6b3"
ENDPOINTS = {"sse": "/sse", "streamable-http": "/mcp"}
PROXY_HOST = "mcp.example.test"


async def raw_request(method: str, url: str, **kwargs: Any) -> httpx2.Response:
    """One request on a fresh connection (a refused request may close its connection)."""
    async with httpx2.AsyncClient(timeout=10) as http:
        return await http.request(method, url, **kwargs)


async def health(server: HttpServer, **kwargs: Any) -> tuple[int, str, str]:
    response = await raw_request("GET", f"{server.origin}/healthz", **kwargs)
    return response.status_code, response.headers.get("content-type", ""), response.text


async def assert_serving(client: Client, sim: SimulatorHandle) -> None:
    result = await client.call_tool(TOOL, arguments(sim, "success_first_time"))
    assert verdict_of(sim, "success_first_time", result) == "succeeded_first_time"


@pytest.mark.parametrize("transport", ["sse", "streamable-http"])
async def test_healthz_answers_without_calling_catena(
    sim: SimulatorHandle, tmp_path: Path, transport: str
) -> None:
    with http_server(sim, tmp_path, transport) as server:
        answers = {
            "GET": await health(server),
            "POST": (await raw_request("POST", f"{server.origin}/healthz")).status_code,
        }
        assert answers == snapshot({"GET": (200, "application/json", '{"status":"ok"}'), "POST": 405})
        server.assert_alive()
    assert sim.stats() == snapshot(
        {"token_requests": 0, "operation_requests": 0, "list_requests": 0, "by_status": {}}
    )


@pytest.mark.parametrize("transport", ["sse", "streamable-http"])
async def test_bearer_token_guards_mcp_but_not_healthz(
    sim: SimulatorHandle, tmp_path: Path, transport: str
) -> None:
    env = {"CATENA_MCP_AUTH_TOKEN": AUTH_TOKEN}
    with http_server(sim, tmp_path, transport, host="0.0.0.0", env=env) as server:
        endpoint = f"{server.origin}{ENDPOINTS[transport]}"
        method = "GET" if transport == "sse" else "POST"
        body = {} if transport == "sse" else {"json": INITIALIZE, "headers": MCP_HEADERS}
        answers = {
            "healthz without a token": await health(server),
            "MCP endpoint without a token": (await raw_request(method, endpoint, **body)).status_code,
        }
        assert answers == snapshot(
            {
                "healthz without a token": (200, "application/json", '{"status":"ok"}'),
                "MCP endpoint without a token": 401,
            }
        )
        bearer = {"Authorization": f"Bearer {AUTH_TOKEN}"}
        if transport == "sse":
            async with Client(sse_client(endpoint, headers=bearer)) as client:
                await assert_serving(client, sim)
        else:
            async with (
                httpx2.AsyncClient(headers=bearer) as http,
                Client(streamable_http_client(endpoint, http_client=http)) as client,
            ):
                await assert_serving(client, sim)
        server.assert_alive()
    assert sim.stats()["operation_requests"] == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
async def test_allowed_hosts_let_a_proxy_through_and_still_refuse_foreign_hosts(
    sim: SimulatorHandle, tmp_path: Path, host: str
) -> None:
    env = {
        "CATENA_MCP_ALLOWED_HOSTS": f" {PROXY_HOST}, {PROXY_HOST}:* ",
        "CATENA_MCP_ALLOWED_ORIGINS": f"https://{PROXY_HOST}",
        "CATENA_MCP_AUTH_TOKEN": AUTH_TOKEN,
    }
    bearer = {"Authorization": f"Bearer {AUTH_TOKEN}"}
    with http_server(sim, tmp_path, "streamable-http", host=host, env=env) as server:
        url = f"{server.origin}/mcp"
        statuses = {}
        for case, headers in {
            "the proxy's Host": {"Host": PROXY_HOST},
            "the proxy's Host with a port": {"Host": f"{PROXY_HOST}:8443"},
            "the proxy's Origin": {"Host": PROXY_HOST, "Origin": f"https://{PROXY_HOST}"},
            "a foreign Host": {"Host": "evil.example"},
            "a foreign Host on the proxy's port": {"Host": "evil.example:8443"},
            "a foreign Origin": {"Host": PROXY_HOST, "Origin": "https://evil.example"},
            "the loopback Host": {"Host": f"127.0.0.1:{server.port}"},
        }.items():
            response = await raw_request(
                "POST", url, json=INITIALIZE, headers={**MCP_HEADERS, **bearer, **headers}
            )
            statuses[case] = response.status_code
        # Loopback names stay accepted on a loopback bind only: a wildcard bind accepts the listed names.
        assert (
            statuses
            == snapshot(
                {
                    "127.0.0.1": {
                        "the proxy's Host": 200,
                        "the proxy's Host with a port": 200,
                        "the proxy's Origin": 200,
                        "a foreign Host": 421,
                        "a foreign Host on the proxy's port": 421,
                        "a foreign Origin": 403,
                        "the loopback Host": 200,
                    },
                    "0.0.0.0": {
                        "the proxy's Host": 200,
                        "the proxy's Host with a port": 200,
                        "the proxy's Origin": 200,
                        "a foreign Host": 421,
                        "a foreign Host on the proxy's port": 421,
                        "a foreign Origin": 403,
                        "the loopback Host": 421,
                    },
                }
            )[host]
        )
        # The official client, as if it had come through the proxy.
        async with (
            httpx2.AsyncClient(headers={**bearer, "Host": PROXY_HOST}) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            await assert_serving(client, sim)
        assert await health(server, headers={"Host": "evil.example"}) == snapshot(
            (200, "application/json", '{"status":"ok"}')
        )
        server.assert_alive()


async def test_stateless_by_environment_keeps_no_session(sim: SimulatorHandle, tmp_path: Path) -> None:
    env = {"CATENA_MCP_STATELESS": "true"}
    with http_server(sim, tmp_path, "streamable-http", env=env) as server:
        url = f"{server.origin}/mcp"
        initialized = await raw_request("POST", url, json=INITIALIZE, headers=MCP_HEADERS)
        answers = {
            "initialize": (initialized.status_code, initialized.headers.get("content-type")),
            "session id": initialized.headers.get("mcp-session-id"),
            "DELETE": (await raw_request("DELETE", url, headers=MCP_HEADERS)).status_code,
        }
        assert answers == snapshot(
            {"initialize": (200, "text/event-stream"), "session id": None, "DELETE": 405}
        )
        async with Client(url, mode="legacy") as client:
            await assert_serving(client, sim)
        server.assert_alive()
        assert server.output() == snapshot(
            "catena-mcp: serving streamable-http (stateless) on http://127.0.0.1:PORT/mcp\n"
        )


@pytest.mark.parametrize(
    ("case", "args", "env"),
    [
        pytest.param("stateless sse", ["--transport", "sse", "--stateless"], {}, id="stateless-sse"),
        pytest.param("stateless stdio", [], {"CATENA_MCP_STATELESS": "1"}, id="stateless-stdio"),
        pytest.param(
            "origins without hosts",
            ["--transport", "streamable-http", "--host", "0.0.0.0"],
            {"CATENA_MCP_ALLOWED_ORIGINS": f"https://{PROXY_HOST}", "CATENA_MCP_AUTH_TOKEN": AUTH_TOKEN},
            id="origins-without-hosts",
        ),
    ],
)
def test_settings_that_cannot_work_refuse_to_start(
    sim: SimulatorHandle, tmp_path: Path, case: str, args: list[str], env: dict[str, str]
) -> None:
    result = run([*args, "--port", str(free_port())], env=server_env(sim, **env), cwd=tmp_path, timeout=30)
    assert (result.returncode, result.stdout) == (2, "")
    assert (
        result.stderr
        == snapshot(
            {
                "stateless sse": "catena-mcp: --stateless (CATENA_MCP_STATELESS) applies to Streamable HTTP only: SSE keeps each client's session in one process, so it runs as a single process. For replicas, serve --transport streamable-http --stateless.\n",
                "stateless stdio": "catena-mcp: --stateless (CATENA_MCP_STATELESS) applies to Streamable HTTP only: stdio serves the one client that started it. For replicas, serve --transport streamable-http --stateless.\n",
                "origins without hosts": "catena-mcp: CATENA_MCP_ALLOWED_ORIGINS is set without CATENA_MCP_ALLOWED_HOSTS: on a non-loopback bind every request would be refused (421). List the Host names clients use in CATENA_MCP_ALLOWED_HOSTS (name, or name:* for any port).\n",
            }
        )[case]
    )
