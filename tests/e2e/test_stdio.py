"""The installed `catena-mcp` on stdio: every catalogue operation, and a wire that carries only JSON-RPC."""

import json
import queue
import re
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

import pytest
from inline_snapshot import snapshot

from catena_mcp.simulator import SimulatorHandle, SimulatorThread
from tests.e2e.helpers import (
    EXPECTED_VERDICTS,
    MODES,
    SCRIPT,
    TOOL,
    TOOLS,
    arguments,
    call_every_operation,
    issued_tokens,
    process_env,
    server_env,
    stdio_server,
    stop,
    text_of,
)


@pytest.mark.anyio
@pytest.mark.parametrize(("mode", "protocol"), MODES)
async def test_every_catalogue_operation_over_stdio(
    sim: SimulatorHandle, tmp_path: Path, mode: str | None, protocol: str
) -> None:
    async with stdio_server(sim, tmp_path, mode=mode) as client:
        assert client.protocol_version == protocol
        assert await call_every_operation(client, sim) == EXPECTED_VERDICTS
        texts = {
            key: text_of(await client.call_tool(TOOL, arguments(sim, key)))
            for key in ("success_first_time", "failed_validation")
        }
    assert texts == snapshot(
        {
            "success_first_time": """\
**Succeeded** on the first attempt: create vehicle on samsara at 2026-11-20T09:00:01Z.

**Fleet ref:** `acme-freight` · **Created:** 2026-11-20T09:00:00Z (undated times below: this day, UTC) · **Updated:** 09:00:02  \n\
**Resource ID:** `5a7c9e1b-3d2f-4a6b-8c0e-1f3d5b7a9c2e` · **Source ID (in the TSP):** `281474982547231`  \n\
**Attempts:** 1 succeeded, 09:00:01

**Next steps:**
1. Nothing to do: the TSP accepted the write.\
""",
            "failed_validation": """\
**Failed** after 2 attempts: create user on geotab; latest failure validation (HTTP 422) at 2026-11-20T09:02:39Z.

**Fleet ref:** `northwind-logistics` · **Created:** 2026-11-20T09:02:00Z (undated times below: this day, UTC) · **Updated:** 09:02:40  \n\
**Attempts:** 2 failed, 09:02:05 → 09:02:39 (34 s)

**Failures by kind**, latest first:
| Error type | HTTP | Count | Seen | Latest details |
|-|-|-|-|-|
| `validation` | 422 | 2 | 09:02:05 → 09:02:39 | `ArgumentException: Name 'j.oneil' is invalid: user names must be e-mail addresses; licenseNumber exceeds 16 characters` |

**Payload fields the details name**, as sent:
- `license_number`: `D1234-56789-01234-5` (19 characters)

**Rate limits:**
- validation 422 at 09:02:39: window resets 09:03:00 · window 1 min, 1497 remaining

**Request IDs to quote:**
- `gt-0a9f`: attempt 2, 09:02:39, validation 422
- `gt-0a91`: attempt 1, 09:02:05, validation 422

**Next steps:**
1. The TSP rejected the payload: fix the fields shown above as its details say (rules differ per TSP).
2. Catena has stopped trying and has no retry endpoint: issue the write again once the cause is fixed.\
""",
        }
    )
    # One token for the whole session; one upstream request per call.
    assert sim.stats() == snapshot(
        {"token_requests": 1, "operation_requests": 26, "list_requests": 0, "by_status": {"200": 27}}
    )
    assert (tmp_path / "stderr.log").read_text() == ""


def _initialize(request_id: int) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "raw-e2e", "version": "0"},
        },
    }


def _pump(stream: IO[bytes], lines: "queue.Queue[bytes | None]") -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _next_line(lines: "queue.Queue[bytes | None]", deadline: float) -> bytes | None:
    try:
        return lines.get(timeout=max(deadline - time.monotonic(), 0))
    except queue.Empty:
        raise AssertionError("catena-mcp went quiet on stdout") from None


def test_stdout_carries_only_json_rpc_and_logs_leak_no_secret(tmp_path: Path) -> None:
    """Raw pipes, no SDK client: every byte on stdout is JSON-RPC, even with DEBUG logging on stderr."""
    secret = "e2e-client-secret-9f3b1c7a5d"
    with SimulatorThread(client_secret=secret) as sim:
        ref = sim.operations["success_first_time"]
        requests = [
            _initialize(1),
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {"name": TOOL, "arguments": arguments(sim, "success_first_time")},
            },
        ]
        stderr_path = tmp_path / "stderr.log"
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                [str(SCRIPT)],
                env=process_env(server_env(sim, CATENA_MCP_LOG_LEVEL="DEBUG")),
                cwd=tmp_path,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
            )
        try:
            assert process.stdin is not None
            assert process.stdout is not None
            lines: queue.Queue[bytes | None] = queue.Queue()
            threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
            process.stdin.write(b"".join(json.dumps(r).encode() + b"\n" for r in requests))
            process.stdin.flush()
            deadline = time.monotonic() + 30
            raw: list[bytes] = []
            # stdin is closed only once the call is answered: at EOF the SDK abandons requests in flight.
            answered = False
            while not answered:
                line = _next_line(lines, deadline)
                assert line is not None, "stdout closed before the tools/call answer"
                raw.append(line)
                answered = json.loads(line).get("id") == 3
            process.stdin.close()
            while (line := _next_line(lines, deadline)) is not None:
                raw.append(line)
            assert process.wait(10) == 0
        finally:
            stop(process)
        tokens = issued_tokens(sim)
        assert sim.stats() == snapshot(
            {"token_requests": 1, "operation_requests": 1, "list_requests": 0, "by_status": {"200": 2}}
        )

    messages = [json.loads(line) for line in raw]  # every line parses: nothing but JSON on the wire
    assert all(line.endswith(b"\n") for line in raw)
    assert all(message.get("jsonrpc") == "2.0" for message in messages)
    assert [(m.get("id"), sorted(set(m) - {"jsonrpc", "id"})) for m in messages] == snapshot(
        [(1, ["result"]), (2, ["result"]), (3, ["result"])]
    )
    call = messages[-1]["result"]
    assert call["isError"] is False
    assert call["structuredContent"]["operation"]["id"] == ref.operation_id
    assert [tool["name"] for tool in messages[1]["result"]["tools"]] == TOOLS

    logged = stderr_path.read_text("utf-8")
    assert " DEBUG " in logged  # the level took effect: there was something to leak
    assert len(tokens) == 1
    for text in (logged, b"".join(raw).decode()):
        assert secret not in text
        assert tokens[0] not in text
        assert re.search(r"Bearer\s+[A-Za-z0-9._~+/=-]{8,}", text) is None


def test_a_client_that_stops_listening_ends_the_session_quietly(tmp_path: Path) -> None:
    """A client that closes our stdout: the first reply that meets the closed pipe ends the session, with
    exit 0 and nothing on stderr (it used to end with exit 1 and a traceback)."""
    with SimulatorThread() as sim:
        process = subprocess.Popen(
            [str(SCRIPT)],
            env=process_env(server_env(sim)),
            cwd=tmp_path,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert process.stdin is not None
            assert process.stdout is not None
            assert process.stderr is not None
            process.stdout.close()
            process.stdin.write(json.dumps(_initialize(1)).encode() + b"\n")
            process.stdin.flush()  # stdin stays open: only the broken pipe can end the session
            returncode = process.wait(30)
            stderr = process.stderr.read().decode()
        finally:
            stop(process)
    assert (returncode, stderr) == (0, "")
