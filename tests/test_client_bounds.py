"""The client's distrust of size, pace and shape, pinned in-process: the call deadline over real loopback
HTTP, and body decoding and odd token replies through httpx's MockTransport."""

import gzip
import json
import sys
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import anyio
import httpx
import pytest
from inline_snapshot import snapshot
from pydantic import SecretStr

from catena_mcp.simulator import SimulatorThread
from catena_mcp.tools.catena.client import CatenaClient, ClientConfig
from catena_mcp.tools.catena.errors import CatenaError
from tests.fakes import CONNECTION_ID, OPERATION_ID, FakeCatena, Sleeps, make_client, make_settings
from tests.operations import SUCCEEDED_AFTER_RETRY

pytestmark = pytest.mark.anyio


class Chunks(httpx.AsyncByteStream):
    """A body that arrives in pieces, as from the network (MockTransport otherwise hands bodies over read)."""

    def __init__(self, *chunks: bytes) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


def streamed(body: bytes, **headers: str) -> httpx.Response:
    return httpx.Response(
        200, headers=headers, stream=Chunks(*(body[i : i + 1000] for i in range(0, len(body), 1000)))
    )


async def message_of(client: CatenaClient) -> str:
    with pytest.raises(CatenaError) as raised:
        await client.get_resource_operation(UUID(CONNECTION_ID), UUID(OPERATION_ID))
    return raised.value.message


async def test_the_call_deadline_cuts_a_drip_even_with_a_long_timeout() -> None:
    """CATENA_TIMEOUT 30 s and 5 retries would let a dripping body run for minutes: the call's own budget
    (45 s in production, 3 s here) ends it, whole body read included."""
    with SimulatorThread() as sim:
        ref = sim.operations["failed_network"]
        sim.set_fault(ref.operation_id, {"body": "drip"})
        config = ClientConfig(
            base_url=sim.base_url,
            token_url=sim.token_url,
            client_id=sim.client_id,
            client_secret=SecretStr(sim.client_secret),
            timeout=30,
            max_retries=5,
            call_budget=3,
        )
        async with CatenaClient(config) as client:
            started = time.monotonic()
            with pytest.raises(CatenaError) as raised:
                await client.get_resource_operation(UUID(ref.connection_id), UUID(ref.operation_id))
            elapsed = time.monotonic() - started
    assert 2.5 < elapsed < 6
    assert raised.value.message == snapshot(
        "Catena did not finish answering within the 3 s a call may take (1 attempt). Try again later; if this keeps happening, Catena or the network to it is very slow."
    )


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda body: zlib.compress(body, wbits=-zlib.MAX_WBITS)),  # raw deflate, as some send
    ],
    ids=["gzip", "zlib-deflate", "raw-deflate"],
)
async def test_compressed_bodies_are_inflated(encoding: str, encode: Any, sleeps: Sleeps) -> None:
    reply = streamed(encode(json.dumps(SUCCEEDED_AFTER_RETRY).encode()), **{"Content-Encoding": encoding})
    client = make_client(FakeCatena(SUCCEEDED_AFTER_RETRY, replies=[reply]), sleeps)
    operation = await client.get_resource_operation(UUID(CONNECTION_ID), UUID(OPERATION_ID))
    assert operation.id == SUCCEEDED_AFTER_RETRY["id"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            streamed(b"\x1f\x8b\x08\x00garbage" * 10, **{"Content-Encoding": "gzip"}),
            snapshot(
                "Catena's reply could not be read (its compressed data is corrupt). Try again; if this keeps happening, report it to Catena with the IDs you used."
            ),
        ),
        (
            streamed(b"{}", **{"Content-Encoding": "br"}),
            snapshot(
                "Catena's reply could not be read (it is compressed in a way catena-mcp does not read). Try again; if this keeps happening, report it to Catena with the IDs you used."
            ),
        ),
        (
            streamed(b" " * 70_000),
            snapshot(
                "Catena's reply could not be read (it is larger than the 65,536-byte cap set by CATENA_MAX_RESPONSE_BYTES), so it was not read to the end. Raise CATENA_MAX_RESPONSE_BYTES if an operation this large is expected, or report it to Catena with the IDs you used."
            ),
        ),
        (
            streamed(gzip.compress(b" " * 70_000), **{"Content-Encoding": "gzip"}),
            snapshot(
                "Catena's reply could not be read (it is larger than the 65,536-byte cap set by CATENA_MAX_RESPONSE_BYTES), so it was not read to the end. Raise CATENA_MAX_RESPONSE_BYTES if an operation this large is expected, or report it to Catena with the IDs you used."
            ),
        ),
        (
            httpx.Response(200, headers={"Content-Length": "70000"}, stream=Chunks(b"{")),
            snapshot(
                "Catena's reply could not be read (it is larger than the 65,536-byte cap set by CATENA_MAX_RESPONSE_BYTES), so it was not read to the end. Raise CATENA_MAX_RESPONSE_BYTES if an operation this large is expected, or report it to Catena with the IDs you used."
            ),
        ),
    ],
    ids=["corrupt-gzip", "brotli", "over-cap", "over-cap-inflated", "declared-over-cap"],
)
async def test_unreadable_or_oversized_bodies(reply: httpx.Response, expected: str, sleeps: Sleeps) -> None:
    fake = FakeCatena(SUCCEEDED_AFTER_RETRY, replies=[reply])
    client = make_client(fake, sleeps, catena_max_response_bytes=65_536)
    assert await message_of(client) == expected
    assert len(fake.operation_requests) == 1  # none of these is worth a retry


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"access_token":' + b"[" * 30_000 + b"]" * 30_000 + b"}",
            snapshot(
                "Could not get a Catena access token (HTTP 200: the reply is not a JSON object we can read). Check CATENA_TOKEN_URL and that the token service is reachable; try again in a minute."
            ),
        ),
        (
            b'{"access_token":"t","expires_in":1e400}',
            snapshot(
                "Could not get a Catena access token (HTTP 200: the reply's expires_in is not a sensible number of seconds). Check CATENA_TOKEN_URL and that the token service is reachable; try again in a minute."
            ),
        ),
        (
            b'{"access_token":"t","expires_in":1' + b"0" * 400 + b"}",
            snapshot(
                "Could not get a Catena access token (HTTP 200: the reply's expires_in is not a sensible number of seconds). Check CATENA_TOKEN_URL and that the token service is reachable; try again in a minute."
            ),
        ),
        (
            b'{"access_token":"t","expires_in":true}',
            snapshot(
                "Could not get a Catena access token (HTTP 200: the reply's expires_in is not a sensible number of seconds). Check CATENA_TOKEN_URL and that the token service is reachable; try again in a minute."
            ),
        ),
        (
            b'{"access_token":"t\\r\\nX-Injected: 1","expires_in":300}',
            snapshot(
                "Could not get a Catena access token (HTTP 200: the reply holds no usable access_token). Check CATENA_TOKEN_URL and that the token service is reachable; try again in a minute."
            ),
        ),
        (
            b'{"access_token":42,"expires_in":300}',
            snapshot(
                "Could not get a Catena access token (HTTP 200: the reply holds no usable access_token). Check CATENA_TOKEN_URL and that the token service is reachable; try again in a minute."
            ),
        ),
        (
            b'{"access_token":"' + b"t" * 70_000 + b'"}',
            snapshot(
                "Could not get a Catena access token (the reply is far too large). Check CATENA_TOKEN_URL and that the token service is reachable; try again in a minute."
            ),
        ),
    ],
    ids=[
        "deep-nesting",
        "infinite-expiry",
        "huge-int-expiry",
        "bool-expiry",
        "crlf-token",
        "number-token",
        "huge",
    ],
)
async def test_odd_token_replies(body: bytes, expected: str, sleeps: Sleeps) -> None:
    fake = FakeCatena(SUCCEEDED_AFTER_RETRY, token_replies=[streamed(body)])
    assert await message_of(make_client(fake, sleeps)) == expected
    assert fake.operation_requests == []


async def test_numeric_string_expiry_is_believed(sleeps: Sleeps) -> None:
    # Some token services (older Azure AD among them) send expires_in as a string of digits.
    fake = FakeCatena(SUCCEEDED_AFTER_RETRY)
    fake.token_replies.append(
        lambda _: httpx.Response(200, json={"access_token": "token-1", "expires_in": "3600"})
    )
    fake.issued = 1
    client = make_client(fake, sleeps)
    for _ in range(2):
        await client.get_resource_operation(UUID(CONNECTION_ID), UUID(OPERATION_ID))
    assert len(fake.token_requests) == 1


async def test_a_failed_token_fetch_fails_its_waiters_at_once(sleeps: Sleeps) -> None:
    """Five calls need a token while one fetch is in flight; it fails: all five get that failure, and the
    token endpoint is asked once, not once per waiter."""
    release = anyio.Event()

    async def slow_failure(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(503, text="down")

    fake = FakeCatena(SUCCEEDED_AFTER_RETRY)
    messages: list[str] = []
    token_requests = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal token_requests
        if request.url.path.endswith("/token"):
            token_requests += 1
            return await slow_failure(request)
        return fake(request)

    client = CatenaClient(
        make_settings().client_config(),
        transport=httpx.MockTransport(handler),
        sleep=sleeps,
        clock=sleeps.monotonic,
    )

    async def one() -> None:
        messages.append(await message_of(client))

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(one)
        await anyio.wait_all_tasks_blocked()
        release.set()
    assert token_requests == 1
    assert set(messages) == snapshot(
        {
            "Could not get a Catena access token (HTTP 503). Check CATENA_TOKEN_URL and that the token service is reachable; try again in a minute."
        }
    )
    assert len(messages) == 5


async def test_an_unsendable_static_token_is_a_configuration_error(sleeps: Sleeps) -> None:
    fake = FakeCatena(SUCCEEDED_AFTER_RETRY)
    settings = {
        "catena_client_id": None,
        "catena_client_secret": None,
        "catena_access_token": "abc\r\nX-Evil: 1",
    }
    assert await message_of(make_client(fake, sleeps, **settings)) == snapshot(
        "CATENA_ACCESS_TOKEN cannot be sent as a bearer token (it holds spaces or control characters): set it to the token alone, then restart the server."
    )
    assert fake.requests == []


class _ImportSearches:
    """A meta path finder that only counts: Python asks it only about modules not yet imported."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        self.names.append(name)


async def test_an_upstream_request_searches_for_no_module() -> None:
    """Warm calls over real loopback HTTP import nothing. httpcore runs `import sniffio` on every request;
    measured before sniffio was a dependency: four failed imports per call, each a search of sys.path."""
    with SimulatorThread() as sim:
        ref = sim.operations["success_after_retries"]
        config = ClientConfig(
            base_url=sim.base_url,
            token_url=sim.token_url,
            client_id=sim.client_id,
            client_secret=SecretStr(sim.client_secret),
        )
        async with CatenaClient(config) as client:
            ids = (UUID(ref.connection_id), UUID(ref.operation_id))
            await client.get_resource_operation(*ids)  # the first call may import lazily
            searches = _ImportSearches()
            sys.meta_path.insert(0, searches)
            try:
                for _ in range(3):
                    await client.get_resource_operation(*ids)
            finally:
                sys.meta_path.remove(searches)
    assert searches.names == []
