"""A broken or hostile Catena, over loopback, against a spawned `catena-mcp`: each answer stays bounded in
memory, time and size, and leaves other calls alone. One test per row of issue 9's table (the request-ID row
is issue 12's); the numbers the table measured before are in the comments.
"""

import json
import re
import time
import unicodedata
from pathlib import Path
from typing import Any

import anyio
import pytest
from inline_snapshot import external_file, snapshot
from mcp import Client
from mcp.types import CallToolResult

from catena_mcp.simulator import SimulatorHandle
from tests.e2e.helpers import TOOL, HttpServer, arguments, http_server, text_of, verdict_of

pytestmark = pytest.mark.anyio

HOSTILE = "failed_network"  # the operation whose body the faults below replace
MIB = 1024
GOLDEN = Path(__file__).parents[1] / "golden" / "hostile"
# What the simulator's invisible text hides: none of it may reach a reader.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\U000e0000-\U000e007f]")


def memory_kib(server: HttpServer) -> dict[str, int]:
    """Peak (VmHWM) and current (VmRSS) resident memory of the spawned server process."""
    lines = Path(f"/proc/{server.process.pid}/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    return {name: int(fields[name].split()[0]) for name in ("VmHWM", "VmRSS")}


def dumped(result: CallToolResult) -> dict[str, Any]:
    """The whole result as the client received it (minus the server's version, which moves)."""
    whole = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    whole.pop("_meta", None)
    return whole


def result_bytes(result: CallToolResult) -> int:
    """Text plus structured content, as compact UTF-8 JSON: what the result ceiling counts."""
    parts = [text_of(result), result.structured_content]
    return len(json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode())


async def timed_call(client: Client, args: dict[str, Any]) -> tuple[CallToolResult, float]:
    started = time.monotonic()
    result = await client.call_tool(TOOL, args)
    return result, time.monotonic() - started


async def test_oversized_bodies_stop_at_the_cap_and_stall_nothing(
    sim: SimulatorHandle, tmp_path: Path
) -> None:
    """80 MB JSON, a gzip bomb inflating to 256 MiB, and an endless body: each read stops at the 32 MiB cap.

    Measured before: peak RSS 888 MiB (80 MB body, 293 MiB after), 1,619 MiB (gzip bomb) and 1,758 MiB
    (endless); the small call sent alongside the 80 MB body waited 6.7 s.
    """
    hostile = sim.operations[HOSTILE].operation_id
    outcomes: dict[str, Any] = {}
    with http_server(sim, tmp_path, "streamable-http") as server:
        async with Client(f"{server.origin}/mcp") as client:
            # Warm: token cached, every module imported, one normal result served.
            verdict_of(sim, HOSTILE, await client.call_tool(TOOL, arguments(sim, HOSTILE)))
            before = memory_kib(server)
            for body in ("huge", "gzip-bomb", "endless"):
                sim.set_fault(hostile, {"body": body})
                small: list[float] = []
                answered = anyio.Event()

                async def alongside() -> None:
                    # Small calls one after another for as long as the hostile one runs.
                    while not answered.is_set():  # noqa: B023 -- awaited within this iteration
                        result, seconds = await timed_call(client, arguments(sim, "success_first_time"))
                        assert verdict_of(sim, "success_first_time", result) == "succeeded_first_time"
                        small.append(seconds)  # noqa: B023

                async with anyio.create_task_group() as tg:
                    tg.start_soon(alongside)
                    result, seconds = await timed_call(client, arguments(sim, HOSTILE))
                    answered.set()
                outcomes[body] = dumped(result)
                assert seconds < 10, body
                assert small, body
                assert max(small) < 2, body  # generous: one used to wait 6.7 s behind the 80 MB body
            after = memory_kib(server)
            server.assert_alive()
    assert outcomes == snapshot(
        {
            "huge": {
                "content": [
                    {
                        "type": "text",
                        "text": "Catena's reply could not be read (it is larger than the 32 MiB cap set by CATENA_MAX_RESPONSE_BYTES), so it was not read to the end. Raise CATENA_MAX_RESPONSE_BYTES if an operation this large is expected, or report it to Catena with the IDs you used.",
                    }
                ],
                "isError": True,
                "resultType": "complete",
            },
            "gzip-bomb": {
                "content": [
                    {
                        "type": "text",
                        "text": "Catena's reply could not be read (it is larger than the 32 MiB cap set by CATENA_MAX_RESPONSE_BYTES), so it was not read to the end. Raise CATENA_MAX_RESPONSE_BYTES if an operation this large is expected, or report it to Catena with the IDs you used.",
                    }
                ],
                "isError": True,
                "resultType": "complete",
            },
            "endless": {
                "content": [
                    {
                        "type": "text",
                        "text": "Catena's reply could not be read (it is larger than the 32 MiB cap set by CATENA_MAX_RESPONSE_BYTES), so it was not read to the end. Raise CATENA_MAX_RESPONSE_BYTES if an operation this large is expected, or report it to Catena with the IDs you used.",
                    }
                ],
                "isError": True,
                "resultType": "complete",
            },
        }
    )
    # Generous bounds: each body alone used to take 888-1,758 MiB.
    assert after["VmHWM"] - before["VmHWM"] < 200 * MIB, (before, after)
    assert after["VmRSS"] - before["VmRSS"] < 100 * MIB, (before, after)


async def test_a_dripping_or_cut_short_body_is_bounded_by_the_deadline(
    sim: SimulatorHandle, tmp_path: Path
) -> None:
    """A body that drips 1 byte/s never ends; measured before: no answer after 61 s."""
    hostile = sim.operations[HOSTILE].operation_id
    env = {"CATENA_TIMEOUT": "2", "CATENA_MAX_RETRIES": "1"}
    with http_server(sim, tmp_path, "streamable-http", env=env) as server:
        async with Client(f"{server.origin}/mcp") as client:
            sim.set_fault(hostile, {"body": "drip"})
            dripped, seconds = await timed_call(client, arguments(sim, HOSTILE))
            # Two attempts of 2 s and a backoff: bounded by CATENA_TIMEOUT per attempt, whole body included.
            assert 3.5 < seconds < 10
            sim.set_fault(hostile, {"body": "cut-short"})
            cut_short = dumped(await client.call_tool(TOOL, arguments(sim, HOSTILE)))
            sim.clear_faults()
            verdict_of(sim, HOSTILE, await client.call_tool(TOOL, arguments(sim, HOSTILE)))
    assert {"drip": dumped(dripped), "cut-short": cut_short} == snapshot(
        {
            "drip": {
                "content": [
                    {
                        "type": "text",
                        "text": "Catena did not answer within 2 s on 2 attempts. Try again later, or raise CATENA_TIMEOUT if this keeps happening.",
                    }
                ],
                "isError": True,
                "resultType": "complete",
            },
            "cut-short": {
                "content": [
                    {
                        "type": "text",
                        "text": "Catena's reply could not be read (the connection closed before the reply was complete) on 2 attempts. Try again; if this keeps happening, something between this server and Catena is cutting replies short.",
                    }
                ],
                "isError": True,
                "resultType": "complete",
            },
        }
    )


async def test_results_stay_under_the_ceiling_whatever_the_operation_holds(
    sim: SimulatorHandle, tmp_path: Path
) -> None:
    """A 10 MiB payload string, 1 MiB log fields, and max_logs=500 on the 5,000-log operation.

    Measured before: an 80 MiB result the official client never finished reading, and a 206 kB result
    (~50k tokens) for max_logs=500.
    """
    sim.set_fault(sim.operations[HOSTILE].operation_id, {"body": "huge-fields"})
    with http_server(sim, tmp_path, "streamable-http") as server:
        async with Client(f"{server.origin}/mcp") as client:
            huge = await client.call_tool(TOOL, arguments(sim, HOSTILE, max_logs=500))
            many = await client.call_tool(TOOL, arguments(sim, "thousands_of_logs", max_logs=500))
            server.assert_alive()
    assert verdict_of(sim, HOSTILE, huge) == "failed"
    assert verdict_of(sim, "thousands_of_logs", many) == "failed"
    assert result_bytes(huge) < 40_000
    assert result_bytes(many) < 40_000
    assert huge.structured_content is not None
    assert many.structured_content is not None
    # Every long value cut with its marker; the whole operation is long, so it lives in a golden file.
    assert huge.structured_content["operation"] == external_file(str(GOLDEN / "huge_fields_operation.json"))
    kept = many.structured_content["operation"]["logs"]
    assert (len(kept), many.structured_content["logs_omitted"]) == snapshot((70, 4930))
    assert kept[-1]["id"] == snapshot("5f0c3a1e-9b2d-4c7e-8a41-000000001387")  # the latest log is kept


async def test_invisible_text_never_reaches_the_reader(sim: SimulatorHandle, tmp_path: Path) -> None:
    """Bidi isolates, overrides, zero-width characters, a BOM and Unicode tag characters in TSP text and in
    Catena's `detail`; measured before: passed through into the model's text, inside code spans."""
    from catena_mcp.simulator.hostile import INVISIBLE_TEXT

    hostile = sim.operations[HOSTILE].operation_id
    with http_server(sim, tmp_path, "streamable-http") as server:
        async with Client(f"{server.origin}/mcp") as client:
            sim.set_fault(hostile, {"body": "invisible-text"})
            in_text = await client.call_tool(TOOL, arguments(sim, HOSTILE))
            sim.set_fault(hostile, {"status": 409, "detail": INVISIBLE_TEXT})
            in_error = await client.call_tool(TOOL, arguments(sim, HOSTILE))
    assert INVISIBLE.search(INVISIBLE_TEXT)
    for text in (text_of(in_text), text_of(in_error)):
        assert not [char for char in text if unicodedata.category(char) in ("Cf", "Cn")], text
        assert not INVISIBLE.search(text)
    assert text_of(in_error) == snapshot(
        "Catena answered 409 Conflict; try again shortly. Catena said: `VIN rejected by TSP: see esrever end`."
    )
    quoted = [line for line in text_of(in_text).splitlines() if "VIN rejected" in line]
    assert quoted == snapshot(
        ["| `network` | - | 5 | 07:00:31 → 07:30:38 | `VIN rejected by TSP: see esrever end` |"]
    )


async def test_a_hung_token_endpoint_fails_every_waiting_call_at_once(
    sim: SimulatorHandle, tmp_path: Path
) -> None:
    """8 calls wait on one token fetch that hangs; measured before: answers at 10.6 / 20.1 / ... / 45 s."""
    sim.set_token_fault({"latency_seconds": 120})
    with http_server(sim, tmp_path, "streamable-http", env={"CATENA_TIMEOUT": "2"}) as server:
        async with Client(f"{server.origin}/mcp") as client:
            answers: list[tuple[CallToolResult, float]] = []

            async def one() -> None:
                answers.append(await timed_call(client, arguments(sim, HOSTILE)))

            async with anyio.create_task_group() as tg:
                for _ in range(8):
                    tg.start_soon(one)
            server.assert_alive()
    assert sim.stats()["token_requests"] == 1  # one fetch, shared by all 8 calls, failure included
    assert max(seconds for _, seconds in answers) < 5  # about one 2 s timeout, not 8 of them
    (only,) = {json.dumps(dumped(result)) for result, _ in answers}
    assert json.loads(only) == snapshot(
        {
            "content": [
                {
                    "type": "text",
                    "text": "Could not get a Catena access token (no answer in time). Check CATENA_TOKEN_URL and that the token service is reachable; try again in a minute.",
                }
            ],
            "isError": True,
            "resultType": "complete",
        }
    )


async def test_odd_token_replies_are_token_errors(sim: SimulatorHandle, tmp_path: Path) -> None:
    """Measured before: "This is a bug" (nesting, a 1e400 expiry), "Could not connect" (a token with CRLF)."""
    messages = {}
    with http_server(sim, tmp_path, "streamable-http") as server:
        async with Client(f"{server.origin}/mcp") as client:
            for reply in ("deep-nesting", "infinite-expiry", "text-expiry", "no-token", "crlf-token"):
                sim.set_token_fault({"reply": reply, "times": 1})
                result = await client.call_tool(TOOL, arguments(sim, HOSTILE))
                assert result.is_error is True
                messages[reply] = text_of(result)
            verdict_of(sim, HOSTILE, await client.call_tool(TOOL, arguments(sim, HOSTILE)))
    assert messages == snapshot(
        {
            "deep-nesting": "Could not get a Catena access token (HTTP 200: the reply is not a JSON object we can read). Check CATENA_TOKEN_URL and that the token service is reachable; try again in a minute.",
            "infinite-expiry": "Could not get a Catena access token (HTTP 200: the reply's expires_in is not a sensible number of seconds). Check CATENA_TOKEN_URL and that the token service is reachable; try again in a minute.",
            "text-expiry": "Could not get a Catena access token (HTTP 200: the reply's expires_in is not a sensible number of seconds). Check CATENA_TOKEN_URL and that the token service is reachable; try again in a minute.",
            "no-token": "Could not get a Catena access token (HTTP 200: the reply holds no usable access_token). Check CATENA_TOKEN_URL and that the token service is reachable; try again in a minute.",
            "crlf-token": "Could not get a Catena access token (HTTP 200: the reply holds no usable access_token). Check CATENA_TOKEN_URL and that the token service is reachable; try again in a minute.",
        }
    )
