"""image_clients.py IMAGE UID REPO: the official MCP client against the catena-mcp container image.

Every container runs the way deploy/ runs it: read-only root filesystem, no capabilities, no privilege
escalation, simulated data (`--demo`), so no credentials and no network are needed.
- stdio: `docker run -i --rm --network none IMAGE --demo`, in the handshake era and the 2026-07-28 era;
- Streamable HTTP: `docker run --network host IMAGE --demo --transport streamable-http --host 127.0.0.1
  --stateless`, /healthz, both eras; the server process must run as UID;
- the image: the registry label of server.json, the user UID, the catena-mcp entry point.
Prints one PASS line per check; the first failure raises.
"""

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

TOOL = "get_resource_operation"
TRIAGE = "triage_resource_operation_failures"
OPERATION = "failed_tsp_outage"  # a plain failed operation of the simulator's catalogue
ERAS = (("legacy", "2025-11-25"), ("auto", "2026-07-28"))
DOCKER = shutil.which("docker") or "/usr/bin/docker"
HARDENED = ["--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"]

image, uid, repo = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
operation = json.loads((repo / "simulator" / "catalogue" / f"{OPERATION}.json").read_text("utf-8"))
arguments = {"connection_id": operation["connection_id"], "resource_operation_id": operation["id"]}


def docker(*args: str) -> str:
    done = subprocess.run([DOCKER, *args], check=True, capture_output=True, text=True)  # noqa: S603 -- ours
    return done.stdout.strip()


async def check_client(client: Client, era: str) -> str:
    assert client.protocol_version == era, f"protocol {client.protocol_version}, expected {era}"
    tools = [tool.name for tool in (await client.list_tools()).tools]
    assert tools == [TOOL, TRIAGE, "list_resource_operations"], f"tools {tools}"
    result = await client.call_tool(TOOL, arguments)
    assert result.is_error is False, result.content
    structured: dict[str, Any] = result.structured_content or {}
    assert structured["operation"]["id"] == operation["id"], structured["operation"]
    verdict = structured["diagnosis"]["verdict"]
    assert verdict == "failed", f"verdict {verdict}"
    triage = await client.call_tool(TRIAGE, {})
    assert triage.is_error is False, triage.content
    patterns = len((triage.structured_content or {})["patterns"])
    assert patterns > 0, "no failure pattern in the simulator's last day"
    return f"protocol {era}, tools/list, {TOOL} -> verdict {verdict}, {TRIAGE} -> {patterns} patterns"


async def stdio(mode: str, era: str) -> None:
    args = ["run", "-i", "--rm", "--network", "none", *HARDENED, image, "--demo"]
    async with Client(StdioServerParameters(command=DOCKER, args=args), mode=mode) as client:
        print(f"  PASS  stdio {mode:6} {await check_client(client, era)}", flush=True)


async def http(url: str, mode: str, era: str) -> None:
    async with Client(url, mode=mode) as client:
        print(f"  PASS  http  {mode:6} {await check_client(client, era)}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(name: str, port: int) -> str:
    """Polls GET /healthz, as a probe would, until it answers; returns the answer."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                return f"{response.status} {response.read().decode()}"
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the container did not answer /healthz in 30 s:\n{docker('logs', name)}")


def main() -> None:
    config = json.loads(docker("image", "inspect", "--format", "{{json .Config}}", image))
    name = json.loads((repo / "server.json").read_text("utf-8"))["name"]
    label = config["Labels"].get("io.modelcontextprotocol.server.name")
    assert label == name, f"label {label}, server.json name {name}"
    assert config["User"] == f"{uid}:{uid}", f"image user {config['User']}"
    assert config["Entrypoint"] == ["catena-mcp"], config["Entrypoint"]
    print(f"  PASS  image: user {config['User']}, entrypoint catena-mcp, label {label}", flush=True)

    for mode, era in ERAS:
        anyio.run(stdio, mode, era)

    port = free_port()
    container = f"catena-mcp-ci-{port}"
    serve = ["--demo", "--transport", "streamable-http", "--stateless", "--host", "127.0.0.1"]
    serve += ["--port", str(port)]
    docker("run", "-d", "--rm", "--name", container, "--network", "host", *HARDENED, image, *serve)
    try:
        answer = wait_healthy(container, port)
        assert answer == '200 {"status":"ok"}', answer
        print(f"  PASS  http  --stateless, GET /healthz: {answer}", flush=True)
        pid = docker("inspect", "--format", "{{.State.Pid}}", container)
        status = Path(f"/proc/{pid}/status").read_text("utf-8")
        uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
        assert uids == [str(uid)] * 4, f"the server runs as uids {uids}"
        print(f"  PASS  http  the server process runs as uid {uid} (real, effective, saved, fs)", flush=True)
        for mode, era in ERAS:
            anyio.run(http, f"http://127.0.0.1:{port}/mcp", mode, era)
    finally:
        subprocess.run([DOCKER, "rm", "-f", container], check=False, capture_output=True)  # noqa: S603


main()
